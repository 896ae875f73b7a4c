"""Time each output writer on one analysed input: the part of a run that grows with the findings.

Loads and analyses the inputs once, then writes every output ``--repeat`` times and prints, per
writer, the fastest time, and the four together per 1,000 findings::

    .venv/bin/python bench/generate.py bench/data/hosts3k --hosts 4200 --sessions 120000 \
        --only protocol,connector
    .venv/bin/python bench/bench_outputs.py bench/data/hosts3k          # about 1,500 findings
    .venv/bin/python bench/bench_outputs.py bench/data/hosts3k --profile writer.prof

With ``--json`` it prints one line of JSON instead (``bench_e2e.py`` reads it).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--profile", help="write a cProfile of one write_outputs to this file")
    parser.add_argument("--json", action="store_true")
    opts = parser.parse_args()

    import o365tls
    from o365tls import render
    from o365tls.render import csv_out, html, json_out, xlsx

    began = time.perf_counter()
    data = o365tls.gather(opts.inputs)
    results = o365tls.analyze(data, o365tls.Options())
    analysed = time.perf_counter() - began
    findings = len(results.findings)
    timings: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        steps = {
            "view": lambda: render.view_of(results),
            "findings.json": lambda: json_out.write_findings(results, out / "findings.json"),
            "flows.csv": lambda: csv_out.write_flows(results, out / "flows.csv"),
            "report.html": lambda: html.write_html(render.view_of(results), out / "r.html"),
            "remediation.xlsx": lambda: xlsx.write_xlsx(render.view_of(results), out / "r.xlsx"),
            "all four": lambda: render.write_outputs(results, out / "all"),
        }
        for _ in range(max(1, opts.repeat)):
            for name, step in steps.items():
                start = time.perf_counter()
                step()
                timings.setdefault(name, []).append(time.perf_counter() - start)
        sizes = {name: (out / "all" / name).stat().st_size for name in render.OUTPUTS}
        if opts.profile:
            import cProfile

            cProfile.runctx(
                "render.write_outputs(results, out / 'prof')",
                globals(),
                {"render": render, "results": results, "out": out},
                filename=opts.profile,
            )
    best = {name: min(times) for name, times in timings.items()}
    if opts.json:
        print(
            json.dumps(
                {"findings": findings, "analysis_s": analysed, "best_s": best, "bytes": sizes}
            )
        )
        return
    print(
        f"{findings:,} findings; load and analysis {analysed:.2f} s; "
        f"best of {max(1, opts.repeat)} per writer"
    )
    for name, seconds in best.items():
        size = f"{sizes[name] / 1e6:8.2f} MB" if name in sizes else ""
        print(f"  {name:<18} {seconds:6.2f} s {size}")
    per = best["all four"] / max(findings, 1) * 1000
    print(f"  per 1,000 findings {per:6.2f} s (the four outputs together)")


if __name__ == "__main__":
    main()
