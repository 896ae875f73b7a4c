"""Protocol logs prepared ahead of their turn (--jobs): the next files are parsed, checked and
classified on worker processes while the sessions advance in file order. The records, every
file's report (counts, issues in order) and the progress events must be those of a one-thread
run, and a file damaged midway must fail in its own turn."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from o365tls.importers import loader
from o365tls.importers.loader import iter_sources
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source, expand_paths
from tests.importers.test_protocol_log import INTERLEAVED, RECV09, RECV10, SEND09, write_log

HEADER = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
    "#Log-type: SMTP Receive Protocol Log\r\n#Date: 2024-03-15T12:00:00.000Z\r\n"
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
    "remote-endpoint,event,data,context\r\n"
)


def big_log(sessions: int) -> bytes:
    """A log larger than the sample (256 KB), so damage at its end is met by the reader;
    every 100th session has a damaged date and every 150th a line without session-id."""
    out = [HEADER]
    for n in range(sessions):
        sid, remote = f"08DC44A1B2C4{n:04X}", f"192.0.2.{n % 250 + 1}:{40000 + n}"
        when = "2024-03-15T12:{:02d}:{:02d}.{:03d}Z".format(n // 600, n // 10 % 60, n % 1000)
        lines = [
            ("+", "", ""),
            ("<", f"EHLO host{n}.example", ""),
            (
                "*",
                "",
                "TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using "
                "bulk encryption algorithm CALG_AES_128 with strength 128 bits",
            ),
            ("<", f"MAIL FROM:<user{n}@example.com>", ""),
            ("-", "", "Remote"),
        ]
        for seq, (event, data, context) in enumerate(lines):
            stamp = "15/03/2024 12:00" if n % 100 == 7 and seq == 1 else when
            session = "" if n % 150 == 9 and seq == 4 else sid
            out.append(
                f"{stamp},EX01\\Default Frontend EX01,{session},{seq},10.0.0.10:25,"
                f'{remote},{event},{data},"{context}"\r\n'
            )
    return "".join(out).encode("utf-8")


def damaged_zip(path: Path, member: str, data: bytes) -> Path:
    """The member's central-directory CRC changed: its bytes read fine, and zipfile raises
    BadZipFile once the last of them is read (past the sample)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(member, data)
    raw = buffer.getvalue()
    at = raw.index(b"PK\x01\x02") + 16
    path.write_bytes(raw[:at] + bytes([raw[at] ^ 0xFF]) + raw[at + 1 :])
    return path


def inputs(tmp_path: Path) -> list[Path]:
    # Sessions cross RECV09 -> RECV10 and first -> second; rejections in several files; the
    # damaged member sits between files whose sessions continue across it.
    bad = list(INTERLEAVED[8:])
    bad.insert(2, (30, "08DC44A1B2C3E0FF", "192.0.2.3:40003", "?", "", ""))  # bad-event
    plain = tmp_path / "plain.LOG"
    plain.write_bytes(big_log(700))
    return [
        RECV09,
        damaged_zip(tmp_path / "damaged.zip", "RECV2024031509-2.LOG", big_log(900)),
        plain,
        RECV10,
        write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED[:8]),
        write_log(tmp_path / "RECV2024031511-2.LOG", bad),
        SEND09,
    ]


def run(paths: list[Path], threads: int):
    sources, refusals = expand_paths(paths)
    assert not refusals
    events, frames, reports = [], [], {}
    for _report, batch in iter_sources(
        sources, reports=reports, threads=threads, progress=lambda e, r: events.append((e, r.path))
    ):
        frames.append(batch.frame)
    return pd.concat(frames, ignore_index=True), reports, events


def test_prepared_ahead_gives_the_one_thread_records_reports_and_events(tmp_path, monkeypatch):
    prepared = []
    call = loader._Ahead.__call__

    def spy(self, item):
        item = call(self, item)
        prepared.append((Path(item.source.display).name, item.prepared is not None))
        return item

    monkeypatch.setattr(loader._Ahead, "__call__", spy)
    monkeypatch.setattr(loader, "READ_WHILE_STARTING", False)  # every file waits for a worker
    paths = inputs(tmp_path)
    alone, alone_reports, alone_events = run(paths, 1)
    assert prepared == []
    ahead, ahead_reports, ahead_events = run(paths, 2)
    # Every file went through a worker process (none fell back to its own turn).
    assert sorted(prepared) == sorted((Path(s.display).name, True) for s in expand_paths(paths)[0])

    pd.testing.assert_frame_equal(ahead, alone)
    assert [r.as_dict() for r in ahead_reports.values()] == [
        r.as_dict() for r in alone_reports.values()
    ]
    assert ahead_events == alone_events
    for report in ahead_reports.values():
        assert report.rows_read == report.rows_used + report.rows_rejected, report.path

    by_name = {Path(p).name.split("!")[-1]: r for p, r in ahead_reports.items()}
    # The damage is met in the member's first (only) block: no row of it is read, and the
    # files after it are read as usual.
    damaged = by_name["RECV2024031509-2.LOG"]
    assert damaged.issue_counts == {"bad-archive": 1, "no-rows": 1}
    assert "CRC" in damaged.issues[0].message
    assert (damaged.rows_read, damaged.records) == (0, 0)
    # The sessions whose disconnect line was rejected stay open to the end of the load.
    assert by_name["plain.LOG"].issue_counts == {"bad-date": 7, "no-session": 5, "open-session": 1}
    assert (by_name["plain.LOG"].rows_rejected, by_name["plain.LOG"].records) == (12, 700)
    assert by_name["RECV2024031511-2.LOG"].issue_counts == {"bad-event": 1}
    assert [k for k, r in by_name.items() if r.records == 0] == ["RECV2024031509-2.LOG"]
    assert len(ahead) == sum(r.records for r in ahead_reports.values())


def test_prepared_chunks_come_before_the_error_that_stopped_them(monkeypatch):
    """A file that fails midway: the chunks prepared before the failure are read in its
    turn, then the failure is raised, as in a one-thread run."""

    def prepare(sample, report):
        report.read(2)
        report.use(2)
        yield "chunk 1"
        report.reject(3, "bad-date", "damaged")
        yield "chunk 2"
        raise OSError("disk gone")

    fake = SimpleNamespace(prepare=prepare)
    monkeypatch.setattr("o365tls.importers.FORMATS_BY_NAME", {"fake": fake})
    sample = take_sample(Source("x.LOG", RECV09), None)
    prepared = loader._Prepared.run("fake", sample)
    assert (prepared.report.rows_read, prepared.report.rows_rejected) == (2, 1)
    replay = prepared.replay()
    assert [next(replay), next(replay)] == ["chunk 1", "chunk 2"]
    with pytest.raises(OSError, match="disk gone"):
        next(replay)
    assert not prepared.chunks  # not kept once replayed


def test_files_are_read_in_turn_while_the_workers_start(tmp_path, monkeypatch):
    """The worker processes take half a second to start: the files before that are read in
    their own turn, the next ones prepared ahead, with the one-thread result."""
    prepared = []
    call = loader._Ahead.__call__

    def spy(self, item):
        if len(prepared) >= 2:  # later files wait for the workers (the fixtures are small)
            monkeypatch.setattr(loader, "READ_WHILE_STARTING", False)
        item = call(self, item)
        prepared.append(item.prepared is not None)
        return item

    monkeypatch.setattr(loader._Ahead, "__call__", spy)
    paths = inputs(tmp_path)
    alone, alone_reports, _ = run(paths, 1)
    ahead, ahead_reports, _ = run(paths, 2)
    assert prepared[0] is False and prepared[-1] is True  # both ways within one load
    pd.testing.assert_frame_equal(ahead, alone)
    assert [r.as_dict() for r in ahead_reports.values()] == [
        r.as_dict() for r in alone_reports.values()
    ]


def test_without_worker_processes_the_files_are_read_in_turn(tmp_path, monkeypatch):
    """Where processes cannot start (no sem_open: AWS Lambda, some containers), --jobs reads
    every file in its own turn, with the one-thread result, instead of failing the load."""

    def no_processes(*args, **kwargs):
        raise NotImplementedError("This Python build lacks multiprocessing.synchronize")

    monkeypatch.setattr(loader, "process_pool", no_processes)
    paths = inputs(tmp_path)
    alone, alone_reports, _ = run(paths, 1)
    ahead, ahead_reports, _ = run(paths, 2)
    pd.testing.assert_frame_equal(ahead, alone)
    assert [r.as_dict() for r in ahead_reports.values()] == [
        r.as_dict() for r in alone_reports.values()
    ]


UNGUARDED = """
import sys
from o365tls.inputs import gather
print("top-level", flush=True)
evidence = gather([sys.argv[1]], jobs=2)
print("gathered", len(evidence.observations), flush=True)
"""


@pytest.mark.slow
def test_an_unguarded_script_is_not_run_again_by_the_workers(tmp_path):
    """Worker processes import the caller's script: without an entry-point guard, each would
    run the whole script again. Each stops at o365tls with a message saying what to do, and
    the script itself runs once and reads every file."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    script.write_text(UNGUARDED, encoding="utf-8")
    folder = Path(__file__).resolve().parents[1] / "data" / "exchange-protocol-log"
    result = subprocess.run(
        [sys.executable, str(script), str(folder)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("gathered 12") == 1
    assert 'if __name__ == "__main__":' in result.stderr
