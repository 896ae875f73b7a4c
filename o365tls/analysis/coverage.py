"""Coverage: how much of the period each piece of evidence covers, and which exports are
missing.

A connector report covers whole days; a protocol log covers the hours between its first and
last line. A flow seen only in two hours of logs cannot be ranked on its volume against a
tenant counted over fourteen days: its rate over the days its evidence covers is what compares
(:attr:`Coverage.day_share` scales it). The first screen also says which exports are missing and
what each would add.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..quality import FileReport

#: Formats whose records each cover whole days (period_end is the start of the last day).
_DAY_GRAIN = frozenset({"eac-connector-report"})
#: Formats without dates: they speak for the whole period.
_WHOLE_PERIOD = frozenset({"eac-smtp-auth-report"})
_DAY = pd.Timedelta(days=1)
_NS_HOUR = 3_600 * 10**9
_NS_DAY = 24 * _NS_HOUR


@dataclass(frozen=True)
class Coverage:
    """The part of the run's period that a flow's evidence covers."""

    covered: pd.Timedelta
    period: pd.Timedelta
    days: int  # calendar days with some coverage
    #: (share, description) as findings.json recorded them, for a coverage read back from it:
    #: its hours are rounded there, and both were computed from the exact times.
    recorded: tuple[float, str] | None = None

    @property
    def share(self) -> float:
        """0..1 of the period's time; 1 when the period is unknown."""
        if self.recorded is not None:
            return self.recorded[0]
        if self.period.value <= 0:
            return 1.0
        return min(1.0, self.covered.value / self.period.value)

    @property
    def period_days(self) -> int:
        return max(1, round(self.period.value / _NS_DAY))

    @property
    def day_share(self) -> float:
        """The share of the period's days that some of its evidence falls on: volumes are
        compared per covered day (mail comes in business hours, so two hours of logs are
        taken for their day, not stretched over 24 hours)."""
        return min(1.0, self.days / self.period_days) if self.partial else 1.0

    @property
    def partial(self) -> bool:
        return self.share < 0.999

    def describe(self) -> str:
        """ "2 hours on 1 of 14 days", "14 days"."""
        if self.recorded is not None:
            return self.recorded[1]
        if not self.partial:
            return f"{self.period_days} day{'s' if self.period_days != 1 else ''}"
        span = _span(self.covered)
        if span.endswith("days"):
            return f"{span} of {self.period_days}"
        return f"{span} on {self.days} of {self.period_days} days"


def _span(delta: pd.Timedelta) -> str:
    hours = delta.value / _NS_HOUR
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if hours < 48:
        rounded = round(hours, 1)
        text = f"{rounded:g}"
        return f"{text} hour{'s' if text != '1' else ''}"
    days = round(hours / 24)
    return f"{days} days"


class Files:
    """The time span each input file covers, by path."""

    def __init__(self, inputs: Iterable[FileReport], period) -> None:
        start, end = period
        self.start = pd.Timestamp(start) if start is not None else None
        self.end = pd.Timestamp(end) if end is not None else None
        self.spans: dict[str, tuple[pd.Timestamp, pd.Timestamp] | None] = {}
        for report in inputs:
            if report.format in _WHOLE_PERIOD or report.period_start is None:
                self.spans[report.path] = None  # speaks for the whole period
                continue
            first, last = pd.Timestamp(report.period_start), pd.Timestamp(report.period_end)
            if report.format in _DAY_GRAIN:
                first, last = first.normalize(), last.normalize() + _DAY
            self.spans[report.path] = (first, last)

    @property
    def period(self) -> pd.Timedelta:
        if self.start is None or self.end is None:
            return pd.Timedelta(0)
        return self.end - self.start + pd.Timedelta(seconds=1)

    def of(self, sources: Sequence[str]) -> Coverage:
        """The coverage of evidence read from ``sources`` (a source without dates, or one not
        read, covers the whole period)."""
        spans = []
        for path in sources:
            span = self.spans.get(path)
            if span is None:
                return Coverage(self.period, self.period, max(1, round(self.period / _DAY)))
            spans.append(span)
        if not spans:
            return Coverage(self.period, self.period, max(1, round(self.period / _DAY)))
        merged: list[list[pd.Timestamp]] = []
        for first, last in sorted(spans):
            if merged and first <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        covered = sum((last - first for first, last in merged), pd.Timedelta(0))
        days = len(
            {
                d
                for first, last in merged
                for d in pd.date_range(
                    first.normalize(), (last - pd.Timedelta(seconds=1)).normalize(), freq="D"
                )
            }
        )
        return Coverage(
            min(covered, self.period) if self.period > pd.Timedelta(0) else covered,
            self.period,
            days,
        )


@dataclass(frozen=True)
class Gap:
    """An export that is missing, or covers too little, and what it would add."""

    export: str
    adds: str


def gaps(inputs: Sequence[FileReport], files: Files, on_prem_connectors: bool) -> tuple[Gap, ...]:
    """What the first screen says is missing: exports not given, and logs that cover a small
    part of the period."""
    formats = {r.format for r in inputs if not r.fatal}
    out = []
    if "eac-connector-report" not in formats:
        out.append(
            Gap(
                "Inbound and Outbound messages reports (EAC > Reports > Mail flow)",
                "the TLS of all mail through Exchange Online, per connector and day: "
                "without them, connector and internet mail has no TLS evidence",
            )
        )
    if "eac-smtp-auth-report" not in formats:
        out.append(
            Gap(
                "SMTP AUTH clients report (EAC > Reports > Mail flow)",
                "which mailboxes submit with TLS 1.0/1.1 or Basic auth",
            )
        )
    if not formats & {"message-trace", "historical-summary", "historical-extended"}:
        out.append(
            Gap(
                "Message trace (Get-MessageTraceV2 | Export-Csv)",
                "who sends the mail that the connector reports count: without it, the "
                "senders behind a connector cannot be named",
            )
        )
    if "connector-config" not in formats:
        out.append(
            Gap(
                "Connector configuration (Get-InboundConnector | ConvertTo-Json)",
                "the IPs and certificate names of your connectors: the relays and "
                "servers that negotiate TLS are named by them",
            )
        )
    if on_prem_connectors and "exchange-protocol-log" not in formats:
        out.append(
            Gap(
                "SMTP protocol logs of your on-premises Exchange servers "
                "(ProtocolLog\\SmtpReceive and SmtpSend)",
                "which devices reach your servers with which TLS, and the TLS your "
                "servers negotiate with Exchange Online",
            )
        )
    logs = [r for r in inputs if r.format == "exchange-protocol-log" and not r.fatal]
    if logs:
        cover = files.of([r.path for r in logs])
        if cover.partial:
            out.append(
                Gap(
                    f"More protocol logs: the ones given cover {cover.describe()}",
                    "the rest of the period's days, so that the on-premises hops are "
                    "compared with the other flows over the same time",
                )
            )
    return tuple(out)
