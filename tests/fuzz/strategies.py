"""Hypothesis strategies that turn the real-shaped fixtures into hostile inputs.

* :func:`mutated` - text edits (lines deleted, duplicated, swapped; tokens such as quotes,
  commas, CR/LF, NUL, BOMs, directives inserted; mixed line endings; long runs of characters
  that stress parsers and regexes), then re-encoding (UTF-8 with/without BOM, UTF-16LE/BE
  with/without BOM, cp1252), then byte edits (cut, bit flip, raw invalid bytes);
* :func:`generated` - the fixture's own header and directives with random rows: values taken
  from the fixture's columns mixed with hostile text, numbers and dates, wrong field counts;
* :func:`json_mutated` - JSON fixtures with values replaced by random JSON (deep, huge,
  NaN, lone surrogates, wrong types).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from hypothesis import strategies as st

from o365tls.encoding import detect_encoding
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source

# Text that means something to one parser or another.
TOKENS = (
    '"',
    '""',
    "'",
    ",",
    ";",
    "\t",
    "|",
    "\r",
    "\n",
    "\r\n",
    "\x00",
    "\ufeff",
    "\u2028",
    "\\",
    "None",
    "none",
    "",
    " ",
    "#",
    "#Fields: date-time,x",
    "#TYPE System.Object",
    "#Log-type: Message Tracking Log",
    "sep=;",
    "sep=",
    "[",
    "]",
    "{",
    "}",
    '{"value":[',
    "System.String[]",
    "System.Collections.ArrayList",
    "1,234",
    "1.234,5",
    "-5",
    "1e308",
    "NaN",
    "100%",
    "99.99",
    "0",
    "2024-13-45T99:99:99Z",
    "2024-03-15T09:00:00.1234567Z",
    "13/10/2025 09:15:03",
    "2/30/2024 1:00:00 PM",
    "/Date(99999999999999999)/",
    '<!DOCTYPE r [<!ENTITY a "a">]><r>&a;</r>',
    '<root><MEP Name="ClientIP" String="::1"/>',
    "S:tlsversion=TLS1.0;S:tlscipher=RC4",
    "S:InboundConnectorData=Name=x;ConnectorType=y",
    "S:SFA=SUM|H=helo|PTR=ptr|CIP=203.0.113.9",
    "TLS 1.0",
    "SP_PROT_TLS1_0_SERVER",
    "TLS1_3",
    "MAIL FROM:<a@b.example>",
    "EHLO x",
    "AUTH LOGIN",
    "+",
    "-",
    "*",
    ">",
    "<",
    "RECEIVE",
    "SEND",
    "addr##Receive, Deliver",
    "a@b.example",
    "203.0.113.5:25",
    "[2001:db8::1]:587",
    "Inbound - ",
    "From the internet without a connector",
    "True",
    "Falskt",
    "é",
    "ß",
    "\U0001f600",
    "\x7f",
    "\x1b[31m",
    "=cmd|' /C calc'!A0",
)
# Bytes that are not valid text in the file's encoding, or change how it is detected.
RAW = (
    b"\x00",
    b"\xff",
    b"\xfe",
    b"\xe9",
    b"\xc3",
    b"\x80",
    b"\xed\xa0\x80",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\x00\x00",
    b"\r",
    b"\n",
    b'"',
    b"\x1a",
)
# Runs that made regexes and parsers work hard (quadratic backtracking, deep nesting).
RUNS = (
    " ",
    "(",
    "[a ",
    "de ",
    "tls ",
    "ssl\t",
    "a:",
    '"',
    ",",
    ";",
    "\x00",
    "x",
    "<a>",
    "S:a=b;",
    "[",
    "{",
    "|",
    "##",
    "1",
    ".",
    "-",
    "\t",
)
ENCODINGS = (
    "same",
    "same",
    "same",
    "utf-8",
    "utf-8-sig",
    "utf-16-le",
    "utf-16-le+bom",
    "utf-16-be",
    "utf-16-be+bom",
    "cp1252",
)
#: Encodings forced on the loader (--encoding), None most of the time.
FORCED_ENCODINGS = (
    None,
    None,
    None,
    None,
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "cp1252",
    "latin-1",
)
_EOL = re.compile(r"(\r\n|\n|\r)")


@dataclass(frozen=True)
class Fixture:
    path: Path
    raw: bytes
    text: str
    codec: str  # what re-encodes it as it was ("same")
    bom: bytes
    header: tuple[str, ...] = ()
    delimiter: str = ","
    prefix: str = ""  # everything before the first data row
    pools: tuple[tuple[str, ...], ...] = field(default=())  # values seen per column


@lru_cache(maxsize=None)
def load_fixture(path: Path) -> Fixture:
    raw = path.read_bytes()
    codec, label = detect_encoding(raw)
    bom = {
        "UTF-8 (BOM)": codecs.BOM_UTF8,
        "UTF-16LE (BOM)": codecs.BOM_UTF16_LE,
        "UTF-16BE (BOM)": codecs.BOM_UTF16_BE,
    }.get(label, b"")
    plain = {
        "utf-8-sig": "utf-8",
        "utf-16": "utf-16-le" if bom == codecs.BOM_UTF16_LE else "utf-16-be",
    }.get(codec, codec)
    text = raw[len(bom) :].decode(plain, errors="replace")
    sample = take_sample(Source(str(path), path, None, len(raw)))
    lines = [part for part in _EOL.split(text)]
    cut = 2 * sample.skip_lines  # split() alternates line, terminator
    prefix = "".join(lines[:cut])
    pools: list[set[str]] = [set() for _ in sample.header]
    if sample.header and sample.kind == "text":
        body = "".join(lines[cut:])
        for row in csv.reader(io.StringIO(body, newline=""), delimiter=sample.delimiter):
            for i, value in enumerate(row[: len(pools)]):
                pools[i].add(value)
    return Fixture(
        path,
        raw,
        text,
        plain,
        bom,
        sample.header,
        sample.delimiter,
        prefix,
        tuple(tuple(sorted(p)) or ("",) for p in pools),
    )


def encode(text: str, fixture: Fixture, choice: str) -> bytes:
    if choice == "same":
        codec, bom = fixture.codec, fixture.bom
    else:
        codec, _, with_bom = choice.partition("+")
        bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
        bom = bom if with_bom else b""
    if codec == "utf-8-sig":
        codec, bom = "utf-8", codecs.BOM_UTF8
    errors = "surrogatepass" if codec.startswith("utf") else "replace"
    return bom + text.encode(codec, errors=errors)


hostile_text = st.one_of(
    st.sampled_from(TOKENS),
    st.text(alphabet=st.sampled_from("\"',;\t|\r\n\x00 #=:<>[]{}()%\\-+*.@"), max_size=12),
    st.text(max_size=12),
)


@st.composite
def edited_text(draw, text: str, *, max_run: int) -> str:
    """A few random edits of ``text`` (see the module docstring)."""
    for _ in range(draw(st.integers(0, 4))):
        parts = _EOL.split(text)  # line, terminator, line, ...
        lines = ["".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
        op = draw(
            st.sampled_from(
                (
                    "delete-line",
                    "duplicate-line",
                    "swap-lines",
                    "insert",
                    "insert",
                    "cut",
                    "eol",
                    "run",
                    "delete-span",
                )
            )
        )
        n = len(lines)
        if op == "delete-line" and n > 1:
            del lines[draw(st.integers(0, n - 1))]
        elif op == "duplicate-line" and n:
            i = draw(st.integers(0, n - 1))
            lines.insert(i, lines[i])
        elif op == "swap-lines" and n > 1:
            i, j = draw(st.integers(0, n - 1)), draw(st.integers(0, n - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "eol":  # mixed line endings
            lines = [
                _EOL.sub(draw(st.sampled_from(("\r\n", "\n", "\r", ""))), ln, count=1)
                for ln in lines
            ]
        text = "".join(lines)
        if op == "insert":
            pos = draw(st.integers(0, len(text)))
            text = text[:pos] + draw(hostile_text) + text[pos:]
        elif op == "cut":
            text = text[: draw(st.integers(0, len(text)))]
        elif op == "run":
            pos = draw(st.integers(0, len(text)))
            run = draw(st.sampled_from(RUNS))
            text = text[:pos] + run * (draw(st.integers(1, max_run)) // len(run) + 1) + text[pos:]
        elif op == "delete-span" and text:
            a = draw(st.integers(0, len(text) - 1))
            text = text[:a] + text[a + draw(st.integers(1, 64)) :]
    return text


@st.composite
def edited_bytes(draw, data: bytes) -> bytes:
    for _ in range(draw(st.integers(0, 2))):
        op = draw(st.sampled_from(("cut", "flip", "raw")))
        pos = draw(st.integers(0, len(data)))
        if op == "cut":
            data = data[:pos]
        elif op == "flip" and pos < len(data):
            data = (
                data[:pos] + bytes([data[pos] ^ (1 << draw(st.integers(0, 7)))]) + data[pos + 1 :]
            )
        elif op == "raw":
            data = data[:pos] + draw(st.sampled_from(RAW)) + data[pos:]
    return data


@st.composite
def mutated(draw, fixture: Fixture, *, max_run: int = 20_000) -> bytes:
    text = draw(edited_text(fixture.text, max_run=max_run))
    data = encode(text, fixture, draw(st.sampled_from(ENCODINGS)))
    return draw(edited_bytes(data))


def _field_value(pool: tuple[str, ...]):
    return st.one_of(
        st.sampled_from(pool),
        st.sampled_from(pool),
        hostile_text,
        st.integers(-(10**6), 10**12).map(str),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
    )


@st.composite
def generated(draw, fixture: Fixture) -> bytes:
    """The fixture's prefix (title, directives, header) and random rows."""
    width = len(fixture.header)
    out = io.StringIO(newline="")
    quoting = draw(st.sampled_from((csv.QUOTE_MINIMAL, csv.QUOTE_ALL)))
    writer = csv.writer(
        out,
        delimiter=fixture.delimiter,
        quoting=quoting,
        lineterminator=draw(st.sampled_from(("\r\n", "\n"))),
    )
    for _ in range(draw(st.integers(0, 25))):
        fields = [draw(_field_value(pool)) for pool in fixture.pools]
        change = draw(st.sampled_from((0, 0, 0, 0, 0, -1, 1, -width + 1)))
        if change < 0:
            fields = fields[: max(1, width + change)]
        elif change > 0:
            fields.append(draw(hostile_text))
        writer.writerow(fields)
    text = fixture.prefix + out.getvalue()
    return encode(text, fixture, draw(st.sampled_from(("same", "same", "same", "utf-8"))))


json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        hostile_text,
        st.sampled_from(
            (
                "/Date(1700000000000)/",
                "/Date(-99999999999999999)/",
                "/Date(99999999999999999+0100)/",
                "2024-01-01T00:00:00Z",
                "\ud800",
                "None",
                "TLS1.0",
                "System.String[]",
            )
        ),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


_DEEP = re.compile(r'"\\u0000DEEP(\d+)\\u0000"')


def _slots(doc, path=()):
    """Every (container path, key) whose value could be replaced."""
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield path, key
            yield from _slots(value, (*path, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            yield path, i
            yield from _slots(value, (*path, i))


@st.composite
def json_mutated(draw, fixture: Fixture) -> bytes:
    doc = json.loads(fixture.text.lstrip("\ufeff"))
    for _ in range(draw(st.integers(1, 4))):
        slots = list(_slots(doc))
        op = draw(st.sampled_from(("replace", "replace", "delete", "rename", "deep", "wrap")))
        if op == "wrap" or not slots:
            doc = draw(st.sampled_from(({"value": doc}, [doc, doc], {"value": [doc]}, [[doc]])))
            continue
        path, key = draw(st.sampled_from(slots))
        parent = doc
        for step in path:
            parent = parent[step]
        if op == "replace":
            parent[key] = draw(json_values)
        elif op == "deep":  # spliced in as text below: json.dumps itself cannot go this deep
            parent[key] = f"\x00DEEP{draw(st.integers(10, 3000))}\x00"
        elif op == "delete":
            del parent[key]
        elif op == "rename" and isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = parent.pop(key)
    text = json.dumps(doc, ensure_ascii=draw(st.booleans()))
    text = _DEEP.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text)
    return encode(text, fixture, draw(st.sampled_from(("same", "utf-8", "utf-16-le+bom"))))
