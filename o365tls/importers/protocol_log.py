"""Exchange Server SMTP Receive and Send protocol logs (``RECV*.log``, ``SEND*.log``).

Each line is one SMTP event of a session (``#Fields: date-time,connector-id,session-id,
sequence-number,local-endpoint,remote-endpoint,event,data,context``); ``event`` is ``+``
(connect), ``-`` (disconnect), ``<`` (received), ``>`` (sent) or ``*`` (information). The
client's commands are ``<`` lines in a receive log and ``>`` lines in a send log. The TLS
outcome is an information line (Exchange formats it as ``TLS protocol {SchannelProtocols}
negotiation succeeded using bulk encryption algorithm {AlgorithmId} with strength ...``), and
a successful login is ``*,DOMAIN\\user,authenticated``.

Sessions become observations: one per ``MAIL FROM`` (messages=1) carrying the session's TLS
state at that moment, or one per session that never sent ``MAIL FROM`` (messages=0). Files
roll over hourly and a session can continue in the next file: open sessions are kept in the
load context and the file where a session started stays the ``source`` of its records. A
file's records wait until its sessions are over (see :class:`_State`), so that they come in
input order, file then row; memory holds the open sessions and the records waiting.

The lines are classified column by column (:mod:`.protocol_log_classify`, with the patterns of
:mod:`.protocol_log_lines`) and the sessions' state computed over arrays
(:mod:`.protocol_log_sessions`): no Python work per log line.
Reading is two steps (``Format.prepare`` / ``read_prepared``): parsing, checking, classifying
and sorting a file's lines needs nothing from other files, and with ``--jobs`` runs ahead for
the next files on worker processes; only the sessions' advance runs in file order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import cast

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
    remote_host,
)
from ..tls import LEGACY_VERSIONS
from .base import Batch, Format, LoadContext
from .protocol_log_classify import classify
from .protocol_log_sessions import (
    Records,
    Segmented,
    advance,
    concat,
    is_value,
    no_sessions,
    segment,
    session_records,
    subset,
    text,
)
from .sample import TEXT, Sample
from .table import column_for, read_arrow

NAME = "exchange-protocol-log"
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
STATE_KEY = NAME
# Log lines per chunk (read_arrow's tables are cut to this size); the open sessions' state
# and the records waiting (see _State) are carried from one chunk to the next.
CHUNK_ROWS = 50_000
# Records that may wait for their file's sessions to end (see _State); past this, the oldest
# file's go out as they are: a session that never ends in the files read (the hour still
# being written, receive logs read before send logs, whose sessions cannot continue them)
# would otherwise keep every later file waiting.
WAIT_RECORDS = 200_000

_TEXT = pa.large_string()
_LEGACY = pa.array(sorted(LEGACY_VERSIONS), pa.large_string())
_STR = pandas_dtype("str")
# Text columns of the session records (protocol_log_sessions).
_TEXT_RECORDS = frozenset(
    {
        "source",
        "direction",
        "connector",
        "session_id",
        "lip",
        "rip",
        "hostname",
        "tls",
        "cipher",
        "auth_user",
        "auth_protocol",
        "sender",
    }
)


@dataclass
class _State:
    """Carried across the chunks and files of one load.

    A file's records wait until no session begun in it, or in a file read before it, is
    open; then they go out together, in row order. That is the order the analysis takes
    them in (file, then row), so it need not reorder a week of records (a copy of every
    one). A session that runs into the next hourly file completes there, so a file's
    records usually go out once the next file is read. Records that could not wait (see
    WAIT_RECORDS) go out as they are, and the analysis puts them in order."""

    open: Records = field(default_factory=no_sessions)
    # Per file, in the order read (each has its place from its first line, records or not):
    # its records so far, as they came.
    waiting: dict[str, list[Records]] = field(default_factory=dict)
    count: int = 0  # records waiting
    # Per file: its sessions that negotiated legacy TLS and sent no message, and one of them.
    legacy_quiet: Counter = field(default_factory=Counter)
    legacy_example: dict[str, str] = field(default_factory=dict)

    def wait(self, source: str, records: Records | None = None) -> None:
        """Keep ``records`` of ``source`` until their file is complete; without records, give
        the file its place in the order."""
        place = self.waiting.setdefault(source, [])
        if records is not None and len(records["row"]):
            place.append(records)
            self.count += len(records["row"])

    def ready(self, reading: str | None) -> Iterator[Batch]:
        """The records of the first files that are complete (not ``reading``, and no
        session of theirs open); of the oldest anyway while too many wait."""
        sources = self.open["source"]
        open_in = set(pc.unique(sources).to_pylist()) if len(sources) else set()
        while self.waiting:
            source = next(iter(self.waiting))
            if (source == reading or source in open_in) and self.count <= WAIT_RECORDS:
                return
            parts = self.waiting.pop(source)
            if parts:
                self.count -= sum(len(p["row"]) for p in parts)
                for part in parts:
                    self._see_legacy_quiet(source, part)
                yield Batch(OBSERVATIONS, _frame(parts, source), source=source)

    def _see_legacy_quiet(self, source: str, records: Records) -> None:
        """Count the records of sessions that negotiated legacy TLS and sent no message."""
        quiet = np.flatnonzero(records["messages"] == 0)
        if not len(quiet):
            return
        tls = text(records["tls"]).take(quiet)
        legacy = np.flatnonzero(pc.is_in(tls, value_set=_LEGACY).to_numpy(zero_copy_only=False))
        if not len(legacy):
            return
        self.legacy_quiet[source] += len(legacy)
        if source not in self.legacy_example:
            at = int(quiet[legacy[0]])
            first = {
                name: text(records[column])[at].as_py()
                for name, column in (
                    (DIRECTION, "direction"),
                    (SENDER_IP, "rip"),
                    (DESTINATION_IP, "rip"),
                    (HOSTNAME, "hostname"),
                    (TLS, "tls"),
                )
            }
            if first[DIRECTION] == OUTBOUND:  # this server was the client: rip is the peer
                first[SENDER_IP] = ""
            else:
                first[DESTINATION_IP] = ""
            self.legacy_example[source] = f"{remote_host(first)} on {first[TLS]}"

    def note_legacy_quiet(self, reports: dict[str, FileReport]) -> None:
        """One note per file on its sessions that negotiated legacy TLS without a message."""
        for source, count in self.legacy_quiet.items():
            report = reports.get(source)
            if report is not None:
                report.note(
                    None,
                    "legacy-session-without-mail",
                    f"{count} session(s) negotiated legacy TLS and sent no message "
                    f"(e.g. {self.legacy_example[source]}): no message is counted, "
                    "but legacy TLS is in use between those hosts; the analysis lists "
                    "them per host (legacy_sessions_without_mail)",
                )
        self.legacy_quiet.clear()
        self.legacy_example.clear()


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
        report.note(
            None,
            "no-log-type",
            "no '#Log-type: SMTP Receive/Send Protocol Log' line; whether each session "
            "was received or sent is inferred from who issued EHLO/MAIL FROM",
        )
    columns = [c for c in sample.header if c != "sequence-number"]
    names = {name: column_for(columns, name) for name in FIELDS}  # as the file spells them
    for table in read_arrow(sample, report, CHUNK_ROWS, columns=columns):
        for begin in range(0, table.num_rows, CHUNK_ROWS):
            line = classify(table.slice(begin, CHUNK_ROWS), report, direction, names)
            if line is not None:
                yield segment(line, direction)


def read_prepared(
    chunks: Iterable[Segmented], sample: Sample, report: FileReport, context: LoadContext
) -> Iterator[Batch]:
    """The sessions' part, in file order: the prepared lines advance the open sessions (carried
    in the load context from file to file) into records, which go out per file once its
    sessions are over (see :class:`_State`). Of the report it writes only the note on sessions
    that began before the files read, at the file's end."""
    state = cast(
        _State, context.state.get(STATE_KEY) or context.state.setdefault(STATE_KEY, _State())
    )
    direction = _file_direction(sample)
    report.software = " ".join(
        x for x in (sample.directive("Software"), sample.directive("Version")) if x
    )
    path = report.path
    state.wait(path)  # its place in the order, before any later file's records
    began_before = 0
    for chunk in chunks:
        own, held, state.open, began = advance(chunk, state.open, path, direction)
        began_before += began
        state.wait(path, own)
        if held is not None:  # sessions begun in earlier files: theirs
            for source, records in _by_source(held):
                state.wait(source, records)
        yield from state.ready(reading=path)
    if began_before:
        report.note(
            None,
            "session-began-before",
            f"{began_before} session(s) began before this file's first line (no "
            "connect '+' line: their start, and their TLS negotiation, is in an "
            "earlier log); their messages are counted as TLS unknown, not as plaintext, "
            "unless a TLS line of theirs is in the files read. Add the previous hour's "
            "log of this server to read their TLS",
        )
    yield from state.ready(reading=None)


def _by_source(records: Records) -> Iterator[tuple[str, Records]]:
    """The records of each file, the files in order of first record."""
    found = pc.dictionary_encode(records["source"])
    codes = found.indices.to_numpy(zero_copy_only=False)
    for code, source in enumerate(found.dictionary.to_pylist()):
        at = np.flatnonzero(codes == code)
        yield source, {k: subset(v, at) for k, v in records.items()}


def _frame(parts: list[Records], source: str) -> pd.DataFrame:
    """Canonical observations of the records of ``source``, in row order (stable: a session's
    records keep the order they came in). Inbound (and a session whose side never showed):
    the peer is the sender. Outbound: this server was the client and the peer is the
    destination."""
    records = {k: concat([p[k] for p in parts]) for k in parts[0]} if len(parts) > 1 else parts[0]
    if (np.diff(records["row"]) < 0).any():  # usually in order already: no sort
        order = np.argsort(records["row"], kind="stable")
        records = {k: subset(v, order) for k, v in records.items()}
    length = len(records["row"])
    # Text columns are Arrow arrays (object arrays of str are taken too) and stay Arrow.
    records = {k: text(v) if k in _TEXT_RECORDS else v for k, v in records.items()}
    outbound = pa.array(is_value(records["direction"], OUTBOUND))
    connectors = pc.dictionary_encode(records["connector"])
    servers = pa.array([_server_of(c) for c in connectors.dictionary.to_pylist()], _TEXT).take(
        connectors.indices
    )
    stamps = records["when"].astype(np.int64).view("datetime64[ns]")
    return _canonical(
        {
            SOURCE: source,
            GRAIN: GRAIN_MESSAGE,
            CONNECTOR: records["connector"],
            DIRECTION: records["direction"],
            SENDER_IP: pc.if_else(outbound, records["lip"], records["rip"]),
            DESTINATION_IP: pc.if_else(outbound, records["rip"], pa.scalar("", _TEXT)),
            SENDER_ADDRESS: records["sender"],
            AUTH_USER: records["auth_user"],
            AUTH_PROTOCOL: records["auth_protocol"],
            HOSTNAME: records["hostname"],
            SESSION_ID: records["session_id"],
            TLS: records["tls"],
            CIPHER: records["cipher"],
            SERVER: servers,
            ROW: records["row"],
            TIMESTAMP: pd.DatetimeIndex(stamps).tz_localize("UTC").array,
            SENDER_PORT: np.where(outbound, records["lport"], records["rport"]),
            LOCAL_PORT: np.where(outbound, records["rport"], records["lport"]),
            MESSAGES: records["messages"],
        },
        length,
    )


def _canonical(data: dict[str, object], length: int) -> pd.DataFrame:
    """What ``canonical(OBSERVATIONS, data, length, source)`` gives for these typed columns
    (text: large_string Arrow arrays or a constant; int: int64; the timestamp: UTC), built
    directly: canonical() converts every column again, a fixed cost per frame whatever its
    length, and a load builds two frames per log file (the test holds the two equal)."""
    out: dict[str, object] = {}
    for column in COLUMNS[OBSERVATIONS]:
        value = data.get(column.name)
        if column.dtype == "str":
            if value is None or isinstance(value, str):
                value = pa.repeat(pa.scalar(value or "", _TEXT), length)
            # What pd.array(value, dtype="str") gives for large_string without nulls, without
            # its per-column checks, which add up over the many small frames of hourly logs.
            out[column.name] = ArrowStringArray(text(value), dtype=_STR)
        elif column.dtype == "int":
            out[column.name] = (
                np.zeros(length, np.int64) if value is None else np.asarray(value, dtype=np.int64)
            )
        elif column.dtype == "datetime":
            out[column.name] = value
        else:  # forced_tls: not in the logs
            out[column.name] = np.full(length, None, dtype=object)
    # The columns are already what the frame's blocks hold (int64 and object ndarrays,
    # ArrowStringArray, DatetimeArray) and fresh: no copy needed.
    return pd.DataFrame(out, index=pd.RangeIndex(length), copy=False)


def finish(context: LoadContext) -> Iterator[Batch]:
    """After the last file: sessions still open, and the records still waiting."""
    state = cast("_State | None", context.state.pop(STATE_KEY, None))
    if state is None:
        return
    sessions, state.open = state.open, no_sessions()
    for source, records in _by_source(session_records(sessions)):
        state.wait(source, records)
    sources: pa.Array = sessions["source"]  # text: Arrow
    for source, count in Counter(sources.to_pylist()).items():
        report = context.reports.get(source)
        if report is not None:
            report.note(
                None,
                "open-session",
                f"{count} session(s) have no disconnect line in the files read; they "
                "are counted as logged (add the next hour's log to complete them)",
            )
    yield from state.ready(reading=None)
    state.note_legacy_quiet(context.reports)


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
