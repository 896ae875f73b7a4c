"""EAC Inbound/Outbound messages (connector) report: percentages and counts become exact message
counts per day, connector and TLS version; every row is used or rejected with its reason."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from o365tls.frames.arrow import largest_remainder
from o365tls.importers import FORMATS_BY_NAME, identify
from o365tls.importers.eac_connector_report import parse_connector
from o365tls.importers.eac_tls import tls_version_of_header
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import expand_paths
from tests.conftest import DATA
from tests.helpers import codes, load_one

HERE = DATA / "eac-connector-report"
FIELDS = (
    "row",
    "timestamp",
    "connector",
    "direction",
    "connector_type",
    "forced_tls",
    "tls",
    "messages",
)


def day(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def records(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame[list(FIELDS)].itertuples(index=False)]


def load(name: str):
    data, report = load_one(HERE / name)
    assert report.format == "eac-connector-report"
    obs = data.observations
    if len(obs):
        assert set(obs["grain"]) == {"day"}
        assert set(obs["source"]) == {report.path}
        assert (obs["sender_ip"] == "").all() and (obs["local_port"] == 0).all()
    return obs, report


def test_percent_signs_bom_and_the_rows_without_a_connector():
    obs, report = load("percent_sign_bom.csv")
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (5, 5, 0)
    assert report.issues == []
    d1, d2 = day("2024-03-01"), day("2024-03-02")
    assert records(obs) == [
        # Volume 7 at 33.33/33.33/33.34: exact counts that add up to 7.
        (1, d1, "Scanner relay", "inbound", "OnPremises", False, "TLS1.0", 2),
        (1, d1, "Scanner relay", "inbound", "OnPremises", False, "TLS1.1", 2),
        (1, d1, "Scanner relay", "inbound", "OnPremises", False, "TLS1.2", 3),
        (2, d1, "", "inbound", "Internet", False, "TLS1.2", 179),
        (2, d1, "", "inbound", "Internet", False, "none", 21),
        (3, d1, "To partner", "outbound", "Partner", True, "TLS1.2", 42),
        # Volume 1 at 50/50: the tie goes to the earlier version in the vocabulary.
        (4, d2, "", "outbound", "Internet", False, "TLS1.2", 1),
        # Row 5 has Volume 0: used, nothing to count.
    ]
    assert report.period_start == d1 and report.period_end == d2


def test_percentage_suffix_and_sep_line():
    obs, report = load("percentage_header_sep.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    d = day("2024-03-15")
    assert records(obs) == [
        # 3 messages at 25/25/0/50: quotas .75/.75/1.5 -> 1 each.
        (1, d, "Copier Hall B", "inbound", "OnPremises", False, "TLS1.0", 1),
        (1, d, "Copier Hall B", "inbound", "OnPremises", False, "TLS1.2", 1),
        (1, d, "Copier Hall B", "inbound", "OnPremises", False, "none", 1),
        (2, d, "To partner", "outbound", "Partner", True, "TLS1.2", 1234),
    ]


def test_counts_tls13_title_line_and_none_text():
    obs, report = load("counts_tls13_title.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 3, 0)
    assert report.issues == []
    d = day("2024-03-01")
    assert records(obs) == [
        (1, d, "Scanner relay", "inbound", "OnPremises", False, "TLS1.0", 2),
        (1, d, "Scanner relay", "inbound", "OnPremises", False, "TLS1.2", 5),
        (2, d, "", "inbound", "Internet", False, "TLS1.2", 1000),
        (2, d, "", "inbound", "Internet", False, "TLS1.3", 197),
        (2, d, "", "inbound", "Internet", False, "none", 3),
    ]


def test_german_headers_semicolons_and_decimal_commas():
    obs, report = load("german_semicolon.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert records(obs) == [
        (1, day("2024-03-01"), "Scanner Empfang", "inbound", "OnPremises", False, "TLS1.0", 2),
        (1, day("2024-03-01"), "Scanner Empfang", "inbound", "OnPremises", False, "TLS1.2", 1),
        (2, day("2024-03-02"), "Drucker Büro", "inbound", "OnPremises", True, "TLS1.2", 5),
    ]


def test_swedish_headers_with_decimal_comma_versions_and_sant_falskt():
    obs, report = load("swedish.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    d = day("2024-03-01")
    # "TLS 1,2" is TLS 1.2, not TLS 1.0 with a stray comma.
    assert records(obs) == [
        (1, d, "Skrivare", "inbound", "OnPremises", False, "TLS1.2", 9),
        (1, d, "Skrivare", "inbound", "OnPremises", False, "none", 1),
        (2, d, "Partner AB", "outbound", "Partner", True, "TLS1.2", 4),
    ]


def test_rows_that_cannot_be_read_are_rejected_with_their_reason():
    obs, report = load("bad_rows.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (5, 1, 4)
    rejected = sorted((i.row, i.code, i.column, i.value) for i in report.issues)
    assert rejected == [
        (1, "tls-sum-mismatch", None, "TLS 1.0=30, TLS 1.1=0, TLS 1.2=10, No TLS=50"),
        (2, "bad-volume", "Volume", "many"),
        (3, "bad-date", "Date", "yesterday"),
        (4, "bad-number", "TLS 1.0", "abc"),
    ]
    assert all(i.rejected for i in report.issues)
    mismatch = next(i for i in report.issues if i.code == "tls-sum-mismatch")
    assert "add up to 90" in mismatch.message and "Volume 10" in mismatch.message
    assert records(obs) == [
        (5, day("2024-03-01"), "App server", "inbound", "OnPremises", False, "TLS1.2", 5)
    ]


def test_an_unknown_tls_column_is_asked_about_not_guessed():
    obs, report = load("unknown_tls_column.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 1, 1)
    assert codes(report) == ["unknown-column", "unmapped-column"]
    question, rejection = report.issues
    assert question.message.startswith("which column is this? 'TLS 1.2 or later'")
    assert (question.row, question.rejected) == (None, False)
    assert (rejection.row, rejection.column, rejection.value) == (2, "TLS 1.2 or later", "40")
    assert records(obs) == [
        (1, day("2024-03-01"), "Scanner relay", "inbound", "OnPremises", False, "TLS1.2", 4)
    ]


def test_headers_it_cannot_map_reject_every_row_and_name_the_headers():
    obs, report = load("unmapped_headers.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 0, 2)
    assert len(obs) == 0
    assert codes(report) == ["missing-column"] * 3
    note = report.issues[0]
    assert note.row is None and not note.rejected
    assert "which column is this?" in note.message
    assert "Connector direction and name, Volume" in note.message
    assert "コネクタ名, メッセージ数" in note.message  # the TLS columns were recognised
    assert [i.row for i in report.issues[1:]] == [1, 2]


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("*.csv")))
def test_every_fixture_is_recognised_as_the_connector_report(name):
    sources, _ = expand_paths([HERE / name])
    fmt = identify(take_sample(sources[0]))
    assert fmt is FORMATS_BY_NAME["eac-connector-report"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Inbound - Scanner relay", ("Scanner relay", "inbound", False)),
        ("Outbound - To partner - EU", ("To partner - EU", "outbound", False)),
        ("outbound: Legacy", ("Legacy", "outbound", False)),
        ("From the internet without a connector", ("", "inbound", True)),
        ("To the internet without a connector", ("", "outbound", True)),
        ("Inbound - From the internet without a connector", ("", "inbound", True)),
        ("Inbound relay", ("Inbound relay", "", False)),
        ("", ("", "", False)),
    ],
)
def test_parse_connector(text, expected):
    assert parse_connector(text) == expected


@pytest.mark.parametrize(
    "header, expected",
    [
        ("TLS 1.0", ("TLS1.0", True)),
        ("TLS 1.2 (percentage)", ("TLS1.2", True)),
        ("TLS 1,2 (procent)", ("TLS1.2", True)),
        ("tls1.3 %", ("TLS1.3", True)),
        ("No TLS", ("none", True)),
        ("Kein TLS (Prozentsatz)", ("none", True)),
        ("Inget TLS", ("none", True)),
        ("SSL 3.0", ("SSL3", True)),
        ("TLS 1.2 or later", (None, True)),
        ("TLS", (None, True)),
        ("Forced TLS?", (None, True)),
        ("Volume", (None, False)),
    ],
)
def test_tls_version_of_header(header, expected):
    assert tls_version_of_header(header) == expected


def test_largest_remainder_exact_cases():
    assert largest_remainder(7, [33.33, 33.33, 33.34]) == [2, 2, 3]
    assert largest_remainder(1, [50, 50]) == [1, 0]
    assert largest_remainder(2, [0.0, 50.0, 0.0, 50.0]) == [0, 1, 0, 1]
    assert largest_remainder(3, [25, 25, 0, 50]) == [1, 1, 0, 1]
    assert largest_remainder(10, [99.99, 0.01]) == [10, 0]
    assert largest_remainder(0, [0, 0]) == [0, 0]
    assert largest_remainder(5, [1, 1, 1]) == [2, 2, 1]
    with pytest.raises(ValueError):
        largest_remainder(3, [0, 0])
    with pytest.raises(ValueError):
        largest_remainder(3, [-1, 101])
    with pytest.raises(ValueError):
        largest_remainder(3, [float("nan"), 100])


@given(
    st.integers(0, 10**7),
    st.lists(st.decimals(0, 100, places=2, allow_nan=False), min_size=1, max_size=7).filter(
        lambda xs: sum(xs) > 0
    ),
)
def test_largest_remainder_adds_up_and_stays_within_one_of_the_quota(total, shares):
    floats = [float(s) for s in shares]
    counts = largest_remainder(total, floats)
    assert sum(counts) == total
    weight = sum(shares)
    for count, share in zip(counts, shares, strict=True):
        quota = total * share / weight
        assert quota - 1 < count < quota + 1


def test_an_unknown_true_false_column_does_not_reject_rows():
    # A Forced TLS header in a language without synonyms is asked about, but True/False in it
    # is not a message count; a number or other text in an unknown TLS column is.
    from o365tls.importers.eac_tls import breakdown, find_tls_columns
    from o365tls.quality import FileReport

    raw = pd.DataFrame({"TLS 1.2": ["100", "100", "100"], "TLS forzado?": ["Verdadero", "x", "1"]})
    columns = find_tls_columns(raw.columns)
    assert columns.unknown == ("TLS forzado?",)
    report = FileReport("memory")
    split = breakdown(
        raw,
        columns,
        pd.Series([3, 3, 3]),
        pd.Series([True] * 3),
        pd.Series([1, 2, 3]),
        report,
        "Volume",
    )
    assert split == [[3], None, None]
    assert [(i.row, i.code, i.value) for i in report.issues] == [
        (2, "unmapped-column", "x"),
        (3, "unmapped-column", "1"),
    ]
