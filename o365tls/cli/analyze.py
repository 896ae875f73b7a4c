"""``o365tls analyze``: the main job."""

from __future__ import annotations

from pathlib import Path
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
    QuietOpt,
    RedactKeyOpt,
    RulesOpt,
    SchedulerOpt,
    SinceOpt,
    TenantOpt,
    UntilOpt,
    analysis_options,
    app,
    progress,
    safe,
)


@app.command()
def analyze(
    paths: PathsArg,
    output: Annotated[
        Path,
        typer.Option(
            "-o",
            "--output",
            help="Folder for the outputs (created if missing; files are replaced atomically).",
        ),
    ],
    inventory: InventoryOpt = None,
    rules: RulesOpt = None,
    domain: DomainOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    exceptions: ExceptionsOpt = None,
    history: HistoryOpt = None,
    tenant: TenantOpt = "default",
    plan: Annotated[
        Path | None,
        typer.Option(
            "--plan",
            help="An earlier remediation.xlsx: the Owner, Status, Due date and Notes "
            "typed into it carry over to this run's outputs (and into --history). "
            "With --history and no --plan, the workbook the tenant's last run "
            "wrote is read.",
        ),
    ] = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    jobs: JobsOpt = None,
    scheduler: SchedulerOpt = None,
    fail_on_findings: Annotated[
        bool,
        typer.Option(
            "--fail-on-findings", help="Exit 3 when at-risk flows that are not accepted exist."
        ),
    ] = False,
    quiet: QuietOpt = False,
    client: Annotated[str, typer.Option("--client", help="Client name shown on the reports.")] = "",
    title: Annotated[str | None, typer.Option("--title", help="Report title.")] = None,
    author: Annotated[str, typer.Option("--author", help="Author shown on the reports.")] = "",
    logo: Annotated[
        Path | None,
        typer.Option(
            "--logo", help="PNG, JPEG, GIF or SVG logo, embedded in the HTML and the workbook."
        ),
    ] = None,
    redact: Annotated[
        bool,
        typer.Option(
            "--redact",
            help="Pseudonymize sender addresses and subjects in every output (same "
            "pseudonyms across runs with the same --redact-key).",
        ),
    ] = False,
    redact_key: RedactKeyOpt = None,
    redact_map: Annotated[
        Path | None,
        typer.Option(
            "--redact-map",
            help="With --redact: write a CSV of pseudonym, original and kind to "
            "this file (owner-only permissions), for you to map pseudonyms "
            "back; refused inside the output folder.",
        ),
    ] = None,
    template_dir: Annotated[
        Path | None,
        typer.Option(
            "--template-dir",
            help="Folder of Jinja templates that override or extend the built-in ones.",
        ),
    ] = None,
    print_mode: Annotated[
        str,
        typer.Option(
            "--print",
            help="What report.html prints: executive (the action list, summary, charts "
            "and the plan's rows, no appendices) or full (every section and "
            "every finding's details).",
        ),
    ] = "executive",
    classification: Annotated[
        str,
        typer.Option(
            "--classification",
            help='A label such as "Confidential" in the footer of every printed page.',
        ),
    ] = "",
    brand_color: Annotated[
        str | None,
        typer.Option(
            "--brand-color",
            help="Masthead colour as #rrggbb; its text turns white or dark, "
            "whichever reads better.",
        ),
    ] = None,
    notes: Annotated[
        Path | None,
        typer.Option(
            "--notes",
            help="A Markdown file of your commentary, shown in a section of its own "
            "(raw HTML in it is shown as text).",
        ),
    ] = None,
) -> None:
    """Import the exports, analyse them, and write the reports (the main job)."""
    import o365tls
    from o365tls.render import PRINT_MODES, logo_warning
    from o365tls.render.brand import parse_color

    if print_mode not in PRINT_MODES:  # checked before the exports are read
        raise UsageError(
            f"--print {print_mode!r}: not a printout", hint="--print takes executive or full"
        )
    if brand_color is not None:
        parse_color(brand_color)
    logo_problem = logo_warning(logo)  # a bad logo stops the run before the exports are read
    if logo_problem:
        typer.echo(safe(logo_problem), err=True)
    if redact_map is not None:
        from o365tls.render.redact_map import check_map_path

        if not redact:
            raise UsageError("--redact-map needs --redact", hint="add --redact")
        check_map_path(redact_map, output)
    if redact and not redact_key:
        raise UsageError(
            "--redact needs a key to make stable pseudonyms",
            hint="pass --redact-key or set O365TLS_REDACT_KEY",
        )
    rv = o365tls.review(
        paths,
        options=analysis_options(inventory, rules, domain, since, until),
        exceptions=exceptions,
        history_db=history,
        tenant=tenant,
        redact_key=redact_key if redact else None,
        format=format,
        encoding=encoding,
        jobs=jobs,
        scheduler=scheduler,
        plan=plan,
        progress=progress(quiet),
    )
    report = o365tls.ReportOptions(
        title=title,
        client=client,
        author=author,
        logo=logo,
        template_dir=template_dir,
        trend=rv.trend,
        print_mode=print_mode,
        classification=classification,
        brand_color=brand_color,
        notes=notes,
    )
    written = o365tls.write_outputs(rv.results, output, report)
    if redact_map is not None:
        from o365tls.render.redact_map import write_redact_map

        mapped = write_redact_map(rv.pseudonyms, redact_map, output)
        if not quiet:
            typer.echo(f"wrote {mapped} (pseudonyms to originals: keep it to yourself)", err=True)
    if history:
        o365tls.record(rv, history, workbook=next(p for p in written if p.suffix == ".xlsx"))
    results = rv.results
    open_findings = [f for f in results.findings if not f.accepted]
    if not quiet:
        totals = results.totals
        typer.echo(
            f"{totals.messages} messages, {totals.at_risk} at risk "
            f"({totals.legacy} legacy TLS, {totals.plaintext} without TLS); "
            f"{len(results.findings)} findings ({len(open_findings)} not accepted)",
            err=True,
        )
        for path in written:
            typer.echo(f"wrote {path}", err=True)
        for note in results.notes:
            if note.startswith("warning"):
                typer.echo(note, err=True)
        if history:
            typer.echo(f"stored snapshot {rv.tenant} {rv.week} in {history}", err=True)
    for note in results.notes:
        if note.startswith("warning"):
            typer.echo(safe(note), err=True)
    if fail_on_findings and open_findings:
        raise typer.Exit(EXIT_FINDINGS)
