"""The README's quick start is a promise: two commands, and CI runs the second verbatim."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def quick_start_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```\n(.*?)```", section, re.S)]


def test_quick_start_is_two_commands_and_ci_runs_the_test_command():
    main_job, tests = quick_start_commands()
    assert "\n" not in main_job and "\n" not in tests
    assert "o365tls analyze sample_reports/ -o out/" in main_job
    assert "pytest" in tests
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in ci.splitlines()


@pytest.mark.slow
def test_the_main_job_runs_on_the_sample_reports(tmp_path):
    main_job, _ = quick_start_commands()
    analyze = main_job.split("&& ")[-1]  # the install steps are what CI itself does
    args = analyze.split()[1:]  # drop the ".venv/bin/o365tls" path: use this interpreter's
    args[args.index("out/")] = str(tmp_path / "out")
    result = subprocess.run(
        [sys.executable, "-m", "o365tls", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "findings.json").exists()


@pytest.mark.slow
def test_the_test_command_selects_every_test():
    """A bare ``pytest`` leaves out the slow, browser and dask tests (pyproject's addopts); the
    README's test command, which CI runs, must select them all."""
    command = quick_start_commands()[1].split("&& ")[-1]
    args = shlex.split(command)[1:]  # drop the ".venv/bin/pytest" path: use this interpreter's
    marked = ["tests/test_scale.py", "tests/render/test_browser.py"]  # slow, dask and browser
    listed = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "--collect-only", *marked],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert listed.returncode == 0, listed.stdout + listed.stderr
    assert "deselected" not in listed.stdout
    assert "test_scale.py::test_a_dask_local_cluster_gives_the_local_findings" in listed.stdout
    assert "test_browser.py::" in listed.stdout


@pytest.mark.slow
def test_the_wheel_ships_every_module_template_and_data_file(tmp_path):
    """The quick start installs a wheel (``pip install .``), not the source tree: every module
    under o365tls/, the templates (from the top-level templates/ folder), the knowledge files
    and py.typed must be in it, or the installed command cannot run."""
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("o365tls-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    expected = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "o365tls").rglob("*")
        if path.suffix in {".py", ".toml", ".json", ".typed"}
    }
    expected |= {
        f"o365tls/templates/{path.name}"
        for path in (ROOT / "templates").iterdir()
        if path.suffix in {".py", ".j2", ".css", ".js"}
    }
    assert "o365tls/py.typed" in expected and "o365tls/templates/report.html.j2" in expected
    assert expected <= shipped, sorted(expected - shipped)
