"""The placement rules: which direction and connector a message gets, on small code arrays."""

from __future__ import annotations

import numpy as np
import pandas as pd

from o365tls.analysis import placement
from o365tls.analysis.connectors import ConnectorBook
from o365tls.inputs.reducer import Codebook, Direction


def book(*rows: dict) -> ConnectorBook:
    defaults = {
        "kind": "inbound",
        "connector_type": "OnPremises",
        "enabled": True,
        "require_tls": False,
        "sender_ip_ranges": (),
        "sender_domains": (),
    }
    return ConnectorBook.from_frame(pd.DataFrame([defaults | row for row in rows]))


CONNECTORS = book(
    {"name": "Scanners", "sender_ip_ranges": ("192.0.2.0/24",)},
    {"name": "App relay", "sender_ip_ranges": ("192.0.2.25",), "sender_domains": ("contoso.com",)},
    {"name": "Old relay", "sender_ip_ranges": ("198.51.100.0/24",), "enabled": False},
    {
        "name": "Partner",
        "connector_type": "Partner",
        "require_tls": True,
        "sender_ip_ranges": ("203.0.113.0/24",),
        "sender_domains": ("*.partner.example",),
    },
)


def test_an_export_s_direction_stands_and_the_guess_needs_a_tenant_sender_and_outside_mail():
    senders = ["", "a@contoso.com", "b@elsewhere.example"]
    tenant = placement.per_code(senders, lambda v: v.endswith("@contoso.com"))
    direction = np.array([Direction.INBOUND, 0, 0, 0, Direction.OUTBOUND], dtype=np.int8)
    sender = np.array([1, 1, 1, 2, 2])
    to_tenant = np.array([False, False, True, False, True])
    placement.guess_directions(direction, sender, tenant, to_tenant)
    assert direction.tolist() == [
        Direction.INBOUND,
        Direction.OUTBOUND,
        Direction.INBOUND,
        Direction.INBOUND,
        Direction.OUTBOUND,
    ]


def test_names_nothing_knows_are_cleared_on_exchange_online_hops_only():
    names = ["", "Scanners", "Default Frontend EXO", "From report"]
    conn = np.array([1, 2, 3, 2, 0])
    exo = np.array([True, True, True, False, True])
    placement.drop_unknown_connectors(conn, exo, names, CONNECTORS, {"From Report"})
    assert conn.tolist() == [1, 0, 3, 2, 0]
    untouched = np.array([2])
    placement.drop_unknown_connectors(untouched, np.array([True]), names, ConnectorBook(), set())
    assert untouched.tolist() == [2]


def test_sender_ip_ranges_most_specific_first_within_sender_domains():
    ips = ["", "192.0.2.25", "192.0.2.9", "198.51.100.7", "203.0.113.5", "not an ip"]
    senders = [
        "",
        "app@contoso.com",
        "scan@fabrikam.example",
        "x@mail.partner.example",
        "y@partner.example.net",
    ]
    ip = np.array([1, 1, 2, 3, 4, 4, 5, 1])
    sender = np.array([1, 2, 2, 2, 3, 4, 1, 1])
    loose = np.array([True] * 7 + [False])
    names, types = Codebook(), Codebook()
    conn = np.zeros(len(ip), dtype=np.int16)
    conn_type = np.zeros(len(ip), dtype=np.int16)
    placement.place_by_ip_range(
        conn, conn_type, loose, ip, sender, ips, senders, CONNECTORS, names, types
    )
    # The /32 takes its own domain's mail; another domain's mail from that IP falls through
    # to the /24; a disabled connector, a partner outside its scope and a bad IP place none.
    assert [names.values[c] for c in conn] == [
        "App relay",
        "Scanners",
        "Scanners",
        "",
        "Partner",
        "",
        "",
        "",
    ]
    assert [types.values[c] for c in conn_type] == [
        "OnPremises",
        "OnPremises",
        "OnPremises",
        "",
        "Partner",
        "",
        "",
        "",
    ]


def test_connector_facts_per_distinct_name_are_those_of_each_record():
    obs = pd.DataFrame(
        {
            "connector": pd.Series(
                ["Partner", "partner", "", "Scanners", "Unknown", None], dtype="str"
            ),
            "connector_type": pd.Series(["", "Custom", "", "", "", ""], dtype="str"),
            "forced_tls": pd.Series([None, None, None, False, None, None], dtype=object),
        }
    )
    out = placement.with_connector_facts(obs, CONNECTORS)
    assert out["connector_type"].tolist() == ["Partner", "Custom", "", "OnPremises", "", ""]
    assert out["forced_tls"].tolist() == [True, True, None, False, None, None]
    assert placement.with_connector_facts(obs, ConnectorBook()) is obs
