"""Message trace detail: ``Get-MessageTraceDetail`` / ``Get-MessageTraceDetailV2 | Export-Csv``
(with or without the remote-PowerShell ``PS*``/``RunspaceId`` columns), Graph
``exchangeMessageTraceDetail`` JSON, and the Reporting Web Service's ``MessageTraceDetail``
report (OData verbose JSON or Atom XML). One observation per message, folded from its event rows.

What a message's events tell:

* the Receive event's ``Detail``: ``Message received by: <server> using TLS1.2 with AES256``. An
  internal submission names no TLS either, so a Receive without the clause is ``unknown``, never
  ``none``. A message can have several Receive events: the first is its entry into Exchange
  Online, later ones are hops between Exchange Online's own servers (after a ``Submit``, or from
  a client that is itself a Microsoft host or address), whose TLS is Microsoft's, not the
  sender's. The message's TLS is that of its first Receive that is not such an internal hop;
  a message with only internal Receives has no sender TLS (``unknown``);
* the Send external event's ``Detail``: ``Message sent to <host> at <ip> using TLS1.2 with
  AES256`` (the TLS of the outbound hop; spelling unverified beyond third-party samples);
* the ``Data`` XML ``<root><MEP Name=".." String|Blob="S:key=value;.."/></root>``: the inbound
  connector (``S:InboundConnectorData=Name=<name>``), the outbound one
  (``S:Microsoft.Exchange.Hygiene.TenantOutboundConnectorCustomData=Name=<name>``), the client IP
  (``ClientIP``, and the client's name where exported) and, in some exports, ``S:tlsversion=`` /
  ``S:tlscipher=``;
* a ``Submit`` event (``The message was submitted.``): the message is inside Exchange Online;
  Receive events after it are hops between its servers. A Submit follows mail from the
  internet as well as SMTP AUTH submissions, so it does not tell them apart: the analysis
  knows a client submission by its sender being in an SMTP AUTH clients report.

Event names are localized (German ``Empfangen``, ``Extern senden``, ``Zustellen``): the hop events
are found by their ``Detail`` text or a small synonym table. Events of one message may be spread
over chunks, so per-message state is kept until the file ends; detail exports are per message, so
that state is bounded by the messages in the file.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from ..frames.arrow import clean_address, clean_message_id, is_ip, is_masked_ip, parse_datetimes
from ..quality import FileReport
from ..schema import (
    CIPHER,
    CONNECTOR,
    CONNECTOR_TYPE,
    DESTINATION_IP,
    DIRECTION,
    GRAIN,
    GRAIN_MESSAGE,
    HOSTNAME,
    INBOUND,
    MESSAGE_ID,
    MESSAGES,
    OBSERVATIONS,
    OUTBOUND,
    RECIPIENT_ADDRESS,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SERVER,
    TIMESTAMP,
    TLS,
)
from ..tls import UNKNOWN, normalize_tls
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .historical_extended import is_microsoft
from .jsonfile import records_frame
from .odata import document_keys, document_records
from .sample import JSON, TEXT, XML, Sample
from .table import ROW_COLUMN, column_for, read_table

DATE = ("Date", "dateTime", "Date (UTC)")
EVENT = ("Event",)
DETAIL = ("Detail", "description", "Details")
DATA = ("Data",)
TRACE_ID = ("MessageTraceId", "Message trace ID")
MESSAGE_ID_COLS = ("MessageId", "Message ID", "InternetMessageId")
SENDER = ("SenderAddress", "Sender address", "Sender")
RECIPIENT = ("RecipientAddress", "Recipient address", "Recipient")

#: Rows per chunk read from CSV (a module constant so that tests can force several chunks).
CHUNK_ROWS = 100_000
#: Observations per batch yielded at the end of the file.
BATCH_ROWS = 50_000
#: Data fields longer than this are not parsed as XML (no real MEP list comes near it).
MAX_DATA_XML = 256 * 1024

# Event names in the admin's language, lower case. English and German are seen in public
# exports and scripts; the French, Spanish, Dutch, Italian and Portuguese ones are unverified.
RECEIVE_EVENTS = frozenset(
    {
        "receive",
        "empfangen",
        "recevoir",
        "réception",
        "recibir",
        "recepción",
        "ontvangen",
        "ricevi",
        "ricezione",
        "receber",
        "recebimento",
    }
)
SEND_EVENTS = frozenset(
    {
        "send external",
        "send",
        "extern senden",
        "envoyer à l'extérieur",
        "envoi externe",
        "envoyer en externe",
        "enviar externo",
        "envío externo",
        "enviar externamente",
        "extern verzenden",
        "invia esterno",
        "invio esterno",
    }
)
# The Submit event in the admin's language (English and German seen in exports).
SUBMIT_EVENTS = frozenset({"submit", "übermitteln"})
_RECEIVED_BY = re.compile(r"^\s*message received by\b", re.IGNORECASE)
_SUBMITTED = re.compile(r"^\s*the message was submitted\b", re.IGNORECASE)
_SENT_TO = re.compile(r"^\s*message sent to\b", re.IGNORECASE)
# "using TLS1.2 with AES256": the version, then (after one linking word in any language) the
# bulk cipher.
_TLS_CLAUSE = re.compile(
    r"(?P<ver>\bTLS\s*v?1(?:[._]\d)?(?!\w)|\bSSL\s*v?3(?:\.0)?(?!\w))"
    r"(?:\s+\S+\s+(?P<cipher>[A-Za-z][A-Za-z0-9_-]*))?",
    re.IGNORECASE,
)
_SERVER = re.compile(r":\s*(?P<server>[A-Za-z0-9][A-Za-z0-9._-]*)")
_IPV4_OR_6 = re.compile(r"\b(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:]+)\b")
_CONNECTOR_DATA = {
    INBOUND: re.compile(r"\bInboundConnectorData=(?P<rest>[^\"<>]*)"),
    OUTBOUND: re.compile(r"TenantOutboundConnectorCustomData=(?P<rest>[^\"<>]*)"),
}
_CUSTOM = re.compile(r"S:(?P<key>tlsversion|tlscipher)=(?P<value>[^;\"<>]*)", re.IGNORECASE)
_CLIENT_IP_TEXT = re.compile(r"Name=\"ClientIP\"\s+\w+=\"(?P<ip>[^\"]*)\"", re.IGNORECASE)
_CLIENT_HOST_TEXT = re.compile(
    r"Name=\"Client(?:Host)?Name\"\s+\w+=\"(?P<host>[^\"]*)\"", re.IGNORECASE
)
# Exchange Online's outbound hosts deliver other organizations' mail: an external client.
_OTHER_TENANT = re.compile(r"\.outbound\.protection\.outlook\.com\.?$", re.IGNORECASE)
#: MEP names that carry the name of the client that spoke SMTP.
_CLIENT_HOST_MEPS = ("clientname", "clienthostname", "clienthost")


@dataclass
class _Hop:
    """A Receive or Send external event of a message."""

    rank: tuple  # lower is better (sends: names no TLS, time, row; receives: time, row)
    row: int
    stamp: pd.Timestamp
    tls: str | None  # None: the event names no TLS
    cipher: str
    server: str = ""
    destination_ip: str = ""
    client_ip: str = ""
    client_host: str = ""

    @property
    def from_microsoft(self) -> bool | None:
        """True: the client is an Exchange Online host or address (an internal hop); False:
        a client outside Microsoft; None: the event does not name its client."""
        if not (self.client_ip or self.client_host):
            return None
        if _OTHER_TENANT.search(self.client_host):
            return False  # another organization's Exchange Online sending to this one
        return is_microsoft(self.client_ip, self.client_host)


@dataclass
class _Message:
    first_row: int
    first_stamp: pd.Timestamp
    message_id: str
    trace_id: str
    sender: str = ""
    recipient: str = ""
    receives: list[_Hop] = field(default_factory=list)
    send: _Hop | None = None
    submitted: tuple | None = None  # (time, row) of the first Submit event
    inbound: tuple[str, str] | None = None  # (connector name, connector type)
    outbound: tuple[str, str] | None = None


def detect(sample: Sample) -> bool:
    if sample.kind in (JSON, XML):
        keys = document_keys(sample)
        return (
            "event" in keys
            and ("description" in keys or "detail" in keys)
            and ("datetime" in keys or "date" in keys)
        )
    if sample.kind != TEXT or sample.log_fields:
        return False
    return (
        sample.has("Event")
        and sample.has_any(*DETAIL)
        and sample.has_any(*DATE)
        and sample.has_any(*TRACE_ID, *MESSAGE_ID_COLS)
    )


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    messages: dict[tuple[str, str], _Message] = {}
    culture: str | None = None
    is_json = sample.kind in (JSON, XML)
    for raw in _raw_frames(sample, report):
        culture = fold(raw, report, messages, culture, is_json)
    hops = _InternalHops()
    records = [_record(m, report, hops) for m in messages.values()]
    hops.note(report)
    for start in range(0, len(records), BATCH_ROWS):
        part = records[start : start + BATCH_ROWS]
        data = {column: [r[column] for r in part] for column in part[0]}
        yield Batch(OBSERVATIONS, canonical(OBSERVATIONS, data, len(part), report.path))


def _raw_frames(sample: Sample, report: FileReport) -> Iterator[pd.DataFrame]:
    if sample.kind in (JSON, XML):
        records = document_records(sample, report)
        if records:
            yield records_frame(records, report)
    else:
        yield from read_table(sample, report, chunk_rows=CHUNK_ROWS)


def fold(
    raw: pd.DataFrame,
    report: FileReport,
    messages: dict[tuple[str, str], _Message],
    culture: str | None,
    is_json: bool,
) -> str | None:
    """Fold one chunk of event rows into ``messages``; rows folded are used, the others are
    rejected with a reason."""
    rows = raw[ROW_COLUMN]
    when = pick(raw, *DATE)
    stamps, culture = parse_datetimes(when, culture)
    bad = stamps.isna()
    date_col = column_for(raw.columns, *DATE)
    reject_rows(
        report,
        rows,
        bad,
        "bad-date",
        f"{date_col} is not a date in any known culture (en-US, en-GB, de-DE, ISO); "
        "this event was skipped"
        if date_col
        else "no Date column, so no event time; is this a message trace detail export?",
        date_col or "Date",
        when,
    )
    trace = pick(raw, *TRACE_ID).str.strip()
    message_id = clean_message_id(pick(raw, *MESSAGE_ID_COLS))
    # Graph detail records carry the message only as messageId (and a record id).
    graph_id = pick(raw, "id").str.strip() if is_json else pd.Series("", index=raw.index)
    key_id = trace.where(trace != "", message_id.where(message_id != "", graph_id))
    nokey = ~bad & (key_id == "")
    reject_rows(
        report,
        rows,
        nokey,
        "no-message-id",
        "event row names no MessageTraceId or MessageId, so it cannot be tied to a "
        "message; re-export with those columns",
    )
    keep = ~bad & ~nokey
    columns = {
        "row": rows,
        "stamp": stamps,
        "key": key_id,
        "trace": trace,
        "mid": message_id,
        "event": pick(raw, *EVENT).str.strip().str.lower(),
        "detail": pick(raw, *DETAIL),
        "data": pick(raw, *DATA),
        "sender": clean_address(pick(raw, *SENDER)),
        "recipient": clean_address(pick(raw, *RECIPIENT)),
    }
    kept = {name: col[keep].tolist() for name, col in columns.items()}
    for values in zip(*kept.values(), strict=True):
        _fold_row(dict(zip(kept.keys(), values, strict=True)), report, messages)
    report.use(int(keep.sum()))
    return culture


def _fold_row(ev: dict, report: FileReport, messages: dict[tuple[str, str], _Message]) -> None:
    row, stamp = int(ev["row"]), ev["stamp"]
    key = (ev["key"], ev["recipient"])
    msg = messages.get(key)
    if msg is None:
        msg = messages[key] = _Message(row, stamp, ev["mid"], ev["trace"])
    if stamp < msg.first_stamp:
        msg.first_stamp = stamp
    msg.message_id = msg.message_id or ev["mid"]
    msg.sender = msg.sender or ev["sender"]
    msg.recipient = msg.recipient or ev["recipient"]

    facts = _data_facts(ev["data"], row, report)
    msg.inbound = msg.inbound or facts.get(INBOUND)
    msg.outbound = msg.outbound or facts.get(OUTBOUND)

    detail, event = ev["detail"], ev["event"]
    if event in SUBMIT_EVENTS or _SUBMITTED.match(detail):
        if msg.submitted is None or (stamp, row) < msg.submitted:
            msg.submitted = (stamp, row)
        return
    receive = event in RECEIVE_EVENTS or bool(_RECEIVED_BY.match(detail))
    send = not receive and (event in SEND_EVENTS or bool(_SENT_TO.match(detail)))
    if not (receive or send):
        return
    tls, cipher = _tls_clause(detail)
    if tls is None and facts.get("tlsversion"):
        tls = normalize_tls(facts["tlsversion"])
        cipher = facts.get("tlscipher", "")
    if receive:
        msg.receives.append(
            _Hop(
                (stamp, row),
                row,
                stamp,
                tls,
                cipher,
                server=_server(detail),
                client_ip=facts.get("client_ip", ""),
                client_host=facts.get("client_host", ""),
            )
        )
    else:
        hop = _Hop((tls is None, stamp, row), row, stamp, tls, cipher)
        hop.destination_ip = _destination_ip(detail)
        if msg.send is None or hop.rank < msg.send.rank:
            msg.send = hop


def _entry(msg: _Message) -> tuple[_Hop | None, list[_Hop]]:
    """The message's entry into Exchange Online: its first Receive that is not a hop between
    Microsoft's own servers; and the internal hops that name a TLS version (not the sender's).
    A Receive after the message was submitted, or from a Microsoft host or address, is
    internal."""
    entry = None
    internal: list[_Hop] = []
    for hop in sorted(msg.receives, key=lambda h: h.rank):
        inside = hop.from_microsoft or (msg.submitted is not None and hop.rank > msg.submitted)
        if inside:
            if hop.tls is not None:
                internal.append(hop)
        elif entry is None:
            entry = hop
    return entry, internal


def _tls_clause(detail: str) -> tuple[str | None, str]:
    match = _TLS_CLAUSE.search(detail)
    if not match:
        return None, ""
    return normalize_tls(match.group("ver")), match.group("cipher") or ""


def _server(detail: str) -> str:
    match = _SERVER.search(detail)
    return match.group("server") if match else ""


def _destination_ip(detail: str) -> str:
    for candidate in _IPV4_OR_6.findall(detail):
        if is_ip(candidate):
            return candidate
    return ""


def _data_facts(data: str, row: int, report: FileReport) -> dict:
    """Connector names, client IP and TLS hints from one event's ``Data`` XML. Broken XML is a
    note, and the same facts are then looked for in the plain text."""
    text = data.strip()
    if not text:
        return {}
    values = _mep_values(text)
    if values is None:
        report.note(
            row,
            "bad-data-xml",
            "the Data column is broken XML, too long, or declares a DOCTYPE/entities "
            "(never expanded); connector and TLS hints were read from its plain text "
            "instead",
            column="Data",
            value=text,
        )
        plain = html.unescape(text)
        facts = _custom_facts(plain)
        match = _CLIENT_IP_TEXT.search(plain)
        _client_ip(match.group("ip").strip() if match else "", facts, report)
        match = _CLIENT_HOST_TEXT.search(plain)
        if match:
            facts["client_host"] = match.group("host").strip()
        return facts
    facts = _custom_facts(";".join(values.values()))
    _client_ip(values.get("clientip", "").strip(), facts, report)
    host = next((values[n].strip() for n in _CLIENT_HOST_MEPS if values.get(n, "").strip()), "")
    if host:
        facts["client_host"] = host
    return facts


def _client_ip(ip: str, facts: dict, report: FileReport) -> None:
    """The ClientIP MEP into ``facts`` when it is an IP; one masked by hand is counted."""
    if not ip:
        return
    if is_ip(ip):
        facts["client_ip"] = ip
    elif is_masked_ip(ip):
        report.see_masked_ips(1, ip)


def _mep_values(text: str) -> dict[str, str] | None:
    """``{mep name (lower case): value}``, or None when the text is not safe, well-formed XML.
    The value is the MEP's first attribute other than Name (String, Blob, Integer, Long...)."""
    if len(text) > MAX_DATA_XML or "<!" in text:
        return None  # no DOCTYPE/ENTITY declarations: nothing to expand, nothing external
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    out: dict[str, str] = {}
    for node in root.iter("MEP"):
        name = node.get("Name", "").strip().lower()
        value = next((v for k, v in node.attrib.items() if k != "Name"), "")
        if name and name not in out:
            out[name] = value
    return out


def _custom_facts(text: str) -> dict:
    facts: dict = {}
    for direction, pattern in _CONNECTOR_DATA.items():
        match = pattern.search(text)
        if match:
            named = _connector(match.group("rest"))
            if named:
                facts[direction] = named
    for match in _CUSTOM.finditer(text):
        facts.setdefault(match.group("key").lower(), match.group("value").strip())
    return facts


def _connector(rest: str) -> tuple[str, str] | None:
    """``Name=<name>;ConnectorType=<type>;S:next=..`` -> (name, type)."""
    fields: dict[str, str] = {}
    for part in rest.split(";"):
        if part.startswith("S:"):
            break  # the next custom-data entry
        key, sep, value = part.partition("=")
        if sep:
            fields.setdefault(key.strip().lower(), value.strip().strip("'\""))
    name = fields.get("name", "")
    return (name, fields.get("connectortype", "")) if name else None


class _InternalHops:
    """Messages whose Receive events include hops between Exchange Online's own servers that
    name a TLS version: one note per file, with the first such event as its example."""

    def __init__(self) -> None:
        self.messages = 0
        self.first: _Hop | None = None

    def see(self, hops: list[_Hop]) -> None:
        if hops:
            self.messages += 1
            if self.first is None or hops[0].row < self.first.row:
                self.first = hops[0]

    def note(self, report: FileReport) -> None:
        if self.first is None:
            return
        hop = self.first
        server = hop.server or "an Exchange Online server"
        report.note(
            hop.row,
            "internal-hop",
            f"{self.messages} message(s) have Receive events between Exchange Online's "
            f"own servers (this one: received by {server} using {hop.tls}); that TLS "
            "is Microsoft's, not the sender's: each message's TLS is that of its first "
            "Receive from outside Microsoft (unknown when it has none)",
            column="Detail",
            value=hop.server,
        )


def _record(msg: _Message, report: FileReport, hops: _InternalHops) -> dict:
    """One observation for one message. Direction: inbound connector data first (a device that
    relays through an inbound connector is the hop at risk even when the mail goes out again),
    then outbound connector data, then a Send external event, then a Receive event. The
    inbound hop is the message's entry into Exchange Online (:func:`_entry`)."""
    entry, internal = _entry(msg)
    hops.see(internal)
    first = min(msg.receives, key=lambda h: h.rank) if msg.receives else None
    if msg.inbound:
        direction = INBOUND
    elif msg.outbound or msg.send is not None:
        direction = OUTBOUND
    elif msg.receives:
        direction = INBOUND
    else:
        direction = ""
    hop = msg.send if direction == OUTBOUND else entry
    if not msg.receives and msg.send is None:
        report.note(
            msg.first_row,
            "no-receive-event",
            "no Receive or Send external event among this message's rows, so its TLS "
            "is unknown (was the export filtered with -Event?)",
        )
    connector = msg.inbound if direction == INBOUND else msg.outbound
    shown = entry or first
    return {
        ROW: hop.row if hop is not None else (first.row if first else msg.first_row),
        TIMESTAMP: shown.stamp if shown is not None else msg.first_stamp,
        GRAIN: GRAIN_MESSAGE,
        CONNECTOR: connector[0] if connector else "",
        CONNECTOR_TYPE: connector[1] if connector else "",
        DIRECTION: direction,
        SENDER_IP: entry.client_ip if entry is not None else "",
        # The name the client gave on the receive hop (ClientName / ClientHostName in Data):
        # the host that negotiated this hop's TLS, a relay's own name.
        HOSTNAME: entry.client_host if entry is not None and direction == INBOUND else "",
        DESTINATION_IP: msg.send.destination_ip if direction == OUTBOUND and msg.send else "",
        SENDER_ADDRESS: msg.sender,
        RECIPIENT_ADDRESS: msg.recipient,
        MESSAGE_ID: msg.message_id or msg.trace_id,
        TLS: hop.tls if hop is not None and hop.tls is not None else UNKNOWN,
        CIPHER: hop.cipher if hop is not None else "",
        MESSAGES: 1,
        SERVER: shown.server if shown is not None else "",
    }


FORMAT = Format(
    name="message-trace-detail",
    description="Message trace detail: Get-MessageTraceDetail[V2] | Export-Csv, Graph "
    "exchangeMessageTraceDetail JSON, Reporting Web Service MessageTraceDetail "
    "(JSON or Atom XML); TLS from the first external Receive / the Send external",
    kind=OBSERVATIONS,
    carries_tls=True,
    signature=("MessageTraceId", "MessageId", "Date", "Event", "Action", "Detail", "Data"),
    detect=detect,
    read=read,
    recognised_by="Event + Detail + Date + MessageTraceId/MessageId; or JSON with "
    "event/description/dateTime",
)
