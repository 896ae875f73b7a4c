"""Chart geometry for report.html: view data in, coordinates and labels out.

Pure functions returning frozen dataclasses; the template's ``_charts.j2`` macros turn them
into inline ``<svg>`` elements (no chart library, nothing fetched). Coordinates are in the SVG's
own user units (the ``viewBox``) and rounded to 0.1 so that the output is stable and small.
Colours are CSS classes (``report.css``), so a ``--template-dir`` can restyle them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Bottom to top in a stacked column: at-risk mail sits on the baseline where it can be read.
STACK_ORDER = ("none", "SSL3", "TLS1.0", "TLS1.1", "unknown", "TLS1.2", "TLS1.3")
TLS_LABELS = {
    "none": "No TLS",
    "SSL3": "SSL 3",
    "TLS1.0": "TLS 1.0",
    "TLS1.1": "TLS 1.1",
    "TLS1.2": "TLS 1.2",
    "TLS1.3": "TLS 1.3",
    "unknown": "Unknown TLS",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def css_class(version: str) -> str:
    """``TLS1.0`` -> ``c-tls10``: a class name safe in any attribute."""
    return "c-" + "".join(ch for ch in version.lower() if ch.isalnum())


@dataclass(frozen=True)
class LegendItem:
    label: str
    css_class: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css_class: str
    title: str  # tooltip: what the rectangle stands for, with its number


@dataclass(frozen=True)
class Tick:
    position: float  # y for a vertical axis, x for a horizontal one
    label: str


@dataclass(frozen=True)
class Column:
    label: str  # the x-axis label, "" when thinned out
    center: float
    title: str
    rects: tuple[Rect, ...]


@dataclass(frozen=True)
class ColumnChart:
    """Stacked columns (TLS mix per day, trend per week)."""

    width: float
    height: float
    left: float
    right: float  # x of the plot's right edge
    top: float
    bottom: float  # y of the baseline
    columns: tuple[Column, ...]
    y_ticks: tuple[Tick, ...]
    legend: tuple[LegendItem, ...]
    description: str

    @property
    def empty(self) -> bool:
        return not self.columns


@dataclass(frozen=True)
class Bar:
    label: str  # truncated to fit; title has it whole
    y: float  # top of the row's bar
    text_y: float  # baseline of the row's texts
    value_x: float
    value_label: str
    title: str
    rects: tuple[Rect, ...]


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars (at-risk messages by connector / device type)."""

    width: float
    height: float
    left: float  # x where bars start (labels end just before)
    right: float
    top: float
    bottom: float
    bars: tuple[Bar, ...]
    x_ticks: tuple[Tick, ...]
    legend: tuple[LegendItem, ...]
    description: str

    @property
    def empty(self) -> bool:
        return not self.bars


def nice_max(value: float, ticks: int = 4) -> tuple[float, float]:
    """(axis maximum, tick step): a 1-2-2.5-5 step so that about ``ticks`` ticks cover ``value``."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    if step < 1:
        step = 1.0  # message counts are whole numbers
    return step * math.ceil(value / step), step


def _r(value: float) -> float:
    return round(value, 1)


def _num(value: float) -> str:
    return f"{int(value):,}"


def day_label(day) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]}"  # not %b: independent of the locale


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def _columns(
    stacks: Sequence[tuple[str, str, Sequence[tuple[str, str, int]]]],
    legend: tuple[LegendItem, ...],
    description: str,
    *,
    width: float = 1100,
    height: float = 240,
    max_labels: int = 14,
) -> ColumnChart:
    """``stacks``: (x label, column title, [(series label, css class, value) bottom-up])."""
    left, right, top, bottom = 52.0, width - 8, 10.0, height - 26
    totals = [sum(v for _, _, v in parts) for _, _, parts in stacks]
    top_value, step = nice_max(max(totals, default=0))
    scale = (bottom - top) / top_value
    ticks = tuple(
        Tick(_r(bottom - i * step * scale), _num(i * step))
        for i in range(int(round(top_value / step)) + 1)
    )
    slot = (right - left) / max(len(stacks), 1)
    bar_width = min(slot * 0.72, 48.0)
    every = max(1, math.ceil(len(stacks) / max_labels))
    columns = []
    for i, (label, title, parts) in enumerate(stacks):
        x = left + i * slot + (slot - bar_width) / 2
        base, rects = bottom, []
        for name, cls, value in parts:
            if value <= 0:
                continue
            h = value * scale
            rects.append(
                Rect(
                    _r(x), _r(base - h), _r(bar_width), _r(h), cls, f"{label}: {name} {_num(value)}"
                )
            )
            base -= h
        columns.append(
            Column(label if i % every == 0 else "", _r(x + bar_width / 2), title, tuple(rects))
        )
    return ColumnChart(
        width, height, left, right, top, bottom, tuple(columns), ticks, legend, description
    )


def tls_by_day(daily: Sequence, versions: Sequence[str] = STACK_ORDER) -> ColumnChart:
    """Messages per day, stacked by TLS version (``daily``: DayView-like: day, by_tls,
    messages, at_risk)."""
    order = [v for v in STACK_ORDER if v in versions]
    used = [v for v in order if any(d.by_tls.get(v) for d in daily)]
    stacks = []
    for d in daily:
        mix = ", ".join(f"{TLS_LABELS[v]} {_num(d.by_tls[v])}" for v in used if d.by_tls.get(v))
        title = f"{d.day.isoformat()}: {_num(d.messages)} messages, {_num(d.at_risk)} at risk" + (
            f" ({mix})" if mix else ""
        )
        stacks.append(
            (
                day_label(d.day),
                title,
                [(TLS_LABELS[v], css_class(v), d.by_tls.get(v, 0)) for v in used],
            )
        )
    legend = tuple(LegendItem(TLS_LABELS[v], css_class(v)) for v in used)
    days = len(daily)
    description = (
        f"Messages per day by TLS version over {days} day{'s' if days != 1 else ''};"
        " legacy TLS and no TLS at the bottom of each column."
    )
    return _columns(stacks, legend, description)


def trend_by_week(trend: Sequence) -> ColumnChart:
    """At-risk and other messages per week (``trend``: TrendPoint-like: label, at_risk,
    messages)."""
    stacks = []
    for p in trend:
        share = f"{p.at_risk / p.messages:.1%}" if p.messages else "0.0%"
        title = f"{p.label}: {_num(p.at_risk)} of {_num(p.messages)} messages at risk ({share})"
        stacks.append(
            (
                p.label,
                title,
                [
                    ("at risk", "c-risk", p.at_risk),
                    ("TLS 1.2 or later", "c-clean", max(p.messages - p.at_risk, 0)),
                ],
            )
        )
    legend = (
        LegendItem("At risk (legacy or no TLS)", "c-risk"),
        LegendItem("Other messages", "c-clean"),
    )
    description = f"At-risk messages per week over {len(trend)} weeks of history."
    return _columns(stacks, legend, description, height=200)


def at_risk_bars(groups: Sequence, *, limit: int = 8, width: float = 560) -> BarChart:
    """At-risk messages per group, largest first, split into legacy TLS and no TLS; groups
    beyond ``limit`` are summed into one "N more" bar (``groups``: GroupView-like: label,
    messages, legacy, plaintext, at_risk)."""
    risky = sorted((g for g in groups if g.at_risk > 0), key=lambda g: (-g.at_risk, g.label))
    rows = [(g.label, g.legacy, g.plaintext, g.messages) for g in risky[:limit]]
    rest = risky[limit:]
    if rest:
        rows.append(
            (
                f"{len(rest)} more",
                sum(g.legacy for g in rest),
                sum(g.plaintext for g in rest),
                sum(g.messages for g in rest),
            )
        )
    row_height, bar_height = 28.0, 16.0
    left, right, top = 232.0, width - 92, 6.0
    bottom = top + row_height * len(rows)
    height = bottom + 22
    top_value, step = nice_max(max((lg + pl for _, lg, pl, _ in rows), default=0), ticks=4)
    scale = (right - left) / top_value
    ticks = tuple(
        Tick(_r(left + i * step * scale), _num(i * step))
        for i in range(int(round(top_value / step)) + 1)
    )
    bars = []
    for i, (label, legacy, plain, messages) in enumerate(rows):
        y = top + i * row_height + (row_height - bar_height) / 2
        at_risk = legacy + plain
        share = f"{at_risk / messages:.0%}" if messages else "0%"
        rects, x = [], left
        for name, cls, value in (("Legacy TLS", "c-legacy", legacy), ("No TLS", "c-none", plain)):
            if value <= 0:
                continue
            w = value * scale
            rects.append(
                Rect(_r(x), _r(y), _r(w), bar_height, cls, f"{label}: {name} {_num(value)}")
            )
            x += w
        title = (
            f"{label}: {_num(at_risk)} of {_num(messages)} messages at risk ({share}); "
            f"legacy TLS {_num(legacy)}, no TLS {_num(plain)}"
        )
        bars.append(
            Bar(
                truncate(label, 34),
                _r(y),
                _r(y + bar_height - 4),
                _r(x + 6),
                f"{_num(at_risk)} ({share})",
                title,
                tuple(rects),
            )
        )
    legend = (LegendItem("Legacy TLS", "c-legacy"), LegendItem("No TLS", "c-none"))
    description = f"At-risk messages for the {len(risky)} groups that have any, largest first."
    return BarChart(
        width, _r(height), left, right, top, _r(bottom), tuple(bars), ticks, legend, description
    )


@dataclass(frozen=True)
class MixBar:
    """A one-line TLS mix for a table cell: one rectangle per version, left to right."""

    width: float
    height: float
    rects: tuple[Rect, ...]
    title: str


def mix_bar(by_tls: dict, *, width: float = 100, height: float = 10) -> MixBar:
    total = sum(by_tls.get(v, 0) for v in STACK_ORDER)
    rects, x = [], 0.0
    for v in STACK_ORDER:
        value = by_tls.get(v, 0)
        if value <= 0:
            continue
        w = value / total * width
        rects.append(
            Rect(_r(x), 0.0, _r(w), height, css_class(v), f"{TLS_LABELS[v]} {_num(value)}")
        )
        x += w
    title = ", ".join(r.title for r in rects) or "no messages"
    return MixBar(width, height, tuple(rects), title)
