"""``o365tls check``: the compliance gate for scheduled jobs."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import EXIT_FINDINGS, UsageError
from .common import (
    DomainOpt,
    EncodingOpt,
    ExceptionsOpt,
    FormatOpt,
    HistoryOpt,
    InventoryOpt,
    JobsOpt,
    PathsArg,
    RedactKeyOpt,
    RulesOpt,
    SchedulerOpt,
    SinceOpt,
    TenantOpt,
    UntilOpt,
    analysis_options,
    app,
    safe,
)

LEVELS = ("critical", "high", "medium", "low")


@app.command()
def check(
    paths: PathsArg,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on", help="Lowest priority that fails the gate: critical, high, medium or low."
        ),
    ] = "low",
    exceptions: ExceptionsOpt = None,
    history: HistoryOpt = None,
    tenant: TenantOpt = "default",
    inventory: InventoryOpt = None,
    rules: RulesOpt = None,
    domain: DomainOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    redact_key: RedactKeyOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The compliance gate: exit 3 when unaccepted at-risk findings exist."""
    import o365tls
    from o365tls.render.serialize import finding_record

    if fail_on not in LEVELS:
        raise UsageError(
            f"--fail-on {fail_on!r} is not a priority", hint=f"use one of {', '.join(LEVELS)}"
        )
    rv = o365tls.review(
        paths,
        options=analysis_options(inventory, rules, domain, since, until),
        exceptions=exceptions,
        history_db=history,
        tenant=tenant,
        redact_key=redact_key,
        format=format,
        encoding=encoding,
        jobs=jobs,
        scheduler=scheduler,
    )
    worst = LEVELS.index(fail_on)
    # Unverified findings were at risk and nothing shows them fixed: they still fail the gate.
    failing = [
        finding_record(f)
        for f in (*rv.results.findings, *rv.results.unverified)
        if not f.accepted and LEVELS.index(f.priority or "low") <= worst
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "fail_on": fail_on,
                    "failing": failing,
                    "accepted": [f.id for f in rv.results.findings if f.accepted],
                    "notes": [n for n in rv.results.notes if n.startswith("warning")],
                    "exit_code": EXIT_FINDINGS if failing else 0,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for f in failing:
            who = f["sender_address"] or f["sender_ip"] or "-"
            at_risk = f["legacy_messages"] + f["plaintext_messages"]
            line = (
                f"{f['priority'] or 'low':<8} {f['id']} {f['path']:<17} "
                f"connector={f['connector'] or '-'} sender={who} "
                f"at_risk={at_risk if f['status'] != 'unverified' else '?'} "
                f"status={f['status'] or '-'}"
            )
            if f["status"] == "unverified":
                line += f" ({f['status_reason']})"
            typer.echo(safe(line))
        for note in rv.results.notes:
            if note.startswith("warning"):
                typer.echo(safe(note), err=True)
    if failing:
        raise typer.Exit(EXIT_FINDINGS)
