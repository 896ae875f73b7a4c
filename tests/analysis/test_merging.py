"""The bucketed merge gives exactly what one global sort of all sightings gives."""

import numpy as np
import pytest

from o365tls.analysis import merging

NAT = np.iinfo(np.int64).min
CODES = ("sender", "ip", "host", "ptr", "conn", "subject", "mhost", "rdom", "source")


def _parts(rng, chunks: int, rows: int, n_sources: int) -> dict[str, list[np.ndarray]]:
    """Reducer-shaped parts: few keys (so messages recur across chunks), all three realms,
    missing times, empty codes, and code arrays of mixed widths as _narrow leaves them."""
    keys = rng.integers(0, 2**64 - 1, size=40, dtype=np.uint64, endpoint=True)
    parts: dict[str, list[np.ndarray]] = {}
    for i in range(chunks):
        ts = rng.integers(1_700_000_000, 1_700_400_000, size=rows) * 10**9
        ts[rng.random(rows) < 0.2] = NAT
        cols = {
            "key": rng.choice(keys, size=rows),
            "realm": rng.integers(0, 3, size=rows).astype(np.int8),
            "rank": rng.integers(0, 4, size=rows).astype(np.int8),
            "ts": ts.astype(np.int64),
            "direction": rng.integers(0, 3, size=rows).astype(np.int8),
        }
        for name in CODES:
            high = n_sources if name == "source" else 6
            values = rng.integers(0, high, size=rows) * (rng.random(rows) < 0.7)
            cols[name] = values.astype(np.int8 if i % 2 else np.int16)
        for name, values in cols.items():
            parts.setdefault(name, []).append(values)
    return parts


def _reference(parts, rdom_tenant, n_sources) -> dict[str, np.ndarray]:
    """The merge as one global stable sort by realm, key, rank, time (the former code)."""
    col = {name: np.concatenate(pieces) for name, pieces in parts.items()}
    col["outside"] = np.where(rdom_tenant[col["rdom"]], 0, col["rdom"])
    col["to_tenant"] = rdom_tenant[col["rdom"]]
    order = np.lexsort((col["ts"], col["rank"], col["key"], col["realm"]))
    col = {name: values[order] for name, values in col.items()}
    change = np.ones(len(order), dtype=bool)
    change[1:] = (col["key"][1:] != col["key"][:-1]) | (col["realm"][1:] != col["realm"][:-1])
    starts = np.flatnonzero(change)
    ends = [*starts[1:], len(order)]
    out: dict[str, list] = {}
    for start, end in zip(starts, ends, strict=True):
        group = {name: values[start:end] for name, values in col.items()}
        row = {"realm": group["realm"][0], "key": group["key"][0]}
        for name in (
            "sender",
            "ip",
            "host",
            "ptr",
            "conn",
            "direction",
            "subject",
            "mhost",
            "source",
            "outside",
        ):
            nonzero = group[name][group[name] != 0]
            row[name] = nonzero[0] if len(nonzero) else 0
        times = group["ts"][group["ts"] != NAT]
        row["ts"] = times.min() if len(times) else NAT
        row["day"] = row["ts"] // merging.DAY_NS if row["ts"] != NAT else -1
        row["to_tenant"] = bool(group["to_tenant"].all())
        if n_sources > 63:
            row["mask"] = 1 << min(int(row["source"]), 62)
        else:
            row["mask"] = int(np.bitwise_or.reduce(1 << group["source"].astype(np.int64)))
        for name, value in row.items():
            out.setdefault(name, []).append(value)
    return {name: np.array(values) for name, values in out.items()}


@pytest.mark.parametrize(
    ("seed", "chunks", "rows", "n_sources"),
    [(1, 1, 30, 2), (2, 7, 50, 5), (3, 12, 40, 9), (4, 5, 60, 70)],
)
def test_merge_equals_one_global_sort(seed, chunks, rows, n_sources):
    rng = np.random.default_rng(seed)
    parts = _parts(rng, chunks, rows, n_sources)
    rdom_tenant = np.array([False, True, False, True, False, False])
    expected = _reference({k: list(v) for k, v in parts.items()}, rdom_tenant, n_sources)
    got = merging.merge(parts, rdom_tenant, n_sources)
    assert all(not pieces for pieces in parts.values())  # the parts are consumed
    assert sorted(got) == sorted(expected)
    assert len(got["key"]) == len(expected["key"]) < chunks * rows
    for name in expected:
        assert got[name].tolist() == expected[name].tolist(), name


def test_pair_counts_counts_pairs_in_blocks_and_skips_missing_codes():
    first = np.array([0, 1, 1, -1, 2, 1, 0], dtype=np.int8)
    second = np.array([1, 0, 0, 1, -1, 2, 1], dtype=np.int16)
    counts = merging.pair_counts(first, second, (3, 3), block=2)
    assert counts.tolist() == [[0, 2, 0], [2, 0, 1], [0, 0, 0]]


def test_days_are_a_categorical_of_utc_midnights_with_missing_days():
    days = merging.days(np.array([19700, -1, 19702, 19700], dtype=np.int32))
    assert [str(d) for d in days.categories] == [
        "2023-12-09 00:00:00+00:00",
        "2023-12-11 00:00:00+00:00",
    ]
    assert days.codes.tolist() == [0, -1, 1, 0]
