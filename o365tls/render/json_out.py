"""findings.json: the machine-readable results (schema: o365tls/data/findings.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path

from ..analysis.results import Results
from .serialize import findings_document


def write_findings(results: Results, path: Path) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        # One string, one write: json.dump would write each token on its own.
        fh.write(json.dumps(findings_document(results), indent=2, ensure_ascii=False, default=str))
        fh.write("\n")
