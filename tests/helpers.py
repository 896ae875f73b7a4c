"""Small helpers the importer tests share."""

from __future__ import annotations

from pathlib import Path

import o365tls
from o365tls.quality import FileReport


def load_one(path: Path, **kwargs):
    """Load one file; return (dataset, its FileReport), asserting the row accounting."""
    data = o365tls.load([path], **kwargs)
    assert len(data.inputs) == 1, [r.path for r in data.inputs]
    report: FileReport = data.inputs[0]
    assert report.rows_read == report.rows_used + report.rows_rejected, report.as_dict()
    return data, report


def codes(report: FileReport) -> list[str]:
    return [i.code for i in report.issues]
