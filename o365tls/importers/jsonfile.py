"""JSON exports (Graph API pages, ``ConvertTo-Json`` output, the Office 365 Reporting Web
Service's OData verbose JSON) as raw frames of strings, so that JSON and CSV variants of a format
share one converter."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd

from ..quality import FileReport
from .sample import Sample
from .table import ROW_COLUMN

#: JSON exports are read whole; beyond this size, export CSV instead (it streams).
MAX_JSON_BYTES = 512 * 1024 * 1024
# .NET's "/Date(ms)/" and "/Date(ms+0100)/": milliseconds since 1970 UTC; the offset only says
# which zone the value was written in. A re-serialized copy keeps the JSON escape "\/".
_MS_DATE = re.compile(r"^\\?/Date\((-?\d+)(?:[+-]\d{4})?\)\\?/$")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Distinct property names over all objects of one file (Graph: ~15, connectors: ~100).
MAX_JSON_COLUMNS = 2_000
#: Frame cells (objects x names) beyond which a mostly-empty frame is refused.
MAX_JSON_CELLS = 5_000_000


def json_records(
    sample: Sample, report: FileReport, *, rows_expected: bool = True
) -> list[dict] | None:
    """The list of objects in a JSON export: a bare array, Graph's ``{"value": [...]}``, the
    Reporting Web Service's ``{"d": {"results": [...]}}`` or ``{"d": [...]}``, or several
    pages of these concatenated in an array. None (with an issue) when unreadable.
    ``rows_expected``: the format is rows of an export, so rows nested under an unknown
    wrapper get a note; a document format (o365tls' own files) nests lists on purpose."""
    data = whole_file(sample, report, "JSON", "export CSV instead, which streams")
    if data is None:
        return None
    pages = _Pages()
    try:
        text = data.decode(sample.encoding)
        doc = json.loads(text.lstrip("\ufeff"))
        records = list(_objects(doc, pages))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: nesting deeper than any export (ConvertTo-Json stops at -Depth).
        report.fail("bad-json", f"not valid JSON ({exc}); export it again or use CSV")
        return None
    wide = _too_wide(records)
    if wide:
        report.fail("too-many-columns", wide)
        return None
    if pages.next_link:
        note_next_page(report, pages.count, pages.next_link)
    nested = _nested_rows(records) if rows_expected else None
    if nested:
        report.note(
            None,
            "nested-rows",
            f"the rows of this JSON are nested under {nested!r}, a wrapper o365tls does "
            "not know, so the file reads as one object without the export's columns; "
            "export the rows themselves (a plain array of objects)",
        )
    return records


def whole_file(sample: Sample, report: FileReport, kind: str, instead: str) -> bytes | None:
    """The bytes of a document format that is parsed whole (JSON, XML); None, with the file
    failed, past :data:`MAX_JSON_BYTES`."""
    if sample.source.size > MAX_JSON_BYTES:
        report.fail(
            "too-large", f"{kind} over {MAX_JSON_BYTES // 1024**2} MB is not read whole; {instead}"
        )
        return None
    with sample.source.open() as fh:
        return fh.read()


def note_next_page(report: FileReport, pages: int, link: str) -> None:
    """An OData answer that links to a next page: the file is not the whole export."""
    held = "one page" if pages <= 1 else f"{pages} pages"
    report.note(
        None,
        "more-pages",
        f"this file is {held} of a longer Reporting Web Service answer: its last page "
        "links to a next one, so the period is cut short; export the next pages too "
        "(follow each page's next link until there is none)",
        value=link,
    )


class _Pages:
    """OData pages met while unwrapping: how many, and the last one's link to the next."""

    def __init__(self) -> None:
        self.count = 0
        self.next_link = ""

    def see(self, wrapper: dict) -> None:
        self.count += 1
        link = wrapper.get("__next")
        self.next_link = link if isinstance(link, str) else ""


def _objects(doc, pages: _Pages) -> Iterator[dict]:
    if isinstance(doc, dict):
        if isinstance(doc.get("value"), list):
            for item in doc["value"]:
                yield from _objects(item, pages) if isinstance(item, list) else _one(item)
        elif "d" in doc and isinstance(doc["d"], (dict, list)) and len(doc) == 1:
            yield from _odata_verbose(doc["d"], pages)
        else:
            yield doc
    elif isinstance(doc, list):
        for item in doc:
            if isinstance(item, dict) and (
                isinstance(item.get("value"), list) or _is_verbose(item)
            ):
                yield from _objects(item, pages)
            elif isinstance(item, list):
                yield from _objects(item, pages)
            else:
                yield from _one(item)


def _is_verbose(item: dict) -> bool:
    return len(item) == 1 and isinstance(item.get("d"), (dict, list))


def _odata_verbose(body, pages: _Pages) -> Iterator[dict]:
    """OData v2 verbose JSON: ``d`` holds ``{"results": [...], "__next": url}`` (a page of a
    collection), a bare array (older services), or one entity. ``__metadata`` (the entity's
    URI and type) is no column of the export."""
    if isinstance(body, dict) and isinstance(body.get("results"), list):
        pages.see(body)
        rows = body["results"]
    elif isinstance(body, list):
        pages.see({})
        rows = body
    else:
        rows = [body]
    for item in rows:
        if isinstance(item, dict):
            yield {k: v for k, v in item.items() if k != "__metadata"}
        else:
            yield from _one(item)


def _nested_rows(records: list[dict]) -> str | None:
    """The key under which a lone object holds a list of objects (rows wrapped in an envelope
    this module does not unwrap), or None."""
    if len(records) != 1:
        return None
    for key, value in records[0].items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            return str(key)
        if isinstance(value, dict) and isinstance(value.get("results"), list):
            return str(key)
    return None


def _one(item) -> Iterator[dict]:
    yield item if isinstance(item, dict) else {"__value__": item}


def json_keys(sample: Sample) -> set[str]:
    """Property names seen in the sample's text (cheap; for detection)."""
    return {m.lower() for m in re.findall(r'"([A-Za-z_@.][A-Za-z0-9_@.]*)"\s*:', sample.text)}


def records_frame(records: list[dict], report: FileReport) -> pd.DataFrame:
    """Objects as a raw frame of strings (nested values as JSON text), rows numbered from 1.
    Every object counts as a row read."""
    report.read(len(records))
    flat = [{_clean(str(k)): _text(v) for k, v in r.items()} for r in records]
    frame = pd.DataFrame(flat, dtype=object).fillna("") if flat else pd.DataFrame()
    frame[ROW_COLUMN] = range(1, len(records) + 1)
    return frame


def _too_wide(records: list[dict]) -> str | None:
    """Why the objects cannot become one frame, or None. :func:`records_frame` makes a cell
    for every object and every property name any object has: objects that each bring their
    own names (a few MB of JSON) would need GBs of empty cells."""
    names: set = set()
    values = 0
    for record in records:
        names.update(record.keys())
        values += len(record)
        if len(names) > MAX_JSON_COLUMNS:
            return (
                f"the objects have more than {MAX_JSON_COLUMNS} distinct property names; "
                "no export has that many: is this the right file?"
            )
    cells = len(names) * len(records)
    if cells > MAX_JSON_CELLS and cells > 4 * values:
        return (
            f"the objects share few property names ({len(names)} names over "
            f"{len(records)} objects, {values} values): not an export o365tls reads"
        )
    return None


def _clean(text: str) -> str:
    """JSON may escape lone surrogates (``\\ud800``), which no text column can hold."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        match = _MS_DATE.match(value)
        if match:  # Windows PowerShell 5.1 ConvertTo-Json writes dates as /Date(ms)/
            try:
                stamp = pd.Timestamp(int(match.group(1)), unit="ms", tz="UTC")
            except (OverflowError, ValueError):  # out of range: the date column says so
                return value
            return stamp.isoformat()
        return _clean(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        if isinstance(value, dict) and "DateTime" in value:  # PS 7 ConvertTo-Json of DateTime
            return _clean(str(value["DateTime"]))
        try:
            return _clean(json.dumps(value, ensure_ascii=False))
        except RecursionError:  # json.loads got this deep, but from a shallower stack
            return "(nested too deep to show)"
    return str(value)
