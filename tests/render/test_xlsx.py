"""remediation.xlsx, read back with openpyxl: the working document says what findings.json says,
is laid out for people to work from, and cannot run anything a stranger wrote."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import numpy
import openpyxl
import pytest

import o365tls
from o365tls.render import ReportOptions, view_of
from o365tls.render.json_out import write_findings
from o365tls.render.xlsx import write_xlsx
from o365tls.render.xlsx_columns import REMEDIATION, SHEETS
from o365tls.trend import TrendPoint

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"
DATA = Path(__file__).resolve().parents[1] / "data"
VERSIONS = ("SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "none", "unknown")
PLAN_HEADERS = [
    "Rank",
    "Priority",
    "Recommended action",
    "Flow",
    "At risk",
    "Deadline",
    "Owner",
    "Status",
    "Due date",
    "Notes",
    "Device type",
    "Device name",
    "Connector",
    "Direction",
    "Sender IP",
    "Sender",
    "HELO / host",
    "Path",
    "TLS versions",
    "Messages",
    "Legacy TLS",
    "No TLS",
    "Steps",
    "How to check the fix",
    "Evidence kind",
    "Legacy likelihood",
    "Device confidence",
    "Device evidence",
    "Inventory owner",
    "Site",
    "First seen",
    "Last seen",
    "Since last run",
    "Why this status",
    "First reported",
    "Open days",
    "Accepted",
    "Exception",
    "Exception reason",
    "Finding ID",
]
GROUP_COUNT_HEADERS = [
    "Messages",
    "SSL3",
    "TLS1.0",
    "TLS1.1",
    "TLS1.2",
    "TLS1.3",
    "No TLS",
    "TLS unknown",
    "Legacy TLS",
    "At risk",
    "At-risk share",
    "Findings",
    "First seen",
    "Last seen",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> SimpleNamespace:
    """The sample tenant through the whole pipeline once: view, findings.json, workbook."""
    out = tmp_path_factory.mktemp("xlsx")
    results = o365tls.analyze(o365tls.gather([SAMPLES]))
    view = view_of(results)
    write_findings(results, out / "findings.json")
    write_xlsx(view, out / "remediation.xlsx")
    return SimpleNamespace(
        view=view,
        path=out / "remediation.xlsx",
        json=json.loads((out / "findings.json").read_text(encoding="utf-8")),
        wb=openpyxl.load_workbook(out / "remediation.xlsx"),
    )


def records(ws) -> list[dict]:
    """A data sheet's rows as dicts keyed by its header row."""
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def cells(wb):
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            yield from row


def utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "")) if text else None


@pytest.mark.slow
def test_sheets_in_order(sample):
    assert sample.wb.sheetnames == [
        "Remediation plan",
        "Summary",
        "By connector",
        "By sender IP",
        "By device type",
        "By sender",
        "Evidence",
        "Attribution",
        "Data quality",
        "Sources",
        "Chart data",
        "Plan as written",
    ]
    assert sample.wb.active.title == "Remediation plan"
    assert [ws.title for ws in sample.wb.worksheets if ws.sheet_state != "visible"] == [
        "Plan as written"
    ]


@pytest.mark.slow
def test_every_data_sheet_is_one_excel_table_over_its_rows(sample):
    expected = {
        "Remediation plan": ("Remediation", "A1:AN10", "C2"),
        "By connector": ("ByConnector", "A1:P13", "C2"),
        "By sender IP": ("BySenderIP", "A1:O32", "B2"),
        "By device type": ("ByDeviceType", "A1:P8", "C2"),
        "By sender": ("BySender", "A1:O32", "B2"),
        "Evidence": ("Evidence", "A1:F195", "E2"),
        "Attribution": ("Attribution", "A1:K39", "D2"),
        "Data quality": ("DataQuality", "A1:F2", "B2"),  # no issue: one empty body row
        "Sources": ("Sources", "A1:I15", "B2"),
    }
    for title, (name, ref, freeze) in expected.items():
        ws = sample.wb[title]
        assert list(ws.tables) == [name], title
        table = ws.tables[name]
        assert (table.ref, table.autoFilter.ref, ws.freeze_panes) == (ref, ref, freeze), title
        assert [c.name for c in table.tableColumns] == [c.value for c in ws[1]], title


def test_remediation_headers_and_work_columns(sample):
    ws = sample.wb["Remediation plan"]
    assert [c.value for c in ws[1]] == PLAN_HEADERS == [c.header for c in REMEDIATION]
    rows = records(ws)
    assert all(r[h] is None for r in rows for h in ("Owner", "Status", "Due date", "Notes"))
    validations = {dv.type: dv for dv in ws.data_validations.dataValidation}
    status = validations["list"]
    assert status.formula1 == '"Not started,In progress,Waiting on vendor,Fixed,Accepted risk"'
    assert str(status.sqref) == "H2:H10"  # Status, every finding row
    assert str(validations["date"].sqref) == "I2:I10"  # Due date
    assert ws["I2"].number_format == "yyyy-mm-dd"


def test_one_plan_row_per_finding_with_the_findings_json_numbers(sample):
    rows = records(sample.wb["Remediation plan"])
    findings = sample.json["findings"]
    assert [r["Finding ID"] for r in rows] == [f["id"] for f in findings]
    assert [r["Rank"] for r in rows] == list(range(1, 10))
    for row, f in zip(rows, findings, strict=True):
        assert (row["Messages"], row["Legacy TLS"], row["No TLS"]) == (
            f["messages"],
            f["legacy_messages"],
            f["plaintext_messages"],
        ), f["id"]
        assert (row["Priority"], row["Sender"] or "", row["Sender IP"] or "") == (
            f["priority"],
            f["sender_address"],
            f["sender_ip"],
        )
        assert (row["First seen"], row["Last seen"]) == (utc(f["first_seen"]), utc(f["last_seen"]))
        assert row["Accepted"] is False
    relay = next(r for r in rows if r["Connector"] == "Scanner Relay")
    assert (relay["Sender IP"], relay["Messages"], relay["TLS versions"]) == (
        "198.51.100.20",
        683,
        "TLS1.0 683",
    )
    # The relay's row lists the flows behind it, one per line.
    assert relay["Flow"].splitlines() == [
        "relay01.northwindtraders.example (198.51.100.20)",
        "- scan@northwindtraders.example, into Exchange Online on 'Scanner Relay': 614 at risk "
        "(TLS1.0 614)",
        "- hp-scanner@northwindtraders.example, into Exchange Online on 'Scanner Relay': 69 at "
        "risk (TLS1.0 69)",
    ]
    assert relay["Deadline"] is None  # MC229914 began a gradual stop; no date was announced
    assert relay["Steps"].startswith("1. ") and "\n2. " in relay["Steps"]


def test_dates_are_real_dates_with_date_formats(sample):
    ws = sample.wb["Remediation plan"]
    header = [c.value for c in ws[1]]
    for name, fmt in (
        ("Deadline", "yyyy-mm-dd"),
        ("First seen", "yyyy-mm-dd hh:mm"),
        ("Last seen", "yyyy-mm-dd hh:mm"),
    ):
        cell = ws.cell(row=2, column=header.index(name) + 1)
        assert cell.is_date and isinstance(cell.value, datetime), name
        assert cell.number_format == fmt, name
    assert ws.cell(row=2, column=header.index("Legacy likelihood") + 1).number_format == "0%"
    assert ws.cell(row=2, column=header.index("Messages") + 1).number_format == "#,##0"


def test_priority_cells_are_coloured(sample):
    ws = sample.wb["Remediation plan"]
    colours = {
        ws.cell(row=r, column=2).value: ws.cell(row=r, column=2).fill.fgColor.rgb
        for r in range(2, 11)
    }
    assert colours == {"critical": "00C00000", "high": "00F4B183", "medium": "00FFE699"}


@pytest.mark.parametrize(
    "title,key",
    [
        ("By connector", "by_connector"),
        ("By sender IP", "by_sender_ip"),
        ("By device type", "by_device_type"),
        ("By sender", "by_sender_address"),
    ],
)
def test_grouping_sheets_add_up_to_the_totals(sample, title, key):
    ws = sample.wb[title]
    header = [c.value for c in ws[1]]
    assert header[-len(GROUP_COUNT_HEADERS) :] == GROUP_COUNT_HEADERS
    rows = records(ws)
    totals = sample.json["totals"]
    assert sum(r["Messages"] for r in rows) == totals["messages"] == 7952
    for version, column in zip(VERSIONS, GROUP_COUNT_HEADERS[1:8], strict=True):
        assert sum(r[column] for r in rows) == totals["by_tls"][version], column
    assert sum(r["Legacy TLS"] for r in rows) == totals["legacy_messages"]
    groups = sample.json[key]
    assert [(r["Messages"], r["At risk"]) for r in rows] == [
        (g["messages"], g["legacy_messages"] + g["plaintext_messages"]) for g in groups
    ]
    for r in rows:  # a sender seen only in identity records has no TLS-counted messages
        share = r["At risk"] / r["Messages"] if r["Messages"] else 0
        assert r["At-risk share"] == pytest.approx(share)


def test_connector_sheet_keys(sample):
    rows = records(sample.wb["By connector"])
    assert (rows[0]["Connector"], rows[0]["Direction"], rows[0]["TLS1.0"]) == (
        "Scanner Relay",
        "inbound",
        683,
    )
    assert ("To the internet without a connector", "outbound") in {
        (r["Connector"], r["Direction"]) for r in rows
    }


def test_evidence_says_which_file_said_what(sample):
    rows = records(sample.wb["Evidence"])
    assert [c.value for c in sample.wb["Evidence"][1]] == [
        "Rank",
        "Finding ID",
        "Priority",
        "Flow",
        "Kind",
        "Detail",
    ]
    for f in sample.view.findings:
        mine = [(r["Kind"], r["Detail"]) for r in rows if r["Finding ID"] == f.id]
        assert [d for k, d in mine if k == "Source file"] == list(f.sources)
        assert [d for k, d in mine if k == "PowerShell"] == list(f.powershell)
        assert [d for k, d in mine if k == "Device evidence"] == list(f.device_evidence)
        assert [d for k, d in mine if k == "Priority reason"] == list(f.priority_reasons)
    first = sample.view.findings[0]
    assert any(
        r["Detail"].endswith("smtp-auth-clients-report.csv")
        for r in rows
        if r["Finding ID"] == first.id and r["Kind"] == "Source file"
    )


def test_evidence_lists_ten_source_files_a_finding_and_counts_the_rest():
    from o365tls.render.xlsx_columns import evidence_rows

    class Finding:  # the fields evidence_rows reads, as a FindingView has them
        sources = tuple(f"logs/RECV20240115{h:02d}-1.LOG" for h in range(24))
        evidence, likelihood, forced_tls = "observed", 1.0, None
        device_evidence = priority_reasons = powershell = references = verify = links = probes = ()
        attribution_why = deadline_note = what_you_will_see = stopgap = draft_message = summary = ""
        flows = ()
        breaks_with_reject_direct_send = accepted = exception_expired = False

    files = [text for _, kind, text in evidence_rows([Finding()]) if kind == "Source file"]
    assert files[:10] == list(Finding.sources[:10])
    assert files[10:] == [
        "... and 14 more files (all in findings.json; every file read is on the Sources sheet)"
    ]


def test_attribution_and_sources(sample):
    attribution = records(sample.wb["Attribution"])
    assert len(attribution) == len(sample.view.attribution) == 38
    for row, a in zip(attribution, sample.view.attribution, strict=True):
        assert (row["Sender"], row["Verdict"], row["Messages"]) == (a.sender, a.verdict, a.messages)
    sources = records(sample.wb["Sources"])
    assert [(r["File"], r["Rows read"], r["Rows used"], r["Rows rejected"]) for r in sources] == [
        (i["path"], i["rows_read"], i["rows_used"], i["rows_rejected"])
        for i in sample.json["inputs"]
    ]


def test_summary_headline_and_charts(sample):
    ws = sample.wb["Summary"]
    labels = {row[0]: row[1] for row in ws.iter_rows(max_col=2, values_only=True) if row[0]}
    assert labels["Messages with TLS evidence"] == 7952
    assert labels["At-risk messages (legacy TLS or no TLS)"] == 1758
    assert labels["At-risk share"] == pytest.approx(1758 / 7952)
    assert (labels["Legacy TLS (SSL3, TLS1.0, TLS1.1)"], labels["No TLS (plaintext)"]) == (
        1558,
        200,
    )
    assert labels["Findings (root causes and at-risk flows)"] == 9
    assert [labels[f"  {p}"] for p in ("Critical", "High", "Medium", "Low")] == [2, 3, 4, 0]
    assert labels["Period"] == "2026-11-09 to 2026-11-22"
    assert labels["Date"] == "Applies to"  # the deadlines table
    assert labels[datetime(2026, 12, 31)] == "SMTP AUTH client submission"
    assert sample.view.verdict in labels
    charts = ws._charts
    assert [type(c).__name__ for c in charts] == ["BarChart"] * 3
    assert [c.type for c in charts] == ["col", "bar", "bar"]
    assert ws["A1"].value == "Legacy TLS report"


def test_trend_adds_a_line_chart(sample, tmp_path):
    trend = (TrendPoint("2026-W45", 1900, 7000), TrendPoint("2026-W46", 1758, 7952))
    write_xlsx(replace(sample.view, trend=trend), tmp_path / "t.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert [type(c).__name__ for c in wb["Summary"]._charts][-1] == "LineChart"
    values = list(wb["Chart data"].iter_rows(values_only=True))
    assert ("2026-W46", 1758, 7952) in [row[:3] for row in values]


def test_a_formula_in_a_sender_stays_inert_text(tmp_path):
    """A sender address is written by whoever sends the mail."""
    tenant = tmp_path / "tenant"
    tenant.mkdir()
    (tenant / "smtp-auth-clients-report.csv").write_text(
        '"Sender address","Domain","Messages sent","TLS 1.0","TLS 1.1","TLS 1.2",'
        '"Authentication Protocol"\r\n'
        '"=HYPERLINK(""http://x"",""y"")","northwindtraders.example","40","100.00","0.00",'
        '"0.00","Basic"\r\n',
        encoding="utf-8-sig",
        newline="",
    )
    view = view_of(o365tls.analyze(o365tls.gather([tenant])))
    assert [f.sender_address for f in view.findings] == ['=hyperlink("http://x","y")']
    write_xlsx(view, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "r.xlsx")
    plan = wb["Remediation plan"]
    sender = plan.cell(row=2, column=PLAN_HEADERS.index("Sender") + 1)
    assert sender.value == '\'=hyperlink("http://x","y")' and sender.data_type == "s"
    by_sender = records(wb["By sender"])
    assert by_sender[0]["Sender"] == '\'=hyperlink("http://x","y")'
    assert not [c.coordinate for c in cells(wb) if c.data_type == "f"]
    with zipfile.ZipFile(tmp_path / "r.xlsx") as z:
        assert not any(b"<f>" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets"))


def test_hostile_text_is_cleaned_not_fatal(sample, tmp_path):
    first = sample.view.findings[0]
    hostile = replace(
        first,
        sender_address="\x01=cmd|' /C calc'!A0",
        hostname="#N/A",
        device_name="x" * 40_000,
        connector="\uff1d1+2",
        owner="@SUM(A1)",
        site="\tTAB",
        action="-2+3",
        device_label="\ud800broken",
        exception_reason="+41 79 000 00 00",
        messages=numpy.int64(7),
        likelihood=numpy.float64(0.5),
    )
    meta = replace(sample.view.meta, title="=1+1\x07", client="@evil", author="\x00ok")
    view = replace(sample.view, meta=meta, findings=(hostile, *sample.view.findings[1:]))
    write_xlsx(view, tmp_path / "h.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "h.xlsx")
    row = records(wb["Remediation plan"])[0]
    assert row["Sender"] == "'=cmd|' /C calc'!A0"  # control character gone, then neutralized
    assert row["HELO / host"] == "#N/A"
    plan = wb["Remediation plan"]
    assert plan.cell(row=2, column=PLAN_HEADERS.index("HELO / host") + 1).data_type == "s"
    assert len(row["Device name"]) == 32_767
    assert (row["Messages"], row["Legacy likelihood"]) == (7, 0.5)  # numbers, not text
    assert (row["Connector"], row["Inventory owner"], row["Site"]) == (
        "'\uff1d1+2",
        "'@SUM(A1)",
        "'\tTAB",
    )
    assert (row["Recommended action"], row["Exception reason"]) == ("'-2+3", "'+41 79 000 00 00")
    assert row["Device type"] == "\ufffdbroken"
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(max_col=2, values_only=True) if r[0]}
    assert wb["Summary"]["A1"].value == "'=1+1"
    assert (summary["Client"], summary["Prepared by"]) == ("'@evil", "ok")
    assert not [c.coordinate for c in cells(wb) if c.data_type in ("f", "e")]


def test_data_quality_lists_every_issue(tmp_path):
    files = [
        DATA / "eac-connector-report" / "bad_rows.csv",
        DATA / "awkward" / "truncated_trace.csv",
    ]
    view = view_of(o365tls.analyze(o365tls.gather(files)))
    write_xlsx(view, tmp_path / "q.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "q.xlsx")
    rows = records(wb["Data quality"])
    assert [
        (r["File"], r["Format"], r["Code"], r["Row"], r["Message"], r["Rejected"]) for r in rows
    ] == [(i.file, i.format, i.code, i.row, i.message, i.rejected) for i in view.issues]
    assert [r["Code"] for r in rows] == [
        "bad-date",
        "bad-volume",
        "tls-sum-mismatch",
        "bad-number",
        "field-count",
    ]
    assert wb["Data quality"].tables["DataQuality"].ref == "A1:F6"
    sources = records(wb["Sources"])
    assert [(r["Rows read"], r["Rows used"], r["Rows rejected"], r["Issues"]) for r in sources] == [
        (5, 1, 4, 4),
        (2, 1, 1, 1),
    ]


def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    pixels = b"".join(b"\x00" + b"\x1f\x38\x64" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def test_png_logo_is_embedded_and_svg_is_noted(sample, tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(_png(300, 100))
    results = o365tls.analyze(o365tls.gather([SAMPLES / "exo" / "smtp-auth-clients-report.csv"]))
    view = view_of(results, ReportOptions(logo=logo, client="Contoso", author="A. Consultant"))
    write_xlsx(view, tmp_path / "logo.xlsx")
    with zipfile.ZipFile(tmp_path / "logo.xlsx") as z:
        media = [n for n in z.namelist() if n.startswith("xl/media/")]
        assert media == ["xl/media/image1.png"]
        assert z.read(media[0]) == logo.read_bytes()
        drawing = z.read("xl/drawings/drawing1.xml").decode()
        assert "<pic>" in drawing and "<oneCellAnchor>" in drawing
    labels = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(tmp_path / "logo.xlsx")["Summary"].iter_rows(
            max_col=2, values_only=True
        )
        if r[0]
    }
    assert (labels["Client"], labels["Prepared by"]) == ("Contoso", "A. Consultant")

    svg = tmp_path / "logo.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')
    write_xlsx(view_of(results, ReportOptions(logo=svg)), tmp_path / "svg.xlsx")
    with zipfile.ZipFile(tmp_path / "svg.xlsx") as z:
        assert not [n for n in z.namelist() if n.startswith("xl/media/")]
    summary = openpyxl.load_workbook(tmp_path / "svg.xlsx")["Summary"]
    assert summary["F2"].value == "(logo not shown: the workbook takes PNG, JPEG or GIF)"


def test_same_view_same_workbook(sample, tmp_path):
    """Deterministic apart from the file's modified time (docProps/core.xml)."""
    write_xlsx(sample.view, tmp_path / "again.xlsx")
    with zipfile.ZipFile(sample.path) as a, zipfile.ZipFile(tmp_path / "again.xlsx") as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            if name != "docProps/core.xml":
                assert a.read(name) == b.read(name), name


def test_sheet_declarations_are_unique():
    titles = [s.title for s in SHEETS]
    tables = [s.table for s in SHEETS]
    assert len(set(titles)) == len(titles) and len(set(tables)) == len(tables)
    for sheet in SHEETS:
        headers = [c.header.lower() for c in sheet.columns]
        assert len(set(headers)) == len(headers), sheet.title  # Excel tables need this
        assert sheet.table.isalpha(), sheet.table


# --- a plan people can fill in and print ---------------------------------------------------


def test_plan_fill_in_columns_are_wide_enough_for_what_people_type(sample):
    ws = sample.wb["Remediation plan"]
    letter = {c.value: c.column_letter for c in ws[1]}
    width = {h: ws.column_dimensions[letter[h]].width for h in letter}
    assert width["Owner"] >= len("j.doe@northwindtraders.example") - 6
    assert width["Status"] >= len("Waiting on vendor") + 3  # and the drop-down arrow
    assert width["Due date"] >= len("2026-12-31") + 3  # a typed date shows, not ###
    assert width["Notes"] >= 30


def test_plan_prints_landscape_one_page_wide_with_header_and_page_numbers(sample):
    ws = sample.wb["Remediation plan"]
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == "$1:$1"
    assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
    # What prints is what to do, for which flow, by when, and the four fill-in columns: narrow
    # enough to read at fit-to-width on a landscape page.
    assert ws.print_area == "'Remediation plan'!$A$1:$J$10"
    printed = [c.value for c in ws[1]][:10]
    assert printed[-4:] == ["Owner", "Status", "Due date", "Notes"]
    assert sum(ws.column_dimensions[c.column_letter].width for c in ws[1][:10]) <= 220


@pytest.mark.slow
def test_a_date_typed_into_the_plan_reads_back_as_a_date(sample, tmp_path):
    from o365tls.render.xlsx import read_plan

    wb = openpyxl.load_workbook(sample.path)
    ws = wb["Remediation plan"]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(row=2, column=col["Due date"]).value = datetime(2026, 12, 31)
    ws.cell(row=3, column=col["Due date"]).value = "2027-01-15"  # typed as text
    ws.cell(row=4, column=col["Due date"]).value = "end of Q1"
    wb.save(tmp_path / "typed.xlsx")
    entries = read_plan(tmp_path / "typed.xlsx").entries
    ids = [ws.cell(row=r, column=col["Finding ID"]).value for r in (2, 3, 4)]
    assert [entries[i].due for i in ids] == ["2026-12-31", "2027-01-15", "end of Q1"]
    # Written back: real dates with a date format, the text as typed.
    results = o365tls.analyze(o365tls.gather([SAMPLES]))
    from o365tls.plan import apply_plan

    results = apply_plan(results, entries)
    write_xlsx(view_of(results), tmp_path / "again.xlsx")
    again = openpyxl.load_workbook(tmp_path / "again.xlsx")["Remediation plan"]
    due = [again.cell(row=r, column=col["Due date"]) for r in (2, 3, 4)]
    assert [c.value for c in due] == [datetime(2026, 12, 31), datetime(2027, 1, 15), "end of Q1"]
    assert due[0].number_format == "yyyy-mm-dd"
