from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def fuzz_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="session")
def write_input(fuzz_dir):
    """write_input(data) -> the path of one scratch file now holding ``data`` (overwritten by
    the next call: loads are independent, and long runs must not fill the disk)."""

    def write(data: bytes, name: str = "input") -> Path:
        path = fuzz_dir / name
        path.write_bytes(data)
        return path

    return write
