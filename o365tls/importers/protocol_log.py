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

The lines are classified column by column (:mod:`.protocol_log_lines`) and the sessions'
state computed over arrays (:mod:`.protocol_log_sessions`): no Python work per log line.
Reading is two steps (``Format.prepare`` / ``read_prepared``): parsing, checking, classifying
and sorting a file's lines needs nothing from other files, and with ``--jobs`` runs ahead for
the next files on worker processes; only the sessions' advance runs in file order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import pandas_dtype
from pandas.arrays import ArrowStringArray

from ..quality import FileReport
from ..schema import (
    AUTH_PROTOCOL,
    AUTH_USER,
    CIPHER,
    COLUMNS,
    CONNECTOR,
    DESTINATION_IP,
    DIRECTION,
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
    SOURCE,
    TIMESTAMP,
    TLS,
)
from ..tls import SSL3, TLS10, TLS11, TLS12, TLS13, normalize_tls
from . import protocol_log_lines as lines
from .base import Batch, Format, LoadContext, reject_rows
from .protocol_log_sessions import (
    EVENTS,
    INFORMATION,
    Coded,
    Columns,
    Segmented,
    advance,
    coded,
    concat,
    is_value,
    no_sessions,
    segment,
    session_records,
    subset,
    text,
)
from .sample import TEXT, Sample
from .table import ROW_COLUMN, column_for, read_arrow

NAME = "exchange-protocol-log"
FIELDS = ("date-time", "connector-id", "session-id", "sequence-number", "local-endpoint",
          "remote-endpoint", "event", "data", "context")
STATE_KEY = NAME
# Log lines per chunk (read_arrow's tables are cut to this size); records are emitted per
# chunk and only the open sessions' state is carried from one chunk to the next.
CHUNK_ROWS = 50_000
BATCH_RECORDS = 100_000

_EVENTS = pa.array(EVENTS, pa.string())
# SASL mechanisms in the SMTP AUTH report's words (Basic/OAuth); others (NTLM, GSSAPI) as logged.
_AUTH_PROTOCOLS = {"LOGIN": "Basic", "PLAIN": "Basic", "XOAUTH2": "OAuth"}
# SchannelProtocols bits, for builds that print the number instead of the SP_PROT_ name.
_PROTOCOL_BITS = ((0x3000, TLS13), (0x0C00, TLS12), (0x0300, TLS11), (0x00C0, TLS10),
                  (0x0030, SSL3))
_TEXT = pa.large_string()
_STR = pandas_dtype("str")
# Text columns of the session records (protocol_log_sessions).
_OBSERVATION_NAMES = pd.Index([column.name for column in COLUMNS[OBSERVATIONS]])
_TEXT_RECORDS = frozenset({"source", "direction", "connector", "session_id", "lip", "rip",
                           "hostname", "tls", "cipher", "auth_user", "auth_protocol", "sender"})


@dataclass
class _State:
    """Carried across the chunks and files of one load."""

    open: Columns = field(default_factory=no_sessions)
    # Records of sessions that started in an earlier file, held so that each file's report
    # counts its own records; emitted by finish().
    # Kept as they come (finish() groups them by file, the files in order of first record).
    held: list[Columns] = field(default_factory=list)


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
    return read_prepared(prepare(sample, report), sample, report, context)


def prepare(sample: Sample, report: FileReport) -> Iterator[Segmented]:
    """The lines of one file that change a session, classified and sorted by session, chunk
    by chunk: everything that needs no state from earlier files (parsing, checks, rejections,
    classification, segments), so that with ``--jobs`` the loader runs it for the next files
    on worker processes while this one is read."""
    direction = _file_direction(sample)
    if not direction:
        report.note(None, "no-log-type",
                    "no '#Log-type: SMTP Receive/Send Protocol Log' line; whether each session "
                    "was received or sent is inferred from who issued EHLO/MAIL FROM")
    columns = [c for c in sample.header if c != "sequence-number"]
    names = {name: column_for(columns, name) for name in FIELDS}  # as the file spells them
    for table in read_arrow(sample, report, CHUNK_ROWS, columns=columns):
        for begin in range(0, table.num_rows, CHUNK_ROWS):
            line = _classify(table.slice(begin, CHUNK_ROWS), report, direction, names)
            if line is not None:
                yield segment(line, direction)


def read_prepared(chunks: Iterable[Segmented], sample: Sample, report: FileReport,
                  context: LoadContext) -> Iterator[Batch]:
    """The sessions' part, in file order: the prepared lines advance the open sessions (carried
    in the load context from file to file) into records. It writes nothing to the report."""
    state = context.state.get(STATE_KEY) or context.state.setdefault(STATE_KEY, _State())
    direction = _file_direction(sample)
    pending: list[Columns] = []
    count = 0
    for chunk in chunks:
        records = _advance(chunk, report.path, state, direction)
        if len(records["row"]):
            pending.append(records)
            count += len(records["row"])
        # Records are small next to the lines they come from; a batch per file (or per
        # BATCH_RECORDS) keeps the frame-building overhead off every chunk.
        if count >= BATCH_RECORDS:
            yield Batch(OBSERVATIONS, _frame(pending, report.path))
            pending, count = [], 0
    if count:
        yield Batch(OBSERVATIONS, _frame(pending, report.path))


def _classify(raw: pa.Table, report: FileReport, direction: str,
              names: dict[str, str | None]) -> Columns | None:
    """Account for the lines of a chunk; those that change a session, classified (None when
    no line is usable). ``names``: the chunk's column of each of FIELDS."""
    rows = raw.column(ROW_COLUMN).to_numpy()
    when_text = _column(raw, names["date-time"])
    # Exchange always writes ISO 8601 UTC here; anything else is a damaged line, and so is a
    # year outside pandas' nanosecond range ("0001" parses, then breaks the timestamp column).
    stamps = lines.parse_stamps(when_text)
    sid, sids = _trimmed_codes(_text(raw, names["session-id"]))
    events = _column(raw, names["event"])

    bad_date = stamps == lines.NAT
    no_session = ~bad_date & _is(sids, "")[sid]
    # Each line's event as its position in _EVENTS (-1: none of them), in one pass.
    kind = pc.index_in(events, value_set=_EVENTS).fill_null(-1).to_numpy(zero_copy_only=False)
    if (kind < 0).any():  # padded (or damaged) events: an event is read trimmed
        events = pc.utf8_trim_whitespace(events)
        kind = pc.index_in(events, value_set=_EVENTS).fill_null(-1).to_numpy(
            zero_copy_only=False)
    bad_event = ~bad_date & ~no_session & (kind < 0)
    for mask, code, message, column, values in (
            (bad_date, "bad-date", "date-time is not an ISO timestamp; the line is damaged",
             "date-time", when_text),
            (no_session, "no-session", "the line has no session-id, so it cannot be placed in "
             "a session", "session-id", None),
            (bad_event, "bad-event", "event is not one of + - < > *; the line is damaged",
             "event", events)):
        if mask.any():
            where = np.flatnonzero(mask)
            reject_rows(report, pd.Series(rows[where]), pd.Series(True, index=range(len(where))),
                        code, message, column,
                        None if values is None else pd.Series(values.take(where).to_pylist()))
    ok = ~(bad_date | no_session | bad_event)
    report.use(int(ok.sum()))
    if not ok.any():
        return None

    # Only some lines change a session: its first line here (a continuation from an earlier
    # chunk or file), connect (a send log's first line, "attempting to connect", has no local
    # endpoint yet), commands, TLS/auth results and disconnect.
    connector, connectors = _trimmed_codes(_text(raw, names["connector-id"]))
    key_codes = sid * (len(connectors) + 1) + connector
    first = ok & ~pd.Series(np.where(ok, key_codes, -1)).duplicated().to_numpy()
    said = ok & ((kind == 2) | (kind == 3))
    noted = ok & (kind == 4)
    data = _column(raw, names["data"])
    context = _column(raw, names["context"])
    command = np.zeros(raw.num_rows, dtype=bool)
    said &= lines.may_be_command(data)  # most are replies: no regex for them
    command[said] = lines.matches(_take(data, said), lines.RE2_COMMAND, lines.COMMAND,
                                  search=False)
    info, notes = _notes(data, context, noted)
    picked = np.flatnonzero(ok & (first | (kind == 0) | (kind == 1) | command | info))
    at = pa.array(picked)
    ev = kind[picked].astype(np.int8)  # codes of EVENTS
    session_ids, conns = sids.take(sid[picked]), connectors.take(connector[picked])
    # Session ids are unique per transport service; the connector keeps two servers' logs
    # apart should their ids ever meet. The key's text is direction, id and connector joined
    # by \x1f: without that character in them, the (id, connector) codes say the same.
    joined = any(pc.any(pc.match_substring(words, "\x1f")).as_py()
                 for words in (sids, connectors))
    key = key_codes[picked] if not joined else pc.binary_join_element_wise(
        pa.scalar(direction, pa.string()), session_ids, conns, pa.scalar("\x1f", pa.string()))
    line = {"key": key, "row": rows[picked], "when": stamps[picked], "ev": ev,
            "session_id": session_ids, "connector": conns, "cmd": command[picked]}
    for prefix, name in (("l", "local-endpoint"), ("r", "remote-endpoint")):
        codes, ips, line[prefix + "port"] = lines.endpoints(_at(_column(raw, names[name]), at))
        line[prefix + "ip"] = Coded(codes, ips)
    line.update(_commands(data, picked, line["cmd"]))
    line.update(_information(notes, picked, ev == INFORMATION))
    return line


def _advance(chunk: Segmented, path: str, state: _State, direction: str) -> Columns:
    """The records of this file that the chunk's lines complete; those of sessions begun in
    an earlier file are held for that file."""
    records, held, state.open = advance(chunk, state.open, path, direction)
    if held is not None:
        state.held.append(held)
    return records


def _text(raw: pa.Table, name: str | None) -> pa.Array:
    """A text column as one array; empty strings when the log has no such field (None)."""
    column = _column(raw, name)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _column(raw: pa.Table, name: str | None) -> pa.Array | pa.ChunkedArray:
    """A text column as it is (the parser may cut a file in two chunks): for the kernels that
    take chunks, and :func:`_at`, which joins only the lines taken."""
    if name is None:
        return pa.repeat(pa.scalar("", pa.string()), raw.num_rows)
    column = raw.column(name)
    return column.chunk(0) if column.num_chunks == 1 else column


def _at(values: pa.Array | pa.ChunkedArray, at) -> pa.Array:
    """``values.take(at)`` as one array."""
    taken = values.take(at)
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _is(values: pa.Array, text: str) -> np.ndarray:
    return pc.equal(values, text).to_numpy(zero_copy_only=False)


def _trimmed_codes(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values) of a text column, trimmed: once per distinct text (a log
    repeats its few connectors and a session's id on each of its lines)."""
    found = pc.dictionary_encode(values)
    trimmed = pc.dictionary_encode(pc.utf8_trim_whitespace(found.dictionary))
    codes = trimmed.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes[found.indices.to_numpy(zero_copy_only=False)], trimmed.dictionary


def _take(values: pa.Array, mask: np.ndarray) -> pa.Array:
    return values.filter(pa.array(mask))


def _commands(data: pa.Array, picked: np.ndarray, cmd: np.ndarray) -> Columns:
    n = len(picked)
    where = np.flatnonzero(cmd)
    # Once per distinct command text: sessions repeat the same EHLO, AUTH and STARTTLS.
    texts = pc.dictionary_encode(_at(data, pa.array(picked[where])))
    parsed = lines.commands(texts.dictionary)
    mechanism = parsed["mechanism"]
    for sasl, protocol in _AUTH_PROTOCOLS.items():
        mechanism[mechanism == sasl] = protocol
    codes = texts.indices.to_numpy(zero_copy_only=False)
    out: Columns = {}
    for name in ("helo", "mail", "auth"):
        out[name] = np.zeros(n, bool)
        out[name][where] = parsed[name][codes]
    for name, values in (("host", "host"), ("address", "address"), ("mechanism", "mechanism")):
        out[name] = coded(parsed[values], where, codes, n)
    return out


@dataclass
class _Notes:
    """The information lines of a chunk, per distinct (context, data) pair: a log repeats a
    handful of TLS and permission lines thousands of times."""

    pair: np.ndarray  # per line of the chunk, its pair (-1: not an information line)
    data: pa.Array  # per pair
    context: pa.Array


def _notes(data: pa.Array, context: pa.Array, noted: np.ndarray) -> tuple[np.ndarray, _Notes]:
    """(the information lines that report a TLS outcome or a login, their pairs)."""
    info = np.zeros(len(noted), dtype=bool)
    pair = np.full(len(noted), -1, dtype=np.int64)
    where = np.flatnonzero(noted)
    at = pa.array(where)
    texts, contexts = pc.dictionary_encode(_at(data, at)), pc.dictionary_encode(_at(context, at))
    pairs = (contexts.indices.to_numpy(zero_copy_only=False).astype(np.int64)
             * len(texts.dictionary) + texts.indices.to_numpy(zero_copy_only=False))
    _, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
    first = pa.array(first)
    notes = _Notes(pair, texts.dictionary.take(texts.indices.take(first)),
                   contexts.dictionary.take(contexts.indices.take(first)))
    pair[where] = inverse
    info[where] = (lines.matches(notes.context, lines.RE2_INFO, lines.INFO, search=True)
                   | lines.matches(notes.data, lines.RE2_INFO_DATA, lines.INFO_DATA,
                                   search=True))[inverse]
    return info, notes


def _information(notes: _Notes, picked: np.ndarray, noted: np.ndarray) -> Columns:
    """TLS outcome and login of the information lines (a few per session), read once per
    distinct (context, data) pair."""
    n = len(picked)
    where = np.flatnonzero(noted)
    used, inverse = np.unique(notes.pair[picked[where]], return_inverse=True)
    used_at = pa.array(used)
    tokens, ciphers, users = lines.info_lines(notes.data.take(used_at).to_pylist(),
                                              notes.context.take(used_at).to_pylist())
    m = len(used)
    u = {"is_tls": np.zeros(m, bool), "tls": np.full(m, "", object),
         "cipher": np.full(m, "", object), "is_user": np.zeros(m, bool),
         "user": np.full(m, "", object)}
    for i, (token, cipher, user) in enumerate(zip(tokens, ciphers, users, strict=True)):
        if token is not None:
            u["is_tls"][i], u["tls"][i], u["cipher"][i] = True, protocol_tls(token), cipher
        elif user is not None:
            u["is_user"][i], u["user"][i] = True, user
    out: Columns = {}
    for name, values in u.items():
        if values.dtype == bool:
            out[name] = np.zeros(n, bool)
            out[name][where] = values[inverse]
        else:
            out[name] = coded(values, where, inverse, n)
    return out


def _frame(parts: list[Columns], source: str | None) -> pd.DataFrame:
    """Canonical observations of some records (of ``source``; None: of the file each record's
    session started in). Inbound (and a session whose side never
    showed): the peer is the sender. Outbound: this server was the client and the peer is
    the destination."""
    records = {k: concat([p[k] for p in parts]) for k in parts[0]} if len(parts) > 1 \
        else parts[0]
    length = len(records["row"])
    # Text columns are Arrow arrays (object arrays of str are taken too) and stay Arrow.
    records = {k: text(v) if k in _TEXT_RECORDS else v for k, v in records.items()}
    outbound = pa.array(is_value(records["direction"], OUTBOUND))
    connectors = pc.dictionary_encode(records["connector"])
    servers = pa.array([_server_of(c) for c in connectors.dictionary.to_pylist()],
                       _TEXT).take(connectors.indices)
    stamps = records["when"].astype(np.int64).view("datetime64[ns]")
    return _canonical({
        SOURCE: records["source"] if source is None else source, GRAIN: GRAIN_MESSAGE,
        CONNECTOR: records["connector"],
        DIRECTION: records["direction"],
        SENDER_IP: pc.if_else(outbound, records["lip"], records["rip"]),
        DESTINATION_IP: pc.if_else(outbound, records["rip"], pa.scalar("", _TEXT)),
        SENDER_ADDRESS: records["sender"],
        AUTH_USER: records["auth_user"], AUTH_PROTOCOL: records["auth_protocol"],
        HOSTNAME: records["hostname"], SESSION_ID: records["session_id"], TLS: records["tls"],
        CIPHER: records["cipher"], SERVER: servers,
        ROW: records["row"], TIMESTAMP: pd.DatetimeIndex(stamps).tz_localize("UTC").array,
        SENDER_PORT: np.where(outbound, records["lport"], records["rport"]),
        LOCAL_PORT: np.where(outbound, records["rport"], records["lport"]),
        MESSAGES: records["messages"]}, length)


def _canonical(data: dict[str, object], length: int) -> pd.DataFrame:
    """What ``canonical(OBSERVATIONS, data, length, source)`` gives for these typed columns
    (text: large_string Arrow arrays or a constant; int: int64; the timestamp: UTC), built
    directly: canonical() converts every column again, ~10 ms a frame whatever its length,
    and a load builds two frames per log file (the test holds the two equal)."""
    out: dict[str, object] = {}
    for column in COLUMNS[OBSERVATIONS]:
        value = data.get(column.name)
        if column.dtype == "str":
            if value is None or isinstance(value, str):
                value = pa.repeat(pa.scalar(value or "", _TEXT), length)
            # What pd.array(value, dtype="str") gives for large_string without nulls, ten
            # times faster (its checks cost 20 us a column, ~2 seconds a million sessions).
            out[column.name] = ArrowStringArray(text(value), dtype=_STR)
        elif column.dtype == "int":
            out[column.name] = np.zeros(length, np.int64) if value is None \
                else np.asarray(value, dtype=np.int64)
        elif column.dtype == "datetime":
            out[column.name] = value
        else:  # forced_tls: not in the logs
            out[column.name] = np.full(length, None, dtype=object)
    # The columns are already what the frame's blocks hold (int64 and object ndarrays,
    # ArrowStringArray, DatetimeArray) and fresh (no copy needed): the checked constructor,
    # pd.DataFrame(dict), costs four times as much, ~0.3 ms a frame.
    return pd.DataFrame._from_arrays(list(out.values()), _OBSERVATION_NAMES,
                                     pd.RangeIndex(length), verify_integrity=False)


def finish(context: LoadContext) -> Iterator[Batch]:
    """After the last file: sessions still open, and records held for their start file."""
    state: _State | None = context.state.pop(STATE_KEY, None)
    if state is None:
        return
    sessions = state.open
    still_open = Counter(sessions["source"].to_pylist())
    quiet = session_records(sessions)
    if len(quiet["row"]):
        state.held.append(quiet)
    for source, count in still_open.items():
        report = context.reports.get(source)
        if report is not None:
            report.note(None, "open-session",
                        f"{count} session(s) have no disconnect line in the files read; they "
                        "are counted as logged (add the next hour's log to complete them)")
    if not state.held:
        return
    # One frame for all (a file's frame costs ~1 ms whatever its length, and most hourly files
    # hold a few sessions for their predecessor), cut into one batch per start file: the files
    # in the order of their first held record, each file's records in the order they came
    # (codes number the files in order of first appearance; the sort is stable).
    records = {k: concat([p[k] for p in state.held]) for k in state.held[0]}
    codes = pc.dictionary_encode(records["source"]).indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")
    frame = _frame([{k: subset(v, order) for k, v in records.items()}], None)
    ends = np.cumsum(np.bincount(codes))
    for begin, end in zip(np.r_[0, ends[:-1]].tolist(), ends.tolist(), strict=True):
        yield Batch(OBSERVATIONS, frame.iloc[begin:end].reset_index(drop=True))


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
    prepare=prepare,
    read_prepared=read_prepared,
    finish=finish,
    recognised_by="'#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
                  "remote-endpoint,event,data,context' (#Log-type SMTP Receive/Send Protocol Log)",
)
