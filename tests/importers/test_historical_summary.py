"""Historical search summary: UTF-16LE with or without BOM, one sighting per recipient.

Fixtures are written by tests/data/historical-summary/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from o365tls.importers import historical_summary, identify
from o365tls.importers.historical_summary import split_recipient_status
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import SIGHTINGS, column_names
from tests.helpers import load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "historical-summary"
SHOWN = [
    "row",
    "timestamp",
    "message_id",
    "sender_address",
    "recipient_address",
    "subject",
    "status",
    "sender_ip",
    "connector",
    "direction",
    "size",
]

SCAN = {
    "row": 1,
    "timestamp": "2025-10-13T08:15:03.123456700+00:00",
    "message_id": "20251013081503.1@mfp-3f.contoso.local",
    "sender_address": "scanner@contoso.com",
    "subject": "Scanned from a Xerox Multifunction Printer",
    "status": "Receive, Deliver",
    "sender_ip": "203.0.113.45",
    "connector": "Inbound from Scanners",
    "direction": "outbound",
    "size": 48211,
}
EXPECTED = [
    {**SCAN, "recipient_address": "anna@contoso.com"},
    {**SCAN, "recipient_address": "ben@contoso.com"},
    {
        "row": 2,
        "timestamp": "2025-10-13T09:00:00+00:00",
        "message_id": "inv-q3@fabrikam.com",
        "sender_address": "billing@fabrikam.com",
        "recipient_address": "carl@contoso.com",
        "subject": 'Invoice "Q3", final,\r\nsecond line',
        "status": "Receive, Fail",
        "sender_ip": "198.51.100.20",
        "connector": "",
        "direction": "inbound",
        "size": 10240,
    },
    # recipient_status without addresses: once, no recipient; the network id stands in.
    {
        "row": 4,
        "timestamp": "2025-10-13T10:30:00.500000+00:00",
        "message_id": "8091a2b3-c4d5-4e6f-9071-08de0b2c3d51",
        "sender_address": "printer@contoso.com",
        "recipient_address": "",
        "subject": "",
        "status": "Receive, Deliver",
        "sender_ip": "2001:db8::99",
        "connector": "",
        "direction": "outbound",
        "size": 512,
    },
]


def records(frame) -> list[dict]:
    out = frame[SHOWN].copy()
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records")


@pytest.mark.parametrize(
    "name, encoding",
    [
        ("summary_utf16le_nobom.csv", "UTF-16LE (no BOM)"),
        # Same rows, a BOM, columns in another order and one extra column.
        ("summary_utf16le_bom.csv", "UTF-16LE (BOM)"),
    ],
)
def test_summary_report(name, encoding):
    data, report = load_one(DATA / name)
    assert report.format == "historical-summary"
    assert report.encoding == encoding
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 3, 1)
    assert [(i.code, i.row, i.rejected) for i in report.issues] == [
        ("bad-date", 3, True),
        ("recipient-status", 4, False),
    ]
    assert report.issues[0].value == "2025-13-45T99:00:00.0000000Z"
    frame = data.sightings
    assert len(data.observations) == 0
    assert list(frame.columns) == column_names(SIGHTINGS)
    assert records(frame) == EXPECTED
    assert set(frame["source"]) == {str(DATA / name)}
    assert report.records == 4


@pytest.mark.parametrize(
    "text, found, unreadable",
    [
        (
            "a@x.com##Receive, Deliver;B@X.com##Receive, Fail",
            [("a@x.com", "Receive, Deliver"), ("b@x.com", "Receive, Fail")],
            [],
        ),
        ("a@x.com##Receive, Deliver;", [("a@x.com", "Receive, Deliver")], []),
        (" a@x.com ## Receive ", [("a@x.com", "Receive")], []),
        ("a@x.com", [("a@x.com", "")], []),
        ("Receive, Deliver", [], ["Receive, Deliver"]),
        ("##Receive;a@x.com##Deliver", [("a@x.com", "Deliver")], ["##Receive"]),
        ("", [], []),
    ],
)
def test_split_recipient_status(text, found, unreadable):
    assert split_recipient_status(text) == (found, unreadable)


def test_partly_unreadable_recipient_status_keeps_the_readable_recipients(tmp_path):
    path = tmp_path / "partial.csv"
    text = (
        '"origin_timestamp_utc","sender_address","recipient_status","message_id"\r\n'
        '"2025-10-13T08:00:00.0000000Z","s@contoso.com","##Receive;a@contoso.com##Deliver",'
        '"<m@contoso.com>"\r\n'
    )
    path.write_bytes(text.encode("utf-16-le"))
    data, report = load_one(path)
    assert report.format == "historical-summary"
    assert data.sightings["recipient_address"].tolist() == ["a@contoso.com"]
    assert data.sightings["status"].tolist() == ["Deliver"]
    assert [(i.code, i.row, i.value) for i in report.issues] == [
        ("recipient-status", 1, "##Receive")
    ]


def test_detect_needs_the_summary_columns_not_the_extended_ones():
    sample = take_sample(
        Source(
            "x",
            DATA / "summary_utf16le_nobom.csv",
            size=(DATA / "summary_utf16le_nobom.csv").stat().st_size,
        )
    )
    assert identify(sample).name == "historical-summary"
    assert historical_summary.detect(sample)
    trace = DATA.parent / "message-trace" / "v2_en-GB.csv"
    assert not historical_summary.detect(take_sample(Source("t", trace, size=1)))


def test_the_column_names_microsoft_learn_documents():
    """origin_timestamp (no _utc), Recipient_status, directionality 1/2: a UTF-16LE download
    without BOM named as the documentation names its columns."""
    data, report = load_one(DATA / "summary_learn_columns_nobom.csv")
    assert report.format == "historical-summary"
    assert report.encoding == "UTF-16LE (no BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert report.issues == []
    got = records(data.sightings)
    assert [
        (
            r["row"],
            r["timestamp"],
            r["recipient_address"],
            r["status"],
            r["direction"],
            r["sender_ip"],
            r["connector"],
            r["size"],
        )
        for r in got
    ] == [
        (
            1,
            "2025-10-14T07:05:11.250000+00:00",
            "ops@contoso.com",
            "Receive, Deliver",
            "outbound",
            "203.0.113.45",
            "Inbound from Scanners",
            301822,
        ),
        (
            2,
            "2025-10-14T07:30:00+00:00",
            "sales@contoso.com",
            "Receive, Deliver",
            "inbound",
            "198.51.100.20",
            "",
            51200,
        ),
        (
            2,
            "2025-10-14T07:30:00+00:00",
            "cfo@contoso.com",
            "Receive, Fail",
            "inbound",
            "198.51.100.20",
            "",
            51200,
        ),
    ]


def test_forcing_the_format_on_other_columns_names_what_was_expected_and_found():
    trace = DATA.parent / "message-trace" / "v2_en-GB.csv"
    data, report = load_one(trace, format="historical-summary")
    assert report.fatal and len(data.sightings) == 0
    assert [i.code for i in report.issues] == ["missing-columns"]
    message = report.issues[0].message
    assert "origin_timestamp_utc or origin_timestamp" in message
    assert "recipient_status" in message
    assert "Received, SenderAddress, RecipientAddress" in message  # what the file has
