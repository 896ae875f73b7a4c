"""report.html: structure, escaping of hostile text, template overrides, no network fetches,
and a gold file of the sample tenant's report.

The gold file is tests/render/gold/report.html: the sample tenant rendered with the options in
html_support.SAMPLE_OPTIONS and the deadline day pinned, passed through html_support.scrub()
(which blanks the elements marked data-volatile: generation time and tool version). When a
template, the view-model or the analysis changes the page on purpose, rewrite it with

    UPDATE_GOLD=1 .venv/bin/pytest tests/render/test_html.py

and review the diff of tests/render/gold/report.html before committing it.
"""

from __future__ import annotations

import base64
import dataclasses
import difflib
import hashlib
import os
import re
import tomllib
from datetime import date, datetime
from pathlib import Path

import pytest

from o365tls.errors import UsageError
from o365tls.render import ReportOptions
from o365tls.render.html import render_html
from o365tls.render.view import ReportView
from tests.render.html_support import (
    PAYLOAD,
    ROOT,
    hostile_view,
    parse,
    sample_view,
    scrub,
)

GOLD = Path(__file__).resolve().parent / "gold" / "report.html"
# A 1x1 PNG, for the logo.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture(scope="module")
def view() -> ReportView:
    return sample_view()


@pytest.fixture(scope="module")
def html(view) -> str:
    return render_html(view)


@pytest.fixture(scope="module")
def page(html):
    return parse(html)


@pytest.mark.slow
def test_the_page_has_every_section_in_order(html, page):
    ids = [e.attrs["id"] for e in page.find("section") if "id" in e.attrs]
    top = [i for i in ids if not i.startswith("group-")]
    assert top == ["actions", "summary", "charts", "findings", "groups", "quality", "method"]
    assert [i for i in ids if i.startswith("group-")] == [
        "group-by-connector",
        "group-by-sender-ip",
        "group-by-device-type",
        "group-by-sender-address",
    ]
    assert html.startswith('<!DOCTYPE html>\n<html lang="en" data-print="executive">')


def test_header_and_headline_numbers(view, html, page):
    text = " ".join(" ".join(page.text).split())
    assert "Legacy TLS report: Northwind Traders" in text
    assert "Client Northwind Traders" in text
    assert "Prepared by Fabrikam Consulting" in text
    assert "Period 2026-11-09 to 2026-11-22" in text
    values = re.findall(r'<p class="card-value">([^<]*)</p>', html)
    assert values == ["7,952", "1,758", "1,558", "200", "9"]
    assert "22.1% of messages used legacy TLS or none" in text
    assert view.verdict in text
    deadlines = page.classed("deadline", "li")
    assert len(deadlines) == 3
    assert "SMTP AUTH client submission · 2 findings" in text


def test_findings_table_has_one_tbody_per_finding_in_plan_order(view, page):
    bodies = page.classed("finding", "tbody")
    assert [b.attrs["data-priority"] for b in bodies] == [f.priority for f in view.findings]
    assert [b.attrs["data-priority"] for b in bodies] == (
        ["critical"] * 2 + ["high"] * 3 + ["medium"] * 4
    )
    assert [b.attrs["data-path"] for b in bodies][:5] == [
        "client-submission",
        "client-submission",
        "connector-relay",
        "connector-relay",
        "direct-send",
    ]
    assert [b.attrs["id"] for b in bodies] == [f"finding-{f.id}" for f in view.findings]
    details = page.classed("detail-row", "tr")
    assert [d.attrs["id"] for d in details] == [f"detail-{f.id}" for f in view.findings]
    toggles = page.classed("toggle", "button")
    assert [t.attrs["aria-controls"] for t in toggles] == [d.attrs["id"] for d in details]
    assert len(page.classed("sort", "button")) == 9  # every column but the TLS chips
    controls = [e.attrs["id"] for e in page.elements if e.tag in ("select", "input")]
    assert controls == ["filter-priority", "filter-path", "filter-device", "filter-text"]
    assert [e.attrs["for"] for e in page.find("label")] == controls


def test_outbound_mail_without_a_sender_is_named_by_its_recipients(view, html):
    """The outbound messages report's rest (no TLS to recipient domains the trace does not
    name) is about recipients: "sender not identified" would send the admin looking for a
    sender that does not matter."""
    rest = [f for f in view.findings if f.direction == "outbound" and not f.sender_address]
    assert rest and not any(f.sender_ip or f.hostname for f in rest)
    assert "outbound mail, recipient domains not identified" in html
    assert "sender not identified" not in html  # every inbound finding names its sender


def test_every_finding_shows_its_fix_and_evidence(view, html):
    top = view.findings[0]
    for text in (
        top.action,
        top.steps[0],
        top.powershell[0],
        top.references[0],
        top.stopgap,
        top.what_you_will_see,
        top.priority_reasons[0],
        top.device_evidence[0],
    ):
        assert _escaped(text) in html, text
    assert '<pre class="code"><code>Get-TransportConfig | Format-List' in html
    assert "sample_reports/exo/smtp-auth-clients-report.csv" in html


def test_charts_are_inline_svg_drawn_from_the_data(view, page):
    svgs = page.find("svg")
    assert all("viewbox" in s.attrs for s in svgs)
    columns = page.classed("column", "g")
    assert len(columns) == len(view.daily) == 14
    bars = page.classed("bar", "g")
    connectors_at_risk = [g for g in view.groups["by_connector"] if g.at_risk]
    devices_at_risk = [g for g in view.groups["by_device_type"] if g.at_risk]
    assert len(bars) == len(connectors_at_risk) + len(devices_at_risk) == 7 + 6
    assert page.find("desc", id="chart-daily-desc")
    assert not page.find("figcaption", id="chart-trend-title")  # no history, no trend chart


def test_trend_chart_appears_with_history(view):
    from o365tls.trend import TrendPoint

    trend = (
        TrendPoint("2026-W45", 900, 4000),
        TrendPoint("2026-W46", 850, 3950),
        TrendPoint("2026-W47", 400, 4100),
    )
    page = parse(render_html(dataclasses.replace(view, trend=trend)))
    assert page.find("figcaption", id="chart-trend-title")
    assert len(page.classed("column", "g")) == 14 + 3


def test_the_page_runs_only_its_own_script(page):
    """The Content-Security-Policy allows the page's script by its hash and nothing else:
    no script from anywhere, no inline event handler, no fetch."""
    csp = page.find("meta", http_equiv="Content-Security-Policy")[0].attrs["content"]
    ((attrs, script),) = page.scripts
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in csp
    assert "default-src 'none'" in csp and "img-src data:" in csp
    assert attrs == {}


def test_nothing_is_fetched_from_the_network(view):
    html = render_html(
        dataclasses.replace(
            view, meta=dataclasses.replace(view.meta, logo_bytes=PNG, logo_mime="image/png")
        )
    )
    page = parse(html)
    linked = [
        (e.tag, name, value)
        for e in page.elements
        for name, value in e.attrs.items()
        if name
        in (
            "src",
            "href",
            "action",
            "formaction",
            "poster",
            "srcset",
            "data",
            "xlink:href",
            "background",
            "manifest",
        )
    ]
    assert linked, "the page links its own sections"
    # References are links a reader may follow (navigation, never loaded by the page).
    references = [x for x in linked if x[:2] == ("a", "href") and x[2].startswith("https://")]
    assert references, "the remediation references link their public sources"
    assert [x for x in linked if not x[2].startswith(("#", "data:")) and x not in references] == []
    assert page.find("img", src="data:image/png;base64," + base64.b64encode(PNG).decode())
    assert not re.search(r"src\s*=\s*[\"']?\s*(?:https?:)?//", html, re.I)
    assert "@import" not in html and not re.search(r"url\(\s*['\"]?(?!data:)", html)
    assert page.find("link") == []


def test_hostile_tenant_text_stays_text():
    view = hostile_view()
    (f_relay, f_onprem) = view.findings
    assert PAYLOAD in f_relay.sender_address and PAYLOAD in f_relay.connector
    assert any(PAYLOAD in line and "subject" in line for line in f_relay.device_evidence)
    assert f_onprem.hostname == "<img/src=x/onerror=alert(1)></script>"
    html = render_html(view)
    assert "<img src=x" not in html and "<img/src" not in html
    assert html.count("</script>") == 1  # the page's own script element
    escaped = "&lt;img src=x onerror=alert(1)&gt;&lt;/script&gt;"
    assert f"x{escaped}@evil.example" in html  # sender
    assert f"Relay {escaped}" in html  # connector
    assert "&lt;img/src=x/onerror=alert(1)&gt;&lt;/script&gt;" in html  # HELO
    assert f"Scanned from a Xerox Multifunction Printer {escaped}" in html  # subject
    assert f"<title>Report {escaped} · Client {escaped}</title>" in html  # title, client
    page = parse(html)
    assert page.find("img") == [] and len(page.find("script")) == 1
    assert "x<img src=x onerror=alert(1)></script>@evil.example" in "".join(page.text)


def test_every_text_field_of_the_view_is_escaped(view):
    """Whatever the view-model carries, a template prints it as text: every string in it
    (keys of dicts aside) gets the payload appended, and the page holds no markup of it."""
    html = render_html(_poison(view))
    assert "<img src=x" not in html
    assert html.count("</script>") == 1
    page = parse(html)
    assert page.find("img") == [] and len(page.find("script")) == 1


def _poison(value):
    if isinstance(value, str):
        return value + PAYLOAD
    if isinstance(value, tuple):
        return tuple(_poison(v) for v in value)
    if isinstance(value, dict):
        return {k: _poison(v) for k, v in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(
            value,
            **{
                f.name: _poison(getattr(value, f.name))
                for f in dataclasses.fields(value)
                if f.init and f.name not in ("logo_bytes",)
            },
        )
    assert value is None or isinstance(value, (int, float, bool, bytes, date, datetime)), value
    return value


def test_template_dir_replaces_one_block(view, tmp_path):
    (tmp_path / "report.html.j2").write_text(
        '{% extends "default:report.html.j2" %}\n'
        '{% block summary %}<section id="summary"><p id="custom">{{ report.headline.at_risk'
        " | num }} at risk for {{ report.meta.client }}</p></section>{% endblock %}\n",
        encoding="utf-8",
    )
    html = render_html(view, tmp_path)
    assert '<p id="custom">1,758 at risk for Northwind Traders</p>' in html
    assert "Deadlines that apply" not in html
    assert 'id="findings-table"' in html and 'id="method"' in html


def test_template_dir_replaces_a_partial(view, tmp_path):
    (tmp_path / "report.css").write_text("body { color: #123456; }\n", encoding="utf-8")
    html = render_html(view, tmp_path)
    assert "body { color: #123456; }" in html
    assert "--accent" not in html


@pytest.mark.parametrize(
    "source, line, words",
    [
        (
            '{% extends "default:report.html.j2" %}\n{% block summary %}\n{% if %}\n{% endblock %}\n',
            3,
            "Expected an expression",
        ),
        (
            '{% extends "default:report.html.j2" %}\n{% block summary %}\n<p>\n'
            "{{ report.headline.nonsense }}</p>\n{% endblock %}\n",
            4,
            "nonsense",
        ),
    ],
)
def test_broken_template_names_file_and_line(view, tmp_path, source, line, words):
    (tmp_path / "report.html.j2").write_text(source, encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        render_html(view, tmp_path)
    message = caught.value.message
    assert f"template {tmp_path / 'report.html.j2'} (line {line}):" in message
    assert words in message
    assert "--template-dir" in caught.value.hint


def test_missing_template_dir_is_a_usage_error(view, tmp_path):
    with pytest.raises(UsageError, match="no such template folder"):
        render_html(view, tmp_path / "nope")


def test_every_template_file_ships_in_the_wheel():
    """pyproject's package-data globs are not recursive: every file in templates/ must match
    one of them, and partials stay in the top folder."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["o365tls.templates"]
    files = sorted(p for p in (ROOT / "templates").iterdir() if p.name != "__pycache__")
    assert all(p.is_file() for p in files)
    unshipped = [
        p.name for p in files if p.name != "__init__.py" and not any(p.match(g) for g in patterns)
    ]
    assert unshipped == []
    assert {"report.html.j2", "report.css", "report.js"} <= {p.name for p in files}


def test_report_matches_the_gold_file(html):
    actual = scrub(html)
    assert 'data-volatile="generated-at">[generated-at]</time>' in actual
    assert 'data-volatile="tool-version">[tool-version]</span>' in actual
    if os.environ.get("UPDATE_GOLD") == "1":
        GOLD.parent.mkdir(exist_ok=True)
        GOLD.write_text(actual, encoding="utf-8", newline="\n")
    if not GOLD.exists():
        pytest.fail(
            f"{GOLD} is missing: write it with "
            "UPDATE_GOLD=1 .venv/bin/pytest tests/render/test_html.py"
        )
    expected = GOLD.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    actual.splitlines(keepends=True),
                    "gold/report.html",
                    "rendered",
                )
            )[:80]
        )
        pytest.fail(
            "report.html differs from the gold file; if the change is intended, run "
            "UPDATE_GOLD=1 .venv/bin/pytest tests/render/test_html.py and review the "
            "diff\n" + diff
        )


def _escaped(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def test_options_reach_the_page(tmp_path):
    logo = tmp_path / "logo.png"
    logo.write_bytes(PNG)
    view = sample_view(
        ReportOptions(title="Mail TLS review", client="Contoso", author="A. N.", logo=logo)
    )
    page = parse(render_html(view))
    assert page.find("img", alt="Contoso")[0].attrs["src"].startswith("data:image/png;base64,")
    text = " ".join(" ".join(page.text).split())
    assert "Mail TLS review" in text and "Prepared by A. N." in text


def test_a_tenant_without_tls_data_still_renders():
    """Connector configuration alone: no message, no finding, no chart data. Every section is
    there and says so, instead of failing or drawing empty axes."""
    import o365tls
    from o365tls.render import view_of

    data = o365tls.gather([ROOT / "tests" / "data" / "connector-config"])
    page_html = render_html(view_of(o365tls.analyze(data)))
    page = parse(page_html)
    text = " ".join(" ".join(page.text).split())
    assert "No message with TLS evidence was found in the inputs" in text
    assert "No data for this chart." in text and text.count("No at-risk messages.") == 2
    assert "No at-risk flow was found: nothing to remediate in this period." in text
    assert page.find("table", id="findings-table") == [] and page.find("svg") == []
    assert len(page.find("tr")) > 1  # the inputs table


def test_a_finding_lists_ten_source_files_and_counts_the_rest(view):
    """A flow seen in a week of hourly protocol logs has a source file an hour: the report
    names ten and counts the rest (findings.json keeps them all)."""
    files = tuple(f"logs/RECV20240115{h:02d}-1.LOG" for h in range(24))
    first = dataclasses.replace(view.findings[0], sources=files)
    html = render_html(dataclasses.replace(view, findings=(first, *view.findings[1:])))
    block = re.search(r'<ul class="sources">(.*?)</ul>', html, re.S).group(1)
    items = [
        re.sub(r"<[^>]+>", "", li).strip() for li in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)
    ]
    assert items[:10] == list(files[:10])
    assert items[10:] == [
        "… and 14 more files (all in findings.json; every file read is under Data quality)"
    ]
