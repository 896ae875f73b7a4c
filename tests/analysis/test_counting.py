"""The counting rules (README, "How it works", step 2: count, once), on real files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import o365tls
from o365tls.render.serialize import findings_document
from tests.synthetic import Sender, write_tenant

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"
HEADER = (
    '"Date","Connector direction and name","Connector type","Forced TLS?","No TLS",'
    '"TLS 1.0","TLS 1.1","TLS 1.2","Volume"'
)


def totals(*paths) -> dict:
    return findings_document(o365tls.analyze(o365tls.gather(list(paths))))["totals"]


def test_percentages_become_exact_counts(tmp_path):
    (tmp_path / "report.csv").write_text(
        HEADER + "\r\n"
        '"2026-11-02","Inbound - Relay","OnPremises","False","33.33","33.33","0","33.34","7"\r\n'
        '"2026-11-03","Inbound - Relay","OnPremises","False","0.01","12.5","0","87.49","10001"\r\n',
        encoding="utf-8",
    )
    t = totals(tmp_path)
    assert t["messages"] == 10008  # every row adds up to its volume exactly
    assert t["by_tls"]["none"] == 2 + 1 and t["by_tls"]["TLS1.0"] == 2 + 1250
    assert t["by_tls"]["TLS1.2"] == 3 + 8750


def test_overlapping_connector_reports_are_not_double_counted(tmp_path):
    write_tenant(tmp_path / "full", days=14)
    full = totals(tmp_path / "full" / "connector_report.csv")
    lines = (tmp_path / "full" / "connector_report.csv").read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    parts = tmp_path / "parts"
    parts.mkdir()
    # Two exports whose periods overlap by five days, as admins pull them week by week.
    (parts / "a.csv").write_text("\r\n".join([header, *rows[:9]]) + "\r\n", encoding="utf-8")
    (parts / "b.csv").write_text("\r\n".join([header, *rows[4:]]) + "\r\n", encoding="utf-8")
    assert totals(parts) == full


def test_the_same_logs_read_twice_count_once(tmp_path):
    exch = SAMPLES / "exch01"
    once = totals(exch)
    shutil.copytree(exch, tmp_path / "copy")
    assert totals(exch, tmp_path / "copy") == once


@pytest.mark.slow
def test_identity_only_files_add_nothing_to_totals(tmp_path):
    tls_only = [p for p in (SAMPLES / "exo").glob("*report.csv")]
    with_identity = [
        *tls_only,
        SAMPLES / "exo" / "message-trace.csv",
        SAMPLES / "exo" / "historical-search",
    ]
    assert totals(*tls_only) == totals(*with_identity)
    trace_only = totals(
        SAMPLES / "exo" / "message-trace.csv", SAMPLES / "exo" / "historical-search"
    )
    assert trace_only["messages"] == 0


def test_message_records_on_a_reported_connector_day_name_senders_but_add_nothing():
    reports = [
        SAMPLES / "exo" / "inbound-messages-report.csv",
        SAMPLES / "exo" / "outbound-messages-report.csv",
    ]
    detail = SAMPLES / "exo" / "message-trace-detail.csv"
    assert totals(*reports) == totals(*reports, detail)
    assert totals(detail)["messages"] > 0  # alone, the detail does count


def test_flows_partition_the_totals(tmp_path):
    write_tenant(
        tmp_path,
        [
            Sender("a@tenant.example", "TLS1.0", 20),
            Sender("b@tenant.example", "none", 15),
            Sender("c@tenant.example", "TLS1.2", 30),
        ],
        days=10,
    )
    results = o365tls.analyze(o365tls.gather([tmp_path]))
    summed = {}
    for f in results.all_findings:
        for version, n in f.flow.tls.as_dict().items():
            summed[version] = summed.get(version, 0) + n
    assert summed == results.totals.as_dict()


DETAIL = Path(__file__).resolve().parents[1] / "data" / "message-trace-detail"


def test_trace_detail_of_smtp_auth_submissions_does_not_count_them_again(tmp_path):
    """A scanner's SMTP AUTH submissions are counted by the SMTP AUTH clients report; the same
    submission in trace detail says which TLS the device used but adds no message. Hops
    between Exchange Online's own servers in the detail are not the senders' TLS."""
    (tmp_path / "smtp_auth.csv").write_text(
        '"Sender address","Domain","TLS 1.0 (percentage)","TLS 1.1 (percentage)",'
        '"TLS 1.2 (percentage)","Messages sent"\r\n'
        '"scanner@contoso.com","contoso.com","100","0","0","5"\r\n',
        encoding="utf-8",
    )
    shutil.copy(DETAIL / "v2_internal_hops.csv", tmp_path / "detail.csv")
    results = o365tls.analyze(o365tls.gather([tmp_path]))
    t = findings_document(results)["totals"]
    # 5 submissions from the report; the detail's 6 messages less the scanner's submission.
    assert t["messages"] == 5 + 5
    assert t["by_tls"]["TLS1.0"] == 5
    # The internet messages' own TLS 1.3 and TLS 1.2; no Microsoft-internal TLS 1.2.
    assert t["by_tls"]["TLS1.2"] == 1 and t["by_tls"]["TLS1.3"] == 1
    assert t["by_tls"]["unknown"] == 3
    scanner = [
        f
        for f in findings_document(results)["findings"]
        if f["sender_address"] == "scanner@contoso.com"
    ]
    assert [(f["path"], f["messages"], f["by_tls"]["TLS1.0"]) for f in scanner] == [
        ("client-submission", 5, 5)
    ]


def test_an_smtp_auth_submission_seen_only_in_trace_detail_counts_once(tmp_path):
    """Without an SMTP AUTH report, trace detail is the only record of the submission: it
    counts, once, with the device's TLS."""
    shutil.copy(DETAIL / "v2_internal_hops.csv", tmp_path / "detail.csv")
    results = o365tls.analyze(o365tls.gather([tmp_path]))
    t = findings_document(results)["totals"]
    assert t["messages"] == 6 and t["by_tls"]["TLS1.0"] == 1 and t["by_tls"]["TLS1.2"] == 1
    scanner = [
        f
        for f in findings_document(results)["findings"]
        if f["sender_address"] == "scanner@contoso.com"
    ]
    assert [(f["messages"], f["by_tls"]["TLS1.0"]) for f in scanner] == [(1, 1)]
