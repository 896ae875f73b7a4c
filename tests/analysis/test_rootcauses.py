"""One card per root cause on the sample tenant: the host that negotiates TLS is the finding,
named, with the fix that applies to it (sample_reports/README.md tells the story)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import o365tls
from o365tls.analysis import Options

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"
TODAY = date(2026, 12, 8)


def _findings(out: Path, **options) -> dict:
    results = o365tls.analyze(o365tls.gather([SAMPLES]), Options(today=TODAY, **options))
    o365tls.write_outputs(results, out)
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def findings(tmp_path_factory) -> dict:
    return _findings(tmp_path_factory.mktemp("out"))


@pytest.fixture(scope="module")
def with_inventory(tmp_path_factory) -> dict:
    folder = tmp_path_factory.mktemp("inv")
    inventory = folder / "inventory.csv"
    inventory.write_text(
        "IP Address,Device Name,Type,Owner,Site\r\n"
        "198.51.100.20,relay01,mail server,Infrastructure team,HQ\r\n"
        "198.51.100.30,EXCH01,mail server,Messaging team,HQ\r\n"
        "10.20.1.11,KM5D3A1B,printer,Facilities,HQ\r\n",
        encoding="utf-8-sig",
    )
    return _findings(folder / "out", inventory=inventory)


def on_connector(findings: dict, connector: str) -> list[dict]:
    return [
        f
        for f in findings["findings"]
        if f["connector"] == connector
        or any(x["connector"] == connector for x in f.get("flows", ()))
    ]


@pytest.mark.slow
def test_relay01_is_one_card_with_both_scanner_flows(findings):
    cards = on_connector(findings, "Scanner Relay")
    assert len(cards) == 1, [(c["id"], c["sender_address"]) for c in cards]
    card = cards[0]
    assert card["sender_ip"] == "198.51.100.20" and card["host"]["ip"] == "198.51.100.20"
    assert card["device_type"] == "mail-server"
    senders = {x["sender_address"]: x["messages"] for x in card["flows"]}
    assert senders == {
        "scan@northwindtraders.example": 614,
        "hp-scanner@northwindtraders.example": 69,
    }
    assert card["messages"] == 683 and card["by_tls"]["TLS1.0"] == 683


def test_relay_card_is_named_by_the_name_it_gives_exchange_online(findings):
    """Without an inventory, the relay's own name comes from the hop it negotiates: trace
    detail's ClientName for 198.51.100.20 is relay01.northwindtraders.example."""
    card = on_connector(findings, "Scanner Relay")[0]
    assert card["host"]["name"] == "relay01.northwindtraders.example"
    assert card["hostname"] == "relay01.northwindtraders.example"
    assert card["summary"].startswith("relay01.northwindtraders.example (198.51.100.20)")
    assert any(
        "ClientName" not in e and "trace detail names the client at 198.51.100.20" in e
        for e in card["host"]["evidence"]
    )


def test_relay_card_prescribes_the_relay_fix_not_firmware(findings):
    card = on_connector(findings, "Scanner Relay")[0]
    assert "the senders behind it do not negotiate this hop" in card["summary"]
    text = " ".join(card["remediation"]["steps"]).lower()
    assert "postfix" in text and "openssl" in text and "replace" in text
    assert "firmware update" not in text and "put the device behind" not in text
    assert "subscription edition" not in text  # no Exchange advice for a Postfix relay


@pytest.mark.slow
def test_inventory_names_the_relay_on_its_card(with_inventory):
    cards = on_connector(with_inventory, "Scanner Relay")
    assert len(cards) == 1
    card = cards[0]
    assert card["host"]["name"] == "relay01" and card["device_name"] == "relay01"
    assert card["owner"] == "Infrastructure team"
    assert card["summary"].startswith("relay01 (198.51.100.20, relay01.northwindtraders.example)")
    assert {x["sender_address"] for x in card["flows"]} == {
        "scan@northwindtraders.example",
        "hp-scanner@northwindtraders.example",
    }


def test_an_inventory_row_for_exch01_attaches_to_its_card(with_inventory):
    [card] = on_connector(with_inventory, "Hybrid Inbound from EXCH01")
    assert card["host"]["name"] == "EXCH01" and card["owner"] == "Messaging team"
    assert any("inventory.csv row 3 'EXCH01'" in e for e in card["device_evidence"])


def test_exch01_is_one_card_naming_ip_certificate_and_version(findings):
    cards = on_connector(findings, "Hybrid Inbound from EXCH01")
    assert len(cards) == 1
    card = cards[0]
    assert on_connector(findings, "Outbound to Office 365") == [card]
    host = card["host"]
    assert host["name"] == "EXCH01" and host["ip"] == "198.51.100.30"
    assert "mail.northwindtraders.example" in host["names"]
    assert host["version"] == "Exchange Server 2010" and host["supported"] is False
    assert card["sender_ip"] == "198.51.100.30"
    hops = {(x["scope"], x["connector"]): x["messages"] for x in card["flows"]}
    assert hops == {
        ("exo", "Hybrid Inbound from EXCH01"): 357,
        ("on-prem", "Outbound to Office 365"): 11,
    }
    assert "Exchange Server 2010" in card["summary"] and "out of support" in card["summary"]


def test_smtp_auth_finding_carries_the_submitting_client_ip(findings):
    [smith] = [
        f for f in findings["findings"] if f["sender_address"] == "j.smith@northwindtraders.example"
    ]
    assert smith["sender_ip"] == "203.0.113.200"
    assert smith["client_ips"] == [{"ip": "203.0.113.200", "messages": 39}]
    assert "198.51.100.10" not in json.dumps(smith)  # his office Outlook is another path


def test_no_2021_due_date_and_no_fails_now_for_delivered_mail(findings):
    for f in findings["findings"]:
        assert not (f["remediation"]["deadline"] or "").startswith("2021"), f["id"]
        assert not any("fail now" in r for r in f["priority_reasons"]), f["priority_reasons"]
    card = on_connector(findings, "Hybrid Inbound from EXCH01")[0]
    assert card["priority"] == "high"  # required TLS, yet delivered: not failing now
    assert any("still accepted" in r for r in card["priority_reasons"])


def test_flows_still_partition_the_totals(findings, tmp_path):
    results = o365tls.analyze(o365tls.gather([SAMPLES]), Options(today=TODAY))
    per_flow = sum(m.flow.tls.messages for f in results.all_findings for m in f.behind)
    assert per_flow == results.totals.messages == 7952
    cards = sum(f.flow.tls.messages for f in results.all_findings)
    assert cards == 7952


# --- earlier snapshots knew the flows, one finding each ------------------------------------

SCAN_FLOW = "f-1a3a5315b995"  # scan@ on Scanner Relay: a schema 1 finding id
HP_FLOW = "f-e6287ebc247d"  # hp-scanner@ on Scanner Relay


def test_history_of_the_flows_carries_over_to_their_root_cause():
    from o365tls.history import PastFinding
    from o365tls.plan import PlanEntry, apply_plan
    from o365tls.render.serialize import finding_from_record
    from o365tls.status import apply_history

    results = o365tls.analyze(o365tls.gather([SAMPLES]), Options(today=TODAY))
    [relay] = [f for f in results.findings if f.flow.connector == "Scanner Relay"]
    assert {SCAN_FLOW, HP_FLOW} <= set(relay.flow_ids) and relay.id not in (SCAN_FLOW, HP_FLOW)
    record = {
        "id": HP_FLOW,
        "scope": "exo",
        "connector": "Scanner Relay",
        "sender_address": "hp-scanner@northwindtraders.example",
    }
    past = {
        i: PastFinding(i, "2026-W46", True, True, "2026-11-02T00:00:00Z", {**record, "id": i})
        for i in (SCAN_FLOW, HP_FLOW)
    }
    now = apply_history(
        results, past, {i: finding_from_record(p.data) for i, p in past.items() if p.data}
    )
    [relay] = [f for f in now.findings if f.flow.connector == "Scanner Relay"]
    assert relay.status == "open" and relay.history.first_reported == "2026-11-02T00:00:00Z"
    assert not now.resolved and not now.unverified  # neither flow is taken for gone
    planned = apply_plan(
        now, {SCAN_FLOW: PlanEntry(SCAN_FLOW, owner="Facilities", status="in progress")}
    )
    [relay] = [f for f in planned.findings if f.flow.connector == "Scanner Relay"]
    assert relay.plan.owner == "Facilities"


# --- coverage ------------------------------------------------------------------------------


def test_each_flow_knows_the_days_its_evidence_covers(findings):
    card = on_connector(findings, "Hybrid Inbound from EXCH01")[0]
    cover = {x["connector"]: x["coverage"] for x in card["flows"]}
    assert cover["Hybrid Inbound from EXCH01"]["days"] == 14
    assert cover["Outbound to Office 365"]["days"] == 1
    assert cover["Outbound to Office 365"]["description"] == "49 minutes on 1 of 14 days"


def test_flows_seen_in_two_hours_of_logs_compare_by_their_daily_rate(findings):
    [labels] = [
        f
        for f in findings["findings"]
        if f["sender_address"] == "wh-labels@northwindtraders.example"
    ]
    assert labels["coverage"]["description"] == "1.8 hours on 1 of 14 days"
    assert labels["priority_reasons"][0].startswith(
        "4 messages at risk in the 1.8 hours on 1 of 14 days that its evidence covers: about 56 "
        "over the period at that daily rate"
    )
    assert labels["priority"] == "medium"  # not "low, only 4 messages"


def test_the_first_screen_names_the_missing_exports(tmp_path):
    folder = tmp_path / "one"
    folder.mkdir()
    (folder / "inbound.csv").write_bytes(
        (SAMPLES / "exo" / "inbound-messages-report.csv").read_bytes()
    )
    results = o365tls.analyze(o365tls.gather([folder]), Options(today=TODAY))
    o365tls.write_outputs(results, tmp_path / "out")
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    missing = " ".join(g["export"] for g in doc["missing_exports"])
    for export in ("SMTP AUTH clients report", "Message trace", "Connector configuration"):
        assert export in missing
    assert any(
        "senders behind a connector cannot be named" in g["adds"] for g in doc["missing_exports"]
    )
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    first = page[page.index('id="actions"') : page.index('id="summary"')]  # the action list
    assert "What the evidence does not cover yet" in first and "Message trace" in first


def test_the_sample_says_its_protocol_logs_cover_two_hours(findings):
    assert [g["export"] for g in findings["missing_exports"]] == [
        "More protocol logs: the ones given cover 1.8 hours on 1 of 14 days"
    ]
