"""The session state machine of :mod:`.protocol_log`, over whole arrays of lines.

The lines that matter in one chunk are sorted by session (stable, so each session's lines stay
in log order) and cut into segments: one per session, a disconnect ending it. A session's
state at a line is then the last value a line of its segment set up to there (a forward fill
that restarts at each segment), or else the state carried in from earlier chunks: the TLS of a
MAIL FROM is that of the last TLS line before it, its login the last ``authenticated`` line,
and so on. Only the sessions still open at the end of a chunk are carried, one row each, in
the order they opened (that order, like the records', is the one a line-by-line reader gives).

Text never becomes Python strings here (this step runs in file order, in the main process):
a line's text is a code into its chunk's dictionary of that column (made in :func:`segment`,
on the worker that prepares the file), a session's text state a code into the chunk's
dictionary followed by the carried sessions' values and the new session's value, and records
and carried sessions take their text out of those dictionaries with Arrow (``take``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames.arrow import one_array
from ..schema import INBOUND, OUTBOUND
from ..tls import NONE, UNKNOWN

#: What a session carries from chunk to chunk (and file to file), with a new session's value.
DEFAULTS: dict[str, object] = {
    "source": "",
    "first_row": 0,
    "start": 0,
    "direction": "",
    "connector": "",
    "session_id": "",
    "lip": "",
    "lport": 0,
    "rip": "",
    "rport": 0,
    "hostname": "",
    "tls": NONE,
    "cipher": "",
    "auth_user": "",
    "auth_protocol": "",
    "pending": "",
    "messages": 0,
}
_INTS = frozenset({"first_row", "start", "lport", "rport", "messages"})
#: Line events as their code in a chunk's "ev" column (the position here).
EVENTS = ("+", "-", "<", ">", "*")
CONNECT, DISCONNECT, RECEIVED, SENT, INFORMATION = range(len(EVENTS))
# State filled forward from the lines that set it: (state, line value, line mask).
_FILLED = (
    ("hostname", "host", "helo"),
    ("tls", "tls", "is_tls"),
    ("cipher", "cipher", "is_tls"),
    ("auth_user", "user", "is_user"),
    ("auth_protocol", "user_protocol", "is_user"),
)
#: Line columns of text, coded by :func:`segment` (the dictionaries in ``Segmented.words``).
LINE_TEXT = ("lip", "rip", "host", "address", "mechanism", "tls", "cipher", "user")
#: Line columns the same along a segment (one session): kept once per segment, not per line.
_PER_SESSION = ("key", "session_id", "connector")
#: What the carry holds per open session: its key and its state.
_CARRIED = ("key", *DEFAULTS)
_CARRIED_TEXT = tuple(n for n in _CARRIED if n not in _INTS)
#: The words every chunk's text starts with, after its path and direction (see advance()).
_WORDS = ("", NONE, INBOUND, OUTBOUND, UNKNOWN)
_EMPTY_AT, _INBOUND_AT, _OUTBOUND_AT, _UNKNOWN_AT = (
    2 + _WORDS.index(w) for w in ("", INBOUND, OUTBOUND, UNKNOWN)
)
TEXT = pa.large_string()  # what pandas' "str" columns hold: no conversion at the frame

Columns = dict[str, "np.ndarray | pa.Array | Coded"]
#: Records and open sessions: number columns as numpy arrays, text columns as Arrow arrays.
Records = dict[str, "np.ndarray | pa.Array"]
#: A chunk's lines sorted by session (:class:`Segmented`), and per-line or per-segment state:
#: numeric arrays only, text as codes.
Lines = dict[str, np.ndarray]


@dataclass
class Coded:
    """A line text column already coded by the classification (which reads its values once
    per distinct text anyway): ``words.take(codes)`` is the column."""

    codes: np.ndarray
    words: pa.Array  # large_string


def coded(values: np.ndarray, where: np.ndarray, inverse: np.ndarray, length: int) -> Coded:
    """A column of ``length`` lines: ``values[inverse]`` (per distinct text, object array of
    str) at positions ``where``, "" elsewhere."""
    codes, words = pd.factorize(np.concatenate([np.array([""], dtype=object), values]))
    out = np.zeros(length, dtype=np.int64)
    out[where] = codes[1:][inverse]  # codes[0] is ""
    return Coded(out, pa.array(words, TEXT))


def text(values) -> pa.Array:
    """Text (an object array of str, or Arrow strings) as one large_string Arrow array."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = one_array(values)
        return values if values.type == TEXT else values.cast(TEXT)
    return pa.array(values, TEXT)


def subset(values, selection: np.ndarray):
    """``values[selection]`` (a mask or positions) of a numpy or an Arrow column."""
    if isinstance(values, pa.Array):
        return values.filter(selection) if selection.dtype == bool else values.take(selection)
    return values[selection]


def concat(parts: list):
    return pa.concat_arrays(parts) if isinstance(parts[0], pa.Array) else np.concatenate(parts)


def is_value(dictionary: pa.Array, value: str) -> np.ndarray:
    """Per dictionary entry, whether it is ``value`` (index it with codes)."""
    return np.asarray(
        pc.equal(dictionary, pa.scalar(value, TEXT)).to_numpy(zero_copy_only=False), dtype=bool
    )


def no_sessions() -> Records:
    """The open sessions, as columns ("key" and those of :data:`DEFAULTS`)."""
    return {"key": pa.array([], TEXT)} | {
        n: np.empty(0, np.int64) if n in _INTS else pa.array([], TEXT) for n in DEFAULTS
    }


def _encode(values) -> tuple[np.ndarray, pa.Array]:
    """(codes, dictionary) of a text column, the dictionary in order of first appearance."""
    found = pc.dictionary_encode(text(values))
    return found.indices.to_numpy(zero_copy_only=False).astype(np.int64), found.dictionary


class _Segments:
    """Lines sorted by session, cut at each session's first line and after disconnects.
    Positions per line are int32: they travel from the worker that prepares the chunk."""

    def __init__(self, key_codes: np.ndarray, close: np.ndarray):
        self.n = n = len(key_codes)
        self.order = np.argsort(key_codes, kind="stable").astype(np.int32)
        k, c = key_codes[self.order], close[self.order]
        new_key = np.r_[True, k[1:] != k[:-1]]
        is_start = new_key | np.r_[True, c[:-1]]
        self.starts = np.flatnonzero(is_start)
        self.ends = np.r_[self.starts[1:] - 1, n - 1]
        self.seg = (np.cumsum(is_start) - 1).astype(np.int32)
        self.key_first = new_key[self.starts]  # the segment may continue a carried session
        self.start_of_line = self.starts.astype(np.int32)[self.seg]

    def last(self, mask: np.ndarray) -> np.ndarray:
        """Per line, the last line at or before it in its segment where ``mask`` holds; -1."""
        idx = np.maximum.accumulate(np.where(mask, np.arange(self.n, dtype=np.int32), -1))
        return np.where(idx >= self.start_of_line, idx, -1)

    def first(self, mask: np.ndarray) -> np.ndarray:
        """Per segment, its first line where ``mask`` holds; -1."""
        found = np.minimum.reduceat(
            np.where(mask, np.arange(self.n, dtype=np.int32), self.n), self.starts
        )
        return np.where(found < self.n, found, -1)

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Running total within each segment."""
        total = np.cumsum(values)
        before = total[self.starts] - values[self.starts]
        return total - before[self.seg]


@dataclass
class Segmented:
    """The lines of one chunk sorted by session (``line``; ``pos``: their place in the log)
    and cut into segments: all of :func:`advance` that needs no state from earlier chunks,
    so that it can be done ahead, with the lines' classification."""

    line: Lines  # text columns (LINE_TEXT) as codes into ``words``
    sg: _Segments
    first_valid: dict[str, np.ndarray]  # per segment, its first line with that endpoint
    heads: dict[str, pa.Array]  # per segment: what is the same on all its lines
    words: dict[str, pa.Array]  # the dictionary of each coded line column


def segment(lines: Columns, direction: str = "") -> Segmented:
    """Sort and cut a chunk's classified lines (``ev``: codes of :data:`EVENTS`). The
    session ``key`` is its text, or codes of it: then its text is made for each segment
    (the ``direction``, ``session_id`` and ``connector`` joined by \\x1f)."""
    key = lines["key"]
    coded_key = isinstance(key, np.ndarray)
    codes = key if isinstance(key, np.ndarray) else _encode(key)[0]
    sg = _Segments(codes, cast(np.ndarray, lines["ev"]) == DISCONNECT)
    at_start = sg.order[sg.starts]
    heads = {
        name: text(lines[name]).take(at_start)
        for name in _PER_SESSION
        if name != "key" or not coded_key
    }
    if coded_key:
        heads["key"] = pc.binary_join_element_wise(
            pa.scalar(direction, TEXT),
            heads["session_id"],
            heads["connector"],
            pa.scalar("\x1f", TEXT),
        )
    line: Lines = {}
    words: dict[str, pa.Array] = {}
    for name, values in lines.items():
        if name in _PER_SESSION:
            continue
        if isinstance(values, Coded):
            words[name] = values.words
            values = values.codes
        elif name in LINE_TEXT:
            values, words[name] = _encode(values)
        line[name] = values[sg.order]
        if name in LINE_TEXT:  # codes: int32 halves them on their way from the worker
            line[name] = line[name].astype(np.int32)
    line["pos"] = sg.order
    first_valid = {ip: sg.first(~is_value(words[ip], "")[line[ip]]) for ip in ("lip", "rip")}
    return Segmented(line, sg, first_valid, heads, words)


def advance(
    chunk: Segmented, carry: Records, path: str, direction: str
) -> tuple[Records, Records | None, Records, int]:
    """Records of the lines of one chunk (in log order): those of ``path``, those of sessions
    begun in an earlier file (None when there are none), the sessions open after it, and how
    many sessions of the chunk began before the input (see below). The chunk's arrays are
    used up.

    A session's first line (sequence-number 0) is its connect (``+``), or in a send log the
    "attempting to connect" line before it. A new session whose first line here is anything
    else (sequence-number above 0) began before the files read:
    its TLS was negotiated, or not, in lines that are not in the input, so it starts as
    ``unknown`` rather than plaintext (a TLS line seen later still sets it)."""
    line, sg, heads, words = chunk.line, chunk.sg, chunk.heads, chunk.words
    segments, carried_count = len(sg.starts), len(carry["key"])

    # Each segment's state before its first line: carried in, or a new session's.
    found = (
        pc.index_in(heads["key"], value_set=carry["key"])
        .fill_null(-1)
        .to_numpy(zero_copy_only=False)
        .astype(np.int64)
        if carried_count
        else np.full(segments, -1)
    )
    carried = (found >= 0) & sg.key_first
    init = {name: np.full(segments, DEFAULTS[name], dtype=np.int64) for name in _INTS}
    init.update(first_row=line["row"][sg.starts], start=line["when"][sg.starts])
    for name in _INTS:
        init[name][carried] = carry[name][found[carried]]
    # Text: codes into one array of all the words the chunk's sessions can hold (the defaults,
    # then per state the chunk's own values and the carried sessions' values), so that
    # records and carried sessions take their text out of it in one call.
    fixed = [path, direction, *_WORDS]
    parts = [pa.array(fixed, TEXT)]
    size = len(fixed)
    own_at: dict[str, int] = {}  # where a line column's codes start
    carried_at: dict[str, int] = {}  # where the carried sessions' values start
    per_segment = np.arange(segments)
    for name, own, default in (
        ("key", heads["key"], ""),
        ("source", None, path),
        ("direction", None, direction),
        ("connector", heads["connector"], ""),
        ("session_id", heads["session_id"], ""),
        ("lip", words["lip"], ""),
        ("rip", words["rip"], ""),
        ("hostname", words["host"], ""),
        ("tls", words["tls"], NONE),
        ("cipher", words["cipher"], ""),
        ("auth_user", words["user"], ""),
        ("pending", words["mechanism"], ""),
        # A login's protocol is a pending mechanism: its codes are into "pending".
        ("auth_protocol", None, ""),
    ):
        if own is not None:
            own_at[name] = size
            parts.append(own)
            size += len(own)
        carried_at[name] = size
        parts.append(carry[name])
        size += carried_count
        init[name] = (
            per_segment + own_at[name]
            if name in _PER_SESSION
            else np.full(segments, fixed.index(default), np.int64)
        )
        init[name][carried] = size - carried_count + found[carried]
    began_before = ~carried & ~line["opens"][sg.starts]
    init["tls"][began_before] = _UNKNOWN_AT
    own_at["address"] = size
    parts.append(words["address"])
    every = pa.concat_arrays(parts)
    empty = is_value(every, "")

    # Direction: the log's, else the session's so far, else who sent the first command.
    unknown = empty[init["direction"]]
    if unknown.any():
        first_cmd = sg.first(line["cmd"])
        told = unknown & (first_cmd >= 0)
        init["direction"][told] = np.where(
            line["ev"][first_cmd[told]] == RECEIVED, _INBOUND_AT, _OUTBOUND_AT
        )
    inbound = is_value(every, INBOUND)[init["direction"]]
    client = line["cmd"] & (line["ev"] == np.where(inbound, RECEIVED, SENT)[sg.seg])
    line["helo"] &= client
    line["auth"] &= client
    mail = client & line["mail"]

    # The state is read where a record is made (a MAIL FROM, or the disconnect of a session
    # without one) and at each segment's last line (what is carried): computed there only.
    messages = init["messages"][sg.seg] + sg.cumsum(mail.astype(np.int64))
    take = np.flatnonzero(mail | ((line["ev"] == DISCONNECT) & (messages == 0)))
    take = take[np.argsort(line["pos"][take], kind="stable")]
    at = np.concatenate([take, sg.ends])
    seg = sg.seg[at]
    state = {"messages": messages[at]}
    for name in ("key", "source", "first_row", "start", "connector", "session_id", "direction"):
        state[name] = init[name][seg]
    # A login's protocol is the mechanism pending at its line: that is wanted at every line.
    line["user_protocol"] = _filled(
        line["mechanism"] + own_at["pending"], sg.last(line["auth"]), init["pending"][sg.seg]
    )
    state["pending"] = line["user_protocol"][at]
    last = {mask: sg.last(line[mask])[at] for mask in {mask for _, _, mask in _FILLED}}
    for name, column, mask in _FILLED:
        values = line[column] if column == "user_protocol" else line[column] + own_at[name]
        state[name] = _filled(values, last[mask], init[name][seg])
    # Endpoints: the first valid one a session shows stays.
    for ip, port in (("lip", "lport"), ("rip", "rport")):
        before = init[ip][seg]
        given = ~empty[before]
        first_valid = chunk.first_valid[ip][seg]
        seen = ~given & (first_valid >= 0) & (first_valid <= at)
        pick = np.where(seen, first_valid, at)
        state[ip] = np.where(given, before, np.where(seen, line[ip][pick] + own_at[ip], _EMPTY_AT))
        state[port] = np.where(given, init[port][seg], np.where(seen, line[port][pick], 0))
    line["address"] += own_at["address"]
    records = {name: values[: len(take)] for name, values in state.items()}
    own, held = _records(line, records, take, mail, every, is_value(every, path))
    at_end = {name: values[len(take) :] for name, values in state.items()}
    return (
        own,
        held,
        _carry_after(carry, sg, line, at_end, carried, found, every, carried_at),
        int(began_before.sum()),
    )


def _filled(values: np.ndarray, last: np.ndarray, before: np.ndarray) -> np.ndarray:
    """The value at the ``last`` line that set it (:meth:`_Segments.last`), else ``before``
    (the session's state before the chunk)."""
    return np.where(last >= 0, values[np.maximum(last, 0)], before)


# Text columns of a record, in the order of DEFAULTS, and its sender.
_RECORD_TEXT = tuple(n for n in DEFAULTS if n not in _INTS and n != "pending")


def _records(
    line: Lines,
    state: Lines,
    take: np.ndarray,
    mail: np.ndarray,
    every: pa.Array,
    is_path: np.ndarray,
) -> tuple[Records, Records | None]:
    """One record per MAIL FROM, and one per session that ends without one (``take``: their
    lines, in log order; ``state``: the sessions' state there): (those of sessions begun in
    this file, those of sessions begun in an earlier one or None)."""
    own = is_path[state["source"]]
    held = None if own.all() else _record_columns(line, state, take, mail, every, ~own, False)
    return _record_columns(line, state, take, mail, every, own, True), held


def _record_columns(
    line: Lines,
    state: Lines,
    take: np.ndarray,
    mail: np.ndarray,
    every: pa.Array,
    pick: np.ndarray,
    own: bool,
) -> Records:
    take = take[pick]
    is_mail = mail[take]
    # The sender of a session without MAIL FROM is "" (the key of a line without one).
    sender = np.where(is_mail, line["address"][take], _EMPTY_AT)
    texts = _take_words(
        every, (*_RECORD_TEXT, "sender"), [state[name][pick] for name in _RECORD_TEXT] + [sender]
    )
    out: Records = {}
    for name in DEFAULTS:
        if name not in ("pending", "messages"):
            out[name] = texts[name] if name in texts else state[name][pick]
    # A message of a session begun in an earlier file keeps the session's first row.
    out["row"] = np.where(is_mail, line["row"][take], out["first_row"]) if own else out["first_row"]
    out["when"] = np.where(is_mail, line["when"][take], out["start"])
    out["sender"] = texts["sender"]
    out["messages"] = is_mail.astype(np.int64)
    return out


def session_records(sessions: Records) -> Records:
    """The record of each session that never sent MAIL FROM (messages=0), at its start."""
    quiet = sessions["messages"] == 0
    out = {name: subset(sessions[name], quiet) for name in DEFAULTS if name not in ("pending",)}
    out.update(
        row=out["first_row"], when=out["start"], sender=pa.array([""] * int(quiet.sum()), TEXT)
    )
    return out


def _take_words(every: pa.Array, names: tuple[str, ...], codes: list[np.ndarray]) -> Records:
    """The text of several columns of codes into ``every``, in one take."""
    length = len(codes[0])
    taken = every.take(np.concatenate(codes))
    return {name: taken.slice(i * length, length) for i, name in enumerate(names)}


def _carry_after(
    carry: Records,
    sg: _Segments,
    line: Lines,
    state: Lines,
    carried: np.ndarray,
    found: np.ndarray,
    every: pa.Array,
    carried_at: dict[str, int],
) -> Records:
    """Open sessions after the chunk: the carried ones in their order (with their new state;
    those that ended dropped), then the new ones in the order they opened. ``state``: each
    segment's at its last line."""
    still = line["ev"][sg.ends] != DISCONNECT
    # Carried sessions seen here: updated in place, or dropped when they ended.
    count = len(carry["key"])
    keep = np.ones(count, dtype=bool)
    where = found[carried]
    keep[where] = still[carried]
    fresh = np.flatnonzero(still & ~carried)
    fresh = fresh[np.argsort(line["pos"][sg.starts[fresh]], kind="stable")]
    out: Records = {}
    texts = []
    for name in _CARRIED:
        codes = carry[name].copy() if name in _INTS else np.arange(count) + carried_at[name]
        codes[where] = state[name][carried]
        codes = np.concatenate([codes[keep], state[name][fresh]])
        if name in _INTS:
            out[name] = codes.astype(np.int64)
        else:
            texts.append(codes)
    out |= _take_words(every, _CARRIED_TEXT, texts)
    return {name: out[name] for name in _CARRIED}
