"""The README's quick start is a promise: two commands, and CI runs the second verbatim."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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


def test_the_main_job_runs_on_the_sample_reports(tmp_path):
    main_job, _ = quick_start_commands()
    analyze = main_job.split("&& ")[-1]  # the install steps are what CI itself does
    args = analyze.split()[1:]  # drop the ".venv/bin/o365tls" path: use this interpreter's
    args[args.index("out/")] = str(tmp_path / "out")
    result = subprocess.run([sys.executable, "-m", "o365tls", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "findings.json").exists()


def test_the_wheel_ships_every_package():
    """The quick start installs a wheel (``pip install .``), not the source tree: every package
    under o365tls/ must be listed in pyproject.toml, or the installed command cannot import it
    (o365tls.cli once was missing)."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
                 ["tool"]["setuptools"]["packages"])
    found = {".".join(init.parent.relative_to(ROOT).parts)
             for init in (ROOT / "o365tls").rglob("__init__.py")}
    assert found <= listed, sorted(found - listed)
    assert "o365tls.templates" in listed  # shipped from the top-level templates/ folder
