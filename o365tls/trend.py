"""What one run adds to the weekly trend: each message once, across weeks.

A snapshot stores everything its run read, but the trend (at-risk messages per week) must not
count a message in two weeks. Two kinds of input would do that:

* an **overlapping** export: a connector report of the last 14 days, read every week, repeats
  last week's days. Days that an earlier snapshot of the tenant covered (its period) count in
  that snapshot's week only; this week's trend point takes the days after them.
* an **undated** export: the SMTP AUTH clients report carries no dates, so its messages cannot
  be placed on days. Its content is fingerprinted: it counts in the trend of the first week
  that read it, and a later week that reads the same file again leaves it out. A different
  undated file counts in its own week (nothing says which days it covers).

Each case that changes a week's count is said in a note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from .analysis.results import Results
from .quality import FileReport

_NO_MESSAGES = frozenset({"connector-config"})  # undated, but count nothing


@dataclass(frozen=True)
class TrendPoint:
    """One week of history (filled by the weekly-review feature; empty otherwise)."""

    label: str
    at_risk: int
    messages: int
    # (ISO date, at-risk messages of the findings it applies to, messages left out because an
    # undated export counted them in an earlier week)
    by_deadline: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Undated:
    """An input without dates that counted messages, by the fingerprint of its bytes."""

    path: str
    format: str
    fingerprint: str


@dataclass(frozen=True)
class WeekCount:
    """This run's point on the trend, and why it differs from the run's totals."""

    at_risk: int
    messages: int
    undated: tuple[Undated, ...]
    counts_undated: bool  # this week's trend counts the undated inputs' messages
    notes: tuple[str, ...]
    # (ISO date, at-risk messages, left out) per dated deadline, over the findings it applies
    # to; messages of an undated export counted in an earlier week are left out, as above.
    by_deadline: tuple[tuple[str, int, int], ...] = ()


def undated_inputs(inputs: Iterable[FileReport]) -> tuple[Undated, ...]:
    return tuple(
        Undated(r.path, r.format or "", _fingerprint(r))
        for r in inputs
        if not r.fatal and r.period_start is None and r.rows_used and r.format not in _NO_MESSAGES
    )


def week_count(
    results: Results, earlier_periods: Sequence[tuple[str | None, str | None]], seen: dict[str, str]
) -> WeekCount:
    """``earlier_periods``: the (start, end) of the tenant's earlier snapshots; ``seen``: the
    fingerprints of undated inputs that earlier snapshots counted, with their week."""
    counted_days: set[date] = set()
    for start, end in earlier_periods:
        counted_days |= _days(start, end)
    notes = []
    dated_messages = dated_at_risk = repeat_messages = repeat_at_risk = 0
    repeated: list[date] = []
    for day, counts in results.daily:
        dated_messages += counts.messages
        dated_at_risk += counts.at_risk
        if day.date() in counted_days:
            repeat_messages += counts.messages
            repeat_at_risk += counts.at_risk
            repeated.append(day.date())
    if repeated:
        notes.append(
            f"{len(repeated)} day(s) of this run ({min(repeated)} to "
            f"{max(repeated)}) fall in the period of an earlier snapshot: their "
            f"{repeat_messages:,} messages ({repeat_at_risk:,} at risk) count in that "
            "week's trend, not this week's"
        )
    undated_messages = results.totals.messages - dated_messages
    undated_at_risk = results.totals.at_risk - dated_at_risk
    undated = undated_inputs(results.inputs)
    again = [u for u in undated if u.fingerprint in seen]
    count_undated = not undated or len(again) < len(undated)
    if undated and not count_undated:
        weeks = ", ".join(sorted({seen[u.fingerprint] for u in again}))
        notes.append(
            f"{', '.join(u.path for u in again)} has no dates and was already "
            f"counted in the trend of {weeks}: its {undated_messages:,} messages "
            f"({undated_at_risk:,} at risk) are left out of this week's trend"
        )
    elif undated:
        notes.append(
            f"{', '.join(u.path for u in undated)} has no dates: its "
            f"{undated_messages:,} messages count in this week's trend, and in no "
            "later week that reads the same file again"
        )
    at_risk = dated_at_risk - repeat_at_risk + (undated_at_risk if count_undated else 0)
    messages = dated_messages - repeat_messages + (undated_messages if count_undated else 0)
    skip = set() if count_undated else {u.path for u in undated}
    return WeekCount(
        at_risk,
        messages,
        undated,
        bool(undated) and count_undated,
        tuple(notes),
        deadline_counts(results, skip),
    )


def deadline_counts(
    results: Results, skip: set[str] | frozenset[str] = frozenset()
) -> tuple[tuple[str, int, int], ...]:
    """(deadline, at-risk messages, left out) per dated deadline, over the findings it
    applies to; the messages of a finding whose sources include a path of ``skip`` (an undated
    export counted in an earlier week) are left out, and counted as such."""
    out: dict[str, list[int]] = {}
    for f in results.findings:
        deadline = f.remediation.deadline if f.remediation else None
        if deadline:
            counts = out.setdefault(deadline, [0, 0])
            counts[1 if skip.intersection(f.flow.sources) else 0] += f.flow.tls.at_risk
    return tuple((d, n, left) for d, (n, left) in sorted(out.items()))


def _days(start: str | None, end: str | None) -> set[date]:
    if not start or not end:
        return set()
    first = datetime.fromisoformat(start.replace("Z", "+00:00")).date()
    last = datetime.fromisoformat(end.replace("Z", "+00:00")).date()
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def _fingerprint(report: FileReport) -> str:
    """SHA-256 of the file's bytes (undated exports are small reports); a file that cannot be
    re-read (inside an archive) is known by its format and row counts."""
    try:
        return hashlib.sha256(Path(report.path).read_bytes()).hexdigest()
    except OSError:
        key = f"{report.format}|{report.rows_read}|{report.rows_used}|{report.records}"
        return "rows:" + hashlib.sha256(key.encode()).hexdigest()
