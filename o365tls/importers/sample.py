"""Peek at the first bytes of an input once: encoding, text, and where the header is.

Importers decide whether a file is theirs from this :class:`Sample` alone, never from the
file name. Encodings handled: UTF-8 with or without BOM, UTF-16LE/BE with or without BOM
(historical-search CSVs are UTF-16LE, often without BOM), and Windows-1252 as a last resort.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field, replace

from ..encoding import detect_encoding
from .sources import Source

SAMPLE_BYTES = 256 * 1024
#: Header columns beyond which a file is refused: real exports have < 150 (Get-ReceiveConnector
#: has ~100); tens of thousands would make the readers slow and memory-hungry for no purpose.
MAX_COLUMNS = 2_000
_HEADER_SCAN_LINES = 40

TEXT = "text"
JSON = "json"
XML = "xml"
EMPTY = "empty"
BINARY = "binary"


@dataclass(frozen=True)
class Sample:
    """The head of one input, decoded, with its header row found."""

    source: Source
    raw: bytes
    encoding: str  # a Python codec name that reads the whole stream, BOM included
    encoding_label: str  # what reports show: "UTF-16LE (no BOM)"
    text: str
    kind: str  # text, json, xml, empty, binary
    lines: tuple[str, ...] = ()  # the first lines, those the header is looked for in
    delimiter: str = ","
    header: tuple[str, ...] = ()  # cleaned header names, in file order
    keys: frozenset[str] = field(default_factory=frozenset)  # normalized header names
    skip_lines: int = 0  # physical lines before the first data row
    log_fields: bool = False  # header came from an Exchange "#Fields:" line
    directives: tuple[str, ...] = ()  # "#Software: ...", "#Log-type: ..." lines

    @property
    def display(self) -> str:
        return self.source.display

    def has(self, *names: str) -> bool:
        """True when every name (normalized) is a header column."""
        return all(normalize_header(n) in self.keys for n in names)

    def has_any(self, *names: str) -> bool:
        return any(normalize_header(n) in self.keys for n in names)

    def directive(self, name: str) -> str | None:
        prefix = f"#{name}:".lower()
        for line in self.directives:
            if line.lower().startswith(prefix):
                return line[len(prefix) :].strip()
        return None

    def without_head(self) -> Sample:
        """This sample without the sampled bytes, text and lines (three quarters of a MB):
        what a reader needs (source, encoding, header, where the data starts), sent to a
        worker process that reads the file."""
        return replace(self, raw=b"", text="", lines=())


_HEADER_JUNK = re.compile(r"[?%¿]|\(percentage\)|\(%\)")
_SPACES = re.compile(r"[\s_]+")


def normalize_header(name: str) -> str:
    """The matching key of a header: no BOM, quotes, ``?``, ``%`` or ``(percentage)``; lower
    case; runs of spaces and underscores as one space."""
    text = name.replace("\ufeff", "").strip().strip('"').strip("'").strip()
    text = _HEADER_JUNK.sub("", text.lower())
    return _SPACES.sub(" ", text).strip()


def clean_header_name(name: str) -> str:
    return name.replace("\ufeff", "").strip().strip('"').strip("'").strip()


def take_sample(source: Source, encoding: str | None = None, size: int = SAMPLE_BYTES) -> Sample:
    """The first ``size`` bytes of ``source``, decoded, with its header found."""
    with source.open() as fh:
        raw = fh.read(size)
        truncated = bool(fh.read(1))
    if encoding:
        codec, label = encoding, encoding
    else:
        codec, label = detect_encoding(raw)
    if not raw.strip():
        return Sample(source, raw, codec, label, "", EMPTY)
    decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    text = decoder.decode(raw, final=not truncated)
    if "\x00" in text[:4096] or text[:4096].count("\ufffd") > 8:
        return Sample(source, raw, codec, label, text, BINARY)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        return Sample(source, raw, codec, label, text, JSON)
    if stripped.startswith("<?xml") or (stripped[:1] == "<" and "xmlns" in stripped[:4096]):
        return Sample(source, raw, codec, label, text, XML)
    # Only the first lines are looked at (the header search): the rest stays unsplit, one
    # item that is dropped (a week of hourly logs is a thousand samples of 256 KB).
    lines = split_lines(text, _HEADER_SCAN_LINES)
    if len(lines) > _HEADER_SCAN_LINES:
        lines = lines[:_HEADER_SCAN_LINES]
    elif truncated or lines[-1] == "":
        # What follows the last line end: nothing, or a line the sample's end cut.
        lines = lines[:-1]
    return _with_header(Sample(source, raw, codec, label, text, TEXT, tuple(lines)))


_NEWLINE = re.compile(r"\r\n|\n|\r")


def split_lines(text: str, limit: int = 0) -> list[str]:
    """Split like ``readline`` with ``newline=''`` does (\\r\\n, \\n or \\r), and nothing else;
    with ``limit``, at most that many lines, the rest of the text unsplit after them."""
    return _NEWLINE.split(text, maxsplit=limit)


def _with_header(sample: Sample) -> Sample:
    lines = sample.lines
    directives: list[str] = []
    for index, line in enumerate(lines[:_HEADER_SCAN_LINES]):
        if line.startswith("#Fields:"):
            header = _split(line[len("#Fields:") :].strip(), ",")
            directives.extend(x for x in lines[:index] if x.startswith("#"))
            return _replace(sample, header, ",", index + 1, True, tuple(directives))
    delimiter = ","
    candidates: list[tuple[int, str]] = []
    for index, line in enumerate(lines[:_HEADER_SCAN_LINES]):
        bare = line.strip().strip("\ufeff")
        if not bare:
            continue
        if bare.lower().startswith("sep=") and len(bare) <= 6:
            delimiter = bare[4:5] or ","
            continue
        if bare.startswith("#"):  # "#TYPE System.Management.Automation.PSCustomObject"
            directives.append(bare)
            continue
        candidates.append((index, line))
    if not candidates:
        return sample
    if delimiter == "," and not any(ln.lower().startswith("sep=") for _, ln in candidates[:1]):
        delimiter = _sniff_delimiter([ln for _, ln in candidates[:10]])
    # The header is the first line with as many fields as most lines have (the data rows'
    # count). Title lines ("Inbound messages report") and metadata pairs ("Report date,...")
    # have fewer fields and are passed over; a truncated last row does not change the mode.
    counts = [_record_width(candidates, pos, delimiter) for pos in range(len(candidates))]
    wide = [c for c in counts if c >= 2]
    chosen = 0
    if wide:
        mode = max(set(wide), key=lambda c: (wide.count(c), c))
        chosen = next(pos for pos, c in enumerate(counts) if c == mode)
    index, line = candidates[chosen]
    header = _split(line, delimiter)
    return _replace(sample, header, delimiter, index + 1, False, tuple(directives))


def _record_width(candidates: list[tuple[int, str]], pos: int, delimiter: str) -> int:
    """Fields of the record starting at this line. A line that opens a quoted field spanning
    lines (a subject with a line break) is measured with its continuation lines, so that a
    file whose first rows all span lines still shows its real width."""
    text = candidates[pos][1]
    end = pos + 1
    while text.count('"') % 2 == 1 and end < len(candidates) and end - pos <= 20:
        text += "\n" + candidates[end][1]
        end += 1
    if end == pos + 1:
        return len(_split(text, delimiter))
    try:
        return len(next(csv.reader(io.StringIO(text), delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return len(_split(candidates[pos][1], delimiter))


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", 0
    for delim in (",", ";", "\t", "|"):
        counts = [len(_split(line, delim)) for line in lines]
        if not counts or max(counts) < 2:
            continue
        score = sum(1 for c in counts if c == counts[0] and c > 1) * counts[0]
        if score > best_score:
            best, best_score = delim, score
    return best


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def _replace(
    sample: Sample,
    header: list[str],
    delimiter: str,
    skip: int,
    log: bool,
    directives: tuple[str, ...],
) -> Sample:
    names = dedupe([clean_header_name(h) for h in header])
    return Sample(
        sample.source,
        sample.raw,
        sample.encoding,
        sample.encoding_label,
        sample.text,
        sample.kind,
        sample.lines,
        delimiter,
        tuple(names),
        frozenset(normalize_header(n) for n in names),
        skip,
        log,
        directives,
    )


def dedupe(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        name = name or "column"
        if name in seen:
            seen[name] += 1
            out.append(f"{name}_{seen[name]}")
        else:
            seen[name] = 1
            out.append(name)
    return out
