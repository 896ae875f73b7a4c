"""The TLS normalizer maps every known spelling and never raises on arbitrary text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from o365tls.tls import LEGACY_VERSIONS, TLS_VERSIONS, is_at_risk, normalize_tls

KNOWN = {
    # EAC report columns
    "TLS 1.0": "TLS1.0",
    "TLS 1.1": "TLS1.1",
    "TLS 1.2": "TLS1.2",
    "TLS 1.3": "TLS1.3",
    "No TLS": "none",
    "No Tls": "none",
    "no tls": "none",
    "None": "none",
    "none": "none",
    # cmdlet / filter spellings
    "TLS1.2": "TLS1.2",
    "TLS1.3": "TLS1.3",
    "Tls12": "TLS1.2",
    "Tls11": "TLS1.1",
    "Tls10": "TLS1.0",
    "Tls13": "TLS1.3",
    "TLS1_2": "TLS1.2",
    "TLS1_0": "TLS1.0",
    "TLSv1.2": "TLS1.2",
    "TLSv1": "TLS1.0",
    "TLS1": "TLS1.0",
    "tls1.1": "TLS1.1",
    "TLS 1,2": "TLS1.2",
    "TLS 1,0": "TLS1.0",
    # protocol logs, both spellings
    "SP_PROT_TLS1_0_SERVER": "TLS1.0",
    "SP_PROT_TLS1_1_SERVER": "TLS1.1",
    "SP_PROT_TLS1_2_SERVER": "TLS1.2",
    "SP_PROT_TLS1_3_SERVER": "TLS1.3",
    "SP_PROT_TLS1_0_CLIENT": "TLS1.0",
    "SP_PROT_TLS1_2_CLIENT": "TLS1.2",
    "SP_PROT-TLS1_0_CLIENT": "TLS1.0",
    "SP_PROT-TLS1_1_CLIENT": "TLS1.1",
    "SP_PROT_SSL3_SERVER": "SSL3",
    "SP_PROT_SSL3_CLIENT": "SSL3",
    "SSL3": "SSL3",
    "SSLv3": "SSL3",
    "SSL 3.0": "SSL3",
    "TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded using bulk encryption algorithm "
    "CALG_AES_256 with strength 256 bits": "TLS1.2",
    # message trace detail
    "Message received by: AM6PR04MB1234.eurprd04.prod.outlook.com using TLS1.2 with AES256": "TLS1.2",
    "using TLS1.0 with AES256": "TLS1.0",
    # nothing said
    "": "unknown",
    "   ": "unknown",
    "n/a": "unknown",
    "Message received by: X": "unknown",
    # the canonical values map to themselves
    **{v: v for v in TLS_VERSIONS},
}


@pytest.mark.parametrize("spelling, expected", sorted(KNOWN.items()))
def test_known_spellings(spelling, expected):
    assert normalize_tls(spelling) == expected


def test_missing_values_are_unknown_not_none():
    assert normalize_tls(None) == "unknown"
    assert normalize_tls(math.nan) == "unknown"


def test_at_risk_is_legacy_or_plaintext():
    assert {v for v in TLS_VERSIONS if is_at_risk(v)} == {*LEGACY_VERSIONS, "none"}


@given(st.text())
def test_never_raises_and_stays_in_the_vocabulary(text):
    assert normalize_tls(text) in TLS_VERSIONS


@given(st.one_of(st.integers(), st.floats(), st.binary(), st.booleans(), st.none()))
def test_any_python_value(value):
    assert normalize_tls(value) in TLS_VERSIONS
