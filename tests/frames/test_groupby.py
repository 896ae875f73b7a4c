"""Groups answers for every group what iterating the pandas groupby and asking each group's rows
answers (the per-flow code from_messages used), on both its counting paths."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o365tls.analysis.flows import _forced, _mode, _sources
from o365tls.frames import groupby as grouped
from o365tls.frames.groupby import Groups

TEXT = st.sampled_from(["", "a", "B", "b", "é", "Zulu", "tls1.0"])
ROW = st.fixed_dictionaries(
    {
        "k1": TEXT,
        "k2": st.sampled_from(["x", "y", None]),  # a missing key: the row is in no group
        "tls": st.sampled_from(["TLS1.0", "TLS1.2", "none", None]),
        "messages": st.integers(0, 3),
        "kind": TEXT,
        "port": st.sampled_from([0, 25, 587, 2525]),
        "forced_tls": st.sampled_from([None, True, False, np.nan]),
        "source": st.sampled_from(["b.log", "a.log", "c.csv"]),
        "when": st.integers(1_700_000_000, 1_700_000_100),
    }
)


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in ("k1", "k2", "tls", "kind", "source"):
        frame[col] = frame[col].astype("str")
    frame["forced_tls"] = frame["forced_tls"].astype(object)
    frame["when"] = pd.to_datetime(frame["when"], unit="s", utc=True)
    return frame


@pytest.mark.parametrize("dense", [True, False])
@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=st.lists(ROW, min_size=1, max_size=40))
@pytest.mark.slow
def test_every_reduction_matches_the_groups_own_rows(monkeypatch, dense, rows):
    monkeypatch.setattr(grouped, "_DENSE", 1 << 22 if dense else 0)
    frame = _frame(rows)
    groups = Groups(frame, ["k1", "k2"])
    expected = [(key, part) for key, part in frame.groupby(["k1", "k2"], sort=True)]
    assert groups.keys == [key for key, _ in expected]
    assert len(groups) == len(expected)
    sums, modes = groups.sums("tls", "messages"), groups.modes("kind")
    ports, forced = groups.smallest_modes("port"), groups.any_true("forced_tls")
    sources, times = groups.distinct("source"), groups.values("when")
    for i, (_, part) in enumerate(expected):
        assert sums[i] == {k: int(v) for k, v in part.groupby("tls")["messages"].sum().items()}
        assert modes[i] == _mode(part["kind"])
        assert ports[i] == part["port"].mode().iloc[0]
        assert forced[i] == _forced(part)
        assert sources[i] == _sources(part)
        assert times[i].tolist() == part["when"].tolist()  # frame order within the group


def test_no_rows_no_groups():
    frame = _frame(
        [
            {
                "k1": "a",
                "k2": None,
                "tls": "none",
                "messages": 1,
                "kind": "",
                "port": 25,
                "forced_tls": None,
                "source": "a",
                "when": 1_700_000_000,
            }
        ]
    )
    groups = Groups(frame, ["k1", "k2"])
    assert len(groups) == 0 and groups.keys == []
    assert groups.sums("tls", "messages") == [] and groups.any_true("forced_tls") == []
