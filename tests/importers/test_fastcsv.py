"""The fast reader's block cutting, held to the plain implementation it replaced (join the
carry and the read, count quotes with bytes.count, cut copies): the same blocks, byte for
byte, whatever the text, block size or short reads."""

from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from types import SimpleNamespace

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.importers import fastcsv
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import expand_paths
from o365tls.importers.table import read_table
from o365tls.quality import FileReport


def _reference_boundary(data: bytes, start: int = 0) -> int:
    end = len(data)
    for _ in range(256):
        nl = data.rfind(b"\n", start, end)
        if nl < 0:
            return -1
        if data.count(b'"', start, nl) % 2 == 0:
            return nl + 1
        end = nl
    return -1


class _Short(io.BytesIO):
    """A stream that reads short now and then, as an archive member may."""

    def read(self, n=-1):
        return super().read(n if n is None or n < 0 else max(1, n - 7))

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


LINES = st.lists(st.text(alphabet='ab",\r\n\u00e9', max_size=30), max_size=40)


def _blocks(raw: bytes, skip: int, size: int, bom: bool, stream, left=None) -> list:
    """The fast reader's blocks of ``raw`` read from ``stream``, BLOCK_BYTES ``size``;
    ``left(fh)`` is what it is told is left of the file (a real file's size)."""
    sample = SimpleNamespace(
        encoding="utf-8-sig" if bom else "utf-8",
        skip_lines=skip,
        source=SimpleNamespace(open=lambda: stream(raw)),
    )
    old = fastcsv.BLOCK_BYTES, fastcsv._left
    fastcsv.BLOCK_BYTES = size
    fastcsv._left = left or old[1]
    try:
        return [(bytes(block), whole) for block, whole in fastcsv._utf8_blocks(sample)]
    finally:
        fastcsv.BLOCK_BYTES, fastcsv._left = old


@settings(max_examples=300, deadline=None)
@given(
    LINES,
    st.integers(0, 3),
    st.integers(1, 64),
    st.booleans(),
    st.sampled_from(["archive", "short archive", "file"]),
)
def test_blocks_are_the_plain_cut(lines, skip, size, bom, kind):
    """An archive member's size is not known (blocks of BLOCK_BYTES, short reads now and
    then); a file's is, and its last block is read into a buffer no larger than what is
    left: the same blocks either way."""
    raw = (codecs.BOM_UTF8 if bom else b"") + "\r\n".join(lines).encode("utf-8")
    stream = _Short if kind == "short archive" else io.BytesIO
    left = (lambda fh: len(raw) - fh.tell()) if kind == "file" else None
    assert _blocks(raw, skip, size, bom, stream, left) == _reference_on(
        stream(raw), skip, size, bom
    )


@settings(max_examples=200, deadline=None)
@given(LINES, st.integers(1, 64), st.integers(0, 40))
def test_a_file_that_grows_while_it_is_read_is_read_to_its_end(lines, size, grown):
    """A protocol log still being written: the file holds more than its size said when the
    buffer was made. Every byte is still read, in blocks cut at record boundaries."""
    raw = "\r\n".join(lines).encode("utf-8")
    blocks = _blocks(
        raw, 0, size, False, io.BytesIO, lambda fh: max(0, len(raw) - fh.tell() - grown)
    )
    read = b"".join(block for block, _ in blocks)
    assert raw.startswith(read) and not raw[len(read) :].strip()  # only trailing space left
    for block, _ in blocks[:-1]:
        assert fastcsv._record_boundary(block) == len(block)


def test_what_is_left_of_a_file_is_known_and_of_an_archive_member_is_not(tmp_path):
    path = tmp_path / "trace.csv"
    path.write_bytes(b"x" * 1000)
    with open(path, "rb") as fh:
        fh.read(300)
        assert fastcsv._left(fh) == 700
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(path, "trace.csv")
    with zipfile.ZipFile(archive) as zf, zf.open("trace.csv") as member:
        assert fastcsv._left(member) == fastcsv.BLOCK_BYTES
    # A pipe or a device (``<(unzip -p export.zip)``): its size reads 0, and it is still read
    # in blocks, not a byte at a time.
    read, write = os.pipe()
    with os.fdopen(read, "rb") as fh, os.fdopen(write, "wb"):
        assert fastcsv._left(fh) == fastcsv.BLOCK_BYTES
    with open(os.devnull, "rb") as fh:
        assert fastcsv._left(fh) == fastcsv.BLOCK_BYTES


def _reference_on(fh, skip: int, size: int, bom: bool) -> list:
    blocks = []
    carry, skipped, whole = b"", False, True
    while True:
        chunk = fh.read(size)
        final = not chunk
        if chunk and len(chunk) < size:
            more = fh.read(size)
            final = not more
            chunk += more
        if bom and chunk.startswith(codecs.BOM_UTF8):
            chunk, bom = chunk[3:], False
        data = carry + chunk
        start = 0
        if not skipped:
            start, ok = fastcsv._skip_lines(data, skip, final)
            if not ok:
                carry = data
                if final:
                    return blocks
                continue
            skipped = True
        if final:
            if data[start:].strip():
                blocks.append((data[start:], whole))
            return blocks
        cut = _reference_boundary(data, start)
        if cut < 0:
            carry = data[start:]
            continue
        blocks.append((data[start:cut], False))
        whole = False
        carry = data[cut:]


@given(
    st.binary(max_size=300).map(lambda b: b.replace(b"x", b'"').replace(b"y", b"\n")),
    st.integers(0, 20),
)
def test_record_boundary_is_the_plain_one(data, start):
    assert fastcsv._record_boundary(data, start) == _reference_boundary(data, start)
    assert fastcsv._record_boundary(bytearray(data), start) == _reference_boundary(data, start)


def test_record_boundary_on_a_large_block_counts_with_numpy():
    row = b'"a","b\r\nc"\r\n'
    data = row * 20000 + b'"open\r\n'
    assert fastcsv._record_boundary(data) == _reference_boundary(data) == len(row) * 20000


FIELD = st.text(alphabet='2d-aTe:Z ._?"%(\u00e9\t', max_size=8)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.lists(FIELD, max_size=12), min_size=1, max_size=3),
    st.sampled_from(["date-time", "date time", "sender", "x", "a(percentage)"]),
    st.integers(0, 2),
)
def test_first_characters_rule_out_only_rows_the_regex_rules_out(chunks, key, cut):
    """The first-byte look is a shortcut for the regex scan: when it says no field can be a
    header, every field holds a character the regex bans (chunks and slices included)."""
    arrays = [pa.array(fields, pa.string()) for fields in chunks]
    arrays[0] = arrays[0].slice(min(cut, len(arrays[0])))
    column = pa.chunked_array(arrays, pa.string())
    ruled_out = fastcsv._first_characters_rule_out(column, key)
    pattern = re.compile(fastcsv._impossible(key).replace("\\x{10FFFF}", "\\U0010FFFF"))
    every_row_banned = all(pattern.search(field) for field in column.to_pylist())
    if ruled_out:
        assert every_row_banned
    # Where every field starts with a banned character, the shortcut sees it.
    firsts = [field[:1] for field in column.to_pylist()]
    if all(f and f in fastcsv._banned(key) for f in firsts):
        assert ruled_out


def test_first_characters_rule_out_a_log_block_and_not_a_header_row():
    key = "date-time"
    assert fastcsv._first_characters_rule_out(
        pa.chunked_array([["2024-01-15T00:00:00.000Z", "2024-01-15T00:00:01.000Z"]]), key
    )
    for odd in ("date-time", "", " 2024", "\u00e92024", '"2024'):
        assert not fastcsv._first_characters_rule_out(
            pa.chunked_array([["2024-01-15T00:00:00.000Z", odd]]), key
        )


def _log_file(tmp_path, lines: int):
    path = tmp_path / "RECV2024011500-1.LOG"
    header = (
        "#Software: Microsoft Exchange Server\r\n#Version: 15.2.1544.4\r\n"
        "#Log-type: SMTP Receive Protocol Log\r\n#Date: 2024-01-15T00:00:00.000Z\r\n"
        "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
        "remote-endpoint,event,data,context\r\n"
    )
    body = "".join(
        f"2024-01-15T00:00:{i % 60:02d}.000Z,EX01\\Default Frontend EX01,"
        f"08DC1500882{i:05X},0,10.0.0.10:25,203.0.113.{i % 250}:5{i % 1000:03d},"
        "+,,\r\n"
        for i in range(lines)
    )
    path.write_bytes((header + body).encode("utf-8"))
    return path


@pytest.mark.parametrize("block_bytes", [1 << 20, 4096])
def test_a_file_read_in_one_block_gives_one_chunk_per_column_and_keeps_its_memory(
    tmp_path, monkeypatch, block_bytes
):
    """One block: parsed as one unit (one chunk per column, whatever PARSE_BYTES), and the
    pool is not asked to release memory after it; several blocks: released after each."""
    path = _log_file(tmp_path, 2000)
    sample = take_sample(expand_paths([str(path)])[0][0], None)
    released = []
    pool = pa.default_memory_pool()
    monkeypatch.setattr(
        fastcsv.pa,
        "default_memory_pool",
        lambda: SimpleNamespace(
            release_unused=lambda: released.append(True), backend_name=pool.backend_name
        ),
    )
    monkeypatch.setattr(fastcsv, "PARSE_BYTES", 1024)
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", block_bytes)
    columns = [c for c in sample.header if c != "sequence-number"]
    tables = list(fastcsv.read_arrow(sample, FileReport(sample.display), columns))
    assert sum(t.num_rows for t in tables) == 2000
    assert tables[0].column("date-time")[0].as_py() == "2024-01-15T00:00:00.000Z"
    if block_bytes > path.stat().st_size:
        assert len(tables) == 1 and not released
        assert {tables[0].column(c).num_chunks for c in tables[0].column_names} == {1}
    else:
        assert len(tables) > 1 and len(released) == len(tables)


@given(
    st.one_of(
        st.binary(max_size=64),
        st.text(max_size=32).map(lambda t: t.encode("utf-8")),
        st.sampled_from(
            [
                b"\xed\xa0\x80",
                b"\xc0\x80",
                b"\xf4\x90\x80\x80",
                b"\xe2\x82",
                b"\xff",
                b"caf\xc3\xa9",
                b"\xf0\x9f\x93\xa7 mail",
            ]
        ),
    )
)
@pytest.mark.slow
def test_a_block_is_valid_utf8_exactly_when_python_decodes_it(data):
    """Surrogates, overlong forms, code points past U+10FFFF and cut characters are not UTF-8,
    for the block check as for Python."""
    try:
        data.decode("utf-8")
        decodes = True
    except UnicodeDecodeError:
        decodes = False
    assert fastcsv._valid_utf8(pa.py_buffer(data)) is decodes


@pytest.mark.parametrize("bad_column", [None, "Subject", "Organization"])
def test_fields_checked_with_the_block_read_as_when_each_field_was_checked(
    tmp_path, monkeypatch, bad_column
):
    """A block that is valid UTF-8 skips the per-field check; one that is not keeps it: a bad
    byte in a column that is read hands the rest to the tolerant reader, one in a column left
    out is never looked at. Either way the rows are those of a check per field."""
    header = ["Received", "SenderAddress", "Subject", "Organization"]
    rows = [
        [
            f"1/{i % 28 + 1}/2024 10:00:00 AM",
            f"scanner{i % 7}@contoso.com",
            f"Scan {i} caf\u00e9 \u2709",
            f"contoso{i % 3}",
        ]
        for i in range(10_000)
    ]  # past the sample, so that the file is taken to be UTF-8
    lines = [",".join(f'"{v}"' for v in header)]
    lines += [",".join(f'"{v}"' for v in row) for row in rows]
    raw = "\r\n".join(lines).encode("utf-8")
    if bad_column is not None:  # in the last row
        cut = raw.rindex(b"Scan 9999" if bad_column == "Subject" else b"contoso0")
        raw = raw[:cut] + b"\xff" + raw[cut:]
    path = tmp_path / "trace.csv"
    path.write_bytes(raw)
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", 64 * 1024)

    def read():
        sample = take_sample(expand_paths([str(path)])[0][0], None)
        report = FileReport(sample.display)
        frames = list(read_table(sample, report, columns=["Received", "SenderAddress", "Subject"]))
        return pd.concat(frames, ignore_index=True), report

    ours, report = read()
    monkeypatch.setattr(fastcsv, "_valid_utf8", lambda data: False)
    checked, checked_report = read()
    pd.testing.assert_frame_equal(ours, checked)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (
        checked_report.rows_read,
        checked_report.rows_used,
        checked_report.rows_rejected,
    )
    if bad_column == "Subject":  # the file says where it stops being UTF-8
        assert [issue.code for issue in report.issues] == ["decode-error"]
        assert report.rows_read < 10_000
    else:
        assert report.rows_read == len(ours) == 10_000 and not report.issues
    assert ours["Subject"].str.endswith("caf\u00e9 \u2709").all()
