"""Output safety shared by every writer: inert spreadsheet cells and atomic file writes."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar, overload

from ..errors import OutputError

# A cell starting with one of these is a formula (or DDE) to Excel and LibreOffice.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")

T = TypeVar("T")


@overload
def neutralize(value: str) -> str: ...
@overload
def neutralize(value: T) -> T: ...
def neutralize(value: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with an apostrophe so that it
    is shown as text. Numbers, booleans and None pass through untouched."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def unneutralize(text: str) -> str:
    """Text read back from a cell that :func:`neutralize` wrote: without the apostrophe it
    added, so that writing it again gives the same cell (and not one more apostrophe)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_START):
        return text[1:]
    return text


@contextmanager
def staged_outputs(out_dir: str | os.PathLike) -> Iterator[Path]:
    """A staging folder inside ``out_dir``; on success its files replace the outputs in one
    rename each, on failure it disappears and earlier outputs stay as they were."""
    target = Path(out_dir)
    try:
        target.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".o365tls-", dir=target))
    except OSError as exc:
        raise OutputError(
            f"{target}: cannot write the outputs here ({exc.strerror or exc})",
            hint="choose another folder with -o",
        ) from exc
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            os.replace(item, target / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
