"""Attribute a connector's daily TLS mix to the senders seen on it.

The connector report says, per day, how many of a connector's messages used each TLS version;
the message trace says, per day, how many messages each sender sent through that connector.
If sender *s* sends a share ``x[s, v, d]`` of its mail on day *d* with version *v*, then::

    count[d, v] ≈ Σ_s volume[d, s] · x[s, v, d]

Each at-risk version (TLS 1.0, TLS 1.1, no TLS, SSL 3) is its own sparse problem: one linear
program per connector and version (scipy ``linprog``, HiGHS, sparse matrices). Devices get
fixed and rarely regress, so a sender's share of a version may fall from one day to a later
one but never rise, and only between runs of days that carry enough of its mail (its share at
the end over its last ``END_MESSAGES``, earlier runs ``STEP_MESSAGES``; with fewer than
``DAILY_STEPS_DAYS`` days, only from one week to the next); the week it falls is
reported as the week the sender moved off that version. The program minimizes the L1 residual
of the daily counts plus a small cost per at-risk sender, so that of several explanations that
fit, the one with fewer at-risk senders wins. Mail on the connector that no traced sender
explains is one more column, "other senders", whose share may change freely from week to week.

How sure is that? Three more programs per connector and version look for another explanation
that fits the daily counts about as well (L1 residual within 10% plus 0.05% of the version's
messages) and move the senders' shares at the end of the period as far as they can: one pushes
the senders named at risk down (and the earlier shares of those that look fixed), one pushes
the others up, one pushes down again on the senders still at risk. They need not place a fix to
the day, only show how far the end shares can move, so in them a share may fall only at the end
of a week, where it falls in the best fit, and where the bounds need it: a few times fewer
columns. A sender whose end-of-period share crosses the floor in any of them is "cannot tell":
the data cannot pin it, typically because its daily volume is (nearly) a combination of other
senders' volumes, or it has too little mail. The sender whose share moved the other way most is
named as the one it cannot be told apart from. With far fewer days than senders that may use a
version, no sender of that version is pinned.

Senders whose TLS was observed directly (trace detail) are fitted with that observation as a
constraint: their share of each version over the run of days of their latest observed message
is the observed one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

from ..tls import AT_RISK_VERSIONS, TLS_VERSIONS

AT_RISK_FLOOR = 0.1  # an at-risk share below this is treated as clean
OTHER = "__other__"
SENDER_COST = 0.5  # messages of residual worth one more sender with a full at-risk share
WEEK = 7
DAYS_PER_SENDER = 3  # covered days x this must reach the senders that may use a version
ALLOWANCE = 0.0005  # and this share of the version's messages (rounding, stray mail)
TOLERANCE = 1.1  # another fit "about as good": residual within this factor of the best
END_MESSAGES = 20  # a sender's share at the end holds over at least this much of its last mail
STEP_MESSAGES = 5  # and its share may fall between runs of days with this much of its mail
DAILY_STEPS_DAYS = 28  # with fewer days, too few to place a fix by the day: week by week

AT_RISK = "at-risk"
CLEAN = "clean"
FIXED = "fixed"  # at risk earlier in the period, no longer at its end
CANNOT_TELL = "cannot-tell"
OBSERVED = "observed"

# Dual simplex without presolve: the programs have few rows (one per day and sender) and
# nothing for presolve to remove, so it costs more than it saves.
_SOLVER = {"presolve": False}
_RISK_IDX = [i for i, v in enumerate(TLS_VERSIONS) if v in AT_RISK_VERSIONS]
_CLEAN_IDX = [i for i, v in enumerate(TLS_VERSIONS) if v not in AT_RISK_VERSIONS]


@dataclass(frozen=True)
class SenderEstimate:
    sender: str
    shares: tuple[float, ...]  # per TLS_VERSIONS over the period, sums to 1 (0 without mail)
    at_risk: float  # at-risk share over the period (estimate)
    low: float  # lowest at-risk share at the end of the period among the fits examined
    high: float  # highest
    verdict: str  # at-risk, fixed, clean, cannot-tell, observed
    days: int  # days with mail from this sender on this connector
    alone_days: int  # days it was the only sender seen
    why: str
    counts: tuple[int, ...]  # estimated messages per TLS_VERSIONS (zeros for cannot-tell:
    #                          their mail stays with the connector's unattributed rest)
    at_risk_now: float = 0.0  # at-risk share at the end of the period (its last run of days)
    fixed_week: int | None = None  # week of the first day after its at-risk share fell
    partner: str = ""  # the sender it cannot be told apart from


@dataclass(frozen=True)
class Attribution:
    senders: tuple[SenderEstimate, ...]
    other: tuple[int, ...]  # messages per TLS_VERSIONS left to no identified sender
    days: int
    weeks: tuple[int, ...] = ()  # the week index of each day


def weeks_of(days) -> np.ndarray:
    """Week index of each day (dates or day numbers). Weeks are counted back from the last
    day, so that the last week, which says what a sender does now, is a whole one; the first
    may be short."""
    values = np.asarray(days)
    if values.size == 0:
        return np.zeros(0, dtype=int)
    if np.issubdtype(values.dtype, np.datetime64):
        values = (values - values.min()).astype("timedelta64[D]").astype(int)
    else:
        values = values.astype(int) - int(values.min())
    back = (int(values.max()) - values) // WEEK
    return int(back.max()) - back


def attribute(
    aggregate: np.ndarray,
    volumes: np.ndarray,
    senders: list[str],
    observed: dict[str, np.ndarray] | None = None,
    weeks=None,
    observed_day: dict[str, int] | None = None,
) -> Attribution:
    """``aggregate``: days x versions message counts (TLS_VERSIONS order); ``volumes``: days x
    senders sighted messages; ``observed``: sender -> versions vector of observed messages;
    ``weeks``: the week index of each day (default: consecutive days); ``observed_day``: the
    day index of each observed sender's latest observed message (default: the last day).
    Returns estimates and integer counts per sender that, with ``other``, add up exactly to
    the aggregate's totals per version."""
    aggregate = np.asarray(aggregate, dtype=float)
    volumes = np.asarray(volumes, dtype=float).reshape(aggregate.shape[0], len(senders))
    n_days, n_versions = aggregate.shape
    week = weeks_of(np.arange(n_days)) if weeks is None else np.asarray(weeks, dtype=int)
    observed = {
        s: np.asarray(v, dtype=float)
        for s, v in (observed or {}).items()
        if s in senders and np.asarray(v).sum() > 0
    }
    observed_day = observed_day or {}
    totals = aggregate.sum(axis=0)
    other_col = np.clip(aggregate.sum(axis=1) - volumes.sum(axis=1), 0, None)
    problem = _Problem(
        volumes,
        other_col,
        week,
        senders,
        observed,
        observed_day,
        {v: aggregate[:, v] for v in _RISK_IDX},
    )
    # Per sender, summed over the at-risk versions: the lowest and highest end-of-period share
    # among the fits examined, the expected messages per version.
    n = len(senders)
    position = {s: j for j, s in enumerate(senders)}
    end_low, end_high = np.zeros(n), np.zeros(n)
    peak = np.zeros(n)  # the lowest start-of-period at-risk share among the fits examined
    expected = np.zeros((n, n_versions))
    flipped: dict[int, int] = {}  # sender -> the sender that moved the other way
    for v in _RISK_IDX:
        target = aggregate[:, v]
        if target.sum() <= 0 and not any(o[v] > 0 for o in observed.values()):
            continue
        fit = problem.solve(target, v)
        end_low += fit.end_low
        end_high += fit.end_high
        peak += fit.shares[:n].max(axis=1, initial=0) if fit.peak_low is None else fit.peak_low
        expected[:, v] = fit.expected[:n]
        for who, moves_with in fit.flipped.items():
            flipped.setdefault(who, moves_with)
    end_now = np.clip(problem.end_now, 0, None)
    fixed_week = problem.fixed_week
    totals_by_sender = volumes.sum(axis=0)
    # Clean versions: what a sender's mail is not expected to be at risk, in the connector's
    # own mix of clean versions over the days (an estimate: the report says nothing finer).
    clean_mix = totals[_CLEAN_IDX] / max(totals[_CLEAN_IDX].sum(), 1e-12)
    # Where the trace names less than half of the connector's mail, a share that falls
    # is as well explained by the unsighted rest's mix changing: no sender is called fixed.
    sighted = volumes.sum() >= 0.5 * aggregate.sum()
    if not sighted:
        peak = np.zeros(n)
    # A sender the data shows clean at every point carries no at-risk mail.
    for j, sender in enumerate(senders):
        if sender not in observed and end_high[j] < AT_RISK_FLOOR and peak[j] < AT_RISK_FLOOR:
            expected[j, _RISK_IDX] = 0
    rest = np.clip(totals_by_sender - expected[:, _RISK_IDX].sum(axis=1), 0, None)
    for k, i in enumerate(_CLEAN_IDX):
        expected[:, i] = rest * clean_mix[k]
    for s, vec in observed.items():  # observed clean versions are the observed ones
        j = position[s]
        seen_clean = vec[_CLEAN_IDX]
        if seen_clean.sum() > 0:
            expected[j, _CLEAN_IDX] = rest[j] * seen_clean / seen_clean.sum()

    alone = _alone_days(volumes)
    estimates: list[dict] = []
    for j, sender in enumerate(senders):
        days = int((volumes[:, j] > 0).sum())
        total = totals_by_sender[j]
        shares = expected[j] / total if total > 0 else np.zeros(n_versions)
        lo, hi, now = (min(float(x), 1.0) for x in (end_low[j], end_high[j], end_now[j]))
        if sender in observed:
            verdict = OBSERVED
            mix = observed[sender] / observed[sender].sum()
            now = lo = hi = float(mix[_RISK_IDX].sum())
        elif days == 0:
            verdict = CANNOT_TELL
        elif lo < AT_RISK_FLOOR <= hi:
            verdict = CANNOT_TELL
        elif lo >= AT_RISK_FLOOR:
            verdict = AT_RISK
        elif peak[j] >= AT_RISK_FLOOR and shares[_RISK_IDX].sum() >= AT_RISK_FLOOR / 2:
            verdict = FIXED
        else:
            verdict = CLEAN
        partner = senders[flipped[j]] if flipped.get(j, -1) >= 0 else ""
        estimates.append(
            dict(
                sender=sender,
                shares=shares,
                verdict=verdict,
                lo=lo,
                hi=hi,
                now=now,
                days=days,
                alone=int(alone[j]),
                partner=partner,
                fixed=fixed_week.get(j) if verdict in (FIXED, OBSERVED) else None,
            )
        )

    # Integer counts per sender that add up to the aggregate per version. The rest row holds
    # what the named senders' expected mail does not explain: the mail of senders the data
    # cannot tell apart (o365tls does not guess which of them it was) and unsighted mail.
    order = [e for e in estimates if e["verdict"] != CANNOT_TELL]
    rows = np.array([expected[position[e["sender"]]] for e in order]).reshape(
        len(order), n_versions
    )
    rest_row = np.clip(totals - rows.sum(axis=0), 0, None)
    counts = _allocate(np.vstack([rows, rest_row]), totals)
    allocated = {e["sender"]: counts[i] for i, e in enumerate(order)}

    result = []
    for e in estimates:
        j = position[e["sender"]]
        mine = allocated.get(e["sender"], np.zeros(n_versions, dtype=int))
        shares = e["shares"] if e["verdict"] != CANNOT_TELL else np.zeros(n_versions)
        result.append(
            SenderEstimate(
                sender=e["sender"],
                shares=tuple(float(x) for x in shares),
                at_risk=float(np.asarray(e["shares"])[_RISK_IDX].sum()),
                low=e["lo"],
                high=e["hi"],
                verdict=e["verdict"],
                days=e["days"],
                alone_days=e["alone"],
                why=_why(e, volumes[:, j]),
                counts=tuple(int(x) for x in mine),
                at_risk_now=e["now"],
                fixed_week=e["fixed"],
                partner=e["partner"],
            )
        )
    return Attribution(
        tuple(result), tuple(int(x) for x in counts[-1]), int(n_days), tuple(int(w) for w in week)
    )


def attribute_all(problems: Iterable[tuple | None], jobs: int = 1) -> Iterator[Attribution | None]:
    """``attribute(*args)`` for each tuple of arguments (None for None), yielded in their
    order. With ``jobs`` > 1 the connectors are fitted at once on that many worker processes
    (each connector's programs are independent of the others'), ahead of the caller, which
    prepares the next ones meanwhile; the results are the same as on one core. A script that
    passes ``jobs`` > 1 must guard its entry point (see :func:`o365tls.parallel.process_pool`).
    """
    if jobs <= 1:
        for args in problems:
            yield None if args is None else attribute(*args)
        return
    from ..parallel import in_order, process_pool

    with process_pool(jobs) as pool:
        # Threads wait on the workers; a few more than the workers keep each one busy while
        # the next connector's arguments travel.
        yield from in_order(
            lambda args: None if args is None else pool.submit(attribute, *args).result(),
            problems,
            ahead=2 * jobs,
            name="o365tls-attribution",
        )


@dataclass
class _Fit:
    shares: np.ndarray  # columns x days (the last column: other senders, if any)
    expected: np.ndarray  # messages of the version per column
    end_low: np.ndarray  # per sender, the lowest end-of-period share among the fits
    end_high: np.ndarray
    flipped: dict[int, int]  # sender -> partner (-1: none) where the verdict changed
    peak_low: np.ndarray | None = None  # per sender, the lowest start-of-period share seen


class _Problem:
    """The linear programs of one connector: the same matrices for every version.

    A sender's daily shares only fall, so they are written as sums of non-negative drops:
    ``x[s, d] = Σ_{k ≥ d} z[s, k]`` (``z[s, k]`` at its last day with mail is its share at the
    end of the period, ``Σ_k z[s, k]`` its share at the start, at most 1). A drop exists only
    at the steps :func:`_steps` allows, so the programs have one row per day and one per
    sender, and one column per step. "Other senders" has a free share per week."""

    def __init__(self, volumes, other_col, week, senders, observed, observed_day, targets) -> None:
        from scipy import sparse

        self.volumes, self.week, self.senders = volumes, week, senders
        self.n_days, self.n = n_days, n = volumes.shape
        self.n_weeks = int(week.max()) + 1 if len(week) else 1
        self.has_other = bool(other_col.sum() > 0)
        self.observed, self.observed_day = observed, observed_day
        self.cols = volumes if not self.has_other else np.column_stack([volumes, other_col])
        self.daily = self.cols.T  # each column's messages per day
        active = self.daily[:n] > 0
        last = max(n_days - 1, 0)
        # The last day each sender has mail: its share then is its share at the end of the
        # period (nothing after it says otherwise), so no drop follows it.
        self.last_day = np.where(
            active.any(axis=1), last - np.argmax(active[:, ::-1], axis=1), last
        )
        # Where a share may fall: after any day, or with few days only at the end of a week.
        cuttable = (
            np.ones(n_days, dtype=bool)
            if n_days >= DAILY_STEPS_DAYS
            else np.append(week[1:] != week[:-1], True)
        )
        steps = _steps(self.daily[:n], self.last_day, cuttable) if n_days else np.ones((n, 1), bool)
        # A sender with mail on a day the connector had none of a version did not use it
        # that day, nor (devices get fixed) after it: its share may fall to zero right before.
        self.first: dict[int, np.ndarray] = {}
        for v, target in targets.items():
            sent = self.volumes[target <= 0] > 0
            days = np.flatnonzero(target <= 0)
            first = np.where(
                sent.any(axis=0),
                np.where(sent, days[:, None], n_days).min(axis=0, initial=n_days),
                n_days,
            )
            self.first[v] = first
            hit = (first > 0) & (first <= self.last_day) & cuttable[np.maximum(first - 1, 0)]
            steps[np.flatnonzero(hit), first[hit] - 1] = True
        self.observed_at: dict[int, int] = {}
        for s in observed:  # its share holds over the run of days of its observed message
            j = senders.index(s)
            at = min(observed_day.get(s, n_days - 1), n_days - 1) if n_days else 0
            self.observed_at[j] = max(at, 0)
            steps[j, max(int(self.last_day[j]), self.observed_at[j])] = True
        self.col_sender, self.col_day = np.nonzero(steps)
        self.n_z = len(self.col_sender)
        self.position = np.full(steps.shape, -1)
        self.position[self.col_sender, self.col_day] = np.arange(self.n_z)
        self.n_o = self.n_weeks if self.has_other else 0
        self.n_vars = self.n_z + self.n_o + 2 * n_days
        # Fit rows: day d of sender s reaches every drop of s on day d or later.
        rows, cols, vals = [np.zeros(0, int)], [np.zeros(0, int)], [np.zeros(0)]
        for j in range(n):
            days = np.flatnonzero(volumes[:, j] > 0)
            mine = np.flatnonzero(self.col_sender == j)
            reach = self.col_day[mine][np.newaxis, :] >= days[:, np.newaxis]
            d, c = np.nonzero(reach)
            rows.append(days[d])
            cols.append(mine[c])
            vals.append(volumes[days[d], j])
        parts = [
            sparse.csr_matrix(
                (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                shape=(n_days, self.n_z),
            )
        ]
        if self.has_other:
            parts.append(
                sparse.csr_matrix(
                    (other_col, (np.arange(n_days), week)), shape=(n_days, self.n_weeks)
                )
            )
        eye = sparse.identity(n_days, format="csr")
        self.fit = sparse.hstack([*parts, -eye, eye], format="csr")
        # Σ_k z[s, k] <= 1: the share at the start of the period.
        self.start = sparse.csr_matrix(
            (np.ones(self.n_z), (self.col_sender, np.arange(self.n_z))), shape=(n, self.n_vars)
        )
        self.residual_row = sparse.csr_matrix(
            (
                np.ones(2 * n_days),
                (np.zeros(2 * n_days, dtype=int), np.arange(self.n_z + self.n_o, self.n_vars)),
            ),
            shape=(1, self.n_vars),
        )
        self.end_col = self.position[np.arange(n), self.last_day]  # z of the end share
        self.end_now = np.zeros(n)
        self.fixed_week: dict[int, int] = {}

    def _shares(self, x: np.ndarray) -> np.ndarray:
        """Daily shares per column (senders, then "other senders") from a solution."""
        z = np.zeros((self.n, max(self.n_days, 1)))
        z[self.col_sender, self.col_day] = x[: self.n_z]
        shares = np.cumsum(z[:, ::-1], axis=1)[:, ::-1][:, : self.n_days]
        if self.has_other:
            other = x[self.n_z : self.n_z + self.n_o][self.week]
            shares = np.vstack([shares, other[np.newaxis, :]])
        return shares

    def _constraints(self, v: int, target: np.ndarray):
        """Bounds, and the equality rows of observed senders (their share on the day of
        their latest observed message)."""
        from scipy import sparse

        upper = np.ones(self.n_z)
        first = self.first.get(v)
        if first is not None:
            upper[self.col_day >= first[self.col_sender]] = 0
        rows, b = [], []
        for s, vec in self.observed.items():
            j = self.senders.index(s)
            at = self.observed_at[j]
            mine = self.col_sender == j
            upper[mine] = 1
            rows.append(np.where(mine & (self.col_day >= at), 1.0, 0.0))
            b.append(float(vec[v] / vec.sum()))
        bounds = np.zeros((self.n_vars, 2))
        bounds[:, 1] = np.inf
        bounds[: self.n_z, 1] = upper
        bounds[self.n_z : self.n_z + self.n_o, 1] = 1.0
        if rows:
            extra = sparse.hstack(
                [
                    sparse.csr_matrix(np.array(rows)),
                    sparse.csr_matrix((len(rows), self.n_vars - self.n_z)),
                ],
                format="csr",
            )
            a_eq = sparse.vstack([self.fit, extra], format="csr")
        else:
            a_eq = self.fit
        return bounds, a_eq, np.concatenate([target, b])

    def solve(self, target: np.ndarray, v: int) -> _Fit:
        from scipy import sparse
        from scipy.optimize import linprog

        n, n_z = self.n, self.n_z
        n_cols = self.cols.shape[1]
        bounds, a_eq, b_eq = self._constraints(v, target)
        cost = np.zeros(self.n_vars)
        cost[n_z + self.n_o :] = 1.0
        # Fewer at-risk senders: a cost on each sender's share at the start of the period,
        # and a tiny one rising day by day, so that a share with no mail to explain it falls
        # to zero.
        cost[:n_z] = SENDER_COST * (1 + 0.1 * (self.col_day + 1) / max(self.n_days, 1))
        best = linprog(
            cost,
            A_ub=self.start,
            b_ub=np.ones(n),
            A_eq=a_eq,
            b_eq=b_eq,
            bounds=bounds,
            method="highs-ds",
            options=_SOLVER,
        )
        if not best.success:
            return _Fit(
                np.zeros((n_cols, self.n_days)),
                np.zeros(n_cols),
                np.zeros(n),
                np.ones(n),
                {j: -1 for j in range(n)},
            )
        shares = self._shares(best.x)
        residual = float(best.x[n_z + self.n_o :].sum())
        expected = (self.daily * shares).sum(axis=1)
        end = shares[np.arange(n), self.last_day].copy() if self.n_days else np.zeros(n)
        self.end_now += end
        for j in range(n):
            falls = np.flatnonzero(np.diff(shares[j]) < -AT_RISK_FLOOR / 2)
            if shares[j].max(initial=0) >= AT_RISK_FLOOR and len(falls) and end[j] < AT_RISK_FLOOR:
                self.fixed_week.setdefault(j, int(self.week[falls[-1] + 1]))
        # Other explanations about as good: push the end shares of the senders named at risk
        # down, then those of the others up (random weights break ties between equal moves),
        # on the columns of _alternatives.
        tolerance = residual * TOLERANCE + max(0.5, ALLOWANCE * target.sum())
        a_ub = sparse.vstack([self.start, self.residual_row], format="csr")
        b_ub = np.concatenate([np.ones(n), [tolerance]])
        rng = np.random.default_rng(len(target) * 7919 + n)
        named = end >= AT_RISK_FLOOR / 2
        low, high = end.copy(), end.copy()
        peak = shares[:n].max(axis=1, initial=0)
        was_risk = peak >= AT_RISK_FLOOR
        peak_low = peak.copy()
        flipped: dict[int, int] = {}
        base_risk = end >= AT_RISK_FLOOR
        # Far fewer days than senders who may have used the version (a third or less): the
        # daily counts leave so many unknowns free that the check below finds too few of the
        # swaps, so none of them is pinned. Only a share the bounds force (observed, or days
        # without the version) stays pinned. Bounds and a preference for few at-risk senders
        # pin senders up to about three times as many as days, and no further.
        may = np.zeros(n, dtype=bool)
        may[self.col_sender[bounds[:n_z, 1] > 0]] = True
        free = may & (self.volumes.sum(axis=0) > 0)
        free[list(self.observed_at)] = False
        if DAYS_PER_SENDER * self.n_days < free.sum():
            for j in np.flatnonzero(free).tolist():
                flipped[j] = -1
            return _Fit(
                shares, expected, np.where(free, 0.0, low), np.where(free, 1.0, high), flipped
            )
        keep = self._alternatives(v, best.x[:n_z])
        if len(keep) < self.n_vars:
            a_ub, a_eq, bounds = a_ub[:, keep], a_eq[:, keep], bounds[keep]
        # Then once more down, on the senders still at risk in every fit so far: the first push
        # spends the tolerance on the cheapest moves and may leave a swap untried.
        for direction, which in ((1.0, "named"), (-1.0, "others"), (1.0, "still")):
            chosen = (
                named
                if which == "named"
                else ~named
                if which == "others"
                else base_risk & (low >= AT_RISK_FLOOR)
            )
            if not chosen.any() and not (which == "named" and was_risk.any()):
                continue
            c = np.zeros(self.n_vars)
            # The end share of a sender is its drop on its last day with mail.
            c[self.end_col] = direction * np.where(chosen, rng.uniform(0.5, 1.5, n), 0.0)
            if which == "named":  # and a sender that looks fixed: was it ever at risk?
                c[:n_z] += (was_risk & ~base_risk)[self.col_sender]
            res = linprog(
                c[keep],
                A_ub=a_ub,
                b_ub=b_ub,
                A_eq=a_eq,
                b_eq=b_eq,
                bounds=bounds,
                method="highs-ds",
                options=_SOLVER,
            )
            if not res.success:
                continue
            x = np.zeros(self.n_vars)
            x[keep] = res.x
            alt = self._shares(x)
            alt_end = alt[np.arange(n), self.last_day]
            peak_low = np.minimum(peak_low, alt[:n].max(axis=1, initial=0))
            low, high = np.minimum(low, alt_end), np.maximum(high, alt_end)
            moved = (self.daily[:n] * (alt[:n] - shares[:n])).sum(axis=1)
            for j in np.flatnonzero((alt_end >= AT_RISK_FLOOR) != base_risk).tolist():
                if j in flipped:
                    continue
                other_way = -np.sign(moved[j]) * moved
                other_way[j] = 0
                k = int(np.argmax(other_way))
                flipped[j] = k if other_way[k] > 0.5 else -1
        return _Fit(shares, expected, low, high, flipped, peak_low)

    def _alternatives(self, v: int, best: np.ndarray) -> np.ndarray:
        """The columns of the programs that look for other explanations: they need not place
        a fall to the day, only show how far the end shares can move, so a sender's share may
        fall there only at the end of a week, where it falls in the best fit, and where the
        bounds need a step (before its first day without the version; every step of an
        observed sender). A few times fewer columns, and far fewer non-zeros: a day's row
        reaches every later drop of each sender with mail that day."""
        keep = np.zeros(self.n_z, dtype=bool)
        keep[self.end_col] = True
        keep[best > 1e-9] = True  # (above the solver's rounding)
        week_end = np.append(self.week[1:] != self.week[:-1], True)
        keep[week_end[self.col_day]] = True
        first = self.first.get(v)
        if first is not None:
            keep[self.col_day == first[self.col_sender] - 1] = True
        for j in self.observed_at:
            keep[self.col_sender == j] = True
        return np.r_[np.flatnonzero(keep), np.arange(self.n_z, self.n_vars)]


def _steps(daily: np.ndarray, last_day: np.ndarray, cuttable: np.ndarray) -> np.ndarray:
    """Senders x days: where a sender's share may fall (``z[s, d]`` may be non-zero: the drop
    between day *d* and the next; on its last day with mail, its share at the end). Counted
    back from its last day, the run of days after its last step carries at least
    ``END_MESSAGES`` of its messages, so that its share at the end is pinned by that much
    mail (a few messages in the last days cannot make a sender look fixed), and every other
    run at least ``STEP_MESSAGES``: a busy sender may be fixed on any day, a quiet one every
    few days. A run ends only after a day ``cuttable`` allows."""
    n, n_days = daily.shape
    steps = np.zeros((n, n_days), dtype=bool)
    for j in range(n):
        last = int(last_day[j])
        steps[j, last] = True
        run = 0.0
        cut: list[int] = []
        for d in range(last, 0, -1):
            run += daily[j, d]
            if run >= (STEP_MESSAGES if cut else END_MESSAGES) and cuttable[d - 1]:
                cut.append(d - 1)
                run = 0.0
        if cut and run + daily[j, 0] < STEP_MESSAGES:
            cut.pop()  # the first run is too short: it joins the next one
        steps[j, cut] = True
    return steps


def _alone_days(design: np.ndarray) -> np.ndarray:
    active = design > 0
    alone = active & (active.sum(axis=1, keepdims=True) == 1)
    return alone.sum(axis=0)


def _why(e: dict, volume: np.ndarray) -> str:
    days, verdict = e["days"], e["verdict"]
    span = f"at-risk share at the end of the period between {e['lo']:.0%} and {e['hi']:.0%}"
    if verdict == OBSERVED:
        return "TLS observed message by message"
    if days == 0:
        return "cannot tell: no mail on the days both the connector report and the trace cover"
    if verdict == CANNOT_TELL:
        if days < 2:
            return f"cannot tell: seen on {days} day only ({span} fit the data equally well)"
        if e["partner"]:
            return (
                f"cannot tell: its daily volume is (nearly) matched by {e['partner']}'s, "
                f"so the data cannot separate them ({span} fit equally well)"
            )
        if volume.sum() < 20:
            return (
                f"cannot tell: too little mail ({int(volume.sum())} messages) to move the "
                f"connector's daily mix ({span} fit equally well)"
            )
        return (
            f"cannot tell: its daily volume is (nearly) a combination of other senders' "
            f"({span} fit equally well)"
        )
    if e["alone"]:
        return (
            f"the only sender on the connector on {e['alone']} of {days} days, which pins "
            f"its TLS mix ({span})"
        )
    return (
        f"its daily volume over {days} days tracks the connector's TLS mix, and no other "
        f"explanation that fits as well changes that ({span})"
    )


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
