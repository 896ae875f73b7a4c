"""Exchange message tracking logs (raw and Get-MessageTrackingLog | Export-Csv): one sighting
per message and recipient for RECEIVE, SEND and SENDEXTERNAL events; other events are used, not
sighted, and an EventId outside Microsoft's table is noted.

Fixtures are written by tests/data/exchange-tracking-log/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from o365tls.importers import custom_data, identify, tracking_log
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import SIGHTINGS, column_names
from tests.helpers import codes, load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "exchange-tracking-log"
RAW = DATA / "MSGTRK2024031509-1.LOG"
EN_GB = DATA / "tracking-export-en-GB.csv"
STRING_ARRAY = DATA / "tracking-export-string-array.csv"
HYBRID = DATA / "MSGTRK2025011409-1.LOG"
EVENT_DATA = DATA / "tracking-export-event-data.csv"
FREEMAIL = DATA / "MSGTRK2025020310-1.LOG"
O365 = "Outbound to Office 365 - 5d0c7a61-2b3e-4f80-9a1c-6e7d8f901a2b"
UPS = dict(
    message_id="20250114092839.4F1A2B3C@ups01.fabrikam.example",
    subject="UPS on battery",
    size=136349,
    recipient="it-alerts@fabrikam.example",
)
BACKUP = dict(
    message_id="20250114092851.7C8D9E0F@monitor.fabrikam.example",
    sender="monitor@fabrikam.example",
    subject="Nightly backup finished",
    size=38663,
    recipient="ops@fabrikam.example",
    sender_ip="192.0.2.14",
    hostname="exhyb01",
    connector="Intra-Organization SMTP Send Connector",
    direction="outbound",
    event="SEND",
    destination_ip="192.0.2.16",
    server="exhyb01",
)
# Microsoft's "Event types in the message tracking log" table (Exchange Server 2016/2019).
DOCUMENTED_EVENTS = (
    "AGENTINFO BADMAIL CLIENTSUBMISSION DEFER DELIVER DELIVERFAIL DROP DSN DUPLICATEDELIVER "
    "DUPLICATEEXPAND DUPLICATEREDIRECT EXPAND FAIL HADISCARD HARECEIVE HAREDIRECT HAREDIRECTFAIL "
    "INITMESSAGECREATED LOAD MODERATIONEXPIRE MODERATORAPPROVE MODERATORREJECT MODERATORSALLNDR "
    "NOTIFYMAPI NOTIFYSHADOW POISONMESSAGE PROCESS PROCESSMEETINGMESSAGE RECEIVE REDIRECT "
    "RESOLVE RESUBMIT RESUBMITDEFER RESUBMITFAIL SEND SUBMIT SUBMITDEFER SUBMITFAIL SUPPRESSED "
    "THROTTLE TRANSFER"
).split()
XEROX = "Scanned from a Xerox Multifunction Printer"
SEND_STATUS = "250 2.0.0 Ok: queued as 4F2D1"


def sighting(
    row,
    when,
    message_id,
    sender,
    recipient,
    subject,
    sender_ip,
    hostname,
    connector,
    direction,
    size,
    event="RECEIVE",
    status="",
    destination_ip="",
    tls_auth_level="",
    server="EX01",
    day="2024-03-15",
):
    return {
        "row": row,
        "timestamp": f"{day}T{when}+00:00",
        "message_id": message_id,
        "sender_address": sender,
        "recipient_address": recipient,
        "subject": subject,
        "status": status,
        "sender_ip": sender_ip,
        "destination_ip": destination_ip,
        "hostname": hostname,
        "ptr": "",
        "connector": connector,
        "direction": direction,
        "size": size,
        "event": event,
        "tls_auth_level": tls_auth_level,
        "server": server,
    }


def load(path: Path):
    data, report = load_one(path)
    assert report.format == "exchange-tracking-log"
    assert len(data.observations) == 0
    frame = data.sightings
    assert list(frame.columns) == column_names(SIGHTINGS)
    assert set(frame["source"]) == {str(path)}
    out = frame.drop(columns="source").copy()
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records"), report


def test_raw_log_uses_the_proxied_client_and_the_effective_tls_auth_level():
    records, report = load(RAW)
    assert report.encoding == "UTF-8"
    # 8 events: RECEIVE, AGENTINFO, DELIVER, RECEIVE, HAREDIRECT, RESOLVE, damaged, SEND.
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (8, 7, 1)
    assert [(i.code, i.row, i.value, i.rejected) for i in report.issues] == [
        ("bad-date", 7, "0000-00-00T00:00:00.000Z", True)
    ]
    mfp = dict(
        message_id="NPI3A5F21-1710493201@contoso.com",
        sender="scan@contoso.com",
        subject=XEROX,
        sender_ip="10.0.30.21",
        hostname="NPI3A5F21",
        connector="EX01\\Default EX01",
        direction="outbound",
        size=1834211,
    )
    assert records == [
        # Behind the FrontEnd: client-ip is EX01 itself, ProxiedClientIPAddress the device.
        sighting(1, "09:01:12.345000", recipient="j.doe@contoso.com", **mfp),
        sighting(1, "09:01:12.345000", recipient="team.scans@contoso.com", **mfp),
        sighting(
            4,
            "09:05:00.010000",
            "inv-4711@partner.example",
            "billing@partner.example",
            "ap@contoso.com",
            "Invoice 4711, March",
            "198.51.100.20",
            "mta.partner.example",
            "EX01\\Partner TLS",
            "inbound",
            20480,
        ),
        sighting(
            8,
            "09:30:00.500000",
            "m-1@contoso.com",
            "alice@contoso.com",
            "bob@fabrikam.example",
            "Quarterly figures",
            "10.0.0.10",
            "EX01.contoso.com",
            "Outbound to Internet",
            "outbound",
            2048,
            event="SEND",
            status=SEND_STATUS,
            destination_ip="203.0.113.25",
            tls_auth_level="EncryptionOnly",
            server="EX01.contoso.com",
        ),
    ]


def test_export_csv_en_gb_with_joined_recipients():
    records, report = load(EN_GB)
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 4, 0)
    assert codes(report) == ["local-time", "eventdata-type-name"]
    assert report.issues[1].row == 1
    assert "3 RECEIVE/SEND rows" in report.issues[1].message
    # Without OriginalClientIp either, the admin is told the sender may be the server itself.
    assert "2 RECEIVE rows have no OriginalClientIp either" in report.issues[1].message
    # EventData is a type name here: no proxied client, so the FrontEnd's address remains.
    mfp = dict(
        message_id="NPI3A5F21-1710493201@contoso.com",
        sender="scan@contoso.com",
        subject=XEROX,
        sender_ip="10.0.0.10",
        hostname="EX01.contoso.com",
        connector="EX01\\Default EX01",
        direction="outbound",
        size=1834211,
    )
    assert records == [
        sighting(1, "10:01:12", recipient="j.doe@contoso.com", **mfp),
        sighting(1, "10:01:12", recipient="team.scans@contoso.com", **mfp),
        sighting(
            3,
            "10:05:00",
            "inv-4711@partner.example",
            "billing@partner.example",
            "ap@contoso.com",
            "Invoice 4711, March",
            "198.51.100.20",
            "mta.partner.example",
            "EX01\\Partner TLS",
            "inbound",
            20480,
        ),
        sighting(
            4,
            "10:30:00",
            "m-1@contoso.com",
            "alice@contoso.com",
            "bob@fabrikam.example",
            "Quarterly figures",
            "10.0.0.10",
            "EX01.contoso.com",
            "Outbound to Internet",
            "outbound",
            2048,
            event="SEND",
            status=SEND_STATUS,
            destination_ip="203.0.113.25",
            server="EX01.contoso.com",
        ),
    ]


def test_export_csv_with_system_string_array_says_so_instead_of_guessing():
    records, report = load(STRING_ARRAY)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 3, 0)
    assert codes(report) == ["local-time", "recipients-type-name", "eventdata-type-name"]
    assert "2 RECEIVE/SEND rows" in report.issues[1].message
    assert records == [
        sighting(
            1,
            "10:05:00",
            "inv-4711@partner.example",
            "billing@partner.example",
            "",
            "Invoice 4711, March",
            "198.51.100.20",
            "mta.partner.example",
            "EX01\\Partner TLS",
            "inbound",
            20480,
        ),
        sighting(
            3,
            "10:30:00",
            "m-1@contoso.com",
            "alice@contoso.com",
            "",
            "Quarterly figures",
            "10.0.0.10",
            "EX01.contoso.com",
            "Outbound to Internet",
            "outbound",
            2048,
            event="SEND",
            destination_ip="203.0.113.25",
            server="EX01.contoso.com",
        ),
    ]


def test_sendexternal_is_a_hop_out_like_send_with_its_tls_auth_level():
    records, report = load(HYBRID)
    # NOTIFYMAPI, HAREDIRECTFAIL, RECEIVE, HARECEIVE, SEND, SENDEXTERNAL, MODIFYMESSAGE.
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (7, 7, 0)
    hybrid = dict(day="2025-01-14", status="250 2.1.5 Recipient OK")
    assert records == [
        # Behind the FrontEnd; the shadow copy (HARECEIVE) from exhyb02 is no hop.
        sighting(
            3,
            "09:28:50.814000",
            sender="ups01@fabrikam.example",
            sender_ip="192.0.2.51",
            hostname="ups01.fabrikam.example",
            connector="exhyb01\\Default exhyb01",
            direction="inbound",
            server="exhyb01",
            day="2025-01-14",
            **UPS,
        ),
        sighting(5, "09:28:52.001000", **BACKUP, **hybrid),
        # Relayed to Exchange Online: this server is the client, Exchange Online the server.
        sighting(
            6,
            "09:29:05.327000",
            sender="",
            sender_ip="192.0.2.14",
            hostname="EXHYB01",
            connector=O365,
            direction="outbound",
            event="SENDEXTERNAL",
            destination_ip="203.0.113.80",
            tls_auth_level="DomainValidation",
            server="EXHYB01",
            **UPS,
            **hybrid,
        ),
    ]


def test_an_event_id_outside_microsofts_table_is_noted_not_silent():
    _, report = load(HYBRID)
    assert codes(report) == ["unknown-event"]
    note = report.issues[0]
    assert (note.row, note.rejected) == (7, False)
    assert "MODIFYMESSAGE (1 row)" in note.message


def test_every_documented_event_is_decided_with_a_reason():
    assert set(DOCUMENTED_EVENTS) <= set(tracking_log.EVENTS)
    assert set(tracking_log.EVENTS) - set(DOCUMENTED_EVENTS) == {"SENDEXTERNAL"}
    for name, (role, reason) in tracking_log.EVENTS.items():
        assert role in (tracking_log.HOP_IN, tracking_log.HOP_OUT, tracking_log.NO_HOP), name
        assert reason.strip(), name
    assert tracking_log.SEND_EVENTS == {"SEND", "SENDEXTERNAL"}
    assert tracking_log.HOP_EVENTS == {"RECEIVE", "SEND", "SENDEXTERNAL"}


def test_export_csv_with_event_data_as_a_type_name_takes_the_original_client():
    records, report = load(EVENT_DATA)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 4, 0)
    exported = dict(day="2025-01-14", recipient="")
    assert records == [
        # ClientIp is the FrontEnd (exhyb01 itself); OriginalClientIp the device. No hostname
        # is logged for the device here, and the FrontEnd's is not the device's.
        sighting(
            1,
            "10:28:50",
            sender="ups01@fabrikam.example",
            sender_ip="192.0.2.51",
            hostname="",
            connector="exhyb01\\Default exhyb01",
            direction="inbound",
            server="exhyb01",
            **{**UPS, **exported},
        ),
        sighting(3, "10:28:52", **{**BACKUP, **exported}),
        sighting(
            4,
            "10:29:05",
            sender="",
            sender_ip="192.0.2.14",
            hostname="EXHYB01",
            connector=O365,
            direction="outbound",
            event="SENDEXTERNAL",
            destination_ip="203.0.113.80",
            server="EXHYB01",
            **{**UPS, **exported},
        ),
    ]
    assert codes(report) == ["local-time", "recipients-type-name", "eventdata-type-name"]
    assert "the sender of each RECEIVE is its OriginalClientIp" in report.issues[2].message


@pytest.mark.parametrize("path", [RAW, EN_GB, STRING_ARRAY, HYBRID, EVENT_DATA, FREEMAIL])
def test_one_row_chunks_give_the_same_records(path, monkeypatch):
    expected, report = load(path)
    monkeypatch.setattr(tracking_log, "CHUNK_ROWS", 1)
    again, report_again = load(path)
    assert again == expected
    assert report_again.as_dict() == report.as_dict()


def test_recognised_from_content_only():
    for path in (RAW, EN_GB, STRING_ARRAY, HYBRID, EVENT_DATA, FREEMAIL):
        assert identify(take_sample(Source("export.txt", path))).name == "exchange-tracking-log"


def test_custom_data_items_namespaced_keys_and_connector_names():
    parsed = custom_data.parse(
        "S:ProxiedClientIPAddress=2001:db8::7;S:InboundConnectorData=Name=Scan, Büro;"
        "ConnectorType=OnPremises;I:Count=3;"
        "S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=EncryptionOnly;"
    )
    assert parsed.items == (
        ("ProxiedClientIPAddress", "2001:db8::7"),
        ("InboundConnectorData", "Name=Scan, Büro;ConnectorType=OnPremises"),
        ("Count", "3"),
        ("Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel", "EncryptionOnly"),
    )
    assert parsed.get("proxiedclientipaddress") == "2001:db8::7"
    assert parsed.get("EffectiveTlsAuthLevel") == "EncryptionOnly"
    assert parsed.get("TlsAuthLevel") == ""  # a suffix must be a whole key segment
    assert parsed.connector_name("InboundConnectorData") == "Scan, Büro"
    assert parsed.spam == ()


def test_custom_data_spam_agent_sub_fields():
    # Microsoft's documented example value for a message filtered as spam.
    parsed = custom_data.parse(
        "S:SFA=SUM|SFV=SPM|IPV=CAL|SRV=BULK|SFS=470454002|SFS=349001|SCL=9|SCORE=-1|LIST=0|"
        "DI=SN|RD=ftmail.inc.com|H=ftmail.inc.com|CIP=98.129.140.74|SFP=1501|ASF=1|CTRY=US|"
        "CLTCTRY=|LANG=en|LAT=287|LAT=260|LAT=18;"
    )
    assert [parsed.spam_field(k) for k in ("H", "CIP", "PTR", "SFV", "CLTCTRY")] == [
        "ftmail.inc.com",
        "98.129.140.74",
        "",
        "SPM",
        "",
    ]
    assert parsed.spam_field("SFS") == "470454002"  # repeated sub-fields: the first


@pytest.mark.parametrize("text", ["", "   ", None, float("nan"), "no items here"])
def test_custom_data_without_items(text):
    parsed = custom_data.parse(text)
    assert parsed.get("ProxiedClientIPAddress") == "" and parsed.spam_field("H") == ""


def test_custom_data_event_data_pairs():
    parsed = custom_data.parse("{[ProxiedClientIPAddress, 10.0.30.21], [DeliveryPriority, Normal]}")
    assert parsed.items == (
        ("ProxiedClientIPAddress", "10.0.30.21"),
        ("DeliveryPriority", "Normal"),
    )


def test_the_hostname_is_the_one_logged_for_the_chosen_client(tmp_path):
    # A proxied client without ProxiedClientHostname: the FrontEnd's name is not the device's.
    head = RAW.read_text(encoding="utf-8").splitlines()[:5]
    row = (
        "2024-03-15T09:02:00.000Z,10.0.0.10,EX01.contoso.com,10.0.0.10,EX01,"
        "08DC44A1B2C3D110;2024-03-15T09:01:59.900Z;0,EX01\\Default EX01,SMTP,RECEIVE,"
        "41231686041610,<m-9@contoso.com>,,ap@contoso.com,,100,1,,,Scan,scan@contoso.com,"
        "scan@contoso.com,,Originating,,,,S:ProxiedClientIPAddress=192.0.2.77,Email,,"
        "15.02.1544.004"
    )
    path = tmp_path / "MSGTRK2024031509-2.LOG"
    path.write_text("\r\n".join([*head, row]) + "\r\n", encoding="utf-8")
    records, _ = load(path)
    assert [(r["sender_ip"], r["hostname"]) for r in records] == [("192.0.2.77", "")]
