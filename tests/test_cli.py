"""The o365tls command: outputs, messages and exit codes (README: "What you get", exit codes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_reports"
AWKWARD = ROOT / "tests" / "data" / "awkward"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "o365tls", *args],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=300,
    )


def test_help_does_not_import_pandas():
    code = "import sys, o365tls.cli; print('pandas' in sys.modules, 'openpyxl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False False"
    result = run("--help")
    assert result.returncode == 0
    for command in ("analyze", "inspect", "formats"):
        assert command in result.stdout


@pytest.mark.slow
def test_every_option_has_help_text():
    for command in ("analyze", "inspect", "formats"):
        text = run(command, "--help").stdout
        assert "--" in text
    analyze = run("analyze", "--help").stdout
    for option in (
        "--output",
        "--inventory",
        "--rules",
        "--since",
        "--until",
        "--format",
        "--encoding",
        "--fail-on-findings",
        "--domain",
    ):
        assert option in analyze


@pytest.mark.slow
def test_formats_lists_every_importer():
    result = run("formats", "--json")
    names = [f["name"] for f in json.loads(result.stdout)]
    assert names == [
        "probe-results",
        "clixml",
        "exchange-protocol-log",
        "exchange-tracking-log",
        "historical-extended",
        "historical-summary",
        "message-trace-detail",
        "message-trace",
        "eac-smtp-auth-report",
        "eac-connector-report",
        "onprem-server-report",
        "connector-config",
    ]
    text = run("formats").stdout
    assert "recognised by" in text


@pytest.mark.slow
def test_inspect_sample_reports_recognises_every_file_with_no_problems():
    result = run("inspect", "sample_reports", "--json")
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert len(reports) == 14
    for report in reports:
        assert report["format"], report["path"]
        assert report["issues"] == [], (report["path"], report["issues"])
        assert report["rows_read"] == report["rows_used"] > 0


@pytest.mark.slow
def test_inspect_tells_what_a_shared_protocol_log_excerpt_lacks():
    shared = ROOT / "tests" / "data" / "exchange-protocol-log-shared"
    result = run(
        "inspect", str(shared / "hub"), str(shared / "frontend"), str(shared / "intra-org")
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.count("[session-began-before] 1 session(s) began before this file's first line") == 3
    assert "Add the previous hour's log of this server" in out
    assert (
        "[legacy-session-without-mail] 4 session(s) negotiated legacy TLS and sent no "
        "message (e.g. 198.51.100.40 (EHLO nagios.contoso.example) on TLS1.0)" in out
    )
    assert "[masked-ip] 19 rows have a masked IP (e.g. '10.**.**.168:25')" in out


@pytest.mark.slow
def test_inspect_names_the_closest_format_for_an_unknown_file(tmp_path):
    bad = tmp_path / "export.csv"
    bad.write_text('"Received","SenderAddress","Colour"\r\n"x","y","z"\r\n', encoding="utf-8")
    result = run("inspect", str(bad), str(AWKWARD / "trace_utf16le_nobom.csv"))
    assert result.returncode == 0  # one file is readable
    assert "UNRECOGNISED" in result.stdout and "closest is message-trace" in result.stdout
    assert "UTF-16LE (no BOM)" in result.stdout


@pytest.mark.slow
def test_inspect_warns_when_trace_and_connector_report_cover_different_days():
    data = ROOT / "tests" / "data"
    result = run(
        "inspect",
        str(data / "message-trace" / "v2_2026-11_after_the_report.csv"),
        str(data / "eac-connector-report" / "inbound_2026-10_before_the_trace.csv"),
        str(data / "connector-config" / "inbound_posh365_select_join.csv"),
    )
    assert result.returncode == 0, result.stderr
    assert (
        "note: the message trace covers 2026-11-01..2026-11-10 and the connector report "
        "2026-10-01..2026-10-20 (no common day, 3 needed): export both for the same days"
    ) in result.stdout
    assert "connector 'Scanner relay (old)' is disabled (Enabled: False)" in result.stdout
    same = run(
        "inspect",
        str(data / "message-trace" / "v2_2026-11_after_the_report.csv"),
        str(data / "eac-connector-report" / "inbound_2026-11_disabled_connector_still_named.csv"),
    )
    assert "common day" not in same.stdout


@pytest.mark.slow
def test_analyze_writes_the_outputs(tmp_path):
    out = tmp_path / "out"
    result = run("analyze", "sample_reports", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert {p.name for p in out.iterdir()} >= {"findings.json", "flows.csv"}
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no staging left behind
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert findings["schema_version"] == 2
    header = (out / "flows.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header.startswith("id,at_risk,priority,connector,direction")
    assert "at risk" in result.stderr


@pytest.mark.slow
def test_quiet_analyze_of_an_extended_report_prints_nothing(tmp_path):
    # Its times carry 100 ns ticks (.1234567Z): rendering them once warned on every time.
    result = run(
        "analyze",
        str(ROOT / "tests" / "data" / "historical-extended" / "extended-no-bom.csv"),
        "-o",
        str(tmp_path),
        "-q",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


@pytest.mark.slow
def test_analyze_fail_on_findings_exits_3(tmp_path):
    result = run("analyze", "sample_reports", "-o", str(tmp_path), "--fail-on-findings", "-q")
    assert result.returncode == 3


@pytest.mark.slow
def test_nothing_usable_is_exit_1_with_one_line(tmp_path):
    result = run("analyze", str(AWKWARD / "unknown.csv"), "-o", str(tmp_path / "o"))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "unknown.csv" in lines[0] and "hint:" in lines[0]
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_missing_path_is_an_error_naming_it(tmp_path):
    result = run("inspect", str(tmp_path / "nope.csv"))
    assert result.returncode == 1 and "nope.csv: no such file" in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("analyze", "sample_reports"),
        ("bogus",),
        ("inspect", "sample_reports", "--format", "nonsense"),
    ],
)
@pytest.mark.slow
def test_usage_errors(args):
    result = run(*args)
    assert result.returncode in (1, 2)
    if args[0] != "inspect":
        assert result.returncode == 2
    else:
        assert "o365tls formats" in result.stderr


@pytest.mark.slow
def test_debug_shows_the_traceback():
    result = run("--debug", "inspect", "sample_reports", "--format", "nonsense")
    assert "Traceback" in result.stderr


@pytest.mark.slow
def test_unwritable_output_is_exit_1(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run("analyze", "sample_reports", "-o", str(blocker / "out"), "-q")
    assert result.returncode == 1 and "cannot write" in result.stderr


def test_jobs_defaults_to_the_cores_up_to_eight(monkeypatch):
    import inspect

    from o365tls import parallel
    from o365tls.cli import analyze, check

    assert inspect.signature(analyze.analyze).parameters["jobs"].default is None  # o365tls's
    assert inspect.signature(check.check).parameters["jobs"].default is None  # choice
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(2)), raising=False)
    assert parallel.default_jobs() == 2
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert parallel.default_jobs() == 8  # each job holds chunks in memory: bounded


def test_a_small_input_starts_no_worker_processes(monkeypatch):
    """Left to o365tls, the number of jobs is every core for a large input, and one for the
    sample tenant, where starting worker processes would cost more than it saves."""
    from o365tls.importers import loader
    from o365tls.inputs import gathering

    def refuse(*args, **kwargs):
        raise AssertionError("a worker process was started for a small input")

    for module, name in (
        (gathering, "process_pool"),
        (gathering, "start_process_server"),
        (loader, "process_pool"),
    ):
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(4)), raising=False)
    gathered = gathering.gather([SAMPLES], jobs=None)
    assert gathered.threads == 1 and len(gathered.inputs) > 10
    monkeypatch.setattr(gathering, "PARALLEL_BYTES", 0)  # as if it were large
    with pytest.raises(AssertionError, match="worker process"):
        gathering.gather([SAMPLES], jobs=None)
