"""What the report.html tests share: the sample tenant's view rendered reproducibly, the hostile
tenant, and a small HTML reader (the standard library's parser: no extra dependency)."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import o365tls
from o365tls.render import ReportOptions, view_of
from o365tls.render.view import ReportView

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = ROOT / "tests" / "data" / "hostile-tenant"
PAYLOAD = "<img src=x onerror=alert(1)></script>"
# Deadline arithmetic ("33 days away") depends on the day of the run: pin it.
TODAY = date(2026, 11, 28)
SAMPLE_OPTIONS = ReportOptions(client="Northwind Traders", author="Fabrikam Consulting")


def sample_view(options: ReportOptions = SAMPLE_OPTIONS) -> ReportView:
    """The sample tenant, loaded by a relative path so that the sources listed in the report
    read ``sample_reports/...`` on every machine."""
    with contextlib.chdir(ROOT):
        data = o365tls.gather(["sample_reports"])
        results = o365tls.analyze(data, o365tls.Options(today=TODAY))
        return view_of(results, options)


def hostile_view() -> ReportView:
    with contextlib.chdir(ROOT):
        data = o365tls.gather([str(HOSTILE.relative_to(ROOT))])
        results = o365tls.analyze(data, o365tls.Options(today=TODAY))
    return view_of(
        results,
        ReportOptions(title=f"Report {PAYLOAD}", client=f"Client {PAYLOAD}", author=PAYLOAD),
    )


_VOLATILE = re.compile(r'(<(\w+) data-volatile="([\w-]+)")[^>]*>[^<]*(</\2>)')


def scrub(html: str) -> str:
    """The rendered page without what changes from run to run: the elements the templates
    mark ``data-volatile`` (the generation time and the tool version) keep their tag and lose
    their content and other attributes, e.g. ``<time data-volatile="generated-at">[generated-at]
    </time>``. Everything else in the gold file must be reproducible."""
    return _VOLATILE.sub(lambda m: f"{m.group(1)}>[{m.group(3)}]{m.group(4)}", html)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]


class Page(HTMLParser):
    """Every start tag with its attributes, the text of <script> elements, and the text of
    the page outside scripts and styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.scripts: list[tuple[dict[str, str], str]] = []
        self.text: list[str] = []
        self._in = ""

    def handle_starttag(self, tag, attrs):
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append((element.attrs, ""))

    def handle_endtag(self, tag):
        if tag == self._in:
            self._in = ""

    def handle_data(self, data):
        if self._in == "script":
            attrs, text = self.scripts[-1]
            self.scripts[-1] = (attrs, text + data)
        elif not self._in:
            self.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        def matches(e: Element) -> bool:
            return (tag is None or e.tag == tag) and all(
                e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items()
            )

        return [e for e in self.elements if matches(e)]

    def classed(self, name: str, tag: str | None = None) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag) and name in e.attrs.get("class", "").split()
        ]


def parse(html: str) -> Page:
    page = Page()
    page.feed(html)
    page.close()
    return page
