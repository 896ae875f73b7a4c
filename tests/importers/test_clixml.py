"""Export-Clixml files (PowerShell's object serialization, UTF-16 with BOM): connectors and
message tracking events become the same records as their CSV/JSON exports; other object types
are rejected by name; a document type refuses the file."""

from __future__ import annotations

import codecs
import shutil

import pandas as pd

import o365tls
from o365tls.importers import identify
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import expand_paths
from tests.conftest import DATA
from tests.helpers import codes, load_one

HERE = DATA / "clixml"
FIELDS = [
    "name",
    "kind",
    "connector_type",
    "enabled",
    "sender_ip_ranges",
    "sender_domains",
    "smart_hosts",
    "recipient_domains",
    "require_tls",
    "tls_settings",
    "tls_sender_certificate_name",
    "auth_mechanism",
    "bindings",
    "problems",
]


def load(name: str):
    data, report = load_one(HERE / name)
    assert report.format == "clixml", report.as_dict()
    return data, report


def test_inbound_connectors_with_real_lists_nil_and_back_references():
    data, report = load("inbound_connectors.xml")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    rows = data.connectors[FIELDS].to_dict("records")
    assert rows[0] == {
        "name": "Inbound from on-premises",
        "kind": "inbound",
        "connector_type": "OnPremises",
        "enabled": True,
        "sender_ip_ranges": ("198.51.100.30", "198.51.100.31"),
        "sender_domains": ("*",),
        "smart_hosts": (),
        "recipient_domains": (),
        "require_tls": True,
        "tls_settings": "",
        "tls_sender_certificate_name": "mail.contoso.example",
        "auth_mechanism": "",
        "bindings": (),
        "problems": (),
    }
    assert rows[1]["name"] == "Partner inbound"
    assert rows[1]["sender_ip_ranges"] == () and rows[1]["tls_sender_certificate_name"] == ""
    assert rows[1]["sender_domains"] == ("partner.example",)


def test_the_sample_connectors_read_the_same_from_clixml_as_from_json():
    clixml, _ = load("sample_inbound_connectors.xml")
    json_data, _ = load_one(
        DATA.parent.parent / "sample_reports" / "exo" / "inbound-connectors.json"
    )
    assert clixml.connectors[FIELDS].to_dict("records") == json_data.connectors[FIELDS].to_dict(
        "records"
    )


def test_outbound_and_receive_connectors_and_an_unknown_type_rejected_by_name():
    data, report = load("mixed_objects.xml")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 2, 1)
    rows = data.connectors[FIELDS].to_dict("records")
    assert [(r["name"], r["kind"]) for r in rows] == [
        ("Outbound to on-premises", "outbound"),
        ("Scanner relay", "receive"),
    ]
    assert rows[0]["smart_hosts"] == ("mail.contoso.example",)
    assert rows[1]["sender_ip_ranges"] == ("192.0.2.0/24", "192.0.2.200-192.0.2.220")
    assert rows[1]["bindings"] == ("0.0.0.0:25", "[::]:25")
    rejected = [i for i in report.issues if i.rejected]
    assert [(i.code, i.row) for i in rejected] == [("unknown-type", 3)]
    assert (
        "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox" in rejected[0].message
    )


def test_tracking_events_become_sightings_with_eventdata_and_exact_times():
    data, report = load("tracking_events.xml")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 3, 0)
    frame = data.sightings
    assert list(frame["event"]) == ["RECEIVE", "SEND", "SEND"]
    receive = frame.iloc[0]
    # EventData's ProxiedClientIPAddress is the real client behind the FrontEnd.
    assert receive["sender_ip"] == "192.0.2.45" and receive["hostname"] == "KMC258-0001"
    # <DT> carries its offset: 09:12:44+01:00 is 08:12:44 UTC, no local-time guess.
    assert receive["timestamp"] == pd.Timestamp("2026-12-01 08:12:44.1234567", tz="UTC")
    assert "local-time" not in codes(report)
    send = frame.iloc[1:]
    assert list(send["recipient_address"]) == ["someone@fabrikam.example", "other@fabrikam.example"]
    assert set(send["tls_auth_level"]) == {"EncryptionOnly"}
    assert set(send["destination_ip"]) == {"203.0.113.25"}
    assert receive["message_id"] == "KMC258-0001@scanner01.corp.contoso.example"


def test_hostile_values_stay_inert_text():
    data, report = load("hostile_values.xml")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    assert data.connectors["name"].iloc[0] == '=HYPERLINK("http://evil.example","x")'


def test_control_character_escapes_are_undone_and_lone_surrogates_replaced():
    from o365tls.importers.clixml import _ESCAPE, _char

    text = "bell_x0007_ esc_x001B_ surrogate_xD800_"
    assert (
        _ESCAPE.sub(lambda m: _char(int(m.group(1), 16)), text)
        == "bell\x07 esc\x1b surrogate\ufffd"
    )


def test_a_document_type_refuses_the_file_without_expanding_entities():
    data, report = load_one(HERE / "hostile_doctype.xml")
    assert report.format == "clixml" and report.fatal
    assert codes(report) == ["doctype"]
    assert len(data.connectors) == 0


def test_a_truncated_file_keeps_the_objects_before_the_damage(tmp_path):
    text = (HERE / "inbound_connectors.xml").read_bytes().decode("utf-16")
    cut = text[: text.index("Partner inbound") + 5]
    path = tmp_path / "cut.xml"
    path.write_bytes(codecs.BOM_UTF16_LE + cut.encode("utf-16-le"))
    data, report = load_one(path)
    assert report.format == "clixml"
    assert list(data.connectors["name"]) == ["Inbound from on-premises"]
    assert "bad-xml" in codes(report)


def test_detected_from_content_whatever_the_name(tmp_path):
    for path in HERE.glob("*.xml"):
        renamed = tmp_path / "export.csv"
        shutil.copyfile(path, renamed)
        assert identify(take_sample(expand_paths([renamed])[0][0])).name == "clixml", path.name


def test_formats_lists_both_new_formats():
    names = [f.name for f in o365tls.importers.FORMATS]
    assert "clixml" in names and "onprem-server-report" in names
