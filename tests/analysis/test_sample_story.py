"""findings.json tells the sample tenant's story (sample_reports/README.md) correctly."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

import o365tls
from o365tls.render.serialize import findings_document

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict:
    out = tmp_path_factory.mktemp("out")
    results = o365tls.analyze(o365tls.gather([SAMPLES]))
    o365tls.write_outputs(results, out)
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


def one(findings: dict, **match) -> dict:
    hits = [f for f in findings["findings"] if all(f[k] == v for k, v in match.items())]
    assert len(hits) == 1, (match, [(f["connector"], f["sender_address"]) for f in hits])
    return hits[0]


@pytest.mark.slow
def test_validates_against_the_published_schema(findings):
    schema = json.loads(
        resources.files("o365tls.data").joinpath("findings.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft202012Validator(schema).validate(findings)


def test_every_input_is_read_and_accounted_for(findings):
    assert len(findings["inputs"]) == 14
    for entry in findings["inputs"]:
        assert entry["format"], entry["path"]
        assert entry["rows_read"] == entry["rows_used"] + entry["rows_rejected"]
        assert entry["rows_rejected"] == 0 and entry["issues"] == [], entry


def test_totals(findings):
    totals = findings["totals"]
    assert totals["by_tls"] == {
        "SSL3": 0,
        "TLS1.0": 1085,
        "TLS1.1": 473,
        "TLS1.2": 4383,
        "TLS1.3": 1811,
        "none": 200,
        "unknown": 0,
    }
    assert totals["messages"] == 7952
    assert totals["legacy_messages"] == 1558 and totals["plaintext_messages"] == 200
    assert findings["period"] == {"start": "2026-11-09T00:00:00Z", "end": "2026-11-22T23:59:59Z"}
    assert findings["tenant_domains"] == ["northwindtraders.example"]


def test_scanners_behind_the_relay_on_tls_1_0(findings):
    relay = one(findings, connector="Scanner Relay")
    assert (relay["device_type"], relay["path"], relay["evidence"]) == (
        "mail-server",
        "connector-relay",
        "observed",
    )
    assert relay["sender_ip"] == "198.51.100.20" and relay["host"]["kind"] == "relay"
    assert relay["remediation"]["id"] == "mail-server-connector-relay-legacy"
    behind = {x["sender_address"]: x for x in relay["flows"]}
    scan = behind["scan@northwindtraders.example"]
    assert (scan["device_type"], scan["path"], scan["evidence"]) == (
        "mfp",
        "connector-relay",
        "observed",
    )
    assert scan["by_tls"]["TLS1.0"] == scan["messages"] == 614
    assert scan["sender_ip"] == "198.51.100.20"
    hp = behind["hp-scanner@northwindtraders.example"]
    assert hp["device_type"] == "mfp" and hp["legacy_messages"] == 69
    assert relay["legacy_messages"] == 683


def test_erp_on_tls_1_1_over_smtp_auth_is_critical(findings):
    erp = one(
        findings, sender_address="erp-notify@northwindtraders.example", path="client-submission"
    )
    assert erp["device_type"] == "erp" and erp["priority"] == "critical"
    assert erp["by_tls"]["TLS1.1"] == 473 and erp["auth_protocol"] == "Basic"
    assert erp["remediation"]["deadline"] == "2026-12-31"


def test_old_mail_client(findings):
    smith = one(findings, sender_address="j.smith@northwindtraders.example")
    assert smith["device_type"] == "user-client"
    assert (smith["messages"], smith["legacy_messages"]) == (39, 32)


def test_old_on_prem_exchange(findings):
    hybrid = one(findings, connector="Hybrid Inbound from EXCH01")
    # Both of EXCH01's hops: 357 into Exchange Online, 11 on its own send log.
    assert hybrid["device_type"] == "mail-server" and hybrid["by_tls"]["TLS1.0"] == 368
    assert hybrid["forced_tls"] is True and hybrid["priority"] == "high"
    assert not [f for f in findings["findings"] if f["connector"] == "Outbound to Office 365"]
    [send] = [x for x in hybrid["flows"] if x["connector"] == "Outbound to Office 365"]
    assert (send["path"], send["device_type"], send["sender_address"]) == (
        "on-prem",
        "mail-server",
        "",
    )
    labels = one(findings, sender_address="wh-labels@northwindtraders.example", path="on-prem")
    assert labels["plaintext_messages"] == labels["messages"] == 4
    assert labels["hostname"] == "ZT410-WH01" and labels["device_type"] == "mfp"
    veeam = one(findings, sender_address="veeam@northwindtraders.example")
    assert veeam["device_type"] == "application" and veeam["by_tls"]["TLS1.0"] == 2
    assert not [
        f
        for f in findings["findings"]
        if f["sender_address"] == "app-alerts@northwindtraders.example" and f["path"] == "on-prem"
    ]


def test_partner_without_tls_is_attributed(findings):
    contoso = one(findings, sender_ip="203.0.113.45")
    assert contoso["hostname"] == "mail.contoso-logistics.example"
    assert (contoso["path"], contoso["device_type"], contoso["evidence"]) == (
        "internet",
        "partner-mta",
        "attributed",
    )
    assert contoso["legacy_likelihood"] > 0.9 and contoso["plaintext_messages"] >= 30
    assert contoso["attribution"]["verdict"] == "at-risk"


def test_direct_send_nas_breaks_with_reject_direct_send(findings):
    nas = one(findings, sender_ip="198.51.100.40")
    assert nas["path"] == "direct-send" and nas["breaks_with_reject_direct_send"] is True
    assert nas["sender_address"] == "alerts@northwindtraders.example"
    assert nas["plaintext_messages"] >= 60 and nas["priority"] in ("critical", "high")


def test_clean_partner_is_no_finding(findings):
    assert not [f for f in findings["findings"] if "Woodgrove" in f["connector"]]
    rows = [g for g in findings["by_connector"] if g["connector"] == "Partner - Woodgrove Bank"]
    assert rows and rows[0]["legacy_messages"] == rows[0]["plaintext_messages"] == 0


def test_groups_add_up_to_the_totals(findings):
    total = findings["totals"]["messages"]
    for name in ("by_connector", "by_sender_ip", "by_sender_address", "by_device_type"):
        assert sum(g["messages"] for g in findings[name]) == total, name
        at_risk = [g["legacy_messages"] + g["plaintext_messages"] for g in findings[name]]
        assert at_risk == sorted(at_risk, reverse=True), name


@pytest.mark.slow
def test_findings_are_sorted_by_priority_and_ids_are_stable(findings):
    order = ["critical", "high", "medium", "low"]
    ranks = [order.index(f["priority"]) for f in findings["findings"]]
    assert ranks == sorted(ranks)
    again = findings_document(o365tls.analyze(o365tls.gather([SAMPLES])))
    assert [f["id"] for f in again["findings"]] == [f["id"] for f in findings["findings"]]
