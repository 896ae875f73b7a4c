"""Gathering the inputs: every input read once, streaming, on one core, several, or a Dask
cluster, into the same :class:`Gathered`: the one way files reach the analysis.

Files are independent except Exchange protocol logs, whose SMTP sessions run across the hourly
files: those are read together, in one task. Every other file is a task of its own. Workers
return partial :class:`Gathered` objects (canonical TLS records, a
:class:`~.reducer.SightingReducer`, connector configuration, file reports) and the
coordinator combines them in file order, so a parallel or distributed run gives the same
``findings.json`` as a local one. Dask workers must see the input paths (a shared disk).
When only one task is large (a week's trace beside its small reports), processes would wait on
it: its chunks are converted and reduced on threads instead, absorbed in file order.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from pandas.arrays import ArrowStringArray

from ..errors import InputError, UsageError
from ..frames.arrow import one_array
from ..importers.base import empty
from ..importers.loader import (
    forced_format,
    format_of,
    iter_sources,
    refused,
)
from ..importers.sources import Source, expand_paths
from ..parallel import default_jobs, in_order, process_pool, start_process_server
from ..schema import (
    CONNECTORS,
    GRAIN,
    GRAIN_PERIOD,
    OBSERVATIONS,
    PROBES,
    ROW,
    SIGHTINGS,
    SOURCE,
    TIMESTAMP,
)
from .reducer import SightingReducer
from .scopes import add_scope, with_scope

#: Formats whose records span files and must be read by one task, in file order.
TOGETHER = frozenset({"exchange-protocol-log"})
#: Bytes of each file that planning looks at first (a protocol log's directives and header).
PLAN_BYTES = 16 * 1024
#: With --jobs, files are spread over processes when at least two tasks are this large;
#: otherwise the chunks of the one large file are spread over threads.
SPREAD_BYTES = 64 * 1024 * 1024
#: Inputs smaller than this in all are read on one core unless told otherwise: starting worker
#: processes (each imports pandas, pyarrow and the importers) costs more than they would
#: save.
PARALLEL_BYTES = 32 * 1024 * 1024
#: TLS records per block as they are gathered (see _Blocks).
BLOCK_RECORDS = 1 << 18
#: What the worker processes' server imports once: this module, and with it the importers.
PRELOAD = (__name__,)


def within(frame: pd.DataFrame, since, until) -> pd.DataFrame:
    """Keep records inside --since/--until; period-grained records (no date) always stay."""
    if since is None and until is None:
        return frame
    stamps = frame[TIMESTAMP]
    keep = stamps.isna()
    inside = pd.Series(True, index=frame.index)
    if since is not None:
        inside &= stamps >= _utc(since)
    if until is not None:
        inside &= stamps < _utc(until)
    if GRAIN in frame.columns:
        keep |= frame[GRAIN] == GRAIN_PERIOD
    return frame[keep | (inside & stamps.notna())]


def _utc(moment) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


@dataclass
class Gathered:
    """Everything the analysis needs from the inputs, gathered as they stream: TLS records
    as a frame, identity-only sightings reduced to compact codes, connector configuration,
    server probe results, and one report per input."""

    observations: pd.DataFrame
    sightings: SightingReducer
    connectors: pd.DataFrame
    inputs: list = field(default_factory=list)
    #: Cores the analysis may use where its work lets go of the GIL (``gather``'s ``jobs``).
    threads: int = 1
    #: Cores the analysis may use for work that is large whatever the size of the files (the
    #: attribution's linear programs): ``gather``'s ``jobs``, or every core when left to o365tls.
    cores: int = 1
    probes: pd.DataFrame = field(default_factory=lambda: empty(PROBES))

    def absorb(self, other: Gathered) -> None:
        """Add another gathering (files read elsewhere) to this one."""
        frames = [f for f in (self.observations, other.observations) if len(f)]
        if frames:
            self.observations = pd.concat(frames, ignore_index=True)
        self.sightings.absorb(other.sightings)
        frames = [f for f in (self.connectors, other.connectors) if len(f)]
        if frames:
            self.connectors = pd.concat(frames, ignore_index=True)
        frames = [f for f in (self.probes, other.probes) if len(f)]
        if frames:
            self.probes = pd.concat(frames, ignore_index=True)
        self.inputs.extend(other.inputs)

    def take_observations(self) -> pd.DataFrame:
        """The TLS records in input order (file, then row), handed over: the gathering keeps
        none of them (as :func:`o365tls.analysis.sightings.messages` consumes the sightings),
        so that the analysis' de-duplicated copy is not a second one in memory. The order is
        the same however they were gathered, so that de-duplication keeps the same copy."""
        obs = self.observations
        # A new empty frame: an empty slice of this one would keep all its buffers alive.
        self.observations = pd.DataFrame({c: pd.Series(dtype=t) for c, t in obs.dtypes.items()})
        if obs.empty:
            return obs
        rank = {r.path: i for i, r in enumerate(self.inputs)}
        # Ranks by file code, not per row: a file name per record would be a Python string
        # each.
        codes, files = pd.factorize(obs[SOURCE])
        file_rank = np.array([rank.get(f, len(rank)) for f in files], dtype=np.int64)[codes]
        rows = obs[ROW].to_numpy()
        step = np.diff(file_rank)
        # Read in order (protocol logs too: see protocol_log.WAIT_RECORDS): no sort.
        order = (
            None
            if (step >= 0).all() and (np.diff(rows)[step == 0] >= 0).all()
            else np.lexsort((rows, file_rank))
        )  # stable
        # Each text column in one piece: gathered, it has an Arrow chunk per block (see
        # _Blocks) and per task, and hashing and grouping across chunks costs the analysis
        # more than the copy. Records that arrived out of order are put in order
        # by the same copy. A column at a time, each original dropped once copied: the peak
        # is the records and a column per thread, not the records twice (a GB for a week of
        # logs). Arrow lets go of the GIL: with --jobs, columns are copied on that many threads.
        ordered = {}
        obs = obs.copy(deep=False)  # its own columns to drop; a caller's frame stays whole
        names = list(obs.columns)
        taken = in_order(
            lambda column: _in_one_piece(column, order),
            (obs[name] for name in names),
            self.threads,
            "o365tls-order",
        )
        for name, column in zip(names, taken, strict=True):
            ordered[name] = column
            del obs[name]
        return pd.DataFrame(ordered, copy=False)


def _in_one_piece(column: pd.Series, order: np.ndarray | None) -> pd.Series:
    """``column`` taken in ``order`` (None: as it is), numbered afresh, text in one Arrow
    chunk: joined first, then taken (a take across many chunks is several times slower than
    one over a single chunk)."""
    values = column.array
    if isinstance(values, ArrowStringArray):
        chunks = values.__arrow_array__()
        if chunks.num_chunks > 1 or order is not None:
            joined = one_array(chunks)
            if order is not None:
                joined = joined.take(pa.array(order))
            return pd.Series(
                ArrowStringArray(joined, dtype=values.dtype), name=column.name, copy=False
            )
    if order is not None:
        return column.take(order).reset_index(drop=True)
    return column.reset_index(drop=True)


def gather(
    paths,
    *,
    format: str | None = None,
    encoding: str | None = None,
    progress=None,
    since=None,
    until=None,
    jobs: int | None = 1,
    scheduler: str | None = None,
) -> Gathered:
    """Read ``paths`` into :class:`Gathered`, streaming: memory grows with the number of
    messages kept as codes, not with the size of the files. ``jobs`` > 1 reads large files on
    that many local processes, or the chunks of the one large file on that many threads;
    ``scheduler`` (a Dask scheduler address) reads the files on a cluster; ``jobs=None``
    leaves the number to o365tls (:data:`PARALLEL_BYTES`). Local worker
    processes start from a server process, not as forks of this one (see
    :func:`o365tls.parallel.process_pool`): a script that calls this with ``jobs`` > 1 must
    guard its entry point with ``if __name__ == "__main__":``, as for any such pool."""
    forced = forced_format(format)
    sources, refusals = expand_paths(list(paths))
    refused_reports = [refused(r) for r in refusals]
    cores = jobs or default_jobs()
    if jobs is None:  # left to o365tls: every core for a large input, one for a small one
        jobs = default_jobs() if sum(s.size for s in sources) >= PARALLEL_BYTES else 1
    tasks = (
        plan(sources, forced, encoding, local=not scheduler)
        if (jobs or 1) > 1 or scheduler
        else [sources]
    )
    if not scheduler and sum(_size(t) >= SPREAD_BYTES for t in tasks) <= 1:
        # At most one large task (one big trace and its small reports): processes would wait
        # on it, so its chunks share the cores instead.
        gathered = gather_sources(
            sources,
            forced.name if forced else None,
            encoding,
            since,
            until,
            progress,
            threads=max(1, jobs or 1),
        )
    else:
        args = [
            (task, forced.name if forced else None, encoding, since, until, None) for task in tasks
        ]
        parts = _run_dask(scheduler, args) if scheduler else _run_local(jobs, args)
        gathered = _combine(parts)
        position = {s.display: i for i, s in enumerate(sources)}
        gathered.inputs.sort(key=lambda r: position.get(r.path, len(position)))
        if progress:
            for report in gathered.inputs:
                progress("done", report)
    gathered.inputs[:0] = refused_reports
    gathered.threads = max(1, jobs or 1)
    gathered.cores = max(1, cores)
    return gathered


def _size(task: list[Source]) -> int:
    return sum(s.size for s in task)


def plan(
    sources: list[Source], forced, encoding: str | None, local: bool = False
) -> list[list[Source]]:
    """Tasks in file order: protocol logs together, every other file on its own. ``local``:
    the tasks run on this machine's processes, whose server is started at the first protocol
    log, to get ready while the other files are planned."""
    tasks: list[list[Source]] = []
    together: list[Source] | None = None
    for source in sources:
        # A protocol log says what it is in its first lines: a week of hourly logs is planned
        # from their heads (the first lines say it all, and a whole sample of each of a
        # thousand hourly logs adds up); other files from a whole sample, as they are read.
        if (
            format_of(source, forced, encoding, PLAN_BYTES) in TOGETHER
            or format_of(source, forced, encoding) in TOGETHER
        ):
            if together is None:
                together = []
                tasks.append(together)
                if local:
                    start_process_server(PRELOAD)
            together.append(source)
        else:
            tasks.append([source])
    return tasks


def gather_sources(
    sources: list[Source],
    format_name: str | None,
    encoding: str | None,
    since,
    until,
    progress=None,
    threads: int = 1,
) -> Gathered:
    """One task: read these sources into a partial :class:`Gathered` (runs in workers);
    ``threads`` chunks of a large file are converted at once."""
    reports: dict = {}
    records = _Blocks()
    connectors: list[pd.DataFrame] = []
    probes: list[pd.DataFrame] = []
    forced = forced_format(format_name)
    with _Reducing(threads) as reducing:
        for report, batch in iter_sources(
            sources,
            forced=forced,
            encoding=encoding,
            progress=progress,
            reports=reports,
            threads=threads,
        ):
            if not len(batch.frame):
                continue
            if batch.kind == CONNECTORS:
                connectors.append(batch.frame)
            elif batch.kind == PROBES:  # dated by the probe, not by the exports: no --since
                probes.append(batch.frame)
            elif batch.kind == SIGHTINGS:  # the reducer takes the format; no scope column
                reducing.add(within(batch.frame, since, until), report.format or "")
            else:
                records.add(within(batch.frame, since, until), report.format)
    # The import is over: what Arrow's pool kept for a next file (after a file read in one
    # block) goes back to the system before the analysis needs memory of its own.
    pa.default_memory_pool().release_unused()
    reducer = reducing.reducer
    observations = records.frame()
    connectors = pd.concat(connectors, ignore_index=True) if connectors else empty(CONNECTORS)
    probed = pd.concat(probes, ignore_index=True) if probes else empty(PROBES)
    return Gathered(observations, reducer, connectors, list(reports.values()), probes=probed)


class _Blocks:
    """TLS records as they are gathered, joined into blocks of at least BLOCK_RECORDS, each
    text column in one Arrow chunk. An importer's batch is one file's records (a few
    thousand for an hourly log): kept apart, a week of logs would come to the analysis as a
    thousand chunks per column, and concatenating and joining those at the end costs more
    than joining as they come, in the gaps while the workers read."""

    def __init__(self) -> None:
        self.blocks: list[pd.DataFrame] = []
        self.loose: list[pd.DataFrame] = []
        self.loose_records = 0
        # Per batch, its file's format and its length: format and scope are added once,
        # over all the records, not as two constant columns per batch (a fixed cost each,
        # paid a thousand times over a week of hourly logs).
        self.formats: list[str | None] = []
        self.lengths: list[int] = []

    def add(self, frame: pd.DataFrame, fmt: str | None) -> None:
        self.loose.append(frame)
        self.formats.append(fmt)
        self.lengths.append(len(frame))
        self.loose_records += len(frame)
        if self.loose_records >= BLOCK_RECORDS:
            self._join()

    def _join(self) -> None:
        if self.loose:
            joined = pd.concat(self.loose, ignore_index=True)
            self.blocks.append(
                pd.DataFrame(
                    {name: _in_one_piece(joined[name], None) for name in joined.columns}, copy=False
                )
            )
            self.loose, self.loose_records = [], 0

    def frame(self) -> pd.DataFrame:
        """Every record, in the order added, with its format and scope."""
        self._join()
        if not self.blocks:
            return add_scope(empty(OBSERVATIONS), {})
        return with_scope(pd.concat(self.blocks, ignore_index=True), self.formats, self.lengths)


class _Reducing:
    """Sightings into one :class:`SightingReducer`. With threads, each chunk is reduced on its
    own (while the next is read) and absorbed in file order: the same codes, in the same
    order, as adding them one by one."""

    def __init__(self, threads: int) -> None:
        self.reducer = SightingReducer()
        self.threads = threads
        self.pool = (
            ThreadPoolExecutor(threads, thread_name_prefix="o365tls-reduce")
            if threads > 1
            else None
        )
        self.pending: deque[Future] = deque()

    def add(self, frame: pd.DataFrame, fmt: str) -> None:
        if self.pool is None:
            self.reducer.add(frame, fmt)
            return
        self.pending.append(self.pool.submit(_reduced, frame, fmt))
        while len(self.pending) > self.threads:
            self.reducer.absorb(self.pending.popleft().result())

    def __enter__(self) -> _Reducing:
        return self

    def __exit__(self, kind, *_) -> None:
        if self.pool is None:
            return
        try:
            while self.pending and kind is None:
                self.reducer.absorb(self.pending.popleft().result())
        finally:
            self.pool.shutdown(cancel_futures=True)


def _reduced(frame: pd.DataFrame, fmt: str) -> SightingReducer:
    reducer = SightingReducer()
    reducer.add(frame, fmt)
    return reducer


def _combine(parts: list[Gathered]) -> Gathered:
    combined = Gathered(
        add_scope(empty(OBSERVATIONS), {}), SightingReducer(), empty(CONNECTORS), []
    )
    for part in parts:
        combined.absorb(part)
    return combined


def _call(args: tuple) -> Gathered:
    return gather_sources(*args)


def _run_local(jobs: int, args: list[tuple]) -> list[Gathered]:
    with process_pool(max(1, jobs), PRELOAD) as pool:
        return list(pool.map(_call, args))


def _run_dask(address: str, args: list[tuple]) -> list[Gathered]:
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise UsageError(
            "--scheduler needs Dask's distributed scheduler", hint="pip install 'o365tls[dask]'"
        ) from exc
    try:
        client = Client(address, timeout="20s", set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler at {address} ({exc})",
            hint="check --scheduler, or use --jobs N on this machine",
        ) from exc
    with client:
        futures = [client.submit(_call, a, pure=False) for a in args]
        return client.gather(futures)
