"""Value parsers shared by the importers, against plain-Python statements of what they do."""

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.frames.arrow import domain_part

TEXT = st.one_of(st.none(), st.text(alphabet="aB@<> \n\r.é", max_size=8))


def _after_at(text) -> str:
    text = "" if text is None else text
    return text.split("@", 1)[1].lower() if "@" in text else ""


@settings(max_examples=300, deadline=None)
@given(values=st.lists(TEXT, max_size=30), repeat=st.booleans())
@pytest.mark.slow
def test_domain_part_is_the_lower_cased_text_after_the_first_at(values, repeat):
    # Repeated 100 times, the values go through the once-per-distinct path.
    values = values * 100 if repeat else values
    series = pd.Series(values, dtype="str", index=range(5, 5 + len(values)))
    got = domain_part(series)
    assert got.index.equals(series.index)
    assert got.tolist() == [_after_at(v) for v in values]


def _strptime_checked_in_pandas(text: pd.Series, fmt: str) -> pd.Series:
    """_strptime as it was: the year-1/9999 bounds checked on the pandas column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from o365tls.frames import arrow as values

    array = values.arrow_text(text)
    parsed = pc.strptime(array, format=fmt, unit="s", error_is_null=True)
    written = pc.extract_regex(array, r"^\s*(?P<f0>\d{1,9})\D+(?P<f1>\d{1,9})\D+(?P<f2>\d{1,9})")
    numeric = [f for f in re.findall(r"%([a-zA-Z])", fmt) if f in "dmYHIMS"]
    day = pc.cast(pc.struct_field(written, [numeric.index("d")]), pa.int64())
    parsed = pc.if_else(pc.equal(pc.day(parsed), day), parsed, pa.scalar(None, parsed.type))
    stamps = pd.Series(parsed.to_pandas().to_numpy(), index=text.index).dt.tz_localize("UTC")
    stamps = stamps.where((stamps >= values._FIRST) & (stamps <= values._LAST))
    return stamps.astype("datetime64[ns, UTC]")


DATES = st.tuples(
    st.integers(1, 13),
    st.integers(1, 32),
    st.sampled_from([1, 1677, 1678, 2024, 2262, 2263, 9999]),
    st.integers(0, 23),
    st.integers(0, 59),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(DATES, min_size=1, max_size=40), st.integers(0, 1200))
def test_strptime_bounds_checked_in_arrow_are_the_pandas_ones(dates, repeat):
    """Dates outside pandas' nanosecond range (year 1, 9999, the edges of 1677 and 2262) are
    no time, whether the values repeat (parsed once per distinct text) or not."""
    from o365tls.frames.arrow import _strptime

    fmt = "%m/%d/%Y %H:%M:%S"
    texts = [f"{m:02d}/{d:02d}/{y:04d} {h:02d}:{mi:02d}:00" for m, d, y, h, mi in dates]
    texts += [
        "04/11/2262 23:47:16",
        "04/11/2262 23:47:17",
        "09/21/1677 00:12:43",
        "09/21/1677 00:12:44",
    ]
    text = pd.Series((texts * (1 + repeat // len(texts)))[: max(len(texts), repeat)], dtype="str")
    pd.testing.assert_series_equal(_strptime(text, fmt), _strptime_checked_in_pandas(text, fmt))


def test_strptime_keeps_the_last_second_of_the_nanosecond_range():
    from o365tls.frames.arrow import _strptime

    text = pd.Series(
        [
            "04/11/2262 23:47:16",
            "04/11/2262 23:47:17",
            "09/21/1677 00:12:43",
            "09/21/1677 00:12:44",
            "01/01/0001 00:00:00",
        ],
        dtype="str",
    )
    got = _strptime(text, "%m/%d/%Y %H:%M:%S")
    assert got.isna().tolist() == [False, True, True, False, True]


STAMPS = st.tuples(
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from([2023, 2024]),
    st.integers(1, 12),
    st.integers(0, 59),
    st.sampled_from(["AM", "PM"]),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(STAMPS, min_size=1, max_size=30),
    st.sampled_from(["", " ", "\t"]),
    st.sampled_from([None, "en-US", "en-GB", "de-DE"]),
    st.integers(1000, 1500),
    st.sampled_from(["1/2/2024 3:04:05 PM", "", "13/45/2024 1:00:00 PM", "2024-01-02T03:04:05Z"]),
)
@pytest.mark.slow
def test_parse_datetimes_common_case_is_the_general_path(stamps, pad, culture, size, odd):
    """Long columns whose values all parse in the first format tried take a shortcut (text
    stripped and parsed per distinct value); the timestamps and culture are the general
    path's, and so are they where the shortcut does not apply (an empty or unreadable value,
    ISO first)."""
    from o365tls.frames import arrow as values

    texts = [f"{pad}{m}/{d}/{y} {h}:{mi:02d}:07 {p}{pad}" for m, d, y, h, mi, p in stamps]
    texts = (texts * (1 + size // len(texts)))[:size]
    for first in (False, True):
        column = [odd, *texts] if first else [*texts, odd]
        series = pd.Series(column, dtype="str", index=range(3, 3 + len(column)))
        got = values.parse_datetimes(series, culture)
        if odd.endswith("05 PM") and culture in (None, "en-US"):
            assert values._parse_common(series, culture) is not None
        common = values._parse_common
        try:
            values._parse_common = lambda *_: None
            want = values.parse_datetimes(series, culture)
        finally:
            values._parse_common = common
        pd.testing.assert_series_equal(got[0], want[0], check_exact=True)
        assert got[1] == want[1]
