"""Chart geometry (o365tls.render.charts): bars are as long as their numbers say, stacks add
up, axes cover the data, and long or numerous labels are tamed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from o365tls.render import charts
from o365tls.render.view import DayView, GroupView
from o365tls.trend import TrendPoint

VERSIONS = ("SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "none", "unknown")


def day(d: date, **counts) -> DayView:
    by_tls = {v: 0 for v in VERSIONS}
    by_tls.update({k.replace("_", "."): v for k, v in counts.items()})
    at_risk = sum(by_tls[v] for v in ("SSL3", "TLS1.0", "TLS1.1", "none"))
    return DayView(d, by_tls, sum(by_tls.values()), at_risk)


def group(label: str, messages: int, legacy: int, plaintext: int) -> GroupView:
    return GroupView(
        label,
        {"connector": label},
        messages,
        {},
        legacy,
        plaintext,
        legacy + plaintext,
        1,
        None,
        None,
    )


@pytest.mark.parametrize(
    "value, expected",
    [
        (0, (1.0, 1.0)),
        (1, (1.0, 1.0)),
        (7, (8, 2)),
        (683, (800, 200)),
        (1000, (1000, 250)),
        (7952, (8000, 2000)),
        (12, (15, 5)),
    ],
)
def test_nice_max_covers_the_value_with_round_steps(value, expected):
    assert charts.nice_max(value) == expected


def test_css_class_and_day_label():
    assert [charts.css_class(v) for v in VERSIONS] == [
        "c-ssl3",
        "c-tls10",
        "c-tls11",
        "c-tls12",
        "c-tls13",
        "c-none",
        "c-unknown",
    ]
    assert charts.day_label(date(2026, 11, 9)) == "9 Nov"


def test_tls_by_day_stacks_add_up_and_at_risk_sits_on_the_baseline():
    days = [
        day(date(2026, 11, 9), TLS1_0=100, TLS1_2=387, TLS1_3=149, none=13),
        day(date(2026, 11, 10), TLS1_2=50),
    ]
    chart = charts.tls_by_day(days, VERSIONS)
    assert [t.label for t in chart.y_ticks] == ["0", "200", "400", "600", "800"]
    assert chart.y_ticks[0].position == chart.bottom and chart.y_ticks[-1].position == chart.top
    scale = (chart.bottom - chart.top) / 800
    first, second = chart.columns
    assert [r.css_class for r in first.rects] == ["c-none", "c-tls10", "c-tls12", "c-tls13"]
    assert first.rects[0].y + first.rects[0].height == pytest.approx(chart.bottom, abs=0.1)
    for lower, upper in zip(first.rects, first.rects[1:], strict=False):
        assert upper.y + upper.height == pytest.approx(lower.y, abs=0.11)
    assert sum(r.height for r in first.rects) == pytest.approx(649 * scale, abs=0.3)
    assert [r.css_class for r in second.rects] == ["c-tls12"]
    assert second.rects[0].height == pytest.approx(50 * scale, abs=0.1)
    assert first.title == (
        "2026-11-09: 649 messages, 113 at risk (No TLS 13, TLS 1.0 100, TLS 1.2 387, TLS 1.3 149)"
    )
    assert first.rects[1].title == "9 Nov: TLS 1.0 100"
    assert [i.label for i in chart.legend] == ["No TLS", "TLS 1.0", "TLS 1.2", "TLS 1.3"]
    assert (first.label, second.label) == ("9 Nov", "10 Nov")
    assert first.center < second.center


def test_many_days_thin_out_the_labels_and_narrow_the_bars():
    start = date(2026, 8, 1)
    days = [day(start + timedelta(days=i), TLS1_2=10 + i) for i in range(90)]
    chart = charts.tls_by_day(days, VERSIONS)
    labels = [c.label for c in chart.columns]
    assert len(labels) == 90 and sum(1 for x in labels if x) == 13  # every 7th day
    assert labels[0] == "1 Aug" and labels[7] == "8 Aug" and labels[1] == ""
    width = chart.columns[0].rects[0].width
    assert width * 90 < chart.right - chart.left


def test_no_days_make_an_empty_chart():
    assert charts.tls_by_day([], VERSIONS).empty


def test_at_risk_bars_largest_first_with_the_rest_summed():
    groups = [group(f"Connector {i}", 100 * i, 10 * i, i) for i in range(1, 11)]
    groups.append(group("Clean one", 5000, 0, 0))
    chart = charts.at_risk_bars(groups, limit=8)
    labels = [b.label for b in chart.bars]
    assert labels == [f"Connector {i}" for i in range(10, 2, -1)] + ["2 more"]
    top, rest = chart.bars[0], chart.bars[-1]
    assert top.value_label == "110 (11%)"
    assert rest.title == ("2 more: 33 of 300 messages at risk (11%); legacy TLS 30, no TLS 3")
    legacy, plain = top.rects
    assert (legacy.css_class, plain.css_class) == ("c-legacy", "c-none")
    assert legacy.width / plain.width == pytest.approx(10, rel=0.02)
    assert plain.x == pytest.approx(legacy.x + legacy.width, abs=0.1)
    assert top.value_x > plain.x + plain.width
    scale = (chart.right - chart.left) / 150  # steps of 50 cover 110 in about 4 ticks
    assert [t.label for t in chart.x_ticks] == ["0", "50", "100", "150"]
    assert legacy.width == pytest.approx(100 * scale, abs=0.1)
    assert [i.label for i in chart.legend] == ["Legacy TLS", "No TLS"]


def test_long_labels_are_truncated_but_titles_keep_them():
    long = "EXCH01\\Relais anonyme – Entrepôt principal de Lyon (inbound)"
    chart = charts.at_risk_bars([group(long, 12, 2, 4)])
    (bar,) = chart.bars
    assert bar.label == "EXCH01\\Relais anonyme – Entrepôt…"  # cut at 33, space trimmed
    assert bar.title.startswith(long + ": 6 of 12 messages at risk (50%)")


def test_no_at_risk_group_makes_an_empty_chart():
    assert charts.at_risk_bars([group("Clean", 10, 0, 0)]).empty


def test_trend_by_week_stacks_at_risk_under_the_rest():
    chart = charts.trend_by_week(
        [TrendPoint("2026-W46", 100, 400), TrendPoint("2026-W47", 40, 420)]
    )
    first = chart.columns[0]
    assert [r.css_class for r in first.rects] == ["c-risk", "c-clean"]
    assert first.title == "2026-W46: 100 of 400 messages at risk (25.0%)"
    assert first.rects[0].height * 3 == pytest.approx(first.rects[1].height, abs=0.2)


def test_mix_bar_widths_add_up_to_the_cell():
    bar = charts.mix_bar({"TLS1.0": 30, "TLS1.2": 60, "none": 10}, width=100)
    assert [(r.css_class, r.width) for r in bar.rects] == [
        ("c-none", 10.0),
        ("c-tls10", 30.0),
        ("c-tls12", 60.0),
    ]
    assert bar.title == "No TLS 10, TLS 1.0 30, TLS 1.2 60"
    assert charts.mix_bar({}).rects == () and charts.mix_bar({}).title == "no messages"
