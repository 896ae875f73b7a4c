"""Errors that reach users, and the exit codes they map to (the README's exit codes)."""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_FINDINGS = 3


class O365TLSError(Exception):
    """An error users can act on: one line naming the file, plus a hint."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} (hint: {self.hint})"


class InputError(O365TLSError):
    """Nothing usable could be read from the inputs."""


class UsageError(O365TLSError):
    """Options that do not fit together, or a bad option file."""

    exit_code = EXIT_USAGE


class OutputError(O365TLSError):
    """An output could not be written."""
