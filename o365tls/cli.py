"""The ``o365tls`` command: a thin shell over the public API.

It parses options, calls :mod:`o365tls`, prints, and maps errors to the exit codes of
contract.md section 4. No pandas or openpyxl here; heavy modules load inside the commands so
that ``o365tls --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
import traceback
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .errors import EXIT_ERROR, EXIT_FINDINGS, InputError, O365TLSError

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


@app.command()
def analyze(
    paths: PathsArg,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the outputs "
                                         "(created if missing; files are replaced atomically).")],
    inventory: Annotated[Path | None, typer.Option(
        "--inventory", help="Your device list (CSV: ip / cidr / hostname / sender -> name, type, "
                            "owner, site); it beats every heuristic.")] = None,
    rules: Annotated[Path | None, typer.Option(
        "--rules", help="Extra device classification rules (TOML or YAML).")] = None,
    domain: Annotated[list[str] | None, typer.Option(
        "--domain", help="One of the tenant's own domains (repeatable); guessed from the data "
                         "when not given.")] = None,
    since: Annotated[datetime | None, typer.Option(
        "--since", help="Only records at or after this UTC date/time.")] = None,
    until: Annotated[datetime | None, typer.Option(
        "--until", help="Only records before this UTC date/time.")] = None,
    format: FormatOpt = None,
    encoding: EncodingOpt = None,
    fail_on_findings: Annotated[bool, typer.Option(
        "--fail-on-findings", help="Exit 3 when at-risk flows that are not accepted exist.")]
        = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]
        = False,
) -> None:
    """Import the exports, analyse them and write findings.json and flows.csv."""
    import o365tls

    data = o365tls.load(paths, format=format, encoding=encoding,
                        progress=None if quiet else _progress())
    usable = [r for r in data.inputs if not r.fatal]
    if not usable:
        problems = "; ".join(f"{r.path}: {r.issues[0].message}" for r in data.inputs
                             if r.issues) or "no files found"
        raise InputError(f"nothing usable could be read ({_safe(problems)})",
                         hint="run `o365tls inspect` on the inputs")
    options = o365tls.Options(inventory=inventory, rules=rules, domains=tuple(domain or ()),
                              since=since, until=until)
    results = o365tls.analyze(data, options)
    written = o365tls.write_outputs(results, output)
    findings = [f for f in results.findings if not f.accepted]
    if not quiet:
        totals = results.totals
        typer.echo(f"{totals.messages} messages, {totals.at_risk} at risk "
                   f"({totals.legacy} legacy TLS, {totals.plaintext} without TLS); "
                   f"{len(results.findings)} findings ({len(findings)} not accepted)", err=True)
        for path in written:
            typer.echo(f"wrote {path}", err=True)
    if fail_on_findings and findings:
        raise typer.Exit(EXIT_FINDINGS)


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
    """Console entry point: one error boundary for every command. Typer itself turns usage
    errors into exit 2 and ``typer.Exit(n)`` into exit n; everything else lands here."""
    try:
        app(standalone_mode=True)
    except O365TLSError as exc:
        _report_error(exc)
        sys.exit(exc.exit_code)
    except Exception as exc:  # noqa: BLE001 - the one boundary that turns crashes into exit 1
        _report_error(exc)
        sys.exit(EXIT_ERROR)


def _report_error(exc: BaseException) -> None:
    if _state["debug"]:
        traceback.print_exception(exc)
    if isinstance(exc, O365TLSError):
        sys.stderr.write(f"o365tls: error: {exc}\n")
    else:
        sys.stderr.write(f"o365tls: error: {type(exc).__name__}: {exc} "
                         "(run with --debug for the traceback)\n")
