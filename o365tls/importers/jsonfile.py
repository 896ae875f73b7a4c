"""JSON exports (Graph API pages, ``ConvertTo-Json`` output) as raw frames of strings, so that
JSON and CSV variants of a format share one converter."""

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
_MS_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Distinct property names over all objects of one file (Graph: ~15, connectors: ~100).
MAX_JSON_COLUMNS = 2_000
#: Frame cells (objects x names) beyond which a mostly-empty frame is refused.
MAX_JSON_CELLS = 5_000_000


def json_records(sample: Sample, report: FileReport) -> list[dict] | None:
    """The list of objects in a JSON export: a bare array, Graph's ``{"value": [...]}``, or
    several pages of it concatenated in an array. None (with an issue) when unreadable."""
    if sample.source.size > MAX_JSON_BYTES:
        report.fail("too-large", f"JSON over {MAX_JSON_BYTES // 1024**2} MB is not read whole; "
                                 "export CSV instead, which streams")
        return None
    with sample.source.open() as fh:
        data = fh.read()
    try:
        text = data.decode(sample.encoding)
        doc = json.loads(text.lstrip("\ufeff"))
        records = list(_objects(doc))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        # RecursionError: nesting deeper than any export (ConvertTo-Json stops at -Depth).
        report.fail("bad-json", f"not valid JSON ({exc}); export it again or use CSV")
        return None
    wide = _too_wide(records)
    if wide:
        report.fail("too-many-columns", wide)
        return None
    return records


def _objects(doc) -> Iterator[dict]:
    if isinstance(doc, dict):
        if isinstance(doc.get("value"), list):
            for item in doc["value"]:
                yield from _objects(item) if isinstance(item, list) else _one(item)
        else:
            yield doc
    elif isinstance(doc, list):
        for item in doc:
            if isinstance(item, dict) and isinstance(item.get("value"), list):
                yield from _objects(item)
            elif isinstance(item, list):
                yield from _objects(item)
            else:
                yield from _one(item)


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
            return (f"the objects have more than {MAX_JSON_COLUMNS} distinct property names; "
                    "no export has that many: is this the right file?")
    cells = len(names) * len(records)
    if cells > MAX_JSON_CELLS and cells > 4 * values:
        return (f"the objects share few property names ({len(names)} names over "
                f"{len(records)} objects, {values} values): not an export o365tls reads")
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
