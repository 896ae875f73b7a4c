"""Renderers: results -> files.

:func:`write_outputs` writes every output of ``analyze -o`` from one results object, through one
view-model (:mod:`.view`), atomically: either every file is replaced, or none is.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path

from ..analysis.results import Results
from ..errors import UsageError
from .brand import brand as parse_brand
from .csv_out import write_flows
from .json_out import write_findings
from .next_evidence import write_next_evidence
from .safety import staged_outputs
from .view import ReportView, TrendPoint, build_view

FINDINGS_JSON = "findings.json"
FLOWS_CSV = "flows.csv"
REPORT_HTML = "report.html"
REMEDIATION_XLSX = "remediation.xlsx"
NEXT_EVIDENCE_PS1 = "next-evidence.ps1"
OUTPUTS = (REPORT_HTML, REMEDIATION_XLSX, FINDINGS_JSON, FLOWS_CSV, NEXT_EVIDENCE_PS1)

_LOGO_TYPES = {"image/png", "image/jpeg", "image/gif", "image/svg+xml"}
MAX_LOGO_BYTES = 2 * 1024 * 1024
MAX_NOTES_BYTES = 512 * 1024
PRINT_MODES = ("executive", "full")


@dataclass(frozen=True)
class ReportOptions:
    """How the human-facing reports look (consultant options)."""

    title: str | None = None
    client: str = ""
    author: str = ""
    logo: str | Path | None = None
    template_dir: str | Path | None = None
    trend: tuple[TrendPoint, ...] = ()
    print_mode: str = "executive"  # PRINT_MODES
    classification: str = ""  # printed in every page's footer
    brand_color: str | None = None  # "#rrggbb"
    notes: str | Path | None = None  # a Markdown file of the consultant's commentary


def view_of(results: Results, options: ReportOptions | None = None) -> ReportView:
    options = options or ReportOptions()
    logo, mime = _logo(options.logo)
    if options.print_mode not in PRINT_MODES:
        raise UsageError(
            f"--print {options.print_mode!r}: not a printout",
            hint="--print takes executive or full",
        )
    return build_view(
        results,
        title=options.title,
        client=options.client,
        author=options.author,
        logo=logo,
        logo_mime=mime,
        redacted=results.redacted,
        trend=options.trend,
        print_mode=options.print_mode,
        classification=options.classification,
        brand=parse_brand(options.brand_color) if options.brand_color else None,
        commentary=_notes(options.notes),
    )


def write_outputs(
    results: Results, out_dir: str | Path, options: ReportOptions | None = None
) -> list[Path]:
    """Write report.html, remediation.xlsx, findings.json and flows.csv into ``out_dir``."""
    from .html import write_html  # jinja2 and openpyxl load only when reports are written
    from .xlsx import write_xlsx

    options = options or ReportOptions()
    view = view_of(results, options)
    with staged_outputs(out_dir) as stage:
        write_findings(results, stage / FINDINGS_JSON)
        write_flows(results, stage / FLOWS_CSV)
        write_next_evidence(results, stage / NEXT_EVIDENCE_PS1)
        write_html(view, stage / REPORT_HTML, options.template_dir)
        write_xlsx(view, stage / REMEDIATION_XLSX)
    return [Path(out_dir) / name for name in OUTPUTS]


def _logo(path: str | Path | None) -> tuple[bytes | None, str]:
    if path is None:
        return None, ""
    file = Path(path)
    mime = mimetypes.guess_type(file.name)[0] or ""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{file}: cannot read the logo ({exc.strerror or exc})",
            hint="--logo takes a PNG, JPEG, GIF or SVG file",
        ) from exc
    sniffed = _sniff_image(data)
    if sniffed is None or (mime and mime != sniffed and not (mime == "image/svg+xml")):
        raise UsageError(
            f"{file}: not a PNG, JPEG, GIF or SVG image",
            hint="--logo takes a PNG, JPEG, GIF or SVG file",
        )
    if len(data) > MAX_LOGO_BYTES:
        raise UsageError(
            f"{file}: logo larger than {MAX_LOGO_BYTES // 1024} KB", hint="use a smaller image"
        )
    return data, sniffed


def logo_warning(path: str | Path | None) -> str:
    """Why the workbook cannot show the logo ("" when it can); the logo is checked first."""
    data, mime = _logo(path)
    if mime == "image/svg+xml":
        return (
            f"warning: --logo {Path(str(path)).name}: report.html shows the SVG, the "
            "workbook cannot embed SVG and says so where the logo would be; pass a PNG "
            "or JPEG to have it in the workbook too"
        )
    return ""


def _notes(path: str | Path | None) -> str:
    if path is None:
        return ""
    file = Path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{file}: cannot read the notes ({exc.strerror or exc})",
            hint="--notes takes a Markdown file",
        ) from exc
    if len(data) > MAX_NOTES_BYTES:
        raise UsageError(
            f"{file}: notes larger than {MAX_NOTES_BYTES // 1024} KB",
            hint="--notes takes a Markdown file of commentary",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{file}: notes are not UTF-8 text", hint="save the Markdown file as UTF-8"
        ) from exc


def _sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    head = data[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in head):
        return "image/svg+xml"
    return None
