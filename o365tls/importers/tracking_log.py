"""Exchange Server message tracking logs: raw ``MSGTRK*.log`` files (``#Log-type: Message
Tracking Log``) and ``Get-MessageTrackingLog | Export-Csv`` output.

One sighting per message and recipient for ``RECEIVE`` events (direction from
``directionality``: Incoming -> inbound, Originating -> outbound) and for ``SEND`` events
(outbound: ``client-ip`` is this server and ``server-ip`` the next hop, the same way round as a
send protocol log). Every other event (DELIVER, RESOLVE, TRANSFER, AGENTINFO, HAREDIRECT...)
is a used row that names nobody new.

On a RECEIVE the Hub writes the FrontEnd's address in ``client-ip``; the real client is
``S:ProxiedClientIPAddress=`` in ``custom-data``. ``Get-MessageTrackingLog`` renames the fields
(dashes removed, ``date-time`` -> ``Timestamp``, ``recipient-address`` -> ``Recipients``,
``sender-address`` -> ``Sender``, ``custom-data`` -> ``EventData``), writes ``Timestamp`` in the
searching computer's culture and local time, and ``Export-Csv`` writes the type name
``System.String[]`` for ``Recipients`` unless the admin joined it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from ..quality import FileReport
from ..schema import (
    CONNECTOR,
    DESTINATION_IP,
    DIRECTION,
    EVENT,
    HOSTNAME,
    INBOUND,
    MESSAGE_ID,
    OUTBOUND,
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
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, read_table
from .values import (
    Unreadable,
    clean_address,
    clean_ip,
    clean_message_id,
    parse_datetimes,
    parse_int,
    split_multi,
)

NAME = "exchange-tracking-log"
# Rows per read_table chunk: ~30 wide columns, so fewer than the default keeps memory low.
CHUNK_ROWS = 25_000

# Each field in its three spellings: the raw log's #Fields, Get-MessageTrackingLog's property
# names, and the historical-search extended report (which shares the field set).
TIME = ("date-time", "Timestamp", "date_time_utc")
CLIENT_IP = ("client-ip", "ClientIp", "client_ip")
CLIENT_HOST = ("client-hostname", "ClientHostname", "client_hostname")
SERVER_IP = ("server-ip", "ServerIp", "server_ip")
SERVER_HOST = ("server-hostname", "ServerHostname", "server_hostname")
CONNECTOR_ID = ("connector-id", "ConnectorId", "connector_id")
SOURCE_COL = ("source", "Source")
EVENT_ID = ("event-id", "EventId", "event_id")
INTERNAL_ID = ("internal-message-id", "InternalMessageId", "internal_message_id")
MESSAGE_ID_COL = ("message-id", "MessageId", "message_id")
NETWORK_ID = ("network-message-id", "NetworkMessageId", "network_message_id")
RECIPIENTS = ("recipient-address", "Recipients", "recipient_address")
RECIPIENT_STATUS = ("recipient-status", "RecipientStatus", "recipient_status")
TOTAL_BYTES = ("total-bytes", "TotalBytes", "total_bytes")
SUBJECT_COL = ("message-subject", "MessageSubject", "message_subject")
SENDER_COL = ("sender-address", "Sender", "sender_address")
RETURN_PATH = ("return-path", "ReturnPath", "return_path")
DIRECTIONALITY = ("directionality", "Directionality")
ORIGINAL_CLIENT_IP = ("original-client-ip", "OriginalClientIp", "original_client_ip")
CUSTOM = ("custom-data", "EventData", "custom_data")

RECEIVE = "RECEIVE"
SEND = "SEND"
DIRECTIONS = {"incoming": INBOUND, "originating": OUTBOUND}

# What Export-Csv writes for a property it cannot flatten: "System.String[]",
# "System.Collections.Generic.KeyValuePair`2[System.String,System.Object][]".
_TYPE_NAME = re.compile(r"^System\.[\w.`]+(?:\[[\w.,` ]*\])*$")


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT:
        return False
    if sample.log_fields:
        log_type = (sample.directive("Log-type") or "").lower()
        if log_type:
            return "message tracking" in log_type
        return sample.has("event-id", "internal-message-id", "source-context")
    return (sample.has("Timestamp", "EventId", "Source")
            and sample.has_any("InternalMessageId", "MessageId", "NetworkMessageId")
            and sample.has_any("Recipients", "Sender", "ClientIp"))


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    exported = not sample.log_fields
    culture: str | None = None if exported else "ISO"
    tally = _Tally()
    for raw in read_table(sample, report, CHUNK_ROWS):
        frame, culture = convert(raw, report, culture, tally)
        if len(frame):
            yield Batch(SIGHTINGS, frame)
    if exported and report.rows_used:
        report.note(None, "local-time",
                    "Get-MessageTrackingLog writes Timestamp in the local time of the computer "
                    "that ran it, without an offset; it is read as UTC (read the raw MSGTRK*.log "
                    "files for exact UTC times)")
    tally.report(report)


class _Tally:
    """Export-Csv type names seen, reported once per file rather than once per row."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}  # code -> [count, first row]

    def see(self, code: str, row: int) -> None:
        entry = self.counts.setdefault(code, [0, row])
        entry[0] += 1

    def report(self, report: FileReport) -> None:
        if "recipients-type-name" in self.counts:
            count, row = self.counts["recipients-type-name"]
            report.note(row, "recipients-type-name",
                        f"Recipients was exported as a type name ('System.String[]') in {count} "
                        "RECEIVE/SEND rows, so their recipients are unknown; each gives one "
                        "sighting without a recipient. Export it joined: Select-Object "
                        "@{n='Recipients';e={$_.Recipients -join ';'}}, ...")
        if "eventdata-type-name" in self.counts:
            count, row = self.counts["eventdata-type-name"]
            report.note(row, "eventdata-type-name",
                        f"EventData was exported as a type name in {count} RECEIVE/SEND rows: "
                        "the real client behind the FrontEnd (ProxiedClientIPAddress) and "
                        "EffectiveTlsAuthLevel are not in this file; the raw MSGTRK*.log files "
                        "have them")


def convert(raw: pd.DataFrame, report: FileReport, culture: str | None,
            tally: _Tally) -> tuple[pd.DataFrame, str | None]:
    """Raw tracking rows -> sightings; rows without a readable time are rejected."""
    rows = raw[ROW_COLUMN]
    when = pick(raw, *TIME)
    stamps, culture = parse_datetimes(when, culture)
    bad = stamps.isna()
    reject_rows(report, rows, bad, "bad-date",
                "the time is not a date in any known culture (ISO, en-US, en-GB, de-DE)",
                "date-time", when)
    report.use(int((~bad).sum()))
    event = pick(raw, *EVENT_ID).str.strip().str.upper()
    keep = ~bad & event.isin((RECEIVE, SEND))
    sub = raw[keep]
    sub_rows = rows[keep]
    is_send = event[keep] == SEND

    custom = pd.Series([_custom(v, r, tally) for v, r in zip(pick(sub, *CUSTOM), sub_rows,
                                                              strict=True)],
                       index=sub.index, dtype=object)
    recipients = pd.Series([_recipients(v, r, tally) for v, r in
                            zip(pick(sub, *RECIPIENTS), sub_rows, strict=True)],
                           index=sub.index, dtype=object)
    client_ip = clean_ip(pick(sub, *CLIENT_IP), report)
    proxied_ip = clean_ip(custom.map(lambda c: c.get("ProxiedClientIPAddress")))
    received_from = first_nonempty(proxied_ip, client_ip, clean_ip(pick(sub, *ORIGINAL_CLIENT_IP)))
    client_host = pick(sub, *CLIENT_HOST).str.strip()
    proxied_host = custom.map(lambda c: c.get("ProxiedClientHostname"))
    status = pick(sub, *RECIPIENT_STATUS)
    data = {
        ROW: sub_rows,
        TIMESTAMP: stamps[keep],
        MESSAGE_ID: clean_message_id(pick(sub, *MESSAGE_ID_COL)),
        SENDER_ADDRESS: envelope_sender(pick(sub, *RETURN_PATH), pick(sub, *SENDER_COL)),
        RECIPIENT_ADDRESS: recipients,
        SUBJECT: pick(sub, *SUBJECT_COL),
        STATUS: status.where(~status.str.match(_TYPE_NAME), ""),
        SENDER_IP: client_ip.where(is_send, received_from),
        DESTINATION_IP: clean_ip(pick(sub, *SERVER_IP)).where(is_send, ""),
        HOSTNAME: client_host.where(is_send | (proxied_host == ""), proxied_host),
        CONNECTOR: pick(sub, *CONNECTOR_ID).str.strip(),
        DIRECTION: directions(pick(sub, *DIRECTIONALITY)).where(~is_send, OUTBOUND),
        SIZE: parse_int(pick(sub, *TOTAL_BYTES)),
        EVENT: event[keep],
        TLS_AUTH_LEVEL: custom.map(lambda c: c.get("EffectiveTlsAuthLevel")),
        SERVER: pick(sub, *SERVER_HOST).str.strip().where(~is_send, client_host),
    }
    frame = pd.DataFrame(data).explode(RECIPIENT_ADDRESS, ignore_index=True)
    frame[RECIPIENT_ADDRESS] = clean_address(frame[RECIPIENT_ADDRESS].fillna(""))
    return canonical(SIGHTINGS, dict(frame.items()), len(frame), report.path), culture


def _custom(value: str, row: int, tally: _Tally) -> custom_data.CustomData:
    if _TYPE_NAME.match(value.strip()):
        tally.see("eventdata-type-name", row)
        return custom_data.EMPTY
    return custom_data.parse(value)


def _recipients(value: str, row: int, tally: _Tally) -> list[str]:
    """The recipients of one row; a row without readable recipients still sights its message."""
    text = value.strip()
    try:
        if _TYPE_NAME.match(text):
            raise Unreadable(text)
        found = list(split_multi(text))
    except Unreadable:
        tally.see("recipients-type-name", row)
        found = []
    return found or [""]


def first_nonempty(*columns: pd.Series) -> pd.Series:
    out = columns[0]
    for column in columns[1:]:
        out = out.where(out != "", column)
    return out


def envelope_sender(return_path: pd.Series, sender: pd.Series) -> pd.Series:
    """The MAIL FROM address (return-path), as protocol logs show it; the header sender when
    the export has no return path or it is the null sender ``<>``."""
    return first_nonempty(clean_address(return_path), clean_address(sender))


def directions(directionality: pd.Series) -> pd.Series:
    return directionality.str.strip().str.lower().map(DIRECTIONS).fillna("").astype(object)


FORMAT = Format(
    name=NAME,
    description="Exchange Server message tracking logs: MSGTRK*.log files and "
                "Get-MessageTrackingLog | Export-Csv",
    kind=SIGHTINGS,
    carries_tls=False,
    signature=("date-time", "client-ip", "source-context", "connector-id", "source", "event-id",
               "internal-message-id", "message-id", "recipient-address", "sender-address",
               "custom-data"),
    detect=detect,
    read=read,
    recognised_by="'#Log-type: Message Tracking Log' with a '#Fields:' line; or Timestamp + "
                  "EventId + Source + MessageId/InternalMessageId (Get-MessageTrackingLog export)",
)
