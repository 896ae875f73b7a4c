"""Per-group reductions of one frame, computed once over all its rows.

A week of protocol logs holds a million message records in a few hundred flows. Iterating a
pandas groupby copies every group's rows out of the frame (a take of each Arrow column per
group) before anything is counted; :class:`Groups` sorts the rows by group once and
answers each question (TLS counts, the most frequent value, the files) for every group with
one pass of numpy, so a flow reads its facts from arrays.

Each reduction gives what the per-group pandas expression it replaces gives: the docstrings
name it, and the tests hold the two equal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Largest flows x values table counted densely (bincount) rather than by sorting the pairs.
_DENSE = 1 << 22


class Groups:
    """The rows of ``frame`` grouped by ``keys`` as ``frame.groupby(keys, sort=True)`` groups
    them: groups in sorted key order, rows with a missing key in no group."""

    def __init__(self, frame: pd.DataFrame, keys: list[str]) -> None:
        ids = frame.groupby(keys, sort=True).ngroup().to_numpy()
        grouped = ids >= 0
        # Positions of the grouped rows, by group, in frame order within a group (stable).
        self.order = np.flatnonzero(grouped)[np.argsort(ids[grouped], kind="stable")]
        self.ids = ids[self.order]
        self.count = int(self.ids[-1]) + 1 if len(self.ids) else 0
        self.starts = np.searchsorted(self.ids, np.arange(self.count + 1))
        self.frame = frame
        first = self.order[self.starts[:-1]]
        columns = [frame[k].take(first).tolist() for k in keys]
        self.keys: list[tuple] = list(zip(*columns, strict=True)) if keys else []

    def __len__(self) -> int:
        return self.count

    def _codes(self, column: str, text: bool) -> tuple[np.ndarray, np.ndarray]:
        """(codes of the grouped rows in group order, the sorted distinct values); a missing
        value is code -1. ``text``: values compared as ``str`` (what ``astype(str)`` gives)."""
        values = self.frame[column]
        if text:
            values = values.astype(str)
        # Factorized in frame order, codes then put in group order: cheaper than taking the
        # text column into group order first.
        codes, uniques = pd.factorize(values, sort=True)
        return codes[self.order], np.asarray(uniques, dtype=object)

    def _pairs(
        self, codes: np.ndarray, size: int, weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(group, code, rows or summed weight) of every pair present, by group then code."""
        ok = codes >= 0
        size = max(size, 1)
        pair = self.ids[ok].astype(np.int64) * size + codes[ok]
        weight = None if weights is None else weights[self.order][ok]
        if self.count * size <= _DENSE:  # a few flows and values: count into a table
            rows = np.bincount(pair, minlength=self.count * size)
            distinct = np.flatnonzero(rows)
            counts = (
                rows[distinct]
                if weight is None
                else np.bincount(pair, weights=weight, minlength=len(rows))[distinct].astype(
                    np.int64
                )
            )
        elif weight is None:
            distinct, counts = np.unique(pair, return_counts=True)
        else:
            distinct, inverse = np.unique(pair, return_inverse=True)
            counts = np.zeros(len(distinct), dtype=np.int64)
            np.add.at(counts, inverse, weight.astype(np.int64))
        return distinct // size, distinct % size, counts

    def sums(self, column: str, weights: str) -> list[dict[str, int]]:
        """Per group, ``rows.groupby(column)[weights].sum()`` as a dict."""
        codes, uniques = self._codes(column, text=False)
        group, code, total = self._pairs(
            codes, len(uniques), self.frame[weights].to_numpy(np.int64)
        )
        out: list[dict[str, int]] = [{} for _ in range(self.count)]
        for g, c, n in zip(group.tolist(), code.tolist(), total.tolist(), strict=True):
            out[g][uniques[c]] = n
        return out

    def modes(self, column: str) -> list[str]:
        """Per group, the non-empty text that most rows hold, ties in text order ("" when
        none): ``flows._mode`` of the group's rows."""
        codes, uniques = self._codes(column, text=True)
        group, code, counts = self._pairs(codes, len(uniques))
        real = uniques[code] != ""
        return [str(v) for v in self._most(group[real], code[real], counts[real], uniques, "")]

    def smallest_modes(self, column: str, default=0) -> list:
        """Per group, ``rows[column].mode().iloc[0]``: the most frequent value, the smallest of
        equally frequent ones (``default`` for a group with no value)."""
        codes, uniques = self._codes(column, text=False)
        return self._most(*self._pairs(codes, len(uniques)), uniques, default)

    def _most(
        self, group: np.ndarray, code: np.ndarray, counts: np.ndarray, uniques: np.ndarray, default
    ) -> list:
        """Per group, the value of its most frequent code; ties to the smaller code, which
        is the smaller value (the uniques are sorted)."""
        best = np.lexsort((code, -counts, group))
        group, code = group[best], code[best]
        first = np.r_[True, group[1:] != group[:-1]] if len(group) else np.zeros(0, bool)
        out = [default] * self.count
        for g, c in zip(group[first].tolist(), code[first].tolist(), strict=True):
            out[g] = uniques[c]
        return out

    def distinct(self, column: str) -> list[tuple[str, ...]]:
        """Per group, the sorted distinct values as text: ``flows._sources``."""
        codes, uniques = self._codes(column, text=True)
        group, code, _ = self._pairs(codes, len(uniques))
        out: list[list[str]] = [[] for _ in range(self.count)]
        for g, c in zip(group.tolist(), code.tolist(), strict=True):
            out[g].append(str(uniques[c]))  # codes ascend within a group: text order
        return [tuple(values) for values in out]

    def any_true(self, column: str) -> list[bool | None]:
        """Per group, whether any known value is true; None when none is known:
        ``flows._forced``."""
        values = self.frame[column].take(self.order)
        known = values.notna().to_numpy()
        truth = np.zeros(len(values), dtype=bool)
        truth[known] = values[known].astype(bool).to_numpy()
        starts = self.starts[:-1]
        if not self.count:
            return []
        any_known = np.logical_or.reduceat(known, starts)
        any_truth = np.logical_or.reduceat(truth, starts)
        return [
            bool(t) if k else None
            for k, t in zip(any_known.tolist(), any_truth.tolist(), strict=True)
        ]

    def values(self, column: str) -> list[pd.Series]:
        """Per group, the rows' values of ``column`` (a view into one sorted copy)."""
        ordered = self.frame[column].array.take(self.order)
        return [
            pd.Series(ordered[a:b])
            for a, b in zip(self.starts[:-1].tolist(), self.starts[1:].tolist(), strict=True)
        ]
