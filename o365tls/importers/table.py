"""The one delimited-text reader under every CSV and log importer.

Streams a file in chunks of raw string columns (memory stays bounded whatever the file size),
after the header row that :mod:`.sample` found. It handles quoted multi-line fields, stray
quotes, blank lines, ``sep=``/``#TYPE`` lines and header rows repeated inside concatenated
exports, and counts every data row it reads into the file's :class:`~o365tls.quality.FileReport`.
The literal text ``None`` and an empty cell stay distinct: nothing is turned into NaN.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from functools import lru_cache

import pandas as pd
import pyarrow as pa

from ..quality import FileReport
from . import fastcsv
from .sample import MAX_COLUMNS, Sample, clean_header_name, dedupe, normalize_header
from .sources import READ_ERRORS

#: Fields longer than this are a parse error, not a memory problem.
MAX_FIELD_CHARS = 8 * 1024 * 1024
csv.field_size_limit(MAX_FIELD_CHARS)

ROW_COLUMN = "__row__"
#: Chunks are sized in cells, so that a wide export does not hold more memory than a narrow
#: one: about half a million cells per chunk, whatever the number of columns.
CHUNK_CELLS = 500_000
MIN_CHUNK_ROWS = 5_000


def open_text(sample: Sample) -> io.TextIOWrapper:
    return io.TextIOWrapper(
        sample.source.open(), encoding=sample.encoding, newline="", errors="strict"
    )


def read_table(
    sample: Sample,
    report: FileReport,
    chunk_rows: int | None = None,
    columns: Iterable[str] | None = None,
) -> Iterator[pd.DataFrame]:
    """Yield frames of raw strings: the sample's header as columns plus ``__row__``, the
    1-based data-row number. Rows with the wrong number of fields and repeated header rows are
    rejected here; every other row is yielded for the importer to use or reject.

    Clean files take the fast path (:mod:`.fastcsv`: pyarrow's parser over blocks cut at record
    boundaries, several cores); the first row it cannot take as is (a short row, a stray
    quote, bytes that do not decode) hands the rest of the file to the tolerant reader below,
    which picks up at the next record, so both paths give the same rows and issues."""
    done = 0
    if fastcsv.eligible(sample):  # its blocks are bounded in bytes, whatever chunk_rows says
        try:
            for frame in fastcsv.read_blocks(sample, report, columns):
                done = int(frame[ROW_COLUMN].iloc[-1]) if len(frame) else done
                yield frame
            return
        except fastcsv.NotClean as stop:
            done = stop.records_done
    yield from _read_tolerant(sample, report, chunk_rows, skip_records=done)


def read_arrow(
    sample: Sample,
    report: FileReport,
    chunk_rows: int | None = None,
    columns: Iterable[str] | None = None,
) -> Iterator[pa.Table]:
    """:func:`read_table` as Arrow tables: text columns ``string`` (the header's, all of them
    from the tolerant reader, ``columns`` from the fast one) and ``__row__`` int64. The
    same rows, issues and accounting; for importers that work in Arrow, without a round trip
    through pandas."""
    done = 0
    if fastcsv.eligible(sample):
        try:
            for table in fastcsv.read_arrow(sample, report, columns):
                done = table.column(ROW_COLUMN)[-1].as_py() if table.num_rows else done
                yield table
            return
        except fastcsv.NotClean as stop:
            done = stop.records_done
    for frame in _read_tolerant(sample, report, chunk_rows, skip_records=done):
        yield pa.table(
            {
                name: pa.array(frame[name], type=pa.int64() if name == ROW_COLUMN else pa.string())
                for name in frame.columns
            }
        )


def _read_tolerant(
    sample: Sample, report: FileReport, chunk_rows: int | None, skip_records: int = 0
) -> Iterator[pd.DataFrame]:
    header = list(sample.header)
    header_keys = [normalize_header(h) for h in header]
    if chunk_rows is None:
        chunk_rows = max(MIN_CHUNK_ROWS, CHUNK_CELLS // max(len(header), 1))
    # Cheap pre-check for repeated headers: a first field much longer than the header's own
    # first name cannot be it (normalizing every row's fields would be a large part of the
    # read).
    first_limit = len(header[0]) + 8 if header else 0
    rows: list[list[str]] = []
    numbers: list[int] = []
    row_no = 0
    with open_text(sample) as stream:
        try:
            for _ in range(sample.skip_lines):
                stream.readline()
            reader = csv.reader(stream, delimiter=sample.delimiter)
            for fields in reader:
                if not fields or (len(fields) == 1 and not fields[0].strip()):
                    continue  # blank line
                first = fields[0]
                if first.startswith("#"):
                    if sample.log_fields and first.startswith("#Fields:"):
                        if len(fields) > MAX_COLUMNS:  # a frame that wide would never end
                            report.note(
                                row_no + 1,
                                "too-many-columns",
                                f"a '#Fields:' line names {len(fields)} fields (more "
                                f"than {MAX_COLUMNS}); ignored, the lines after it are "
                                "read with the field list before it",
                            )
                            continue
                        # A concatenated log may change its field list: flush, then switch.
                        if rows:
                            yield _frame(header, rows, numbers)
                            rows, numbers = [], []
                        names = [first[len("#Fields:") :].strip(), *fields[1:]]
                        header = dedupe([clean_header_name(n) for n in names])
                        header_keys = [normalize_header(h) for h in header]
                        first_limit = len(header[0]) + 8
                        continue
                    if sample.log_fields or first.startswith("#TYPE"):
                        continue  # log directives, PowerShell type lines
                if len(fields) == 1 and first.strip().lower().startswith("sep="):
                    continue
                row_no += 1
                if row_no <= skip_records:
                    continue  # already read by the fast path
                report.read()
                if (
                    len(fields) == len(header_keys)
                    and len(first) <= first_limit
                    and normalize_header(first) == header_keys[0]
                    and [normalize_header(f) for f in fields] == header_keys
                ):
                    report.reject(
                        row_no,
                        "repeated-header",
                        "header row repeated inside the file (concatenated export); skipped",
                    )
                    continue
                if len(fields) != len(header):
                    extra = fields[len(header) :]
                    if len(fields) > len(header) and not any(f.strip() for f in extra):
                        fields = fields[: len(header)]
                    else:
                        report.reject(
                            row_no,
                            "field-count",
                            f"row has {len(fields)} fields, the header has {len(header)}"
                            + (" (file truncated?)" if len(fields) < len(header) else ""),
                        )
                        continue
                rows.append(fields)
                numbers.append(row_no)
                if len(rows) >= chunk_rows:
                    yield _frame(header, rows, numbers)
                    rows, numbers = [], []
        except UnicodeDecodeError:
            report.note(
                row_no + 1,
                "decode-error",
                f"bytes after row {row_no} are not {sample.encoding_label}; the rest of "
                "the file was not read (try --encoding cp1252 or re-export as UTF-8)",
            )
        except csv.Error as exc:
            report.note(
                row_no + 1,
                "parse-error",
                f"unreadable CSV after row {row_no} ({exc}); the rest of the file was not read",
            )
        except READ_ERRORS as exc:  # a damaged archive member: keep the rows read before it
            report.note(
                row_no + 1,
                "bad-archive" if sample.source.member else "unreadable",
                f"the file could not be read after row {row_no} "
                f"({exc or type(exc).__name__}); the rest of it was not read",
            )
    if rows:
        yield _frame(header, rows, numbers)


def _frame(header: list[str], rows: list[list[str]], numbers: list[int]) -> pd.DataFrame:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in header]
    data = {name: pd.Series(col, dtype=object) for name, col in zip(header, columns, strict=True)}
    data[ROW_COLUMN] = pd.Series(numbers, dtype="int64")
    return pd.DataFrame(data)


def column_for(frame_columns, *synonyms: str) -> str | None:
    """The frame column whose normalized name is one of ``synonyms`` (first synonym wins)."""
    by_key = _header_keys(tuple(frame_columns))
    for name in synonyms:
        hit = by_key.get(_header_key(name))
        if hit is not None:
            return hit
    return None


# Importers look their columns up in every chunk (a dozen lookups, each normalizing the whole
# header): the keys are worked out once per header. A header comes from a file (at most the
# sample's 256 KB), so few are kept; the synonyms are the importers' own constants.
@lru_cache(maxsize=32)
def _header_keys(columns: tuple[str, ...]) -> dict[str, str]:
    """Normalized name -> column (the last of equal keys, as a dict built in order keeps);
    shared: not to be changed."""
    return {normalize_header(c): c for c in columns if c != ROW_COLUMN}


@lru_cache(maxsize=1024)
def _header_key(synonym: str) -> str:
    return normalize_header(synonym)
