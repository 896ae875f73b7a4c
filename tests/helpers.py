"""Small helpers the importer tests share."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from contextlib import contextmanager
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


#: The columns of `Get-MessageTraceV2 | Export-Csv` the generated tenants write.
TRACE_HEADER = (
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
)


@contextmanager
def trace_csv(path: Path) -> Iterator:
    """A csv writer for a message trace as PowerShell 7's Export-Csv writes it (every field
    quoted, CRLF, no #TYPE line), its header already written."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(TRACE_HEADER)
        yield w
