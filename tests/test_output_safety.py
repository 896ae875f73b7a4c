"""Nothing from the inputs becomes code in the outputs, nothing --redact hides leaks, and a
failed run leaves the previous reports as they were."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import o365tls
from o365tls.importers.sources import expand_paths

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_reports"
FORMULA = '=HYPERLINK("http://x","y")'


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "o365tls", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def output_texts(folder: Path) -> dict[str, str]:
    """Every output as text: the workbook's XML parts unzipped, the rest decoded."""
    texts = {}
    for path in folder.iterdir():
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts[path.name] = "".join(
                    book.read(n).decode("utf-8", "replace") for n in book.namelist()
                )
        else:
            texts[path.name] = path.read_bytes().decode("utf-8-sig")
    return texts


@pytest.fixture(scope="module")
def redacted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("redacted")
    result = cli(
        "analyze",
        str(SAMPLES),
        "-o",
        str(out),
        "-q",
        "--redact",
        env={"O365TLS_REDACT_KEY": "weekly-key"},
    )
    assert result.returncode == 0, result.stderr
    return out


def originals() -> tuple[set[str], set[str]]:
    """The sample tenant's sender local parts and subjects, as the inputs have them."""
    data = o365tls.load([SAMPLES])
    senders = set(data.sightings["sender_address"]) | set(data.observations["sender_address"])
    locals_ = {a.rsplit("@", 1)[0] for a in senders if "@" in a and a.rsplit("@", 1)[0]}
    # Short subjects ("quote") also occur in the workbook's own XML; longer ones cannot.
    subjects = {s for s in data.sightings["subject"] if len(s) >= 8}
    return locals_, subjects


@pytest.mark.slow
def test_redaction_leaves_no_sender_local_part_or_subject_in_any_output(redacted):
    texts = output_texts(redacted)
    assert set(texts) == {
        "report.html",
        "remediation.xlsx",
        "findings.json",
        "flows.csv",
        "next-evidence.ps1",
    }
    locals_, subjects = originals()
    assert len(locals_) > 20 and len(subjects) > 20
    for name, text in texts.items():
        lowered = text.lower()
        for local in locals_:
            assert f"{local.lower()}@" not in lowered, (name, local)
            assert f"'{local}'" not in text, (name, local)  # evidence quotes local parts
        for subject in subjects:
            assert subject not in text, (name, subject)
    findings = json.loads(texts["findings.json"])
    assert all(
        f["sender_address"].startswith("sender-") or not f["sender_address"]
        for f in findings["findings"]
    )
    assert any("northwindtraders.example" in f["sender_address"] for f in findings["findings"])


@pytest.mark.slow
def test_redaction_is_stable_for_the_same_key_and_differs_for_another(tmp_path, redacted):
    again, other = tmp_path / "again", tmp_path / "other"
    for folder, key in ((again, "weekly-key"), (other, "another-key")):
        assert (
            cli(
                "analyze", str(SAMPLES), "-o", str(folder), "-q", "--redact", "--redact-key", key
            ).returncode
            == 0
        )
    ids = [
        lambda f: [
            x["sender_address"] for x in json.loads((f / "findings.json").read_text())["findings"]
        ]
    ][0]
    assert ids(again) == ids(redacted) != ids(other)


@pytest.mark.slow
def test_redact_without_a_key_is_a_usage_error(tmp_path):
    result = cli(
        "analyze", str(SAMPLES), "-o", str(tmp_path), "--redact", env={"O365TLS_REDACT_KEY": ""}
    )
    assert result.returncode == 2 and "--redact-key" in result.stderr


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory) -> Path:
    """The sample tenant with an inventory and a file name written to run as formulas."""
    root = tmp_path_factory.mktemp("hostile")
    inputs = root / "in"
    shutil.copytree(SAMPLES / "exo", inputs)
    (inputs / "message-trace.csv").rename(inputs / "=cmd()+trace.csv")
    inventory = root / "inventory.csv"
    inventory.write_text(
        "ip,name,type,owner,site\n"
        f'198.51.100.20,"{FORMULA.replace(chr(34), chr(34) * 2)}",mfp,'
        "@SUM(A1),+dangerous\n",
        encoding="utf-8",
    )
    out = root / "out"
    result = cli("analyze", str(inputs), "-o", str(out), "-q", "--inventory", str(inventory))
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.slow
def test_inventory_values_and_file_names_stay_inert_in_csv(hostile_run):
    rows = list(
        csv.DictReader(io.StringIO((hostile_run / "flows.csv").read_text(encoding="utf-8-sig")))
    )
    scan = [r for r in rows if r["sender_address"].startswith("scan@")]
    assert scan and scan[0]["device_name"] == "'" + FORMULA
    assert scan[0]["owner"] == "'@SUM(A1)" and scan[0]["site"] == "'+dangerous"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@")) or value.startswith("'")


@pytest.mark.slow
def test_inventory_values_and_file_names_stay_inert_in_the_workbook(hostile_run):
    from openpyxl import load_workbook

    book = load_workbook(hostile_run / "remediation.xlsx")
    neutralized = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                    assert not cell.value.startswith(("=", "+", "@", "-", "\t")), (
                        sheet.title,
                        cell.coordinate,
                        cell.value,
                    )
                    if cell.value.startswith("'"):
                        neutralized.add(cell.value)
    assert "'" + FORMULA in neutralized and "'@SUM(A1)" in neutralized


def test_inventory_values_are_escaped_in_html(hostile_run):
    html = (hostile_run / "report.html").read_text(encoding="utf-8")
    assert FORMULA not in html  # quotes are entities in the page
    assert (
        "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in html
        or "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in html
    )


@pytest.mark.slow
def test_a_failed_run_leaves_the_previous_reports_intact(tmp_path, monkeypatch):
    out = tmp_path / "out"
    results = o365tls.analyze(o365tls.gather([SAMPLES]))
    o365tls.write_outputs(results, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import o365tls.render.xlsx as xlsx

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(xlsx, "write_xlsx", broken)
    with pytest.raises(OSError, match="disk full"):
        o365tls.write_outputs(results, out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before  # no half-written file, no staging folder left behind


def test_zip_members_that_are_links_are_refused(tmp_path):
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        link = zipfile.ZipInfo("trace.csv")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "/etc/passwd")
    sources, refusals = expand_paths([archive])
    assert sources == [] and [r.code for r in refusals] == ["link"]


@pytest.mark.slow
def test_terminal_output_has_no_escape_sequences(tmp_path):
    evil = tmp_path / "evil\x1b[31mred.csv"
    evil.write_text("a,b\n1,2\n", encoding="utf-8")
    result = cli("inspect", str(tmp_path))
    assert "\x1b" not in result.stdout


@pytest.mark.slow
def test_a_logo_that_is_not_an_image_is_refused(tmp_path):
    fake = tmp_path / "logo.png"
    fake.write_text("<script>alert(1)</script>", encoding="utf-8")
    result = cli("analyze", str(SAMPLES), "-o", str(tmp_path / "out"), "--logo", str(fake))
    assert result.returncode == 2 and "not a PNG, JPEG, GIF or SVG image" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_redacted_evidence_reads_without_the_pseudonym(redacted):
    findings = json.loads((redacted / "findings.json").read_text(encoding="utf-8-sig"))
    evidence = [e for f in findings["findings"] for e in f.get("device_evidence") or ()]
    assert any(e.startswith("a sender named like an ERP/finance mailbox") for e in evidence)
    assert not any("'sender-" in e or "local part 'sender-" in e for e in evidence)
    # What is not personal data stays: device names from Message-IDs, connectors, hosts.
    assert any("km5d3a1b" in e for e in evidence)
    assert any("'Hybrid Inbound from EXCH01'" in e for e in evidence)
    page = (redacted / "report.html").read_text(encoding="utf-8")
    assert "a sender named like an ERP/finance mailbox" in page


@pytest.mark.slow
def test_redact_map_is_private_and_never_among_the_outputs(tmp_path):
    out, mapped = tmp_path / "out", tmp_path / "private" / "map.csv"
    mapped.parent.mkdir()
    env = {"O365TLS_REDACT_KEY": "weekly-key"}
    result = cli(
        "analyze",
        str(SAMPLES),
        "-o",
        str(out),
        "-q",
        "--redact",
        "--redact-map",
        str(mapped),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(mapped.stat().st_mode) == 0o600
    rows = list(csv.reader(io.StringIO(mapped.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["pseudonym", "original", "kind"]
    table = {r[0]: r[1] for r in rows[1:]}
    findings = json.loads((out / "findings.json").read_text(encoding="utf-8-sig"))
    address = next(
        f["sender_address"]
        for f in findings["findings"]
        if f["sender_address"].startswith("sender-")
    )
    assert table[address.split("@")[0]] in originals()[0]  # maps back to a real local part
    assert sorted(p.name for p in out.iterdir()) == sorted(output_texts(out))  # not in -o
    for inside in (out / "map.csv", out / "sub" / "map.csv"):
        refused = cli(
            "analyze",
            str(SAMPLES),
            "-o",
            str(out),
            "-q",
            "--redact",
            "--redact-map",
            str(inside),
            env=env,
        )
        assert refused.returncode == 2 and "inside the output folder" in refused.stderr
        assert not inside.exists()
