"""A tenant whose devices reach Exchange Online through an Exchange server and through a
relay with no logs (tests/chain_tenant.py): the findings land on the hosts that negotiate
the hop into Exchange Online, and a device keeps its own finding only where its own hop is at
risk."""

from __future__ import annotations

from datetime import date

import pytest

import o365tls
from o365tls.analysis import Options
from tests.chain_tenant import (
    EXCHANGE_IP,
    HYBRID,
    LABELS,
    PRINT_RELAY,
    RELAY_IP,
    SCANNER,
    write_chain_tenant,
)


@pytest.fixture(scope="module")
def tenant(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fabrikam")
    truth = write_chain_tenant(folder)
    data = o365tls.gather([folder / "exo", folder / "ex2016"])
    for report in data.inputs:
        assert report.rows_read == report.rows_used and not report.rows_rejected, report.path
    results = o365tls.analyze(data, Options(inventory=truth["inventory"], today=date(2026, 12, 8)))
    return truth, results


def on(results, connector):
    return [f for f in results.findings if any(m.flow.connector == connector for m in f.behind)]


def test_the_relay_without_logs_is_one_finding_named_by_the_inventory(tenant):
    truth, results = tenant
    [relay] = on(results, PRINT_RELAY)
    assert relay.host.name == "printrelay01" and relay.host.ip == RELAY_IP
    assert relay.device.device_type == "mail-server" and relay.device.owner == "Print services"
    assert {m.flow.sender_address: m.flow.tls["TLS1.1"] for m in relay.members} == truth["relayed"]
    steps = " ".join(relay.remediation.steps)
    assert "Postfix and OpenSSL" in steps and "firmware" not in steps.replace(
        "New firmware on the devices behind it changes nothing", ""
    )


def test_the_exchange_server_is_one_finding_for_both_of_its_hops(tenant):
    truth, results = tenant
    [server] = on(results, HYBRID)
    assert on(results, "Outbound to Office 365") == [server]
    host = server.host
    assert (host.name, host.ip, host.version, host.supported) == (
        "EX2016",
        EXCHANGE_IP,
        "Exchange Server 2016",
        False,
    )
    assert "mail.fabrikam.example" in host.names
    hops = {(m.flow.scope, m.flow.connector): m.flow.tls["TLS1.0"] for m in server.members}
    assert hops == {
        ("exo", HYBRID): truth["hybrid"],
        ("on-prem", "Outbound to Office 365"): truth["send"],
    }
    assert server.flow.tls.messages == truth["hybrid"] + truth["send"]


def test_devices_keep_a_finding_only_where_their_own_hop_is_at_risk(tenant):
    _, results = tenant
    labels = [f for f in results.findings if f.flow.sender_address == LABELS]
    assert len(labels) == 1 and labels[0].host is None
    assert labels[0].flow.tls["none"] == 2 and labels[0].path == "on-prem"
    assert not [
        f for f in results.findings if any(m.flow.sender_address == SCANNER for m in f.behind)
    ]


def test_every_message_is_on_exactly_one_finding_or_clean_flow(tenant):
    truth, results = tenant
    assert sum(f.flow.tls.messages for f in results.all_findings) == results.totals.messages
    assert results.totals.messages == (
        sum(truth["relayed"].values()) + truth["hybrid"] + truth["send"] + 3
    )  # + EX2016's three receive sessions


def test_senders_behind_one_ip_with_different_tls_keep_their_own_findings(tmp_path):
    """Different TLS versions behind one IP are devices behind NAT that negotiate themselves
    (tests/synthetic.py: scanners on TLS 1.0, an ERP on TLS 1.1, a printer without TLS)."""
    from tests.synthetic import write_tenant

    write_tenant(tmp_path)
    results = o365tls.analyze(o365tls.gather([tmp_path]), Options(today=date(2026, 12, 8)))
    assert results.findings and all(f.host is None and not f.members for f in results.findings)
    assert {"erp@tenant.example", "label-printer@tenant.example"} <= {
        f.flow.sender_address for f in results.findings
    }
