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
    except (UnicodeDecodeError, ValueError) as exc:
        report.fail("bad-json", f"not valid JSON ({exc}); export it again or use CSV")
        return None
    return list(_objects(doc))


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
    flat = [{k: _text(v) for k, v in r.items()} for r in records]
    frame = pd.DataFrame(flat, dtype=object).fillna("") if flat else pd.DataFrame()
    frame[ROW_COLUMN] = range(1, len(records) + 1)
    return frame


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        match = _MS_DATE.match(value)
        if match:  # Windows PowerShell 5.1 ConvertTo-Json writes dates as /Date(ms)/
            stamp = pd.Timestamp(int(match.group(1)), unit="ms", tz="UTC")
            return stamp.isoformat()
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        if isinstance(value, dict) and "DateTime" in value:  # PS 7 ConvertTo-Json of DateTime
            return str(value["DateTime"])
        return json.dumps(value, ensure_ascii=False)
    return str(value)
