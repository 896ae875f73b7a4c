"""flows.csv: the joined flow table, one row per flow group, for Power BI and Excel pivots;
``finding_id`` names the finding (a root cause may hold several flows) each flow is behind.

UTF-8 with BOM so that Excel opens non-ASCII names correctly; every text cell that a
spreadsheet would run as a formula is neutralized."""

from __future__ import annotations

import csv
from pathlib import Path

from ..analysis.results import Results
from .safety import neutralize
from .serialize import FLOW_COLUMNS, flow_row


def write_flows(results: Results, path: Path) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([name for name, _ in FLOW_COLUMNS])
        for finding in results.all_findings:  # a root cause's flows, each on its own row
            for flow in finding.behind:
                row = {**flow_row(flow), "finding_id": finding.id}
                writer.writerow([_cell(neutralize(row[name])) for name, _ in FLOW_COLUMNS])


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
