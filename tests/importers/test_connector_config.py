"""Connector configuration exports (Get-InboundConnector / Get-OutboundConnector /
Get-ReceiveConnector, as Export-Csv or ConvertTo-Json): one record per connector, multi-valued
properties split, unreadable ones reported with the fix instead of guessed."""

from __future__ import annotations

import pandas as pd
import pytest

from o365tls.importers import FORMATS_BY_NAME, identify
from o365tls.importers.connector_config import kind_of, read_multi
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import expand_paths
from tests.conftest import DATA
from tests.helpers import codes, load_one

HERE = DATA / "connector-config"
FIELDS = ("row", "name", "kind", "connector_type", "enabled", "sender_ip_ranges",
          "sender_domains", "smart_hosts", "recipient_domains", "require_tls", "tls_settings",
          "tls_sender_certificate_name", "auth_mechanism", "bindings", "problems")


def load(name: str):
    data, report = load_one(HERE / name)
    assert report.format == "connector-config"
    assert len(data.observations) == 0 and len(data.sightings) == 0
    frame = data.connectors
    assert set(frame["source"]) == {report.path}
    return [dict(zip(FIELDS, r, strict=True))
            for r in frame[list(FIELDS)].itertuples(index=False)], report


def test_inbound_export_csv_with_pipe_joined_ips_and_a_type_name():
    rows, report = load("inbound_export_csv.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 2, 1)
    assert rows == [
        {"row": 1, "name": "Scanner relay", "kind": "inbound", "connector_type": "OnPremises",
         "enabled": True,
         "sender_ip_ranges": ("10.0.0.5", "10.0.0.0/24", "10.0.1.1-10.0.1.20",
                              "2001:db8::/48"),
         "sender_domains": ("*",), "smart_hosts": (), "recipient_domains": (),
         "require_tls": False, "tls_settings": "", "tls_sender_certificate_name": "",
         "auth_mechanism": "", "bindings": (), "problems": ()},
        {"row": 2, "name": "Partner inbound", "kind": "inbound", "connector_type": "Partner",
         "enabled": True, "sender_ip_ranges": (), "sender_domains": ("partner.example",),
         "smart_hosts": (), "recipient_domains": (), "require_tls": True, "tls_settings": "",
         "tls_sender_certificate_name": "mail.partner.example", "auth_mechanism": "",
         "bindings": (),
         "problems": ("SenderIPAddresses: was exported as the type name "
                      "'System.Collections.ArrayList' instead of its values",)},
    ]
    assert codes(report) == ["no-name", "unreadable-list"]
    nameless, unreadable = report.issues
    assert (nameless.row, nameless.rejected) == (3, True)
    assert (unreadable.row, unreadable.column, unreadable.rejected) == \
        (2, "SenderIPAddresses", False)
    assert "@{n='SenderIPAddresses';e={$_.SenderIPAddresses -join ';'}}" in unreadable.message
    assert "ConvertTo-Json" in unreadable.message


def test_receive_export_csv_braces_and_multivaluedproperty_type_name():
    rows, report = load("receive_export_csv.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    common = {"kind": "receive", "connector_type": "FrontendTransport", "enabled": True,
              "sender_domains": (), "smart_hosts": (), "recipient_domains": (),
              "require_tls": False, "tls_settings": "", "tls_sender_certificate_name": ""}
    assert rows == [
        {**common, "row": 1, "name": "Default Frontend EX01",
         "sender_ip_ranges": ("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                              "0.0.0.0-255.255.255.255"),
         "auth_mechanism": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
         "bindings": ("0.0.0.0:25", "[::]:25"), "problems": ()},
        {**common, "row": 2, "name": "Scanner relay EX01", "sender_ip_ranges": (),
         "auth_mechanism": "None", "bindings": ("[::]:25", "0.0.0.0:25"),
         "problems": ("RemoteIPRanges: was exported as the type name 'Microsoft.Exchange.Data."
                      "MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]' instead of its "
                      "values",)},
    ]
    assert codes(report) == ["unreadable-list"]
    assert report.issues[0].column == "RemoteIPRanges"


def test_outbound_json_array():
    rows, report = load("outbound_array.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert report.issues == []
    common = {"kind": "outbound", "sender_ip_ranges": (), "sender_domains": (),
              "require_tls": None, "tls_sender_certificate_name": "", "auth_mechanism": "",
              "bindings": (), "problems": ()}
    assert rows == [
        {**common, "row": 1, "name": "To partner", "connector_type": "Partner",
         "enabled": True, "smart_hosts": ("mx1.partner.example", "[192.0.2.10]"),
         "recipient_domains": ("partner.example", "*.partner.example"),
         "tls_settings": "DomainValidation"},
        {**common, "row": 2, "name": "Outbound to Contoso on-premises",
         "connector_type": "OnPremises", "enabled": False, "smart_hosts": (),
         "recipient_domains": (), "tls_settings": ""},
    ]


def test_windows_powershell_json_object_utf16_with_value_count_wrapping():
    rows, report = load("receive_ps51.json")
    assert report.encoding == "UTF-16LE (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    problem = ("AuthMechanism was exported as the number 1: export with ConvertTo-Json "
               "-EnumsAsStrings (PowerShell 7) or Export-Csv")
    assert rows == [
        {"row": 1, "name": "Anonymous relay", "kind": "receive",
         "connector_type": "FrontendTransport", "enabled": True,
         "sender_ip_ranges": ("192.168.10.0/24", "192.168.20.5"), "sender_domains": (),
         "smart_hosts": (), "recipient_domains": (), "require_tls": False,
         "tls_settings": "", "tls_sender_certificate_name": "", "auth_mechanism": "1",
         "bindings": ("0.0.0.0:25",), "problems": (problem,)},
    ]
    assert codes(report) == ["enum-as-number"]


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.iterdir()
                                        if p.suffix in (".csv", ".json")))
def test_every_fixture_is_recognised_as_connector_config(name):
    sample = take_sample(expand_paths([HERE / name])[0][0])
    assert identify(sample) is FORMATS_BY_NAME["connector-config"]


@pytest.mark.parametrize("text, expected", [
    ("a|b", (("a", "b"), None)),
    ("a; b", (("a", "b"), None)),
    ("{a, b}", (("a", "b"), None)),
    ('["a", "b"]', (("a", "b"), None)),
    ('{"value": ["a"], "Count": 1}', (("a",), None)),
    ("", ((), None)),
    ("10.0.0.1-10.0.0.20", (("10.0.0.1-10.0.0.20",), None)),
    ("System.Object[]",
     ((), "was exported as the type name 'System.Object[]' instead of its values")),
    ('[{"LowerBound": "10.0.0.1"}]',
     ((), "was exported as nested objects, not a list of values")),
    ('{"LowerBound": "10.0.0.1"}', ((), "was exported as an object, not a list of values")),
])
def test_read_multi(text, expected):
    assert read_multi(text) == expected


def test_kind_from_type_line_beats_columns():
    assert kind_of(["Name", "SmartHosts"], "#TYPE Deserialized.Foo.TenantInboundConnector") \
        == "inbound"
    assert kind_of(["Name", "RemoteIPRanges", "Bindings"]) == "receive"
    assert kind_of(["Name", "Comment"]) == ""


def test_json_values_keep_their_types_in_the_frame():
    data, _ = load_one(HERE / "outbound_array.json")
    frame = data.connectors
    assert not frame[["name", "kind", "connector_type", "tls_settings"]].isna().any().any()
    assert frame["require_tls"].map(lambda v: v is None).all()
    assert isinstance(frame["smart_hosts"].iloc[0], tuple)
    assert pd.api.types.is_integer_dtype(frame["row"])
