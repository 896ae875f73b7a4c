"""Runbooks an Exchange admin can act on: every fact has a public source and a check date,
every command carries the finding's own values, and the options follow the evidence (who
receives the mail, whether the sender has a public IP, what it runs on)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

import o365tls
from o365tls.analysis.knowledge import load_knowledge

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"
KB = load_knowledge()
# Placeholders of the knowledge file ({sender_ip}) and the hand-written kind (<public IP>).
HOLE = re.compile(r"\{[a-z_]+\}|<[a-z][a-z ]*>", re.IGNORECASE)


@pytest.fixture(scope="module")
def results():
    return o365tls.analyze(o365tls.gather([SAMPLES]), o365tls.Options(today=dt.date(2026, 12, 8)))


def card(results, **match):
    hits = [
        f
        for f in results.findings
        if all(
            getattr(f.flow, k, None) == v or getattr(f.device, k, None) == v
            for k, v in match.items()
        )
    ]
    assert len(hits) == 1, [(f.flow.connector, f.flow.sender_address) for f in hits]
    return hits[0].remediation


# --- the knowledge file --------------------------------------------------------------------


@pytest.mark.parametrize("entry", KB.entries, ids=lambda e: e.id)
def test_every_entry_has_public_sources_and_a_check_date(entry):
    assert entry.sources and isinstance(entry.checked, dt.date)
    for link in entry.sources:
        assert link.title.strip() and link.url.startswith("https://"), link


@pytest.mark.parametrize("key", sorted(KB.deadlines))
def test_every_deadline_has_public_sources_and_a_check_date(key):
    deadline = KB.deadlines[key]
    assert deadline.sources and isinstance(deadline.checked, dt.date)
    assert all(link.url.startswith("https://") for link in deadline.sources)


def test_unsupported_or_outdated_claims_are_gone():
    text = (Path(o365tls.__file__).parent / "data" / "remediation.toml").read_text("utf-8")
    for claim in (
        "only works with Basic auth",
        "None after December 2026",
        "2021-01-11",
        "since 11 January 2021",
        "smtp-hve.office365.com:587",
        "before message trace",
        "FW24",
        "<public IP>",
        "<sender>",
        "docs/domain.md",
    ):
        assert claim not in text, claim
    for fact in (
        "smtp.hve.mx.microsoft",
        "1 June 2026",
        "'Not active'",
        "Add-HVEAppAccess",
        "P1 MAIL FROM",
        "TenantInboundAttribution",
        "MtaStsMode",
        "SmtpDaneMode",
        "Outbound messages in Transit Security",
        "targets .NET Framework 4.7",
        "KB3140245 only changes the defaults of WinHTTP",
    ):
        assert fact in text, fact


@pytest.mark.slow
def test_an_old_knowledge_check_is_a_warning_of_the_run(results):
    assert not any("last checked" in n for n in results.notes)
    late = KB.checked + dt.timedelta(days=181)
    stale = o365tls.analyze(o365tls.gather([SAMPLES]), o365tls.Options(today=late))
    assert any(
        f"last checked against Microsoft's announcements on {KB.checked}, 181 days" in n
        for n in stale.notes
    )


# --- the sample tenant's cards ---------------------------------------------------------------


def test_no_placeholder_is_left_in_any_command_or_check(results):
    for finding in results.findings:
        rem = finding.remediation
        for line in (*rem.powershell, *rem.verify, rem.draft_message):
            assert not HOLE.search(line), (rem.id, line)


def test_erp_mailing_customers_gets_relay_acs_oauth_not_hve(results):
    erp = card(results, sender_address="erp-notify@northwindtraders.example")
    steps = " ".join(erp.steps)
    assert "does not fit" in steps and "HVE account" not in steps
    assert "smtp.hve.mx.microsoft" not in steps
    assert "Azure Communication Services Email" in steps and "XOAUTH2" in steps
    assert "198.51.100.50" in steps
    assert (
        'New-InboundConnector -Name "SMTP relay 198.51.100.50" -ConnectorType OnPremises'
        " -SenderDomains * -SenderIPAddresses 198.51.100.50"
    ) in erp.powershell
    assert (
        "Get-CASMailbox -Identity erp-notify@northwindtraders.example | Format-List "
        "SmtpClientAuthenticationDisabled" in erp.powershell
    )
    # Nothing says what the ERP runs on: the question, not every runtime's recipe.
    assert "which software sends this mail" in steps
    assert not any("SchUseStrongCrypto" in p for p in erp.powershell)
    assert "Java 7" not in steps and "KB4019276" not in steps
    assert any("SMTP AUTH clients report" in v for v in erp.verify)
    assert any(
        v.startswith(
            "From the sending host: openssl s_client -starttls smtp -tls1_2 "
            "-connect smtp.office365.com:587"
        )
        for v in erp.verify
    )
    assert all(url.startswith("https://") for _, url in erp.links)


def test_nas_on_direct_send_gets_hve_or_a_connector_and_no_dotnet_keys(results):
    nas = card(results, sender_address="alerts@northwindtraders.example")
    steps = " ".join(nas.steps)
    assert "only to your own recipients, so High Volume Email (HVE) fits" in steps
    assert "smtp.hve.mx.microsoft" in steps and "September 2028" in steps
    assert "P1 MAIL FROM" in steps and "198.51.100.40" in steps
    assert not any("NETFramework" in p or "ServicePointManager" in p for p in nas.powershell)
    assert (
        'New-InboundConnector -Name "SMTP relay 198.51.100.40" -ConnectorType OnPremises'
        " -SenderDomains * -SenderIPAddresses 198.51.100.40" in nas.powershell
    )
    assert any(
        "Get-MessageTraceV2 -SenderAddress alerts@northwindtraders.example" in p
        for p in nas.powershell
    )
    assert (
        "550 5.7.68 TenantInboundAttribution; Direct Send not allowed for this organization"
        " from unauthorized sources" in nas.what_you_will_see
    )


def test_partner_without_tls_gets_a_draft_message_and_a_probe_of_its_server(results):
    partner = card(results, sender_address="dispatch@contoso-logistics.example")
    assert "mail.contoso-logistics.example (203.0.113.45)" in partner.draft_message
    assert "northwindtraders.example" in partner.draft_message
    assert any(
        "openssl s_client -starttls smtp -tls1_2 -connect mail.contoso-logistics.example:25" in v
        for v in partner.verify
    )
    assert any(
        "-SenderDomains contoso-logistics.example -RequireTls $true" in p
        for p in partner.powershell
    )


def test_scanners_behind_the_relay_are_told_to_fix_the_relay(results):
    relay = card(results, connector="Scanner Relay")
    steps = " ".join(relay.steps)
    assert "upgrade its MTA and TLS library (Postfix and OpenSSL), or replace it" in steps
    assert "smtp_tls_protocols" in steps
    assert (
        'Get-InboundConnector -Identity "Scanner Relay" | Format-List Name,ConnectorType,'
        "Enabled,SenderIPAddresses,TlsSenderCertificateName,RequireTls" in relay.powershell
    )
    assert any(
        "openssl s_client -starttls smtp -tls1_2 -connect "
        "northwindtraders-example.mail.protection.outlook.com:25" in v
        for v in relay.verify
    )
    assert any("the 'Scanner Relay' row should show TLS 1.2" in v for v in relay.verify)
