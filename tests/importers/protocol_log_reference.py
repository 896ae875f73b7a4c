"""A plain, line-by-line reading of Exchange SMTP protocol logs: the reference that the
importer's session state machine (``advance()`` over whole arrays of lines) is held to.

One Python loop over the lines of the files, in the order given, and a dict of the open
sessions: slow, and meant to be read. The rules it follows:

- A session is its session id and connector (both trimmed). It begins at its first line in
  the files read; a disconnect (``-``) ends it, and a later line with the same id and
  connector begins a new session.
- A session whose first line is its connect (``+``), or a send log's "attempting to connect"
  line, starts without TLS (``none``). One whose first line is anything else began before the
  files read: its TLS was negotiated, or not, in lines that are not here, so it is ``unknown``
  until a TLS line of its own says otherwise.
- An information line (``*``) "TLS protocol X negotiation succeeded ..." sets the session's
  TLS to X's version. STARTTLS alone changes nothing: only the negotiation's outcome counts.
- Each MAIL FROM the client sends (``<`` in a receive log, ``>`` in a send log) is a message
  carrying the session's TLS at that moment; its sender is the address, trimmed, lower case.
  Replies of the server that quote a command are not commands.
- A session that ends without any MAIL FROM, or is still open after the last file, is one
  record with no message and no sender.
- A record's source is the file its session began in. Its row is the MAIL FROM line's row
  when that line is in the same file, else the session's first row (a record points into its
  own file); a record without a message is at the session's first row.

The lines' patterns are the importer's Python ones (``protocol_log_lines``), which its
column-wise classification is tested against separately; the state is what this checks.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from o365tls.importers.protocol_log_lines import CONNECTING, MAIL_FROM, TLS_LINE
from o365tls.tls import NONE, SSL3, TLS10, TLS11, TLS12, TLS13, UNKNOWN, normalize_tls

FIELDS = (
    "date-time",
    "connector-id",
    "session-id",
    "sequence-number",
    "local-endpoint",
    "remote-endpoint",
    "event",
    "data",
    "context",
)
# SchannelProtocols bits, for logs that print the number: the highest version set wins.
_BITS = ((0x3000, TLS13), (0x0C00, TLS12), (0x0300, TLS11), (0x00C0, TLS10), (0x0030, SSL3))


@dataclass(frozen=True)
class Record:
    source: str  # the file name the session began in
    row: int
    session_id: str
    sender: str
    tls: str
    messages: int


@dataclass
class _Session:
    source: str
    first_row: int
    session_id: str
    tls: str
    messages: int = 0


def version(token: str) -> str:
    """The TLS version a negotiation line names (``SP_PROT_TLS1_2_SERVER``, or a number)."""
    token = token.strip()
    if token.isdigit():
        for mask, found in _BITS:
            if int(token) & mask:
                return found
    return normalize_tls(token)


def read(paths: list[Path]) -> list[Record]:
    """The records of the logs ``paths``, read in that order, in the order they are made."""
    records: list[Record] = []
    open_sessions: dict[tuple[str, str], _Session] = {}
    for path in paths:
        client = _client_event(path)
        row = 0
        for text in path.read_text(encoding="utf-8-sig").splitlines():
            if text.startswith("#"):
                continue
            row += 1
            line = dict(zip(FIELDS, next(csv.reader([text])), strict=True))
            event, data, context = line["event"].strip(), line["data"], line["context"]
            key = (line["session-id"].strip(), line["connector-id"].strip())
            session = open_sessions.get(key)
            if session is None:
                opens = event == "+" or (event == "*" and CONNECTING in context.lower())
                session = open_sessions[key] = _Session(
                    path.name, row, key[0], NONE if opens else UNKNOWN
                )
            if event == "*":
                found = TLS_LINE.search(context) or TLS_LINE.search(data)
                if found:
                    session.tls = version(found.group(1))
            mail = MAIL_FROM.match(data) if event == client else None
            if mail:
                session.messages += 1
                sender = (mail.group(1) or mail.group(2) or "").strip().lower()
                at = row if path.name == session.source else session.first_row
                records.append(
                    Record(session.source, at, session.session_id, sender, session.tls, 1)
                )
            if event == "-":
                del open_sessions[key]
                if not session.messages:
                    records.append(_quiet(session))
    records.extend(_quiet(s) for s in open_sessions.values() if not s.messages)
    return records


def _quiet(session: _Session) -> Record:
    return Record(session.source, session.first_row, session.session_id, "", session.tls, 0)


def _client_event(path: Path) -> str:
    """The event of the client's lines: ``<`` in a receive log, ``>`` in a send log."""
    with path.open(encoding="utf-8-sig") as lines:
        for text in lines:
            if text.lower().startswith("#log-type:"):
                return ">" if "send" in text.lower() else "<"
            if not text.startswith("#"):
                break
    raise ValueError(f"{path}: no #Log-type line (the reference needs it)")
