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
    results = o365tls.analyze(o365tls.load(list(paths)))
    o365tls.write_outputs(results, tmp_path)
    return json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))


def test_no_placement_by_volume_when_trace_and_report_share_no_day(tmp_path):
    found = findings_of(tmp_path, REPORT_OCTOBER, TRACE_NOVEMBER)
    text = json.dumps(found)
    # One or two scans a day "fit under" any connector on days the report does not cover.
    assert "by its daily volume (no connector configuration" not in text
    assert not [f for f in found["findings"] if f["sender_ip"] in ("192.0.2.25",
                                                                   "198.51.100.20")]
    wanted = ("no sender IP placed on a connector by its daily volume: the message trace "
              "covers 2026-11-01..2026-11-10 and the connector report 2026-10-01..2026-10-20 "
              "(no common day, 3 needed): export both for the same days")
    assert [n for n in found["notes"] if n.startswith(wanted)], found["notes"]


def test_two_common_days_are_too_few_to_place_by_volume(tmp_path):
    report = DATA / "eac-connector-report" / "inbound_2026-10-24_two_days_with_the_trace.csv"
    found = findings_of(tmp_path, report, TRACE_NOVEMBER)
    # The scanner's two days match the relay's volume exactly: a coincidence two days deep.
    assert "by its daily volume (no connector configuration" not in json.dumps(found)
    assert not [f for f in found["findings"] if f["sender_ip"] == "192.0.2.25"]
    assert any("connector report 2026-10-24..2026-11-02 (2 common days, 3 needed)" in n
               for n in found["notes"]), found["notes"]
