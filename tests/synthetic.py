"""A synthetic tenant whose truth is known, written as real export files.

Each sender has a fixed TLS version; daily volumes vary. The files given to o365tls are only
what a real tenant has: the EAC inbound connector report (connector x day, TLS percentages with
two decimals, as the EAC exports them) and a Get-MessageTraceV2 export (identity, no TLS).
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from tests.helpers import trace_csv

CONNECTOR = "Branch Relay"
RELAY_IP = "198.51.100.20"
COLUMNS = {"none": "No TLS", "TLS1.0": "TLS 1.0", "TLS1.1": "TLS 1.1", "TLS1.2": "TLS 1.2"}


@dataclass(frozen=True)
class Sender:
    address: str
    tls: str
    rate: float  # mean messages per day
    twin_of: str = ""  # same daily volumes as this sender: indistinguishable


def default_senders() -> list[Sender]:
    legacy = [Sender(f"scan{i}@tenant.example", "TLS1.0", 15 + 5 * i) for i in range(4)]
    legacy += [
        Sender("erp@tenant.example", "TLS1.1", 25),
        Sender("label-printer@tenant.example", "none", 12),
    ]
    clean = [Sender(f"app{i}@tenant.example", "TLS1.2", 10 + 4 * i) for i in range(8)]
    twins = [
        Sender("twin-old@tenant.example", "TLS1.0", 20),
        Sender("twin-new@tenant.example", "TLS1.2", 20, twin_of="twin-old@tenant.example"),
    ]
    return legacy + clean + twins


def daily_volumes(senders: list[Sender], days: int, seed: int) -> dict[str, list[int]]:
    rng = random.Random(seed)
    out: dict[str, list[int]] = {}
    for s in senders:
        if s.twin_of:
            out[s.address] = list(out[s.twin_of])
            continue
        # Busy and quiet days differ per sender: that is what makes them separable.
        out[s.address] = [max(0, round(s.rate * rng.uniform(0.2, 1.8))) for _ in range(days)]
    return out


def write_tenant(
    folder: Path,
    senders: list[Sender] | None = None,
    days: int = 21,
    seed: int = 7,
    start: datetime = datetime(2026, 10, 5),
) -> dict:
    """Write connector_report.csv and message_trace.csv; return the truth."""
    senders = senders or default_senders()
    volumes = daily_volumes(senders, days, seed)
    rng = random.Random(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
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
        for d in range(days):
            counts = {k: 0 for k in COLUMNS}
            for s in senders:
                counts[s.tls] += volumes[s.address][d]
            total = sum(counts.values())
            if not total:
                continue
            pct = [f"{100 * counts[k] / total:.2f}" for k in COLUMNS]
            day = (start + timedelta(days=d)).strftime("%Y-%m-%d")
            w.writerow([day, f"Inbound - {CONNECTOR}", "OnPremises", "False", *pct, total])
    with trace_csv(folder / "message_trace.csv") as w:
        n = 0
        for d in range(days):
            for s in senders:
                for _ in range(volumes[s.address][d]):
                    n += 1
                    when = start + timedelta(days=d, seconds=rng.randrange(7 * 3600, 19 * 3600))
                    w.writerow(
                        [
                            _en_us(when),
                            s.address,
                            "user@tenant.example",
                            f"Report {n}",
                            "Delivered",
                            "",
                            RELAY_IP,
                            "2048",
                            f"<{n}@tenant.example>",
                            f"{n:08x}-0000-0000-0000-000000000000",
                        ]
                    )
    return {s.address: s.tls for s in senders}


def write_smtp_auth_report(path: Path, rows: list[tuple[str, str, int]]) -> None:
    """An EAC "SMTP AUTH clients" export: (sender, TLS version, messages) per mailbox. It has
    no dates: the columns of the "Messages sent using SMTP Auth" table on Microsoft Learn, with
    the Authentication Protocol column, CRLF, UTF-8 with BOM (as the EAC writes it; see
    tests/data/eac-smtp-auth-report/make_fixtures.py)."""
    pct = {v: ("100.00" if v else "0.00") for v in ("TLS1.0", "TLS1.1", "TLS1.2")}
    lines = [
        '"Sender address","Domain","Messages sent","TLS 1.0","TLS 1.1","TLS 1.2",'
        '"Authentication Protocol"'
    ]
    for sender, tls, messages in rows:
        shares = [pct[v] if v == tls else "0.00" for v in ("TLS1.0", "TLS1.1", "TLS1.2")]
        lines.append(
            ",".join(
                f'"{v}"' for v in (sender, sender.split("@")[1], str(messages), *shares, "Basic")
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8"))


def _en_us(when: datetime) -> str:
    hour = when.hour % 12 or 12
    return (
        f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d}:{when.second:02d} "
        f"{'AM' if when.hour < 12 else 'PM'}"
    )
