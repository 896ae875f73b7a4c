"""Each finding's status against the tenant's earlier snapshots (``--history``), on evidence.

* ``new``: never at risk in an earlier snapshot;
* ``open``: at risk in the previous snapshot too (or left ``unverified`` there);
* ``regressed``: at risk in some earlier snapshot, resolved since: fixed before, back now;
* ``resolved``: at risk before, and this run has the evidence that it no longer is (listed in
  ``resolved``);
* ``unverified``: at risk before, not at risk in this run's findings, but without the evidence
  to call it resolved (listed in ``unverified``): still open.

A finding that is no longer at risk is ``resolved`` only when

1. its flow was seen sending with TLS 1.2 or later: observed (a TLS-bearing record names it),
   or attributed with a ``clean`` verdict (the daily counts pin its at-risk share at 10% or
   less); or
2. it sent nothing for at least :data:`QUIET_DAYS` days that the inputs which would have seen
   it cover (:data:`WITNESSES`: the export of its hop, and for a named sender an export that
   names senders).

Everything else is ``unverified`` with the reason: the attribution could not tell its share
("cannot tell"), its messages carry no TLS version, the inputs that would have seen it are
missing, undated, or cover too few days. An unverified finding stays open for ``check``.

A finding's ``history`` says when it was first reported and for how many days it has been open;
``status_reason`` says why it has its status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta

from .analysis.flows import flow_id
from .analysis.results import AttributionRow, Finding, FindingHistory, Results, iso
from .history import PastFinding
from .quality import FileReport

NEW, OPEN, REGRESSED, RESOLVED, UNVERIFIED = "new", "open", "regressed", "resolved", "unverified"
QUIET_DAYS = 7
IDENTITY = frozenset(
    {
        "message-trace",
        "message-trace-detail",
        "historical-summary",
        "historical-extended",
        "exchange-tracking-log",
    }
)
# Which exports would have seen a flow of each hop again: every group must be among the
# inputs (one format of the group is enough).
WITNESSES: dict[str, tuple[frozenset[str], ...]] = {
    "exo": (frozenset({"eac-connector-report", "message-trace-detail"}),),
    "exo-submission": (frozenset({"eac-smtp-auth-report"}),),
    "on-prem": (frozenset({"exchange-protocol-log"}),),
}
_MODERN = ("TLS1.2", "TLS1.3")


def apply_history(
    results: Results, past: Mapping[str, PastFinding], earlier: Mapping[str, Finding]
) -> Results:
    """``past``: what the tenant's earlier snapshots know of each flow id; ``earlier``: the
    last at-risk finding stored under each id, read back (resolved and unverified findings are
    those, with their new status)."""
    start, end = results.period
    start_iso, end_day = iso(start), (end.date() if end is not None else None)
    flows = []
    for f in results.all_findings:
        if not f.at_risk:
            flows.append(f)
            continue
        # A root cause is known to earlier snapshots by its own id or by its flows' ids.
        seen = next((past[i] for i in f.flow_ids if i in past), None)
        if seen and (seen.at_risk_then or seen.unverified_then):
            status, why = (
                OPEN,
                (
                    "at risk in the previous snapshot too"
                    if seen.at_risk_then
                    else "unverified in the previous snapshot, at risk again"
                ),
            )
        elif seen and seen.ever_at_risk:
            status, why = REGRESSED, f"resolved in {seen.last_week}, at risk again"
        else:
            status, why = NEW, "not at risk in any earlier snapshot"
        first = seen.first_at_risk if seen and seen.first_at_risk and status == OPEN else start_iso
        flows.append(
            replace(
                f,
                status=status,
                status_reason=why,
                history=FindingHistory(first, _days(first, end_day)),
            )
        )
    current = {i for f in flows if f.at_risk for i in f.flow_ids}
    by_id = {i: f for f in flows for i in f.flow_ids}
    attribution = {
        flow_id(a.scope, a.direction, a.connector, a.sender): a for a in results.attribution
    }
    resolved: list[Finding] = []
    unverified: list[Finding] = []
    for fid, p in sorted(past.items()):
        before = earlier.get(fid)
        if not (p.at_risk_then or p.unverified_then) or fid in current or before is None:
            continue
        settled, why = _settle(before, by_id.get(fid), attribution.get(fid), results)
        record = replace(before, status=RESOLVED if settled else UNVERIFIED, status_reason=why)
        (resolved if settled else unverified).append(record)
    return replace(
        results, all_findings=tuple(flows), resolved=tuple(resolved), unverified=tuple(unverified)
    )


def _settle(
    before: Finding, now: Finding | None, attribution: AttributionRow | None, results: Results
) -> tuple[bool, str]:
    """Whether a finding at risk before is resolved now, and why (or why it cannot be said)."""
    if now is not None:
        tls = now.flow.tls.as_dict()
        modern = sum(tls.get(v, 0) for v in _MODERN)
        verdict = now.flow.attribution.verdict if now.flow.attribution else None
        if now.flow.evidence == "observed" and modern:
            return True, f"seen sending {modern:,} messages with TLS 1.2 or later, none at risk"
        if now.flow.evidence == "attributed" and verdict == "clean" and modern:
            return True, (
                f"its {modern:,} messages are attributed to TLS 1.2 or later, and the "
                "daily counts pin its at-risk share at 10% or less"
            )
        return False, (f"its {now.flow.tls.messages:,} messages this run carry no TLS 1.2 evidence")
    if attribution is not None and attribution.verdict != "clean":
        return False, (
            f"still sending ({attribution.messages:,} messages), but "
            f"{attribution.why or 'cannot tell its TLS'}"
        )
    return _quiet(before, results.inputs)


def _quiet(before: Finding, inputs: Sequence[FileReport]) -> tuple[bool, str]:
    """Resolved by silence: nothing sent over enough days of the inputs that would see it."""
    scope = before.flow.scope or "exo"
    groups = list(WITNESSES.get(scope, ()))
    if scope == "exo" and (before.flow.sender_address or before.flow.sender_ip):
        groups.append(IDENTITY)
    covered: set[date] | None = None
    for group in groups:
        witnesses = [r for r in inputs if r.format in group and not r.fatal]
        if not witnesses:
            return False, (
                "sent nothing this run, but no input would have seen it (needs "
                f"{' or '.join(sorted(group))})"
            )
        days = set().union(*(_days_of(r) for r in witnesses))
        if not days:
            names = " and ".join(sorted({r.format or "" for r in witnesses}))
            return False, (
                f"sent nothing this run, but {names} carries no dates: its silence "
                "covers no known day"
            )
        covered = days if covered is None else covered & days
    if not groups:
        return False, "sent nothing this run; no known input shows this hop"
    if len(covered or ()) < QUIET_DAYS:
        return False, (
            f"sent nothing over the {len(covered or ())} day(s) the inputs that would "
            f"see it cover; {QUIET_DAYS} are needed"
        )
    return True, (
        f"sent nothing over {len(covered or ())} days that the inputs which would see it cover"
    )


def _days_of(report: FileReport) -> set[date]:
    start, end = report.period_start, report.period_end
    if start is None or end is None:
        return set()
    first, last = start.date(), end.date()
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


def _days(first: str | None, end: date | None) -> int | None:
    if not first or end is None:
        return None
    start = datetime.fromisoformat(first.replace("Z", "+00:00")).date()
    return max((end - start).days + 1, 1)
