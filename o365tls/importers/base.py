"""What every importer module provides, and the canonical frame builder they share."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..parallel import in_order
from ..quality import FileReport
from ..schema import COLUMNS, ROW, SOURCE
from .sample import Sample


@dataclass(frozen=True)
class Batch:
    """A chunk of canonical records of one kind (see :mod:`o365tls.schema`)."""

    kind: str
    frame: pd.DataFrame
    #: The file the records are of, whose report counts them; None: the file being read.
    #: Protocol-log records may come while a later file is read (their sessions ran into
    #: it), and a format's ``finish`` batches come after every file: those name it.
    source: str | None = None


@dataclass
class LoadContext:
    """State shared across the files of one load: importers whose records span files (protocol
    log sessions cut by the hourly roll-over) keep their carry-over here."""

    state: dict[str, object] = field(default_factory=dict)
    reports: dict[str, FileReport] = field(default_factory=dict)
    threads: int = 1  # chunks of one file converted at once (see convert_chunks)


# The hint is the format's own (a message trace's date culture).
Converter = Callable[[pd.DataFrame, FileReport, Any], tuple[pd.DataFrame, Any]]


def convert_chunks(
    raws: Iterator[pd.DataFrame], convert: Converter, report: FileReport, threads: int = 1
) -> Iterator[pd.DataFrame]:
    """``convert(raw, report, hint)`` over the raw chunks of one file, yielding canonical
    frames in file order. The hint the first chunk returns (a message trace's date culture)
    is handed to every later chunk, so chunks do not depend on each other: with ``threads`` >
    1 they are converted concurrently (Arrow's kernels release the GIL) while the next chunk
    is parsed, each into a scratch report absorbed in order, so the result is the same."""
    raws = iter(raws)
    first = next(raws, None)
    if first is None:
        return
    frame, hint = convert(first, report, None)
    yield frame
    if threads <= 1:
        for raw in raws:
            yield convert(raw, report, hint)[0]
        return

    def job(raw: pd.DataFrame) -> tuple[pd.DataFrame, FileReport]:
        scratch = FileReport(report.path)
        return convert(raw, scratch, hint)[0], scratch

    for frame, scratch in in_order(job, raws, threads, "o365tls-chunk"):
        report.absorb(scratch)
        yield frame


Reader = Callable[[Sample, FileReport, LoadContext], Iterator[Batch]]
Finisher = Callable[[LoadContext], Iterator[Batch]]
# A prepared chunk is the format's own type: the loader only hands it from one to the other.
Preparer = Callable[[Sample, FileReport], Iterator[Any]]
PreparedReader = Callable[[Iterable[Any], Sample, FileReport, LoadContext], Iterator[Batch]]


@dataclass(frozen=True)
class Format:
    """One export format: how to recognise it and how to read it."""

    name: str
    description: str
    kind: str  # the record kind it mainly produces
    carries_tls: bool  # observations (True) or identity-only sightings (False)
    signature: tuple[str, ...]  # header columns that identify it, for "closest format" hints
    detect: Callable[[Sample], bool]
    read: Reader
    finish: Finisher | None = None  # flush records that span files, after the last file
    recognised_by: str = ""  # one line for `o365tls formats`
    # ``read`` in two steps, for a format whose files depend on each other (protocol log
    # sessions run across files): ``prepare(sample, report)`` does what needs nothing from
    # other files (parse, check, classify) and is the only step that writes to the report;
    # ``read_prepared(prepared, sample, report, context)`` does the rest, in file order.
    # ``read`` must equal the two in a row. With --jobs the loader prepares the next files on
    # worker processes (the format found there by name; chunks, report and errors come back
    # pickled, the report absorbed in the file's turn) while this one is read: the same
    # records and reports, both cores busy.
    prepare: Preparer | None = None
    read_prepared: PreparedReader | None = None

    def __post_init__(self) -> None:
        if (self.prepare is None) != (self.read_prepared is None):
            raise ValueError(f"{self.name}: prepare and read_prepared go together")


_DEFAULTS = {"str": "", "int": 0, "bool": None, "list": (), "datetime": pd.NaT, "object": None}


def canonical(kind: str, data: Mapping[str, object], length: int, source: str) -> pd.DataFrame:
    """A frame with exactly the canonical columns of ``kind``, in declared order. Missing
    columns get their type's empty value; scalars are broadcast."""
    out: dict[str, object] = {}
    for column in COLUMNS[kind]:
        if column.name == SOURCE:
            value = data.get(SOURCE, source)
        else:
            value = data.get(column.name, _DEFAULTS[column.dtype])
        out[column.name] = _series(value, column.dtype, length)
    frame = pd.DataFrame(out)
    frame.index = pd.RangeIndex(length)
    return frame


_STR = pd.StringDtype("pyarrow", na_value=float("nan"))  # what astype("str") makes
_DATETIME = pd.DatetimeTZDtype("ns", "UTC")


def _series(value: object, dtype: str, length: int) -> pd.Series:
    if isinstance(value, pd.Series):
        series = value.reset_index(drop=True)
        if _canonical_already(series, dtype):
            return series  # the conversions below would return the same values
    elif dtype == "list" and isinstance(value, tuple):
        series = pd.Series([value] * length, dtype=object)
    elif isinstance(value, (list, tuple)):
        series = pd.Series(list(value))
    elif dtype == "str" and isinstance(value, str):
        # A constant column built in Arrow: a Python list would hold a string object per
        # row, millions of them per file.
        return pd.Series(pa.repeat(pa.scalar(value, pa.string()), length), dtype="str")
    else:
        series = pd.Series([value] * length)
    if dtype == "str":
        # Arrow-backed text: compact, and the string operations downstream run in C.
        if not isinstance(series.dtype, pd.StringDtype):
            series = series.astype(object).where(series.notna(), "").astype(str)
        return series.astype("str").fillna("")
    if dtype == "int":
        return pd.to_numeric(series, errors="coerce").fillna(0).astype("int64")
    if dtype == "datetime":
        return pd.to_datetime(series, utc=True, errors="coerce").astype("datetime64[ns, UTC]")
    if dtype == "bool":
        return series.astype(object).where(series.notna(), None)
    return series.astype(object)


def _canonical_already(series: pd.Series, dtype: str) -> bool:
    """True when ``series`` is already what :func:`_series` makes of it (an importer's
    cleaned text, parsed times or sizes): such a column is kept as it is, since converting
    it again would walk every row of a trace for nothing."""
    if dtype == "str":
        return series.dtype == _STR and not series.hasnans
    if dtype == "datetime":
        return series.dtype == _DATETIME
    if dtype == "int":
        return series.dtype == np.int64
    return False


def empty(kind: str) -> pd.DataFrame:
    return canonical(kind, {}, 0, "")


def rows_of(frame: pd.DataFrame) -> pd.Series:
    """The data-row numbers of a raw chunk from :func:`.table.read_table`."""
    from .table import ROW_COLUMN

    return frame[ROW_COLUMN]


__all__ = ["Batch", "Format", "LoadContext", "canonical", "empty", "rows_of", "ROW"]


def pick(raw: pd.DataFrame, *synonyms: str) -> pd.Series:
    """The raw column matching the first synonym present (header matching is case-, space- and
    punctuation-insensitive), as strings; a column of empty strings when none is present."""
    from .table import column_for

    name = column_for(raw.columns, *synonyms)
    if name is None:
        return pd.Series([""] * len(raw), index=raw.index, dtype=object)
    col = raw[name]
    if isinstance(col.dtype, pd.StringDtype):  # the fast reader's arrow strings: stay arrow
        return col.fillna("")
    return col.astype(object).where(col.notna(), "").astype(str)


def reject_rows(
    report: FileReport,
    rows: pd.Series,
    mask: pd.Series,
    code: str,
    message: str,
    column: str | None = None,
    values: pd.Series | None = None,
) -> None:
    """Reject every row where ``mask`` is true, with the same reason."""
    picked = rows[mask]
    vals = values[mask] if values is not None else None
    for i, row in enumerate(picked.tolist()):
        value = None if vals is None else vals.iloc[i]
        report.reject(int(row), code, message, column=column, value=value)


def lacks_columns(
    sample: Sample,
    report: FileReport,
    required: tuple[tuple[str, ...], ...],
    what: str,
    signature: tuple[str, ...],
) -> bool:
    """True, with a fatal issue naming the columns looked for and those found, when the
    sample has none of the synonyms of some ``required`` column (a file forced in with
    ``--format``)."""
    missing = [names for names in required if not sample.has_any(*names)]
    if not missing:
        return False
    wanted = ", ".join(" or ".join(names) for names in missing)
    report.fail(
        "missing-columns",
        f"missing column(s) {wanted}, which {what} has ({', '.join(signature)}); "
        f"this file's columns are {', '.join(sample.header) or '(none found)'}",
    )
    return True
