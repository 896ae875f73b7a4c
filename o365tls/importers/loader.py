"""Run the importers over PATH arguments: expand folders and archives, recognise each file from
its content, read it in chunks, and account for every row."""

from __future__ import annotations

import codecs
import threading
import traceback
from collections import deque
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import pandas as pd

from ..errors import InputError, UsageError
from ..parallel import in_order, process_pool
from ..quality import FileReport
from ..schema import CONNECTORS, KINDS, OBSERVATIONS, PROBES, SIGHTINGS, TIMESTAMP
from .base import Batch, Format, LoadContext, empty
from .sample import (
    BINARY,
    EMPTY,
    JSON,
    MAX_COLUMNS,
    SAMPLE_BYTES,
    XML,
    Sample,
    normalize_header,
    take_sample,
)
from .sources import READ_ERRORS, Source, expand_paths

Progress = Callable[[str, FileReport], None]


@dataclass
class Dataset:
    """Everything read from the inputs: the canonical tables and one report per file."""

    observations: pd.DataFrame
    sightings: pd.DataFrame
    connectors: pd.DataFrame
    inputs: list[FileReport] = field(default_factory=list)
    probes: pd.DataFrame = field(default_factory=lambda: empty(PROBES))

    def frame(self, kind: str) -> pd.DataFrame:
        return {
            OBSERVATIONS: self.observations,
            SIGHTINGS: self.sightings,
            CONNECTORS: self.connectors,
            PROBES: self.probes,
        }[kind]

    @property
    def period(self) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        stamps: list[pd.Timestamp] = [
            s for r in self.inputs for s in (r.period_start, r.period_end) if s is not None
        ]
        if not stamps:
            return None, None
        return min(stamps), max(stamps)


def _formats() -> tuple[Format, ...]:
    from . import FORMATS  # the registry imports this module

    return FORMATS


def identify(sample: Sample) -> Format | None:
    """The first registered format that recognises ``sample``."""
    if sample.kind in (EMPTY, BINARY):
        return None
    for fmt in _formats():
        if fmt.detect(sample):
            return fmt
    return None


def closest_format(sample: Sample) -> tuple[Format, list[str]] | None:
    """The format whose signature columns the sample shares most, and the ones it lacks."""
    if not sample.keys:
        return None
    best = None
    for fmt in _formats():
        wanted = [normalize_header(c) for c in fmt.signature]
        shared = sum(1 for c in wanted if c in sample.keys)
        if best is None or shared > best[0]:
            best = (
                shared,
                fmt,
                [c for c, k in zip(fmt.signature, wanted, strict=True) if k not in sample.keys],
            )
    if best is None or best[0] == 0:
        return None
    return best[1], best[2]


def iter_load(
    paths,
    *,
    format: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    reports: dict[str, FileReport] | None = None,
) -> Iterator[tuple[FileReport, Batch]]:
    """Yield (file report, batch of canonical records) for every input, streaming. Pass a dict
    as ``reports`` to receive one report per input, including files that yield no records;
    reports are complete once the iterator is exhausted (records of sessions that span files
    may come while a later file is read)."""
    forced = forced_format(format)
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise UsageError(
                f"unknown encoding {encoding!r}",
                hint="use a Python codec name: utf-8, utf-16-le, cp1252...",
            ) from None
    sources, refusals = expand_paths(list(paths))
    reports = reports if reports is not None else {}
    for refusal in refusals:
        report = refused(refusal)
        reports[refusal.display] = report
        if progress:
            progress("refused", report)
    yield from iter_sources(
        sources, forced=forced, encoding=encoding, progress=progress, reports=reports
    )


def forced_format(name: str | None) -> Format | None:
    """The format ``--format`` names, or None; an unknown name is an error."""
    from . import FORMATS_BY_NAME

    if name is None:
        return None
    fmt = FORMATS_BY_NAME.get(name)
    if fmt is None:
        raise InputError(f"unknown format {name!r}", hint="run `o365tls formats` for the names")
    return fmt


def refused(refusal) -> FileReport:
    report = FileReport(refusal.display)
    report.fail(refusal.code, refusal.message)
    return report


def format_of(
    source: Source, forced: Format | None, encoding: str | None, size: int = SAMPLE_BYTES
) -> str | None:
    """The format a source would be read as (for planning parallel work); None if unknown.
    ``size``: the bytes sampled (fewer: quicker, and sometimes no answer where the whole
    sample would give one)."""
    if forced is not None:
        return forced.name
    try:
        fmt = identify(take_sample(source, encoding, size))
    except (*READ_ERRORS, UnicodeError, LookupError):
        return None
    return fmt.name if fmt else None


#: While the worker processes start (each imports pandas, pyarrow and the importers), files
#: are read in their own turn rather than waited for.
READ_WHILE_STARTING = True
#: Files up to this size may be prepared ahead of their turn (see ``Format.prepare``): their
#: prepared chunks wait in memory, so a huge file is read in its own turn, as without --jobs.
AHEAD_BYTES = 16 * 1024 * 1024


@dataclass
class _Opened:
    """A source with its sample and format, or why it cannot be read; ``prepared`` when its
    format's ``prepare`` already ran, ahead of its turn."""

    source: Source
    sample: Sample | None = None
    fmt: Format | None = None
    failure: tuple[str, str] | None = None
    prepared: _Prepared | None = None


@dataclass
class _Prepared:
    """``Format.prepare`` of one file run to its end: its chunks, its scratch report, and the
    exception that stopped it (raised in the file's turn, after the chunks before it, as a
    one-thread run raises it)."""

    chunks: deque
    report: FileReport
    error: Exception | None = None

    @classmethod
    def run(cls, format_name: str, sample: Sample) -> _Prepared:
        from . import FORMATS_BY_NAME

        prepared = cls(deque(), FileReport(sample.display))
        prepare = FORMATS_BY_NAME[format_name].prepare
        assert prepare is not None  # only files of a format that prepares are sent here
        try:
            for chunk in prepare(sample, prepared.report):
                prepared.chunks.append(chunk)
        except Exception as exc:  # noqa: BLE001 - raised in the file's turn, by replay()
            prepared.error = exc
        return prepared

    def replay(self) -> Iterator[object]:
        while self.chunks:
            yield self.chunks.popleft()  # not kept once read
        if self.error is not None:
            error, self.error = self.error, None
            raise error


def _open(source: Source, forced: Format | None, encoding: str | None) -> _Opened:
    try:
        sample = take_sample(source, encoding)
    except READ_ERRORS as exc:
        return _Opened(
            source,
            failure=(
                "bad-archive" if source.member else "unreadable",
                f"cannot read: {exc or type(exc).__name__}",
            ),
        )
    except (UnicodeError, LookupError) as exc:  # --encoding utf-16 on a file without BOM
        return _Opened(
            source,
            failure=(
                "undecodable",
                f"cannot be read as {encoding}: {exc}; try another --encoding, or "
                "none to let o365tls detect it",
            ),
        )
    if len(sample.header) > MAX_COLUMNS:
        return _Opened(source, sample)
    return _Opened(source, sample, forced or identify(sample))


def _started() -> bool:
    """Nothing: a worker that has run it is up."""
    return True


class _Ahead:
    """Prepares the files whose format has a ``prepare`` step on worker processes, called
    from :func:`~o365tls.parallel.in_order`'s threads a few files ahead of their turn. Not
    on the threads themselves: ``prepare`` is Arrow calls with Python between them, and a
    thread doing that beside a caller running Python waits on the GIL at every call (several
    times slower, see bench/RESULTS.md), so the threads only wait for the processes. The
    processes start on a thread of their own; until one is up, files are read in their
    turn."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool: ProcessPoolExecutor | None = None  # None once up: no processes here
        self.up = threading.Event()
        self.refused: UsageError | None = None
        self.starter: threading.Thread | None = None
        self.lock = threading.Lock()

    def __call__(self, item: _Opened) -> _Opened:
        if (
            item.sample is None
            or item.fmt is None
            or item.fmt.prepare is None
            or item.source.size > AHEAD_BYTES
        ):
            return item
        with self.lock:  # started for the first file that needs it
            if self.starter is None:
                self.starter = threading.Thread(
                    target=self._start, name="o365tls-start", daemon=True
                )
                self.starter.start()
        if not self.up.is_set():
            if READ_WHILE_STARTING:
                return item  # read in its turn by the caller, who would otherwise wait
            self.up.wait()
        if self.refused is not None:
            raise self.refused  # an unguarded script re-run in a worker: it must stop there
        if self.pool is None:
            return item
        try:
            item.prepared = self.pool.submit(
                _Prepared.run, item.fmt.name, item.sample.without_head()
            ).result()
        except Exception:  # noqa: BLE001 - a broken pool, an unpicklable result: the file
            item.prepared = None  # is read in its own turn, as without --jobs
        return item

    def _start(self) -> None:
        try:
            pool = process_pool(self.workers, (__name__,))
            pool.submit(_started).result()  # once the server has imported, and forked
            self.pool = pool
        except UsageError as exc:
            self.refused = exc
        except Exception:  # noqa: BLE001 - no processes here (no sem_open): files in turn
            pass
        finally:
            self.up.set()

    def close(self) -> None:
        if self.starter is not None:
            self.starter.join()  # a pool still starting is shut down too, not left running
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


def iter_sources(
    sources: list[Source],
    *,
    forced: Format | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    reports: dict[str, FileReport] | None = None,
    threads: int = 1,
) -> Iterator[tuple[FileReport, Batch]]:
    """:func:`iter_load` for sources already found (a worker's share of the files).
    ``threads`` > 1 converts the chunks of a large file concurrently, where its format
    allows, and prepares that many of the next files ahead, where their format can."""
    context = LoadContext(reports=reports if reports is not None else {}, threads=threads)
    used_formats: list[Format] = []
    opened: Generator[_Opened, None, None] = (_open(source, forced, encoding) for source in sources)
    ahead = _Ahead(threads) if threads > 1 else None
    if ahead is not None:
        # Files are opened here, in turn; only ``prepare`` runs ahead. Two files per worker
        # process keep each busy while a result travels back; their prepared lines wait in
        # memory (a few MB a file).
        opened = in_order(ahead, opened, 2 * threads, "o365tls-file")
    try:
        yield from _read_opened(opened, context, progress, used_formats)
    finally:
        if ahead is not None:
            opened.close()  # waits for the files being prepared
            ahead.close()
    for fmt in used_formats:
        if fmt.finish is None:
            continue
        for batch in fmt.finish(context):
            owner = _owner(context, batch, None)
            if owner is not None:
                _see(owner, batch)
                yield owner, batch
    for report in context.reports.values():
        _settle(report)


def _read_opened(
    opened: Iterator[_Opened],
    context: LoadContext,
    progress: Progress | None,
    used_formats: list[Format],
) -> Iterator[tuple[FileReport, Batch]]:
    """Each file in its turn: its report, and its format's records."""
    for item in opened:
        source, sample, fmt = item.source, item.sample, item.fmt
        report = FileReport(source.display)
        context.reports[source.display] = report
        if item.failure is not None:
            report.fail(*item.failure)
            continue
        assert sample is not None  # a source opened without failure has its sample
        report.encoding = sample.encoding_label
        if len(sample.header) > MAX_COLUMNS:
            report.fail(
                "too-many-columns",
                f"the header has {len(sample.header)} columns; no export o365tls reads "
                f"has more than {MAX_COLUMNS}: is this the right file?",
            )
            continue
        if fmt is None:
            report.fail(*_unrecognised(sample))
            if progress:
                progress("unrecognised", report)
            continue
        report.format = fmt.name
        if fmt not in used_formats:
            used_formats.append(fmt)
        if progress:
            progress("reading", report)
        prepared, item.prepared = item.prepared, None
        try:
            if prepared is not None:
                # ``prepare`` is the only step that writes to the report: its scratch report
                # is all of it, and the same as a one-thread run's.
                report.absorb(prepared.report)
                assert fmt.read_prepared is not None  # it goes with prepare
                batches = fmt.read_prepared(prepared.replay(), sample, report, context)
            else:
                batches = fmt.read(sample, report, context)
            for batch in batches:
                owner = _owner(context, batch, report)
                assert owner is not None  # the file named, else the one read
                _see(owner, batch)
                if progress:
                    progress("rows", report)
                yield owner, batch
        except READ_ERRORS as exc:  # the input, not the importer: a damaged archive member
            report.note(
                None,
                "bad-archive" if source.member else "unreadable",
                f"the file could not be read to its end ({exc or type(exc).__name__}); "
                "the rows before the damage were read",
            )
        except Exception as exc:  # noqa: BLE001 - one bad file must not stop the batch
            _failed(report, exc)
        del prepared
        if report.rows_read == 0 and not report.fatal:
            report.note(
                None,
                "no-rows",
                "the file has a header but no data rows; was the export empty for its period?",
            )
        _settle(report)
        if progress:
            progress("done", report)


def _unrecognised(sample: Sample) -> tuple[str, str]:
    if sample.kind == EMPTY:
        return "empty", "the file is empty; export it again"
    if sample.kind == BINARY:
        return "binary", (
            "not text in any encoding o365tls reads (UTF-8, UTF-16, Windows-1252); "
            "if it is an xlsx, save it as CSV"
        )
    if sample.kind == JSON:
        return "unrecognised", (
            "JSON that is neither Graph message trace, connector "
            "configuration nor o365tls probe results; pass --format NAME "
            "if you know which it is"
        )
    if sample.kind == XML:
        return "unrecognised", (
            "XML that is not a Reporting Web Service MessageTrace or "
            "MessageTraceDetail feed (Atom with the OData dataservices "
            "namespace); pass --format NAME if you know which it is"
        )
    near = closest_format(sample)
    if near is None:
        return "unrecognised", (
            "no export format has these columns "
            f"({', '.join(sample.header[:6]) or 'no header found'}); "
            "run `o365tls formats` to see what is supported"
        )
    fmt, missing = near
    return "unrecognised", (
        f"not a known export; closest is {fmt.name}, which also needs "
        f"column(s) {', '.join(missing)} (or pass --format {fmt.name})"
    )


def _owner(context: LoadContext, batch: Batch, reading: FileReport | None) -> FileReport | None:
    """The report that counts ``batch``: that of the file it names, else ``reading``'s."""
    return context.reports.get(batch.source, reading) if batch.source else reading


def _see(report: FileReport, batch: Batch) -> None:
    frame = batch.frame
    report.records += len(frame)
    if len(frame) and TIMESTAMP in frame.columns:
        # min and max skip missing times, without the copy of the others that dropna makes
        # for every batch
        first, last = frame[TIMESTAMP].min(), frame[TIMESTAMP].max()
        if not pd.isna(first):
            report.see_period(first, last)


def _failed(report: FileReport, exc: Exception) -> None:
    detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
    report.note(None, "import-failed", f"the importer stopped on this file: {detail}")
    report.fatal = report.rows_used == 0


def _settle(report: FileReport) -> None:
    """Rows read but neither used nor rejected (an importer stopped midway) are rejected;
    the masked IPs counted get their note."""
    report.note_masked_ips()
    missing = report.rows_read - report.rows_used - report.rows_rejected
    if missing > 0:
        report.rows_rejected += missing
        report.note(None, "not-accounted", f"{missing} rows read but not used; counted rejected")


def load(
    paths,
    *,
    format: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> Dataset:
    """Read every input into a :class:`Dataset`: each file's canonical records in memory, to
    inspect what the importers make of them (the analysis takes :func:`o365tls.gather`'s
    streamed inputs instead). Files that cannot be read are reported in ``inputs``; raises
    :class:`~o365tls.errors.InputError` only when nothing at all was read."""
    parts: dict[str, list[pd.DataFrame]] = {k: [] for k in KINDS}
    reports: dict[str, FileReport] = {}
    for _report, batch in iter_load(
        paths, format=format, encoding=encoding, progress=progress, reports=reports
    ):
        if len(batch.frame):
            parts[batch.kind].append(batch.frame)
    inputs = list(reports.values())
    frames = {k: (pd.concat(v, ignore_index=True) if v else empty(k)) for k, v in parts.items()}
    return Dataset(
        frames[OBSERVATIONS], frames[SIGHTINGS], frames[CONNECTORS], inputs, frames[PROBES]
    )


def inspect(
    paths,
    *,
    format: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
) -> list[FileReport]:
    """Read every input fully and return one report per file (format, encoding, period, rows
    read / used / rejected, problems), without keeping the records."""
    reports: dict[str, FileReport] = {}
    for _ in iter_load(paths, format=format, encoding=encoding, progress=progress, reports=reports):
        pass
    return list(reports.values())
