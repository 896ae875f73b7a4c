"""Merging a :class:`~o365tls.inputs.reducer.SightingReducer`'s sightings into one row per
message, in bounded memory.

Ten million sightings are a few hundred MB of codes, and sorting them all at once costs several
times that in temporaries. A message's sightings share its realm and its key, so the rows are
merged one realm and key range at a time: the parts are regrouped chunk by chunk into buckets
(each chunk is freed once split), then each bucket is sorted and reduced on its own into
preallocated result arrays, and freed. Keys are hashes, so the ranges are about equal in size;
taken in order they give the realm-then-key order of one global sort, and the sort within a
bucket is stable, so every tie breaks as it would in one global sort.
"""

from __future__ import annotations

import ctypes
from functools import reduce

import numpy as np
import pandas as pd

from ..inputs.reducer import Realm

KEY_BITS = 4  # 16 key ranges per realm
REALMS = len(Realm)
NAT = np.iinfo(np.int64).min
DAY_NS = 86_400_000_000_000
_FIRST_OF = (
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
)


def merge(
    parts: dict[str, list[np.ndarray]], rdom_tenant: np.ndarray, n_sources: int
) -> dict[str, np.ndarray]:
    """One entry per message and realm, in realm and key order: ``realm``, ``key``, ``ts``
    (earliest, ns, :data:`NAT` if none), ``day`` (day number of ``ts``, -1 if none or before
    1970), the first non-empty code of each field in :data:`_FIRST_OF` (sightings ranked by
    export, then time), ``to_tenant`` (every recipient domain is the tenant's) and ``mask``
    (the source files that saw it, see :func:`mask_type`). Empties ``parts``' lists."""
    rows = sum(len(values) for values in parts["key"])
    types = {
        name: reduce(np.promote_types, (p.dtype for p in pieces)) for name, pieces in parts.items()
    }
    types.update(
        outside=types["rdom"],
        to_tenant=np.dtype(bool),
        day=np.dtype(np.int32),
        mask=mask_type(n_sources),
    )
    # Untouched pages of np.empty cost nothing: sized for every row, filled for every message.
    out = {
        name: np.empty(rows, dtype=types[name])
        for name in ("realm", "key", "ts", "day", *_FIRST_OF, "to_tenant", "mask")
    }
    filled = 0
    for cols in split(parts):
        merged = _reduce(cols, rdom_tenant, n_sources)
        size = len(merged["key"])
        for name, values in merged.items():
            out[name][filled : filled + size] = values
        filled += size
        del merged
        release_freed_memory()  # the bucket's rows, freed on the heap, now sit in ``out``
    return {name: values[:filled] for name, values in out.items()}


def split(parts: dict[str, list[np.ndarray]]) -> list[dict[str, list[np.ndarray]]]:
    """The parts regrouped into buckets by realm and the key's top bits, in bucket order,
    each keeping the rows' input order; the parts' chunks are released as they are split."""
    names = list(parts)
    shift = np.uint64(64 - KEY_BITS)
    buckets: list[dict[str, list[np.ndarray]]] = [{} for _ in range(REALMS << KEY_BITS)]
    for i in range(len(parts["key"])):
        ids = (parts["realm"][i].astype(np.intp) << KEY_BITS) | (parts["key"][i] >> shift).astype(
            np.intp
        )
        order = np.argsort(ids, kind="stable")
        counts = np.bincount(ids, minlength=len(buckets))
        ends = np.cumsum(counts)
        present = np.flatnonzero(counts)
        for name in names:
            values = parts[name][i][order]
            # Frees the chunk's column: its rows now live in the buckets. The slot is never
            # read again (the lists are cleared below), so the None breaks no reader.
            parts[name][i] = None  # type: ignore[call-overload]
            for b in present:
                # A copy, not a view: a view would keep the whole chunk alive.
                buckets[b].setdefault(name, []).append(values[ends[b] - counts[b] : ends[b]].copy())
    for name in names:
        parts[name].clear()
    return [b for b in buckets if b]


def _reduce(
    bucket: dict[str, list[np.ndarray]], rdom_tenant: np.ndarray, n_sources: int
) -> dict[str, np.ndarray]:
    """Merge one bucket (one realm, one key range), consuming its pieces."""
    col = {name: np.concatenate(bucket.pop(name)) for name in list(bucket)}
    col["outside"] = np.where(rdom_tenant[col["rdom"]], 0, col["rdom"]).astype(col["rdom"].dtype)
    col["to_tenant"] = rdom_tenant[col["rdom"]]
    order = np.lexsort((col["ts"], col["rank"], col["key"]))  # realm: one per bucket
    for name in list(col):
        col[name] = col[name][order]
    change = np.ones(len(order), dtype=bool)
    change[1:] = col["key"][1:] != col["key"][:-1]
    starts = np.flatnonzero(change)
    out = {"realm": col["realm"][starts], "key": col["key"][starts]}
    for name in _FIRST_OF:
        out[name] = first_nonzero(col[name], starts)
    ts = np.where(col["ts"] == NAT, np.iinfo(np.int64).max, col["ts"])
    first = np.minimum.reduceat(ts, starts)
    out["ts"] = np.where(first == np.iinfo(np.int64).max, NAT, first)
    out["day"] = np.where(out["ts"] == NAT, -1, out["ts"] // DAY_NS).clip(-1).astype(np.int32)
    out["to_tenant"] = np.logical_and.reduceat(col["to_tenant"], starts)
    if n_sources > 63:  # too many files for a bit set: the first file stands for the rest
        out["mask"] = np.int64(1) << np.minimum(out["source"], 62).astype(np.int64)
    else:
        kind = mask_type(n_sources)
        out["mask"] = np.bitwise_or.reduceat(kind.type(1) << col["source"].astype(kind), starts)
    return out


def mask_type(n_sources: int) -> np.dtype:
    """The narrowest integer holding one bit per source file (code 0 included)."""
    for kind in (np.uint8, np.uint16, np.uint32):
        if n_sources <= np.iinfo(kind).bits:
            return np.dtype(kind)
    return np.dtype(np.int64)


def first_nonzero(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per group (rows from each start to the next), the first value that is not 0."""
    index = np.int32 if len(values) < 2**31 - 1 else np.int64
    position = np.where(values != 0, np.arange(len(values), dtype=index), len(values))
    first = np.minimum.reduceat(position, starts)
    del position
    found = first < len(values)
    return np.where(found, values[np.minimum(first, len(values) - 1)], 0).astype(values.dtype)


def source_sets(masks: np.ndarray, names: list[str]) -> pd.Categorical:
    """The file-name set of each message's source bit set, as a categorical (names joined by
    NUL, which never occurs in a path), categories in order of first appearance."""
    labels = (
        {int(1 << c): (names[c],) for c in range(min(len(names), 63))} if len(names) > 63 else {}
    )
    codes, uniques = pd.factorize(masks)
    sets = [
        labels.get(int(m))
        or tuple(sorted(names[i] for i in range(len(names)) if int(m) >> i & 1 and names[i]))
        for m in uniques
    ]
    if not sets:
        return pd.Categorical([])
    joined = pd.Index(["\0".join(files) for files in sets], dtype=object)
    return pd.Categorical.from_codes(narrow_codes(codes, len(joined)), categories=joined)


def days(day_numbers: np.ndarray) -> pd.Categorical:
    """Day numbers (-1: none) as a categorical of UTC midnights: a few dozen days, one byte a
    message, and no second timestamp column."""
    valid = np.unique(day_numbers)
    valid = valid[valid >= 0]
    categories = pd.to_datetime(valid.astype(np.int64) * DAY_NS, utc=True)
    # Indexed by day number; day -1 reads the last entry, which no day fills.
    lookup = np.full(int(valid[-1]) + 2 if len(valid) else 1, -1, dtype=code_type(len(valid)))
    lookup[valid] = np.arange(len(valid))
    return pd.Categorical.from_codes(lookup[day_numbers], categories=categories)


def stamps(nanos: np.ndarray) -> pd.Series:
    """Nanoseconds since 1970 (:data:`NAT`: none) as UTC timestamps, copied once."""
    return pd.Series(nanos.view("datetime64[ns]"), dtype="datetime64[ns, UTC]", copy=False)


def code_type(categories: int) -> np.dtype:
    """The integer type pandas keeps the codes of that many categories in."""
    for kind in (np.int8, np.int16, np.int32):
        if categories < np.iinfo(kind).max:
            return np.dtype(kind)
    return np.dtype(np.int64)


def narrow_codes(codes: np.ndarray, categories: int) -> np.ndarray:
    """Codes in that type, so that making the categorical does not copy them again."""
    return codes.astype(code_type(categories), copy=False)


def pair_counts(
    first: np.ndarray, second: np.ndarray, shape: tuple[int, int], block: int = 1 << 20
) -> np.ndarray:
    """How many rows hold each pair of codes (``shape``: how many codes of each; rows with a
    negative code, a missing value, are not counted). Counted a million rows at a time: a
    groupby on two columns of ten million rows builds several int64 copies of them."""
    counts = np.zeros(shape[0] * shape[1], dtype=np.int64)
    for start in range(0, len(first), block):
        a = first[start : start + block].astype(np.int64)
        b = second[start : start + block].astype(np.int64)
        ok = (a >= 0) & (b >= 0)
        counts += np.bincount(a[ok] * shape[1] + b[ok], minlength=len(counts))
    return counts.reshape(shape)


def release_freed_memory() -> None:
    """Hand memory that is free but still held by the C allocator back to the system.

    Streaming leaves glibc's heap full of holes: the chunks of the import and the parts of the
    merge are small enough to live on the heap, and freeing them keeps the pages resident
    (hundreds of MB at ten million rows) while every large array after them is mapped anew.
    ``malloc_trim`` releases those pages; elsewhere (macOS, Windows, musl) this does nothing."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)
