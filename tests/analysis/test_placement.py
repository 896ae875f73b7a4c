"""Which connector a traced message is placed on: by the export, by the configured IP ranges of
an enabled connector, else by daily volume only on days the trace and the connector report
both cover."""

from __future__ import annotations

import json

import o365tls
from tests.conftest import DATA

REPORT_OCTOBER = DATA / "eac-connector-report" / "inbound_2026-10_before_the_trace.csv"
TRACE_NOVEMBER = DATA / "message-trace" / "v2_2026-11_after_the_report.csv"


def findings_of(tmp_path, *paths) -> dict:
    results = o365tls.analyze(o365tls.gather(list(paths)))
    o365tls.write_outputs(results, tmp_path)
    return json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))


def test_no_placement_by_volume_when_trace_and_report_share_no_day(tmp_path):
    found = findings_of(tmp_path, REPORT_OCTOBER, TRACE_NOVEMBER)
    text = json.dumps(found)
    # One or two scans a day "fit under" any connector on days the report does not cover.
    assert "by its daily volume (no connector configuration" not in text
    assert not [f for f in found["findings"] if f["sender_ip"] in ("192.0.2.25", "198.51.100.20")]
    wanted = (
        "no sender IP placed on a connector by its daily volume: the message trace "
        "covers 2026-11-01..2026-11-10 and the connector report 2026-10-01..2026-10-20 "
        "(no common day, 3 needed): export both for the same days"
    )
    assert [n for n in found["notes"] if n.startswith(wanted)], found["notes"]


def test_two_common_days_are_too_few_to_place_by_volume(tmp_path):
    report = DATA / "eac-connector-report" / "inbound_2026-10-24_two_days_with_the_trace.csv"
    found = findings_of(tmp_path, report, TRACE_NOVEMBER)
    # The scanner's two days match the relay's volume exactly: a coincidence two days deep.
    assert "by its daily volume (no connector configuration" not in json.dumps(found)
    assert not [f for f in found["findings"] if f["sender_ip"] == "192.0.2.25"]
    assert any(
        "connector report 2026-10-24..2026-11-02 (2 common days, 3 needed)" in n
        for n in found["notes"]
    ), found["notes"]


CONFIG = DATA / "connector-config" / "inbound_posh365_select_join.csv"
REPORT_NOVEMBER = (
    DATA / "eac-connector-report" / "inbound_2026-11_disabled_connector_still_named.csv"
)


def test_a_disabled_connector_places_no_message_and_mail_named_on_it_is_noted(tmp_path):
    found = findings_of(tmp_path, REPORT_NOVEMBER, TRACE_NOVEMBER, CONFIG)
    scanner = [f for f in found["findings"] if f["sender_ip"] == "192.0.2.25"]
    # The disabled connector's /32 holds the scanner's IP; the enabled /24 places it.
    assert [(f["connector"], f["by_tls"]["TLS1.0"]) for f in scanner] == [("Scanner relay", 10)]
    assert not [
        a
        for a in found["attribution"]
        if a["connector"] == "Scanner relay (old)" and a["sender"] == "scanner@contoso.com"
    ]
    # It stays listed with its traffic from the report, and the report's mail on it is noted.
    assert [
        g["messages"] for g in found["by_connector"] if g["connector"] == "Scanner relay (old)"
    ] == [5]
    assert (
        "connector 'Scanner relay (old)' is disabled (Enabled: False) in the connector "
        "configuration, yet exports show mail on it (2026-11-01..2026-11-03): "
        "eac-connector-report 5 messages"
    ) in "\n".join(found["notes"])


def test_ip_placement_stays_within_the_connectors_sender_domains(tmp_path):
    found = findings_of(tmp_path, REPORT_NOVEMBER, TRACE_NOVEMBER, CONFIG)
    # 198.51.100.20 is Woodgrove's only IP, but Woodgrove's connector takes woodgrove.example
    # mail only: Fabrikam's mail from that IP goes through Fabrikam's connector (its /24).
    rows = [
        (a["connector"], a["verdict"])
        for a in found["attribution"]
        if a["sender"] == "orders@fabrikam.example"
    ]
    assert rows == [("Partner - Fabrikam", "clean")]
    assert not [n for n in found["notes"] if "without any TLS record" in n]


def test_a_connectors_tls_mix_is_fitted_on_the_days_the_trace_covers_only(tmp_path):
    # The relay's report starts ten days before the trace. On those days every message is
    # "other senders": fitted with them, the scanner's TLS 1.0 leaked into "other senders".
    found = findings_of(
        tmp_path,
        DATA / "message-trace" / "v2_2026-11_relay_half_the_report.csv",
        DATA / "eac-connector-report" / "inbound_2026-10-22_half_traced.csv",
    )
    scanner = [f for f in found["findings"] if f["sender_address"] == "scanner@contoso.com"]
    assert [(f["connector"], f["by_tls"]["TLS1.0"], f["legacy_likelihood"]) for f in scanner] == [
        ("App relay", 52, 1.0)
    ]  # all its 52 traced scans, on TLS 1.0
    rest = [
        f for f in found["findings"] if f["connector"] == "App relay" and not f["sender_address"]
    ]
    assert [(f["by_tls"]["TLS1.0"], f["attribution"]["verdict"]) for f in rest] == [
        (52, "unattributed")
    ]  # the scans of the untraced days stay with the connector
    assert rest[0]["attribution"]["why"].endswith(
        "includes 201 messages of 10 days the message trace does not cover"
    )
