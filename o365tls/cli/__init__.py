"""The ``o365tls`` command: a thin shell over the public API.

Each command lives in its own module and registers itself on :data:`.common.app`. Commands
parse options, call :mod:`o365tls`, print, and map errors to the exit codes the README
documents. No pandas or openpyxl here: heavy modules load inside the commands, so that
``o365tls --help`` stays fast.
"""

from __future__ import annotations

import sys
import traceback

from ..errors import EXIT_ERROR, O365TLSError
from . import analyze, check, history, inspect, probe  # noqa: F401 - registers the commands
from .common import app, state


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
    if state["debug"]:
        traceback.print_exception(exc)
    if isinstance(exc, O365TLSError):
        sys.stderr.write(f"o365tls: error: {exc}\n")
    else:
        sys.stderr.write(
            f"o365tls: error: {type(exc).__name__}: {exc} (run with --debug for the traceback)\n"
        )


__all__ = ["app", "main"]
