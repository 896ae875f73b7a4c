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
FIELDS = (
    "row",
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
)


def load(name: str):
    data, report = load_one(HERE / name)
    assert report.format == "connector-config"
    assert len(data.observations) == 0 and len(data.sightings) == 0
    frame = data.connectors
    assert set(frame["source"]) == {report.path}
    return [
        dict(zip(FIELDS, r, strict=True)) for r in frame[list(FIELDS)].itertuples(index=False)
    ], report


def test_inbound_export_csv_with_pipe_joined_ips_and_a_type_name():
    rows, report = load("inbound_export_csv.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 2, 1)
    assert rows == [
        {
            "row": 1,
            "name": "Scanner relay",
            "kind": "inbound",
            "connector_type": "OnPremises",
            "enabled": True,
            "sender_ip_ranges": ("10.0.0.5", "10.0.0.0/24", "10.0.1.1-10.0.1.20", "2001:db8::/48"),
            "sender_domains": ("*",),
            "smart_hosts": (),
            "recipient_domains": (),
            "require_tls": False,
            "tls_settings": "",
            "tls_sender_certificate_name": "",
            "auth_mechanism": "",
            "bindings": (),
            "problems": (),
        },
        {
            "row": 2,
            "name": "Partner inbound",
            "kind": "inbound",
            "connector_type": "Partner",
            "enabled": True,
            "sender_ip_ranges": (),
            "sender_domains": ("partner.example",),
            "smart_hosts": (),
            "recipient_domains": (),
            "require_tls": True,
            "tls_settings": "",
            "tls_sender_certificate_name": "mail.partner.example",
            "auth_mechanism": "",
            "bindings": (),
            "problems": (
                "SenderIPAddresses: was exported as the type name "
                "'System.Collections.ArrayList' instead of its values",
            ),
        },
    ]
    assert codes(report) == ["no-name", "unreadable-list"]
    nameless, unreadable = report.issues
    assert (nameless.row, nameless.rejected) == (3, True)
    assert (unreadable.row, unreadable.column, unreadable.rejected) == (
        2,
        "SenderIPAddresses",
        False,
    )
    assert "@{n='SenderIPAddresses';e={$_.SenderIPAddresses -join ';'}}" in unreadable.message
    assert "ConvertTo-Json" in unreadable.message


def test_receive_export_csv_braces_and_multivaluedproperty_type_name():
    rows, report = load("receive_export_csv.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    common = {
        "kind": "receive",
        "connector_type": "FrontendTransport",
        "enabled": True,
        "sender_domains": (),
        "smart_hosts": (),
        "recipient_domains": (),
        "require_tls": False,
        "tls_settings": "",
        "tls_sender_certificate_name": "",
    }
    assert rows == [
        {
            **common,
            "row": 1,
            "name": "Default Frontend EX01",
            "sender_ip_ranges": (
                "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
                "0.0.0.0-255.255.255.255",
            ),
            "auth_mechanism": "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
            "bindings": ("0.0.0.0:25", "[::]:25"),
            "problems": (),
        },
        {
            **common,
            "row": 2,
            "name": "Scanner relay EX01",
            "sender_ip_ranges": (),
            "auth_mechanism": "None",
            "bindings": ("[::]:25", "0.0.0.0:25"),
            "problems": (
                "RemoteIPRanges: was exported as the type name 'Microsoft.Exchange.Data."
                "MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]' instead of its "
                "values",
            ),
        },
    ]
    assert codes(report) == ["unreadable-list"]
    assert report.issues[0].column == "RemoteIPRanges"


def test_outbound_json_array():
    rows, report = load("outbound_array.json")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert [(i.code, i.row, i.message) for i in report.issues] == [
        (
            "disabled-connector",
            2,
            "connector 'Outbound to Contoso on-premises' is disabled "
            "(Enabled: False): it is listed, but Exchange Online routes no mail through it",
        )
    ]
    common = {
        "kind": "outbound",
        "sender_ip_ranges": (),
        "sender_domains": (),
        "require_tls": None,
        "tls_sender_certificate_name": "",
        "auth_mechanism": "",
        "bindings": (),
        "problems": (),
    }
    assert rows == [
        {
            **common,
            "row": 1,
            "name": "To partner",
            "connector_type": "Partner",
            "enabled": True,
            "smart_hosts": ("mx1.partner.example", "[192.0.2.10]"),
            "recipient_domains": ("partner.example", "*.partner.example"),
            "tls_settings": "DomainValidation",
        },
        {
            **common,
            "row": 2,
            "name": "Outbound to Contoso on-premises",
            "connector_type": "OnPremises",
            "enabled": False,
            "smart_hosts": (),
            "recipient_domains": (),
            "tls_settings": "",
        },
    ]


def test_windows_powershell_json_object_utf16_with_value_count_wrapping():
    rows, report = load("receive_ps51.json")
    assert report.encoding == "UTF-16LE (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    problem = (
        "AuthMechanism was exported as the number 1: export with ConvertTo-Json "
        "-EnumsAsStrings (PowerShell 7) or Export-Csv"
    )
    assert rows == [
        {
            "row": 1,
            "name": "Anonymous relay",
            "kind": "receive",
            "connector_type": "FrontendTransport",
            "enabled": True,
            "sender_ip_ranges": ("192.168.10.0/24", "192.168.20.5"),
            "sender_domains": (),
            "smart_hosts": (),
            "recipient_domains": (),
            "require_tls": False,
            "tls_settings": "",
            "tls_sender_certificate_name": "",
            "auth_mechanism": "1",
            "bindings": ("0.0.0.0:25",),
            "problems": (problem,),
        },
    ]
    assert codes(report) == ["enum-as-number"]


@pytest.mark.parametrize(
    "name", sorted(p.name for p in HERE.iterdir() if p.suffix in (".csv", ".json"))
)
def test_every_fixture_is_recognised_as_connector_config(name):
    sample = take_sample(expand_paths([HERE / name])[0][0])
    assert identify(sample) is FORMATS_BY_NAME["connector-config"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a|b", (("a", "b"), None)),
        ("a; b", (("a", "b"), None)),
        ("{a, b}", (("a", "b"), None)),
        ('["a", "b"]', (("a", "b"), None)),
        ('{"value": ["a"], "Count": 1}', (("a",), None)),
        ("", ((), None)),
        ("10.0.0.1-10.0.0.20", (("10.0.0.1-10.0.0.20",), None)),
        (
            "System.Object[]",
            ((), "was exported as the type name 'System.Object[]' instead of its values"),
        ),
        (
            '[{"LowerBound": "10.0.0.1"}]',
            ((), "was exported as nested objects, not a list of values"),
        ),
        ('{"LowerBound": "10.0.0.1"}', ((), "was exported as an object, not a list of values")),
    ],
)
def test_read_multi(text, expected):
    assert read_multi(text) == expected


def test_kind_from_type_line_beats_columns():
    assert (
        kind_of(["Name", "SmartHosts"], "#TYPE Deserialized.Foo.TenantInboundConnector")
        == "inbound"
    )
    assert kind_of(["Name", "RemoteIPRanges", "Bindings"]) == "receive"
    assert kind_of(["Name", "Comment"]) == ""


def test_json_values_keep_their_types_in_the_frame():
    data, _ = load_one(HERE / "outbound_array.json")
    frame = data.connectors
    assert not frame[["name", "kind", "connector_type", "tls_settings"]].isna().any().any()
    assert frame["require_tls"].map(lambda v: v is None).all()
    assert isinstance(frame["smart_hosts"].iloc[0], tuple)
    assert pd.api.types.is_integer_dtype(frame["row"])


def test_select_join_export_with_address_spaces_and_a_disabled_connector():
    data, report = load_one(HERE / "inbound_posh365_select_join.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (5, 5, 0)
    frame = data.connectors.set_index("name")
    assert frame["kind"].unique().tolist() == ["inbound"]
    assert frame["enabled"].to_dict() == {
        "Scanner relay (old)": False,
        "Scanner relay": True,
        "Partner - Woodgrove": True,
        "Partner - Fabrikam": True,
        "Inbound from 6c1d4a8e-3b2f-4e5d-9a0b-1c2d3e4f5a6b": True,
    }
    # "smtp:*;1" is every domain, not the domain "smtp:*" and the domain "1".
    assert frame["sender_domains"].to_dict() == {
        "Scanner relay (old)": ("*",),
        "Scanner relay": ("*",),
        "Partner - Woodgrove": ("woodgrove.example",),
        "Partner - Fabrikam": ("fabrikam.example", "*.fabrikam.example"),
        "Inbound from 6c1d4a8e-3b2f-4e5d-9a0b-1c2d3e4f5a6b": ("*",),
    }
    hybrid = frame.loc["Inbound from 6c1d4a8e-3b2f-4e5d-9a0b-1c2d3e4f5a6b"]
    assert (
        hybrid["restrict_domains_to_certificate"],
        hybrid["require_tls"],
        hybrid["tls_sender_certificate_name"],
    ) == (True, False, "mail.contoso.example")
    assert [(i.code, i.row, i.column, i.message) for i in report.issues] == [
        (
            "disabled-connector",
            1,
            "Enabled",
            "connector 'Scanner relay (old)' is disabled "
            "(Enabled: False): it is listed, but its IP ranges place no message on it",
        )
    ]


def test_json_false_is_a_disabled_connector():
    data, report = load_one(HERE / "inbound_ps7_enabled_false.json")
    frame = data.connectors.set_index("name")
    assert frame["enabled"].to_dict() == {"Mail gateway (standby)": False, "Mail gateway": True}
    assert frame["sender_domains"].tolist() == [("*",), ("*",)]
    assert codes(report) == ["disabled-connector"]


@pytest.mark.parametrize(
    "cell, expected",
    [
        ("smtp:*;1", ("*",)),
        (
            "SMTP:Partner.example;1|smtp:*.partner.example;5",
            ("partner.example", "*.partner.example"),
        ),
        ('["smtp:*;1"]', ("*",)),
        ("{smtp:a.example;1, smtp:b.example;1}", ("a.example", "b.example")),
        ("*.contoso.com", ("*.contoso.com",)),
    ],
)
def test_sender_domains_in_address_space_form(cell, expected):
    from o365tls.importers.connector_config import sender_domains

    assert sender_domains(read_multi(cell)[0]) == expected


def test_the_book_places_by_ip_only_on_enabled_connectors_within_their_sender_domains():
    from dataclasses import replace

    from o365tls.analysis.connectors import ConnectorBook

    data, _ = load_one(HERE / "inbound_posh365_select_join.csv")
    book = ConnectorBook.from_frame(data.connectors)
    # The disabled connector's /32 is more specific, and still loses to the enabled /24.
    assert book.for_ip("192.0.2.25").name == "Scanner relay"
    assert book.get("scanner relay (old)").disabled
    assert [c.name for c in book.disabled] == ["Scanner relay (old)"]
    woodgrove, fabrikam = book.all_for_ip("198.51.100.20")
    assert (woodgrove.name, fabrikam.name) == ("Partner - Woodgrove", "Partner - Fabrikam")
    assert not woodgrove.takes_domain("fabrikam.example")
    assert fabrikam.takes_domain("fabrikam.example")
    assert fabrikam.takes_domain("mail.fabrikam.example")
    assert not fabrikam.takes_domain("notfabrikam.example")
    wildcard = replace(fabrikam, sender_domains=("*.fabrikam.example",))
    assert wildcard.takes_domain("fabrikam.example") and wildcard.takes_domain("a.fabrikam.example")
    # A certificate that the sender domains must present means TLS, whatever RequireTls says.
    assert book.get("Inbound from 6c1d4a8e-3b2f-4e5d-9a0b-1c2d3e4f5a6b").forces_tls is True
    assert book.get("Scanner relay").forces_tls is False
    # Identified by certificate alone (no IP ranges): its mail can only have come over TLS.
    by_certificate = replace(
        book.get("Scanner relay"),
        sender_ip_ranges=(),
        tls_sender_certificate_name="relay.contoso.example",
    )
    assert by_certificate.forces_tls is True
