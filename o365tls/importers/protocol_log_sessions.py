"""The session state machine of :mod:`.protocol_log`, over whole arrays of lines.

The lines that matter in one chunk are sorted by session (stable, so each session's lines stay
in log order) and cut into segments: one per session, a disconnect ending it. A session's
state at a line is then the last value a line of its segment set up to there (a forward fill
that restarts at each segment), or else the state carried in from earlier chunks: the TLS of a
MAIL FROM is that of the last TLS line before it, its login the last ``authenticated`` line,
and so on. Only the sessions still open at the end of a chunk are carried, one row each, in
the order they opened (that order, like the records', is the one a line-by-line reader gives).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schema import INBOUND, OUTBOUND
from ..tls import NONE

#: What a session carries from chunk to chunk (and file to file), with a new session's value.
DEFAULTS: dict[str, object] = {
    "source": "", "first_row": 0, "start": 0, "direction": "", "connector": "",
    "session_id": "", "lip": "", "lport": 0, "rip": "", "rport": 0, "hostname": "",
    "tls": NONE, "cipher": "", "auth_user": "", "auth_protocol": "", "pending": "",
    "messages": 0}
_INTS = frozenset({"first_row", "start", "lport", "rport", "messages"})
# State filled forward from the lines that set it: (state, line value, line mask).
_FILLED = (("hostname", "host", "helo"), ("tls", "tls", "is_tls"), ("cipher", "cipher", "is_tls"),
           ("auth_user", "user", "is_user"), ("auth_protocol", "user_protocol", "is_user"))

Columns = dict[str, np.ndarray]


def _typed(name: str, values) -> np.ndarray:
    return np.asarray(values, dtype=np.int64 if name in _INTS else object)


def no_sessions() -> Columns:
    """The open sessions, as columns ("key" and those of :data:`DEFAULTS`)."""
    return {"key": np.empty(0, dtype=object)} | {n: _typed(n, []) for n in DEFAULTS}


class _Segments:
    """Lines sorted by session, cut at each session's first line and after disconnects."""

    def __init__(self, key_codes: np.ndarray, close: np.ndarray):
        n = len(key_codes)
        self.order = np.argsort(key_codes, kind="stable")
        k, c = key_codes[self.order], close[self.order]
        new_key = np.r_[True, k[1:] != k[:-1]]
        is_start = new_key | np.r_[True, c[:-1]]
        self.starts = np.flatnonzero(is_start)
        self.ends = np.r_[self.starts[1:] - 1, n - 1]
        self.seg = np.cumsum(is_start) - 1
        self.key_first = new_key[self.starts]  # the segment may continue a carried session
        self.start_of_line = self.starts[self.seg]
        self.at = np.arange(n)

    def last(self, mask: np.ndarray) -> np.ndarray:
        """Per line, the last line at or before it in its segment where ``mask`` holds; -1."""
        idx = np.maximum.accumulate(np.where(mask, self.at, -1))
        return np.where(idx >= self.start_of_line, idx, -1)

    def first(self, mask: np.ndarray) -> np.ndarray:
        """Per segment, its first line where ``mask`` holds; -1."""
        big = len(self.at)
        found = np.minimum.reduceat(np.where(mask, self.at, big), self.starts)
        return np.where(found < big, found, -1)

    def cumsum(self, values: np.ndarray) -> np.ndarray:
        """Running total within each segment."""
        total = np.cumsum(values)
        before = total[self.starts] - values[self.starts]
        return total - before[self.seg]

    def filled(self, values: np.ndarray, mask: np.ndarray, init: np.ndarray) -> np.ndarray:
        """The value of the last line where ``mask`` holds, else the segment's ``init``."""
        last = self.last(mask)
        return np.where(last >= 0, values[np.maximum(last, 0)], init[self.seg])


@dataclass
class Segmented:
    """The lines of one chunk sorted by session (``line``; ``pos``: their place in the log)
    and cut into segments: all of :func:`advance` that needs no state from earlier chunks,
    so that it can be done ahead, with the lines' classification."""

    line: Columns
    sg: _Segments
    first_valid: dict[str, np.ndarray]  # per line, its segment's first line with that endpoint
    heads: Columns  # per segment: what is the same on all its lines (key, session, connector)


#: Line columns the same along a segment (one session): kept once per segment, not per line.
_PER_SESSION = ("key", "session_id", "connector")


def segment(lines: Columns) -> Segmented:
    codes, _ = pd.factorize(lines["key"])
    sg = _Segments(codes, lines["ev"] == "-")
    heads = {name: lines[name][sg.order[sg.starts]] for name in _PER_SESSION}
    line = {name: values[sg.order] for name, values in lines.items()
            if name not in _PER_SESSION}
    line["pos"] = sg.order
    return Segmented(line, sg, {ip: sg.first(line[ip] != "")[sg.seg] for ip in ("lip", "rip")},
                     heads)


def advance(chunk: Segmented, carry: Columns, path: str,
            direction: str) -> tuple[Columns, Columns]:
    """Records of the lines of one chunk (in log order; ``source`` says which file each
    belongs to) and the sessions open after it. The chunk's arrays are used up."""
    line, sg, heads = chunk.line, chunk.sg, chunk.heads

    # Each segment's state before its first line: carried in, or a new session's.
    first = sg.starts
    found = pd.Index(carry["key"]).get_indexer(heads["key"]) if len(carry["key"]) \
        else np.full(len(first), -1)
    carried = (found >= 0) & sg.key_first
    init = {name: np.full(len(first), value, dtype=np.int64 if name in _INTS else object)
            for name, value in DEFAULTS.items()}
    init.update(source=np.full(len(first), path, dtype=object),
                direction=np.full(len(first), direction, dtype=object),
                first_row=line["row"][first], start=line["when"][first],
                connector=heads["connector"], session_id=heads["session_id"])
    if carried.any():
        for name in DEFAULTS:
            init[name][carried] = carry[name][found[carried]]

    # Direction: the log's, else the session's so far, else who sent the first command.
    seg_dir = init["direction"]
    unknown = seg_dir == ""
    if unknown.any():
        first_cmd = sg.first(line["cmd"])
        told = unknown & (first_cmd >= 0)
        seg_dir[told] = np.where(line["ev"][first_cmd[told]] == "<", INBOUND, OUTBOUND)
    client = line["cmd"] & (line["ev"] == np.where(seg_dir == INBOUND, "<", ">")[sg.seg])
    line["helo"] &= client
    line["auth"] &= client
    mail = client & line["mail"]

    state = {"direction": seg_dir[sg.seg]}
    # A login line's protocol is the mechanism of the last AUTH before it.
    state["pending"] = line["user_protocol"] = sg.filled(line["mechanism"], line["auth"],
                                                         init["pending"])
    for name, column, mask in _FILLED:
        state[name] = sg.filled(line[column], line[mask], init[name])
    # Endpoints: the first valid one a session shows stays.
    for ip, port in (("lip", "lport"), ("rip", "rport")):
        given = init[ip][sg.seg] != ""
        first_valid = chunk.first_valid[ip]
        seen = ~given & (first_valid >= 0) & (first_valid <= sg.at)
        pick = np.where(seen, first_valid, sg.at)
        state[ip] = np.where(given, init[ip][sg.seg], np.where(seen, line[ip][pick], ""))
        state[port] = np.where(given, init[port][sg.seg], np.where(seen, line[port][pick], 0))
    state["messages"] = init["messages"][sg.seg] + sg.cumsum(mail.astype(np.int64))
    for name in ("source", "first_row", "start", "connector", "session_id"):
        state[name] = init[name][sg.seg]
    return (_records(line, state, mail, path),
            _carry_after(carry, sg, line, state, carried, heads["key"]))


def _records(line: Columns, state: Columns, mail: np.ndarray, path: str) -> Columns:
    """One record per MAIL FROM, and one per session that ends without one."""
    ended = (line["ev"] == "-") & (state["messages"] == 0)
    take = np.flatnonzero(mail | ended)
    take = take[np.argsort(line["pos"][take], kind="stable")]
    is_mail = mail[take]
    out = {name: state[name][take] for name in DEFAULTS if name not in ("pending", "messages")}
    # A message of a session begun in an earlier file keeps the session's first row.
    own = out["source"] == path
    out["row"] = np.where(is_mail & own, line["row"][take], out["first_row"])
    out["when"] = np.where(is_mail, line["when"][take], out["start"])
    out["sender"] = np.where(is_mail, line["address"][take], "")
    out["messages"] = is_mail.astype(np.int64)
    return out


def session_records(sessions: Columns) -> Columns:
    """The record of each session that never sent MAIL FROM (messages=0), at its start."""
    quiet = sessions["messages"] == 0
    out = {name: sessions[name][quiet] for name in DEFAULTS if name not in ("pending",)}
    out.update(row=out["first_row"], when=out["start"],
               sender=np.full(int(quiet.sum()), "", dtype=object))
    return out


def _carry_after(carry: Columns, sg: _Segments, line: Columns, state: Columns,
                 carried: np.ndarray, keys: np.ndarray) -> Columns:
    """Open sessions after the chunk: the carried ones in their order (with their new state;
    those that ended dropped), then the new ones in the order they opened."""
    still = line["ev"][sg.ends] != "-"
    ends = sg.ends
    # Carried sessions seen here: updated in place, or dropped when they ended.
    keep = np.ones(len(carry["key"]), dtype=bool)
    index = pd.Index(carry["key"])
    seen_keys = keys[carried]
    if len(seen_keys):
        where = index.get_indexer(seen_keys)
        keep[where] = still[carried]
        for name in DEFAULTS:
            column = carry[name].copy()
            column[where] = state[name][ends[carried]]
            carry = {**carry, name: column}
    fresh = np.flatnonzero(still & ~carried)
    fresh = fresh[np.argsort(line["pos"][sg.starts[fresh]], kind="stable")]
    out = {"key": np.concatenate([carry["key"][keep], keys[fresh]])}
    for name in DEFAULTS:
        out[name] = _typed(name, np.concatenate([carry[name][keep], state[name][ends[fresh]]]))
    return out
