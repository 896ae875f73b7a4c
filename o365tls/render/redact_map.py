"""``--redact-map FILE``: the consultant's own key from pseudonyms back to what they replace.

A CSV (UTF-8 with BOM, formulas neutralized like flows.csv) of pseudonym, original and kind.
It holds exactly what redaction hides, so it is never written among the outputs one hands to
a client: a path inside the output folder is refused, and the file is created readable and
writable by its owner only.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from ..errors import UsageError
from .safety import neutralize

HEADER = ("pseudonym", "original", "kind")


def check_map_path(path: str | Path, out_dir: str | Path) -> Path:
    """The map's path, refused when it lies inside the output folder (checked before a run)."""
    target = Path(path).expanduser().resolve()
    folder = Path(out_dir).expanduser().resolve()
    if target == folder or folder in target.parents:
        raise UsageError(
            f"--redact-map {path}: inside the output folder {out_dir}",
            hint="write the map outside the folder you hand to the client",
        )
    if target.is_dir():
        raise UsageError(f"--redact-map {path}: is a folder", hint="pass a file name")
    return target


def write_redact_map(rows, path: str | Path, out_dir: str | Path) -> Path:
    target = check_map_path(path, out_dir)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([neutralize(x) for x in row])
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    fd = os.open(
        target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600
    )
    try:
        os.fchmod(fd, 0o600)  # an existing file keeps no wider permissions
        os.write(fd, data)
    finally:
        os.close(fd)
    return target
