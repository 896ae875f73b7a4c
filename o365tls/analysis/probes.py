"""Server probe results (``o365tls probe -o FILE``, read back as an input) attached to the
flows on the same server, as evidence of what that server accepted when it was probed."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import pandas as pd

from ..probe import ProbeResult
from .results import Finding


def latest(probes: pd.DataFrame) -> list[ProbeResult]:
    """The newest result per probed host and port (a server probed every week keeps only
    its last answer), oldest first."""
    newest: dict[tuple[str, int], ProbeResult] = {}
    for result in probes["result"].tolist() if len(probes) else ():
        key = (result.host, result.port)
        if key not in newest or result.probed_at > newest[key].probed_at:
            newest[key] = result
    return sorted(newest.values(), key=lambda r: (r.probed_at, r.host, r.port))


def attach(flows: Iterable[Finding], probes: pd.DataFrame) -> tuple[list[Finding], list[str]]:
    """Each flow with the probe results of its server: a result whose host is the flow's
    HELO name, reverse DNS name or sender IP, or whose connected address is the sender IP.
    Returns the flows and notes on results that matched no flow."""
    flows = list(flows)
    results = latest(probes)
    if not results:
        return flows, []
    # Results by every name a flow may match them on: one look-up per flow, not a scan.
    by_key: dict[str, list[ProbeResult]] = {}
    for result in results:
        for key in {result.host, result.address} - {""}:
            by_key.setdefault(key, []).append(result)
    used: set[int] = set()
    out = []
    for finding in flows:
        mine = _of(finding, by_key)
        used.update(id(r) for r in mine)
        out.append(replace(finding, probes=mine) if mine else finding)
    unmatched = [str(r.target) for r in results if id(r) not in used]
    notes = []
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (
            f" and {len(unmatched) - 5} more" if len(unmatched) > 5 else ""
        )
        notes.append(
            f"{len(unmatched)} probed server(s) match no flow's HELO name, reverse "
            f"DNS or sender IP: {shown}"
        )
    return out, notes


def _of(finding: Finding, by_key: dict) -> tuple[ProbeResult, ...]:
    flow = finding.flow
    keys = {n.strip().rstrip(".").lower() for n in (flow.hostname, flow.ptr) if n}
    keys.add((flow.sender_ip or "").strip())
    found = {id(r): r for key in keys - {""} for r in by_key.get(key, ())}
    return tuple(sorted(found.values(), key=lambda r: (r.probed_at, r.host, r.port)))
