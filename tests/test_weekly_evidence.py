"""Four weeks of one tenant: statuses on evidence, a plan that remembers, and a trend that
counts each message once (an undated report read every week counts in one week)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

import jsonschema
import openpyxl
import pytest

import o365tls
from o365tls.render.serialize import finding_record
from tests.synthetic import Sender, write_smtp_auth_report, write_tenant
from tests.test_weekly import cli

MONDAY = datetime(2026, 10, 5)
SCANNER = "scanner@tenant.example"  # TLS 1.0; fixed in week 2, idle that week; TLS 1.2 in 3
ERP = "erp@tenant.example"  # TLS 1.1 every week
PRINTER = "printer@tenant.example"  # TLS 1.0 every week; from week 3 a twin hides it
COPIER = "copier@tenant.example"  # TLS 1.2, the printer's twin from week 3: "cannot tell"
MFP = "mfp-smtp@tenant.example"  # in the undated SMTP AUTH report, TLS 1.0
OPTIONS = o365tls.Options(domains=("tenant.example",))


def senders(week: int) -> list[Sender]:
    out = [
        Sender(ERP, "TLS1.1", 20),
        Sender(PRINTER, "TLS1.0", 16),
        Sender("app@tenant.example", "TLS1.2", 25),
        Sender("web@tenant.example", "TLS1.2", 15),
    ]
    if week == 1:
        out.append(Sender(SCANNER, "TLS1.0", 30))
    elif week >= 3:
        out.append(Sender(SCANNER, "TLS1.2", 30))
        out.append(Sender(COPIER, "TLS1.2", 16, twin_of=PRINTER))
    return out


def exports(root: Path, week: int) -> Path:
    folder = root / f"exports-w{week}"
    # Week 2's exports cover three days only: too few to call a silent sender fixed.
    write_tenant(
        folder,
        senders(week),
        days=3 if week == 2 else 7,
        seed=week,
        start=MONDAY + timedelta(weeks=week - 1),
    )
    # The same undated SMTP AUTH report lands in every week's folder.
    write_smtp_auth_report(
        folder / "smtp-auth-clients.csv",
        [(MFP, "TLS1.0", 40), ("relay-app@tenant.example", "TLS1.2", 60)],
    )
    return folder


@pytest.fixture(scope="module")
def weeks(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("four-weeks")
    db = root / "reviews.sqlite"
    out, plan = {}, None
    for week in (1, 2, 3, 4):
        rv = o365tls.review(
            [exports(root, week)], history_db=db, tenant="contoso", options=OPTIONS, plan=plan
        )
        o365tls.write_outputs(rv.results, root / f"w{week}", o365tls.ReportOptions(trend=rv.trend))
        o365tls.record(rv, db)
        out[week] = rv
        plan = root / f"w{week}" / "remediation.xlsx"
        if week == 1:  # people fill in week 1's workbook
            plan = type_plan(plan, root / "w1-typed.xlsx")
    return {"root": root, "db": db, **out}


def type_plan(path: Path, out: Path) -> Path:
    wb = openpyxl.load_workbook(path)
    ws = wb["Remediation plan"]
    col = {c.value: c.column for c in ws[1]}
    typed = {
        SCANNER: ("Facilities", "Waiting on vendor", datetime(2026, 10, 30)),
        ERP: ("Finance IT", "In progress", datetime(2026, 12, 15)),
        PRINTER: ("Facilities", "Not started", None),
    }
    for row in range(2, ws.max_row + 1):
        sender = ws.cell(row=row, column=col["Sender"]).value
        if sender in typed:
            owner, status, due = typed[sender]
            ws.cell(row=row, column=col["Owner"]).value = owner
            ws.cell(row=row, column=col["Status"]).value = status
            ws.cell(row=row, column=col["Due date"]).value = due
    wb.save(out)
    return out


def status(rv) -> dict[str, str]:
    out = {f.flow.sender_address: f.status for f in rv.results.findings if f.flow.sender_address}
    out.update({f.flow.sender_address: f.status for f in rv.results.resolved})
    out.update({f.flow.sender_address: f.status for f in rv.results.unverified})
    return out


def record(rv, sender: str) -> dict:
    return next(
        finding_record(f)
        for f in (*rv.results.resolved, *rv.results.unverified)
        if f.flow.sender_address == sender
    )


def plan_row(path: Path, sender: str) -> dict:
    rows = list(openpyxl.load_workbook(path)["Remediation plan"].iter_rows(values_only=True))
    return next(
        dict(zip(rows[0], r, strict=True)) for r in rows[1:] if r[rows[0].index("Sender")] == sender
    )


@pytest.mark.slow
def test_week1_everything_is_new(weeks):
    assert status(weeks[1]) == {SCANNER: "new", ERP: "new", PRINTER: "new", MFP: "new"}


@pytest.mark.slow
def test_a_device_fixed_but_not_seen_is_unverified_until_seen_on_tls12(weeks):
    assert status(weeks[2])[SCANNER] == "unverified"
    why = record(weeks[2], SCANNER)["status_reason"]
    assert "sent nothing" in why and "3 day" in why
    assert status(weeks[3])[SCANNER] == "resolved"
    assert "TLS 1.2" in record(weeks[3], SCANNER)["status_reason"]
    assert SCANNER not in status(weeks[4])  # resolved stays resolved


def test_a_flow_that_turns_cannot_tell_stays_open_as_unverified(weeks):
    assert status(weeks[2])[PRINTER] == "open"
    for week in (3, 4):
        assert status(weeks[week])[PRINTER] == "unverified"
        assert "cannot tell" in record(weeks[week], PRINTER)["status_reason"]
        assert PRINTER not in {f.flow.sender_address for f in weeks[week].results.resolved}


@pytest.mark.slow
def test_check_fails_on_an_unverified_finding(weeks):
    result = cli(
        "check",
        str(weeks["root"] / "exports-w3"),
        "--history",
        str(weeks["db"]),
        "--tenant",
        "contoso",
        "--domain",
        "tenant.example",
    )
    assert result.returncode == 3
    line = next(line for line in result.stdout.splitlines() if PRINTER in line)
    assert "status=unverified" in line and "cannot tell" in line


def test_the_plan_typed_in_week1_comes_back_in_weeks_2_to_4(weeks):
    root = weeks["root"]
    for week in (2, 3, 4):
        erp = plan_row(root / f"w{week}/remediation.xlsx", ERP)
        assert (erp["Owner"], erp["Status"], erp["Due date"]) == (
            "Finance IT",
            "In progress",
            datetime(2026, 12, 15),
        ), week
        printer = plan_row(root / f"w{week}/remediation.xlsx", PRINTER)
        assert printer["Owner"] == "Facilities", week
        html = (root / f"w{week}/report.html").read_text(encoding="utf-8")
        assert "Finance IT" in html
    # The unverified printer keeps its row in the plan, marked, with the reason.
    printer = plan_row(root / "w3/remediation.xlsx", PRINTER)
    assert printer["Since last run"] == "unverified"
    assert "cannot tell" in printer["Why this status"]
    # The resolved scanner keeps its plan in the history.
    assert record(weeks[3], SCANNER)["plan"]["owner"] == "Facilities"


def test_an_undated_report_given_every_week_counts_once_in_the_trend(weeks):
    dated = {w: sum(c.at_risk for _, c in weeks[w].results.daily) for w in (1, 2, 3, 4)}
    points = {p.label: p.at_risk for p in weeks[4].trend}
    assert list(points.values()) == [dated[1] + 40, dated[2], dated[3], dated[4]]
    for week in (2, 3, 4):
        assert weeks[week].results.totals.at_risk == dated[week] + 40  # the run still has it
        assert any(
            "no dates" in n and "already counted" in n and "2026-W41" in n
            for n in weeks[week].results.notes
        )
    rows = json.loads(cli("history", str(weeks["db"]), "--json").stdout)["tenants"]["contoso"]
    assert [r["trend_at_risk"] for r in rows] == list(points.values())
    assert [r["at_risk"] - r["trend_at_risk"] for r in rows] == [0, 40, 40, 40]


def test_days_that_overlap_an_earlier_week_count_in_that_week_only(tmp_path):
    db = tmp_path / "h.sqlite"
    first = (
        write_tenant(tmp_path / "a", senders(1), days=7, seed=1, start=MONDAY) and tmp_path / "a"
    )
    # Next week's export starts three days early: Friday to Sunday were in last week's.
    second = tmp_path / "b"
    write_tenant(second, senders(2), days=10, seed=2, start=MONDAY + timedelta(days=4))
    w1 = o365tls.review([first], history_db=db, tenant="t", options=OPTIONS)
    o365tls.record(w1, db)
    w2 = o365tls.review([second], history_db=db, tenant="t", options=OPTIONS)
    overlap = [c for day, c in w2.results.daily if day.date() <= (MONDAY + timedelta(6)).date()]
    assert len(overlap) == 3
    assert w2.trend[-1].at_risk == w2.results.totals.at_risk - sum(c.at_risk for c in overlap)
    assert w2.trend[-1].messages == w2.results.totals.messages - sum(c.messages for c in overlap)
    assert any("3 day(s)" in n and "earlier snapshot" in n for n in w2.results.notes)


def test_findings_json_of_each_week_follows_the_schema(weeks):
    schema = json.loads(
        resources.files("o365tls.data").joinpath("findings.schema.json").read_text(encoding="utf-8")
    )
    for week in (1, 2, 3, 4):
        data = json.loads((weeks["root"] / f"w{week}/findings.json").read_text(encoding="utf-8"))
        jsonschema.Draft202012Validator(schema).validate(data)
    data = json.loads((weeks["root"] / "w3/findings.json").read_text(encoding="utf-8"))
    assert [d["sender_address"] for d in data["unverified"]] == [PRINTER]
    assert all(f["status_reason"] for f in data["findings"])


def test_the_weekly_first_screen_counts_statuses_and_deadline_weeks(weeks):
    from o365tls.render import ReportOptions, view_of

    rv = weeks[3]
    weekly = view_of(rv.results, ReportOptions(trend=rv.trend)).weekly
    statuses = [f.status for f in rv.results.findings]
    assert (weekly.week, weekly.resolved, weekly.unverified) == ("2026-W43", 1, 1)
    assert (weekly.new, weekly.regressed, weekly.open) == (
        statuses.count("new"),
        statuses.count("regressed"),
        statuses.count("open"),
    )
    # Basic auth for SMTP AUTH: the undated report's TLS 1.0 mailbox counts in week 1 only,
    # and the later weeks say what they left out.
    basic = next(d for d in weekly.deadlines if d.date.isoformat() == "2026-12-31")
    assert [w[1:] for w in basic.weeks] == [(40, 0), (0, 40), (0, 40)]
    assert basic.days_left == (basic.date - datetime(2026, 10, 25).date()).days
    html = (weeks["root"] / "w3/report.html").read_text(encoding="utf-8")
    top = html[html.index('id="summary"') : html.index('class="verdict"')]
    assert "Week 2026-W43 against the previous snapshot" in top
    for label in ("new", "regressed", "unverified", "resolved", "exception expired"):
        assert f">{label}</span>" in top
    assert "+40 undated, counted before" in top
    summary = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(weeks["root"] / "w3/remediation.xlsx")["Summary"].iter_rows(
            max_col=2, values_only=True
        )
        if r[0]
    }
    assert summary["Unverified (no evidence of a fix; still open)"] == 1
    assert summary["Resolved (on evidence)"] == 1


def test_without_history_there_is_no_weekly_screen(weeks):
    from o365tls.render import view_of

    assert (
        view_of(o365tls.analyze(o365tls.gather([exports(weeks["root"], 1)]), OPTIONS)).weekly
        is None
    )
