"""SightingReducer's per-distinct message-id work, held to the per-row computation it
replaced: the same keys and the same Message-ID host codes, in the same code-book order."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.frames.arrow import domain_part
from o365tls.inputs.reducer import Codebook, _MessageIds, _row_keys, message_keys

IDS = st.lists(
    st.sampled_from(
        [
            "",
            "<a@x.example>",
            "<b@Y.example> ",
            "c@x.example",
            "d",
            "<e@z.example>",
            "f@",
            " <g@x.example>",
            "<h\u00e9\U0001f600@x>",
            "i\u2028@\u00c9.example",
        ]
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(IDS, st.data())
@pytest.mark.slow
def test_keys_and_hosts_per_distinct_id_are_the_per_row_ones(ids, data):
    mid = pd.Series(ids, dtype="str")
    sources = pd.Series(["a.csv"] * len(ids), dtype="str")
    rows = pd.Series(np.arange(1, len(ids) + 1), dtype="int64")
    encoded = _MessageIds(mid)
    # Per row: pandas' hash of each id, the (file, row) key where there is none.
    expected = pd.util.hash_pandas_object(mid.astype(str), index=False).to_numpy(
        np.uint64, copy=True
    )
    missing = (mid == "").to_numpy()
    expected[missing] = _row_keys(sources[missing], rows[missing])
    assert encoded.keys(sources, rows).tolist() == expected.tolist()
    assert message_keys(mid, sources, rows).tolist() == expected.tolist()
    # Kept rows: the first of every key, and any others.
    first = np.flatnonzero(~pd.Series(expected).duplicated().to_numpy())
    extra = data.draw(st.lists(st.integers(0, max(len(ids) - 1, 0)), max_size=10)) if ids else []
    keep = np.unique(np.concatenate([first, np.array(extra, dtype=np.int64)])).astype(np.int64)
    old, new = Codebook(), Codebook()
    old.encode(pd.Series(["x.example"], dtype="str"))  # a book that already holds a host
    new.encode(pd.Series(["x.example"], dtype="str"))
    want = old.encode(domain_part(mid.take(keep)).str.strip("<> "))
    assert encoded.hosts(new, keep).tolist() == want.tolist()
    assert new.values == old.values


def test_keys_of_a_known_id_and_of_rows_without_one():
    mid = pd.Series(["<a@x.example>", "", "<a@x.example>"], dtype="str")
    keys = _MessageIds(mid).keys(
        pd.Series(["f.csv"] * 3, dtype="str"), pd.Series([1, 2, 3], dtype="int64")
    )
    assert keys[0] == keys[2] != keys[1]
    assert keys[0] == pd.util.hash_pandas_object(pd.Series(["<a@x.example>"]), index=False).iloc[0]


ADDRESSES = st.lists(
    st.sampled_from(
        ["", "a@x.example", "b@X.example", "c@y.example", "d", "e@", "f@z.example", "g@y.example"]
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(ADDRESSES)
@pytest.mark.slow
def test_domain_codes_per_distinct_address_are_the_per_row_ones(addresses):
    from o365tls.inputs.reducer import _domain_codes

    values = pd.Series(addresses, dtype="str")
    old, new = Codebook(), Codebook()
    for book in (old, new):
        book.encode(pd.Series(["y.example"], dtype="str"))
    want = old.encode(domain_part(values))
    assert _domain_codes(new, values).tolist() == want.tolist()
    assert new.values == old.values


TEXTS = st.lists(st.sampled_from(["", "a", "B", "inbound", "outbound"]), min_size=1, max_size=40)


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.booleans(), st.data())
@pytest.mark.slow
def test_kept_codes_of_one_value_columns_are_the_per_row_ones(texts, same, data):
    """A column holding one value is coded without taking its rows: the codes and the book's
    growth are those of coding the kept rows."""
    from o365tls.frames.arrow import map_unique
    from o365tls.inputs.reducer import DIRECTION_CODES, _directions, _encode_kept

    column = pd.Series([texts[0]] * len(texts) if same else texts, dtype="str")
    keep = np.array(
        sorted(set(data.draw(st.lists(st.integers(0, len(texts) - 1), min_size=1)))), dtype=np.int64
    )
    old, new = Codebook(), Codebook()
    for book in (old, new):
        book.encode(pd.Series(["B"], dtype="str"))
    want = old.encode(column.take(keep))
    got = _encode_kept(new, column, keep)
    assert got.dtype == want.dtype and got.tolist() == want.tolist()
    assert new.values == old.values
    directions = map_unique(column.take(keep), DIRECTION_CODES).fillna(0).to_numpy(np.int8)
    got = _directions(column, keep)
    assert got.dtype == directions.dtype and got.tolist() == directions.tolist()
