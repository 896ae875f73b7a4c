"""The fast reader's block cutting, held to the plain implementation it replaced (join the
carry and the read, count quotes with bytes.count, cut copies): the same blocks, byte for
byte, whatever the text, block size or short reads."""

from __future__ import annotations

import codecs
import io
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.importers import fastcsv


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


@settings(max_examples=300, deadline=None)
@given(LINES, st.integers(0, 3), st.integers(1, 64), st.booleans(), st.booleans())
def test_blocks_are_the_plain_cut(lines, skip, size, bom, short):
    raw = (codecs.BOM_UTF8 if bom else b"") + "\r\n".join(lines).encode("utf-8")
    stream = _Short if short else io.BytesIO
    sample = SimpleNamespace(encoding="utf-8-sig" if bom else "utf-8", skip_lines=skip,
                             source=SimpleNamespace(open=lambda: stream(raw)))
    old = fastcsv.BLOCK_BYTES
    fastcsv.BLOCK_BYTES = size
    try:
        got = [(bytes(block), whole) for block, whole in fastcsv._utf8_blocks(sample)]
    finally:
        fastcsv.BLOCK_BYTES = old
    assert got == _reference_on(stream(raw), skip, size, bom)


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


@given(st.binary(max_size=300).map(lambda b: b.replace(b"x", b'"').replace(b"y", b"\n")),
       st.integers(0, 20))
def test_record_boundary_is_the_plain_one(data, start):
    assert fastcsv._record_boundary(data, start) == _reference_boundary(data, start)
    assert fastcsv._record_boundary(bytearray(data), start) == _reference_boundary(data, start)


def test_record_boundary_on_a_large_block_counts_with_numpy():
    row = b'"a","b\r\nc"\r\n'
    data = row * 20000 + b'"open\r\n'
    assert fastcsv._record_boundary(data) == _reference_boundary(data) == len(row) * 20000
