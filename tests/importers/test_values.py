"""Value parsers shared by the importers, against plain-Python statements of what they do."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.importers.values import domain_part

TEXT = st.one_of(st.none(), st.text(alphabet="aB@<> \n\r.é", max_size=8))


def _after_at(text) -> str:
    text = "" if text is None else text
    return text.split("@", 1)[1].lower() if "@" in text else ""


@settings(max_examples=300, deadline=None)
@given(values=st.lists(TEXT, max_size=30), repeat=st.booleans())
def test_domain_part_is_the_lower_cased_text_after_the_first_at(values, repeat):
    # Repeated 100 times, the values go through the once-per-distinct path.
    values = values * 100 if repeat else values
    series = pd.Series(values, dtype="str", index=range(5, 5 + len(values)))
    got = domain_part(series)
    assert got.index.equals(series.index)
    assert got.tolist() == [_after_at(v) for v in values]
