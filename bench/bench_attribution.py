"""Attribution benchmark: generated tenants with known truth, run through `o365tls analyze`.

Each scenario writes what a real tenant has: the EAC inbound messages report (connector x day,
TLS percentages with two decimals), a Get-MessageTraceV2 export (one row per recipient, no
TLS) and Get-InboundConnector output (which relay IPs belong to which connector). Behind each
connector many senders relay through the same two IPs, so only the daily volumes tell them
apart. Some senders use TLS 1.0, TLS 1.1 or no TLS; some of those are fixed (moved to TLS 1.2)
partway through the period. The question scored is the one an admin asks: which senders are
still at risk at the end of the period?

For each scenario it prints recall, precision, the senders o365tls says it cannot tell, the
at-risk senders neither named nor listed in ``next_evidence``, and the seconds `analyze` took.
Then it answers the lookups of ``next-evidence.ps1`` from the truth (a
Get-MessageTraceDetailV2 | Export-Csv file), runs `analyze` again and scores the second run.

    .venv/bin/python bench/bench_attribution.py            # every scenario
    .venv/bin/python bench/bench_attribution.py --only 30d # scenarios whose name contains 30d
    .venv/bin/python bench/bench_attribution.py --seed 7   # the same scenarios, other tenants
    .venv/bin/python bench/bench_attribution.py --speed    # attribution alone, 10..50 connectors
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

AT_RISK = ("TLS1.0", "TLS1.1", "none")
COLUMNS = {"none": "No TLS", "TLS1.0": "TLS 1.0", "TLS1.1": "TLS 1.1", "TLS1.2": "TLS 1.2"}
DOMAIN = "tenant.example"
START = datetime(2026, 9, 7)


@dataclass(frozen=True)
class Sender:
    address: str
    connector: str
    tls: str  # the version it starts the period with
    fixed_on: int | None  # day index from which it uses TLS 1.2 (None: never)
    rate: float  # mean messages per active day
    office_hours: bool  # weekdays 07-19 h only; else round the clock

    def version_on(self, day: int) -> str:
        return "TLS1.2" if self.fixed_on is not None and day >= self.fixed_on else self.tls

    @property
    def at_risk_at_end(self) -> bool:
        return self.fixed_on is None and self.tls in AT_RISK


@dataclass(frozen=True)
class Scenario:
    name: str
    connectors: int
    senders: int  # per connector (a range "lo-hi" is drawn per connector when lo != hi)
    days: int
    trace_days: int | None = None  # the trace covers only the last N days
    senders_max: int | None = None
    seed: int = 1


SCENARIOS = [
    Scenario("90d x 100 senders x 8", 8, 100, 90, seed=11),
    Scenario("30d x 30 senders x 8", 8, 30, 30, seed=12),
    Scenario("14d x 100 senders x 8", 8, 100, 14, seed=13),
    Scenario("90d x 5-200 senders x 6", 6, 5, 90, senders_max=200, seed=14),
    Scenario("90d report, 10d trace x 30 senders x 4", 4, 30, 90, trace_days=10, seed=15),
]


def make_senders(sc: Scenario, rng: random.Random) -> list[Sender]:
    out = []
    for c in range(sc.connectors):
        connector = f"Relay - Site {c + 1:02d}"
        n = sc.senders if sc.senders_max is None else rng.randint(sc.senders, sc.senders_max)
        for i in range(n):
            roll = rng.random()
            tls = (
                "TLS1.0"
                if roll < 0.09
                else "TLS1.1"
                if roll < 0.13
                else "none"
                if roll < 0.16
                else "TLS1.2"
            )
            fixed = None
            if tls != "TLS1.2" and rng.random() < 0.3:  # a remediation project at work
                fixed = rng.randint(sc.days // 4, sc.days - max(3, sc.days // 6))
            kind = rng.choice(("scan", "app", "erp", "alarm", "mfp"))
            out.append(
                Sender(
                    f"{kind}{c + 1:02d}-{i:03d}@{DOMAIN}",
                    connector,
                    tls,
                    fixed,
                    rate=math.exp(rng.uniform(math.log(1), math.log(25))),
                    office_hours=rng.random() < 0.6,
                )
            )
    return out


def daily_counts(senders: list[Sender], days: int, rng: random.Random) -> list[list[int]]:
    """Messages per sender and day: busy and quiet days differ per sender."""
    out = []
    for s in senders:
        row = []
        for d in range(days):
            weekday = (START + timedelta(days=d)).weekday()
            if s.office_hours and weekday >= 5:
                row.append(0)
                continue
            row.append(_poisson(s.rate * rng.uniform(0.3, 1.7), rng))
        out.append(row)
    return out


def _poisson(mean: float, rng: random.Random) -> int:
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def relay_ips(connector_index: int) -> tuple[str, str]:
    return (f"198.51.100.{2 * connector_index + 10}", f"198.51.100.{2 * connector_index + 11}")


def write_tenant(folder: Path, sc: Scenario) -> tuple[list[Sender], dict]:
    """Write the three exports; return the senders and each sender's latest traced message
    (sender, day, trace id, message id, recipient, time), which answers the lookups."""
    rng = random.Random(sc.seed)
    senders = make_senders(sc, rng)
    counts = daily_counts(senders, sc.days, rng)
    connectors = sorted({s.connector for s in senders})
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "inbound_connectors.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(
            [
                "Name",
                "Enabled",
                "ConnectorType",
                "SenderIPAddresses",
                "SenderDomains",
                "RequireTls",
                "Identity",
            ]
        )
        for k, name in enumerate(connectors):
            w.writerow(
                [name, "True", "OnPremises", "|".join(relay_ips(k)), "smtp:*;1", "False", name]
            )
    with open(folder / "connector_report.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(
            [
                "Date",
                "Connector direction and name",
                "Connector type",
                "Forced TLS?",
                *COLUMNS.values(),
                "Volume",
            ]
        )
        for d in range(sc.days):
            day = (START + timedelta(days=d)).strftime("%Y-%m-%d")
            for name in connectors:
                mix = {k: 0 for k in COLUMNS}
                for s, row in zip(senders, counts, strict=True):
                    if s.connector == name:
                        mix[s.version_on(d)] += row[d]
                total = sum(mix.values())
                if total:
                    pct = [f"{100 * mix[k] / total:.2f}" for k in COLUMNS]
                    w.writerow([day, f"Inbound - {name}", "OnPremises", "False", *pct, total])
    first_traced = 0 if sc.trace_days is None else sc.days - sc.trace_days
    index: dict[str, tuple] = {}
    with open(folder / "message_trace.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(
            [
                "Received",
                "SenderAddress",
                "RecipientAddress",
                "Subject",
                "Status",
                "ToIP",
                "FromIP",
                "Size",
                "MessageId",
                "MessageTraceId",
            ]
        )
        n = 0
        for d in range(first_traced, sc.days):
            for s, row in zip(senders, counts, strict=True):
                ips = relay_ips(connectors.index(s.connector))
                for _ in range(row[d]):
                    n += 1
                    hours = (7 * 3600, 19 * 3600) if s.office_hours else (0, 86399)
                    when = START + timedelta(days=d, seconds=rng.randrange(*hours))
                    trace_id = f"{n:08x}-5b4a-4392-8170-{sc.seed:012x}"
                    ip = ips[n % 2]
                    for r in range(1 + (rng.random() < 0.25) + (rng.random() < 0.1)):
                        recipient = f"user{rng.randrange(500)}@{DOMAIN}"
                        w.writerow(
                            [
                                _en_us(when),
                                s.address,
                                recipient,
                                f"Report {n}",
                                "Delivered",
                                "",
                                ip,
                                "2048",
                                f"<{n}.{d}@{DOMAIN}>",
                                trace_id,
                            ]
                        )
                        latest = index.get(s.address)
                        if r == 0 and (latest is None or latest[-1] <= when):
                            index[s.address] = (
                                s,
                                d,
                                trace_id,
                                f"<{n}.{d}@{DOMAIN}>",
                                recipient,
                                when,
                            )
    return senders, index


def answer_lookups(folder: Path, findings: dict, index: dict) -> int:
    """Answer next-evidence.ps1 from the truth: the trace detail of each listed sender's
    latest message, as `Get-MessageTraceDetailV2 | Export-Csv -NoTypeInformation` writes it
    (en-GB dates; a Receive event without a TLS clause where the sender used no TLS)."""
    senders = sorted(
        {s for entry in findings.get("next_evidence", []) for s in entry.get("senders", [])}
    )
    if not senders:
        return 0
    path = folder / "next-evidence-details.csv"
    new = not path.exists()
    with open(path, "a", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        if new:
            w.writerow(
                [
                    "MessageTraceId",
                    "MessageId",
                    "Date",
                    "Event",
                    "Action",
                    "Detail",
                    "Data",
                    "SenderAddress",
                    "RecipientAddress",
                ]
            )
        for address in senders:
            if address not in index:
                continue
            s, d, trace_id, message_id, recipient, when = index[address]
            version = s.version_on(d)
            clause = "" if version == "none" else f" using {version} with AES256"
            data = (
                f'<root><MEP Name="ConnectorId" String="PR01MB0001\\{s.connector}" />'
                f'<MEP Name="ClientIP" String="198.51.100.10" /><MEP Name="CustomData" '
                f'String="S:InboundConnectorData=Name={s.connector};'
                f'ConnectorType=OnPremises" /></root>'
            )
            w.writerow(
                [
                    trace_id,
                    message_id,
                    when.strftime("%d/%m/%Y %H:%M:%S"),
                    "Receive",
                    "",
                    f"Message received by: PR01MB0001.eurprd01.prod.outlook.com{clause}",
                    data,
                    s.address,
                    recipient,
                ]
            )
    return len(senders)


def analyze(folder: Path, out: Path) -> tuple[dict, float]:
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "o365tls",
            "analyze",
            str(folder),
            "-o",
            str(out),
            "--domain",
            DOMAIN,
            "--quiet",
        ],
        check=True,
        capture_output=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    seconds = time.perf_counter() - started
    return json.loads((out / "findings.json").read_text(encoding="utf-8")), seconds


def named_at_risk(findings: dict) -> tuple[set[str], set[str]]:
    """Senders named as still at risk, and those o365tls cannot tell."""
    named, unsure = set(), set()
    for row in findings.get("attribution", []):
        sender, verdict = row["sender"], row["verdict"]
        still = row.get("at_risk_at_end", row.get("estimate", 0) >= 0.1)
        if verdict == "at-risk" or (verdict == "observed" and still):
            if row.get("fixed_on") is None:
                named.add(sender)
        elif verdict == "cannot-tell":
            unsure.add(sender)
    return named, unsure


def in_next_evidence(findings: dict) -> set[str]:
    return {s for entry in findings.get("next_evidence", []) for s in entry.get("senders", [])}


def score(senders: list[Sender], findings: dict) -> dict:
    truth = {s.address for s in senders if s.at_risk_at_end}
    named, unsure = named_at_risk(findings)
    asked = in_next_evidence(findings)
    hit = len(named & truth)
    return {
        "recall": hit / len(truth) if truth else 1.0,
        "precision": hit / len(named) if named else 1.0,
        "named": len(named),
        "at_risk": len(truth),
        "cannot_tell": len(unsure),
        "missed_unlisted": len(truth - named - asked),
        "wrong": sorted(named - truth)[:5],
    }


def run(sc: Scenario, keep: Path | None = None) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="attr-bench-")) if keep is None else keep
    try:
        inputs = work / "in"
        senders, index = write_tenant(inputs, sc)
        findings, seconds = analyze(inputs, work / "out1")
        first = {**score(senders, findings), "seconds": seconds, "round": 1}
        rows = [first]
        asked = answer_lookups(inputs, findings, index)
        if asked:
            findings, seconds = analyze(inputs, work / "out2")
            rows.append(
                {**score(senders, findings), "seconds": seconds, "round": 2, "lookups": asked}
            )
        return rows
    finally:
        if keep is None:
            shutil.rmtree(work, ignore_errors=True)


def speed(
    connector_counts=(10, 25, 50), senders_per_connector=100, days=90, jobs: int | None = None
) -> list[dict]:
    """Attribution alone (no import), on connectors of ``senders_per_connector`` senders, on
    ``jobs`` processes (default: every core, as `analyze` does). The seconds include starting
    the worker processes. CPU seconds are measured on one process only (``jobs=1``: the
    workers of a pool come from a server process, whose children this one cannot time)."""
    import numpy as np

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's o365tls
    from o365tls.analysis.attribution import attribute_all
    from o365tls.parallel import default_jobs
    from o365tls.tls import TLS_VERSIONS

    rows = []
    for n_connectors in connector_counts:
        rng = random.Random(n_connectors)
        sc = Scenario("speed", n_connectors, senders_per_connector, days, seed=n_connectors)
        senders = make_senders(sc, rng)
        counts = daily_counts(senders, days, rng)
        problems = []
        for name in sorted({s.connector for s in senders}):
            mine = [(s, c) for s, c in zip(senders, counts, strict=True) if s.connector == name]
            volumes = np.array([c for _, c in mine], dtype=float).T
            table = np.zeros((days, len(TLS_VERSIONS)))
            for s, c in mine:
                for d in range(days):
                    table[d, TLS_VERSIONS.index(s.version_on(d))] += c[d]
            problems.append((table, volumes, [s.address for s, _ in mine]))
        cores = jobs or default_jobs()
        cpu = time.process_time()
        started = time.perf_counter()
        for _ in attribute_all(problems, cores):
            pass
        rows.append(
            {
                "connectors": n_connectors,
                "senders": len(senders),
                "days": days,
                "jobs": cores,
                "seconds": round(time.perf_counter() - started, 2),
                "cpu": round(time.process_time() - cpu, 2) if cores == 1 else None,
            }
        )
    return rows


def _en_us(when: datetime) -> str:
    hour = when.hour % 12 or 12
    return (
        f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d}:{when.second:02d} "
        f"{'AM' if when.hour < 12 else 'PM'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the scenarios whose name contains this")
    parser.add_argument("--speed", action="store_true", help="time attribution alone")
    parser.add_argument("--keep", type=Path, help="keep inputs and outputs in this folder")
    parser.add_argument("--jobs", type=int, help="processes for --speed (default: the cores)")
    parser.add_argument(
        "--seed",
        type=int,
        action="append",
        help="generate each scenario's tenant from this seed instead of its "
        "own (repeat for several tenants per scenario)",
    )
    args = parser.parse_args()
    if args.speed:
        print(
            "| connectors | senders | days | processes | seconds | CPU seconds |\n"
            "|---|---|---|---|---|---|"
        )
        for row in speed(jobs=args.jobs):
            print(
                f"| {row['connectors']} | {row['senders']} | {row['days']} | {row['jobs']} | "
                f"{row['seconds']} | {'' if row['cpu'] is None else row['cpu']} |",
                flush=True,
            )
        return
    print(
        "| scenario | round | at risk | named | recall | precision | cannot tell | "
        "at risk neither named nor asked | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for sc in SCENARIOS:
        if args.only and args.only not in sc.name:
            continue
        for seed in args.seed or [sc.seed]:
            _print_runs(replace(sc, seed=seed), args.keep, len(args.seed or []) > 0)


def _print_runs(sc: Scenario, keep_in: Path | None, show_seed: bool) -> None:
    keep = keep_in / f"{sc.name.replace(' ', '_')}_{sc.seed}" if keep_in else None
    label = f"{sc.name} (seed {sc.seed})" if show_seed else sc.name
    for r in run(sc, keep):
        print(
            f"| {label} | {r['round']} | {r['at_risk']} | {r['named']} | "
            f"{r['recall']:.2f} | {r['precision']:.2f} | {r['cannot_tell']} | "
            f"{r['missed_unlisted']} | {r['seconds']:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
