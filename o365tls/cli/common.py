"""What every command shares: the Typer app, option types, terminal-safe printing, progress."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from .. import __version__

app = typer.Typer(
    name="o365tls",
    help="Find the Exchange Online mail flows that still use legacy TLS or no TLS, who sends "
    "them, and what to do about each.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

state = {"debug": False}

PathsArg = Annotated[
    list[Path],
    typer.Argument(
        help="Export files or folders (searched recursively; .zip archives are opened in place).",
        show_default=False,
    ),
]
FormatOpt = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="Read every file as this format (see `o365tls formats`) instead of "
        "recognising it from its content.",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Read every file in this encoding (e.g. cp1252, utf-16-le) instead of detecting it.",
    ),
]
InventoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--inventory",
        help="Your device list (CSV: ip / cidr / hostname / sender -> name, type, "
        "owner, site); it beats every heuristic.",
    ),
]
RulesOpt = Annotated[
    Path | None, typer.Option("--rules", help="Extra device classification rules (TOML or YAML).")
]
DomainOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--domain",
        help="One of the tenant's own domains (repeatable); guessed from the data when not given.",
    ),
]
SinceOpt = Annotated[
    datetime | None, typer.Option("--since", help="Only records at or after this UTC date/time.")
]
UntilOpt = Annotated[
    datetime | None, typer.Option("--until", help="Only records before this UTC date/time.")
]
ExceptionsOpt = Annotated[
    Path | None,
    typer.Option(
        "--exceptions",
        help="Accepted risks (YAML or TOML: connector, ip/CIDR, sender glob, device "
        "type, id; reason, owner, expires).",
    ),
]
HistoryOpt = Annotated[
    Path | None,
    typer.Option(
        "--history", help="SQLite history database for weekly reviews (created if missing)."
    ),
]
TenantOpt = Annotated[
    str, typer.Option("--tenant", help="Tenant name the snapshot is stored under in --history.")
]
RedactKeyOpt = Annotated[
    str | None,
    typer.Option(
        "--redact-key",
        envvar="O365TLS_REDACT_KEY",
        help="Secret key for --redact pseudonyms (or set O365TLS_REDACT_KEY).",
    ),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress or summary.")]
JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Use this many local cores: large files on separate processes, "
        "the next protocol logs prepared on processes, the chunks "
        "of one large file on threads, or connectors attributed on "
        "processes. Default: every core of this "
        "machine, up to 8 (small inputs are read on one: starting "
        "processes would cost more). --jobs 1: one core.",
        show_default=False,
    ),
]
SchedulerOpt = Annotated[
    str | None,
    typer.Option(
        "--scheduler",
        help="Dask scheduler address (tcp://host:8786): read files on that cluster "
        "(the workers must see the input paths).",
    ),
]


def safe(text: object) -> str:
    """Terminal-safe: no escape sequences or control characters from hostile input."""
    return "".join(ch if ch.isprintable() or ch == " " else "?" for ch in str(text))


def progress(quiet: bool = False):
    """A progress printer for stderr (file, rows, rate, files done), or None when quiet or
    when stderr is not a terminal (scheduled jobs keep clean logs)."""
    if quiet or not sys.stderr.isatty():
        return None
    started = time.monotonic()
    state = {"files": 0, "rows": 0, "file_rows": 0}

    def show(stage: str, report) -> None:
        if stage == "reading":
            state["file_rows"] = 0
        if stage in ("reading", "rows"):
            rows = state["rows"] + report.rows_read
            rate = rows / max(time.monotonic() - started, 1e-6)
            name = safe(report.path)[-48:]
            sys.stderr.write(
                f"\r{state['files']} files done; {name} ({report.format}): "
                f"{report.rows_read:,} rows, {rate:,.0f} rows/s  "
            )
        elif stage == "done":
            state["files"] += 1
            state["rows"] += report.rows_read
            sys.stderr.write(f"\r{'':<110}\r")
        sys.stderr.flush()

    return show


def analysis_options(inventory, rules, domain, since, until):
    import o365tls

    return o365tls.Options(
        inventory=inventory, rules=rules, domains=tuple(domain or ()), since=since, until=until
    )


def version_callback(value: bool) -> None:
    if value:
        typer.echo(f"o365tls {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback on errors.")] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=version_callback, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    state["debug"] = debug


__all__ = ["app", "state", "Path"]
