"""remediation.xlsx: the working document admins fill in and consultants hand over.

Rendered from the view-model only (:class:`~.view.ReportView`). What each data sheet holds is
declared once in :mod:`.xlsx_columns`; this module draws it with openpyxl (the only module
allowed to import it): Excel tables, formats, widths, the Summary and its native charts. The
body rows of the data sheets, which grow with the findings (tens of thousands of cells), are
written as sheet XML text with the styles openpyxl registered, and put into the sheets
openpyxl saved: a cell object per value would cost most of the workbook's time.

:func:`read_plan` reads back what people typed into the plan's Owner, Status, Due date and
Notes columns (the same module: openpyxl stays in one place).

Every string written is hostile until proven otherwise: characters XML cannot carry are
dropped, text that a spreadsheet would run as a formula is neutralized (:func:`.safety.
neutralize`), cells are capped at Excel's 32,767 characters and typed as text, so that a
subject such as ``#N/A`` or ``=HYPERLINK(...)`` stays what it is: text.
"""

from __future__ import annotations

import io
import math
import numbers
import re
import zipfile
from collections.abc import Sequence
from copy import copy
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.drawing.image import Image
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.filters import AutoFilter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.table import Table, TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import UsageError
from ..plan import PlanEntry, PlanRead
from ..tls import TLS_VERSIONS
from . import xlsx_columns as sheets
from .safety import FORMULA_START, neutralize, unneutralize
from .view import ReportView
from .xlsx_columns import COUNT, DATE, DATETIME, GENERAL, PCT, TLS_HEADERS, Col

MAX_CELL = 32_767  # Excel's limit for one cell's text
MAX_ROW_HEIGHT = 120.0  # points: eight lines; the rest shows in the formula bar
MAX_FIT_WIDTH = 220  # sheets up to this many characters wide print one page wide
LINE_HEIGHT = 15.0
# XML 1.0 cannot carry these either; lone surrogates cannot even be encoded as UTF-8.
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_BAD_XML = re.compile(f"{ILLEGAL_CHARACTERS_RE.pattern}|{_NOT_XML.pattern}")

PRIORITY_FILLS = {  # fill colour, font colour
    "critical": ("C00000", "FFFFFF"),
    "high": ("F4B183", "000000"),
    "medium": ("FFE699", "000000"),
    "low": ("D9D9D9", "000000"),
}
TLS_COLOURS = {
    "SSL3": "7B0000",
    "TLS1.0": "C00000",
    "TLS1.1": "ED7D31",
    "TLS1.2": "70AD47",
    "TLS1.3": "375623",
    "none": "7030A0",
    "unknown": "A5A5A5",
}
_RULE = Border(bottom=Side(style="thin", color="1F3864"))
_TOP = Alignment(vertical="top")
_WRAP = Alignment(wrap_text=True, vertical="top")
_LEFT = Alignment(horizontal="left", vertical="top")


def write_xlsx(view: ReportView, path: Path) -> None:
    """Write the remediation workbook for ``view`` to ``path``."""
    wb = Workbook()
    summary = wb.active
    summary.title = "Summary"
    written: list[sheets.Sheet] = []
    plan_rows: Sequence[Any] = ()
    bodies: dict[str, str] = {}
    for sheet in sheets.SHEETS:
        rows = sheet.rows(view)
        if rows or not sheet.optional:
            ws = data_sheet(wb, sheet, rows, bodies)
            written.append(sheet)
            if sheet.columns is sheets.REMEDIATION:
                _work_columns(ws, len(rows))
                plan_rows = rows
                wb.move_sheet(ws, offset=-wb.index(ws))  # the plan opens first and prints first
                wb.active = 0
    chart_data = wb.create_sheet(sheets.CHART_DATA)
    _baseline(wb, plan_rows)
    _summary(summary, view, written)
    _charts(summary, chart_data, view, column="H")
    m = view.meta
    wb.properties.title = xml_text(m.title)
    wb.properties.creator = xml_text(m.author) or f"o365tls {m.tool_version}"
    wb.properties.subject = xml_text(m.client)
    wb.properties.created = m.generated_at
    _save(wb, path, bodies)


def clean(value: object) -> object:
    """A value safe to put in a cell: inert, XML-clean, within Excel's limits."""
    if type(value) is str:  # most cells: their own path, without the checks below
        text = xml_text(value) if _BAD_XML.search(value) else value
        if text.startswith(FORMULA_START):
            text = neutralize(text)
        return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "\u2026"
    if type(value) is int:
        return value
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):  # numpy's too: a count must stay a number
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, datetime):  # Excel has no time zones: the view's times are UTC
        if value.tzinfo:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.replace(microsecond=0)  # whole seconds, as in findings.json
    if isinstance(value, date):
        return value
    text = neutralize(xml_text(str(value)))
    if len(text) > MAX_CELL:
        text = text[: MAX_CELL - 1] + "\u2026"
    return text


def xml_text(text: str) -> str:
    """``text`` without the characters an XML file cannot carry (openpyxl would refuse them)."""
    return _NOT_XML.sub("\ufffd", ILLEGAL_CHARACTERS_RE.sub("", text))


def put(ws: Worksheet, row: int, column: int, value: object, fmt: str = GENERAL):
    """Write one cleaned value; text is always typed as text (never a formula or an error)."""
    cell = ws.cell(row=row, column=column)
    cell.value = clean(value)
    if isinstance(cell.value, str):
        cell.data_type = "s"  # openpyxl would type "=..." as a formula and "#N/A" as an error
    if fmt != GENERAL:
        cell.number_format = fmt
    return cell


def data_sheet(
    wb: Workbook, sheet: sheets.Sheet, rows: Sequence[Any], bodies: dict[str, str]
) -> Worksheet:
    """A sheet with one Excel table: headers, formats and widths from its columns. The header
    row is an openpyxl row; the body rows go into ``bodies[title]`` as sheet XML
    (:func:`_body_xml`), which :func:`_save` puts into the saved sheet."""
    ws, columns = wb.create_sheet(sheet.title), sheet.columns
    header_lines = 1
    for c, col in enumerate(columns, 1):
        put(ws, 1, c, col.header).alignment = _WRAP
    bodies[sheet.title], longest = _body_xml(ws, columns, rows)
    total = 0
    printed = sheet.print_columns or len(columns)
    for c, col in enumerate(columns, 1):
        # Headers wrap at spaces and keep room for the filter button; content decides the rest,
        # except in the columns people fill in, which keep room for what they type.
        word = max(len(w) for w in col.header.split())
        width = max(col.least, min(col.width, max(longest[c - 1] + 2, word + 4, 8)))
        header_lines = max(header_lines, _lines_needed(col.header, width - 4))
        ws.column_dimensions[get_column_letter(c)].width = width
        total += width if c <= printed else 0
    ws.row_dimensions[1].height = header_lines * LINE_HEIGHT
    last_row = max(len(rows), 1) + 1  # Excel wants a table to have at least one body row
    ref = f"A1:{get_column_letter(len(columns))}{last_row}"
    # Columns named here: openpyxl would otherwise read the names from the table's range,
    # making a cell object for every body cell.
    table = Table(
        displayName=sheet.table,
        ref=ref,
        autoFilter=AutoFilter(ref=ref),
        tableColumns=[
            TableColumn(id=c, name=str(clean(col.header))) for c, col in enumerate(columns, 1)
        ],
    )
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    ws.add_table(table)
    ws.freeze_panes = sheet.freeze
    ws.print_title_rows = "1:1"
    if sheet.print_columns:
        ws.print_area = f"A1:{get_column_letter(sheet.print_columns)}{last_row}"
    _print_setup(ws, fit=total <= MAX_FIT_WIDTH)
    return ws


class _ColumnStyles:
    """The style ids (``s=``) of one data sheet's body cells: each column's format and
    alignment, and the fills that make a priority or an expired exception stand out. Each is
    registered with the workbook once, as openpyxl does for a cell's style."""

    def __init__(self, ws: Worksheet, columns: Sequence[Col]):
        self.ws = ws
        self.base = []
        for col in columns:
            proto = self._cell()
            proto.alignment = _WRAP if col.wrap else _TOP
            proto.number_format = col.fmt
            self.base.append(proto._style)
        self.ids = [self._id(style) for style in self.base]
        self.dressed: dict[tuple[int, str], int] = {}

    def _cell(self) -> Cell:
        return Cell(self.ws, row=2, column=1)  # detached: never part of the sheet

    def _id(self, style) -> int:
        return self.ws.parent._cell_styles.add(style)

    def priority(self, c: int, value: object) -> int:
        key = (c, str(value))
        if key not in self.dressed:
            cell = self._cell()
            cell._style = copy(self.base[c])
            priority_style(cell, value)
            self.dressed[key] = self._id(cell._style)
        return self.dressed[key]

    def expired(self, c: int) -> int:
        key = (c, "\0expired")
        if key not in self.dressed:
            cell = self._cell()
            cell._style = copy(self.base[c])
            cell.fill, cell.font = _EXPIRED
            self.dressed[key] = self._id(cell._style)
        return self.dressed[key]

    def dated(self, c: int, value: date) -> int:
        """A date in a column without a date format gets one, as openpyxl gives it."""
        key = (c, "\0" + type(value).__name__)
        if key not in self.dressed:
            cell = self._cell()
            cell._style = copy(self.base[c])
            cell.number_format = DATETIME_SECONDS if isinstance(value, datetime) else DATE
            self.dressed[key] = self._id(cell._style)
        return self.dressed[key]


DATETIME_SECONDS = "yyyy-mm-dd h:mm:ss"


def _body_xml(ws: Worksheet, columns: Sequence[Col], rows: Sequence[Any]) -> tuple[str, list[int]]:
    """The ``<row>`` elements of a data sheet's body (from row 2), and each column's longest
    shown value. Cells are cleaned as :func:`put` cleans them; text is an inline string,
    never a formula; an empty cell keeps its column's style (its format shows when typed in).
    Written as XML text: a cell object per value would cost most of the workbook's time."""
    styles = _ColumnStyles(ws, columns)
    plan = [
        (
            c,
            col.get,
            get_column_letter(c + 1),
            styles.ids[c],
            col.header == "Priority",
            col.header == sheets.EXCEPTION,
            col.wrap,
            col.width,
            col.fmt,
        )
        for c, col in enumerate(columns)
    ]
    longest = [0] * len(columns)
    out: list[str] = []
    for r, item in enumerate(rows, 2):
        height = 1
        cells = []
        for c, get, letter, style, priority, exception, wrap, width, fmt in plan:
            value = get(item)
            if type(value) is str:  # most cells: cleaned here, as clean() would
                if _BAD_XML.search(value):
                    value = xml_text(value)
                if value.startswith(FORMULA_START):
                    value = "'" + value
                if len(value) > MAX_CELL:
                    value = value[: MAX_CELL - 1] + "\u2026"
            else:
                value = clean(value)
            if value is None:
                cells.append(f'<c r="{letter}{r}" s="{style}"/>')
                continue
            if isinstance(value, str):
                if not value:
                    cells.append(f'<c r="{letter}{r}" s="{style}" t="inlineStr"/>')
                    continue
                if priority:
                    style = styles.priority(c, value)
                elif exception and value.startswith("expired"):
                    style = styles.expired(c)
                text = value
                if "&" in text or "<" in text or ">" in text:
                    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                cells.append(
                    f'<c r="{letter}{r}" s="{style}" t="inlineStr"><is><t xml:space='
                    f'"preserve">{text}</t></is></c>'
                )
                if "\n" in value:
                    shown = max(map(len, value.split("\n")))
                else:
                    shown = len(value)
                if wrap and (shown > width or "\n" in value):
                    height = max(height, _lines_needed(value, width))
            elif isinstance(value, bool):
                cells.append(f'<c r="{letter}{r}" s="{style}" t="b"><v>{int(value)}</v></c>')
                shown = 5
            elif isinstance(value, date):  # datetime too
                if priority:
                    style = styles.priority(c, value)
                if "yy" not in fmt:
                    style = styles.dated(c, value)
                cells.append(f'<c r="{letter}{r}" s="{style}"><v>{to_excel(value)}</v></c>')
                shown = 16 if isinstance(value, datetime) else 10
            else:
                if priority:
                    style = styles.priority(c, value)
                if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
                    value = int(value)  # as openpyxl writes it: 1, not 1.0
                cells.append(f'<c r="{letter}{r}" s="{style}" t="n"><v>{value!r}</v></c>')
                shown = 7 if "%" in fmt else len(f"{value:,}")  # as _shown_length
            if shown > longest[c]:
                longest[c] = shown
        if height > 1:
            ht = min(MAX_ROW_HEIGHT, height * LINE_HEIGHT)
            out.append(f'<row r="{r}" ht="{ht}" customHeight="1">{"".join(cells)}</row>')
        else:
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
    if not rows:  # the table's one empty body row keeps its columns' formats
        out.append(
            '<row r="2">'
            + "".join(f'<c r="{letter}2" s="{style}"/>' for _, _, letter, style, *_ in plan)
            + "</row>"
        )
    return "".join(out), longest


def _save(wb: Workbook, path: Path, bodies: dict[str, str]) -> None:
    """Save ``wb`` with each data sheet's body rows put into its ``<sheetData>`` (after the
    header row openpyxl wrote) and its ``<dimension>`` covering them."""
    buffer = io.BytesIO()
    wb.save(buffer)
    parts = {}
    for title, body in bodies.items():
        ws = wb[title]
        rows = body.count("<row ")
        ref = f"A1:{get_column_letter(ws.max_column)}{rows + 1}"
        parts[f"xl/worksheets/sheet{wb.index(ws) + 1}.xml"] = (body, ref)
    # The fastest deflate: the sheets' XML still shrinks to about a tenth.
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename in parts:
                body, ref = parts[info.filename]
                text = data.decode("utf-8")
                text = re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', text, count=1)
                head, tail = text.split("</sheetData>", 1)
                data = f"{head}{body}</sheetData>{tail}".encode()
            dst.writestr(info, data, compresslevel=1)


def _print_setup(ws: Worksheet, fit: bool = True) -> None:
    """Landscape; one page wide and as many long as it takes, unless that would print too
    small to read."""
    ws.page_setup.orientation = "landscape"
    ws.page_margins.left = ws.page_margins.right = 0.4  # inches
    ws.oddFooter.left.text = "&A"  # the sheet's name
    ws.oddFooter.right.text = "Page &P of &N"
    if fit:
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True


def _shown_length(value: object, fmt: str) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, int | float):
        return 7 if "%" in fmt else len(f"{value:,}")
    return max(len(line) for line in str(value).split("\n"))


def _lines_needed(value: object, width: int) -> int:
    """About how many lines wrapped text takes in a column ``width`` characters wide. Calibri's
    average letter is a little narrower than the width unit (a digit), but the fonts that stand
    in for it elsewhere are wider: one letter per unit leaves a little room rather than clip."""
    if not isinstance(value, str) or not value:
        return 1
    per_line = max(1, width)
    return sum(max(1, math.ceil(len(line) / per_line)) for line in value.split("\n"))


def priority_style(cell, priority: object) -> None:
    colours = PRIORITY_FILLS.get(str(priority))
    if colours:
        fill, font = colours
        cell.fill = PatternFill("solid", start_color=fill, end_color=fill)
        cell.font = Font(bold=True, color=font)


_EXPIRED = (
    PatternFill("solid", start_color="C00000", end_color="C00000"),
    Font(bold=True, color="FFFFFF"),
)


def _column(columns: Sequence[Col], header: str) -> str:
    return get_column_letter([c.header for c in columns].index(header) + 1)


def _work_columns(ws: Worksheet, count: int) -> None:
    """Status is a drop-down list, Due date takes dates only."""
    last = max(count, 1) + 1
    status = DataValidation(
        type="list",
        formula1='"' + ",".join(sheets.STATUS_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error="Pick a status from the list.",
    )
    column = _column(sheets.REMEDIATION, sheets.STATUS)
    status.add(f"{column}2:{column}{last}")
    due = DataValidation(
        type="date",
        operator="greaterThan",
        formula1="DATE(2000,1,1)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Due date",
        error="Enter a date, e.g. 2026-12-31.",
    )
    column = _column(sheets.REMEDIATION, sheets.DUE)
    due.add(f"{column}2:{column}{last}")
    ws.add_data_validation(status)
    ws.add_data_validation(due)


def _baseline(wb: Workbook, rows: Sequence[Any]) -> None:
    """The hidden sheet of the plan values as written, one row per plan row."""
    ws = wb.create_sheet(sheets.PLAN_BASELINE)
    ws.sheet_state = "hidden"
    columns = (sheets.PLAN_ID, sheets.OWNER, sheets.STATUS, sheets.DUE, sheets.NOTES)
    for c, header in enumerate(columns, 1):
        put(ws, 1, c, header)
    for r, f in enumerate(rows, 2):
        for c, value in enumerate((f.id, f.plan_owner, f.plan_status, f.plan_due, f.plan_notes), 1):
            put(ws, r, c, value if value != "" else None, DATE if c == 4 else GENERAL)


def read_plan(path: str | Path) -> PlanRead:
    """The Owner, Status, Due date and Notes typed into a remediation workbook, per finding
    id, and the values the workbook was written with. Every cell is read as text (a formula
    comes back as its text, never evaluated); what cannot be carried over is a note."""
    file = Path(path)
    try:
        wb = load_workbook(file, read_only=True)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, InvalidFileException) as exc:
        raise UsageError(
            f"{file}: cannot read it as a workbook ({exc})",
            hint="--plan takes a remediation.xlsx written by o365tls analyze",
        ) from exc
    try:
        if sheets.PLAN_TITLE not in wb.sheetnames:
            raise UsageError(
                f"{file}: no {sheets.PLAN_TITLE!r} sheet",
                hint="--plan takes a remediation.xlsx written by o365tls analyze",
            )
        notes: list[str] = []
        entries = _plan_rows(wb[sheets.PLAN_TITLE], f"{file}: {sheets.PLAN_TITLE}", notes)
        baseline = (
            _plan_rows(wb[sheets.PLAN_BASELINE], f"{file}: {sheets.PLAN_BASELINE}", [])
            if sheets.PLAN_BASELINE in wb.sheetnames
            else None
        )
    finally:
        wb.close()
    return PlanRead(str(file), entries, baseline, tuple(notes))


_PLAN_HEADERS = {
    sheets.OWNER: "owner",
    sheets.STATUS: "status",
    sheets.DUE: "due",
    sheets.NOTES: "notes",
}


def _plan_rows(ws, where: str, notes: list[str]) -> dict[str, PlanEntry]:
    rows = ws.iter_rows(values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    if sheets.PLAN_ID not in header:
        raise UsageError(
            f"{where}: no {sheets.PLAN_ID!r} column to match rows to findings",
            hint="keep the Finding ID column when editing the workbook",
        )
    key = header.index(sheets.PLAN_ID)
    fields = {name: header.index(h) for h, name in _PLAN_HEADERS.items() if h in header}
    missing = [h for h in _PLAN_HEADERS if h not in header]
    if missing:
        notes.append(f"warning: {where}: no {', '.join(missing)} column; nothing read for it")
    out: dict[str, PlanEntry] = {}
    width = max([key, *fields.values()]) + 1
    for number, raw in enumerate(rows, 2):
        row = (*raw, *(None,) * (width - len(raw)))
        fid = _typed(row[key])
        values = {name: _typed(row[i], name == "due") for name, i in fields.items()}
        if not fid:
            if any(values.values()):
                notes.append(
                    f"warning: {where} row {number}: plan values without a "
                    f"{sheets.PLAN_ID}; not carried over"
                )
            continue
        if fid in out and out[fid] != PlanEntry(fid, **values):
            notes.append(
                f"warning: {where} row {number}: finding {fid} appears twice; the later row wins"
            )
        out[fid] = PlanEntry(fid, **values)
    return out


def _typed(value: object, due: bool = False) -> str:
    """A cell's value as the text people meant; dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if due or value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = unneutralize(str(value).strip())
    if due:
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            return text  # kept as typed: a mistyped date is still what someone wrote
    return text


def _summary(ws: Worksheet, view: ReportView, written: list[sheets.Sheet]) -> None:
    m, h = view.meta, view.headline
    for letter, width in zip("ABCDEFG", (38, 16, 16, 16, 16, 16, 3), strict=True):
        ws.column_dimensions[letter].width = width
    put(ws, 1, 1, m.title).font = Font(size=18, bold=True, color="1F3864")
    ws.row_dimensions[1].height = 30
    row = 3
    for label, about, fmt in (
        ("Client", m.client, GENERAL),
        ("Prepared by", m.author, GENERAL),
        ("Period", m.period_label, GENERAL),
        ("Generated (UTC)", m.generated_at, DATETIME),
        ("Tool", f"o365tls {m.tool_version}", GENERAL),
    ):
        if about:
            put(ws, row, 1, label).font = Font(bold=True)
            put(ws, row, 2, about, fmt).alignment = _LEFT
            row += 1
    if m.redacted:
        put(ws, row, 1, "Names and addresses are pseudonymized (--redact).").font = Font(
            italic=True
        )
        row += 1
    row = _heading(ws, row + 1, "Headline")
    lines = [
        ("Messages with TLS evidence", h.messages, COUNT, ""),
        ("At-risk messages (legacy TLS or no TLS)", h.at_risk, COUNT, ""),
        ("At-risk share", h.at_risk_share, PCT, ""),
        ("Legacy TLS (SSL3, TLS1.0, TLS1.1)", h.legacy, COUNT, ""),
        ("No TLS (plaintext)", h.plaintext, COUNT, ""),
        ("Findings (root causes and at-risk flows)", h.findings, COUNT, ""),
        *((f"  {p.capitalize()}", h.by_priority.get(p, 0), COUNT, p) for p in view.priorities),
        ("Accepted risks", h.accepted, COUNT, ""),
        ("Connectors at risk", h.connectors_at_risk, COUNT, f"of {h.connectors} connectors"),
        ("Sender IPs at risk", h.sender_ips_at_risk, COUNT, ""),
        ("Devices at risk (device type identified)", h.devices_at_risk, COUNT, ""),
    ]
    for label, value, fmt, note in lines:
        put(ws, row, 1, label)
        put(ws, row, 2, value, fmt).font = Font(bold=True)
        if note in PRIORITY_FILLS:
            priority_style(ws.cell(row=row, column=2), note)
        elif note:
            put(ws, row, 3, note).font = Font(italic=True, color="595959")
        row += 1
    if view.weekly:
        w = view.weekly
        row = _heading(ws, row + 1, f"Week {w.week} against the previous snapshot")
        for label, value in (
            ("New findings", w.new),
            ("Regressed (fixed before, back now)", w.regressed),
            ("Still open", w.open),
            ("Unverified (no evidence of a fix; still open)", w.unverified),
            ("Resolved (on evidence)", w.resolved),
            ("Findings whose exception expired", w.expired_exceptions),
        ):
            put(ws, row, 1, label)
            put(ws, row, 2, value, COUNT).font = Font(bold=True)
            row += 1
    row = _heading(ws, row + 1, "Verdict")
    row = _paragraph(ws, row, view.verdict)
    if view.deadlines:
        row = _deadlines(ws, _heading(ws, row + 1, "Deadlines that apply"), view)
    if view.notes:
        row = _heading(ws, row + 1, "Notes")
        for note in view.notes:
            row = _paragraph(ws, row, note)
    rejected = sum(s.rows_rejected for s in view.inputs)
    row = _heading(ws, row + 1, "Inputs")
    row = _paragraph(
        ws,
        row,
        f"{len(view.inputs)} files read, {rejected:,} rows rejected, "
        f"{len(view.issues):,} data-quality issues.",
    )
    row = _heading(ws, row + 1, "Sheets")
    contents = [(s.title, s.purpose) for s in written]
    contents.append((sheets.CHART_DATA, "the numbers behind the charts on the right"))
    for title, purpose in contents:
        link = put(ws, row, 1, title)
        # An in-workbook link (a location, not a URL); our own sheet names: nothing to escape.
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{title}'!A1")
        link.font = Font(color="0563C1", underline="single")
        put(ws, row, 2, purpose)
        row += 1
    _logo(ws, view, anchor="F1")
    _print_setup(ws)


def _deadlines(ws: Worksheet, row: int, view: ReportView) -> int:
    for c, text in enumerate(("Date", "Applies to", "Findings", "What happens"), 1):
        put(ws, row, c, text).font = Font(bold=True)
    for d in view.deadlines:
        row += 1
        put(ws, row, 1, d.date or d.when or "no date", DATE).alignment = _LEFT
        put(ws, row, 2, d.title).alignment = _WRAP
        put(ws, row, 3, d.findings, COUNT).alignment = _TOP
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=6)
        put(ws, row, 4, d.note).alignment = _WRAP
        lines = max(_lines_needed(d.note, 48), _lines_needed(d.title, 16))
        ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT)
    return row + 1


def _heading(ws: Worksheet, row: int, text: str) -> int:
    cell = put(ws, row, 1, text)
    cell.font = Font(size=13, bold=True, color="1F3864")
    for c in range(1, 7):
        ws.cell(row=row, column=c).border = _RULE
    return row + 1


def _paragraph(ws: Worksheet, row: int, text: str) -> int:
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
    put(ws, row, 1, text).alignment = _WRAP
    ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, _lines_needed(text, 110) * LINE_HEIGHT)
    return row + 1


def _logo(ws: Worksheet, view: ReportView, anchor: str) -> None:
    data = view.meta.logo_bytes
    if not data:
        return
    size = sheets.image_size(data)
    if size is None:  # SVG (Excel cannot take it from openpyxl) or an unreadable image
        put(ws, 2, 6, "(logo not shown: the workbook takes PNG, JPEG or GIF)").font = Font(
            italic=True, color="808080"
        )
        return
    fmt, width, height = size
    logo = _Logo(data, fmt, width, height)
    scale = min(1.0, 60 / max(height, 1), 220 / max(width, 1))  # about 60 px high at most
    logo.width, logo.height = max(1, round(width * scale)), max(1, round(height * scale))
    ws.add_image(logo, anchor)


class _Logo(Image):
    """openpyxl's Image needs Pillow only to learn an image's size and format, and Pillow is
    not a dependency of o365tls: we read both from the file's header instead."""

    def __init__(self, data: bytes, fmt: str, width: int, height: int):  # no super(): Pillow
        self.ref = data
        self.format = fmt
        self.width, self.height = width, height

    def _data(self) -> bytes:
        return self.ref


def _charts(summary: Worksheet, data: Worksheet, view: ReportView, column: str) -> None:
    """Native Excel charts on the Summary, drawn from small tables on the Chart data sheet."""
    row, anchor = 1, 3
    charts: list[tuple[Any, str]] = []
    versions = [v for v in TLS_VERSIONS if any(d.by_tls.get(v) for d in view.daily)]
    if versions:
        rows = [(d.day, *(d.by_tls.get(v, 0) for v in versions)) for d in view.daily]
        header = ("Day", *(TLS_HEADERS.get(v, v) for v in versions))
        first, last, row = _block(data, row, "TLS mix per day (messages)", header, rows, DATE)
        chart = _bar(data, first, last, len(versions), horizontal=False)
        for series, version in zip(chart.series, versions, strict=True):
            series.graphicalProperties.solidFill = TLS_COLOURS[version]
            series.graphicalProperties.line.solidFill = TLS_COLOURS[version]
        chart.x_axis.number_format = "d mmm"
        charts.append((chart, "TLS mix per day"))
    for name, title in (
        ("by_connector", "At-risk messages by connector (top 10)"),
        ("by_device_type", "At-risk messages by device type"),
    ):
        groups = [g for g in view.groups.get(name, ()) if g.at_risk][:10]
        if not groups:
            continue
        rows = [(g.label, g.legacy, g.plaintext) for g in groups]
        header = (title.split(" by ")[1].split(" (")[0].capitalize(), "Legacy TLS", "No TLS")
        first, last, row = _block(data, row, title, header, rows, GENERAL)
        chart = _bar(data, first, last, 2, horizontal=True)
        for series, colour in zip(
            chart.series, (TLS_COLOURS["TLS1.0"], TLS_COLOURS["none"]), strict=True
        ):
            series.graphicalProperties.solidFill = colour
            series.graphicalProperties.line.solidFill = colour
        chart.height = max(6.0, 2.5 + 0.8 * len(groups))
        charts.append((chart, title))
    if view.trend:
        rows = [(t.label, t.at_risk, t.messages) for t in view.trend]
        first, last, row = _block(
            data, row, "At-risk messages per week", ("Week", "At risk", "Messages"), rows, GENERAL
        )
        chart = LineChart()
        chart.add_data(
            Reference(data, min_col=2, min_row=first - 1, max_row=last), titles_from_data=True
        )
        chart.set_categories(Reference(data, min_col=1, min_row=first, max_row=last))
        chart.series[0].graphicalProperties.line.solidFill = TLS_COLOURS["TLS1.0"]
        chart.series[0].graphicalProperties.line.width = 28575  # 2.25 pt
        chart.series[0].marker.symbol = "circle"  # one week of history is still a point
        chart.y_axis.number_format = COUNT
        charts.append((chart, "At-risk messages per week"))
    for chart, title in charts:
        chart.title = title
        chart.width = 20.0
        chart.legend.position = "b"
        chart.x_axis.delete = False  # openpyxl 3.1 hides the axes unless told otherwise
        chart.y_axis.delete = False
        summary.add_chart(chart, f"{column}{anchor}")
        anchor = _row_below(summary, anchor, chart.height + 0.8)
    if not charts:
        put(summary, 3, summary[column + "1"].column, "(no chart: no dated TLS records)")
    for letter, width in zip("ABCDEFGH", (30, 12, 12, 12, 12, 12, 12, 12), strict=True):
        data.column_dimensions[letter].width = width


def _row_below(ws: Worksheet, row: int, cm: float) -> int:
    """The first row at least ``cm`` below the top of ``row``: charts are anchored to cells,
    and the Summary's rows have different heights."""
    points = cm / 2.54 * 72
    while points > 0:
        points -= ws.row_dimensions[row].height or LINE_HEIGHT
        row += 1
    return row


def _block(
    ws: Worksheet,
    row: int,
    title: str,
    header: Sequence[str],
    rows: Sequence[Sequence[object]],
    first_fmt: str,
) -> tuple[int, int, int]:
    """A titled block of chart data; returns its first and last data row and the next free
    row."""
    put(ws, row, 1, title).font = Font(bold=True)
    for c, text in enumerate(header, 1):
        put(ws, row + 1, c, text).font = Font(bold=True)
    for r, values in enumerate(rows, row + 2):
        for c, value in enumerate(values, 1):
            put(ws, r, c, value, first_fmt if c == 1 else COUNT)
    last = row + 1 + len(rows)
    return row + 2, last, last + 2


def _bar(data: Worksheet, first: int, last: int, series: int, horizontal: bool) -> BarChart:
    chart = BarChart()
    chart.type = "bar" if horizontal else "col"
    chart.grouping, chart.overlap, chart.gapWidth = "stacked", 100, 60
    chart.add_data(
        Reference(data, min_col=2, max_col=1 + series, min_row=first - 1, max_row=last),
        titles_from_data=True,
    )
    chart.set_categories(Reference(data, min_col=1, min_row=first, max_row=last))
    chart.y_axis.number_format = COUNT
    chart.y_axis.majorGridlines = None if horizontal else chart.y_axis.majorGridlines
    if horizontal:
        chart.x_axis.scaling.orientation = "maxMin"  # the biggest at the top, as listed
        chart.y_axis.crosses = "max"  # and the value axis stays at the bottom
    return chart
