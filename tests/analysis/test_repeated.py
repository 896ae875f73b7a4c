"""De-duplication compares the whole key only among records that repeat its selective column;
it must flag exactly the records pandas' ``duplicated`` over the whole key flags, in the order
the positions give (the first copy is kept)."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from o365tls.analysis.observations import _repeated

RECORD = st.tuples(
    st.sampled_from(["exo", "on-prem"]),
    st.sampled_from(["inbound", "outbound"]),
    st.sampled_from(["", "S1", "S2", "s1"]),
    st.sampled_from([None, "2026-11-02 10:00:00", "2026-11-02 10:00:01"]),
    st.sampled_from(["", "a@contoso.com", "A@contoso.com"]),
)
KEY = ["scope", "direction", "session_id", "timestamp", "sender_address"]


@settings(max_examples=300, deadline=None)
@given(st.lists(RECORD, max_size=40), st.randoms(use_true_random=False))
@pytest.mark.slow
def test_repeated_is_duplicated_over_the_whole_key(records, rnd):
    scope, direction, session, when, sender = zip(*records, strict=True) if records else [()] * 5
    frame = pd.DataFrame(
        {
            "scope": pd.Series(scope, dtype=object),
            "direction": pd.Series(direction, dtype="str"),
            "session_id": pd.Series(session, dtype="str"),
            "timestamp": pd.to_datetime(pd.Series(when, dtype=object), utc=True),
            "sender_address": pd.Series(sender, dtype="str"),
        }
    )
    positions = np.arange(len(frame))
    rnd.shuffle(positions)  # any order: the first copy in that order is kept
    positions = positions[: rnd.randint(0, len(positions))] if len(positions) else positions
    expected = frame[KEY].take(positions).duplicated().to_numpy()
    for selective in ("timestamp", "session_id"):
        assert _repeated(frame, positions, KEY, selective).tolist() == expected.tolist()
