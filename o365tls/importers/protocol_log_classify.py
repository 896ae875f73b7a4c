"""Chunk classification for :mod:`.protocol_log`: which lines of a chunk are usable (the
others rejected with a reason), which of them change a session (its first line here,
connect, disconnect, the client's commands, TLS and login information lines), and what each
says, over whole columns (:mod:`.protocol_log_lines` holds the patterns). Needs nothing from
other files: with ``--jobs`` it runs on worker processes, ahead of the sessions' advance."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames.arrow import first_bytes, masked_ips, one_array
from ..quality import FileReport
from ..schema import INBOUND
from ..tls import SSL3, TLS10, TLS11, TLS12, TLS13, normalize_tls
from . import protocol_log_lines as lines
from .base import reject_rows
from .protocol_log_sessions import (
    CONNECT,
    DISCONNECT,
    EVENTS,
    INFORMATION,
    Coded,
    Columns,
    coded,
    is_value,
)
from .table import ROW_COLUMN

_EVENTS = pa.array(EVENTS, pa.string())
_EVENT_OF_BYTE = np.full(256, -1, dtype=np.int64)  # a one-byte event's position in EVENTS
_EVENT_OF_BYTE[[ord(e) for e in EVENTS]] = np.arange(len(EVENTS))
# SASL mechanisms in the SMTP AUTH report's words (Basic/OAuth); others (NTLM, GSSAPI) as logged.
_AUTH_PROTOCOLS = {"LOGIN": "Basic", "PLAIN": "Basic", "XOAUTH2": "OAuth"}
# SchannelProtocols bits, for builds that print the number instead of the SP_PROT_ name.
_PROTOCOL_BITS = (
    (0x3000, TLS13),
    (0x0C00, TLS12),
    (0x0300, TLS11),
    (0x00C0, TLS10),
    (0x0030, SSL3),
)


def classify(
    raw: pa.Table, report: FileReport, direction: str, names: dict[str, str | None]
) -> Columns | None:
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
    no_session = ~bad_date & is_value(sids, "")[sid]
    # Each line's event as its position in _EVENTS (-1: none of them): events are one byte,
    # read from the column's buffers.
    lead, length = first_bytes(events)
    kind = np.where(length == 1, _EVENT_OF_BYTE[lead], -1)
    if (kind < 0).any():  # padded (or damaged) events: an event is read trimmed
        events = pc.utf8_trim_whitespace(events)
        kind = pc.index_in(events, value_set=_EVENTS).fill_null(-1).to_numpy(zero_copy_only=False)
    bad_event = ~bad_date & ~no_session & (kind < 0)
    for mask, code, message, column, values in (
        (
            bad_date,
            "bad-date",
            "date-time is not an ISO timestamp; the line is damaged",
            "date-time",
            when_text,
        ),
        (
            no_session,
            "no-session",
            "the line has no session-id, so it cannot be placed in a session",
            "session-id",
            None,
        ),
        (
            bad_event,
            "bad-event",
            "event is not one of + - < > *; the line is damaged",
            "event",
            events,
        ),
    ):
        if mask.any():
            where = np.flatnonzero(mask)
            reject_rows(
                report,
                pd.Series(rows[where]),
                pd.Series(True, index=range(len(where))),
                code,
                message,
                column,
                None if values is None else pd.Series(values.take(where).to_pylist()),
            )
    ok = ~(bad_date | no_session | bad_event)
    report.use(int(ok.sum()))
    if not ok.any():
        return None

    # Only some lines change a session: its first line here (a continuation from an earlier
    # chunk or file, or an id begun again after its disconnect), connect (a send log's first
    # line, "attempting to connect", has no local endpoint yet), commands, TLS/auth results
    # and disconnect.
    connector, connectors = _trimmed_codes(_text(raw, names["connector-id"]))
    key_codes = sid * (len(connectors) + 1) + connector
    first = _session_starts(np.where(ok, key_codes, -1), kind == DISCONNECT)
    said = ok & ((kind == 2) | (kind == 3))
    noted = ok & (kind == 4)
    data = _column(raw, names["data"])
    context = _column(raw, names["context"])
    said &= lines.may_be_command(data)  # most are replies: no regex for them
    command, commands = _command_lines(data, said)
    info, notes = _notes(data, context, noted)
    picked = np.flatnonzero(ok & (first | (kind == 0) | (kind == 1) | command | info))
    at = pa.array(picked)
    ev = kind[picked].astype(np.int8)  # codes of EVENTS
    session_ids, conns = sids.take(sid[picked]), connectors.take(connector[picked])
    # Session ids are unique per transport service; the connector keeps two servers' logs
    # apart should their ids ever meet. The key's text is direction, id and connector joined
    # by \x1f: without that character in them, the (id, connector) codes say the same.
    joined = any(pc.any(pc.match_substring(words, "\x1f")).as_py() for words in (sids, connectors))
    key = (
        key_codes[picked]
        if not joined
        else pc.binary_join_element_wise(
            pa.scalar(direction, pa.string()), session_ids, conns, pa.scalar("\x1f", pa.string())
        )
    )
    line = {
        "key": key,
        "row": rows[picked],
        "when": stamps[picked],
        "ev": ev,
        "session_id": session_ids,
        "connector": conns,
        "cmd": command[picked],
    }
    for prefix, name in (("l", "local-endpoint"), ("r", "remote-endpoint")):
        codes, ips, line[prefix + "port"], odd = lines.endpoints(_at(_column(raw, names[name]), at))
        line[prefix + "ip"] = Coded(codes, ips)
    _count_masked(report, raw, names, ok, odd, direction)
    line["opens"] = _opens(kind[picked], context, picked)
    line.update(_commands(commands, len(picked), np.flatnonzero(line["cmd"])))
    line.update(_information(notes, picked, ev == INFORMATION))
    return line


def _session_starts(keys: np.ndarray, disconnect: np.ndarray) -> np.ndarray:
    """Which lines begin a session in the chunk (``keys``: each line's session, -1 for an
    unusable line): the first line of each session here (a continuation, or a new session),
    and the first line of a session id after its disconnect (the id begun again, a new
    session). Kept whatever else they say, so that the same lines begin the same sessions
    wherever the chunks are cut."""
    keyed = pd.Series(keys)
    starts = (keys >= 0) & ~keyed.duplicated().to_numpy()
    # A disconnect followed by another line of its id is rare: only then are lines sorted.
    if (disconnect & (keys >= 0) & keyed.duplicated(keep="last").to_numpy()).any():
        at = np.flatnonzero(keys >= 0)
        at = at[np.argsort(keys[at], kind="stable")]
        same = keys[at][1:] == keys[at][:-1]
        starts[at[1:][same & disconnect[at][:-1]]] = True
    return starts


def _count_masked(
    report: FileReport,
    raw: pa.Table,
    names: dict[str, str | None],
    ok: np.ndarray,
    odd: pa.Array,
    direction: str,
) -> None:
    """Count the usable lines whose peer endpoint is masked by hand (a log shared publicly):
    used, the peer unknown (the sender in a receive log, the destination in a send log).
    Each session's first line of the chunk is among the picked ones and a session keeps its
    endpoint: only when one of their peer endpoints not of the usual IPv4:port shape
    (``odd``) is masked are all the lines counted."""
    if not len(odd) or not masked_ips(odd)[0]:
        return
    remote = _column(raw, names["remote-endpoint"])
    report.see_masked_ips(
        *masked_ips(remote if ok.all() else _take(remote, ok)),
        what="sender IP" if direction == INBOUND else "remote IP",
    )


def _opens(kind: np.ndarray, context: pa.Array | pa.ChunkedArray, picked: np.ndarray) -> np.ndarray:
    """Which of the picked lines begin a session: a connect, or a send log's "attempting to
    connect" line before it."""
    opens = kind == CONNECT
    noted = np.flatnonzero(kind == INFORMATION)
    if len(noted):
        said = pc.match_substring(
            _at(context, pa.array(picked[noted])), lines.CONNECTING, ignore_case=True
        )
        opens[noted] = said.to_numpy(zero_copy_only=False)
    return opens


def _text(raw: pa.Table, name: str | None) -> pa.Array:
    """A text column as one array; empty strings when the log has no such field (None)."""
    return one_array(_column(raw, name))


def _column(raw: pa.Table, name: str | None) -> pa.Array | pa.ChunkedArray:
    """A text column as it is (the parser may cut a file in two chunks): for the kernels that
    take chunks, and :func:`_at`, which joins only the lines taken."""
    if name is None:
        return pa.repeat(pa.scalar("", pa.string()), raw.num_rows)
    column = raw.column(name)
    return column.chunk(0) if column.num_chunks == 1 else column


def _at(values: pa.Array | pa.ChunkedArray, at) -> pa.Array:
    """``values.take(at)`` as one array."""
    return one_array(values.take(at))


def _trimmed_codes(values: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """(codes, distinct values) of a text column, trimmed: once per distinct text (a log
    repeats its few connectors and a session's id on each of its lines)."""
    found = pc.dictionary_encode(values)
    trimmed = pc.dictionary_encode(pc.utf8_trim_whitespace(found.dictionary))
    codes = trimmed.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes[found.indices.to_numpy(zero_copy_only=False)], trimmed.dictionary


def _take(values: pa.Array | pa.ChunkedArray, mask: np.ndarray) -> pa.Array:
    """``values.filter(mask)`` as one array."""
    return one_array(values.filter(pa.array(mask)))


def _command_lines(data: pa.Array, said: np.ndarray) -> tuple[np.ndarray, pa.Array]:
    """(which lines are commands, the commands' text as dictionary codes): matched once per
    distinct text (sessions repeat the same EHLO, AUTH and STARTTLS), with the codes in
    line order (a text's first command line comes first, so the dictionary is in order of
    first appearance among the command lines)."""
    texts = pc.dictionary_encode(_take(data, said))
    is_command = lines.matches(texts.dictionary, lines.RE2_COMMAND, lines.COMMAND, search=False)
    codes = texts.indices.to_numpy(zero_copy_only=False)
    command = np.zeros(len(said), dtype=bool)
    command[said] = is_command[codes]
    position = np.cumsum(is_command) - 1  # a command text's place among the command texts
    kept = codes[is_command[codes]]
    return command, pa.DictionaryArray.from_arrays(
        pa.array(position[kept].astype(np.int32)), texts.dictionary.filter(is_command)
    )


def _commands(texts: pa.DictionaryArray, n: int, where: np.ndarray) -> Columns:
    """What the command lines (``texts``; at ``where`` of ``n`` lines) say, read once per
    distinct text."""
    parsed = lines.commands(texts.dictionary)
    mechanism = parsed["mechanism"]
    for sasl, protocol in _AUTH_PROTOCOLS.items():
        mechanism = pc.if_else(pc.equal(mechanism, sasl), protocol, mechanism)
    parsed["mechanism"] = mechanism
    codes = texts.indices.to_numpy(zero_copy_only=False)
    out: Columns = {}
    for name in ("helo", "mail", "auth"):
        flags = np.zeros(n, bool)
        flags[where] = parsed[name][codes]
        out[name] = flags
    for name, values in (("host", "host"), ("address", "address"), ("mechanism", "mechanism")):
        out[name] = _coded_arrow(parsed[values], where, codes, n)
    return out


def _coded_arrow(values: pa.Array, where: np.ndarray, inverse: np.ndarray, length: int) -> Coded:
    """:func:`.protocol_log_sessions.coded` of Arrow text (large_string): the same codes and
    words (in order of first appearance, "" first), without Python strings."""
    found = pc.dictionary_encode(pa.concat_arrays([pa.array([""], values.type), values]))
    codes = found.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    out = np.zeros(length, dtype=np.int64)
    out[where] = codes[1:][inverse]  # codes[0] is ""
    return Coded(out, found.dictionary)


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
    text_codes = texts.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    context_codes = contexts.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    # Pairs numbered in order of first appearance (a hash, not a sort): a pair's first line
    # is where its number first exceeds all before it.
    inverse = pd.factorize(context_codes * len(texts.dictionary) + text_codes)[0]
    new = np.ones(len(inverse), dtype=bool)
    new[1:] = inverse[1:] > np.maximum.accumulate(inverse)[:-1]
    first = np.flatnonzero(new)
    notes = _Notes(
        pair,
        texts.dictionary.take(text_codes[first]),
        contexts.dictionary.take(context_codes[first]),
    )
    pair[where] = inverse
    # Each pattern read once per distinct text of its column (a log has a handful of
    # contexts), then per pair.
    said = lines.matches(contexts.dictionary, lines.RE2_INFO, lines.INFO, search=True)
    data_said = lines.matches(texts.dictionary, lines.RE2_INFO_DATA, lines.INFO_DATA, search=True)
    info[where] = (said[context_codes[first]] | data_said[text_codes[first]])[inverse]
    return info, notes


def _information(notes: _Notes, picked: np.ndarray, noted: np.ndarray) -> Columns:
    """TLS outcome and login of the information lines (a few per session), read once per
    distinct (context, data) pair."""
    n = len(picked)
    where = np.flatnonzero(noted)
    used, inverse = np.unique(notes.pair[picked[where]], return_inverse=True)
    used_at = pa.array(used)
    tokens, ciphers, users = lines.info_lines(
        notes.data.take(used_at).to_pylist(), notes.context.take(used_at).to_pylist()
    )
    m = len(used)
    u = {
        "is_tls": np.zeros(m, bool),
        "tls": np.full(m, "", object),
        "cipher": np.full(m, "", object),
        "is_user": np.zeros(m, bool),
        "user": np.full(m, "", object),
    }
    for i, (token, cipher, user) in enumerate(zip(tokens, ciphers, users, strict=True)):
        if token is not None:
            u["is_tls"][i], u["tls"][i], u["cipher"][i] = True, protocol_tls(token), cipher
        elif user is not None:
            u["is_user"][i], u["user"][i] = True, user
    out: Columns = {}
    for name, values in u.items():
        if values.dtype == bool:
            flags = np.zeros(n, bool)
            flags[where] = values[inverse]
            out[name] = flags
        else:
            out[name] = coded(values, where, inverse, n)
    return out


def protocol_tls(token: str) -> str:
    """``SP_PROT_TLS1_2_SERVER``, ``SP_PROT-TLS1_0_CLIENT`` or the SchannelProtocols number."""
    token = token.strip()
    if token.isdigit():
        bits = int(token)
        for mask, version in _PROTOCOL_BITS:
            if bits & mask:
                return version
    return normalize_tls(token)
