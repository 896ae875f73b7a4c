"""Renderers: results -> files. :func:`write_outputs` writes every output of ``analyze -o``
atomically: either all of them are replaced, or none is."""

from __future__ import annotations

from pathlib import Path

from ..analysis.results import Results
from .csv_out import write_flows
from .json_out import write_findings
from .safety import staged_outputs

FINDINGS_JSON = "findings.json"
FLOWS_CSV = "flows.csv"


def write_outputs(results: Results, out_dir: str | Path) -> list[Path]:
    """Write findings.json and flows.csv into ``out_dir``; returns the paths written."""
    names = [FINDINGS_JSON, FLOWS_CSV]
    with staged_outputs(out_dir) as stage:
        write_findings(results, stage / FINDINGS_JSON)
        write_flows(results, stage / FLOWS_CSV)
    return [Path(out_dir) / n for n in names]
