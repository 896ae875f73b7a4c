"""Historical search "Extended" report (EAC message trace, ``Start-HistoricalSearch
-ReportType MessageTraceDetail``): UTF-16LE CSV, often without BOM, one row per transport
event with the tracking-log field set in snake_case (``date_time_utc, client_ip, ...,
event_id, ..., custom_data``) and ISO timestamps with 7 fractional digits.

A message has many event rows (~16): RECEIVE at the edge and again at each internal hop,
AGENTINFO rows whose ``custom_data`` carries the spam agent's ``S:SFA=...|H=helo|PTR=ptr|
CIP=ip|...``, then SEND / DELIVER / FAIL. So rows are grouped by message
(``network_message_id``, else ``message_id``) and each message gives ONE sighting per
recipient: identity from its first RECEIVE from outside Microsoft (``CIP`` when that hop is
Microsoft-internal), HELO/PTR from the spam agent, destination from its SEND. Rows of one
message are seconds apart, so a message is complete once ``WINDOW_ROWS`` rows have passed
without it: memory is bounded by that window, not by the file.
"""

from __future__ import annotations

import ipaddress
import re
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from ..frames.arrow import clean_ip, clean_message_id, is_ip, parse_datetimes, parse_int
from ..quality import FileReport
from ..schema import (
    CONNECTOR,
    DESTINATION_IP,
    DIRECTION,
    EVENT,
    HOSTNAME,
    MESSAGE_ID,
    OUTBOUND,
    PTR,
    RECIPIENT_ADDRESS,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SERVER,
    SIGHTINGS,
    SIZE,
    STATUS,
    SUBJECT,
    TIMESTAMP,
    TLS_AUTH_LEVEL,
)
from . import custom_data
from . import tracking_log as tl
from .base import Batch, Format, LoadContext, canonical, lacks_columns, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, column_for, read_table

NAME = "historical-extended"
# Rows per read_table chunk: 27 wide columns, so smaller chunks than the default bound peak
# memory; the chunk size does not change how long a report takes (see bench/RESULTS.md).
CHUNK_ROWS = 20_000
#: A message whose key has not been seen for this many rows is complete.
WINDOW_ROWS = 20_000

# Exchange Online's own servers: hop names under these domains, and Microsoft 365's IPv6 block
# (2603:1000::/24 holds the *.prod.outlook.com / protection.outlook.com hop addresses).
_MICROSOFT_HOST = re.compile(
    r"(?:^|\.)(?:outlook\.com|office365\.com|exchangelabs\.com|"
    r"microsoft\.com|outlook\.office\.com)\.?$",
    re.IGNORECASE,
)
# Internal addresses are named explicitly: ipaddress's is_private also covers documentation
# ranges (192.0.2.0/24, 2001:db8::/32...), which are real senders in examples and tests.
_INTERNAL_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("2603:1000::/24", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)


#: The time column: downloads write date_time_utc; date_time is seen too.
TIME_COLS = ("date_time_utc", "date_time")
#: Without these no row can be grouped into a message: the file is not an extended report.
REQUIRED = (TIME_COLS, ("event_id",), ("network_message_id", "internal_message_id", "message_id"))


def detect(sample: Sample) -> bool:
    return (
        sample.kind == TEXT
        and not sample.log_fields
        and all(sample.has_any(*names) for names in REQUIRED)
        and sample.has_any("client_ip", "custom_data", "source_context")
    )


@dataclass(slots=True)
class _Hop:
    """One RECEIVE or SEND row."""

    row: int
    when: int  # nanoseconds since the epoch, UTC
    client_ip: str
    client_host: str
    server_ip: str
    server_host: str
    connector: str
    recipients: tuple[str, ...]
    custom: custom_data.CustomData

    @property
    def internal(self) -> bool:
        return is_microsoft(self.client_ip, self.client_host)


@dataclass(slots=True)
class _Message:
    last_row: int
    message_id: str = ""
    sender: str = ""
    subject: str = ""
    size: int = 0
    direction: str = ""
    original_client_ip: str = ""
    helo: str = ""
    ptr: str = ""
    cip: str = ""
    inbound_connector: str = ""
    receives: list[_Hop] = field(default_factory=list)
    sends: list[_Hop] = field(default_factory=list)
    last_event: dict[str, tuple[int, int, str]] = field(default_factory=dict)  # (when, row, event)


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    open_messages: OrderedDict[str, _Message] = OrderedDict()
    if lacks_columns(
        sample, report, REQUIRED, "a historical search extended report", FORMAT.signature
    ):
        return
    culture: str | None = "ISO"
    last_row = 0
    for raw in read_table(sample, report, CHUNK_ROWS):
        culture = _consume(raw, report, culture, open_messages)
        if len(raw):
            last_row = int(raw[ROW_COLUMN].iloc[-1])
        done = []
        while open_messages:
            key, message = next(iter(open_messages.items()))
            if message.last_row > last_row - WINDOW_ROWS:
                break
            done.append(open_messages.pop(key))
        if done:
            yield Batch(SIGHTINGS, _frame(done, report.path))
    if open_messages:
        yield Batch(SIGHTINGS, _frame(list(open_messages.values()), report.path))


def _consume(
    raw: pd.DataFrame,
    report: FileReport,
    culture: str | None,
    open_messages: OrderedDict[str, _Message],
) -> str | None:
    rows = raw[ROW_COLUMN]
    when = pick(raw, *tl.TIME)
    stamps, culture = parse_datetimes(when, culture)
    bad = stamps.isna()
    name = column_for(raw.columns, *tl.TIME) or TIME_COLS[0]
    reject_rows(report, rows, bad, "bad-date", f"{name} is not an ISO timestamp", name, when)
    report.use(int((~bad).sum()))
    good = raw[~bad]
    network_id = pick(good, *tl.NETWORK_ID).str.strip().str.lower()
    message_id = clean_message_id(pick(good, *tl.MESSAGE_ID_COL))
    # What each row's custom data says, worked out once per distinct text: the same agent
    # texts recur on every message of a sender.
    codes, texts = pd.factorize(pick(good, *tl.CUSTOM), use_na_sentinel=False)
    parsed = [custom_data.parse(t) for t in texts]
    facts = [
        (
            c.spam_field("H"),
            c.spam_field("PTR"),
            cip if is_ip(cip := c.spam_field("CIP")) else "",
            c.connector_name("InboundConnectorData"),
        )
        for c in parsed
    ]
    # Times as nanosecond integers while rows are grouped: no Timestamp object per row.
    nanos = stamps[~bad].to_numpy(dtype="datetime64[ns]").astype("int64")
    columns = (
        good[ROW_COLUMN],
        pd.Series(nanos),
        network_id,
        message_id,
        pick(good, *tl.EVENT_ID).str.strip().str.upper(),
        clean_ip(pick(good, *tl.CLIENT_IP), report),
        pick(good, *tl.CLIENT_HOST).str.strip(),
        clean_ip(pick(good, *tl.SERVER_IP)),
        pick(good, *tl.SERVER_HOST).str.strip(),
        pick(good, *tl.CONNECTOR_ID).str.strip(),
        pick(good, *tl.RECIPIENTS).str.lower(),
        tl.envelope_sender(pick(good, *tl.RETURN_PATH), pick(good, *tl.SENDER_COL)),
        pick(good, *tl.SUBJECT_COL),
        parse_int(pick(good, *tl.TOTAL_BYTES)).fillna(0),
        tl.directions(pick(good, *tl.DIRECTIONALITY)),
        clean_ip(pick(good, *tl.ORIGINAL_CLIENT_IP)),
        pd.Series(codes),
    )
    for (
        row,
        stamp,
        nid,
        mid,
        event,
        cip,
        chost,
        sip,
        shost,
        connector,
        rcpt,
        sender,
        subject,
        size,
        direction,
        original,
        custom_code,
    ) in zip(*(c.tolist() for c in columns), strict=True):
        key = nid or (f"mid:{mid}" if mid else f"row:{row}")
        message = open_messages.get(key)
        if message is None:
            message = open_messages[key] = _Message(row)
        else:
            open_messages.move_to_end(key)
            message.last_row = row
        message.message_id = message.message_id or mid
        message.sender = message.sender or sender
        message.subject = message.subject or subject
        message.size = message.size or int(size)
        message.direction = message.direction or direction
        message.original_client_ip = message.original_client_ip or original
        helo, ptr, client_ip, inbound = facts[custom_code]
        message.helo = message.helo or helo
        message.ptr = message.ptr or ptr
        message.cip = message.cip or client_ip
        message.inbound_connector = message.inbound_connector or inbound
        recipients = _split(rcpt)
        for recipient in recipients:
            seen = message.last_event.get(recipient)
            if seen is None or (stamp, row) >= seen[:2]:
                message.last_event[recipient] = (stamp, row, event)
        if event in tl.HOP_EVENTS:
            hop = _Hop(
                row, stamp, cip, chost, sip, shost, connector, recipients, parsed[custom_code]
            )
            (message.receives if event == tl.RECEIVE else message.sends).append(hop)
    return culture


@lru_cache(maxsize=4096)
def _split(recipients: str) -> tuple[str, ...]:
    """``a@x;b@y`` (already lower case) -> addresses without spaces or angle brackets (cached
    for the messages in flight: each of their events repeats the recipients)."""
    parts = (part.strip().strip("<>").strip() for part in recipients.split(";"))
    return tuple(part for part in parts if part)


def _frame(messages: list[_Message], source: str) -> pd.DataFrame:
    records: list[dict] = []
    for message in messages:
        records.extend(_sightings(message))
    columns = {name: [r[name] for r in records] for name in _NAMES}
    columns[TIMESTAMP] = pd.Series(
        pd.to_datetime(np.array(columns[TIMESTAMP], dtype=np.int64), unit="ns", utc=True)
    )
    return canonical(SIGHTINGS, columns, len(records), source)


_NAMES = (
    ROW,
    TIMESTAMP,
    MESSAGE_ID,
    SENDER_ADDRESS,
    RECIPIENT_ADDRESS,
    SUBJECT,
    STATUS,
    SENDER_IP,
    DESTINATION_IP,
    HOSTNAME,
    PTR,
    CONNECTOR,
    DIRECTION,
    SIZE,
    EVENT,
    TLS_AUTH_LEVEL,
    SERVER,
)


def _sightings(m: _Message) -> list[dict]:
    """One sighting per recipient, from the message's first RECEIVE from outside Microsoft
    (or its first RECEIVE at all, or, with no RECEIVE in the file, its SEND rows). The
    connector is the tenant's inbound connector, else the RECEIVE's connector_id, else the
    outbound connector the recipient's SEND used."""
    receives = sorted(m.receives, key=lambda h: (h.when, h.row))
    sends = sorted(m.sends, key=lambda h: (h.when, h.row))
    send_to: dict[str, _Hop] = {}
    for hop in sends:
        for recipient in hop.recipients:
            send_to.setdefault(recipient, hop)
    if receives:
        origin = next((h for h in receives if not h.internal), receives[0])
        event, connector, server = tl.RECEIVE, m.inbound_connector, origin.server_host
        recipients = origin.recipients or list(m.last_event) or [""]
    elif sends:
        origin = sends[0]
        event, connector, server = tl.SEND, _outbound_connector(origin), origin.client_host
        recipients = list(send_to) or [""]
    else:
        return []
    if origin.internal:
        sender_ip = m.cip or m.original_client_ip or origin.client_ip
        hostname = m.helo
    else:
        sender_ip, hostname = origin.client_ip, m.helo or origin.client_host
    out = []
    for recipient in dict.fromkeys(recipients):
        send = send_to.get(recipient)
        out.append(
            {
                ROW: origin.row,
                TIMESTAMP: origin.when,
                MESSAGE_ID: m.message_id,
                SENDER_ADDRESS: m.sender,
                RECIPIENT_ADDRESS: recipient,
                SUBJECT: m.subject,
                STATUS: m.last_event[recipient][2] if recipient in m.last_event else event,
                SENDER_IP: sender_ip,
                DESTINATION_IP: send.server_ip if send else "",
                HOSTNAME: hostname,
                PTR: m.ptr,
                CONNECTOR: connector or origin.connector or _outbound_connector(send),
                DIRECTION: m.direction or (OUTBOUND if send or event == tl.SEND else ""),
                SIZE: m.size,
                EVENT: event,
                TLS_AUTH_LEVEL: send.custom.get("EffectiveTlsAuthLevel") if send else "",
                SERVER: server,
            }
        )
    return out


def _outbound_connector(send: _Hop | None) -> str:
    if send is None:
        return ""
    return send.custom.connector_name("TenantOutboundConnectorCustomData") or send.connector


@lru_cache(maxsize=1 << 16)
def is_microsoft(ip: str, hostname: str) -> bool:
    """A hop inside Exchange Online (or a private/loopback address), not the real client
    (cached: a report names a few thousand hops, each on every message)."""
    if hostname and _MICROSOFT_HOST.search(hostname):
        return True
    if not is_ip(ip):
        return False
    address = ipaddress.ip_address(ip)
    return (
        address.is_loopback
        or address.is_link_local
        or any(
            address in network
            for network in _INTERNAL_NETWORKS
            if network.version == address.version
        )
    )


FORMAT = Format(
    name=NAME,
    description="Historical search Extended report (EAC message trace / Start-HistoricalSearch "
    "MessageTraceDetail), UTF-16LE CSV",
    kind=SIGHTINGS,
    carries_tls=False,
    signature=(
        "date_time_utc",
        "client_ip",
        "client_hostname",
        "server_ip",
        "source_context",
        "connector_id",
        "event_id",
        "network_message_id",
        "recipient_address",
        "sender_address",
        "directionality",
        "custom_data",
    ),
    detect=detect,
    read=read,
    recognised_by="snake_case date_time[_utc] + event_id + network/internal_message_id "
    "(+ client_ip / custom_data)",
)
