"""The ``o365tls`` command: a thin shell over the public API.

It parses options, calls :mod:`o365tls`, prints, and maps errors to the exit codes of
contract.md section 4. No pandas or openpyxl here; heavy modules load inside the commands so
that ``o365tls --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .errors import EXIT_ERROR, EXIT_OK, EXIT_USAGE, O365TLSError

app = typer.Typer(
    name="o365tls",
    help="Find the Exchange Online mail flows that still use legacy TLS or no TLS, who sends "
         "them, and what to do about each.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state = {"debug": False}

PathsArg = Annotated[list[Path], typer.Argument(
    help="Export files or folders (searched recursively; .zip archives are opened in place).",
    show_default=False)]
FormatOpt = Annotated[str | None, typer.Option(
    "--format", help="Read every file as this format (see `o365tls formats`) instead of "
                     "recognising it from its content.")]
EncodingOpt = Annotated[str | None, typer.Option(
    "--encoding", help="Read every file in this encoding (e.g. cp1252, utf-16-le) instead of "
                       "detecting it.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"o365tls {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback on errors.")] = False,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    _state["debug"] = debug


@app.command()
def formats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every supported export format and how it is recognised."""
    from .importers import FORMATS

    rows = [{"name": f.name, "records": f.kind, "carries_tls": f.carries_tls,
             "description": f.description, "recognised_by": f.recognised_by} for f in FORMATS]
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
    """Say what each file is (format, encoding, period, rows read / used / rejected, and each
    problem with its row), without analysing anything."""
    from . import inspect as inspect_files

    reports = inspect_files(paths, format=format, encoding=encoding, progress=_progress())
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], indent=2, ensure_ascii=False))
    else:
        for report in reports:
            _print_report(report)
    if reports and all(r.fatal for r in reports):
        raise typer.Exit(EXIT_ERROR)


def _print_report(report) -> None:
    data = report.as_dict()
    fmt = data["format"] or "UNRECOGNISED"
    typer.echo(_safe(data["path"]))
    typer.echo(f"  format: {fmt}   encoding: {data['encoding'] or '-'}")
    period = data["period"]
    if period["start"]:
        typer.echo(f"  period: {period['start']} .. {period['end']}")
    typer.echo(f"  rows: {data['rows_read']} read, {data['rows_used']} used, "
               f"{data['rows_rejected']} rejected; {data['records']} records")
    for issue in data["issues"]:
        where = f"row {issue['row']}: " if issue["row"] is not None else ""
        typer.echo(f"  - [{issue['code']}] {where}{_safe(issue['message'])}")


def _safe(text: str) -> str:
    """Terminal-safe: no escape sequences or control characters from hostile input."""
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in str(text))


def _progress():
    if not sys.stderr.isatty():
        return None

    def show(stage: str, report) -> None:
        if stage == "reading":
            sys.stderr.write(f"\rreading {report.path[-60:]:<60} ({report.format})")
        elif stage == "done":
            sys.stderr.write(f"\r{'':<80}\r")
        sys.stderr.flush()

    return show


def main() -> None:
    """Console entry point: one error boundary for every command."""
    try:
        app(standalone_mode=False)
    except O365TLSError as exc:
        _report_error(exc)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(EXIT_ERROR)
    except Exception as exc:  # noqa: BLE001 - the one boundary that turns crashes into exit 1
        import click

        if isinstance(exc, click.exceptions.UsageError):
            exc.show()
            sys.exit(EXIT_USAGE)
        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        _report_error(exc)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK)


def _report_error(exc: BaseException) -> None:
    if _state["debug"]:
        traceback.print_exception(exc)
    if isinstance(exc, O365TLSError):
        sys.stderr.write(f"o365tls: error: {exc}\n")
    else:
        sys.stderr.write(f"o365tls: error: {type(exc).__name__}: {exc} "
                         "(run with --debug for the traceback)\n")
