"""findings.json records read back: the reader is the inverse of the serializer, so resolved and
unverified findings from the history are the same Findings as this run's."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import o365tls
from o365tls.analysis import Options
from o365tls.analysis.flows import Verdict
from o365tls.analysis.results import Acceptance, Finding, FindingHistory, PlanValues
from o365tls.probe import ACCEPTED, OK, ProbeResult, VersionResult
from o365tls.render.serialize import finding_from_record, finding_record, findings_document

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"


@pytest.fixture(scope="module")
def results():
    return o365tls.analyze(o365tls.gather([SAMPLES]), Options(today=date(2026, 12, 1)))


def round_trip(finding: Finding) -> tuple[dict, dict]:
    record = finding_record(finding)
    stored = json.loads(json.dumps(record, ensure_ascii=False))  # as the history keeps it
    return record, finding_record(finding_from_record(stored))


def test_every_finding_of_the_sample_tenant_reads_back_as_itself(results):
    assert results.all_findings
    for finding in results.all_findings:
        record, again = round_trip(finding)
        assert again == record, finding.id
        assert finding_from_record(record).id == finding.id


def test_a_finding_with_every_optional_part_reads_back_as_itself(results):
    cause = next(f for f in results.findings if f.host is not None and f.members)
    probe = ProbeResult(
        host="mail.contoso-logistics.example",
        port=25,
        probed_at=datetime(2026, 12, 8, 1, 0, tzinfo=UTC),
        outcome=OK,
        address="203.0.113.45",
        banner="ESMTP ready",
        starttls=True,
        extensions=("STARTTLS",),
        versions=(VersionResult("TLS1.0", ACCEPTED),),
    )
    full = replace(
        cause,
        flow=replace(
            cause.flow,
            attribution=Verdict(
                "legacy",
                "moves with TLS1.0",
                0.7,
                0.5,
                0.9,
                0.6,
                "2026-11-16",
                14,
                3,
                moves_with="ip:198.51.100.7",
            ),
            forced_tls=True,
            client_ips=(("203.0.113.200", 39),),
            auth_protocol="Basic",
        ),
        priority_reasons=("legacy TLS", "deadline"),
        accepted=True,
        exception=Acceptance(
            2,
            14,
            "vendor fix due",
            "j.doe@northwindtraders.example",
            "2027-03-31",
            (("connector", "Scanner*"), ("ip", "10.0.0.0/8")),
        ),
        status="open",
        status_reason="at risk in the previous snapshot too",
        breaks_with_reject_direct_send=True,
        history=FindingHistory("2026-11-02T00:00:00Z", 28),
        probes=(probe,),
        plan=PlanValues("Facilities", "Waiting on vendor", "2026-11-30", "ticket 4711"),
    )
    record, again = round_trip(full)
    assert again == record
    assert all(
        record[k] is not None
        for k in ("exception", "history", "plan", "host", "remediation", "coverage", "attribution")
    )
    assert len(record["flows"]) > 1 and record["probes"] and record["client_ips"]


def test_the_unattributed_rest_of_a_connector_reads_back_as_itself(results):
    rest = next(
        f
        for f in results.all_findings
        if f.flow.attribution is not None and f.flow.attribution.cannot_tell is not None
    )
    record, again = round_trip(rest)
    assert again == record and "cannot_tell" in record["attribution"]


def test_a_record_of_an_older_o365tls_reads_with_empty_values():
    old = {
        "id": "f-0123456789ab",
        "scope": "exo",
        "connector": "Scanner Relay",
        "sender_address": "scan@northwindtraders.example",
    }
    finding = finding_from_record(old)
    assert finding.id == "f-0123456789ab" and finding.flow.connector == "Scanner Relay"
    assert finding.members == () and finding.exception is None and finding.plan is None


def test_the_document_lists_resolved_findings_as_their_records(results):
    [gone] = results.findings[:1]
    moved = replace(results, resolved=(replace(gone, status="resolved"),))
    doc = findings_document(moved)
    assert doc["resolved"] == [finding_record(replace(gone, status="resolved"))]


def test_redaction_takes_findings_read_back_from_the_history_the_same_way(results):
    from o365tls.analysis.redact import redact

    at = next(i for i, f in enumerate(results.all_findings) if "@" in f.flow.sender_address)
    named = results.all_findings[at]
    back = finding_from_record(finding_record(named))
    out = redact(replace(results, resolved=(back,), unverified=(back,)), "key")
    now = out.all_findings[at]
    assert (
        out.resolved[0].flow.sender_address == now.flow.sender_address != named.flow.sender_address
    )
    assert out.unverified[0].device.evidence == now.device.evidence
