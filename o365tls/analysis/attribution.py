"""Attribute a connector's daily TLS mix to the senders seen on it.

The connector report says, per day, how many of a connector's messages used each TLS version;
the message trace says, per day, how many messages each sender sent through that connector.
If sender *s* sends a fixed share ``p[s, v]`` of its mail with version *v*, then for every day
*d*::

    count[d, v] ≈ Σ_s volume[d, s] · p[s, v]

Each version's shares are fitted by bounded least squares (0 ≤ p ≤ 1, scipy ``lsq_linear``)
over the days, then each sender's shares are scaled to sum to one. Mail that the sightings do
not cover (traffic not in the trace, small senders beyond :data:`MAX_SENDERS`) is one more
column, "other senders".

How sure is that? For each sender, two linear programs find the lowest and highest at-risk
share (legacy + no TLS) that still explains the daily at-risk counts about as well as the best
fit does (L1 residual within a tolerance). A narrow interval is a finding; a wide one means the
data cannot tell — typically senders whose volumes always move together, or too few days.
A sender alone on the connector on some day pins its share exactly, which the programs see.
Senders whose TLS was observed directly (trace detail) are not fitted: their observed mix is
taken as known and subtracted first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..tls import AT_RISK_VERSIONS, TLS_VERSIONS

MAX_SENDERS = 40  # fitted individually per connector; the rest join "other senders"
AT_RISK_FLOOR = 0.1  # an at-risk share below this is treated as clean
OTHER = "__other__"

AT_RISK = "at-risk"
CLEAN = "clean"
CANNOT_TELL = "cannot-tell"
OBSERVED = "observed"

_RISK_IDX = [i for i, v in enumerate(TLS_VERSIONS) if v in AT_RISK_VERSIONS]


@dataclass(frozen=True)
class SenderEstimate:
    sender: str
    shares: tuple[float, ...]  # per TLS_VERSIONS, sums to 1 (or all 0 without mail)
    at_risk: float  # point estimate of the at-risk share
    low: float  # lowest at-risk share consistent with the data
    high: float  # highest
    verdict: str  # at-risk, clean, cannot-tell, observed
    days: int  # days with mail from this sender on this connector
    alone_days: int  # days it was the only sender seen
    why: str
    counts: tuple[int, ...]  # messages allocated per TLS_VERSIONS (zeros for cannot-tell:
    #                          their mail stays with the connector's unattributed rest)


@dataclass(frozen=True)
class Attribution:
    senders: tuple[SenderEstimate, ...]
    other: tuple[int, ...]  # messages per TLS_VERSIONS left to no identified sender
    days: int


def attribute(aggregate: np.ndarray, volumes: np.ndarray, senders: list[str],
              observed: dict[str, np.ndarray] | None = None) -> Attribution:
    """``aggregate``: days x versions message counts (TLS_VERSIONS order); ``volumes``: days x
    senders sighted messages; ``observed``: sender -> versions vector of observed messages.
    Returns estimates and integer counts per sender that, with ``other``, add up exactly to
    the aggregate's totals per version."""
    aggregate = np.asarray(aggregate, dtype=float)
    volumes = np.asarray(volumes, dtype=float)
    n_days, n_versions = aggregate.shape
    observed = observed or {}
    totals = aggregate.sum(axis=0)
    residual = aggregate.copy()
    estimates: dict[str, dict] = {}

    # 1. Senders with observed TLS: their mix is known; remove their expected mail first.
    for j, sender in enumerate(senders):
        seen = observed.get(sender)
        if seen is None or seen.sum() <= 0:
            continue
        mix = seen / seen.sum()
        residual -= np.outer(volumes[:, j], mix)
        share = float(mix[_RISK_IDX].sum())
        estimates[sender] = dict(shares=mix, at_risk=share, low=share, high=share,
                                 verdict=OBSERVED, why="TLS observed message by message")
    residual = np.clip(residual, 0, None)

    # 2. Fit the others: top senders by volume, the rest folded into "other senders".
    fit_idx = [j for j, s in enumerate(senders) if s not in estimates]
    fit_idx.sort(key=lambda j: -volumes[:, j].sum())
    kept, folded = fit_idx[:MAX_SENDERS], fit_idx[MAX_SENDERS:]
    day_total = residual.sum(axis=1)
    other_col = np.clip(day_total - volumes[:, kept].sum(axis=1), 0, None)
    if folded:
        other_col = np.maximum(other_col, volumes[:, folded].sum(axis=1))
    columns = [volumes[:, j] for j in kept]
    names = [senders[j] for j in kept]
    if other_col.sum() > 0:
        columns.append(other_col)
        names.append(OTHER)
    if columns:
        design = np.column_stack(columns)
        shares = _fit_shares(design, residual)
        low, high = _intervals(design, residual[:, _RISK_IDX].sum(axis=1))
        alone = _alone_days(design)
        moves = _MovesWith(names, design)
        for k, name in enumerate(names):
            at_risk = float(shares[k, _RISK_IDX].sum())
            lo, hi = float(low[k]), float(high[k])
            at_risk = min(max(at_risk, lo), hi)
            verdict = _verdict(lo, hi)
            estimates[name] = dict(shares=shares[k], at_risk=at_risk, low=lo, high=hi,
                                   verdict=verdict,
                                   why=_why(k, moves, design, verdict, lo, hi, alone[k]),
                                   alone=int(alone[k]))
        _pool_cannot_tell(estimates, dict(zip(names, columns, strict=True)))
        for name in names:  # a clean verdict carries no at-risk mail
            if estimates[name]["verdict"] == CLEAN and name != OTHER:
                estimates[name]["shares"] = _without_risk(estimates[name]["shares"])

    # 3. Integer counts per sender that add up to the aggregate per version; what the senders'
    #    expected mail does not explain goes to "other senders", and so does the mail of
    #    senders the data cannot tell apart: o365tls does not guess which of them it was.
    order = [s for s in senders if s in estimates and estimates[s]["verdict"] != CANNOT_TELL]
    pooled = [s for s in senders if s in estimates and estimates[s]["verdict"] == CANNOT_TELL]
    expected = np.array([volumes[:, senders.index(s)].sum() * np.asarray(estimates[s]["shares"])
                         for s in order]).reshape(len(order), n_versions)
    other_expected = np.clip(totals - expected.sum(axis=0), 0, None)
    if OTHER in estimates:
        other_expected = other_expected + other_col.sum() * np.asarray(estimates[OTHER]["shares"])
    counts = _allocate(np.vstack([expected, other_expected]), totals)

    def estimate(sender: str, allocated) -> SenderEstimate:
        e = estimates[sender]
        active = volumes[:, senders.index(sender)] > 0
        return SenderEstimate(
            sender=sender, shares=tuple(float(x) for x in e["shares"]),
            at_risk=float(e["at_risk"]), low=float(e["low"]), high=float(e["high"]),
            verdict=e["verdict"], days=int(active.sum()), alone_days=int(e.get("alone", 0)),
            why=e["why"], counts=tuple(int(x) for x in allocated))

    result = [estimate(sender, np.zeros(n_versions)) for sender in pooled]
    result += [estimate(sender, counts[i]) for i, sender in enumerate(order)]
    return Attribution(tuple(result), tuple(int(x) for x in counts[-1]), int(n_days))


def _fit_shares(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Bounded least squares per version, then each sender's shares scaled to sum to 1."""
    from scipy.optimize import lsq_linear  # a third of a second to import: only when fitting

    n_cols, n_versions = design.shape[1], target.shape[1]
    shares = np.zeros((n_cols, n_versions))
    for v in range(n_versions):
        if target[:, v].sum() <= 0:
            continue
        shares[:, v] = lsq_linear(design, target[:, v], bounds=(0.0, 1.0)).x
    sums = shares.sum(axis=1, keepdims=True)
    overall = target.sum(axis=0) / max(target.sum(), 1e-12)
    return np.where(sums > 1e-9, shares / np.where(sums > 1e-9, sums, 1), overall)


def _intervals(design: np.ndarray, at_risk: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest at-risk share per column that fits the daily at-risk counts within
    tolerance of the best L1 fit."""
    from scipy.optimize import linprog

    n_days, n_cols = design.shape
    if at_risk.sum() <= 0:
        return np.zeros(n_cols), np.zeros(n_cols)
    # Variables: r (n_cols), e_plus (n_days), e_minus (n_days).
    a_eq = np.hstack([design, -np.eye(n_days), np.eye(n_days)])
    bounds = [(0, 1)] * n_cols + [(0, None)] * (2 * n_days)
    slack_cost = np.concatenate([np.zeros(n_cols), np.ones(2 * n_days)])
    best = linprog(slack_cost, A_eq=a_eq, b_eq=at_risk, bounds=bounds, method="highs")
    if not best.success:
        return np.zeros(n_cols), np.ones(n_cols)
    # "About as well": 10% more residual than the best fit, plus a little room for rounding.
    tolerance = best.fun * 1.1 + max(0.5, 0.002 * at_risk.sum())
    a_ub = slack_cost[np.newaxis, :]
    low, high = np.zeros(n_cols), np.ones(n_cols)
    for k in range(n_cols):
        c = np.zeros(n_cols + 2 * n_days)
        c[k] = 1
        for sign, out in ((1, low), (-1, high)):
            res = linprog(sign * c, A_ub=a_ub, b_ub=[tolerance], A_eq=a_eq, b_eq=at_risk,
                          bounds=bounds, method="highs")
            if res.success:
                out[k] = min(max(res.x[k], 0.0), 1.0)
    return low, high


def _without_risk(shares) -> np.ndarray:
    out = np.asarray(shares, dtype=float).copy()
    out[_RISK_IDX] = 0
    total = out.sum()
    if total <= 0:
        out[:] = 0
        out[TLS_VERSIONS.index("unknown")] = 1.0
        return out
    return out / total


def _verdict(low: float, high: float) -> str:
    if low >= AT_RISK_FLOOR:
        return AT_RISK
    if high <= AT_RISK_FLOOR:
        return CLEAN
    return CANNOT_TELL


def _alone_days(design: np.ndarray) -> np.ndarray:
    active = design > 0
    alone = active & (active.sum(axis=1, keepdims=True) == 1)
    return alone.sum(axis=0)


def _why(k: int, moves: _MovesWith, design: np.ndarray, verdict: str, low: float, high: float,
         alone: int) -> str:
    days = int((design[:, k] > 0).sum())
    span = f"at-risk share between {low:.0%} and {high:.0%}"
    if alone:
        return (f"the only sender on the connector on {alone} of {days} days, which pins its "
                f"TLS mix ({span})")
    if verdict == CANNOT_TELL:
        partner = moves.partner(k)
        if days < 2:
            return f"cannot tell: seen on {days} day only ({span} fit the data equally well)"
        if partner:
            return (f"cannot tell: its daily volume moves with {partner}'s, so the data cannot "
                    f"separate them ({span} fit equally well)")
        return f"cannot tell: {span} fit the data equally well"
    return (f"its daily volume over {days} days tracks the connector's TLS mix ({span}; "
            "bounded least-squares fit)")


class _MovesWith:
    """Which sender's daily volume moves with each sender's (correlation 0.95 or more; the
    strongest, the last of equals): the correlations of all columns computed once, when first
    asked (pair by pair, they were a quarter of a second for 80 senders)."""

    def __init__(self, names: list[str], design: np.ndarray) -> None:
        self.names, self.design = names, design
        self.corr: np.ndarray | None = None

    def partner(self, k: int) -> str:
        if self.corr is None:
            self.corr = _correlations(self.design)
        best, best_corr = "", 0.95
        for j, name in enumerate(self.names):
            if j != k and name != OTHER and self.corr[k, j] >= best_corr:
                best, best_corr = name, float(self.corr[k, j])
        return best


def _correlations(design: np.ndarray) -> np.ndarray:
    """Pearson correlation of every two columns; where one column is constant, 1.0 when both
    are active on the same days and 0.0 otherwise."""
    flat = design.std(axis=0) == 0
    corr = np.zeros((design.shape[1],) * 2)
    if not flat.all():  # one day: every column is constant
        with np.errstate(divide="ignore", invalid="ignore"):
            corr = np.atleast_2d(np.corrcoef(design, rowvar=False))
    active = (design > 0).astype(np.int64)
    same = (active.T @ active + (1 - active).T @ (1 - active)) == design.shape[0]
    either = flat[:, None] | flat[None, :]
    return np.where(either, same.astype(float), corr)


def _pool_cannot_tell(estimates: dict[str, dict], columns: dict[str, np.ndarray]) -> None:
    """Senders the data cannot separate get the pooled mix of their group, not an arbitrary
    split that the least-squares solver happened to land on."""
    group = [s for s, e in estimates.items() if e["verdict"] == CANNOT_TELL and s != OTHER]
    if len(group) < 2:
        return
    weights = np.array([columns[s].sum() for s in group])
    if weights.sum() <= 0:
        return
    pooled = sum(w * np.asarray(estimates[s]["shares"]) for s, w in
                 zip(group, weights, strict=True)) / weights.sum()
    for s in group:
        estimates[s]["shares"] = pooled
        estimates[s]["at_risk"] = float(pooled[_RISK_IDX].sum())


def _allocate(expected: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Integer counts per row and version: each version's total is split among the rows in
    proportion to their expected counts (largest remainder); rows can never get more than the
    version's total, and the counts per version add up to it exactly."""
    n_rows, n_versions = expected.shape if expected.size else (0, len(totals))
    out = np.zeros((n_rows, n_versions), dtype=int)
    if n_rows == 0:
        return out
    for v in range(n_versions):
        total = int(round(totals[v]))
        weights = np.clip(expected[:, v], 0, None)
        if total <= 0:
            continue
        if weights.sum() <= 0:
            weights = np.zeros(n_rows)
            weights[-1] = 1.0  # nobody is expected to have it: the last row ("other")
        exact = weights / weights.sum() * total
        base = np.floor(exact).astype(int)
        remainder = total - base.sum()
        order = np.argsort(-(exact - base), kind="stable")
        base[order[:remainder]] += 1
        out[:, v] = base
    return out
