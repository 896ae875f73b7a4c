"""Exchange Server SMTP Receive and Send protocol logs (``RECV*.log``, ``SEND*.log``).

Each line is one SMTP event of a session (``#Fields: date-time,connector-id,session-id,
sequence-number,local-endpoint,remote-endpoint,event,data,context``); ``event`` is ``+``
(connect), ``-`` (disconnect), ``<`` (received), ``>`` (sent) or ``*`` (information). The
client's commands are ``<`` lines in a receive log and ``>`` lines in a send log. The TLS
outcome is an information line (Exchange formats it as ``TLS protocol {SchannelProtocols}
negotiation succeeded using bulk encryption algorithm {AlgorithmId} with strength ...``), and
a successful login is ``*,DOMAIN\\user,authenticated``.

Sessions become observations: one per ``MAIL FROM`` (messages=1) carrying the session's TLS
state at that moment, or one per session that never sent ``MAIL FROM`` (messages=0). A message
is emitted as soon as its ``MAIL FROM`` is read, so memory holds only the open sessions. Files
roll over hourly and a session can continue in the next file: open sessions are kept in the
load context and the file where a session started stays the ``source`` of its records.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from ..quality import FileReport
from ..schema import (
    AUTH_PROTOCOL,
    AUTH_USER,
    CIPHER,
    CONNECTOR,
    DESTINATION_IP,
    DIRECTION,
    FORCED_TLS,
    GRAIN,
    GRAIN_MESSAGE,
    HOSTNAME,
    INBOUND,
    LOCAL_PORT,
    MESSAGES,
    OBSERVATIONS,
    OUTBOUND,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SENDER_PORT,
    SERVER,
    SESSION_ID,
    TIMESTAMP,
    TLS,
)
from ..tls import NONE, SSL3, TLS10, TLS11, TLS12, TLS13, normalize_tls
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, read_table
from .values import split_endpoint

NAME = "exchange-protocol-log"
FIELDS = ("date-time", "connector-id", "session-id", "sequence-number", "local-endpoint",
          "remote-endpoint", "event", "data", "context")
STATE_KEY = NAME
# Log lines per read_table chunk; records are emitted per chunk. Peak memory is about 2.5 kB a
# line in flight (~260 MB at 50k), whatever the file size.
CHUNK_ROWS = 50_000

_EVENTS = frozenset({"+", "-", "<", ">", "*"})
_EARLIEST = pd.Timestamp.min.tz_localize("UTC")
_LATEST = pd.Timestamp.max.tz_localize("UTC")
_COMMAND = r"^\s*(?:EHLO|HELO|MAIL FROM|AUTH|X-EXPS|STARTTLS)\b"
_TLS_LINE = re.compile(r"TLS protocol\s+(\S+)\s+negotiation succeeded"
                       r"(?:\s+using bulk encryption algorithm\s+([^\s,]+))?", re.IGNORECASE)
_HELO = re.compile(r"^\s*(?:EHLO|HELO)\s+(\S+)", re.IGNORECASE)
_MAIL_FROM = re.compile(r"^\s*MAIL FROM:\s*(?:<([^>]*)>|(\S*))", re.IGNORECASE)
_AUTH = re.compile(r"^\s*(?:AUTH|X-EXPS)\s+(\S+)", re.IGNORECASE)
# SASL mechanisms in the SMTP AUTH report's words (Basic/OAuth); others (NTLM, GSSAPI) as logged.
_AUTH_PROTOCOLS = {"LOGIN": "Basic", "PLAIN": "Basic", "XOAUTH2": "OAuth"}
# SchannelProtocols bits, for builds that print the number instead of the SP_PROT_ name.
_PROTOCOL_BITS = ((0x3000, TLS13), (0x0C00, TLS12), (0x0300, TLS11), (0x00C0, TLS10),
                  (0x0030, SSL3))


@dataclass(slots=True)
class _Session:
    source: str  # the file the session started in
    first_row: int
    start: pd.Timestamp
    direction: str  # inbound (receive log), outbound (send log), "" until known
    connector: str
    session_id: str
    local: tuple[str, int]
    remote: tuple[str, int]
    hostname: str = ""
    tls: str = NONE  # no TLS until a negotiation succeeds
    cipher: str = ""
    auth_user: str = ""
    auth_protocol: str = ""
    pending_auth: str = ""  # the mechanism of the last AUTH command, until it succeeds
    messages: int = 0


class _Records:
    """Observation columns, appended one record at a time."""

    NAMES = (ROW, TIMESTAMP, CONNECTOR, DIRECTION, SENDER_IP, SENDER_PORT, DESTINATION_IP,
             LOCAL_PORT, SENDER_ADDRESS, AUTH_USER, AUTH_PROTOCOL, HOSTNAME, SESSION_ID, TLS,
             CIPHER, MESSAGES, SERVER)

    def __init__(self) -> None:
        self.columns: dict[str, list] = {name: [] for name in self.NAMES}

    def __len__(self) -> int:
        return len(self.columns[ROW])

    def add(self, s: _Session, row: int, when: pd.Timestamp, sender: str, messages: int) -> None:
        # Inbound (and a session whose side never showed): the peer is the sender. Outbound:
        # this server was the client and the peer is the destination.
        if s.direction == OUTBOUND:
            (sender_ip, sender_port), destination_ip = s.local, s.remote[0]
            server_port = s.remote[1]
        else:
            (sender_ip, sender_port), destination_ip = s.remote, ""
            server_port = s.local[1]
        values = (row, when, s.connector, s.direction, sender_ip, sender_port, destination_ip,
                  server_port, sender, s.auth_user, s.auth_protocol, s.hostname, s.session_id,
                  s.tls, s.cipher, messages, _server_of(s.connector))
        for name, value in zip(self.NAMES, values, strict=True):
            self.columns[name].append(value)

    def frame(self, source: str) -> pd.DataFrame:
        data: dict[str, object] = dict(self.columns)
        data[TIMESTAMP] = pd.Series(self.columns[TIMESTAMP], dtype="datetime64[ns, UTC]")
        data[GRAIN] = GRAIN_MESSAGE
        data[FORCED_TLS] = None
        return canonical(OBSERVATIONS, data, len(self), source)


@dataclass
class _State:
    """Carried across the files of one load."""

    open: dict[tuple, _Session] = field(default_factory=dict)
    # Records of sessions that started in an earlier file, held so that each file's report
    # counts its own records; emitted by finish().
    held: dict[str, _Records] = field(default_factory=dict)


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT or not sample.log_fields:
        return False
    log_type = (sample.directive("Log-type") or "").lower()
    if log_type and "smtp" not in log_type:
        return False
    return sample.has(*FIELDS)


def _file_direction(sample: Sample) -> str:
    log_type = (sample.directive("Log-type") or "").lower()
    if "receive" in log_type:
        return INBOUND
    if "send" in log_type:
        return OUTBOUND
    return ""


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    state = context.state.setdefault(STATE_KEY, _State())
    direction = _file_direction(sample)
    if not direction:
        report.note(None, "no-log-type",
                    "no '#Log-type: SMTP Receive/Send Protocol Log' line; whether each session "
                    "was received or sent is inferred from who issued EHLO/MAIL FROM")
    for raw in read_table(sample, report, CHUNK_ROWS):
        out = _Records()
        _consume(raw, report, state, direction, out)
        if len(out):
            yield Batch(OBSERVATIONS, out.frame(report.path))


def _consume(raw: pd.DataFrame, report: FileReport, state: _State, direction: str,
             out: _Records) -> None:
    rows = raw[ROW_COLUMN]
    when_text = pick(raw, "date-time")
    # Exchange always writes ISO 8601 UTC here; anything else is a damaged line, and so is a
    # year outside pandas' nanosecond range ("0001" parses, then breaks the timestamp column).
    stamps = pd.to_datetime(when_text.str.strip(), format="ISO8601", errors="coerce", utc=True)
    stamps = stamps.where((stamps >= _EARLIEST) & (stamps <= _LATEST))
    sid = pick(raw, "session-id").str.strip()
    event = pick(raw, "event").str.strip()
    data = pick(raw, "data")
    context = pick(raw, "context")
    local = pick(raw, "local-endpoint").str.strip()
    remote = pick(raw, "remote-endpoint").str.strip()

    bad_date = stamps.isna()
    reject_rows(report, rows, bad_date, "bad-date",
                "date-time is not an ISO timestamp; the line is damaged", "date-time", when_text)
    no_session = ~bad_date & (sid == "")
    reject_rows(report, rows, no_session, "no-session",
                "the line has no session-id, so it cannot be placed in a session", "session-id")
    bad_event = ~bad_date & ~no_session & ~event.isin(_EVENTS)
    reject_rows(report, rows, bad_event, "bad-event",
                "event is not one of + - < > *; the line is damaged", "event", event)
    ok = ~(bad_date | no_session | bad_event)
    report.use(int(ok.sum()))

    # Only some lines change a session: its first line, connect (a send log's first line,
    # "attempting to connect", has no local endpoint yet), commands, TLS/auth results and
    # disconnect.
    connectors = pick(raw, "connector-id").str.strip()
    key_text = sid + "\x1f" + connectors
    first = ok & ~key_text.where(ok, None).duplicated()
    command = event.isin(("<", ">")) & data.str.match(_COMMAND, case=False)
    info = (event == "*") & (context.str.contains("negotiation succeeded|^\\s*authenticated\\s*$",
                                                  case=False, regex=True)
                             | data.str.contains("negotiation succeeded", case=False))
    wanted = ok & (first | event.isin(("+", "-")) | command | info)
    picked = [col[wanted].tolist() for col in (rows, stamps, sid, event, data, context, local,
                                               remote, connectors)]
    for row, when, session_id, ev, text, ctx, loc, rem, connector in zip(*picked, strict=True):
        # Session ids are unique per transport service; the connector keeps two servers' logs
        # apart should their ids ever meet.
        key = (direction, session_id, connector)
        session = state.open.get(key)
        if session is None:
            session = _Session(report.path, row, when, direction, connector, session_id,
                               split_endpoint(loc), split_endpoint(rem))
            state.open[key] = session
        else:
            if not session.local[0] and loc:
                session.local = split_endpoint(loc)
            if not session.remote[0] and rem:
                session.remote = split_endpoint(rem)
        if ev == "-":
            del state.open[key]
            if session.messages == 0:
                _target(state, session, report, out).add(session, session.first_row,
                                                          session.start, "", 0)
        elif ev == "*":
            _information(session, text, ctx)
        else:
            _command(session, state, report, out, row, when, ev, text)


def _information(session: _Session, data: str, context: str) -> None:
    match = _TLS_LINE.search(context) or _TLS_LINE.search(data)
    if match:
        session.tls = protocol_tls(match.group(1))
        session.cipher = match.group(2) or ""
    elif context.strip().lower() == "authenticated" and data.strip():
        session.auth_user = data.strip()
        session.auth_protocol = session.pending_auth


def _command(session: _Session, state: _State, report: FileReport, out: _Records, row: int,
             when: pd.Timestamp, event: str, text: str) -> None:
    if not session.direction:  # no #Log-type: whoever issues commands is the client
        session.direction = INBOUND if event == "<" else OUTBOUND
    if event != ("<" if session.direction == INBOUND else ">"):
        return  # the server's side of the conversation
    if match := _HELO.match(text):
        session.hostname = match.group(1)
    elif match := _MAIL_FROM.match(text):
        address = (match.group(1) if match.group(1) is not None else match.group(2)) or ""
        session.messages += 1
        own_file = session.source == report.path
        _target(state, session, report, out).add(
            session, row if own_file else session.first_row, when, address.strip().lower(), 1)
    elif match := _AUTH.match(text):
        mechanism = match.group(1).upper()
        session.pending_auth = _AUTH_PROTOCOLS.get(mechanism, mechanism)


def _target(state: _State, session: _Session, report: FileReport, out: _Records) -> _Records:
    """Records of this file go out now; those of a session begun in an earlier file wait."""
    if session.source == report.path:
        return out
    return state.held.setdefault(session.source, _Records())


def finish(context: LoadContext) -> Iterator[Batch]:
    """After the last file: sessions still open, and records held for their start file."""
    state: _State | None = context.state.pop(STATE_KEY, None)
    if state is None:
        return
    still_open: dict[str, int] = {}
    for session in state.open.values():
        still_open[session.source] = still_open.get(session.source, 0) + 1
        if session.messages == 0:
            state.held.setdefault(session.source, _Records()).add(
                session, session.first_row, session.start, "", 0)
    for source, count in still_open.items():
        report = context.reports.get(source)
        if report is not None:
            report.note(None, "open-session",
                        f"{count} session(s) have no disconnect line in the files read; they "
                        "are counted as logged (add the next hour's log to complete them)")
    for source, records in state.held.items():
        if len(records):
            yield Batch(OBSERVATIONS, records.frame(source))


def protocol_tls(token: str) -> str:
    """``SP_PROT_TLS1_2_SERVER``, ``SP_PROT-TLS1_0_CLIENT`` or the SchannelProtocols number."""
    token = token.strip()
    if token.isdigit():
        bits = int(token)
        for mask, version in _PROTOCOL_BITS:
            if bits & mask:
                return version
    return normalize_tls(token)


def _server_of(connector: str) -> str:
    """Receive connector ids are ``SERVER\\Name``; send connectors have no server part."""
    server, sep, _ = connector.partition("\\")
    return server.strip() if sep else ""


FORMAT = Format(
    name=NAME,
    description="Exchange Server SMTP Receive / Send protocol logs (RECV*.log, SEND*.log)",
    kind=OBSERVATIONS,
    carries_tls=True,
    signature=FIELDS,
    detect=detect,
    read=read,
    finish=finish,
    recognised_by="'#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
                  "remote-endpoint,event,data,context' (#Log-type SMTP Receive/Send Protocol Log)",
)
