"""Scale: parallel and distributed runs give the local result; memory stays bounded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from o365tls.analysis import analyze
from o365tls.importers import fastcsv, protocol_log
from o365tls.inputs import gather, gathering
from o365tls.render.serialize import findings_document

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_reports"

# Traces of 100,000 and 400,000 rows, worker processes and a Dask cluster.
pytestmark = pytest.mark.slow


def findings(**kwargs) -> str:
    data = findings_document(analyze(gather([SAMPLES], **kwargs)))
    data.pop("generated_at")
    return json.dumps(data, sort_keys=True)


@pytest.fixture(scope="module")
def local() -> str:
    return findings()


def test_jobs_2_gives_the_local_findings(local, monkeypatch):
    """Files spread over two processes (each sample file counts as large here)."""
    monkeypatch.setattr(gathering, "SPREAD_BYTES", 0)
    assert findings(jobs=2) == local


def test_protocol_logs_prepared_ahead_give_the_one_thread_findings():
    """--jobs 2 on protocol logs (one task: sessions cross the hourly files) prepares the next
    files on worker processes while the sessions advance in file order: same findings."""
    logs = [ROOT / "tests" / "data" / "exchange-protocol-log"]
    results = []
    for jobs in (1, 2):
        data = findings_document(analyze(gather(logs, jobs=jobs)))
        data.pop("generated_at")
        results.append(json.dumps(data, sort_keys=True))
    assert results[0] == results[1]
    assert sum(i["rows_read"] for i in json.loads(results[0])["inputs"]) > 0


def test_chunks_of_one_large_trace_on_two_threads_give_the_one_thread_result(traces, monkeypatch):
    """One large file: --jobs 2 converts its chunks two at a time; the findings, the row
    accounting and the issues must not change."""
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", 1024 * 1024)  # ~37 chunks
    results = []
    for jobs in (1, 2):
        data = findings_document(analyze(gather([traces[100_000]], jobs=jobs)))
        data.pop("generated_at")
        results.append(json.dumps(data, sort_keys=True))
    assert results[0] == results[1]
    inputs = json.loads(results[0])["inputs"]
    trace = next(i for i in inputs if i["format"] == "message-trace")
    assert trace["rows_read"] == trace["rows_used"] == 100_000


@pytest.mark.dask
def test_a_dask_local_cluster_gives_the_local_findings(local):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        assert findings(scheduler=cluster.scheduler_address) == local


@pytest.mark.dask
def test_cli_jobs_and_an_unreachable_scheduler(tmp_path):
    run = [sys.executable, "-m", "o365tls", "analyze", str(SAMPLES), "-q"]
    assert (
        subprocess.run([*run, "-o", str(tmp_path / "a"), "--jobs", "2"], timeout=300).returncode
        == 0
    )
    bad = subprocess.run(
        [*run, "-o", str(tmp_path / "b"), "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert bad.returncode == 1 and "cannot reach the Dask scheduler" in bad.stderr


PEAK = """
import resource, sys
from o365tls.analysis import analyze
from o365tls.inputs import gather
analyze(gather([sys.argv[1]]))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


@pytest.fixture(scope="module")
def traces(tmp_path_factory) -> dict[int, Path]:
    out = {}
    for rows in (100_000, 400_000):
        folder = tmp_path_factory.mktemp(f"trace{rows}")
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate.py"),
                str(folder),
                "--trace-rows",
                str(rows),
                "--only",
                "trace,connector",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
        out[rows] = folder
    return out


def peak_mb(folder: Path) -> int:
    result = subprocess.run(
        [sys.executable, "-c", PEAK, str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return int(result.stdout.strip().splitlines()[-1])


def test_memory_stays_bounded_as_the_trace_grows(traces):
    """Four times the rows (about 150 MB of CSV instead of 37 MB) may cost the compact per-
    message codes (~50 bytes a message) but not the file: measured, not assumed."""
    small, large = peak_mb(traces[100_000]), peak_mb(traces[400_000])
    assert large < 600, (small, large)
    assert large - small < 120, (small, large)


def test_progress_shows_on_a_terminal_and_stays_quiet_otherwise(tmp_path):
    import pty

    command = [sys.executable, "-m", "o365tls", "analyze", str(SAMPLES), "-o", str(tmp_path)]
    piped = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert piped.returncode == 0 and "rows/s" not in piped.stderr
    chunks: list[bytes] = []

    def read(fd: int) -> bytes:
        data = os.read(fd, 65536)
        chunks.append(data)
        return data

    status = pty.spawn(command, read)
    assert os.waitstatus_to_exitcode(status) == 0
    text = b"".join(chunks).decode("utf-8", "replace")
    assert "rows/s" in text and "files done" in text
    quiet = []
    pty.spawn([*command, "--quiet"], lambda fd: quiet.append(os.read(fd, 65536)) or quiet[-1])
    assert b"rows/s" not in b"".join(quiet)


@pytest.mark.parametrize("jobs", [1, 2])
def test_protocol_logs_arrive_in_input_order_and_the_analysis_takes_them_as_they_are(
    monkeypatch, jobs
):
    """Sessions run into the next hourly log; their records still arrive in file-then-row
    order, however many processes read the logs, and the analysis gets the same frame, each
    text column in one piece. Gathered, the records are joined into blocks as they come (a
    chunk per block): small blocks give the same records as one."""
    logs = [ROOT / "tests" / "data" / "exchange-protocol-log"]
    whole = gather(logs, jobs=jobs).observations
    monkeypatch.setattr(gathering, "BLOCK_RECORDS", 7)
    gathered = gather(logs, jobs=jobs)
    before = gathered.observations.copy()
    pd.testing.assert_frame_equal(before, whole, check_exact=True)
    rank = {r.path: i for i, r in enumerate(gathered.inputs)}
    assert (
        before.assign(_rank=before["source"].map(rank))[["_rank", "row"]]
        .apply(tuple, axis=1)
        .is_monotonic_increasing
    )
    assert before["hostname"].array.__arrow_array__().num_chunks > 1  # a chunk per block
    assert whole["hostname"].array.__arrow_array__().num_chunks == 1
    taken = gathered.take_observations()
    pd.testing.assert_frame_equal(taken, before, check_exact=True)
    assert {
        taken[c].array.__arrow_array__().num_chunks
        for c in before.columns
        if before[c].dtype == "str"
    } == {1}


@pytest.mark.parametrize("jobs", [1, 2])
def test_the_analysis_takes_the_records_in_input_order_and_the_evidence_keeps_none(
    monkeypatch, jobs
):
    """Records that could not wait for their sessions to end (see protocol_log.WAIT_RECORDS)
    arrive out of order; the analysis must get every record in file-then-row order
    (de-duplication keeps the first copy), with the gathered dtypes, and the evidence must not
    hold a second copy. With --jobs, the columns are reordered on that many threads: the same
    frame."""
    monkeypatch.setattr(protocol_log, "WAIT_RECORDS", 0)
    gathered = gather([ROOT / "tests" / "data" / "exchange-protocol-log"], jobs=jobs)
    assert gathered.threads == jobs
    before = gathered.observations.copy()
    rank = {r.path: i for i, r in enumerate(gathered.inputs)}
    expected = (
        before.assign(_rank=before["source"].map(rank))
        .sort_values(["_rank", "row"], kind="stable")
        .drop(columns="_rank")
    )
    assert not expected.index.equals(before.index)  # the records arrived out of order
    taken = gathered.take_observations()
    pd.testing.assert_frame_equal(taken, expected.reset_index(drop=True), check_exact=True)
    assert gathered.observations.empty
    assert dict(gathered.observations.dtypes) == dict(before.dtypes)


def test_planning_puts_the_protocol_logs_in_one_task_and_every_other_file_in_its_own(tmp_path):
    """--jobs plans from each log's first lines; a log whose header comes after them (long
    directives) is still found from the whole sample, so no log is read apart from the
    others (its sessions would be cut at the file's edges)."""
    logs = ROOT / "tests" / "data" / "exchange-protocol-log"
    first, second = sorted(logs.glob("RECV*.LOG"))[:2]
    (tmp_path / "a_trace.csv").write_bytes((SAMPLES / "exo" / "message-trace.csv").read_bytes())
    (tmp_path / "b.LOG").write_bytes(first.read_bytes())
    lines = second.read_bytes().split(b"\n")
    padding = [b"#Comment: " + b"x" * 600] * 30  # 18 KB of directives before #Fields
    (tmp_path / "c.LOG").write_bytes(b"\n".join([*lines[:4], *padding, *lines[4:]]))
    report = SAMPLES / "exo" / "inbound-messages-report.csv"
    (tmp_path / "d_connectors.csv").write_bytes(report.read_bytes())
    sources, _ = gathering.expand_paths([tmp_path])
    tasks = gathering.plan(sources, None, None)
    assert [[s.display.rsplit("/", 1)[-1] for s in task] for task in tasks] == [
        ["a_trace.csv"],
        ["b.LOG", "c.LOG"],
        ["d_connectors.csv"],
    ]
