"""The remediation knowledge base and the priority of a finding.

Promises: every situation the analysis can emit has concrete guidance; the most specific entry
wins; a broken knowledge file is refused with a message naming the entry; priorities follow
the documented rules."""

from __future__ import annotations

import datetime as dt
from itertools import product

import pytest

from o365tls.analysis.knowledge import ANY, load_knowledge
from o365tls.analysis.model import (
    DEVICE_TYPES,
    PATHS,
    PRIORITIES,
    TLS_STATES,
    Device,
    FlowEvidence,
    TlsCounts,
)
from o365tls.analysis.remediation import choose, priority, situations, tls_state
from o365tls.errors import EXIT_USAGE, UsageError

KB = load_knowledge()
TLS_OF_STATE = {"legacy": {"TLS1.0": 40, "TLS1.2": 60}, "plaintext": {"none": 40, "TLS1.2": 60}}


def flow(path: str, state: str = "legacy", **kw) -> FlowEvidence:
    tls = TlsCounts.of(TLS_OF_STATE[state])
    return FlowEvidence(path=path, tls=tls, messages=tls.messages, **kw)


# --- every situation has guidance ----------------------------------------------------------


def test_situations_are_every_device_type_path_and_tls_state():
    got = situations()
    assert len(got) == len(set(got)) == len(DEVICE_TYPES) * len(PATHS) * len(TLS_STATES) == 80
    assert set(got) == set(product(DEVICE_TYPES, PATHS, TLS_STATES))


@pytest.mark.parametrize("device_type,path,state", situations())
def test_every_situation_has_path_specific_guidance(device_type, path, state):
    evidence = flow(path, state)
    assert tls_state(evidence) == state
    fix = choose(evidence, Device(device_type), KB)
    entry = KB.entry_for(device_type, path, state)
    assert fix.id == entry.id
    assert fix.title.strip() and fix.steps and all(s.strip() for s in fix.steps)
    assert fix.stopgap.strip() and fix.what_you_will_see.strip() and fix.references
    # A known path never falls through to the path-agnostic fallbacks.
    assert ANY not in entry.match.paths, entry.id


def test_every_entry_is_reachable_and_fallbacks_serve_unknown_paths():
    reached = {
        KB.entry_for(d, p, s).id for d, p, s in product(DEVICE_TYPES, (*PATHS, None), TLS_STATES)
    }
    assert reached == {e.id for e in KB.entries}
    assert (
        choose(FlowEvidence(tls=TlsCounts.of({"none": 3})), Device("mfp"), KB).id
        == "mfp-unknown-path"
    )
    assert (
        choose(FlowEvidence(path="smoke-signals"), Device("toaster"), KB).id == "any-unknown-path"
    )


def test_cross_cutting_facts_reach_every_device_type():
    for device_type in DEVICE_TYPES:
        direct = choose(flow("direct-send", "plaintext"), Device(device_type), KB)
        assert any("RejectDirectSend" in s for s in direct.steps + direct.powershell), device_type
        assert "550 5.7.68" in direct.what_you_will_see
        assert direct.deadline == "" and "MC1093237" in direct.deadline_note
        smtp = choose(flow("client-submission", auth_protocol="Basic"), Device(device_type), KB)
        assert smtp.deadline == "2026-12-31" and "MC786329" in smtp.deadline_note, device_type
        assert "421 4.7.66" in smtp.what_you_will_see and "550 5.7.30" in smtp.what_you_will_see


# --- specific entries ----------------------------------------------------------------------


def test_mfp_relay_legacy_gets_firmware_and_relay_steps():
    fix = choose(flow("connector-relay", forced_tls=False), Device("mfp"), KB)
    assert fix.id == "mfp-connector-relay-legacy"
    text = " ".join(fix.steps)
    for fact in (
        "OAuth (modern authentication), not the first version with TLS 1.2",
        "M428/M429 and M478/M479",
        "Check the vendor's page",
        "local relay",
        "RequireTls",
    ):
        assert fact in text, fact
    assert "Postfix" in fix.stopgap and "TLS 1.2" in fix.stopgap
    # No connector name in the evidence: no command with a hole in it.
    assert not any("{" in p or "<" in p for p in fix.powershell)
    # MC229914 began a gradual stop; no completion was announced, so there is no date.
    assert fix.deadline == "" and "began a gradual stop" in fix.deadline_note
    assert "MC229914" in fix.deadline_note and "2021-01-11" not in fix.deadline_note


def test_smtp_auth_basic_gets_the_december_2026_deadline_and_the_modern_exits():
    fix = choose(flow("client-submission", auth_protocol="Basic"), Device("application"), KB)
    assert fix.id == "app-client-submission-legacy"
    assert fix.deadline == "2026-12-31"
    assert fix.deadline_note.startswith(
        "end of December 2026: Basic auth for SMTP AUTH is switched off by default"
    )
    text = " ".join(fix.steps)
    for fact in (
        "XOAUTH2",
        "High Volume Email",
        "internal recipients only",
        "Azure Communication Services",
        "Graph sendMail",
        "No retirement date",
        "almost surely",
        "which software sends this mail",
    ):
        assert fact in text, fact
    for unsupported in ("only works with Basic auth", "stops sending", "none after"):
        assert unsupported not in text and unsupported not in fix.deadline_note
    assert (
        "Get-TransportConfig | Format-List AllowLegacyTLSClients,"
        "SmtpClientAuthenticationDisabled" in fix.powershell
    )


CONTOSO = dict(
    sender_address="dispatch@contoso-logistics.example",
    sender_ip="203.0.113.45",
    hostname="mail.contoso-logistics.example",
    direction="inbound",
)


def test_partner_plaintext_gets_require_tls_guidance_with_its_own_names():
    fix = choose(
        flow("internet", "plaintext", **CONTOSO),
        Device("partner-mta"),
        KB,
        tenant={"northwindtraders.example"},
    )
    assert fix.id == "partner-internet-plaintext"
    assert any("requires TLS" in s for s in fix.steps)
    assert (
        'New-InboundConnector -Name "Partner contoso-logistics.example TLS" -ConnectorType'
        " Partner -SenderDomains contoso-logistics.example -RequireTls $true"
        "   # only once they do TLS 1.2"
    ) in fix.powershell
    assert any(
        "openssl s_client -starttls smtp -tls1_2 -connect mail.contoso-logistics.example:25" in v
        for v in fix.verify
    )
    # The draft names their server and our domain, ready to send.
    assert "mail.contoso-logistics.example (203.0.113.45)" in fix.draft_message
    assert "northwindtraders.example" in fix.draft_message
    legacy = choose(flow("internet", "legacy", **CONTOSO), Device("partner-mta"), KB)
    assert legacy.id == "partner-internet-legacy"
    assert any("Do not require TLS for contoso-logistics.example before" in s for s in legacy.steps)
    # Unnamed senders get the way to name them, not a draft addressed to nobody.
    nobody = choose(flow("internet", "plaintext", direction="inbound"), Device("partner-mta"), KB)
    assert nobody.draft_message == "" and any("historical search" in s for s in nobody.steps)


def test_on_prem_exchange_gets_build_numbers_and_throttling_codes():
    fix = choose(flow("connector-relay"), Device("mail-server"), KB)
    assert fix.id == "mail-server-connector-relay-legacy"
    text = " ".join(fix.steps)
    for fact in (
        "2010 SP3 Update Rollup 9",
        "2013 CU19",
        "2016 CU8",
        "450 4.7.230",
        "550 5.7.230",
        "since 14 October 2025",
        "Subscription Edition",
        "HTTPS on Windows Server 2022 and later, not for SMTP",
    ):
        assert fact in text, fact


def test_unknown_device_type_is_treated_as_unknown():
    assert choose(flow("direct-send"), Device("toaster"), KB).id == "other-direct-send"


def test_tls_state_prefers_legacy_and_defaults_to_it():
    both = FlowEvidence(tls=TlsCounts.of({"none": 90, "TLS1.1": 1}))
    assert tls_state(both) == "legacy"
    assert tls_state(FlowEvidence(tls=TlsCounts.of({"none": 5, "TLS1.2": 9}))) == "plaintext"
    assert tls_state(FlowEvidence(tls=TlsCounts.of({"unknown": 5}))) == "legacy"


# --- the matching rule, on a small knowledge file --------------------------------------------

BASE = """
schema = 1
[links.l1]
title = "Source one"
url = "https://learn.microsoft.com/one"
[deadlines.d1]
date = "2026-12-31"
when = "end of 2026"
source = "MC1"
note = "n"
sources = ["l1"]
checked = 2026-12-01
[priority]
high_messages = 1000
high_share = 0.01
medium_messages = 100
medium_share = 0.001
tiny_messages = 10
low_likelihood = 0.5
forced_tls_level = "critical"
[shared]
two = ["step a", "step b"]
"""


def entry(ident: str, devices='"*"', paths='"*"', states='"*"', extra: str = "") -> str:
    return (
        f'\n[[entry]]\nid = "{ident}"\nmatch = {{ device_types = [{devices}], '
        f'paths = [{paths}], tls_states = [{states}] }}\ntitle = "t {ident}"\n'
        f'steps = ["do {ident}"]\nsources = ["l1"]\nchecked = 2026-12-01\n{extra}'
    )


def write(tmp_path, text: str):
    path = tmp_path / "kb.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_device_type_beats_path_beats_state_and_exact_beats_star(tmp_path):
    text = (
        BASE
        + entry("fallback")
        + entry("by-state", states='"plaintext"')
        + entry("by-path", paths='"direct-send"')
        + entry("by-device", devices='"mfp"')
        + entry("exact", '"mfp"', '"direct-send"', '"legacy"', 'deadline = "d1"\n')
    )
    kb = load_knowledge(write(tmp_path, text))
    assert kb.entry_for("mfp", "direct-send", "legacy").id == "exact"
    assert kb.entry_for("mfp", "direct-send", "plaintext").id == "by-device"
    assert kb.entry_for("erp", "direct-send", "plaintext").id == "by-path"
    assert kb.entry_for("erp", "internet", "plaintext").id == "by-state"
    assert kb.entry_for("erp", "internet", "legacy").id == "fallback"
    assert kb.entry_for("erp", None, "legacy").id == "fallback"
    fix = choose(flow("direct-send"), Device("mfp"), kb)
    assert (fix.id, fix.steps, fix.deadline, fix.deadline_note) == (
        "exact",
        ("do exact",),
        "2026-12-31",
        "end of 2026: n (MC1)",
    )


def test_includes_expand_in_place(tmp_path):
    text = BASE + entry("fallback").replace(
        'steps = ["do fallback"]', 'steps = ["first", { include = "two" }, "last"]'
    )
    kb = load_knowledge(write(tmp_path, text))
    assert [i.text for i in kb.entries[0].steps] == ["first", "step a", "step b", "last"]


@pytest.mark.parametrize(
    "text,message",
    [
        (BASE + entry("e1", devices='"printer"'), "entry 'e1': unknown device type 'printer'"),
        (BASE + entry("e1", paths='"smtp"'), "entry 'e1': unknown path 'smtp'"),
        (BASE + entry("e1", states='"weak"'), "entry 'e1': unknown tls state 'weak'"),
        (BASE + entry("e1", devices='"*", "mfp"'), "entry 'e1': match.device_types: \"*\" must"),
        (BASE + entry("e1").replace('title = "t e1"\n', ""), "entry 'e1': missing field 'title'"),
        (BASE + entry("e1", extra="colour = 1\n"), "entry 'e1': unknown field 'colour'"),
        (BASE + entry("e1") + entry("e1"), "entry 'e1': duplicate id"),
        (
            BASE + entry("e1", extra='deadline = "nope"\n'),
            "entry 'e1': deadline 'nope' is not in [deadlines] (known: d1)",
        ),
        (
            BASE + entry("e1").replace('["do e1"]', '[{ include = "nope" }]'),
            "entry 'e1' steps: include 'nope' is not in [shared]",
        ),
        (BASE + entry("e1").replace('["do e1"]', "[]"), "entry 'e1': steps is empty"),
        (
            BASE + entry("e1").replace('["do e1"]', '["  "]'),
            "entry 'e1': steps has an empty or non-text item",
        ),
        (BASE + entry("Bad Id"), "entry 'Bad Id': id must be a lower-case slug"),
        (BASE + entry("e1") + entry("e2"), "entry 'e2': as specific as 'e1' for mfp /"),
        (BASE + entry("e1", devices='"mfp"'), "no entry covers erp / client-submission / legacy"),
        (
            BASE.replace('"critical"', '"urgent"') + entry("e1"),
            "priority.forced_tls_level: level 'urgent' is not one of critical, high, medium, low",
        ),
        (
            BASE.replace("high_share = 0.01", "high_share = 3") + entry("e1"),
            "priority.high_share: expected a share 0..1, got 3",
        ),
        (
            BASE.replace('"2026-12-31"', '"Dec 2026"') + entry("e1"),
            "deadline 'd1': date 'Dec 2026' is not YYYY-MM-DD",
        ),
        (
            BASE + '[[priority.deadline]]\ndeadline = "d2"\npaths = ["client-submission"]\n'
            'critical_within_days = 60\nlevel = "high"\n' + entry("e1"),
            "priority.deadline #1: deadline 'd2' is not a dated [deadlines] entry",
        ),
        (BASE.replace("schema = 1", "schema = 2") + entry("e1"), "schema: unsupported schema 2"),
        (BASE + "[[entry]\n", "not valid TOML"),
        (
            BASE + entry("e1").replace('sources = ["l1"]\n', ""),
            "entry 'e1': missing field 'sources'",
        ),
        (
            BASE + entry("e1").replace('sources = ["l1"]', "sources = []"),
            "entry 'e1': sources must be a non-empty list",
        ),
        (
            BASE + entry("e1").replace('sources = ["l1"]', 'sources = ["l9"]'),
            "entry 'e1': source 'l9' is not in [links]",
        ),
        (
            BASE + entry("e1").replace("checked = 2026-12-01\n", ""),
            "entry 'e1': missing field 'checked'",
        ),
        (
            BASE + entry("e1").replace("checked = 2026-12-01", 'checked = "recently"'),
            "entry 'e1': checked must be a date",
        ),
        (BASE.replace("https://learn", "http://learn") + entry("e1"), "must start with https://"),
        (BASE + entry("e1").replace('["do e1"]', '["do {nope}"]'), "unknown placeholder {nope}"),
        (
            BASE + entry("e1").replace('["do e1"]', '[{ text = "x", when = { mood = ["good"] } }]'),
            "unknown fact 'mood'",
        ),
    ],
)
def test_a_broken_knowledge_file_is_a_usage_error_naming_the_entry(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        load_knowledge(path)
    assert str(caught.value.message).startswith(f"{path}: ")
    assert message in caught.value.message
    assert caught.value.exit_code == EXIT_USAGE and caught.value.hint


def test_a_missing_knowledge_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="cannot read the knowledge file"):
        load_knowledge(tmp_path / "absent.toml")


def test_the_builtin_file_is_loaded_once():
    assert load_knowledge() is load_knowledge()
    assert len({e.id for e in KB.entries}) == len(KB.entries)


# --- priority ------------------------------------------------------------------------------

BEFORE_60_DAYS = dt.date(2026, 9, 1)  # 121 days before 2026-12-31
WITHIN_60_DAYS = dt.date(2026, 11, 28)  # 33 days before


def rank(evidence, device_type, likelihood, at_risk, total, today=BEFORE_60_DAYS, **kw):
    return priority(
        evidence, Device(device_type), likelihood, at_risk, total, today, knowledge=KB, **kw
    )


def test_refused_mail_is_critical_even_on_small_volume():
    evidence = flow("connector-relay", forced_tls=True, failed_messages=40)
    level, reasons = rank(evidence, "mfp", 1.0, 40, 1_000_000)
    assert level == "critical"
    assert "40 messages refused for their TLS: they fail now" in reasons
    level, _ = rank(evidence, "mfp", 1.0, 3, 1_000_000)
    assert level == "critical"  # failing mail is exempt from the tiny-volume rule


def test_legacy_mail_delivered_through_a_tls_connector_is_not_failing_now():
    """Counted legacy messages got through: Microsoft began the stop of TLS 1.0/1.1 on its
    mail-flow endpoints and never completed it, so "fails now" needs evidence of failures."""
    evidence = flow("connector-relay", forced_tls=True)
    level, reasons = rank(evidence, "mfp", 1.0, 40, 1_000_000)
    assert level == "low"
    assert not any("fail now" in r for r in reasons)
    assert any(
        r.startswith(
            "the connector requires TLS, yet its 40 at-risk messages were delivered: still accepted"
        )
        for r in reasons
    )


def test_smtp_auth_basic_within_60_days_of_the_deadline_is_critical():
    evidence = flow("client-submission", auth_protocol="Basic")
    level, reasons = rank(evidence, "mfp", 1.0, 40, 1_000_000, WITHIN_60_DAYS)
    assert level == "critical"
    assert reasons[-1] == (
        "Basic auth and TLS 1.0/1.1 on client-submission: end of December"
        " 2026 (MC786329, update of 27 January 2026) is 33 days away"
        " (at least critical)"
    )
    assert rank(evidence, "mfp", 1.0, 40, 1_000_000, BEFORE_60_DAYS)[0] == "high"


def test_in_january_2027_basic_auth_reads_off_by_default_not_as_stopped_mail():
    """Basic auth goes off by *default* at the end of December 2026; admins can turn it back
    on. A run in January 2027 must say so, not count the days since mail "stopped"."""
    january = dt.date(2027, 1, 15)
    evidence = flow("client-submission", auth_protocol="Basic", sender_address="erp@x.example")
    level, reasons = rank(evidence, "erp", 1.0, 40, 1_000_000, january)
    assert level == "critical"
    assert "passed" not in reasons[-1] and "days ago" not in reasons[-1]
    assert "off by default for existing tenants since the end of December 2026" in reasons[-1]
    assert "keeps working only where an admin re-enabled it" in reasons[-1]
    fix = choose(evidence, Device("erp"), KB, today=january)
    assert (
        "off by default for existing tenants since the end of December 2026" in fix.deadline_note
        and "re-enabled" in fix.deadline_note
    )
    before = choose(evidence, Device("erp"), KB, today=dt.date(2026, 12, 1))
    assert "is switched off by default" in before.deadline_note


def test_smtp_auth_basic_on_tls_1_2_counts_its_messages_for_the_deadline():
    evidence = FlowEvidence(
        path="client-submission",
        auth_protocol="Basic",
        messages=500,
        tls=TlsCounts.of({"TLS1.2": 500}),
    )
    level, reasons = rank(evidence, "application", 1.0, 0, 1_000_000, WITHIN_60_DAYS)
    assert level == "critical"
    assert reasons[0].startswith("500 messages on Basic auth")


def test_tiny_attributed_volume_is_low():
    evidence = flow("connector-relay", "plaintext")
    level, reasons = rank(evidence, "application", 0.3, 3, 20_000, attributed=True)
    assert level == "low"
    assert reasons == [
        "3 messages at risk (0.015% of the tenant's 20,000): low on volume",
        "TLS attributed, not observed: likelihood 30% (below 50%): stays low",
    ]
    level, reasons = rank(flow("direct-send", "plaintext"), "mfp", 0.3, 8, 20_000, attributed=True)
    assert level == "low" and reasons[-2] == "only 8 messages (fewer than 10): low"


def test_direct_send_is_at_least_high():
    evidence = flow("direct-send", "plaintext", forced_tls=False)
    level, reasons = rank(evidence, "mfp", 1.0, 40, 1_000_000)
    assert level == "high"
    assert reasons == [
        "40 messages at risk (0.004% of the tenant's 1,000,000): low on volume",
        "at least high: Direct Send stops when Reject Direct Send is turned on (550 5.7.68)",
        "opportunistic TLS: these messages are still delivered, weakly or not encrypted,"
        " not refused",
    ]
    assert rank(evidence, "mfp", 1.0, 5000, 10_000)[0] == "high"


def test_volume_thresholds_absolute_and_share():
    evidence = flow("connector-relay", "plaintext")
    assert rank(evidence, "mfp", 1.0, 1500, 10_000_000)[0] == "high"
    assert rank(evidence, "mfp", 1.0, 150, 10_000_000)[0] == "medium"
    assert rank(evidence, "mfp", 1.0, 50, 1000)[0] == "high"  # 5% of the mail
    assert rank(evidence, "mfp", 1.0, 50, 40_000)[0] == "medium"  # 0.125%
    assert rank(evidence, "mfp", 1.0, 20, 10_000_000)[0] == "low"
    assert rank(evidence, "mfp", 1.0, 50, 0)[0] == "low"  # no total: no share


def test_low_likelihood_lowers_attributed_flows_only():
    evidence = flow("connector-relay", "plaintext")
    level, reasons = rank(evidence, "mfp", 0.2, 2000, 10_000_000, attributed=True)
    assert level == "medium"
    assert reasons[-1] == (
        "TLS attributed, not observed: likelihood 20% (below 50%): one level lower, medium"
    )
    assert rank(evidence, "mfp", 0.2, 2000, 10_000_000)[0] == "high"  # observed: a measured share
    assert rank(evidence, "mfp", 0.5, 2000, 10_000_000, attributed=True)[0] == "high"
    failing = flow("connector-relay", forced_tls=True, failed_messages=5)
    assert rank(failing, "mfp", 0.2, 2000, 10_000_000, attributed=True)[0] == "high"


def test_internet_senders_are_capped_and_exchange_servers_floored():
    level, reasons = rank(flow("internet", "plaintext"), "partner-mta", 1.0, 50_000, 100_000)
    assert level == "medium" and reasons[1].startswith("at most medium: another organization")
    level, reasons = rank(flow("connector-relay"), "mail-server", 1.0, 50, 10_000_000)
    assert level == "high" and "450 4.7.230 / 550 5.7.230" in reasons[1]


def test_every_priority_is_one_of_the_four():
    for (device_type, path, state), likelihood in product(situations(), (0.1, 0.9)):
        for forced in (None, False, True):
            level, reasons = rank(
                flow(path, state, forced_tls=forced),
                device_type,
                likelihood,
                120,
                50_000,
                WITHIN_60_DAYS,
                attributed=True,
            )
            assert level in PRIORITIES and reasons
