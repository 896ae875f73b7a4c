#!/usr/bin/env python3
"""Time each importer on large inputs and report rows/s and peak memory.

    .venv/bin/python bench/bench_import.py                        # generate, run, delete
    .venv/bin/python bench/bench_import.py --trace-rows 3000000 --keep
    .venv/bin/python bench/bench_import.py exports/trace.csv exports/logs/   # your own files

Each input (a file, or a folder such as the hourly protocol logs, read as one load so that
sessions spanning files are joined) is read in a fresh Python process through the public API,
``o365tls.iter_load([path])``, consuming the batches without keeping them. The child's peak RSS
is therefore the memory one importer needs, and a streaming importer keeps it flat as files
grow. See bench/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = HERE / "data"
# What generate.py writes, in the order they are benchmarked.
GENERATED = ("message_trace.csv", "historical_extended.csv", "protocol_log", "connector_report.csv")
GENERATOR_OPTIONS = ("seed", "trace_rows", "extended_rows", "sessions", "days")


def _max_rss_mb() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def child(path: str, profile: str | None) -> int:
    """Read one input through the public API; print one JSON line of measurements."""
    import o365tls

    iter_load = o365tls.iter_load  # imports pandas and the importers before the clock starts
    import pandas as pd

    base_mb = _max_rss_mb()
    reports: dict = {}
    records = batches = 0
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    cpu_began = time.process_time()
    began = time.perf_counter()
    for _report, batch in iter_load([path], reports=reports):
        records += len(batch.frame)
        batches += 1
        del batch  # keep nothing: only the importer's own state may stay in memory
    seconds = time.perf_counter() - began
    cpu = time.process_time() - cpu_began
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    issues: dict[str, int] = {}
    for report in reports.values():
        for code, count in report.issue_counts.items():
            issues[code] = issues.get(code, 0) + count
    out = {
        "formats": sorted({r.format or "unrecognised" for r in reports.values()}),
        "files": len(reports),
        "rows": sum(r.rows_read for r in reports.values()),
        "used": sum(r.rows_used for r in reports.values()),
        "rejected": sum(r.rows_rejected for r in reports.values()),
        "balanced": all(r.balanced for r in reports.values()),
        "records": records,
        "batches": batches,
        "seconds": seconds,
        "cpu": cpu,
        "base_mb": base_mb,
        "peak_mb": _max_rss_mb(),
        "issues": issues,
        "pandas": pd.__version__,
    }
    print(json.dumps(out))
    return 0


def size_of(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size


def measure(path: Path, profile_dir: Path | None) -> dict:
    profile = None
    if profile_dir is not None:
        profile_dir.mkdir(parents=True, exist_ok=True)
        profile = str(profile_dir / f"{path.name}.prof")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(path)]
    if profile:
        cmd += ["--profile-to", profile]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        return {"error": (done.stderr.strip().splitlines() or ["no output"])[-1]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["profile"] = profile
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GB RAM"
    except (ValueError, OSError, AttributeError):
        ram = "RAM unknown"
    versions = []
    for dist in ("o365tls", "pandas", "pyarrow"):
        try:
            versions.append(f"{dist} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{dist} not installed")
    return (
        f"{os.cpu_count()} cores ({cpu}), {ram}, {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; {', '.join(versions)}"
    )


COLUMNS = (
    ("input", "<", 26),
    ("format", "<", 20),
    ("size MB", ">", 8),
    ("rows", ">", 10),
    ("rejected", ">", 8),
    ("records", ">", 10),
    ("seconds", ">", 7),
    ("cpu s", ">", 7),
    ("rows/s", ">", 9),
    ("MB/s", ">", 6),
    ("base MB", ">", 7),
    ("peak MB", ">", 7),
)


def row_cells(name: str, size: int, r: dict) -> list[str]:
    mb = size / 1024**2
    if "error" in r:
        return [name, "ERROR: " + r["error"][:80], f"{mb:.1f}"]
    seconds = max(r["seconds"], 1e-9)
    return [
        name,
        ",".join(r["formats"]),
        f"{mb:.1f}",
        f"{r['rows']:,}",
        f"{r['rejected']:,}",
        f"{r['records']:,}",
        f"{r['seconds']:.1f}",
        f"{r['cpu']:.1f}",
        f"{r['rows'] / seconds:,.0f}",
        f"{mb / seconds:.1f}",
        f"{r['base_mb']:.0f}",
        f"{r['peak_mb']:.0f}",
    ]


def print_row(cells: list[str]) -> None:
    parts = [f"{c:{align}{width}}" for c, (_, align, width) in zip(cells, COLUMNS, strict=False)]
    print("  ".join(parts).rstrip(), flush=True)


def ensure_data(data: Path, args) -> bool:
    """Generate the inputs unless ``data`` already holds them for the same options. Returns
    True when this run generated them."""
    wanted = {k: getattr(args, k) for k in GENERATOR_OPTIONS}
    manifest = data / "manifest.json"
    if manifest.exists():
        have = json.loads(manifest.read_text(encoding="utf-8")).get("args", {})
        if all(have.get(k) == v for k, v in wanted.items()) and all(
            (data / name).exists() for name in GENERATED
        ):
            print(f"reusing {data} (same generator options)", file=sys.stderr)
            return False
    sys.path.insert(0, str(HERE))
    import generate

    print(f"generating into {data} ...", file=sys.stderr)
    generate.main([str(data), *[f"--{k.replace('_', '-')}={v}" for k, v in wanted.items()]])
    return True


def remove_generated(data: Path) -> None:
    import shutil

    for name in (*GENERATED, "manifest.json"):
        target = data / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths",
        nargs="*",
        help="inputs to time (files or folders); default: generate the benchmark set into --data",
    )
    parser.add_argument("--data", default=str(DEFAULT_DATA), help="folder for generated inputs")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated inputs (and reuse them next time)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trace-rows", type=int, default=1_000_000)
    parser.add_argument("--extended-rows", type=int, default=300_000)
    parser.add_argument("--sessions", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run each child under cProfile; .prof files go to DATA/profiles",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.profile_to)

    data = Path(args.data)
    generated = False
    if args.paths:
        inputs = [Path(p) for p in args.paths]
    else:
        generated = ensure_data(data, args)
        inputs = [data / name for name in GENERATED]
    print(f"machine: {machine()}")
    print_row([c[0] for c in COLUMNS])
    failures = 0
    try:
        for path in inputs:
            result = measure(path, data / "profiles" if args.profile else None)
            print_row(row_cells(path.name, size_of(path), result))
            if "error" in result or not result.get("balanced", True):
                failures += 1
            if result.get("issues"):
                top = sorted(result["issues"].items(), key=lambda kv: -kv[1])[:4]
                print(f"    issues: {', '.join(f'{k} x{v:,}' for k, v in top)}")
            if result.get("profile"):
                print(f"    profile: python -m pstats {result['profile']}")
    finally:
        if generated and not args.keep:
            remove_generated(data)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
