"""Weekly compliance reviews: history, statuses, accepted risks and the gate (issue: weekly)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

import o365tls
from o365tls import history
from o365tls.render.serialize import findings_document
from tests.synthetic import Sender, write_tenant

ROOT = Path(__file__).resolve().parents[1]
MONDAY = datetime(2026, 10, 5)
SCANNER = "scanner@tenant.example"
ERP = "erp@tenant.example"
NAS = "nas@tenant.example"


def week_senders(week: int) -> list[Sender]:
    """Week 1 and 4: the scanner on TLS 1.0; fixed in weeks 2 and 3. The ERP stays on TLS 1.1;
    the NAS starts sending without TLS in week 3."""
    senders = [
        Sender(SCANNER, "TLS1.0" if week in (1, 4) else "TLS1.2", 30),
        Sender(ERP, "TLS1.1", 20),
        Sender("app@tenant.example", "TLS1.2", 25),
        Sender("web@tenant.example", "TLS1.2", 15),
    ]
    if week >= 3:
        senders.append(Sender(NAS, "none", 12))
    return senders


def write_week(root: Path, week: int) -> Path:
    folder = root / f"week{week}"
    write_tenant(
        folder, week_senders(week), days=7, seed=week, start=MONDAY + timedelta(weeks=week - 1)
    )
    return folder


def run_week(root: Path, db: Path, week: int, tenant: str = "contoso", **kw):
    rv = o365tls.review(
        [write_week(root, week)],
        history_db=db,
        tenant=tenant,
        options=o365tls.Options(domains=("tenant.example",)),
        **kw,
    )
    o365tls.record(rv, db)
    return rv


def statuses(rv) -> dict[str, str]:
    return {f.flow.sender_address: f.status for f in rv.results.findings}


@pytest.mark.slow
def test_new_open_resolved_regressed_over_four_weeks(tmp_path):
    db = tmp_path / "history.sqlite"
    w1 = run_week(tmp_path, db, 1)
    assert statuses(w1) == {SCANNER: "new", ERP: "new"}
    assert w1.results.resolved == ()
    w2 = run_week(tmp_path, db, 2)
    assert statuses(w2) == {ERP: "open"}
    assert [r.flow.sender_address for r in w2.results.resolved] == [SCANNER]
    assert w2.results.resolved[0].status == "resolved"
    w3 = run_week(tmp_path, db, 3)
    assert statuses(w3) == {ERP: "open", NAS: "new"}
    assert w3.results.resolved == ()
    w4 = run_week(tmp_path, db, 4)
    assert statuses(w4) == {SCANNER: "regressed", ERP: "open", NAS: "open"}
    erp = next(f for f in w4.results.findings if f.flow.sender_address == ERP)
    assert erp.history.first_reported == "2026-10-05T00:00:00Z"
    assert erp.history.open_days == 28
    assert [p.label for p in w4.trend] == ["2026-W41", "2026-W42", "2026-W43", "2026-W44"]
    assert w4.trend[1].at_risk < w4.trend[0].at_risk  # the scanner fix shows in the trend
    data = findings_document(w4.results)
    assert {f["status"] for f in data["findings"]} == {"regressed", "open"}


@pytest.mark.slow
def test_rerunning_a_week_replaces_its_snapshot(tmp_path):
    db = tmp_path / "h.sqlite"
    run_week(tmp_path, db, 1)
    run_week(tmp_path, db, 1)
    with history.connect(db) as conn:
        snaps = history.snapshots(conn)
    assert [(s.tenant, s.week) for s in snaps] == [("contoso", "2026-W41")]
    again = run_week(tmp_path, db, 1)
    assert statuses(again) == {SCANNER: "new", ERP: "new"}  # not "open" against itself


WRITER = textwrap.dedent("""
    import json, os, signal, sys
    from o365tls import history
    db, tenant, n, kill = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "kill"
    findings = json.loads(open(sys.argv[5], encoding="utf-8").read())
    flows = findings["findings"]
    if kill:
        real = history.sqlite3.Connection.executemany
        class Dying(history.sqlite3.Connection):
            def executemany(self, sql, rows):
                if sql.startswith("INSERT INTO groups"):
                    os.kill(os.getpid(), signal.SIGKILL)  # mid-snapshot, inside the transaction
                return real(self, sql, rows)
        history.sqlite3.connect = lambda *a, **k: history.sqlite3.Connection.__new__(Dying) \\
            if False else Dying(*a, **k)
    for i in range(n):
        with history.connect(db) as conn:
            history.store(conn, tenant, findings, flows, week=f"2026-W{i + 1:02d}")
""")


@pytest.fixture(scope="module")
def sample_findings(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("f") / "findings.json"
    results = o365tls.analyze(o365tls.gather([ROOT / "sample_reports"]))
    path.write_text(json.dumps(findings_document(results)), encoding="utf-8")
    return path


def _writer(tmp_path: Path, db: Path, tenant: str, n: int, kill: bool, findings: Path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER, encoding="utf-8")
    return subprocess.Popen(
        [
            sys.executable,
            str(script),
            str(db),
            tenant,
            str(n),
            "kill" if kill else "live",
            str(findings),
        ],
        cwd=ROOT,
    )


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_nothing(tmp_path, sample_findings):
    db = tmp_path / "h.sqlite"
    writers = [_writer(tmp_path, db, t, 15, False, sample_findings) for t in ("a", "b")]
    assert [w.wait(timeout=240) for w in writers] == [0, 0]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = dict(conn.execute("SELECT tenant, COUNT(*) FROM snapshots GROUP BY tenant"))
    assert counts == {"a": 15, "b": 15}
    n_findings = len(json.loads(sample_findings.read_text())["findings"])
    assert conn.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 30 * n_findings


def test_a_writer_killed_mid_snapshot_leaves_earlier_snapshots_intact(tmp_path, sample_findings):
    db = tmp_path / "h.sqlite"
    assert _writer(tmp_path, db, "a", 2, False, sample_findings).wait(timeout=120) == 0
    killed = _writer(tmp_path, db, "b", 1, True, sample_findings)
    assert killed.wait(timeout=120) == -9
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r[0] for r in conn.execute("SELECT tenant FROM snapshots ORDER BY id")] == ["a", "a"]
    orphans = conn.execute(
        "SELECT COUNT(*) FROM findings WHERE snapshot_id NOT IN (SELECT id FROM snapshots)"
    ).fetchone()[0]
    assert orphans == 0
    conn.close()
    assert _writer(tmp_path, db, "b", 1, False, sample_findings).wait(timeout=120) == 0


def test_schema_version_and_migrations(tmp_path):
    db = tmp_path / "h.sqlite"
    with history.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    sqlite3.connect(db).execute("PRAGMA user_version = 99")
    with pytest.raises(o365tls.errors.InputError, match="newer o365tls"):
        with history.connect(db):
            pass


# --- accepted risks and the gate ---------------------------------------------------------


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "o365tls", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def week1(tmp_path_factory) -> Path:
    return write_week(tmp_path_factory.mktemp("gate"), 1)


def exceptions_file(
    tmp_path: Path, expires: date, *, sender: str = "*@tenant.example", fmt: str = "yaml"
) -> Path:
    if fmt == "yaml":
        path = tmp_path / "exceptions.yaml"
        path.write_text(
            f'exceptions:\n  - sender: "{sender}"\n    reason: vendor fix due\n'
            f"    owner: it-ops\n    expires: {expires.isoformat()}\n",
            encoding="utf-8",
        )
    else:
        path = tmp_path / "exceptions.toml"
        path.write_text(
            f'[[exception]]\nsender = "{sender}"\nreason = "vendor fix due"\n'
            f"expires = {expires.isoformat()}\n",
            encoding="utf-8",
        )
    return path


@pytest.mark.slow
def test_check_exits_3_and_prints_one_line_per_failing_finding(week1):
    result = cli("check", str(week1), "--domain", "tenant.example")
    assert result.returncode == 3
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2 and all(line.split()[1].startswith("f-") for line in lines)
    assert any(SCANNER in line for line in lines)


@pytest.mark.slow
def test_check_passes_a_clean_tenant(tmp_path):
    write_tenant(tmp_path, [Sender("app@tenant.example", "TLS1.2", 20)], days=7)
    result = cli("check", str(tmp_path))
    assert result.returncode == 0 and result.stdout == ""


@pytest.mark.slow
def test_check_fail_on_priority(week1):
    json_out = json.loads(cli("check", str(week1), "--json").stdout)
    priorities = {f["priority"] for f in json_out["failing"]}
    above_all = [p for p in ("critical", "high", "medium", "low") if p not in priorities]
    levels = ("critical", "high", "medium", "low")
    strictest = min(levels.index(p) for p in priorities)
    if strictest > 0:  # a gate above every finding's priority passes
        result = cli("check", str(week1), "--fail-on", levels[strictest - 1])
        assert result.returncode == 0, (priorities, above_all)
    assert cli("check", str(week1), "--fail-on", levels[strictest]).returncode == 3
    assert cli("check", str(week1), "--fail-on", "urgent").returncode == 2


@pytest.mark.parametrize("fmt", ["yaml", "toml"])
@pytest.mark.slow
def test_accepted_risks_pass_the_gate_and_stay_visible(week1, tmp_path, fmt):
    accepted = exceptions_file(tmp_path, date(2099, 1, 1), fmt=fmt)
    result = cli("check", str(week1), "--exceptions", str(accepted), "--json")
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["failing"] == [] and len(data["accepted"]) == 2
    rv = o365tls.review([week1], exceptions=accepted)
    assert all(f.accepted and f.exception.reason == "vendor fix due" for f in rv.results.findings)


@pytest.mark.slow
def test_expired_exception_resurfaces_with_a_warning(week1, tmp_path):
    expired = exceptions_file(tmp_path, date(2026, 1, 31))
    result = cli("check", str(week1), "--exceptions", str(expired))
    assert result.returncode == 3
    assert "exception #1 (vendor fix due) expired on 2026-01-31" in result.stderr
    rv = o365tls.review([week1], exceptions=expired)
    assert all(not f.accepted and f.exception.expired for f in rv.results.findings)


@pytest.mark.slow
def test_an_expired_exception_is_visible_on_its_findings_and_analyze_warns(week1, tmp_path):
    expired = exceptions_file(tmp_path, date(2026, 1, 31), sender=SCANNER)
    result = cli(
        "analyze", str(week1), "-o", str(tmp_path / "out"), "--exceptions", str(expired), "-q"
    )
    assert result.returncode == 0
    assert "exception #1 (vendor fix due) expired on 2026-01-31" in result.stderr
    html = (tmp_path / "out/report.html").read_text(encoding="utf-8")
    assert html.count('class="badge expired-badge"') == 1
    assert "expired 2026-01-31" in html
    ws = openpyxl.load_workbook(tmp_path / "out/remediation.xlsx")["Remediation plan"]
    rows = list(ws.iter_rows(values_only=True))
    head = rows[0]
    state = {r[head.index("Sender")]: r[head.index("Exception")] for r in rows[1:]}
    assert state == {SCANNER: "expired 2026-01-31", ERP: None}
    column = head.index("Exception") + 1
    cell = next(
        ws.cell(row=r, column=column)
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=column).value
    )
    assert cell.fill.start_color.rgb.endswith("C00000")


@pytest.mark.slow
def test_an_exception_for_one_sender_leaves_the_others(week1, tmp_path):
    one = exceptions_file(tmp_path, date(2099, 1, 1), sender=SCANNER)
    result = cli("check", str(week1), "--exceptions", str(one))
    assert result.returncode == 3 and SCANNER not in result.stdout and ERP in result.stdout


@pytest.mark.parametrize(
    "text, needle",
    [
        ("exceptions:\n  - sender: a@b\n    reason: x\n    expires: soon\n", "line 2"),
        ("exceptions:\n  - reason: x\n    expires: 2027-01-01\n", "needs at least one of"),
        ("exceptions:\n  - ip: 300.1.1.1\n    reason: x\n    expires: 2027-01-01\n", "neither"),
        ("exceptions:\n  - sender: a@b\n    expires: 2027-01-01\n", "needs a reason"),
        (
            "exceptions:\n  - sender: a@b\n    reason: x\n    expires: 2027-01-01\n    colour: red\n",
            "unknown field",
        ),
        ("exceptions: [\n", "not valid YAML"),
    ],
)
@pytest.mark.slow
def test_bad_exception_entries_name_the_line(week1, tmp_path, text, needle):
    bad = tmp_path / "bad.yaml"
    bad.write_text(text, encoding="utf-8")
    result = cli("check", str(week1), "--exceptions", str(bad))
    assert result.returncode == 2
    assert needle in result.stderr and "bad.yaml" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_history_command_shows_trend_and_portfolio(tmp_path):
    db = tmp_path / "h.sqlite"
    for week in (1, 2):
        run_week(tmp_path, db, week, tenant="contoso")
    run_week(tmp_path, db, 1, tenant="fabrikam")
    text = cli("history", str(db))
    assert text.returncode == 0
    assert "tenant contoso" in text.stdout and "2026-W42" in text.stdout
    assert "portfolio" in text.stdout and "fabrikam" in text.stdout
    data = json.loads(cli("history", str(db), "--json").stdout)
    weeks = data["tenants"]["contoso"]
    assert [w["week"] for w in weeks] == ["2026-W41", "2026-W42"]
    assert weeks[1]["change"] == weeks[1]["at_risk"] - weeks[0]["at_risk"] < 0
    assert {p["tenant"] for p in data["portfolio"]} == {"contoso", "fabrikam"}
    missing = cli("history", str(tmp_path / "none.sqlite"))
    assert missing.returncode == 1 and "no such history database" in missing.stderr
