"""The evidence that settles what attribution cannot: per connector, the senders whose TLS the
daily counts cannot pin while some of their mail may be at risk, and the lookups (trace detail
of each sender's latest traced message) that would show it message by message."""

from __future__ import annotations

from .attribution import AT_RISK_FLOOR, CANNOT_TELL

# Get-MessageTraceDetailV2 allows 100 requests in 5 minutes.
SECONDS_PER_LOOKUP = 3


def entries(attribution_rows: list[dict]) -> list[dict]:
    """One entry per connector and direction with senders to look up (``next_evidence`` in
    findings.json). Only senders with an address: trace lookups go by sender address."""
    groups: dict[tuple[str, str, str], list[dict]] = {}
    for row in attribution_rows:
        if row.get("verdict") != CANNOT_TELL or float(row.get("high", 1.0)) < AT_RISK_FLOOR:
            continue
        sender = str(row["sender"])
        if "@" not in sender or ":" in sender:
            continue
        groups.setdefault((row["scope"], row["direction"], row["connector"]), []).append(row)
    out = []
    for (scope, direction, connector), rows in sorted(groups.items()):
        senders = sorted(str(r["sender"]) for r in rows)
        seconds = len(senders) * SECONDS_PER_LOOKUP
        minutes = max(1, round(seconds / 60))
        out.append({
            "scope": scope, "direction": direction, "connector": connector,
            "senders": senders, "lookups": len(senders),
            "why": (f"{len(senders)} sender{'s' if len(senders) != 1 else ''} on {connector} "
                    "cannot be told apart from the daily TLS counts"),
            "todo": (f"run next-evidence.ps1, {len(senders)} lookup"
                     f"{'s' if len(senders) != 1 else ''}, about {minutes} minute"
                     f"{'s' if minutes != 1 else ''}, then run o365tls again"),
        })
    return out
