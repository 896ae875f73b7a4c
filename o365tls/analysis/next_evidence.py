"""The evidence that settles what attribution cannot: per connector, the senders whose TLS the
daily counts cannot pin while some of their mail may be at risk, and the lookups (trace detail
of each sender's latest traced message) that would show it message by message; and the days
the connector report covers that the trace does not, which the lookups' script exports first."""

from __future__ import annotations

import pandas as pd

from .attribution import AT_RISK_FLOOR, CANNOT_TELL
from .observations import DAY
from .results import NextEvidence

# Get-MessageTraceV2 and Get-MessageTraceDetailV2 allow 100 requests in 5 minutes each.
SECONDS_PER_LOOKUP = 3


def untraced_days(day_agg: pd.DataFrame, msgs: pd.DataFrame) -> list[str]:
    """Days (ISO dates) the connector report covers and the message trace does not."""
    if day_agg.empty:
        return []
    reported = pd.DatetimeIndex(pd.unique(day_agg[DAY].dropna()))
    traced = pd.DatetimeIndex([])
    if len(msgs):
        exo = (msgs["realm"] == "exo").to_numpy()
        traced = pd.DatetimeIndex(pd.unique(msgs["day"][exo].dropna()))
    return [f"{d:%Y-%m-%d}" for d in sorted(reported.difference(traced))]


def entries(
    attribution_rows: list[dict], missing_days: list[str] | None = None
) -> list[NextEvidence]:
    """One entry per connector and direction with senders to look up (``next_evidence`` in
    findings.json). Only senders with an address: trace lookups go by sender address. When
    the trace misses days of the connector report, every entry names them: exported, they
    take part in the next fit."""
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
        minutes = max(1, round(len(senders) * 2 * SECONDS_PER_LOOKUP / 60))
        plural = "s" if len(senders) != 1 else ""
        out.append(
            NextEvidence(
                scope=scope,
                direction=direction,
                connector=connector,
                senders=tuple(senders),
                lookups=len(senders),
                missing_days=tuple(missing_days or ()),
                why=(
                    f"{len(senders)} sender{plural} on {connector or 'mail without a connector'}"
                    " cannot be told apart from the daily TLS counts"
                ),
                todo=(
                    f"run next-evidence.ps1, {len(senders)} lookup{plural}, about {minutes} "
                    f"minute{'s' if minutes != 1 else ''}, then run o365tls again"
                ),
            )
        )
    return out


def notes(asks: list[NextEvidence]) -> list[str]:
    """The to-do of each entry, as the data-quality section and the workbook show it."""
    return [f"{entry.why}: {entry.todo}" for entry in asks]
