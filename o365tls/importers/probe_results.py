"""Probe results: the JSON file ``o365tls probe -o FILE`` writes (a server's banner, STARTTLS,
the TLS versions it accepts, its certificate). Recognised by its top-level
``"o365tls_probe": 1`` marker. One probe record per result; the analysis attaches each to the
findings on the same host or IP.

The file may have passed through other hands: every result is read back through
:meth:`o365tls.probe.ProbeResult.from_dict`, which takes the facts and recomputes what follows
from them (accepted versions, expiry, the summary line); a result it cannot read is rejected
with the reason.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from ..probe import FILE_VERSION, MARKER, ProbeResult
from ..quality import FileReport
from ..schema import PROBES, ROW
from .base import Batch, Format, LoadContext, canonical
from .jsonfile import json_keys, json_records
from .sample import JSON, Sample


def detect(sample: Sample) -> bool:
    return sample.kind == JSON and MARKER in json_keys(sample)


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    records = json_records(sample, report, rows_expected=False)
    if records is None:
        return
    doc = next((r for r in records if MARKER in r), None)
    if doc is None or len(records) != 1:
        report.fail(
            "not-probe-results",
            f'the "{MARKER}" key must be at the top of one '
            "object; write the file with o365tls probe -o",
        )
        return
    if doc.get(MARKER) != FILE_VERSION:
        report.fail(
            "probe-file-version",
            f"probe results file version {doc.get(MARKER)!r}; "
            f"this o365tls reads version {FILE_VERSION}",
        )
        return
    items = doc.get("results")
    if not isinstance(items, list):
        report.fail("no-results", 'the probe results file has no "results" list')
        return
    report.read(len(items))
    results, rows = [], []
    for row, item in enumerate(items, start=1):
        try:
            result = ProbeResult.from_dict(item)
        except ValueError as exc:
            report.reject(row, "bad-probe-result", f"{exc}; probe the server again")
            continue
        results.append(result)
        rows.append(row)
    report.use(len(results))
    # No see_period: a probe's date is when the server was checked, not part of the period
    # the exports cover.
    if results:
        yield Batch(
            PROBES,
            canonical(
                PROBES,
                {
                    ROW: rows,
                    "host": [r.host for r in results],
                    "port": [r.port for r in results],
                    "address": [r.address for r in results],
                    "probed_at": [pd.Timestamp(r.probed_at) for r in results],
                    "result": pd.Series(results, dtype=object),
                },
                len(results),
                report.path,
            ),
        )


FORMAT = Format(
    name="probe-results",
    description="Server probe results written by `o365tls probe -o FILE`",
    kind=PROBES,
    carries_tls=False,
    signature=(MARKER,),
    detect=detect,
    read=read,
    recognised_by=f'a JSON object with the key "{MARKER}"',
)
