"""How each Microsoft tool writes text: Export-Csv quoting, PowerShell dates, Windows
PowerShell 5.1 ConvertTo-Json layout, Exchange log fields, historical-search CSVs."""

from __future__ import annotations

import json
from datetime import datetime, timezone

CRLF = "\r\n"


def ps_date(moment: datetime) -> str:
    """A DateTime as PowerShell converts it to text in en-US: ``11/9/2026 8:03:12 AM``."""
    hour = moment.hour % 12 or 12
    half = "AM" if moment.hour < 12 else "PM"
    return f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} {half}"


def us_day(moment: datetime) -> str:
    """A date as the EAC shows it in an en-US browser: ``11/9/2026``."""
    return f"{moment.month}/{moment.day}/{moment.year}"


def iso_ms(moment: datetime) -> str:
    """Exchange log time: ``2026-11-20T08:03:11.123Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_7(moment: datetime) -> str:
    """Historical-search time: seven fractional digits and ``Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def quoted_csv(header: list[str], rows: list[list[object]]) -> str:
    """Export-Csv style: every field quoted, quotes doubled, CRLF line ends."""
    def field(value: object) -> str:
        return '"' + str(value).replace('"', '""') + '"'

    lines = [",".join(field(h) for h in header)]
    lines.extend(",".join(field(v) for v in row) for row in rows)
    return CRLF.join(lines) + CRLF


def log_field(value: object) -> str:
    """Exchange log CSV: a field is quoted only when it holds a comma, quote or line break."""
    text = str(value)
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def log_line(fields: list[object]) -> str:
    return ",".join(log_field(f) for f in fields)


def ms_json_date(moment: datetime) -> str:
    """How Windows PowerShell 5.1 ConvertTo-Json writes a DateTime: ``\\/Date(1794000000000)\\/``
    (milliseconds since 1970)."""
    millis = int(moment.replace(tzinfo=timezone.utc).timestamp() * 1000)
    return f"\\/Date({millis})\\/"


class Raw(str):
    """A JSON value written as is (already escaped), e.g. the ``\\/Date(..)\\/`` form."""


def _ps_string(text: str) -> str:
    # JavaScriptSerializer (behind ConvertTo-Json in 5.1) escapes these for HTML safety.
    out = json.dumps(text, ensure_ascii=False)
    for char, code in (("<", "\\u003c"), (">", "\\u003e"), ("'", "\\u0027"), ("&", "\\u0026")):
        out = out.replace(char, code)
    return out


def ps51_json(value: object, indent: int = 0) -> str:
    """ConvertTo-Json as Windows PowerShell 5.1 lays it out: four-space objects, two spaces
    after each colon, and arrays indented to the column of their opening bracket."""
    pad = " " * indent
    if isinstance(value, Raw):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return _ps_string(value)
    if isinstance(value, list):
        if not value:
            return "[" + CRLF + CRLF + pad + "]"
        inner = " " * (indent + 4)
        items = ("," + CRLF).join(inner + ps51_json(v, indent + 4) for v in value)
        return "[" + CRLF + items + CRLF + pad + "]"
    if isinstance(value, dict):
        inner = " " * (indent + 4)
        parts = []
        for key, item in value.items():
            head = f'{inner}"{key}":  '
            parts.append(head + ps51_json(item, len(head)))
        return "{" + CRLF + ("," + CRLF).join(parts) + CRLF + pad + "}"
    raise TypeError(type(value))


def pct(count: int, total: int) -> str:
    """A share as the EAC reports print it: two decimals, no percent sign."""
    return f"{100 * count / total:.2f}" if total else "0.00"
