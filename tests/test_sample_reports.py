"""sample_reports/ is generated: the script must be deterministic, the committed files must be
exactly what it writes, and README.md must quote the numbers the files hold."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_reports"
SCRIPT = SAMPLES / "generate.py"
# The generator's own files; everything else under sample_reports/ is an export it writes.
SOURCES = {"README.md", "generate.py"}


def run(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-B", str(SCRIPT), *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def exports(folder: Path) -> dict[str, bytes]:
    return {
        name: data
        for name, data in files(folder).items()
        if name not in SOURCES and not name.startswith("northwind/")
    }


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("samples")
    run("--out", str(out))
    return files(out)


@pytest.mark.slow
def test_generator_is_deterministic(generated, tmp_path):
    run("--out", str(tmp_path))
    again = files(tmp_path)
    assert sorted(again) == sorted(generated)
    different = [name for name in generated if generated[name] != again[name]]
    assert different == []


def test_committed_files_are_what_the_generator_writes(generated):
    committed = exports(SAMPLES)
    assert sorted(committed) == sorted(generated), (
        "run `.venv/bin/python sample_reports/generate.py` and commit the result"
    )
    stale = [name for name in generated if committed[name] != generated[name]]
    assert stale == [], "regenerate: these committed files differ from the script's output"


def test_every_export_format_is_present(generated):
    assert sorted(generated) == [
        "exch01/MSGTRK2026112008-1.log",
        "exch01/RECV2026112008-1.log",
        "exch01/RECV2026112009-1.log",
        "exch01/SEND2026112008-1.log",
        "exch01/receive-connectors.csv",
        "exo/historical-search/MTDetail_ContosoLogistics_Nov9-22.csv",
        "exo/historical-search/MTSummary_NorthwindSenders_Nov9-22.csv",
        "exo/inbound-connectors.json",
        "exo/inbound-messages-report.csv",
        "exo/message-trace-detail.csv",
        "exo/message-trace.csv",
        "exo/outbound-connectors.csv",
        "exo/outbound-messages-report.csv",
        "exo/smtp-auth-clients-report.csv",
    ]
    assert sum(len(data) for data in generated.values()) < 3 * 1024 * 1024


def test_encodings_and_line_ends_are_the_real_tools(generated):
    historical = [n for n in generated if n.startswith("exo/historical-search/")]
    for name in historical:  # UTF-16LE without BOM
        data = generated[name]
        assert data[:2] == b'"\x00' and b"\r\x00\n\x00" in data, name
    assert generated["exo/inbound-connectors.json"][:2] == b"\xff\xfe"  # Out-File in 5.1
    for name in (
        "exo/message-trace.csv",
        "exo/message-trace-detail.csv",
        "exo/outbound-connectors.csv",
    ):  # Export-Csv in 5.1: #TYPE line, ASCII
        assert generated[name].startswith(b"#TYPE "), name
        generated[name].decode("ascii")
    for name, data in generated.items():
        if not name.startswith("exo/historical-search/") and not name.endswith(".json"):
            assert data.count(b"\n") == data.count(b"\r\n"), f"{name}: not CRLF throughout"


def test_log_session_crosses_the_hourly_files(generated):
    first = generated["exch01/RECV2026112008-1.log"].decode("utf-8-sig")
    second = generated["exch01/RECV2026112009-1.log"].decode("utf-8-sig")
    crossing = [
        line.split(",")[2] for line in first.splitlines() if "SP_PROT-TLS1_0_SERVER" in line
    ]
    assert len(crossing) == 1
    session = crossing[0]
    later = [line for line in second.splitlines() if f",{session}," in line]
    assert any("MAIL FROM:<veeam@northwindtraders.example>" in line for line in later)
    assert not any("MAIL FROM" in line for line in first.splitlines() if f",{session}," in line)


def test_readme_quotes_the_generated_numbers():
    block = run("--summary")
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- numbers:start")
    end = readme.index("<!-- numbers:end -->") + len("<!-- numbers:end -->")
    assert readme[start:end] + "\n" == block.rstrip("\n") + "\n", (
        "paste the output of `generate.py --summary` into README.md"
    )


def test_no_bytecode_next_to_the_exports():
    # The loader reads every file under a folder; a __pycache__ would show up as an input.
    assert not list(SAMPLES.rglob("*.pyc"))
