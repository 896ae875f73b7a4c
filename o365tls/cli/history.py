"""``o365tls history``: the stored snapshots, the trend per tenant, and a portfolio view."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from .common import app, safe


@app.command("history")
def history_command(
    db: Annotated[Path, typer.Argument(help="The SQLite history database.", show_default=False)],
    tenant: Annotated[str | None, typer.Option("--tenant", help="Only this tenant.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Stored weekly snapshots, the trend per tenant, and a portfolio view."""
    from .. import history

    with history.connect(db, create=False) as conn:
        snaps = history.snapshots(conn, tenant)
    by_tenant: dict[str, list] = {}
    for s in snaps:
        by_tenant.setdefault(s.tenant, []).append(s)
    portfolio = [
        _row(items[-1], items[-2] if len(items) > 1 else None) for items in by_tenant.values()
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "tenants": {
                        t: [_row(s, items[i - 1] if i else None) for i, s in enumerate(items)]
                        for t, items in by_tenant.items()
                    },
                    "portfolio": portfolio,
                },
                indent=2,
            )
        )
        return
    if not snaps:
        typer.echo("no snapshots stored yet")
        return
    for name, items in by_tenant.items():
        typer.echo(f"tenant {safe(name)}")
        typer.echo(
            f"  {'week':<9} {'period':<23} {'messages':>9} {'at risk':>8} {'share':>6} "
            f"{'findings':>8} {'crit/high':>9} {'change':>7}"
        )
        for i, s in enumerate(items):
            row = _row(s, items[i - 1] if i else None)
            typer.echo(
                f"  {row['week']:<9} {row['period']:<23} {row['messages']:>9} "
                f"{row['at_risk']:>8} {row['share']:>6.1%} {row['findings']:>8} "
                f"{row['critical_high']:>9} {_change(row['change']):>7}"
            )
    typer.echo("portfolio (latest week per tenant)")
    for row in sorted(portfolio, key=lambda r: -r["at_risk"]):
        typer.echo(
            f"  {safe(row['tenant']):<24} {row['week']:<9} at risk {row['at_risk']:>7} "
            f"({row['share']:.1%}), {row['findings']} findings, "
            f"change {_change(row['change'])}"
        )


def _row(s, previous) -> dict:
    prio = s.by_priority or {}
    return {
        "tenant": s.tenant,
        "week": s.week,
        "period": f"{(s.period_start or '')[:10]}..{(s.period_end or '')[:10]}",
        "messages": s.messages,
        "at_risk": s.at_risk,
        "legacy": s.legacy,
        "plaintext": s.plaintext,
        "share": s.at_risk / s.messages if s.messages else 0.0,
        "findings": s.findings,
        "by_priority": prio,
        "critical_high": prio.get("critical", 0) + prio.get("high", 0),
        # Each message in one week only (an undated or overlapping export read again).
        "trend_at_risk": s.trend_at_risk,
        "trend_messages": s.trend_messages,
        "change": None if previous is None else s.trend_at_risk - previous.trend_at_risk,
    }


def _change(value) -> str:
    return "-" if value is None else f"{value:+d}"
