"""Historical search Extended report: UTF-16LE with or without BOM, event rows grouped into
one sighting per message and recipient, identity from the first hop outside Microsoft and the
spam agent's H=/PTR=/CIP=.

Fixtures are written by tests/data/historical-extended/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from o365tls.importers import historical_extended, identify
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import SIGHTINGS, column_names
from tests.helpers import load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "historical-extended"
NO_BOM = DATA / "extended-no-bom.csv"
BOM = DATA / "extended-bom.csv"
EDGE = "AM6PEPF0000ABCD.eurprd04.prod.outlook.com"
HUB = "AM0PR04MB6789.eurprd04.prod.outlook.com"


def sighting(
    row,
    when,
    message_id,
    sender,
    recipient,
    subject,
    status,
    sender_ip,
    hostname,
    ptr,
    connector,
    direction,
    size,
    server,
    destination_ip="",
    tls_auth_level="",
):
    return {
        "row": row,
        "timestamp": f"2024-05-06T{when}+00:00",
        "message_id": message_id,
        "sender_address": sender,
        "recipient_address": recipient,
        "subject": subject,
        "status": status,
        "sender_ip": sender_ip,
        "destination_ip": destination_ip,
        "hostname": hostname,
        "ptr": ptr,
        "connector": connector,
        "direction": direction,
        "size": size,
        "event": "RECEIVE",
        "tls_auth_level": tls_auth_level,
        "server": server,
    }


def load(path: Path):
    data, report = load_one(path)
    assert report.format == "historical-extended"
    assert len(data.observations) == 0
    frame = data.sightings
    assert list(frame.columns) == column_names(SIGHTINGS)
    assert set(frame["source"]) == {str(path)}
    out = frame.drop(columns="source").copy()
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records"), report


INVOICE = dict(
    message_id="inv-4711@partner.example",
    sender="billing@partner.example",
    subject='Invoice 4711, March "final"',
    sender_ip="203.0.113.50",
    hostname="mail.partner.example",
    ptr="mail.partner.example",
    connector="Partner Fabrikam",
    direction="inbound",
    size=20480,
    server=EDGE,
)
EXPECTED_NO_BOM = [
    # First RECEIVE from outside Microsoft; the later internal hop adds nothing. The status is
    # the recipient's last event.
    sighting(1, "08:15:30.123456700", recipient="ap@contoso.com", status="DELIVER", **INVOICE),
    sighting(1, "08:15:30.123456700", recipient="cfo@contoso.com", status="FAIL", **INVOICE),
    # Only a Microsoft-internal RECEIVE: the spam agent's CIP and HELO name the device.
    sighting(
        3,
        "08:15:31",
        "NPI3A5F21-1714983400@contoso.com",
        "scan@contoso.com",
        "j.doe@contoso.com",
        "Scan from NPI3A5F21\r\nPage 2 of 2",
        "DELIVER",
        "198.51.100.23",
        "NPI3A5F21",
        "",
        "MFP Relay Connector",
        "outbound",
        1834211,
        HUB,
    ),
    # Mailbox submission sent to a partner: no CIP, so original_client_ip; the SEND gives the
    # destination, outbound connector and TLS auth level.
    sighting(
        9,
        "09:00:00.000000100",
        "m-42@contoso.com",
        "alice@contoso.com",
        "bob@fabrikam.example",
        "Quarterly figures",
        "SEND",
        "192.0.2.10",
        "",
        "",
        "Outbound to Fabrikam",
        "outbound",
        2048,
        HUB,
        destination_ip="203.0.113.25",
        tls_auth_level="EncryptionOnly",
    ),
]


def test_utf16le_without_bom_one_sighting_per_message_and_recipient():
    records, report = load(NO_BOM)
    assert report.encoding == "UTF-16LE (no BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (10, 10, 0)
    assert report.issues == []
    assert records == EXPECTED_NO_BOM


def test_utf16le_with_bom_multiline_subjects_and_a_damaged_time():
    records, report = load(BOM)
    assert report.encoding == "UTF-16LE (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 3, 1)
    assert [(i.code, i.row, i.value, i.rejected) for i in report.issues] == [
        ("bad-date", 2, "2024-05-06T24:00:00.0000000Z", True)
    ]
    # No network_message_id: the rows are grouped by message_id.
    assert records == [
        sighting(
            1,
            "23:59:59.999999900",
            "report-9@erp.contoso.com",
            "sap-noreply@contoso.com",
            "ops@contoso.com",
            "Daily report, plant 2\r\n(ERP)",
            "DELIVER",
            "192.0.2.77",
            "erp01",
            "erp01.contoso.com",
            "AM6PEPF0000ABCD\\Default AM6PEPF0000ABCD",
            "inbound",
            4096,
            EDGE,
        )
    ]


def test_grouping_window_keeps_memory_bounded_and_the_records_equal(monkeypatch):
    monkeypatch.setattr(historical_extended, "CHUNK_ROWS", 2)
    monkeypatch.setattr(historical_extended, "WINDOW_ROWS", 3)
    records, _report = load(NO_BOM)
    assert records == EXPECTED_NO_BOM


def test_recognised_from_content_not_as_a_summary_report(tmp_path):
    for path in (NO_BOM, BOM):
        assert identify(take_sample(Source("report.csv", path))).name == "historical-extended"
    summary = tmp_path / "summary.csv"
    summary.write_bytes(
        '"origin_timestamp_utc","sender_address","recipient_status","message_subject",'
        '"total_bytes","message_id","network_message_id","original_client_ip",'
        '"directionality","connector_id","delivery_priority"\r\n'.encode("utf-16-le")
    )
    found = identify(take_sample(Source("summary.csv", summary)))
    assert found is None or found.name != "historical-extended"


@pytest.mark.parametrize(
    ("ip", "host", "expected"),
    [
        ("2603:10a6:208:ab::15", "", True),
        ("", "DB8EUR05FT011.eop-eur05.prod.protection.outlook.com", True),
        ("40.107.22.50", "EUR05-DB8-obe.outbound.protection.outlook.com", True),
        ("10.12.0.4", "", True),
        ("203.0.113.50", "mail.partner.example", False),
        ("2001:db8::1", "", False),
        ("", "", False),
    ],
)
def test_microsoft_internal_hops(ip, host, expected):
    assert historical_extended.is_microsoft(ip, host) is expected


# A send hop is decided by the tracking-log event table both exports share.
@pytest.mark.parametrize("event", ["SEND", "SENDEXTERNAL"])
def test_message_seen_only_at_its_send_and_one_with_no_receive_or_send(tmp_path, event):
    header = [
        "date_time_utc",
        "client_ip",
        "client_hostname",
        "server_ip",
        "server_hostname",
        "connector_id",
        "source",
        "event_id",
        "message_id",
        "network_message_id",
        "recipient_address",
        "message_subject",
        "sender_address",
        "directionality",
        "custom_data",
    ]
    send = [
        "2024-05-06T10:00:00.0000000Z",
        "2603:10a6:20b:2c::4",
        HUB,
        "203.0.113.25",
        "mx.fabrikam.example",
        "Outbound to Fabrikam",
        "SMTP",
        event,
        "<m-7@contoso.com>",
        "aa",
        "Bob@Fabrikam.example;eve@fabrikam.example",
        "Offer",
        "sales@contoso.com",
        "",
        "S:Microsoft.Exchange.Hygiene.TenantOutboundConnectorCustomData=Name=Smarthost EU",
    ]
    agent = [
        "2024-05-06T10:00:01.0000000Z",
        "",
        "",
        "",
        HUB,
        "",
        "AGENT",
        "AGENTINFO",
        "<m-8@contoso.com>",
        "bb",
        "ops@contoso.com",
        "Other",
        "x@contoso.com",
        "",
        "",
    ]
    text = "\r\n".join(",".join(f'"{v}"' for v in line) for line in (header, send, agent))
    path = tmp_path / "extended.csv"
    path.write_bytes((text + "\r\n").encode("utf-16-le"))
    records, report = load(path)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    common = dict(
        row=1,
        timestamp="2024-05-06T10:00:00+00:00",
        message_id="m-7@contoso.com",
        sender_address="sales@contoso.com",
        subject="Offer",
        status=event,
        sender_ip="2603:10a6:20b:2c::4",
        destination_ip="203.0.113.25",
        hostname="",
        ptr="",
        connector="Smarthost EU",
        direction="outbound",
        size=0,
        event="SEND",
        tls_auth_level="",
        server=HUB,
    )
    assert records == [
        {**common, "recipient_address": "bob@fabrikam.example"},
        {**common, "recipient_address": "eve@fabrikam.example"},
    ]


def test_date_time_column_and_learn_directionality():
    """An extended report whose time column is date_time (not date_time_utc), with Learn's
    Recipient_status and directionality 2 (outbound)."""
    path = DATA / "extended-date-time-no-bom.csv"
    assert identify(take_sample(Source("x.csv", path))).name == "historical-extended"
    records, report = load(path)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert report.issues == []
    assert records == [
        sighting(
            1,
            "10:00:00",
            "erp-77@contoso.com",
            "erp@contoso.com",
            "bank@fabrikam.example",
            "Payment run 77",
            "SEND",
            "203.0.113.60",
            "erp01.contoso.com",
            "",
            "ERP Relay",
            "outbound",
            8192,
            EDGE,
            destination_ip="198.51.100.40",
        ),
    ]


def test_forcing_the_format_on_other_columns_names_what_was_expected_and_found():
    trace = DATA.parent / "historical-summary" / "summary_utf16le_nobom.csv"
    data, report = load_one(trace, format="historical-extended")
    assert report.fatal and len(data.sightings) == 0
    assert [i.code for i in report.issues] == ["missing-columns"]
    message = report.issues[0].message
    assert "date_time_utc or date_time" in message and "event_id" in message
    assert "origin_timestamp_utc, sender_address" in message
