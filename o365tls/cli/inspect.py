"""``o365tls formats`` and ``o365tls inspect``."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from ..errors import EXIT_ERROR
from .common import EncodingOpt, FormatOpt, PathsArg, app, progress, safe


@app.command()
def formats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every supported export format and how it is recognised."""
    from ..importers import FORMATS

    rows = [
        {
            "name": f.name,
            "records": f.kind,
            "carries_tls": f.carries_tls,
            "description": f.description,
            "recognised_by": f.recognised_by,
        }
        for f in FORMATS
    ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        tls = "TLS" if row["carries_tls"] else "identity"
        typer.echo(f"{row['name']:<24} {tls:<9} {row['description']}")
        if row["recognised_by"]:
            typer.echo(f"{'':<24} {'':<9} recognised by: {row['recognised_by']}")


@app.command()
def inspect(
    paths: PathsArg,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """What each file is: format, encoding, period, rows and problems; no analysis."""
    from .. import inspect as inspect_files

    reports = inspect_files(paths, format=format, encoding=encoding, progress=progress())
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            _print_report(report)
        from ..analysis.placement import periods_apart

        apart = periods_apart(reports)
        if apart:
            typer.echo(f"note: {apart}")
    if reports and all(r.fatal for r in reports):
        raise typer.Exit(EXIT_ERROR)


def _print_report(report) -> None:
    data = report.as_dict()
    fmt = data["format"] or "UNRECOGNISED"
    typer.echo(safe(data["path"]))
    typer.echo(f"  format: {fmt}   encoding: {data['encoding'] or '-'}")
    period = data["period"]
    if period["start"]:
        typer.echo(f"  period: {period['start']} .. {period['end']}")
    typer.echo(
        f"  rows: {data['rows_read']} read, {data['rows_used']} used, "
        f"{data['rows_rejected']} rejected; {data['records']} records"
    )
    for issue in data["issues"]:
        where = f"row {issue['row']}: " if issue["row"] is not None else ""
        typer.echo(f"  - [{issue['code']}] {where}{safe(issue['message'])}")
