"""Message trace: one sighting per message and recipient, dates in the exporter's culture.

Fixtures are written by tests/data/message-trace/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from o365tls.importers import fastcsv, identify
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import SIGHTINGS, column_names
from tests.helpers import load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "message-trace"
SHOWN = [
    "row",
    "timestamp",
    "message_id",
    "sender_address",
    "recipient_address",
    "subject",
    "status",
    "sender_ip",
    "destination_ip",
    "size",
]


def rec(
    row,
    when,
    message_id,
    sender,
    recipient,
    subject,
    status,
    sender_ip="",
    destination_ip="",
    size=0,
):
    return {
        "row": row,
        "timestamp": when,
        "message_id": message_id,
        "sender_address": sender,
        "recipient_address": recipient,
        "subject": subject,
        "status": status,
        "sender_ip": sender_ip,
        "destination_ip": destination_ip,
        "size": size,
    }


def load(name: str):
    data, report = load_one(DATA / name)
    assert report.format == "message-trace"
    frame = data.sightings
    assert list(frame.columns) == column_names(SIGHTINGS)
    assert len(data.observations) == 0
    assert set(frame["source"]) == {str(DATA / name)}
    out = frame[SHOWN].copy()
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records"), report


def test_export_csv_with_type_line_and_ps_columns_en_us():
    records, report = load("v2_pssession_en-US.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 2, 1)
    assert [(i.code, i.row, i.column, i.value, i.rejected) for i in report.issues] == [
        ("bad-date", 3, "Received", "13/10/2025 14:40:11", True)
    ]
    assert records == [
        rec(
            1,
            "2025-10-13T08:15:03+00:00",
            "20251013081503.1@mfp-3f.contoso.local",
            "scanner@contoso.com",
            "anna@contoso.com",
            "Scanned from a Xerox Multifunction Printer",
            "Delivered",
            "203.0.113.45",
            size=48211,
        ),
        # Quotes, commas and a line break inside the quoted subject.
        rec(
            2,
            "2025-10-13T14:40:11+00:00",
            "inv-q3@fabrikam.com",
            "billing@fabrikam.com",
            "carl@contoso.com",
            'Invoice "Q3", final,\r\nsecond line',
            "Failed",
            "198.51.100.20",
            size=10240,
        ),
    ]


def test_export_csv_without_ps_columns_en_gb_keeps_a_none_sender():
    records, report = load("v2_en-GB.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert report.issues == []
    assert records == [
        # "None" is text, not a missing value (lower-cased like every address).
        rec(
            1,
            "2025-10-13T09:15:03+00:00",
            "ndr-1@contoso.com",
            "none",
            "ben@contoso.com",
            "Undeliverable: Hello",
            "Delivered",
            size=3120,
        ),
        # dd/MM: 5 October, not 10 May.
        rec(
            2,
            "2025-10-05T18:00:00+00:00",
            "po-4711@contoso.com",
            "dana@contoso.com",
            "orders@partner.example",
            "PO 4711",
            "Delivered",
            destination_ip="192.0.2.25",
            size=51200,
        ),
    ]


def test_export_csv_de_de_use_culture():
    records, report = load("v2_de-DE_useculture.csv")
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    assert records == [
        rec(
            1,
            "2025-10-13T10:15:03+00:00",
            "scan-0042@kyocera.contoso.local",
            "scanner@contoso.com",
            "jörg@contoso.com",
            "Gescanntes Dokument; Seite 1",
            "Zugestellt",
            "203.0.113.77",
            size=1234,
        ),
    ]


def test_iso_dates_with_offset_are_utc():
    records, report = load("v2_iso.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    assert records == [
        rec(
            1,
            "2025-10-13T08:15:03+00:00",
            "iso-1@contoso.com",
            "erp@contoso.com",
            "ap@contoso.com",
            "Invoice run",
            "Delivered",
            "203.0.113.60",
            size=777,
        ),
    ]


def test_graph_json():
    records, report = load("graph_traces.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert records == [
        rec(
            1,
            "2025-10-13T06:00:01+00:00",
            "g1@mfp.contoso.com",
            "mfp@contoso.com",
            "erin@contoso.com",
            "Scan to mail",
            "delivered",
            "203.0.113.10",
            size=20480,
        ),
        rec(
            2,
            "2025-10-13T07:30:00+00:00",
            "g2@contoso.com",
            "frank@contoso.com",
            "someone@fabrikam.com",
            "Hi",
            "delivered",
            "2001:db8::5",
            "104.47.1.33",
            size=4096,
        ),
    ]


def test_windows_powershell_convertto_json_with_ms_dates():
    records, report = load("ps51_convertto-json.json")
    assert report.encoding == "UTF-16LE (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    assert records == [
        rec(
            1,
            "2025-10-13T08:15:03+00:00",
            "ps51-1@contoso.com",
            "backup@contoso.com",
            "it@contoso.com",
            "Backup OK",
            "Delivered",
            "203.0.113.61",
            size=9000,
        ),
    ]


def test_reporting_web_service_verbose_json_page():
    """reporting.svc/MessageTrace?$format=json: rows under d.results, /Date(ms)/ times (with
    and without an offset) read as UTC, nulls as empty, and the next-page link said."""
    records, report = load("rws_page_verbose.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 2, 1)
    assert records == [
        rec(
            1,
            "2025-10-13T08:15:03+00:00",
            "scan-0815@mfp-2f.contoso.local",
            "scanner@contoso.com",
            "anna@contoso.com",
            "Scanned from a Xerox Multifunction Printer",
            "Delivered",
            "203.0.113.45",
            size=48211,
        ),
        # No MessageId (null): the trace id stands in. The +0200 is the writer's zone only.
        rec(
            2,
            "2025-10-13T13:40:11+00:00",
            "1b2c3d4e-5f60-4172-83a4-08de0b2c3d61",
            "erp@contoso.com",
            "ap@fabrikam.example",
            "Invoice 4711",
            "Delivered",
            "203.0.113.60",
            "198.51.100.7",
            size=10240,
        ),
    ]
    issues = [(i.code, i.row, i.rejected) for i in report.issues]
    assert issues == [("more-pages", None, False), ("bad-date", 3, True)]
    assert "one page" in report.issues[0].message
    assert "export the next pages" in report.issues[0].message
    assert report.issues[1].message == "Received is empty (null), so the message has no time"


def test_reporting_web_service_d_array():
    records, report = load("rws_d_array.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert [r["timestamp"] for r in records] == [
        "2025-10-13T09:00:00+00:00",
        "2025-10-13T10:00:00+00:00",
    ]
    assert [r["recipient_address"] for r in records] == ["it@contoso.com", "ops@contoso.com"]
    assert report.issues == []


def test_reporting_web_service_atom_feed():
    records, report = load("rws_atom.xml")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert records == [
        rec(
            1,
            "2025-10-13T08:15:03.123456700+00:00",
            "scan-0816@mfp-2f.contoso.local",
            "scanner@contoso.com",
            "anna@contoso.com",
            "Scan <A4> & more",
            "Delivered",
            "203.0.113.45",
            size=48211,
        ),
        rec(
            2,
            "2025-10-13T14:40:11+00:00",
            "60718293-a4b5-46c7-98f9-08de0b2c3d66",
            "billing@fabrikam.example",
            "carl@contoso.com",
            "Invoice",
            "Failed",
            "198.51.100.20",
            size=10240,
        ),
    ]
    assert [i.code for i in report.issues] == ["more-pages"]


def test_atom_feed_with_a_doctype_is_refused_unread(tmp_path):
    text = (DATA / "rws_atom.xml").read_text(encoding="utf-8")
    bomb = text.replace(
        'standalone="yes"?>',
        'standalone="yes"?><!DOCTYPE feed [<!ENTITY a '
        '"aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>',
        1,
    )
    bomb = bomb.replace("<d:Subject>Invoice</d:Subject>", "<d:Subject>&b;</d:Subject>")
    path = tmp_path / "feed.xml"
    path.write_text(bomb, encoding="utf-8")
    data, report = load_one(path)
    assert report.format == "message-trace"
    assert report.fatal and report.rows_read == 0 and len(data.sightings) == 0
    assert [i.code for i in report.issues] == ["bad-xml"]
    assert "DOCTYPE" in report.issues[0].message


def test_json_rows_under_an_unknown_wrapper_say_so(tmp_path):
    """The rows nested under a key o365tls does not unwrap: say that, not only that each row
    lacks a Received column."""
    path = tmp_path / "siem.json"
    path.write_text(
        '{"events": [{"Received": "2025-10-13T08:15:03Z", "SenderAddress": '
        '"a@contoso.com", "RecipientAddress": "b@contoso.com"}]}',
        encoding="utf-8",
    )
    _data, report = load_one(path)
    assert "nested-rows" in [i.code for i in report.issues]
    note = next(i for i in report.issues if i.code == "nested-rows")
    assert "'events'" in note.message


@pytest.mark.parametrize(
    "name",
    [
        "v2_pssession_en-US.csv",
        "v2_en-GB.csv",
        "v2_de-DE_useculture.csv",
        "v2_iso.csv",
        "graph_traces.json",
        "ps51_convertto-json.json",
        "rws_page_verbose.json",
        "rws_d_array.json",
        "rws_atom.xml",
    ],
)
def test_recognised_from_content(name):
    path = DATA / name
    assert (
        identify(take_sample(Source(name, path, size=path.stat().st_size))).name == "message-trace"
    )


def test_a_large_file_cleans_repeated_values_once_and_exactly(tmp_path, monkeypatch):
    """Above a thousand rows the importer cleans each distinct address, IP and time once and
    maps the results back: every row must still get its own value. Small parse units make
    every column several Arrow chunks, as in a big file."""
    monkeypatch.setattr(fastcsv, "PARSE_BYTES", 16 * 1024)
    path = tmp_path / "trace.csv"
    lines = [
        '"Received","SenderAddress","RecipientAddress","Subject","Status","FromIP",'
        '"ToIP","Size","MessageId"'
    ]
    for i in range(3000):
        day, second = 1 + i % 28, i % 60
        lines.append(
            f'"2/{day}/2024 1:00:{second:02d} PM","SMTP:<Scan{i % 7}@Contoso.COM>",'
            f'"u{i % 11}@Fabrikam.com","s","Delivered"," 10.0.0.{i % 5} ","not-ip",'
            f'"{i}","<m{i}@host{i % 3}.contoso.com>"'
        )
    lines.append('"2/30/2024 1:00:00 PM","a@b.com","c@d.com","s","Delivered","","","1",""')
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    data, report = load_one(path)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3001, 3000, 1)
    assert [i.code for i in report.issues] == ["bad-date"]  # 30 February
    frame = data.sightings
    i = frame["row"].to_numpy() - 1
    assert list(frame["sender_address"]) == [f"scan{n % 7}@contoso.com" for n in i]
    assert list(frame["recipient_address"]) == [f"u{n % 11}@fabrikam.com" for n in i]
    assert list(frame["sender_ip"]) == [f"10.0.0.{n % 5}" for n in i]
    assert set(frame["destination_ip"]) == {""}
    assert list(frame["size"]) == list(i)
    assert [t.isoformat() for t in frame["timestamp"]] == [
        f"2024-02-{1 + n % 28:02d}T13:00:{n % 60:02d}+00:00" for n in i
    ]
