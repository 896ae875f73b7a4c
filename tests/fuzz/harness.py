"""What the fuzz tests share: example budget, fixtures per format, the soundness checks, the
wall-clock guard, and a child-process runner for inputs too large to trust in process.

Run as ``python -m tests.fuzz.harness SPEC.json`` it is that child: it loads each case of the
spec under a memory limit and prints one JSON line per case.
"""

from __future__ import annotations

import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

#: Examples per fuzz test; the env var turns a CI run into a long exploration.
LONG = "O365TLS_FUZZ_EXAMPLES" in os.environ
EXAMPLES = int(os.environ.get("O365TLS_FUZZ_EXAMPLES", "0")) or None
#: Hard limit for one input in process (a hang fails the example instead of the whole run).
HARD_SECONDS = float(os.environ.get("O365TLS_FUZZ_HARD_SECONDS", "30"))
#: The child process gets this much address space: a memory bomb fails there, not the box.
CHILD_MEMORY = 4 * 1024**3

# Byte-exact headers and rows the regression and worst-case tests build inputs from.
TRACE_HEADER = b'"Received","SenderAddress","RecipientAddress","Subject","Status","FromIP"\r\n'
TRACE_ROW = b'"11/20/2026 9:00:00 AM","a@x.example","b@x.example","Hi","Delivered","192.0.2.1"\r\n'
DETAIL_HEADER = (
    b'"MessageTraceId","MessageId","Date","Event","Action","Detail","Data",'
    b'"SenderAddress","RecipientAddress"\r\n'
)
REPORT_HEADER = (
    b"Date,Connector direction and name,Connector type,Forced TLS?,No TLS,TLS 1.0,"
    b"TLS 1.1,TLS 1.2,Volume\r\n"
)

FIXTURE_SUFFIXES = (".csv", ".log", ".json", ".xml")
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def fuzz_settings(normal: int, *, deadline_s: float = 5.0, share: float = 1.0) -> settings:
    """Hypothesis settings: ``normal`` examples in CI (derandomized, so CI is stable), or
    ``share`` of O365TLS_FUZZ_EXAMPLES with random exploration in a long run."""
    examples = max(1, int(EXAMPLES * share)) if EXAMPLES else normal
    return settings(
        max_examples=examples,
        deadline=timedelta(seconds=deadline_s),
        derandomize=not LONG,
        database=settings.default.database if LONG else None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
            HealthCheck.large_base_example,
        ],
        print_blob=True,
    )


def format_names() -> list[str]:
    from o365tls.importers import FORMATS

    return [f.name for f in FORMATS]


def fixtures(name: str) -> list[Path]:
    """The real-shaped fixture files of one format (tests/data/<format>/)."""
    folder = DATA / name
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FIXTURE_SUFFIXES
    )


def all_fixtures() -> list[Path]:
    """Every fixture under tests/data, including the awkward and multi-format folders."""
    return sorted(
        p for p in DATA.rglob("*") if p.is_file() and p.suffix.lower() in FIXTURE_SUFFIXES
    )


class Hang(BaseException):
    """Raised by the alarm; a BaseException so that the loader's safety net cannot eat it."""


@contextmanager
def wall_clock(seconds: float = HARD_SECONDS):
    """Fail (AssertionError) when the block runs longer than ``seconds``. Python code and the
    regex engine are interrupted; a C loop that never checks signals is caught by the child
    process timeout of :func:`run_isolated` instead."""

    def alarm(signum, frame):
        raise Hang(f"no answer within {seconds:g} s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except Hang as exc:
        raise AssertionError(str(exc)) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_load(
    paths,
    *,
    format: str | None = None,
    encoding: str | None = None,
    api: str = "load",
    seconds: float = HARD_SECONDS,
):
    """Load (or inspect) ``paths`` within ``seconds`` and assert everything is sound.
    Returns the Dataset (load) or the reports (inspect)."""
    import o365tls

    paths = [paths] if isinstance(paths, (str, Path)) else list(paths)
    with wall_clock(seconds):
        if api == "inspect":
            reports = o365tls.inspect(paths, format=format, encoding=encoding)
            data = None
        else:
            data = o365tls.load(paths, format=format, encoding=encoding)
            reports = data.inputs
    check_reports(reports)
    if data is not None:
        check_records(data)
    return data if data is not None else reports


def problems_of(report) -> list[str]:
    """What is wrong with one FileReport (empty when it is sound)."""
    out = []
    for code in ("import-failed", "not-accounted"):
        if report.issue_counts.get(code):
            detail = [i.message for i in report.issues if i.code == code]
            out.append(f"{code}: {detail}")
    if report.rows_read != report.rows_used + report.rows_rejected:
        out.append(
            f"accounting: read {report.rows_read} != used {report.rows_used} + "
            f"rejected {report.rows_rejected}"
        )
    if min(report.rows_read, report.rows_used, report.rows_rejected) < 0:
        out.append("negative row count")
    rejected = [i for i in report.issues if i.rejected]
    if report.rows_rejected and not rejected:
        out.append("rows rejected without any issue saying why")
    for issue in rejected:
        if not isinstance(issue.row, int) or not 1 <= issue.row <= report.rows_read:
            out.append(
                f"rejected issue {issue.code!r} names row {issue.row!r}, "
                f"not one of the {report.rows_read} rows read"
            )
            break
    for issue in report.issues:
        if not _SLUG.match(issue.code) or not issue.message.strip():
            out.append(f"issue without a slug code or message: {issue!r}"[:300])
            break
    if report.format is None:
        if report.rows_read or not any(i.row is None for i in report.issues):
            out.append("an unread file must have no rows and a whole-file issue")
    return out


def check_reports(reports) -> None:
    bad = {r.path: p for r in reports if (p := problems_of(r))}
    assert not bad, bad


def check_records(data) -> None:
    """Canonical frames: exactly the declared columns; rows point into their file."""
    from o365tls.schema import COLUMNS, MESSAGES, OBSERVATIONS, ROW, SOURCE, TLS
    from o365tls.tls import TLS_VERSIONS

    read = {r.path: r.rows_read for r in data.inputs}
    for kind, columns in COLUMNS.items():
        frame = data.frame(kind)
        assert list(frame.columns) == [c.name for c in columns], kind
        for source, rows in frame.groupby(SOURCE)[ROW]:
            assert source in read, f"{kind} record from unknown source {source!r}"
            assert rows.between(1, max(read[source], 1)).all(), (
                f"{kind} rows {sorted(set(rows))[:5]} outside 1..{read[source]} of {source}"
            )
    obs = data.frame(OBSERVATIONS)
    assert (obs[MESSAGES] >= 0).all()
    assert set(obs[TLS]) <= set(TLS_VERSIONS), set(obs[TLS]) - set(TLS_VERSIONS)


# --- the child process ---------------------------------------------------------------------


def run_isolated(cases: list[dict], *, timeout: float) -> list[dict]:
    """Run cases ``{"path", "format", "encoding", "api"}`` in a fresh interpreter with
    :data:`CHILD_MEMORY` of address space; returns one result dict per case (``problems``,
    ``seconds``, ``rss_mb``). A child that outlives ``timeout`` is a hang."""
    spec = json.dumps(cases)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.fuzz.harness", spec],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        done = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        raise AssertionError(
            f"child still running after {timeout:g} s (a hang); finished before it: {done!r}"
        ) from None
    assert proc.returncode == 0, f"child failed ({proc.returncode}): {proc.stderr[-3000:]}"
    results = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(cases), proc.stdout[-3000:] + proc.stderr[-3000:]
    return results


def _child(spec: str) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    import o365tls

    for case in json.loads(spec):
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            if case.get("api") == "inspect":
                reports = o365tls.inspect(
                    [case["path"]], format=case.get("format"), encoding=case.get("encoding")
                )
            else:
                data = o365tls.load(
                    [case["path"]], format=case.get("format"), encoding=case.get("encoding")
                )
                reports = data.inputs
                check_records(data)
            problems = [p for r in reports for p in problems_of(r)]
            summary = [
                {k: r.as_dict()[k] for k in ("format", "rows_read", "rows_used", "rows_rejected")}
                | {"codes": sorted(r.issue_counts)}
                for r in reports
            ]
        except BaseException as exc:  # noqa: BLE001 - report, do not die: the parent asserts
            problems = [f"{type(exc).__name__}: {exc}"[:2000]]
            summary = []
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "case": case.get("name", case["path"]),
                    "problems": problems,
                    "seconds": round(time.perf_counter() - start, 3),
                    "rss_mb": after // 1024,
                    "rss_growth_mb": (after - before) // 1024,
                    "reports": summary,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    _child(sys.argv[1])
