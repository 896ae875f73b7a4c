"""Message trace detail: one observation per message, TLS from the hop events.

Fixtures are written by tests/data/message-trace-detail/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from o365tls.importers import identify, message_trace_detail
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import OBSERVATIONS, column_names
from tests.helpers import load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "message-trace-detail"
SHOWN = [
    "row",
    "timestamp",
    "direction",
    "connector",
    "connector_type",
    "sender_ip",
    "destination_ip",
    "sender_address",
    "recipient_address",
    "message_id",
    "tls",
    "cipher",
    "server",
]
EXO = "AM6PR04MB5432.eurprd04.prod.outlook.com"
EXO2 = "DB9PR04MB8123.eurprd04.prod.outlook.com"
EXO3 = "FR2P281MB0123.DEUP281.PROD.OUTLOOK.COM"


def rec(
    row,
    when,
    direction,
    tls,
    cipher="",
    server="",
    message_id="",
    connector="",
    connector_type="",
    sender_ip="",
    destination_ip="",
    sender="",
    recipient="",
):
    return {
        "row": row,
        "timestamp": when,
        "direction": direction,
        "connector": connector,
        "connector_type": connector_type,
        "sender_ip": sender_ip,
        "destination_ip": destination_ip,
        "sender_address": sender,
        "recipient_address": recipient,
        "message_id": message_id,
        "tls": tls,
        "cipher": cipher,
        "server": server,
    }


def records(frame) -> list[dict]:
    out = frame[SHOWN].copy()
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records")


def load(name: str, **kwargs):
    data, report = load_one(DATA / name, **kwargs)
    frame = data.observations
    assert list(frame.columns) == column_names(OBSERVATIONS)
    assert len(data.sightings) == 0 and len(data.connectors) == 0
    if len(frame):
        # Every observation is one message, message-grained, with no invented facts.
        assert frame["messages"].tolist() == [1] * len(frame)
        assert set(frame["grain"]) == {"message"}
        assert frame["forced_tls"].tolist() == [None] * len(frame)
        assert set(frame["source"]) == {str(DATA / name)}
        assert frame["sender_port"].tolist() == [0] * len(frame)
    assert report.format == "message-trace-detail"
    return frame, report


def issues(report) -> list[tuple[str, int | None, bool]]:
    return sorted((i.code, i.row, i.rejected) for i in report.issues)


def test_v1_export_csv_from_remote_session_en_us():
    frame, report = load("v1_pssession_en-US.csv")
    assert report.encoding == "UTF-8"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (7, 7, 0)
    assert report.issues == []
    assert records(frame) == [
        rec(
            1,
            "2025-10-13T08:15:03+00:00",
            "inbound",
            "TLS1.2",
            "AES256",
            EXO,
            "CAF1x2y3@mail.fabrikam.com",
            sender_ip="198.51.100.20",
        ),
        # Outbound: the TLS of the Send external hop, not of the internal submission.
        rec(
            5,
            "2025-10-13T14:40:11+00:00",
            "outbound",
            "TLS1.2",
            "AES256",
            EXO,
            "AM6PR04MB5432ABCD@AM6PR04MB5432.eurprd04.prod.outlook.com",
            destination_ip="104.47.1.33",
        ),
        # No TLS clause: unknown, never none (internal submissions lack it too).
        rec(
            6,
            "2025-10-13T23:02:45+00:00",
            "inbound",
            "unknown",
            "",
            EXO,
            "AM6PR04MB5432EFGH@AM6PR04MB5432.eurprd04.prod.outlook.com",
        ),
    ]
    assert report.period_start.isoformat() == "2025-10-13T08:15:03+00:00"


V2_RECORDS = [
    # TLS 1.0 through an inbound connector; one observation per recipient.
    rec(
        1,
        "2025-10-13T09:15:03+00:00",
        "inbound",
        "TLS1.0",
        "AES256",
        EXO2,
        "20251013091503.1234@mfp-3f.contoso.local",
        "Inbound from Scanners",
        "OnPremises",
        "203.0.113.45",
        sender="scanner@contoso.com",
        recipient="anna@contoso.com",
    ),
    rec(
        3,
        "2025-10-13T09:15:03+00:00",
        "inbound",
        "TLS1.0",
        "AES256",
        EXO2,
        "20251013091503.1234@mfp-3f.contoso.local",
        "Inbound from Scanners",
        "OnPremises",
        "203.0.113.45",
        sender="scanner@contoso.com",
        recipient="ben@contoso.com",
    ),
    rec(
        4,
        "2025-10-13T10:01:00+00:00",
        "inbound",
        "unknown",
        "",
        EXO2,
        "direct-1@printer.contoso.com",
        sender_ip="203.0.113.99",
        sender="printer@contoso.com",
        recipient="carl@contoso.com",
    ),
    rec(
        7,
        "2025-10-13T11:30:00+00:00",
        "outbound",
        "TLS1.2",
        "AES256",
        EXO2,
        "DB9PR04MB8123X@DB9PR04MB8123.eurprd04.prod.outlook.com",
        "Outbound to Partner",
        "Partner",
        destination_ip="192.0.2.25",
        sender="dana@contoso.com",
        recipient="orders@partner.example",
    ),
    # Broken Data XML: the connector and client IP still come from its text.
    rec(
        8,
        "2025-10-13T12:00:00+00:00",
        "inbound",
        "TLS1.1",
        "AES128",
        EXO2,
        "app-77@erp.contoso.local",
        "Legacy App Relay",
        "OnPremises",
        "203.0.113.60",
        sender="erp@contoso.com",
        recipient="ap@contoso.com",
    ),
]
V2_ISSUES = [("bad-data-xml", 8, False), ("bad-date", 5, True), ("no-message-id", 9, True)]


def test_v2_export_csv_without_ps_columns_en_gb():
    frame, report = load("v2_en-GB.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (9, 7, 2)
    assert issues(report) == V2_ISSUES
    assert records(frame) == V2_RECORDS
    xml_issue = next(i for i in report.issues if i.code == "bad-data-xml")
    assert xml_issue.column == "Data" and "Legacy App Relay" in xml_issue.value


def test_events_of_a_message_spread_over_chunks(monkeypatch):
    monkeypatch.setattr(message_trace_detail, "CHUNK_ROWS", 2)
    frame, report = load("v2_en-GB.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (9, 7, 2)
    assert issues(report) == V2_ISSUES
    assert records(frame) == V2_RECORDS


def test_german_export_with_localized_events_and_de_de_dates():
    frame, report = load("de-DE_useculture.csv")
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (7, 7, 0)
    assert report.issues == []
    assert records(frame) == [
        rec(
            1,
            "2025-10-13T10:15:03+00:00",
            "inbound",
            "TLS1.2",
            "AES256",
            EXO3,
            "a1@mail.fabrikam.com",
        ),
        # "Extern senden" through the SEPPmail connector.
        rec(
            6,
            "2025-10-13T16:45:10+00:00",
            "outbound",
            "TLS1.2",
            "AES256",
            EXO3,
            "FR2P281MB0123Q@FR2P281MB0123.DEUP281.PROD.OUTLOOK.COM",
            "SEPPmail Ausgehend",
            "OnPremises",
            destination_ip="192.0.2.80",
        ),
        # "Empfangen" with a localized Detail: found by the event name, TLS by its clause.
        rec(
            7,
            "2025-10-13T07:59:59+00:00",
            "inbound",
            "TLS1.0",
            "AES128",
            EXO3,
            "scan-0042@kyocera.contoso.local",
            sender_ip="203.0.113.77",
        ),
    ]


def test_graph_json_pages():
    frame, report = load("graph_details.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 4, 0)
    assert report.issues == []
    assert records(frame) == [
        rec(
            1,
            "2025-10-13T06:00:01.123000+00:00",
            "inbound",
            "TLS1.2",
            "AES256",
            EXO,
            "g1@mfp.contoso.com",
            "Printers",
            "OnPremises",
            "203.0.113.10",
        ),
        rec(
            4,
            "2025-10-13T07:30:00+00:00",
            "outbound",
            "TLS1.3",
            "AES256",
            EXO,
            "g2@contoso.com",
            "To Fabrikam",
            destination_ip="2001:db8::25",
        ),
    ]


def test_edge_cases_filtered_export_entity_bomb_tls_in_custom_data():
    frame, report = load("v2_edge_cases.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 3, 0)
    assert issues(report) == [("bad-data-xml", 2, False), ("no-receive-event", 1, False)]
    assert records(frame) == [
        # Only a Deliver row was exported: the message counts, its TLS is unknown.
        rec(
            1,
            "2025-10-13T13:00:00+00:00",
            "",
            "unknown",
            message_id="only-deliver@contoso.com",
            sender="gina@contoso.com",
            recipient="hank@contoso.com",
        ),
        # The DOCTYPE is refused, not expanded: no client IP made of entity text.
        rec(
            2,
            "2025-10-13T13:05:00+00:00",
            "inbound",
            "TLS1.2",
            "AES256",
            EXO2,
            "bomb@fabrikam.com",
            sender="x@fabrikam.com",
            recipient="ivy@contoso.com",
        ),
        # No clause in Detail, but CustomData names the protocol.
        rec(
            3,
            "2025-10-13T13:10:00+00:00",
            "inbound",
            "TLS1.0",
            "CALG_AES_256",
            EXO2,
            "custom-tls@contoso.com",
            sender_ip="203.0.113.70",
            sender="nas@contoso.com",
            recipient="jack@contoso.com",
        ),
    ]


@pytest.mark.parametrize(
    "detail, expected",
    [
        ("Message received by: X.outlook.com using TLS1.2 with AES256", ("TLS1.2", "AES256")),
        ("Message received by: X.outlook.com using TLS1.0 with AES256.", ("TLS1.0", "AES256")),
        ("Message received by: X.outlook.com using TLS 1.1 with RC4", ("TLS1.1", "RC4")),
        ("Message received by: X.outlook.com using SSL3 with RC4", ("SSL3", "RC4")),
        ("Message received by: X.outlook.com using TLS1.3", ("TLS1.3", "")),
        ("Message received by: X.outlook.com", (None, "")),
        ("Message received by: TLS12SERVER.outlook.com", (None, "")),
        ("Message received by: TLS1SRV.contoso.com", (None, "")),
        ("Message received by: X.outlook.com using TLS1_2 with AES256", ("TLS1.2", "AES256")),
    ],
)
def test_tls_clause(detail, expected):
    assert message_trace_detail._tls_clause(detail) == expected


def _sample(path: Path):
    return take_sample(Source(str(path), path, size=path.stat().st_size))


HUB1 = "MWHPR14MB1808.namprd14.prod.outlook.com"
HUB2 = "CO6PR14MB4402.namprd14.prod.outlook.com"
FE = "BN8NAM12FT061.mail.protection.outlook.com"


def test_a_hop_between_exchange_online_servers_is_not_the_senders_tls():
    """The message's TLS is that of its first Receive from outside Microsoft: a later Receive
    by another Exchange Online server (after Submit, or from a *.prod.outlook.com /
    *.protection.outlook.com client or a Microsoft address) is Microsoft's own hop."""
    frame, report = load("v2_internal_hops.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (14, 14, 0)
    assert issues(report) == [("internal-hop", 3, False)]
    assert "4 message(s)" in report.issues[0].message
    assert records(frame) == [
        # Mailbox-originated (Receive, Submit, internal Receive with TLS 1.2): no sender TLS.
        rec(
            1,
            "2025-10-14T03:56:03+00:00",
            "inbound",
            "unknown",
            server=HUB2,
            message_id="HUB2-oof-1@CO6PR14MB4402.namprd14.prod.outlook.com",
            sender="kim@contoso.com",
            recipient="partner@fabrikam.example",
        ),
        # A device whose Receive names no TLS: unknown, not the internal hop's TLS 1.2.
        rec(
            5,
            "2025-10-14T06:00:00+00:00",
            "inbound",
            "unknown",
            server=FE,
            message_id="direct-7@nas.contoso.com",
            sender_ip="203.0.113.99",
            sender="nas@contoso.com",
            recipient="it@contoso.com",
        ),
        # SMTP AUTH submission: the device's TLS 1.0, not the hop after Submit.
        rec(
            8,
            "2025-10-14T07:05:11+00:00",
            "inbound",
            "TLS1.0",
            "AES256",
            HUB2,
            "KM_C258-1014@contoso.com",
            sender_ip="203.0.113.30",
            sender="scanner@contoso.com",
            recipient="ops@contoso.com",
        ),
        rec(
            12,
            "2025-10-14T08:00:00+00:00",
            "inbound",
            "TLS1.3",
            "AES256",
            FE,
            "n-1@mail.fabrikam.example",
            sender_ip="198.51.100.20",
            sender="news@fabrikam.example",
            recipient="anna@contoso.com",
        ),
        # Only a hop from one prod.outlook.com host to another.
        rec(
            13,
            "2025-10-14T09:00:00+00:00",
            "inbound",
            "unknown",
            server=HUB1,
            message_id="fwd-3@contoso.com",
            sender="lee@contoso.com",
            recipient="max@contoso.com",
        ),
        # Another organization's Exchange Online outbound host is a sender like any other.
        rec(
            14,
            "2025-10-14T09:30:00+00:00",
            "inbound",
            "TLS1.2",
            "AES256",
            FE,
            "po-9@fabrikam.example",
            sender_ip="198.51.100.77",
            sender="orders@fabrikam.example",
            recipient="sales@contoso.com",
        ),
    ]


def test_reporting_web_service_verbose_json():
    frame, report = load("rws_detail_verbose.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert report.issues == []
    assert records(frame) == [
        rec(
            1,
            "2025-10-14T09:00:00+00:00",
            "inbound",
            "TLS1.1",
            "AES128",
            EXO2,
            "app-88@erp.contoso.local",
            "Legacy App Relay",
            "OnPremises",
            "203.0.113.60",
            sender="erp@contoso.com",
            recipient="ap@contoso.com",
        ),
    ]


def test_reporting_web_service_atom_feed(tmp_path):
    """The detail report without $format: Atom entries, Edm.DateTime dates (UTC)."""

    def entry(i, event, detail, data, date):
        data = data.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return (
            '<entry><id>MessageTraceDetail(%d)</id><content type="application/xml">'
            "<m:properties><d:Organization>contoso.onmicrosoft.com</d:Organization>"
            "<d:MessageId>&lt;atom-1@erp.contoso.local&gt;</d:MessageId>"
            '<d:MessageTraceId m:type="Edm.Guid">d0e1f2a3-b4c5-4d6e-8f70-08de0f607189'
            '</d:MessageTraceId><d:Date m:type="Edm.DateTime">%s</d:Date>'
            '<d:Event>%s</d:Event><d:Action m:null="true" /><d:Detail>%s</d:Detail>'
            "<d:Data>%s</d:Data><d:SenderAddress>erp@contoso.com</d:SenderAddress>"
            "<d:RecipientAddress>ap@contoso.com</d:RecipientAddress>"
            "</m:properties></content></entry>"
        ) % (i, date, event, detail, data)

    feed = (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?><feed xml:base="https://'
        'reports.office365.com/ecp/ReportingWebService/Reporting.svc/" '
        'xmlns="http://www.w3.org/2005/Atom" '
        'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
        'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
        '<title type="text">MessageTraceDetail</title>'
        + entry(
            0,
            "Receive",
            f"Message received by: {EXO2} using TLS1.0 with AES256",
            '<root><MEP Name="ClientIP" String="203.0.113.60" /></root>',
            "2025-10-14T09:00:00",
        )
        + entry(1, "Deliver", "The message was successfully delivered.", "", "2025-10-14T09:00:02")
        + "</feed>"
    )
    path = tmp_path / "detail.xml"
    path.write_text(feed, encoding="utf-8")
    data, report = load_one(path)
    assert report.format == "message-trace-detail"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert records(data.observations) == [
        rec(
            1,
            "2025-10-14T09:00:00+00:00",
            "inbound",
            "TLS1.0",
            "AES256",
            EXO2,
            "atom-1@erp.contoso.local",
            sender_ip="203.0.113.60",
            sender="erp@contoso.com",
            recipient="ap@contoso.com",
        ),
    ]


def test_detected_from_content_not_as_message_trace():
    for name in (
        "v1_pssession_en-US.csv",
        "v2_en-GB.csv",
        "de-DE_useculture.csv",
        "graph_details.json",
        "v2_edge_cases.csv",
        "v2_internal_hops.csv",
        "rws_detail_verbose.json",
    ):
        assert identify(_sample(DATA / name)).name == "message-trace-detail", name
    trace = DATA.parent / "message-trace"
    for name in ("v2_en-GB.csv", "graph_traces.json"):
        assert not message_trace_detail.detect(_sample(trace / name)), name
