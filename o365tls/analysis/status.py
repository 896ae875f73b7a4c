"""Each finding's status against the tenant's previous snapshot (``--history``).

* ``new``: never at risk in an earlier snapshot;
* ``open``: at risk in the previous snapshot too;
* ``regressed``: at risk in some earlier snapshot, not in the previous one: fixed before,
  back now;
* ``resolved``: at risk in the previous snapshot, not any more (listed in ``resolved``).

A finding's ``history`` says when it was first reported and for how many days it has been open.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from ..history import PastFinding
from .results import Results, iso

NEW, OPEN, REGRESSED, RESOLVED = "new", "open", "regressed", "resolved"


def apply_history(results: Results, past: dict[str, PastFinding]) -> Results:
    start, end = results.period
    start_iso, end_day = iso(start), (end.date() if end is not None else None)
    flows = []
    for f in results.flows:
        if not f.at_risk:
            flows.append(f)
            continue
        seen = past.get(f.id)
        if seen and seen.at_risk_then:
            status = OPEN
        elif seen and seen.ever_at_risk:
            status = REGRESSED
        else:
            status = NEW
        first = (seen.first_at_risk if seen and seen.first_at_risk and status == OPEN
                 else start_iso)
        flows.append(replace(f, status=status,
                             history={"first_reported": first,
                                      "open_days": _days(first, end_day)}))
    current = {f.id for f in flows if f.at_risk}
    resolved = tuple(
        {**(p.data or {}), "status": RESOLVED}
        for fid, p in sorted(past.items()) if p.at_risk_then and fid not in current and p.data)
    return replace(results, flows=tuple(flows), resolved=resolved)


def _days(first: str | None, end: date | None) -> int | None:
    if not first or end is None:
        return None
    start = datetime.fromisoformat(first.replace("Z", "+00:00")).date()
    return max((end - start).days + 1, 1)
