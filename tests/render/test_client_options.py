"""Options a consultant sets for a client's copy: printout, classification, brand colour,
commentary. The page stays self-contained and input text stays text."""

from __future__ import annotations

from dataclasses import replace

import pytest
from markupsafe import escape

from o365tls.errors import UsageError
from o365tls.render.brand import brand, contrast, parse_color
from o365tls.render.html import css_string, markdown_safe, render_html
from tests.render.html_support import sample_view


@pytest.fixture(scope="module")
def view():
    return sample_view()


def test_brand_colour_keeps_text_readable():
    dark, light = brand("#0b3d6e"), brand("f4c430")
    assert dark.ink == "#ffffff" and light.ink == "#1b2330"
    assert contrast(dark.color, dark.ink) >= 4.5 and contrast(light.color, light.ink) >= 4.5
    assert dark.link == "#0b3d6e"
    assert light.link != light.color  # too light to read as link text on white
    assert parse_color("#ABC") == "#aabbcc"
    for bad in ("red", "#12345", "#1234567", "#12g456", "#fff;}body{display:none"):
        with pytest.raises(UsageError):
            parse_color(bad)


def test_brand_colour_reaches_the_page(view):
    page = render_html(replace(view, meta=replace(view.meta, brand=brand("#f4c430"))))
    assert "--accent: #f4c430; --on-accent: #1b2330;" in page


def test_notes_render_markdown_without_raw_html():
    html = str(
        markdown_safe(
            "# Scope\n\nTwo *weeks*. <script>alert(1)</script>\n\n"
            "- `Get-InboundConnector`\n\n[ms](https://learn.microsoft.com/) "
            "[bad](javascript:alert(1)) <img src=x onerror=alert(1)>"
        )
    )
    assert "<h3>Scope</h3>" in html and "<em>weeks</em>" in html
    assert "<code>Get-InboundConnector</code>" in html
    assert '<a href="https://learn.microsoft.com/"' in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html


def test_notes_section_and_classification(view):
    meta = replace(
        view.meta,
        commentary="## Next steps\n\nCall the printer vendor.",
        classification='Confidential "} </style><script>x</script>',
    )
    page = render_html(replace(view, meta=meta))
    assert '<section id="notes"' in page and "<h4>Next steps</h4>" in page
    assert page.count("</style>") == 2  # the label cannot end the style element
    assert "<script>x</script>" not in page
    assert css_string('a "b"') == '"a \\22 b\\22 "'


def test_cli_refuses_a_bad_print_mode_and_colour(tmp_path):
    from typer.testing import CliRunner

    from o365tls.cli import app

    runner = CliRunner()
    out = tmp_path / "out"
    for args in (["--print", "brief"], ["--brand-color", "blue"]):
        result = runner.invoke(app, ["analyze", "sample_reports", "-o", str(out), *args])
        assert result.exit_code != 0
        assert not out.exists()


def test_an_svg_logo_is_shown_in_the_page_and_its_absence_in_the_workbook_is_said(tmp_path):
    from typer.testing import CliRunner

    from o365tls.cli import app

    logo = tmp_path / "logo.svg"
    logo.write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="30">'
        '<rect width="80" height="30" fill="#0b3d6e"/><script>alert(1)</script>'
        "</svg>",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["analyze", "sample_reports", "-o", str(out), "-q", "--logo", str(logo)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "warning: --logo logo.svg" in result.stderr and "workbook cannot embed SVG" in result.stderr
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    # An <img> with a data: URI: a browser never runs an image's script.
    assert '<img class="logo" src="data:image/svg+xml;base64,' in page
    assert "<script>alert(1)" not in page


def test_the_action_list_carries_the_plans_owner_and_status(view):
    top = replace(
        view.findings[0], plan_owner="Finance IT", plan_status="In progress", status="open"
    )
    page = render_html(replace(view, findings=(top, *view.findings[1:])))
    first = page[page.index('id="actions"') : page.index('id="summary"')]
    text = " ".join(first.split())
    assert "<dt>Owner</dt><dd>Finance IT</dd>" in text
    assert "<dt>Status</dt><dd>In progress</dd>" in text
    assert 'status-open">open</span>' in text
    second = str(escape(view.findings[1].action))
    assert first.index(str(escape(top.action))) < first.index(second)  # in plan order
