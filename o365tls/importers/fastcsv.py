"""The fast path under :func:`.table.read_table`: pyarrow's CSV parser over large blocks.

A file is read in blocks of a few tens of megabytes, transcoded to UTF-8 when it is not, and
cut at the last line break outside quotes, so that each block holds whole records (quoted
fields may span lines). pyarrow parses each block on every core; every column stays text, and
neither an empty cell nor the literal ``None`` becomes null. Any row pyarrow cannot take as
is raises :class:`NotClean`, and the tolerant reader takes over at the next record: the fast
path never decides what a quirky row means.
"""

from __future__ import annotations

import codecs
import copy
import functools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from ..frames.arrow import first_bytes
from ..parallel import in_order
from ..quality import FileReport
from .sample import TEXT, Sample, normalize_header

#: Raw bytes per block: large enough for pyarrow to use every core, small enough that a block
#: and its conversions stay a few hundred MB whatever the file size.
BLOCK_BYTES = 16 * 1024 * 1024
#: pyarrow's own parse unit inside a block: each becomes one chunk of every column.
PARSE_BYTES = 4 * 1024 * 1024
#: Blocks parsed ahead of the one being used, each on its own thread.
PARSE_AHEAD = 2
ROW_COLUMN = "__row__"


class NotClean(Exception):
    """The fast path stops here; ``records_done`` records were read and yielded."""

    def __init__(self, records_done: int):
        super().__init__(records_done)
        self.records_done = records_done


def eligible(sample: Sample) -> bool:
    # Exchange logs qualify too: their "#" lines come before the data, and a "#" line further
    # down (concatenated logs) is a row pyarrow refuses, so the tolerant reader takes it.
    return (
        sample.kind == TEXT
        and bool(sample.header)
        and len(sample.delimiter) == 1
        and len(set(sample.header)) == len(sample.header)
    )


def read_blocks(
    sample: Sample, report: FileReport, columns: Iterable[str] | None = None
) -> Iterator[pd.DataFrame]:
    for block, first_row, hits, whole in _tables(sample, report, columns):
        table = block.pop()
        frame = table.to_pandas()
        frame[ROW_COLUMN] = pd.RangeIndex(first_row, first_row + len(frame)).to_numpy()
        frame = frame.drop(frame.index[hits]) if hits else frame
        del table
        yield frame
        _release(whole)


def read_arrow(
    sample: Sample, report: FileReport, columns: Iterable[str] | None = None
) -> Iterator[pa.Table]:
    """:func:`read_blocks` as Arrow tables (text columns, ``__row__`` int64), for importers
    that work in Arrow: no round trip through pandas."""
    for block, first_row, hits, whole in _tables(sample, report, columns):
        table = block.pop()
        rows = np.arange(first_row, first_row + table.num_rows, dtype=np.int64)
        table = table.append_column(ROW_COLUMN, pa.array(rows))
        if hits:
            keep = np.ones(table.num_rows, dtype=bool)
            keep[hits] = False
            table = table.filter(pa.array(keep))
        yield table
        del table
        _release(whole)


def _release(whole: bool) -> None:
    """After a block of a file read in several: freed blocks go back to the system, so the
    peak does not creep with the file size. A file read in one block (an hourly log) keeps
    its memory in the pool for the next file: released, every next file's buffers would
    page in again, a large part of a small file's parse (peak: one block, either way)."""
    if not whole:
        pa.default_memory_pool().release_unused()


class _Options(NamedTuple):
    """pyarrow's options for one file's blocks."""

    read: pacsv.ReadOptions
    parse: pacsv.ParseOptions
    convert: pacsv.ConvertOptions  # each text field checked for UTF-8
    unchecked: pacsv.ConvertOptions  # the same without that check


def _tables(
    sample: Sample, report: FileReport, columns: Iterable[str] | None
) -> Iterator[tuple[list[pa.Table], int, list[int], bool]]:
    """([table of a block], its first data-row number, positions of repeated header rows,
    already rejected, whether the block is the whole file). The table comes in a list for the
    caller to pop: this generator then holds no reference to it while the caller works (a
    block is tens of MB)."""
    header = list(sample.header)
    wanted = set(columns) if columns is not None else None
    # The first column is always converted: repeated header rows are spotted through it.
    include = [h for i, h in enumerate(header) if wanted is None or i == 0 or h in wanted]
    first_key = normalize_header(header[0])
    header_keys = [normalize_header(h) for h in header]
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        include_columns=include,
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    unchecked = copy.copy(convert)  # for blocks checked whole (see _parsed_blocks)
    unchecked.check_utf8 = False
    options = _Options(
        pacsv.ReadOptions(column_names=header, use_threads=True, block_size=PARSE_BYTES),
        # No invalid-row handler: pyarrow raises on a row with the wrong number of fields, and
        # the tolerant reader decides (a handler makes pyarrow decode the row's bytes first,
        # which fails, noisily, when they are not UTF-8).
        pacsv.ParseOptions(delimiter=sample.delimiter, newlines_in_values=True),
        convert,
        unchecked,
    )
    done = 0
    parsed = _parsed_blocks(sample, options)
    while True:
        try:
            table, whole = next(parsed, (None, False))
        except (pa.ArrowInvalid, UnicodeDecodeError):
            raise NotClean(done) from None
        if table is None:
            return
        if table.num_rows == 0:
            continue
        first_row = done + 1
        report.read(table.num_rows)
        hits = _repeated_headers(table, header, header_keys, first_key)
        for i in hits:
            report.reject(
                first_row + i,
                "repeated-header",
                "header row repeated inside the file (concatenated export); skipped",
            )
        done += table.num_rows
        block_table = [table]
        del table
        yield block_table, first_row, hits, whole


def _parsed_blocks(sample: Sample, options: _Options) -> Iterator[tuple[pa.Table, bool]]:
    """The file's blocks (with whether the block is the whole file), parsed PARSE_AHEAD ahead
    on other threads while the caller works on this one. Blocks are cut at record boundaries,
    so they parse independently; a block that cannot be read or parsed raises here, in its
    turn."""

    def parse(item: tuple[bytes | bytearray | memoryview, bool]) -> tuple[pa.Table, bool]:
        # A file read in one block (an hourly log) is parsed on this thread only: on a block
        # that small Arrow's threads add CPU without finishing it sooner, and with --jobs the
        # other cores are busy with other files. Larger files keep them.
        # It is parsed as one unit too, so each column is one chunk (in PARSE_BYTES units
        # the columns would come in pieces that every later step joins).
        block, whole = item
        read_options = options.read
        if whole:  # a copy of its own: the threads parse several blocks at once
            read_options = copy.copy(read_options)
            read_options.use_threads = False
            read_options.block_size = max(PARSE_BYTES, len(block) + 1)
        data = pa.py_buffer(block)
        # A block that is valid UTF-8 as a whole has valid fields (delimiters, quotes and line
        # ends are ASCII, never part of a longer character): one vectorized check of the
        # block, not one per field (a large part of a protocol log's parse). Other blocks
        # are checked per field, which raises on the field that is not UTF-8.
        convert = options.unchecked if _valid_utf8(data) else options.convert
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=read_options,
            parse_options=options.parse,
            convert_options=convert,
        ), whole

    return in_order(parse, _utf8_blocks(sample), PARSE_AHEAD, "o365tls-parse")


def _valid_utf8(data: pa.Buffer) -> bool:
    """Whether ``data`` is valid UTF-8 (Arrow's validation of it as one text value)."""
    offsets = pa.py_buffer(np.array([0, data.size], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_string(), 1, [None, offsets, data]).validate(full=True)
    except pa.ArrowInvalid:
        return False
    return True


def _repeated_headers(table, header, header_keys, first_key) -> list[int]:
    """Positions of the rows of ``table`` that repeat the header."""
    # A first field with an ASCII character that neither the header's first name nor the
    # normalization below can account for is no header: most files are ruled out by one
    # vectorized scan, without normalizing every row in Python.
    column = table.column(0)
    if _first_characters_rule_out(column, first_key):
        return []
    if not pc.any(pc.invert(pc.match_substring_regex(column, _impossible(first_key)))).as_py():
        return []
    # normalize_header, vectorized, on the first column's distinct values only (a few, in most
    # exports); full rows are compared after.
    distinct = pc.unique(column)
    first = pc.utf8_lower(distinct)
    first = pc.replace_substring_regex(first, r"[?%¿\"'\x{feff}]|\(percentage\)|\(%\)", "")
    first = pc.utf8_trim_whitespace(pc.replace_substring_regex(first, r"[\s_]+", " "))
    matching = pc.filter(distinct, pc.equal(first, first_key))
    if not len(matching):
        return []
    near = pc.is_in(column, value_set=matching)
    hits = []
    keys = dict(zip(header, header_keys, strict=True))
    names = [c for c in table.column_names if c in keys]
    # The candidate rows' cells straight from Arrow, a list per column: a pandas lookup per
    # cell would make a file of many repeated header lines slower here than in the tolerant
    # reader.
    candidates = pc.indices_nonzero(near)
    cells = [table.column(c).take(candidates).to_pylist() for c in names]
    for pos, i in enumerate(candidates.to_pylist()):
        if all(normalize_header(col[pos]) == keys[c] for c, col in zip(names, cells, strict=True)):
            hits.append(i)
    return hits


def _first_characters_rule_out(column: pa.ChunkedArray, key: str) -> bool:
    """Whether every field of ``column`` starts with a character :func:`_impossible` bans
    (then none can be a header): read from the first byte of each field, without a pass of
    the regex over every row (a log's date-time starts with a digit)."""
    if column.null_count:
        return False
    first, length = first_bytes(column)
    return bool((length > 0).all() and _banned_bytes(key)[first].all())


@functools.lru_cache(maxsize=64)
def _banned_bytes(key: str) -> np.ndarray:
    """Per byte value, whether it is one of the characters :func:`_impossible` bans."""
    banned = np.zeros(256, dtype=bool)
    banned[[ord(c) for c in _banned(key)]] = True
    return banned


def _banned(key: str) -> list[str]:
    """The printable ASCII characters that cannot occur in a field whose normalized form is
    ``key``: not in it (in either case), not removed or turned into a space by the
    normalization. Control characters and non-ASCII text are never ruled out."""
    allowed = set(key) | set(key.upper()) | set("_ ?%\"'()") | set("percentagePERCENTAGE")
    return [c for c in map(chr, range(0x20, 0x7F)) if c not in allowed]


@functools.lru_cache(maxsize=64)
def _impossible(key: str) -> str:
    """RE2 class of the characters :func:`_banned` (none: a class nothing matches)."""
    banned = _banned(key)
    return (
        "[" + "".join(re.escape(c) if not c.isalnum() else c for c in banned) + "]"
        if banned
        else "[^\\x00-\\x{10FFFF}]"
    )


def _utf8_blocks(sample: Sample) -> Iterator[tuple[bytes | bytearray | memoryview, bool]]:
    """The data after the header, as UTF-8 blocks that end at a record boundary, each with
    whether it is all the data (the file was read in one block: then it is not copied).

    Blocks are views into a buffer of their own, never reused: the parse threads that work
    ahead hold them (pa.py_buffer takes a view without a copy) while the next one is read."""
    decoder = codecs.getincrementaldecoder(sample.encoding)(errors="strict")
    codec = sample.encoding.replace("_", "-").lower()
    utf8 = codec in ("utf-8", "utf8", "utf-8-sig")  # passed through as bytes
    bom = codec == "utf-8-sig"
    carry: bytes | bytearray = b""
    skipped = False
    whole = True
    with sample.source.open() as fh:
        while True:
            # UTF-8 is passed through (pyarrow validates it), read in after the carry (a
            # partial record): joining them and cutting the block out again would copy the
            # block twice. Anything else is transcoded, then joined.
            read, final = _read_after(fh, carry if utf8 else b"")
            at = len(carry) if utf8 else 0  # where this read starts
            if bom and read[at : at + len(codecs.BOM_UTF8)] == codecs.BOM_UTF8:
                del read[at : at + len(codecs.BOM_UTF8)]
                bom = False
            data: bytes | bytearray = (
                read if utf8 else carry + decoder.decode(read, final=final).encode("utf-8")
            )
            del read  # transcoded: the block read is not kept while this one is used
            # Where the data starts in this block: after the lines skipped (no copy made).
            start = 0
            if not skipped:
                start, ok = _skip_lines(data, sample.skip_lines, final)
                if not ok:
                    carry = data
                    if final:
                        return
                    continue
                skipped = True
            if final:
                if _NOT_SPACE.search(data, start):
                    yield (memoryview(data)[start:] if start else data), whole
                return
            cut = _record_boundary(data, start)
            if cut < 0:
                carry = bytes(data[start:])
                continue
            yield (memoryview(data)[start:cut] if utf8 else data[start:cut]), False
            whole = False
            carry = bytes(data[cut:])


def _read_after(fh, carry: bytes | bytearray) -> tuple[bytearray, bool]:
    """``carry`` followed by the next BLOCK_BYTES of ``fh`` (at most), in a new buffer; with
    whether the file ended. A short read is usually the end: then the block needs no cut
    (no quotes to count, no copy: a file read in one block stays as read). An archive
    member may read short before its end: the next read joins this one."""
    size = len(carry)
    # No larger than what is left of the file, and one byte more to see its end: a new
    # buffer is filled with zeros, and its pages are faulted in, before the read fills it
    # again: a 10 MB hourly log in a 16 MB buffer would fault in 6 MB it never uses.
    want = min(BLOCK_BYTES, _left(fh) + 1)
    data = bytearray(size + want)
    data[:size] = carry
    with memoryview(data) as view, view[size:] as into:
        got = fh.readinto(into) or 0
    if got == want:  # a full block, or a file that grew while it was read
        return data, False
    del data[size + got :]  # no view of it is left: shrinking is allowed
    if not got:
        return data, True
    more = fh.read(BLOCK_BYTES)
    if not more:
        return data, True
    data += more
    return data, False


def _left(fh) -> int:
    """Bytes left to read in ``fh``, or BLOCK_BYTES where that is not known (an archive
    member, a pipe such as ``<(unzip -p export.zip)``, whose size reads 0)."""
    try:
        status = os.fstat(fh.fileno())
        if not stat.S_ISREG(status.st_mode):
            return BLOCK_BYTES
        return max(0, status.st_size - fh.tell())
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        return BLOCK_BYTES


_NOT_SPACE = re.compile(rb"\S")  # what bytes.strip() leaves


def _skip_lines(data: bytes | bytearray, count: int, final: bool) -> tuple[int, bool]:
    """Where the data starts after the first ``count`` physical lines (title, sep=, header):
    (position, done)."""
    pos = 0
    for _ in range(count):
        nl = _next_newline(data, pos)
        if nl < 0:
            return (len(data) if final else 0), final
        pos = nl
    return pos, True


def _next_newline(data: bytes | bytearray, pos: int) -> int:
    """Position after the next line break (\\r\\n, \\n or \\r) from ``pos``, or -1."""
    n = data.find(b"\n", pos)
    # A \r only counts before that \n (no scan to the end of an LF-only file per line).
    r = data.find(b"\r", pos, n if n >= 0 else len(data))
    if n < 0 and r < 0:
        return -1
    if r >= 0 and (n < 0 or r < n):
        return r + 2 if data[r + 1 : r + 2] == b"\n" else r + 1
    return n + 1


def _record_boundary(data: bytes | bytearray, start: int = 0) -> int:
    """Position just after the last newline outside quotes (quote count from ``start`` even
    before it), or -1."""
    nl = data.rfind(b"\n", start)
    if nl < 0:
        return -1
    # Quotes counted once over the block (numpy's vectorized compare); each step
    # back to an earlier newline only takes off the quotes it passes.
    quotes = _quotes(data, start, nl)
    for _ in range(256):
        if quotes % 2 == 0:
            return nl + 1
        end = nl
        nl = data.rfind(b"\n", start, end)
        if nl < 0:
            return -1
        quotes -= data.count(b'"', nl, end)
    return -1


def _quotes(data: bytes | bytearray, start: int, end: int) -> int:
    """The number of ``"`` in ``data[start:end]``."""
    if end - start < 65536:
        return data.count(b'"', start, end)
    return int(np.count_nonzero(np.frombuffer(data, np.uint8, end - start, start) == 34))
