"""What goes in remediation.xlsx, declared once per sheet: plain data, no openpyxl.

Each data sheet is a tuple of :class:`Col` (header, getter, number format, width); the writer
(:mod:`.xlsx`) derives headers, formats, widths and the Excel table from it, so that a column is
added or renamed in exactly one place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..tls import TLS_VERSIONS
from .view import (
    GROUP_TITLES,
    NO_CONNECTOR_LABELS,
    SOURCES_LISTED,
    FindingView,
    ReportView,
    no_connector,
)

COUNT = "#,##0"
PCT = "0.0%"
PCT0 = "0%"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
GENERAL = "General"

# The Status column's drop-down list on the remediation plan.
STATUS_CHOICES = ("Not started", "In progress", "Waiting on vendor", "Fixed", "Accepted risk")
TLS_HEADERS = {"none": "No TLS", "unknown": "TLS unknown"}


class Col(NamedTuple):
    """One column of a data sheet."""

    header: str
    get: Callable[[Any], object]
    fmt: str = GENERAL
    width: int = 14  # the most the column gets; it is narrower when its content is
    wrap: bool = False
    least: int = 0  # the least it gets: fill-in columns are as wide as the values people type


def _lines(items: Sequence[str]) -> str:
    return "\n".join(items)


def _numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {step}" for i, step in enumerate(items, 1))


def _who(f: FindingView) -> str:
    """The flow, or for a root cause its host and the flows behind it, one per line."""
    if f.host:
        lines = [f.host + (f" ({f.host_version})" if f.host_version else "")]
        lines += [
            f"- {x.sender or 'senders not named'}, {x.hop}: {x.at_risk:,} at risk ({x.tls_summary})"
            for x in f.flows
        ]
        return "\n".join(lines)
    parts = [
        f.connector if f.connector not in NO_CONNECTOR_LABELS else "",
        f.sender_address or f.sender_ip,
        f.hostname,
    ]
    return " / ".join(p for p in parts if p) or f.connector


OWNER, STATUS, DUE, NOTES = "Owner", "Status", "Due date", "Notes"
PLAN_TITLE = "Remediation plan"
EXCEPTION = "Exception"

# The plan's first columns are what prints (see Sheet.print_columns): what to do, for which
# flow, how much, by when, and the four columns people fill in. The rest is for the screen.
REMEDIATION: tuple[Col, ...] = (
    Col("Rank", lambda f: f.rank, COUNT, 6),
    Col("Priority", lambda f: f.priority, width=10),
    Col("Recommended action", lambda f: f.action, width=40, wrap=True),
    Col("Flow", _who, width=36, wrap=True),
    Col("At risk", lambda f: f.at_risk, COUNT, 9),
    Col("Deadline", lambda f: f.deadline, DATE, 11),
    Col(OWNER, lambda f: f.plan_owner or None, width=24, least=24),
    Col(STATUS, lambda f: f.plan_status or None, width=20, least=20),
    Col(DUE, lambda f: f.plan_due, DATE, 13, least=13),
    Col(NOTES, lambda f: f.plan_notes or None, width=36, wrap=True, least=36),
    Col("Device type", lambda f: f.device_label, width=24),
    Col("Device name", lambda f: f.device_name, width=24),
    Col("Connector", lambda f: f.connector, width=32),
    Col("Direction", lambda f: f.direction, width=10),
    Col("Sender IP", lambda f: f.sender_ip, width=18),
    Col("Sender", lambda f: f.sender_address, width=38),
    Col("HELO / host", lambda f: f.hostname, width=30),
    Col("Path", lambda f: f.path_label, width=30),
    Col("TLS versions", lambda f: f.tls_summary, width=30),
    Col("Messages", lambda f: f.messages, COUNT, 10),
    Col("Legacy TLS", lambda f: f.legacy, COUNT, 10),
    Col("No TLS", lambda f: f.plaintext, COUNT, 10),
    Col("Steps", lambda f: _numbered(f.steps), width=80, wrap=True),
    Col("How to check the fix", lambda f: "\n".join(f.verify), width=60, wrap=True),
    Col("Evidence kind", lambda f: f.evidence, width=11),
    Col("Legacy likelihood", lambda f: f.likelihood, PCT0, 11),
    Col("Device confidence", lambda f: f.device_confidence, PCT0, 11),
    Col("Device evidence", lambda f: _lines(f.device_evidence), width=60, wrap=True),
    Col("Inventory owner", lambda f: f.owner, width=20),
    Col("Site", lambda f: f.site, width=16),
    Col("First seen", lambda f: f.first_seen, DATETIME, 16),
    Col("Last seen", lambda f: f.last_seen, DATETIME, 16),
    Col("Since last run", lambda f: f.status, width=12),
    Col("Why this status", lambda f: f.status_reason, width=40, wrap=True),
    Col("First reported", lambda f: f.first_reported, DATE, 11),
    Col("Open days", lambda f: f.open_days, COUNT, 8),
    Col("Accepted", lambda f: f.accepted, width=10),
    Col(EXCEPTION, lambda f: f.exception_state, width=22),
    Col("Exception reason", lambda f: f.exception_reason, width=40, wrap=True),
    Col("Finding ID", lambda f: f.id, width=16),
)
PLAN_PRINTED = 10  # Rank .. Notes
# A hidden sheet of the plan values each row was written with: reading the workbook back, a
# value that differs from it was typed by someone (see o365tls.plan.merge).
PLAN_BASELINE = "Plan as written"
PLAN_ID = "Finding ID"

RESOLVED: tuple[Col, ...] = (
    Col("Finding ID", lambda f: f.id, width=16),
    Col("Device type", lambda f: f.device_label, width=24),
    Col("Connector", lambda f: f.connector, width=32),
    Col("Direction", lambda f: f.direction, width=10),
    Col("Sender IP", lambda f: f.sender_ip, width=18),
    Col("Sender", lambda f: f.sender_address, width=38),
    Col("HELO / host", lambda f: f.hostname, width=30),
    Col("Path", lambda f: f.path_label, width=30),
    Col("Last seen", lambda f: f.last_seen, DATETIME, 16),
    Col("Why resolved", lambda f: f.status_reason, width=50, wrap=True),
)

GROUP_KEYS: dict[str, tuple[Col, ...]] = {
    "by_connector": (
        Col(
            "Connector",
            lambda g: g.keys.get("connector") or no_connector(g.keys.get("direction", "")),
            width=36,
        ),
        Col("Direction", lambda g: g.keys.get("direction", ""), width=10),
    ),
    "by_sender_ip": (Col("Sender IP", lambda g: g.label, width=20),),
    "by_device_type": (
        Col("Device type", lambda g: g.label, width=26),
        Col("Type code", lambda g: g.keys.get("device_type", ""), width=20),
    ),
    "by_sender_address": (Col("Sender", lambda g: g.label, width=40),),
}


def _tls_count(version: str) -> Callable[[Any], object]:
    """A group's messages of one TLS version."""
    return lambda g: g.by_tls.get(version, 0)


_GROUP_COUNTS: tuple[Col, ...] = (
    Col("Messages", lambda g: g.messages, COUNT, 11),
    *(Col(TLS_HEADERS.get(v, v), _tls_count(v), COUNT, 10) for v in TLS_VERSIONS),
    Col("Legacy TLS", lambda g: g.legacy, COUNT, 10),
    Col("At risk", lambda g: g.at_risk, COUNT, 10),
    Col("At-risk share", lambda g: g.at_risk_share, PCT, 9),
    Col("Findings", lambda g: g.findings, COUNT, 9),
    Col("First seen", lambda g: g.first_seen, DATETIME, 16),
    Col("Last seen", lambda g: g.last_seen, DATETIME, 16),
)

# Evidence is one row per statement ("which file said what"), so that a filter on a finding
# shows its whole case and each PowerShell line can be copied from its own cell.
EVIDENCE: tuple[Col, ...] = (
    Col("Rank", lambda e: e[0].rank, COUNT, 6),
    Col("Finding ID", lambda e: e[0].id, width=16),
    Col("Priority", lambda e: e[0].priority, width=10),
    Col("Flow", lambda e: _who(e[0]), width=40),
    Col("Kind", lambda e: e[1], width=18),
    Col("Detail", lambda e: e[2], width=110, wrap=True),
)

ATTRIBUTION: tuple[Col, ...] = (
    Col("Connector", lambda a: a.connector, width=36),
    Col("Direction", lambda a: a.direction, width=10),
    Col("Sender", lambda a: a.sender, width=38),
    Col("Verdict", lambda a: a.verdict, width=14),
    Col("Estimated at-risk share", lambda a: a.estimate, PCT, 11),
    Col("Estimated at-risk share at the end", lambda a: a.at_end, PCT, 11),
    Col("Lowest at the end", lambda a: a.low, PCT, 9),
    Col("Highest at the end", lambda a: a.high, PCT, 9),
    Col("Fixed around", lambda a: a.fixed_on, width=12),
    Col("Messages", lambda a: a.messages, COUNT, 10),
    Col("Why", lambda a: a.why, width=90, wrap=True),
)

DATA_QUALITY: tuple[Col, ...] = (
    Col("File", lambda i: i.file, width=60),
    Col("Format", lambda i: i.format, width=24),
    Col("Code", lambda i: i.code, width=24),
    Col("Row", lambda i: i.row, COUNT, 9),
    Col("Message", lambda i: i.message, width=90, wrap=True),
    Col("Rejected", lambda i: i.rejected, width=10),
)

SOURCES: tuple[Col, ...] = (
    Col("File", lambda s: s.path, width=60),
    Col("Format", lambda s: s.format, width=24),
    Col("Encoding", lambda s: s.encoding, width=14),
    Col("Rows read", lambda s: s.rows_read, COUNT, 11),
    Col("Rows used", lambda s: s.rows_used, COUNT, 11),
    Col("Rows rejected", lambda s: s.rows_rejected, COUNT, 11),
    Col("Records", lambda s: s.records, COUNT, 11),
    Col("Period", lambda s: s.period, width=26),
    Col("Issues", lambda s: s.issues, COUNT, 9),
)


class Sheet(NamedTuple):
    """One data sheet: an Excel table of ``rows(view)`` in ``columns``."""

    title: str
    table: str  # the Excel table's name (letters only, unique in the workbook)
    columns: tuple[Col, ...]
    rows: Callable[[ReportView], Sequence[Any]]
    freeze: str  # the first cell that scrolls: the header row and the key columns stay
    purpose: str  # one line for the Summary's list of sheets
    optional: bool = False  # left out when it has no rows
    print_columns: int = 0  # the first N columns print; 0: all of them


def _group_sheet(name: str, table: str, per: str) -> Sheet:
    keys = GROUP_KEYS[name]
    return Sheet(
        GROUP_TITLES[name],
        table,
        (*keys, *_GROUP_COUNTS),
        lambda v: v.groups.get(name, ()),
        f"{chr(ord('A') + len(keys))}2",
        f"messages per TLS version, per {per}, most at-risk first",
    )


# In workbook order, after the Summary.
SHEETS: tuple[Sheet, ...] = (
    Sheet(
        PLAN_TITLE,
        "Remediation",
        REMEDIATION,
        lambda v: v.plan_rows,
        "C2",
        "one row per at-risk flow, highest priority first, then the unverified ones; fill in "
        "Owner, Status, Due date and Notes",
        print_columns=PLAN_PRINTED,
    ),
    Sheet(
        "Resolved",
        "Resolved",
        RESOLVED,
        lambda v: v.resolved,
        "B2",
        "flows at risk in the previous snapshot that no longer are",
        optional=True,
    ),
    _group_sheet("by_connector", "ByConnector", "connector and direction"),
    _group_sheet("by_sender_ip", "BySenderIP", "sender IP"),
    _group_sheet("by_device_type", "ByDeviceType", "device type"),
    _group_sheet("by_sender_address", "BySender", "sender address"),
    Sheet(
        "Evidence",
        "Evidence",
        EVIDENCE,
        lambda v: evidence_rows(v.findings),
        "E2",
        "why each finding is what it is: files, device evidence, PowerShell, references",
    ),
    Sheet(
        "Attribution",
        "Attribution",
        ATTRIBUTION,
        lambda v: v.attribution,
        "D2",
        "how connector-level TLS counts were attributed to senders",
    ),
    Sheet(
        "Data quality",
        "DataQuality",
        DATA_QUALITY,
        lambda v: v.issues,
        "B2",
        "every problem found in the input files, row by row",
    ),
    Sheet(
        "Sources",
        "Sources",
        SOURCES,
        lambda v: v.inputs,
        "B2",
        "the files read, their formats and row accounting",
    ),
)
CHART_DATA = "Chart data"


def _source_rows(sources: Sequence[str]) -> list[tuple[str, str]]:
    rows = [("Source file", s) for s in sources[:SOURCES_LISTED]]
    if len(sources) > SOURCES_LISTED:
        rows.append(
            (
                "Source file",
                f"... and {len(sources) - SOURCES_LISTED} more files (all "
                "in findings.json; every file read is on the Sources "
                "sheet)",
            )
        )
    return rows


def evidence_rows(findings: Sequence[FindingView]) -> list[tuple[FindingView, str, str]]:
    rows: list[tuple[FindingView, str, str]] = []
    for f in findings:
        statements = [
            *_source_rows(list(f.sources)),
            ("Root cause", f.summary),
            *(
                (
                    "Flow behind it",
                    f"{x.sender or 'senders not named'}, {x.hop}: {x.at_risk:,} "
                    f"of {x.messages:,} at risk ({x.tls_summary}); {x.device}",
                )
                for x in f.flows
            ),
            (
                "Evidence kind",
                f"{f.evidence}: legacy or no TLS for about {f.likelihood:.0%} of its messages",
            ),
            *(("Device evidence", e) for e in f.device_evidence),
            *(("Server probe", p) for p in f.probes),
            ("Attribution", f.attribution_why),
            *(("Priority reason", p) for p in f.priority_reasons),
            ("Connector forces TLS", {True: "yes", False: "no", None: ""}[f.forced_tls]),
            (
                "Reject Direct Send",
                "this flow breaks when Reject Direct Send is turned on"
                if f.breaks_with_reject_direct_send
                else "",
            ),
            ("Deadline", f.deadline_note),
            ("What you will see", f.what_you_will_see),
            ("Stop-gap", f.stopgap),
            *(("PowerShell", p) for p in f.powershell),
            *(("How to check the fix", v) for v in f.verify),
            ("Draft message to send them", f.draft_message),
            *(
                (("Reference", f"{r.title}: {r.url}") for r in f.links)
                if f.links
                else (("Reference", r) for r in f.references)
            ),
            ("Accepted risk", f.exception_reason if f.accepted else ""),
            (
                "Expired exception",
                f"{f.exception_state}: {f.exception_reason}; the finding counts again"
                if f.exception_expired
                else "",
            ),
        ]
        rows.extend((f, kind, text) for kind, text in statements if text)
    return rows


def image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) of a PNG, GIF or JPEG from its header; None for anything else."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        return "png", int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return "gif", int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 9 <= len(data) and data[i] == 0xFF:
            marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
                height = int.from_bytes(data[i + 5 : i + 7], "big")
                width = int.from_bytes(data[i + 7 : i + 9], "big")
                return ("jpeg", width, height) if width and height else None
            if length < 2:
                return None
            i += 2 + length
    return None
