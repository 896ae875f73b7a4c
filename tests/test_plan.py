"""The remediation plan remembers: Owner, Status, Due date and Notes typed into last week's
workbook come back in this week's, through ``--plan`` and the history."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

import o365tls
from o365tls import history
from tests.test_weekly import ERP, SCANNER, cli, write_week

OPTIONS = o365tls.Options(domains=("tenant.example",))


def run(root: Path, db: Path | None, week: int, plan: Path | None = None):
    """One weekly run: review, write the outputs to root/out<week>, store the snapshot."""
    rv = o365tls.review(
        [write_week(root, week)], history_db=db, tenant="contoso", options=OPTIONS, plan=plan
    )
    o365tls.write_outputs(rv.results, root / f"out{week}", o365tls.ReportOptions(trend=rv.trend))
    if db:
        o365tls.record(rv, db)
    return rv


def plan_rows(path: Path) -> dict[str, dict]:
    ws = openpyxl.load_workbook(path)["Remediation plan"]
    rows = list(ws.iter_rows(values_only=True))
    return {r[rows[0].index("Sender")]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}


def type_into(path: Path, values: dict[str, dict[str, object]], out: Path) -> Path:
    """Edit the plan as a person would in Excel: by sender, column by header."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Remediation plan"]
    col = {c.value: c.column for c in ws[1]}
    for row in range(2, ws.max_row + 1):
        typed = values.get(ws.cell(row=row, column=col["Sender"]).value, {})
        for header, value in typed.items():
            ws.cell(row=row, column=col[header]).value = value
    wb.save(out)
    return out


def by_sender(rv) -> dict[str, dict | None]:
    return {f.flow.sender_address: asdict(f.plan) if f.plan else None for f in rv.results.findings}


@pytest.mark.slow
def test_typed_plan_comes_back_every_week_and_outlives_a_fixed_finding(tmp_path):
    db = tmp_path / "h.sqlite"
    run(tmp_path, db, 1)
    typed = type_into(
        tmp_path / "out1/remediation.xlsx",
        {
            SCANNER: {
                "Owner": "Facilities",
                "Status": "Waiting on vendor",
                "Due date": datetime(2026, 11, 30),
                "Notes": "firmware ticket 4711",
            },
            ERP: {"Owner": "Finance IT", "Status": "In progress"},
        },
        tmp_path / "week1-typed.xlsx",
    )
    w2 = run(tmp_path, db, 2, plan=typed)
    # Week 2: the scanner is fixed, its plan rides along in the resolved list.
    assert by_sender(w2)[ERP] == {
        "owner": "Finance IT",
        "status": "In progress",
        "due": "",
        "notes": "",
    }
    assert w2.results.resolved[0].plan.notes == "firmware ticket 4711"
    rows = plan_rows(tmp_path / "out2/remediation.xlsx")
    assert (rows[ERP]["Owner"], rows[ERP]["Status"]) == ("Finance IT", "In progress")
    assert "Finance IT" in (tmp_path / "out2/report.html").read_text(encoding="utf-8")
    data = json.loads((tmp_path / "out2/findings.json").read_text(encoding="utf-8"))
    assert {f["sender_address"]: f["plan"]["owner"] for f in data["findings"]} == {
        ERP: "Finance IT"
    }
    # Week 3: nobody passes a workbook; the history still knows the plan.
    w3 = run(tmp_path, db, 3)
    assert by_sender(w3)[ERP]["owner"] == "Finance IT"
    # Week 4: the scanner is back, with everything typed for it in week 1.
    w4 = run(tmp_path, db, 4, plan=tmp_path / "out3/remediation.xlsx")
    assert by_sender(w4)[SCANNER] == {
        "owner": "Facilities",
        "status": "Waiting on vendor",
        "due": "2026-11-30",
        "notes": "firmware ticket 4711",
    }
    rows = plan_rows(tmp_path / "out4/remediation.xlsx")
    assert rows[SCANNER]["Due date"] == datetime(2026, 11, 30)
    assert rows[ERP]["Owner"] == "Finance IT"
    assert not [n for n in w4.results.notes if "plan" in n]


@pytest.mark.slow
def test_an_edit_in_the_workbook_and_another_in_the_history_is_a_reported_conflict(tmp_path):
    db = tmp_path / "h.sqlite"
    run(tmp_path, db, 1)
    first = type_into(
        tmp_path / "out1/remediation.xlsx", {ERP: {"Owner": "Finance IT"}}, tmp_path / "a.xlsx"
    )
    run(tmp_path, db, 2, plan=first)
    # Someone edits week 2's workbook, someone else still edits week 1's and hands it in.
    second = type_into(
        tmp_path / "out2/remediation.xlsx", {ERP: {"Owner": "ERP team"}}, tmp_path / "b.xlsx"
    )
    run(tmp_path, db, 3, plan=second)
    stale = type_into(
        tmp_path / "out1/remediation.xlsx", {ERP: {"Owner": "Controller"}}, tmp_path / "c.xlsx"
    )
    w3 = run(tmp_path, db, 3, plan=stale)
    conflicts = [n for n in w3.results.notes if "plan conflict" in n]
    assert len(conflicts) == 1
    assert "'Controller'" in conflicts[0] and "'ERP team'" in conflicts[0]
    assert by_sender(w3)[ERP]["owner"] == "Controller"


@pytest.mark.slow
def test_a_value_not_changed_in_an_old_workbook_does_not_overwrite_a_newer_one(tmp_path):
    db = tmp_path / "h.sqlite"
    run(tmp_path, db, 1)
    run(
        tmp_path,
        db,
        2,
        plan=type_into(
            tmp_path / "out1/remediation.xlsx", {ERP: {"Owner": "Finance IT"}}, tmp_path / "a.xlsx"
        ),
    )
    run(
        tmp_path,
        db,
        3,
        plan=type_into(
            tmp_path / "out2/remediation.xlsx", {ERP: {"Status": "Fixed"}}, tmp_path / "b.xlsx"
        ),
    )
    w3 = run(tmp_path, db, 3, plan=tmp_path / "a.xlsx")  # week 1's, Status untouched there
    assert by_sender(w3)[ERP]["status"] == "Fixed"
    assert not [n for n in w3.results.notes if "plan conflict" in n]


@pytest.mark.slow
def test_typed_formulas_come_back_as_text_and_are_written_inert(tmp_path):
    run(tmp_path, None, 1)
    typed = type_into(
        tmp_path / "out1/remediation.xlsx",
        {
            ERP: {"Notes": '=HYPERLINK("http://198.51.100.7/x","open")', "Owner": "@SUM(1+1)"},
        },
        tmp_path / "typed.xlsx",
    )
    w2 = run(tmp_path, None, 2, plan=typed)
    assert by_sender(w2)[ERP]["notes"] == '=HYPERLINK("http://198.51.100.7/x","open")'
    ws = openpyxl.load_workbook(tmp_path / "out2/remediation.xlsx")["Remediation plan"]
    cells = [
        c
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str) and "HYPERLINK" in c.value or c.value == "'@SUM(1+1)"
    ]
    assert cells and all(c.data_type == "s" and c.value.startswith("'") for c in cells)
    # Read back again: still the text as typed, not one more apostrophe each week.
    w3 = run(tmp_path, None, 3, plan=tmp_path / "out2/remediation.xlsx")
    assert by_sender(w3)[ERP]["owner"] == "@SUM(1+1)"


def test_plan_rows_without_an_id_are_reported(tmp_path):
    run(tmp_path, None, 1)
    wb = openpyxl.load_workbook(tmp_path / "out1/remediation.xlsx")
    ws = wb["Remediation plan"]
    col = {c.value: c.column for c in ws[1]}
    ws.cell(row=2, column=col["Finding ID"]).value = None
    ws.cell(row=2, column=col["Owner"]).value = "Facilities"
    wb.save(tmp_path / "typed.xlsx")
    w2 = run(tmp_path, None, 2, plan=tmp_path / "typed.xlsx")
    assert any("row 2" in n and "Finding ID" in n for n in w2.results.notes)


@pytest.mark.slow
def test_plan_option_on_the_command_line(tmp_path):
    folder = write_week(tmp_path, 1)
    assert (
        cli(
            "analyze", str(folder), "-o", str(tmp_path / "out1"), "--domain", "tenant.example", "-q"
        ).returncode
        == 0
    )
    typed = type_into(
        tmp_path / "out1/remediation.xlsx", {ERP: {"Owner": "Finance IT"}}, tmp_path / "typed.xlsx"
    )
    result = cli(
        "analyze",
        str(folder),
        "-o",
        str(tmp_path / "out2"),
        "--domain",
        "tenant.example",
        "--plan",
        str(typed),
        "-q",
        "--history",
        str(tmp_path / "h.sqlite"),
    )
    assert result.returncode == 0, result.stderr
    assert plan_rows(tmp_path / "out2/remediation.xlsx")[ERP]["Owner"] == "Finance IT"
    with history.connect(tmp_path / "h.sqlite") as conn:
        assert {e.owner for e in history.plan(conn, "default").values()} == {"Finance IT"}
    bad = cli(
        "analyze",
        str(folder),
        "-o",
        str(tmp_path / "out3"),
        "--plan",
        str(tmp_path / "out1/findings.json"),
    )
    assert bad.returncode == 2 and "--plan takes" in bad.stderr
    assert "--plan" in cli("analyze", "--help").stdout


def test_a_history_written_before_the_plan_table_is_migrated_in_place(tmp_path):
    """A database of schema 1 (snapshots and findings only) opens, keeps its snapshots and
    gains the plan table."""
    db = tmp_path / "old.sqlite"
    conn = sqlite3.connect(db)
    conn.executescript(history.MIGRATIONS[0])
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO snapshots VALUES (1, 'contoso', '2026-W41', "
        "'2026-10-05T00:00:00Z', '2026-10-11T23:59:59Z', '2026-10-12T06:00:00Z', "
        "'0.1.0', 100, 50, 30, 20, '{}')"
    )
    conn.execute(
        "INSERT INTO findings VALUES (1, 'f-0123456789ab', 1, 'high', 0, 50, 30, 20, "
        "NULL, NULL, ?)",
        (json.dumps({"id": "f-0123456789ab"}),),
    )
    conn.commit()
    conn.close()
    w2 = run(tmp_path, db, 2)
    assert w2.results.resolved[0].id == "f-0123456789ab"
    with history.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
        assert [s.week for s in history.snapshots(conn)] == ["2026-W41", "2026-W42"]
        assert history.plan(conn, "contoso") == {}


@pytest.mark.parametrize("content", [b"not a workbook", b"PK\x03\x04broken"])
def test_a_plan_that_is_not_a_workbook_is_a_usage_error(tmp_path, content):
    bad = tmp_path / "plan.xlsx"
    bad.write_bytes(content)
    with pytest.raises(o365tls.errors.UsageError, match="--plan|workbook"):
        o365tls.review([write_week(tmp_path, 1)], plan=bad, options=OPTIONS)


@pytest.mark.slow
def test_a_workbook_prefilled_elsewhere_starts_the_history_plan(tmp_path):
    """Values the workbook was written with (a run without --history) are not lost when the
    history first sees them."""
    run(tmp_path, None, 1)
    typed = type_into(
        tmp_path / "out1/remediation.xlsx", {ERP: {"Owner": "Finance IT"}}, tmp_path / "a.xlsx"
    )
    run(tmp_path, None, 2, plan=typed)  # week 2's workbook is written pre-filled
    db = tmp_path / "h.sqlite"
    w3 = run(tmp_path, db, 3, plan=tmp_path / "out2/remediation.xlsx")
    assert by_sender(w3)[ERP]["owner"] == "Finance IT"


@pytest.mark.slow
def test_with_history_the_last_workbook_is_read_without_plan(tmp_path):
    """People edit last week's workbook where the job wrote it; the next run finds it."""
    db = tmp_path / "h.sqlite"
    args = ("--domain", "tenant.example", "--history", str(db), "--tenant", "contoso", "-q")
    assert (
        cli("analyze", str(write_week(tmp_path, 1)), "-o", str(tmp_path / "r1"), *args).returncode
        == 0
    )
    workbook = tmp_path / "r1/remediation.xlsx"
    type_into(workbook, {ERP: {"Owner": "Finance IT", "Notes": "=1+1"}}, workbook)  # in place
    assert (
        cli("analyze", str(write_week(tmp_path, 2)), "-o", str(tmp_path / "r2"), *args).returncode
        == 0
    )
    erp = plan_rows(tmp_path / "r2/remediation.xlsx")[ERP]
    assert (erp["Owner"], erp["Notes"]) == ("Finance IT", "'=1+1")
    data = json.loads((tmp_path / "r2/findings.json").read_text(encoding="utf-8"))
    assert any("read the plan typed into the workbook of 2026-W41" in n for n in data["notes"])
    # The workbook moved away: the history still has the plan, and a note says so.
    workbook.unlink()
    (tmp_path / "r2/remediation.xlsx").unlink()
    assert (
        cli("analyze", str(write_week(tmp_path, 3)), "-o", str(tmp_path / "r3"), *args).returncode
        == 0
    )
    assert plan_rows(tmp_path / "r3/remediation.xlsx")[ERP]["Owner"] == "Finance IT"
    data = json.loads((tmp_path / "r3/findings.json").read_text(encoding="utf-8"))
    assert any("is gone" in n for n in data["notes"])
