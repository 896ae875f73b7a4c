"""Where input bytes come from: files, folders (recursive) and ``.zip`` archives opened in place.

A :class:`Source` is one readable export, either a file on disk or a member of a zip archive.
:func:`expand_paths` turns the PATH arguments into sources, refusing archive members that would
escape their folder, nested archives and likely decompression bombs.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from ..errors import InputError

ZIP_MAGIC = b"PK\x03\x04"
EMPTY_ZIP_MAGIC = b"PK\x05\x06"

#: A member larger than this when unpacked is refused (exports of a busy server stay far below).
MAX_MEMBER_BYTES = 8 * 1024**3
#: Unpacked/packed ratio above which a member is treated as a decompression bomb. Text exports
#: compress 5-20x; a ratio this high is crafted.
MAX_COMPRESSION_RATIO = 400
#: Members per archive.
MAX_MEMBERS = 10_000
#: What reading a file or a damaged archive member raises: a bad local header or CRC
#: (BadZipFile), a corrupt deflate stream (zlib.error), a truncated bz2/lzma stream (EOFError),
#: a compression method zipfile lacks (NotImplementedError), or the disk (OSError).
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, zlib.error, NotImplementedError)

# Files in a folder walk that are documentation or scripts, not exports. Named files are always
# read; these are only skipped when a *folder* is searched, so that a folder with a README next
# to its exports reads cleanly.
_SKIPPED_IN_FOLDERS = (
    ".md",
    ".py",
    ".pyc",
    ".rst",
    ".pdf",
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".html",
    ".xlsx",
    ".docx",
)


@dataclass(frozen=True)
class Source:
    """One readable input: a file, or a member of a zip archive."""

    display: str  # what users see: "exports/trace.csv" or "exports.zip!trace.csv"
    path: Path  # the file on disk (the archive for members)
    member: str | None = None
    size: int = 0

    def open(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        # Closing the archive here is safe: zipfile keeps the underlying file open until the
        # member stream is closed too.
        with zipfile.ZipFile(self.path) as archive:
            return archive.open(self.member)


@dataclass(frozen=True)
class Refusal:
    """An input that was not read at all, and why."""

    display: str
    code: str
    message: str


def expand_paths(paths: list[str | os.PathLike]) -> tuple[list[Source], list[Refusal]]:
    """Every source under ``paths``, in a stable order, and every input refused."""
    sources: list[Source] = []
    refusals: list[Refusal] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{raw}: no such file or folder", hint="check the path")
        if path.is_dir():
            for child in _walk(path):
                _add_file(child, sources, refusals)
        else:
            _add_file(path, sources, refusals)
    return sources, refusals


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name.startswith(".") or name.lower().startswith("readme"):
                continue
            if name.lower().endswith(_SKIPPED_IN_FOLDERS):
                continue
            child = Path(root) / name
            if child.is_symlink():
                continue
            yield child


def _add_file(path: Path, sources: list[Source], refusals: list[Refusal]) -> None:
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
        size = path.stat().st_size
    except OSError as exc:
        refusals.append(Refusal(str(path), "unreadable", f"cannot read: {exc.strerror or exc}"))
        return
    if magic in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
        _add_archive(path, sources, refusals)
    else:
        sources.append(Source(str(path), path, None, size))


def _add_archive(path: Path, sources: list[Source], refusals: list[Refusal]) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except (*READ_ERRORS, ValueError) as exc:  # ValueError: a member name that is not UTF-8
        refusals.append(Refusal(str(path), "bad-archive", f"not a readable zip archive ({exc})"))
        return
    with archive:
        infos = archive.infolist()
        if len(infos) > MAX_MEMBERS:
            refusals.append(
                Refusal(
                    str(path),
                    "archive-too-large",
                    f"{len(infos)} members; at most {MAX_MEMBERS} are read",
                )
            )
            return
        for info in sorted(infos, key=lambda i: i.filename):
            if info.is_dir():
                continue
            display = f"{path}!{info.filename}"
            problem = _member_problem(info)
            if problem:
                refusals.append(Refusal(display, problem[0], problem[1]))
                continue
            name = PurePosixPath(info.filename).name
            if (
                name.startswith(".")
                or name.lower().startswith("readme")
                or name.lower().endswith(_SKIPPED_IN_FOLDERS)
            ):
                continue
            try:
                with archive.open(info) as fh:
                    magic = fh.read(4)
            # RuntimeError: an encrypted member; ValueError: a local name flagged UTF-8 that is not
            except (*READ_ERRORS, RuntimeError, ValueError) as exc:
                refusals.append(
                    Refusal(
                        display,
                        "bad-archive",
                        f"the archive member cannot be read ({exc}); "
                        "unzip the archive and check its files",
                    )
                )
                continue
            if magic in (ZIP_MAGIC, EMPTY_ZIP_MAGIC):
                refusals.append(
                    Refusal(
                        display,
                        "nested-archive",
                        "archives inside archives are not opened; unzip it first",
                    )
                )
                continue
            sources.append(Source(display, path, info.filename, info.file_size))


def _member_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    name = info.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return ("unsafe-path", "member path escapes the archive folder; refused")
    mode = (info.external_attr >> 16) & 0o170000
    if mode == 0o120000:
        return ("link", "member is a symbolic link; refused")
    if info.file_size > MAX_MEMBER_BYTES:
        return (
            "too-large",
            f"member unpacks to {info.file_size} bytes, over the "
            f"{MAX_MEMBER_BYTES}-byte limit; unzip it yourself if it is real",
        )
    if info.compress_size and info.file_size / info.compress_size > MAX_COMPRESSION_RATIO:
        return (
            "decompression-bomb",
            "member compresses more than any real export "
            f"({info.file_size // info.compress_size}:1); refused",
        )
    return None
