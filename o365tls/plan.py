"""The remediation plan people keep: Owner, Status, Due date and Notes per finding id.

These four values are typed into ``remediation.xlsx`` by the people doing the work; ``analyze
--plan WORKBOOK`` reads them back, ``--history`` keeps them per tenant (a finding that
disappears keeps its entry, so it comes back with its plan when it regresses), and every output
is pre-filled with them. Findings keep their id while their counts change (the id hashes the
flow's identity), so an entry follows its root cause from week to week.

Reading a workbook and the history each give entries; :func:`merge` combines them field by
field against what the workbook was written with (its baseline): a field that changed only in
the workbook takes the workbook's value, one that changed only in the history keeps the
history's, and one that changed in both keeps the workbook's, since that is what the user
handed in now, and is reported as a conflict naming the value it replaced. No typed value is
dropped without a note.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the history store imports this module: no pandas at import time
    from .analysis.results import PlanValues, Results

FIELDS = ("owner", "status", "due", "notes")
LABELS = {"owner": "Owner", "status": "Status", "due": "Due date", "notes": "Notes"}


@dataclass(frozen=True)
class PlanEntry:
    """What people typed for one finding. ``due`` is an ISO date when the cell held a date,
    else the text as typed (kept, so that a mistyped date is not lost)."""

    finding_id: str
    owner: str = ""
    status: str = ""
    due: str = ""
    notes: str = ""

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in FIELDS)

    def values(self) -> PlanValues:
        """What a finding carries of it."""
        from .analysis.results import PlanValues

        return PlanValues(self.owner, self.status, self.due, self.notes)


@dataclass(frozen=True)
class PlanRead:
    """What one workbook said: the typed entries, and the values it was written with (None
    when the workbook carries no baseline, e.g. written by hand or by an older o365tls)."""

    path: str
    entries: Mapping[str, PlanEntry]
    baseline: Mapping[str, PlanEntry] | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Conflict:
    finding_id: str
    field: str
    workbook: str
    history: str

    def describe(self, path: str) -> str:
        return (
            f"warning: plan conflict on finding {self.finding_id} ({LABELS[self.field]}): "
            f"{path} says {self.workbook!r}, the history had {self.history!r}; kept the "
            "workbook's value"
        )


def merge(
    stored: Mapping[str, PlanEntry] | None, read: PlanRead | None
) -> tuple[dict[str, PlanEntry], tuple[Conflict, ...]]:
    """The plan after reading ``read`` over the ``stored`` history entries (None without a
    history: the workbook's values are the plan)."""
    if stored is None:
        return ({fid: e for fid, e in read.entries.items() if not e.empty} if read else {}), ()
    out = dict(stored)
    if read is None:
        return out, ()
    conflicts: list[Conflict] = []
    for fid, typed in read.entries.items():
        if fid not in stored:  # the history knows nothing of it: the workbook is the plan
            if not typed.empty:
                out[fid] = typed
            continue
        ours = stored[fid]
        base = read.baseline.get(fid, PlanEntry(fid)) if read.baseline is not None else None
        values = {}
        for name in FIELDS:
            theirs, mine = getattr(typed, name), getattr(ours, name)
            was = getattr(base, name) if base is not None else None
            if theirs == mine or theirs == was or (was is None and not theirs):
                values[name] = mine  # the workbook did not change it
            elif mine == was or (was is None and not mine):
                values[name] = theirs  # only the workbook changed it
            else:
                values[name] = theirs
                conflicts.append(Conflict(fid, name, theirs, mine))
        entry = PlanEntry(fid, **values)
        if not entry.empty or fid in stored:  # a cleared entry stays cleared
            out[fid] = entry
    return out, tuple(conflicts)


def apply_plan(results: Results, entries: Mapping[str, PlanEntry]) -> Results:
    """Every flow and resolved record with its plan entry (``plan`` null when none)."""
    if not entries:
        return results

    def entry(f) -> PlanEntry | None:
        """Its own entry, else one an earlier snapshot kept under one of its flows' ids."""
        return next((entries[i] for i in f.flow_ids if i in entries), None)

    flows = tuple(
        replace(f, plan=found.values()) if (found := entry(f)) is not None else f
        for f in results.all_findings
    )
    resolved = tuple(
        replace(r, plan=entries[r.id].values()) if r.id in entries else r for r in results.resolved
    )
    return replace(results, all_findings=flows, resolved=resolved)


def entry_of(finding_id: str, data: Mapping[str, object] | None) -> PlanEntry | None:
    """A plan entry from its findings.json / history shape."""
    if not data:
        return None
    return PlanEntry(finding_id, **{k: str(data.get(k) or "") for k in FIELDS})
