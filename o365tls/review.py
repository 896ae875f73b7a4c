"""One review of a tenant: gather, analyse, accept known risks, compare with history.

This is what ``o365tls analyze`` and ``o365tls check`` run; :func:`record` then stores the run
as the tenant's snapshot of its week. The pieces stay usable on their own (``o365tls.gather``,
``o365tls.analyze``...); this module only orders them the one way the commands need.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from . import history
from .analysis import Options, analyze
from .analysis.accepted_risks import apply_exceptions, load_exceptions
from .analysis.redact import Redactor, redact
from .analysis.results import Results
from .errors import InputError, UsageError
from .inputs import gather
from .plan import PlanEntry, PlanRead, apply_plan, merge
from .render.serialize import finding_from_record, finding_record, findings_document
from .status import apply_history
from .trend import TrendPoint, WeekCount, week_count

DEFAULT_TENANT = "default"


@dataclass(frozen=True)
class Review:
    results: Results
    week: str
    tenant: str
    trend: tuple[TrendPoint, ...] = field(default_factory=tuple)
    counted: WeekCount | None = None  # what this week adds to the trend (with history)
    plan: dict[str, PlanEntry] = field(default_factory=dict)  # every entry known, by finding id
    # With redaction: (pseudonym, original, kind) rows, for the consultant only (--redact-map).
    pseudonyms: tuple[tuple[str, str, str], ...] = ()


def review(
    paths,
    *,
    options: Options | None = None,
    exceptions: str | Path | None = None,
    history_db: str | Path | None = None,
    tenant: str = DEFAULT_TENANT,
    redact_key: str | None = None,
    format: str | None = None,
    encoding: str | None = None,
    progress=None,
    today: date | None = None,
    jobs: int | None = 1,
    scheduler: str | None = None,
    plan: str | Path | None = None,
) -> Review:
    """Everything but writing: raises :class:`~o365tls.errors.InputError` when nothing usable
    could be read. ``plan`` is an earlier remediation.xlsx whose typed Owner, Status, Due date
    and Notes carry over (merged with the history's, with ``history_db``)."""
    options = options or Options()
    today = today or options.today or datetime.now(UTC).date()
    risks = load_exceptions(exceptions) if exceptions else []  # bad files: fail before reading
    typed = read_plan(plan) if plan else None
    data = gather(
        paths,
        format=format,
        encoding=encoding,
        progress=progress,
        since=options.since,
        until=options.until,
        jobs=jobs,
        scheduler=scheduler,
    )
    if not [r for r in data.inputs if not r.fatal]:
        problems = (
            "; ".join(f"{r.path}: {r.issues[0].message}" for r in data.inputs if r.issues)
            or "no files found"
        )
        raise InputError(
            f"nothing usable could be read ({problems})", hint="run `o365tls inspect` on the inputs"
        )
    results = analyze(data, options)
    redactor = Redactor(redact_key) if redact_key else None
    if redactor is not None:
        results = redact(results, redactor)
    end = results.period[1]
    week = history.week_of(end.date() if end is not None else None)
    trend: tuple[TrendPoint, ...] = ()
    stored: dict[str, PlanEntry] | None = None
    counted = None
    if history_db:
        with history.connect(history_db) as conn:
            past = history.past(conn, tenant, week)
            # The last at-risk finding of each id that may be resolved or unverified now.
            earlier = {
                fid: finding_from_record(p.data)
                for fid, p in past.items()
                if p.data and (p.at_risk_then or p.unverified_then)
            }
            results = apply_history(results, past, earlier)
            points = [
                TrendPoint(
                    w,
                    at_risk,
                    messages,
                    tuple((d, n, left) for d, (n, left) in sorted(deadlines.items())),
                )
                for w, at_risk, messages, deadlines in history.trend(conn, tenant)
                if w != week
            ]
            stored = history.plan(conn, tenant)
            if typed is None:
                typed, found = _last_workbook(conn, tenant, week)
                results = replace(results, notes=(*results.notes, *found))
            counted = week_count(
                results,
                history.earlier_periods(conn, tenant, week),
                history.undated_seen(conn, tenant, week),
            )
        points.append(TrendPoint(week, counted.at_risk, counted.messages, counted.by_deadline))
        trend = tuple(sorted(points, key=lambda p: p.label))
        results = replace(results, notes=(*results.notes, *counted.notes))
    # After the history: unverified findings come from it, and exceptions apply to them too.
    results = apply_exceptions(results, risks, today)
    entries, conflicts = merge(stored, typed)
    results = apply_plan(results, entries)
    if typed is not None:
        notes = [*typed.notes, *(c.describe(typed.path) for c in conflicts)]
        results = replace(results, notes=(*results.notes, *notes))
    return Review(
        results,
        week,
        tenant,
        trend,
        counted,
        entries,
        tuple(redactor.table()) if redactor is not None else (),
    )


def read_plan(path: str | Path) -> PlanRead:
    from .render.xlsx import read_plan as read  # openpyxl loads only for a workbook to read

    return read(path)


def _last_workbook(conn, tenant: str, week: str) -> tuple[PlanRead | None, tuple[str, ...]]:
    """The plan typed into the workbook the tenant's last run wrote, when it is still there."""
    last = history.last_workbook(conn, tenant, week)
    if last is None:
        return None, ()
    written, path = last
    if not Path(path).is_file():
        return None, (
            f"the workbook of {written} ({path}) is gone: the plan comes from the "
            "history only (pass --plan to read another one)",
        )
    try:
        typed = read_plan(path)
    except UsageError as exc:
        return None, (f"warning: {exc}; the plan comes from the history only",)
    return typed, (f"read the plan typed into the workbook of {written} ({path})",)


def record(rv: Review, history_db: str | Path, workbook: str | Path | None = None) -> int:
    """Store the review as the tenant's snapshot for its week (replacing a re-run);
    ``workbook`` is the remediation.xlsx written for it, which the next run reads back."""
    with history.connect(history_db) as conn:
        return history.store(
            conn,
            rv.tenant,
            findings_document(rv.results),
            [finding_record(f) for f in rv.results.all_findings],
            rv.week,
            plan=rv.plan.values(),
            unverified=[finding_record(f) for f in rv.results.unverified],
            trend=(
                rv.counted.at_risk,
                rv.counted.messages,
                {d: [n, left] for d, n, left in rv.counted.by_deadline},
            )
            if rv.counted
            else None,
            undated=[
                (u.fingerprint, u.format, u.path, rv.counted.counts_undated)
                for u in rv.counted.undated
            ]
            if rv.counted
            else (),
            workbook=str(Path(workbook).resolve()) if workbook else None,
        )
