"""report.html: one self-contained page rendered with Jinja from the view-model.

Templates live in the top-level ``templates/`` folder, shipped in the wheel as the
``o365tls.templates`` package. ``--template-dir`` puts a folder of the user's in front of them
(a :class:`jinja2.ChoiceLoader`): a file there with the same name replaces the built-in one,
and a template there can ``{% extends "default:report.html.j2" %}`` to change only some blocks.
Autoescape is on and undefined names are errors, so a template can neither inject input text
as markup nor silently print nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import pickle
from datetime import date, datetime
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from ..errors import UsageError
from . import charts
from .view import SOURCES_LISTED, ReportView

TEMPLATE = "report.html.j2"


def builtin_templates() -> Path:
    """The folder of the built-in templates: the installed package, or the source tree's
    top-level templates/ when running from a checkout."""
    try:
        folder = Path(str(resources.files("o365tls.templates")))
        if (folder / TEMPLATE).exists():
            return folder
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "templates"


def environment(template_dir: str | Path | None = None) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(builtin_templates()))
    loaders: list[jinja2.BaseLoader] = []
    if template_dir is not None:
        folder = Path(template_dir)
        if not folder.is_dir():
            raise UsageError(
                f"{folder}: no such template folder",
                hint="--template-dir takes a folder of .j2 templates",
            )
        loaders.append(jinja2.FileSystemLoader(str(folder)))
    loaders.append(builtin)
    # "default:report.html.j2" always names the built-in, even when a user's file shadows it.
    prefixed = jinja2.PrefixLoader({"default": builtin}, delimiter=":")
    loader = jinja2.ChoiceLoader([*loaders, prefixed])
    # auto_reload off: each template is loaded and compiled once per environment, not checked
    # against its file again at every include (one include per finding). The compiled code is
    # kept between runs (keyed by the template's source, so an edited template compiles anew).
    env = jinja2.Environment(
        loader=loader,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters["num"] = lambda n: f"{int(n):,}"
    env.filters["pct"] = lambda x, digits=1: f"{float(x) * 100:.{digits}f}%"
    env.filters["isodate"] = _isodate
    env.filters["tojson_safe"] = tojson_safe
    # Chart geometry (pure functions in charts.py); the _charts.j2 macros draw the SVG.
    env.filters["tls_by_day_chart"] = charts.tls_by_day
    env.filters["at_risk_bar_chart"] = charts.at_risk_bars
    env.filters["trend_chart"] = charts.trend_by_week
    env.filters["mix_bar"] = charts.mix_bar
    env.filters["csp_hash"] = csp_hash
    env.filters["tls_class"] = charts.css_class
    env.filters["tls_label"] = lambda v: charts.TLS_LABELS.get(v, v)
    env.filters["markdown_safe"] = markdown_safe
    env.filters["css_string"] = css_string
    env.globals["SOURCES_LISTED"] = SOURCES_LISTED
    return env


def markdown_safe(text: str) -> Markup:
    """The consultant's Markdown as HTML: headings, paragraphs, lists, emphasis, code, quotes
    and links to http(s) addresses. Raw HTML in it is shown as text and images are left out
    (a reader's page loads nothing); a link to any other scheme stays text."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")
    # markdown-it's documented hook for which links it makes: replaced on this instance.
    md.validateLink = lambda url: (  # type: ignore[method-assign]
        url.strip().lower().startswith(("https://", "http://"))
    )
    # Headings start at level 3: the notes sit in a section whose own title is an h2.
    tokens = md.parse(str(text))
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(6, int(token.tag[1]) + 2)}"
        if token.type == "inline":
            for child in token.children or ():
                if child.type == "link_open":
                    child.attrSet("rel", "noopener noreferrer")
    return Markup(md.renderer.render(tokens, md.options, {}))


def css_string(value) -> Markup:
    """Text as a quoted CSS string: everything but letters, digits and spaces as a hex escape
    (ended by the one space CSS consumes), so that no input text can end the string, the rule
    or the style element."""
    out = []
    for ch in str(value):
        out.append(ch if ch.isascii() and (ch.isalnum() or ch == " ") else f"\\{ord(ch):x} ")
    return Markup('"' + "".join(out) + '"')


class _QuietBytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's cache of compiled templates in the user's own temporary folder; a cache that
    cannot be read or written costs a compilation, never the report."""

    def load_bytecode(self, bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (OSError, ValueError, EOFError, pickle.UnpicklingError):
            bucket.reset()

    def dump_bytecode(self, bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    try:
        return _QuietBytecodeCache()
    except (OSError, RuntimeError):  # no private temporary folder to be had
        return None


def _isodate(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def tojson_safe(value) -> Markup:
    """JSON for a ``<script type="application/json">`` block: ``<``, ``>`` and ``&`` escaped
    so that input text can never close the script element."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return Markup(text)


def csp_hash(text: str) -> str:
    """The Content-Security-Policy source that allows exactly this inline script or style
    (``'sha256-...'``): the page then runs its own script and nothing that input text could
    smuggle in, not even an inline event handler."""
    digest = hashlib.sha256(str(text).encode("utf-8")).digest()
    return Markup(f"'sha256-{base64.b64encode(digest).decode()}'")


def render_html(view: ReportView, template_dir: str | Path | None = None) -> str:
    env = environment(template_dir)
    try:
        template = env.get_template(TEMPLATE)
        return template.render(report=view)
    except jinja2.TemplateError as exc:
        name, line = _where(exc)
        where = f" (line {line})" if line else ""
        raise UsageError(
            f"template {name}{where}: {exc.message}", hint="fix the template or drop --template-dir"
        ) from exc


def _where(exc: jinja2.TemplateError) -> tuple[str, int | None]:
    """The template file and line an error points at. Syntax errors carry them; errors while
    rendering (an undefined name) only show in the traceback, where Jinja puts frames that
    stand for template lines (marked by ``__jinja_exception__`` in their globals)."""
    name = getattr(exc, "filename", None) or getattr(exc, "name", None)
    line = getattr(exc, "lineno", None)
    if name and line:
        return name, line
    tb = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:
            name, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
        tb = tb.tb_next
    return name or TEMPLATE, line


def write_html(view: ReportView, path: Path, template_dir: str | Path | None = None) -> None:
    path.write_text(render_html(view, template_dir), encoding="utf-8")
