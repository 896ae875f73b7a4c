"""Attribution on busy shared connectors: generated tenants whose truth is known, written as the
real exports (EAC inbound messages report, Get-MessageTraceV2 and Get-InboundConnector
exports), many senders behind each connector's two relay IPs, some on TLS 1.0, TLS 1.1 or no
TLS, some fixed partway through. The question scored is the admin's: which senders are still
at risk at the end of the period? The generator is bench/bench_attribution.py's, at test
size."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import o365tls
from o365tls.analysis.attribution import attribute
from o365tls.render.next_evidence import ps_quote, script, write_next_evidence
from o365tls.render.serialize import findings_document
from o365tls.tls import TLS_VERSIONS

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_attribution.py"
_spec = importlib.util.spec_from_file_location("bench_attribution", _BENCH)
bench = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("bench_attribution", bench)
_spec.loader.exec_module(bench)


def run(folder: Path) -> dict:
    results = o365tls.analyze(o365tls.gather([folder]), o365tls.Options(domains=(bench.DOMAIN,)))
    return json.loads(json.dumps(findings_document(results), default=str))


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    folder = tmp_path_factory.mktemp("month")
    scenario = bench.Scenario("30d", connectors=8, senders=30, days=30, seed=201)
    senders, _ = bench.write_tenant(folder, scenario)
    return senders, run(folder)


@pytest.mark.slow
def test_a_month_of_30_senders_per_connector_names_who_is_still_at_risk(month):
    senders, findings = month
    score = bench.score(senders, findings)
    assert score["at_risk"] >= 5
    assert score["recall"] >= 0.95 and score["precision"] >= 0.95, score


@pytest.mark.slow
def test_a_device_fixed_partway_is_not_named_and_its_fix_week_is_reported(month):
    senders, findings = month
    rows = {r["sender"]: r for r in findings["attribution"]}
    fixed = [s for s in senders if s.fixed_on is not None]
    assert fixed
    named, _ = bench.named_at_risk(findings)
    assert not named & {s.address for s in fixed}
    dated = [rows[s.address] for s in fixed if rows[s.address]["verdict"] == "fixed"]
    assert dated, [rows[s.address]["verdict"] for s in fixed]
    for row in dated:
        assert row["fixed_on"] and f"moved to TLS 1.2 around {row['fixed_on']}" in row["why"]


@pytest.fixture(scope="module")
def fortnight(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fortnight")
    scenario = bench.Scenario("14d", connectors=2, senders=60, days=14, seed=102)
    senders, latest = bench.write_tenant(folder, scenario)
    first = run(folder)
    out = tmp_path_factory.mktemp("fortnight-out")
    results = o365tls.analyze(o365tls.gather([folder]), o365tls.Options(domains=(bench.DOMAIN,)))
    write_next_evidence(results, out / "next-evidence.ps1")
    asked = bench.answer_lookups(folder, first, latest)
    return senders, first, run(folder), asked, out


@pytest.mark.slow
def test_two_weeks_of_60_senders_names_only_what_it_can_and_asks_for_the_rest(fortnight):
    senders, first, _, asked, out = fortnight
    score = bench.score(senders, first)
    assert score["precision"] >= 0.9
    assert score["missed_unlisted"] == 0  # every at-risk sender named or in next_evidence
    assert asked > 0
    ps1 = (out / "next-evidence.ps1").read_text(encoding="utf-8-sig")
    for entry in first["next_evidence"]:
        for sender in entry["senders"]:
            assert f"Get-Latest {ps_quote(sender)}" in ps1
    assert "Get-MessageTraceDetailV2 -MessageTraceId $m.MessageTraceId -RecipientAddress" in ps1
    assert "Start-Sleep -Seconds 3" in ps1 and "Write-Progress" in ps1
    assert any(
        "run next-evidence.ps1" in note and "then run o365tls again" in note
        for note in first["notes"]
    )


@pytest.mark.slow
def test_after_the_lookups_are_answered_the_second_run_names_them(fortnight):
    senders, _, second, _, _ = fortnight
    score = bench.score(senders, second)
    assert score["recall"] >= 0.95 and score["precision"] >= 0.95, score
    verdicts = {r["verdict"] for r in second["attribution"]}
    assert "observed" in verdicts  # what the lookups showed is kept apart from estimates


def test_a_report_longer_than_the_trace_asks_for_the_missing_days_first(tmp_path):
    scenario = bench.Scenario("late", connectors=1, senders=60, days=40, trace_days=10, seed=103)
    bench.write_tenant(tmp_path, scenario)
    results = o365tls.analyze(o365tls.gather([tmp_path]), o365tls.Options(domains=(bench.DOMAIN,)))
    assert results.next_evidence
    assert len(results.next_evidence[0].missing_days) == 30
    text = script(results)
    exports = [
        line
        for line in text.split("\r\n")
        if line.startswith(("$rows = @(Get-MessageTraceV2 -StartDate", "Start-HistoricalSearch"))
    ]
    assert len(exports) == 3  # 30 days in 10-day windows; more than 90 days ago: historical
    assert text.index(exports[-1]) < text.index("Get-Latest '")


def test_mail_no_sender_explains_is_counted_once():
    """Unsighted mail on the connector is the rest's; it must not also be counted again as
    "other senders" when the counts are shared out (a named sender lost messages to it)."""
    rng = np.random.default_rng(5)
    days = 20
    volumes = rng.integers(5, 30, size=(days, 2)).astype(float)
    unsighted = rng.integers(10, 40, size=days).astype(float)
    aggregate = np.zeros((days, len(TLS_VERSIONS)))
    aggregate[:, TLS_VERSIONS.index("TLS1.0")] = volumes[:, 0]
    aggregate[:, TLS_VERSIONS.index("TLS1.2")] = volumes[:, 1] + unsighted
    result = attribute(aggregate, volumes, ["a", "b"])
    by = {s.sender: s for s in result.senders}
    assert by["a"].counts[TLS_VERSIONS.index("TLS1.0")] == volumes[:, 0].sum()
    assert sum(by["b"].counts) == pytest.approx(volumes[:, 1].sum(), abs=1)
    assert sum(result.other) == pytest.approx(unsighted.sum(), abs=1)


HOSTILE = [
    "o'brien@tenant.example",
    "$(Remove-Item C:\\ -Recurse)@x.example",
    "a\u2019b\u2018c@x.example",
    "`$env:PATH;@x.example",
    "x\r\nWrite-Host pwned@x.example",
    '"; Stop-Computer; "@x.example',
]


def _ps_single_quoted(literal: str) -> str:
    """Read back a PowerShell single-quoted literal (the only quoting PowerShell does in one)."""
    assert literal[0] == "'" and literal[-1] == "'"
    body = literal[1:-1]
    assert "'" not in body.replace("''", "")  # no quote ends it early
    return body.replace("''", "'")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_stay_inside_their_powershell_string(value):
    quoted = ps_quote(value)
    assert "\n" not in quoted and "\r" not in quoted
    for smart in "\u2018\u2019\u201a\u201b":
        assert smart not in quoted
    text = _ps_single_quoted(quoted)
    expected = "".join(ch for ch in value if ch >= " ").translate(
        str.maketrans({"\u2018": "'", "\u2019": "'"})
    )
    assert text == expected


def test_a_hostile_connector_name_and_senders_cannot_break_the_script():
    from datetime import UTC, datetime

    from o365tls.analysis.model import TlsCounts
    from o365tls.analysis.results import NextEvidence, Results

    entry = NextEvidence(
        scope="exo",
        direction="inbound",
        connector="Relay\r\nRemove-Item x",
        senders=tuple(HOSTILE),
        lookups=len(HOSTILE),
        missing_days=(),
        why="",
        todo="",
    )
    results = Results(
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        tool_version="t",
        period=(None, None),
        inputs=(),
        totals=TlsCounts(),
        all_findings=(),
        groups={},
        daily=(),
        next_evidence=(entry,),
    )
    lines = script(results).split("\r\n")
    assert not any(
        line.startswith("Remove-Item") or line.startswith("Write-Host pwned") for line in lines
    )
    for value in HOSTILE:
        assert f"$m = Get-Latest {ps_quote(value)}" in lines


@pytest.mark.slow
def test_a_sender_that_cannot_do_tls_gets_no_invented_tls_counts():
    """nas01 (alerts@) cannot do TLS: its attributed mail is all "no TLS", none "TLS 1.3"."""
    root = Path(__file__).resolve().parents[2] / "sample_reports"
    results = o365tls.analyze(o365tls.gather([root]), o365tls.Options())
    alerts = next(
        f for f in results.findings if f.flow.sender_address == "alerts@northwindtraders.example"
    )
    assert alerts.flow.evidence == "attributed"
    assert alerts.flow.tls.messages == alerts.flow.tls.at_risk > 0


def test_redacted_outputs_name_no_sender_to_look_up(tmp_path):
    from o365tls.analysis.redact import redact

    scenario = bench.Scenario("redact", connectors=1, senders=60, days=14, seed=104)
    senders, _ = bench.write_tenant(tmp_path, scenario)
    results = o365tls.analyze(o365tls.gather([tmp_path]), o365tls.Options(domains=(bench.DOMAIN,)))
    assert results.next_evidence
    hidden = redact(results, "k")
    text = script(hidden) + json.dumps(findings_document(hidden), default=str)
    for s in senders:
        assert s.address.split("@")[0] + "@" not in text


@pytest.mark.slow
def test_connectors_fitted_on_several_processes_give_the_same_findings(tmp_path, monkeypatch):
    from o365tls.analysis import flows
    from o365tls.inputs import gather

    folder = tmp_path / "tenant"
    bench.write_tenant(folder, bench.Scenario("14d", connectors=4, senders=20, days=14, seed=7))
    monkeypatch.setattr(flows, "PARALLEL_MESSAGES", 0)  # a small tenant, still on processes
    options = o365tls.Options(domains=(bench.DOMAIN,))
    one, two = (
        json.loads(
            json.dumps(
                findings_document(o365tls.analyze(gather([folder], jobs=jobs), options)),
                default=str,
            )
        )
        for jobs in (1, 2)
    )
    for findings in (one, two):
        findings.pop("generated_at", None)
    assert one["attribution"] and one == two


def test_quiet_senders_still_at_risk_are_named_on_a_month_of_30_senders():
    # One generated connector (30 senders, 30 days) on which two quiet senders on TLS 1.0 came
    # out "cannot tell" while their shares could fall only week by week: a busy sender fixed
    # mid-week left a residual that other senders' shares absorbed. With shares that may fall
    # on any day with enough mail, every sender still at risk is named, and only those.
    scenario = bench.Scenario("month", connectors=1, senders=30, days=30, seed=327)
    rng = bench.random.Random(scenario.seed)
    senders = bench.make_senders(scenario, rng)
    counts = np.array(bench.daily_counts(senders, scenario.days, rng), dtype=float)
    table = np.zeros((scenario.days, len(TLS_VERSIONS)))
    for s, row in zip(senders, counts, strict=True):
        for d in range(scenario.days):
            table[d, TLS_VERSIONS.index(s.version_on(d))] += row[d]
    volume = table.sum(axis=1, keepdims=True)  # the report's percentages have two decimals
    table = np.round(np.round(100 * table / np.maximum(volume, 1), 2) * volume / 100)
    result = attribute(table, counts.T, [s.address for s in senders])
    named = {e.sender for e in result.senders if e.verdict == "at-risk"}
    assert named == {s.address for s in senders if s.at_risk_at_end}
