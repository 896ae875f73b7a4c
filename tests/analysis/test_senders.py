"""Senders finds the same sighted messages as a mask over the whole message table (the
per-flow expression it replaces): case-insensitive address, exact IP, either side."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.analysis.flows import Senders, same_text

ADDRESSES = ["", "Scanner@Contoso.com", "scanner@contoso.com", "erp@contoso.com", None]
IPS = ["", "10.0.0.5", "203.0.113.9", None]
MESSAGE = st.tuples(
    st.sampled_from(["exo", "on-prem", "on-prem-send"]),
    st.sampled_from(ADDRESSES),
    st.sampled_from(IPS),
)
QUERY = st.tuples(
    st.booleans(),
    st.sampled_from(["", "SCANNER@contoso.com", "erp@contoso.com", "nobody@x", None]),
    st.sampled_from(["", "10.0.0.5", "198.51.100.1", None]),
)


def _messages(rows):
    realm, address, ip = zip(*rows, strict=True) if rows else ((), (), ())
    return pd.DataFrame(
        {
            "realm": pd.Categorical(realm, categories=["exo", "on-prem", "on-prem-send"]),
            "sender_address": pd.Categorical(address),
            "sender_ip": pd.Categorical(ip),
            "n": range(len(rows)),
        },
        index=[f"m{i}" for i in range(len(rows))],
    )


def _masked(msgs, exo, address, ip):
    if msgs.empty or (address is None and ip is None):
        return msgs.iloc[0:0]
    realm = msgs["realm"] == "exo"
    mask = realm if exo else ~realm
    if address is not None:
        mask &= same_text(msgs["sender_address"], address)
    if ip is not None:
        mask &= msgs["sender_ip"] == ip
    return msgs[mask]


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(MESSAGE, max_size=30), queries=st.lists(QUERY, min_size=1, max_size=6))
@pytest.mark.slow
def test_the_index_finds_what_the_mask_finds(rows, queries):
    msgs = _messages(rows)
    senders = Senders(msgs)
    for exo, address, ip in queries:
        pd.testing.assert_frame_equal(senders.of(exo, address, ip), _masked(msgs, exo, address, ip))


def test_a_flow_with_neither_address_nor_ip_shares_nobody():
    msgs = _messages([("exo", "", ""), ("exo", "a@b", "10.0.0.5")])
    assert Senders(msgs).same_sender("exo", "", "").empty
    assert len(Senders(msgs).same_sender("exo", "A@B", "")) == 1
    assert len(Senders(msgs).same_sender("on-prem", "a@b", "")) == 0
