"""report.html in a real browser: Debian's Chromium driven by Playwright's Python package.

The page is opened from disk (file://), as people open a report they were sent. The tests
watch every request, console message, page error and dialog: the page must fetch nothing but
itself, log no error, and never run input text (a subject or sender with an <img onerror> in
it stays text). They sort, filter and expand the remediation plan as a reader would.

Needs `pip install -e '.[dev]'` (playwright) and a Chromium (`apt-get install chromium`; set
O365TLS_CHROMIUM to use another binary). Playwright's own browser download is not used. Without
them the tests skip locally and FAIL under CI=true, so CI cannot pass without running them.

O365TLS_UPDATE_SCREENSHOT=1 saves the screenshot to docs/report-screenshot.png (for the README);
otherwise it goes to the test's tmp folder.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from o365tls.render.html import render_html
from tests.render.html_support import PAYLOAD, ROOT, hostile_view, sample_view

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOT = ROOT / "docs" / "report-screenshot.png"


def _unavailable(reason: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {reason}: .ci/run installs both", pytrace=False)
    pytest.skip(reason)


def _chromium() -> str:
    for candidate in (
        os.environ.get("O365TLS_CHROMIUM"),
        shutil.which("chromium"),
        "/usr/bin/chromium",
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    _unavailable("no Chromium found (apt-get install chromium, or set O365TLS_CHROMIUM)")


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[dev]')")
    executable = _chromium()
    with sync_playwright() as p:
        # launch() gives every run a fresh, temporary user-data-dir.
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def view():
    return sample_view()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory, view) -> Path:
    path = tmp_path_factory.mktemp("browser") / "report.html"
    path.write_text(render_html(view), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def hostile_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "report.html"
    path.write_text(render_html(hostile_view()), encoding="utf-8")
    return path


class Watched:
    """A page with everything it does recorded."""

    def __init__(self, browser, path: Path, width: int = 1280, height: int = 900):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.url = path.as_uri()
        self.page.goto(self.url, wait_until="load")

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def visible_ranks(self) -> list[int]:
        return self.page.eval_on_selector_all(
            "#findings-table > tbody.finding:not([hidden])",
            "bodies => bodies.map(b => parseInt(b.rows[0].cells[0].getAttribute('data-sort')))",
        )

    def column(self, index: int) -> list[str]:
        return self.page.eval_on_selector_all(
            "#findings-table > tbody.finding:not([hidden])",
            f"bodies => bodies.map(b => b.rows[0].cells[{index}].getAttribute('data-sort')"
            f" ?? b.rows[0].cells[{index}].textContent.trim())",
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def sample_page(browser, report_file):
    watched = Watched(browser, report_file)
    yield watched
    watched.close()


def test_loads_without_errors_or_network(sample_page, view):
    page = sample_page.page
    assert sample_page.requests == [sample_page.url]
    assert [c for c in sample_page.console if c[0] in ("error", "warning")] == []
    assert sample_page.errors == []
    assert page.evaluate("document.documentElement.classList.contains('js')")  # script ran
    assert page.locator("#filter-count").text_content() == "9 findings"
    assert sample_page.visible_ranks() == [f.rank for f in view.findings]
    # With the script running, details start folded.
    assert page.locator("tr.detail-row:visible").count() == 0
    assert page.locator("#chart-daily-title").is_visible()


def test_sort_by_columns(sample_page, view):
    page = sample_page.page
    at_risk = page.locator("#findings-table > thead th", has_text="At risk")
    at_risk.locator("button").click()
    assert at_risk.get_attribute("aria-sort") == "descending"
    assert [int(v) for v in sample_page.column(5)] == [683, 473, 368, 83, 60, 53, 32, 4, 2]
    assert sample_page.visible_ranks()[:3] == [3, 1, 4]
    at_risk.locator("button").click()
    assert at_risk.get_attribute("aria-sort") == "ascending"
    assert [int(v) for v in sample_page.column(5)] == [2, 4, 32, 53, 60, 83, 368, 473, 683]
    assert page.locator("#findings-table th[aria-sort]").count() == 1
    sender = page.locator("#findings-table > thead th", has_text="Sender")
    sender.locator("button").click()
    names = sample_page.column(2)
    # A root cause sorts by its host, any other finding by its sender.
    known = sorted(
        (
            f.host or f.sender_address or f.hostname or f.sender_ip
            for f in view.findings
            if f.host or f.sender_address or f.hostname or f.sender_ip
        ),
        key=str.lower,
    )
    # A blank key (no sender identified) goes last (rank 7).
    assert names == known + [""]
    assert names[0] == "alerts@northwindtraders.example"
    assert sample_page.visible_ranks()[-1:] == [7]
    sender.locator("button").click()
    assert sender.get_attribute("aria-sort") == "descending"
    assert sample_page.column(2) == known[::-1] + [""]
    page.locator("#findings-table > thead th", has_text="#").locator("button").click()
    assert sample_page.visible_ranks() == list(range(1, 10))


def test_filter_by_priority_path_device_and_text(sample_page, view):
    page = sample_page.page
    page.select_option("#filter-priority", "critical")
    assert sample_page.visible_ranks() == [1, 2]
    assert page.locator("#filter-count").text_content() == "Showing 2 of 9 findings"
    page.select_option("#filter-path", "client-submission")
    assert sample_page.visible_ranks() == [1, 2]
    page.select_option("#filter-priority", "")
    page.select_option("#filter-path", "")
    page.select_option("#filter-device", "mfp")
    assert (
        sample_page.visible_ranks()
        == [f.rank for f in view.findings if f.device_type == "mfp"]
        == [8]
    )
    page.select_option("#filter-device", "")
    page.fill("#filter-text", "hp-SCANNER")  # a flow behind the relay's root cause
    assert sample_page.visible_ranks() == [3]
    page.fill("#filter-text", "Relais anonyme")
    assert sample_page.visible_ranks() == [8, 9]
    page.select_option("#filter-priority", "high")
    assert sample_page.visible_ranks() == []
    assert page.locator("#filter-count").text_content() == "Showing 0 of 9 findings"
    page.select_option("#filter-priority", "")
    page.fill("#filter-text", "")
    assert sample_page.visible_ranks() == list(range(1, 10))
    assert page.locator("#filter-count").text_content() == "9 findings"


def test_expand_a_finding(sample_page, view):
    page = sample_page.page
    top = view.findings[0]
    toggle = page.locator(f"#finding-{top.id} button.toggle")
    detail = page.locator(f"#detail-{top.id}")
    assert toggle.get_attribute("aria-expanded") == "false" and not detail.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true" and detail.is_visible()
    assert detail.locator("h3").text_content() == top.action
    assert detail.locator("pre code").text_content() == "\n".join(top.powershell)
    assert detail.locator("ol.steps li").count() == len(top.steps)
    assert page.locator("tr.detail-row:visible").count() == 1
    toggle.click()
    assert not detail.is_visible()
    page.click("#expand-all")
    assert page.locator("tr.detail-row:visible").count() == 9
    page.click("#collapse-all")
    assert page.locator("tr.detail-row:visible").count() == 0


def test_print_shows_every_detail_and_hides_the_controls(sample_page):
    page = sample_page.page
    page.select_option("#filter-priority", "low")
    assert not page.locator("#group-by-sender-ip details table").is_visible()
    page.emulate_media(media="print")
    # The executive printout (the default) shows every finding's row but no appendices.
    assert page.locator("tbody.finding:visible").count() == 9
    assert page.locator("tr.detail-row:visible").count() == 0
    assert not page.locator("#method").is_visible()
    page.evaluate("document.documentElement.dataset.print = 'full'")  # --print full
    assert page.locator("tr.detail-row:visible").count() == 9
    # On A4 (186 mm between the margins) no column header spills into its neighbour.
    page.set_viewport_size({"width": 703, "height": 1000})
    spilled = page.eval_on_selector_all(
        "table.data thead th",
        "ths => ths.filter(th => th.offsetParent !== null"
        " && th.scrollWidth > th.clientWidth + 1).map(th => th.textContent.trim())",
    )
    assert spilled == []
    assert page.locator("tbody.finding:visible").count() == 9
    assert not page.locator(".filters").is_visible()
    assert not page.locator("nav.toc").is_visible()
    # Folded tables (groups without at-risk mail) print open too.
    assert page.locator("#group-by-sender-ip details table").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    assert sample_page.errors == [] and sample_page.requests == [sample_page.url]


def test_hostile_text_stays_text(browser, hostile_file):
    watched = Watched(browser, hostile_file)
    try:
        page = watched.page
        page.wait_for_timeout(300)  # time for a broken <img> to fire onerror, were there one
        page.click("#expand-all")
        page.fill("#filter-text", "<img src=x")
        page.wait_for_timeout(100)
        assert watched.dialogs == []
        assert watched.errors == []
        assert watched.requests == [watched.url]
        assert page.locator("img").count() == 0
        assert page.locator("#findings-table td.who .who-main").first.text_content() == (
            f"x{PAYLOAD}@evil.example"
        )
        assert watched.visible_ranks() == [1, 2]  # both findings mention the payload
        assert page.locator("h1").text_content() == f"Report {PAYLOAD}"
        assert page.get_by_text(
            f"Scanned from a Xerox Multifunction Printer {PAYLOAD}", exact=False
        ).first.is_visible()
        assert page.get_by_text("<img/src=x/onerror=alert(1)></script>").first.is_visible()
    finally:
        watched.close()


def test_screenshot(sample_page, tmp_path):
    page = sample_page.page
    target = (
        SCREENSHOT
        if os.environ.get("O365TLS_UPDATE_SCREENSHOT") == "1"
        else (tmp_path / "report-screenshot.png")
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    charts = page.locator("#charts").bounding_box()  # header, summary and charts
    page.screenshot(
        path=str(target),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": round(charts["y"] + charts["height"] + 16)},
    )
    assert target.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert sample_page.errors == []


@pytest.fixture(scope="module")
def big_file(tmp_path_factory, view) -> tuple[Path, tuple]:
    """The sample's findings copied to just over 2,000, each copy with its own id, rank and
    sender: the size of a week of protocol logs from thousands of hosts."""
    findings = []
    for copy in range(-(-2000 // len(view.findings))):
        for f in view.findings:
            rank = len(findings) + 1
            findings.append(
                replace(
                    f,
                    rank=rank,
                    id=f"{f.id[:8]}{copy:04d}{rank:04d}",
                    sender_address=f"host{rank:04d}-{f.sender_address}",
                )
            )
    path = tmp_path_factory.mktemp("big") / "report.html"
    path.write_text(render_html(replace(view, findings=tuple(findings))), encoding="utf-8")
    return path, tuple(findings)


def test_thousands_of_findings_are_paged_and_filter_at_once(browser, big_file):
    path, findings = big_file
    total = len(findings)
    watched = Watched(browser, path)
    try:
        page = watched.page
        assert page.locator("#filter-count").text_content() == f"{total} findings"
        assert watched.visible_ranks() == list(range(1, 101))  # the first page only
        assert page.locator("#page-info").text_content() == f"Findings 1\u2013100 of {total}"
        page.click("#page-next")
        assert watched.visible_ranks() == list(range(101, 201))
        page.click("#page-prev")
        assert watched.visible_ranks() == list(range(1, 101))
        # A search over all the pages, and the count follows each keystroke.
        page.fill("#filter-text", "host1999-")
        assert page.locator("#filter-count").text_content() == f"Showing 1 of {total} findings"
        assert watched.visible_ranks() == [1999]
        assert not page.locator("#pager").is_visible()  # one page: no pager
        page.fill("#filter-text", "")
        page.select_option("#filter-priority", "critical")
        critical = [f.rank for f in findings if f.priority == "critical"]
        assert (
            page.locator("#filter-count").text_content()
            == f"Showing {len(critical)} of {total} findings"
        )
        assert watched.visible_ranks() == critical[:100]
        page.click("#page-next")
        assert watched.visible_ranks() == critical[100:200]
        # Sorting reorders every finding, then shows the first page of the new order.
        page.select_option("#filter-priority", "")
        page.click("#findings-table th:nth-child(1) button.sort")
        assert watched.visible_ranks() == list(range(total, total - 100, -1))
        page.emulate_media(media="print")  # the printout has every finding
        assert page.locator("tbody.finding:visible").count() == total
        assert watched.errors == [] and watched.requests == [watched.url]
    finally:
        watched.close()


@pytest.fixture
def desktop_page(browser, report_file):
    watched = Watched(browser, report_file, 1440, 900)
    yield watched
    watched.close()


@pytest.fixture
def phone_page(browser, report_file):
    watched = Watched(browser, report_file, 390, 844)
    yield watched
    watched.close()


def test_first_screen_lists_what_to_fix_first(desktop_page, view):
    page = desktop_page.page
    actions = page.locator("#actions .action")
    assert actions.count() == len(view.findings)
    first = actions.first.bounding_box()
    assert first["y"] + first["height"] <= 900  # the first root cause is on the first screen
    summary = page.locator("#summary").bounding_box()
    assert page.locator("#actions").bounding_box()["y"] < summary["y"]
    top = view.findings[0]
    text = actions.first.inner_text()
    assert top.action in text and "2026-12-31" in text
    # The coverage warnings are part of it.
    assert page.locator("#actions .gaps").is_visible()


def test_plan_fits_the_desktop_and_its_header_sticks(desktop_page):
    page = desktop_page.page
    table = page.locator("#findings-table").bounding_box()
    wrapper = page.locator(".plan-scroll").bounding_box()
    assert table["x"] + table["width"] <= wrapper["x"] + wrapper["width"] + 1  # Deadline shows
    deadline = page.locator("#findings-table > thead th").last.bounding_box()
    assert deadline["x"] + deadline["width"] <= 1440
    page.locator("#findings-table > tbody.finding").nth(3).scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 300)")
    header = page.locator("#findings-table > thead th").first.bounding_box()
    assert abs(header["y"]) < 2  # still at the top of the window


def test_plan_is_cards_on_a_phone(phone_page):
    page = phone_page.page
    page.click("#expand-all")
    width = page.evaluate("document.documentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    widest = page.eval_on_selector_all(
        "#findings-table > tbody.finding:not([hidden]) *",
        "els => Math.max(...els.map(e => e.getBoundingClientRect().right))",
    )
    assert widest <= width
    assert page.locator("#findings-table > thead").bounding_box()["height"] <= 1  # labels instead
    assert page.locator("#findings-table td.deadline-cell").first.is_visible()
    assert phone_page.errors == []


def _pdftext(pdf: Path, *args: str) -> str:
    import subprocess

    tool = shutil.which("pdftotext")
    if not tool:
        _unavailable("no pdftotext (apt-get install poppler-utils)")
    return subprocess.run(
        [tool, "-layout", *args, str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _printed(browser, tmp_path, view, name: str) -> tuple[Path, list[str]]:
    html = tmp_path / f"{name}.html"
    html.write_text(render_html(view), encoding="utf-8")
    watched = Watched(browser, html)
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(watched.page.pdf(format="A4", print_background=True))
    assert watched.errors == [] and watched.requests == [watched.url]
    watched.close()
    pages = _pdftext(pdf).split("\f")
    return pdf, [p for p in pages if p.strip()]


@pytest.fixture(scope="module")
def printed_view(view):
    return replace(view, meta=replace(view.meta, classification="Confidential"))


def test_executive_printout(browser, tmp_path, printed_view):
    pdf, pages = _printed(browser, tmp_path, printed_view, "executive")
    # The sample tenant: the action list, summary and charts, and the plan's rows.
    assert 4 <= len(pages) <= 7
    assert "What to fix first" in pages[0] and printed_view.findings[0].action[:40] in pages[0]
    for number, text in enumerate(pages, 1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Northwind Traders" in text and "Confidential" in text
    text = "\f".join(pages)
    assert "How this was computed" not in text and "By sender IP" not in text  # appendices
    # Every column header of the plan, in full, on every page the plan runs over.
    plan_pages = [p for p in pages if "Evidence" in p and "Deadline" in p]
    assert plan_pages
    for page_text in plan_pages:
        header = next(line for line in page_text.splitlines() if "Evidence" in line)
        for title in (
            "#",
            "Priority",
            "Sender",
            "Device",
            "Path",
            "At risk",
            "Messages",
            "TLS",
            "Deadline",
        ):
            assert title in header


def test_full_printout_has_every_detail(browser, tmp_path, printed_view):
    full = replace(printed_view, meta=replace(printed_view.meta, print_mode="full"))
    pdf, pages = _printed(browser, tmp_path, full, "full")
    _, executive = _printed(browser, tmp_path, printed_view, "executive")
    assert len(pages) > len(executive)
    text = "\f".join(pages)
    assert "How this was computed" in text and "By sender IP" in text
    assert all(f"Page {n} of {len(pages)}" in p for n, p in enumerate(pages, 1))
    # The repeated header names every column (not only the one without a sort button).
    repeated = [p for p in pages[1:] if p.lstrip().startswith("#")]
    assert repeated
    for page_text in repeated:
        first = page_text.strip().splitlines()[0]
        assert "Priority" in first and "Deadline" in first and "TLS" in first
    # Pages rendered as pictures: the first page is the action list, not a blank one.
    import subprocess

    tool = shutil.which("pdftoppm")
    if tool:
        subprocess.run(
            [tool, "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
            check=True,
        )
        assert list(tmp_path.glob("page*.png"))
