"""The view-model between results and templates: documented fields only.

Templates (HTML) and the workbook writer receive a :class:`ReportView` and nothing else. Every
field below is plain data (str, int, float, bool, date, datetime, tuples of those, or the small
view dataclasses), already sorted and labelled, so that templates hold no logic beyond layout.
Text that came from the inputs is *not* escaped here: Jinja autoescapes it for HTML, and the
workbook writer neutralizes formulas. Redaction (``--redact``) happens before this, on the
results themselves, so every output sees the same pseudonyms.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeVar

import pandas as pd

from ..analysis.coverage import Gap
from ..analysis.model import PRIORITIES
from ..analysis.results import (
    Acceptance,
    AttributionRow,
    Finding,
    PlanValues,
    Results,
    Rollup,
)
from ..inputs.scopes import is_on_prem
from ..tls import TLS_VERSIONS
from ..trend import TrendPoint
from .brand import Brand

_T = TypeVar("_T")

PATH_LABELS = {
    # Microsoft's names for the three ways a device sends through Exchange Online ("How to set
    # up a multifunction device or application to send email using Microsoft 365").
    "client-submission": "SMTP AUTH client submission",
    "connector-relay": "SMTP relay",
    "direct-send": "Direct Send",
    "internet": "Internet / partner",
    "on-prem": "On-premises Exchange",
}
DEVICE_LABELS = {
    "mfp": "Printer / scanner / MFP",
    "erp": "ERP / finance system",
    "application": "Application / appliance",
    "mail-server": "Mail server",
    "third-party-service": "Third-party service",
    "partner-mta": "Partner mail server",
    "user-client": "User mail client",
    "unknown": "Unknown",
}
GROUP_TITLES = {
    "by_connector": "By connector",
    "by_sender_ip": "By sender IP",
    "by_device_type": "By device type",
    "by_sender_address": "By sender",
}
NO_CONNECTOR = "(no connector)"  # direction unknown
#: The Exchange admin center's names for mail that matched no connector, by direction.
NO_CONNECTOR_BY_DIRECTION = {
    "inbound": "From the internet without a connector",
    "outbound": "To the internet without a connector",
}
NO_CONNECTOR_LABELS = frozenset({NO_CONNECTOR, *NO_CONNECTOR_BY_DIRECTION.values()})


def no_connector(direction: str) -> str:
    """The display name of mail that matched no connector (findings.json keeps "")."""
    return NO_CONNECTOR_BY_DIRECTION.get(direction, NO_CONNECTOR)


SUBMISSION = "(SMTP AUTH submission)"
UNKNOWN = "(unknown)"
#: Source files listed per finding in the report and the workbook; the rest are counted (a
#: flow seen in a week of hourly protocol logs has hundreds). findings.json keeps them all and
#: every file read is listed with its row accounting.
SOURCES_LISTED = 10


@dataclass(frozen=True)
class Meta:
    """Who the report is for and by whom (consultant options)."""

    title: str
    client: str
    author: str
    generated_at: datetime
    tool_version: str
    period_start: date | None
    period_end: date | None
    redacted: bool = False
    logo_bytes: bytes | None = None  # the logo file's bytes, for the workbook
    logo_mime: str = ""  # image/png, image/jpeg, image/svg+xml
    print_mode: str = "executive"  # what paper gets: "executive" (no appendices) or "full"
    classification: str = ""  # "Confidential": printed on every page's footer
    brand: Brand | None = None  # --brand-color, with its readable text colour
    commentary: str = ""  # the consultant's notes, Markdown (rendered without raw HTML)

    @property
    def logo_data_uri(self) -> str | None:
        """The logo inlined for the self-contained HTML (never a network fetch)."""
        if not self.logo_bytes:
            return None
        return f"data:{self.logo_mime};base64,{base64.b64encode(self.logo_bytes).decode()}"

    @property
    def period_label(self) -> str:
        if not self.period_start:
            return "no dated records"
        return f"{self.period_start:%Y-%m-%d} to {self.period_end:%Y-%m-%d}"


@dataclass(frozen=True)
class Headline:
    messages: int
    at_risk: int
    legacy: int
    plaintext: int
    findings: int
    accepted: int
    by_priority: dict[str, int]  # critical/high/medium/low -> findings
    connectors_at_risk: int
    connectors: int
    sender_ips_at_risk: int
    devices_at_risk: int  # findings whose device type is known (not "unknown")
    expired_exceptions: int = 0  # findings whose exception has expired

    @property
    def at_risk_share(self) -> float:
        return self.at_risk / self.messages if self.messages else 0.0


@dataclass(frozen=True)
class Deadline:
    date: date | None
    title: str  # the remediation titles it applies to, joined
    note: str
    findings: int
    when: str = ""  # the deadline as people say it (for deadlines without a date)


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class FlowLine:
    """One flow behind a root cause, as the remediation plan lists it."""

    id: str
    hop: str  # "into Exchange Online on 'Scanner Relay'", "on-premises send 'Outbound to ...'"
    sender: str  # address, else HELO name or IP, else ""
    device: str  # device label, with the Message-ID device names where they are known
    messages: int
    at_risk: int
    tls_summary: str


@dataclass(frozen=True)
class FindingView:
    """One row of the remediation plan."""

    rank: int
    id: str
    priority: str
    priority_reasons: tuple[str, ...]
    device_type: str
    device_label: str
    device_name: str
    device_confidence: float
    device_evidence: tuple[str, ...]
    owner: str
    site: str
    connector: str  # display text: NO_CONNECTOR when empty
    direction: str
    sender_ip: str
    sender_address: str
    hostname: str
    path: str
    path_label: str
    tls_summary: str  # "TLS1.0 614, none 3"
    by_tls: dict[str, int]
    messages: int
    legacy: int
    plaintext: int
    at_risk: int
    evidence: str  # observed / attributed
    likelihood: float
    attribution_why: str
    remediation_id: str
    action: str  # the remediation title
    steps: tuple[str, ...]
    powershell: tuple[str, ...]
    references: tuple[str, ...]
    stopgap: str
    what_you_will_see: str
    deadline: date | None
    deadline_note: str
    first_seen: datetime | None
    last_seen: datetime | None
    accepted: bool
    exception_reason: str
    status: str  # new / open / regressed / resolved / unverified, "" without history
    breaks_with_reject_direct_send: bool
    forced_tls: bool | None
    sources: tuple[str, ...]
    first_reported: date | None = None  # with history: first snapshot that reported it
    open_days: int | None = None  # with history: days it has been open
    verify: tuple[str, ...] = ()  # how to check that the fix worked
    links: tuple[Link, ...] = ()  # the guidance's public sources
    draft_message: str = ""  # a message to send the other organization
    deadline_when: str = ""  # the deadline as people say it, also when it has no date
    checked: date | None = None  # when the guidance was last checked against its sources
    probes: tuple[str, ...] = ()  # one line per probe of its server (``o365tls probe``)
    # What people typed into an earlier workbook (--plan, --history): Due date is a date when
    # it was typed as one, else the text as typed.
    plan_owner: str = ""
    plan_status: str = ""
    plan_due: date | str | None = None
    plan_notes: str = ""
    status_reason: str = ""  # why it has its status (with history)
    exception_expired: bool = False  # an exception matched it, but has expired
    exception_expires: date | None = None
    # A root cause: the host that negotiates the hop, one sentence, and the flows behind it.
    host: str = ""  # "EXCH01 (198.51.100.30, mail.northwindtraders.example)"
    host_version: str = ""  # "Exchange Server 2010, out of support since October 2020"
    host_supported: bool | None = None
    summary: str = ""
    flows: tuple[FlowLine, ...] = ()  # empty for a finding that is one flow
    client_ips: str = ""  # SMTP AUTH: "203.0.113.200 (39)"

    @property
    def exception_state(self) -> str:
        """The exception that matches, as people read it ("" when none does)."""
        if self.exception_expires is None:
            return ""
        if self.exception_expired:
            return f"expired {self.exception_expires:%Y-%m-%d}"
        return f"accepted until {self.exception_expires:%Y-%m-%d}"

    @property
    def sender(self) -> str:
        """Who sent the finding's mail, as far as the evidence reaches ("" when it names
        nobody)."""
        return self.sender_address or self.hostname or self.sender_ip

    @property
    def unidentified(self) -> str:
        """What stands in for :attr:`sender` when the evidence names nobody: outbound mail is
        about its recipients, so its sender does not matter."""
        if self.direction == "outbound":
            return "outbound mail, recipient domains not identified"
        return "sender not identified"


@dataclass(frozen=True)
class GroupView:
    label: str  # the key as people read it
    keys: dict[str, str]
    messages: int
    by_tls: dict[str, int]
    legacy: int
    plaintext: int
    at_risk: int
    findings: int
    first_seen: datetime | None
    last_seen: datetime | None

    @property
    def at_risk_share(self) -> float:
        return self.at_risk / self.messages if self.messages else 0.0


@dataclass(frozen=True)
class DayView:
    day: date
    by_tls: dict[str, int]
    messages: int
    at_risk: int


@dataclass(frozen=True)
class IssueView:
    file: str
    format: str
    code: str
    row: int | None
    message: str
    rejected: bool


@dataclass(frozen=True)
class InputView:
    path: str
    format: str
    encoding: str
    rows_read: int
    rows_used: int
    rows_rejected: int
    records: int
    period: str
    issues: int


@dataclass(frozen=True)
class AttributionView:
    connector: str
    direction: str
    sender: str
    verdict: str
    estimate: float | None
    low: float | None
    high: float | None
    messages: int
    why: str
    at_end: float | None = None  # estimated at-risk share in the period's last week
    fixed_on: str = ""  # first day of the week its at-risk share fell and stayed down


@dataclass(frozen=True)
class DeadlineWeeks:
    """One dated deadline on the weekly screen: at-risk messages of its findings, per week."""

    date: date
    title: str  # the submission paths it applies to
    note: str
    # (ISO week, at-risk messages, left out as counted in an earlier week), oldest first
    weeks: tuple[tuple[str, int, int], ...]
    days_left: int | None  # from the end of this run's period; negative once it has passed


@dataclass(frozen=True)
class Weekly:
    """The first screen of a weekly review (with history): what changed since last week."""

    week: str
    new: int
    regressed: int
    open: int
    resolved: int
    unverified: int
    expired_exceptions: int
    deadlines: tuple[DeadlineWeeks, ...]


@dataclass(frozen=True)
class ReportView:
    meta: Meta
    headline: Headline
    verdict: str  # one plain-language paragraph
    deadlines: tuple[Deadline, ...]
    findings: tuple[FindingView, ...]  # at-risk flows, highest priority first
    groups: dict[str, tuple[GroupView, ...]]  # GROUP_TITLES keys, at-risk first
    group_titles: dict[str, str]
    daily: tuple[DayView, ...]
    inputs: tuple[InputView, ...]
    issues: tuple[IssueView, ...]
    notes: tuple[str, ...]
    attribution: tuple[AttributionView, ...]
    tls_versions: tuple[str, ...] = TLS_VERSIONS
    priorities: tuple[str, ...] = PRIORITIES
    trend: tuple[TrendPoint, ...] = ()
    resolved: tuple[FindingView, ...] = ()
    unverified: tuple[FindingView, ...] = ()  # at risk before, no evidence now: still open
    weekly: Weekly | None = None  # with history
    extra: dict = field(default_factory=dict)
    knowledge_checked: date | None = None  # newest check of the guidance the findings use
    gaps: tuple[Gap, ...] = ()  # exports missing or covering little, and what each would add
    actions_listed: int = 10  # root causes the first screen lists; the plan has them all

    @property
    def plan_rows(self) -> tuple[FindingView, ...]:
        """The remediation plan's rows: the findings, then the unverified ones (still open)."""
        return self.findings + self.unverified


def build_view(
    results: Results,
    *,
    title: str | None = None,
    client: str = "",
    author: str = "",
    logo: bytes | None = None,
    logo_mime: str = "",
    redacted: bool = False,
    trend: tuple[TrendPoint, ...] = (),
    print_mode: str = "executive",
    classification: str = "",
    brand: Brand | None = None,
    commentary: str = "",
) -> ReportView:
    """The one view of ``results`` that the HTML report and the workbook render."""
    start, end = results.period
    meta = Meta(
        title=title or (f"Legacy TLS report: {client}" if client else "Legacy TLS report"),
        client=client,
        author=author,
        generated_at=_known(_dt(results.generated_at)),
        tool_version=results.tool_version,
        period_start=_day(start),
        period_end=_day(end),
        redacted=redacted,
        logo_bytes=logo,
        logo_mime=logo_mime,
        print_mode=print_mode,
        classification=classification,
        brand=brand,
        commentary=commentary,
    )
    findings = tuple(_finding(f, i + 1) for i, f in enumerate(results.findings))
    groups = {
        name: tuple(_group(name, g) for g in results.groups.get(name, ())) for name in GROUP_TITLES
    }
    headline = _headline(results, findings, groups)
    deadlines = _deadlines(findings)
    return ReportView(
        meta=meta,
        headline=headline,
        verdict=_verdict(headline, findings),
        deadlines=deadlines,
        weekly=_weekly(results, findings, deadlines, trend, meta) if trend else None,
        findings=findings,
        groups=groups,
        group_titles=dict(GROUP_TITLES),
        daily=tuple(
            DayView(_known(_day(day)), c.as_dict(), c.messages, c.at_risk)
            for day, c in results.daily
        ),
        inputs=tuple(_input(r) for r in results.inputs),
        issues=tuple(
            IssueView(r.path, r.format or "", i.code, i.row, i.message, i.rejected)
            for r in results.inputs
            for i in r.issues
        ),
        notes=tuple(results.notes),
        attribution=tuple(_attribution(a) for a in results.attribution),
        trend=trend,
        resolved=tuple(_finding(f, i + 1) for i, f in enumerate(results.resolved)),
        knowledge_checked=max((f.checked for f in findings if f.checked), default=None),
        gaps=tuple(results.gaps),
        unverified=tuple(
            _finding(f, len(findings) + i + 1) for i, f in enumerate(results.unverified)
        ),
    )


def _weekly(
    results: Results,
    findings: tuple[FindingView, ...],
    deadlines: tuple[Deadline, ...],
    trend: tuple[TrendPoint, ...],
    meta: Meta,
) -> Weekly:
    statuses = [f.status for f in findings]
    rows = []
    for d in deadlines:
        if d.date is None:
            continue
        key = d.date.isoformat()
        counts = [{d: (n, left) for d, n, left in t.by_deadline}.get(key, (0, 0)) for t in trend]
        weeks = tuple((t.label, n, left) for t, (n, left) in zip(trend, counts, strict=True))
        left = (d.date - meta.period_end).days if meta.period_end else None
        rows.append(DeadlineWeeks(d.date, d.title, d.note, weeks, left))
    return Weekly(
        week=trend[-1].label if trend else "",
        new=statuses.count("new"),
        regressed=statuses.count("regressed"),
        open=statuses.count("open"),
        resolved=len(results.resolved),
        unverified=len(results.unverified),
        expired_exceptions=sum(1 for f in findings if f.exception_expired)
        + sum(1 for f in results.unverified if f.exception is not None and f.exception.expired),
        deadlines=tuple(rows),
    )


def _dt(value) -> datetime | None:
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    ts = value if isinstance(value, pd.Timestamp) else pd.Timestamp(value)
    if ts.tzinfo is not None and ts.utcoffset():
        ts = ts.tz_convert("UTC")
    # Extended reports write 100 ns ticks; a datetime holds microseconds: the nanoseconds are
    # dropped (pandas would warn on every such time). Built from the fields, in UTC, naive.
    return datetime(ts.year, ts.month, ts.day, ts.hour, ts.minute, ts.second, ts.microsecond)


def _day(value) -> date | None:
    stamp = _dt(value)
    return stamp.date() if stamp else None


def _known(value: _T | None) -> _T:
    """``value``, which the results always carry (a run's time, a day of its daily counts)."""
    assert value is not None
    return value


def tls_summary(by_tls: dict[str, int]) -> str:
    return ", ".join(f"{v} {by_tls[v]}" for v in TLS_VERSIONS if by_tls.get(v))


def _finding(f: Finding, rank: int) -> FindingView:
    flow, rem, device = f.flow, f.remediation, f.device
    by_tls = flow.tls.as_dict()
    deadline = date.fromisoformat(rem.deadline) if rem and rem.deadline else None
    return FindingView(
        rank=rank,
        id=f.id,
        priority=f.priority or "",
        priority_reasons=f.priority_reasons,
        device_type=device.device_type,
        device_label=DEVICE_LABELS.get(device.device_type, device.device_type),
        device_name=device.name,
        device_confidence=round(device.confidence, 2),
        device_evidence=tuple(device.evidence),
        owner=device.owner,
        site=device.site,
        connector=flow.connector
        or (SUBMISSION if flow.scope == "exo-submission" else no_connector(flow.direction)),
        direction=flow.direction,
        sender_ip=flow.sender_ip,
        sender_address=flow.sender_address,
        hostname=flow.hostname,
        path=f.path,
        path_label=PATH_LABELS.get(f.path, f.path),
        tls_summary=tls_summary(by_tls),
        by_tls=by_tls,
        messages=flow.tls.messages,
        legacy=flow.tls.legacy,
        plaintext=flow.tls.plaintext,
        at_risk=flow.tls.at_risk,
        evidence=flow.evidence,
        likelihood=round(flow.legacy_likelihood, 3),
        attribution_why=flow.attribution.why if flow.attribution else "",
        remediation_id=rem.id if rem else "",
        action=rem.title if rem else "",
        steps=rem.steps if rem else (),
        powershell=rem.powershell if rem else (),
        references=rem.references if rem else (),
        stopgap=rem.stopgap if rem else "",
        what_you_will_see=rem.what_you_will_see if rem else "",
        deadline=deadline,
        deadline_note=rem.deadline_note if rem else "",
        first_seen=_dt(flow.first_seen),
        last_seen=_dt(flow.last_seen),
        accepted=f.accepted,
        exception_reason=f.exception.reason if f.exception else "",
        status=f.status or "",
        status_reason=f.status_reason or "",
        breaks_with_reject_direct_send=f.breaks_with_reject_direct_send,
        forced_tls=flow.forced_tls,
        sources=tuple(flow.sources),
        first_reported=_day(f.history.first_reported) if f.history else None,
        open_days=f.history.open_days if f.history else None,
        verify=rem.verify if rem else (),
        links=tuple(Link(t, u) for t, u in rem.links) if rem else (),
        draft_message=rem.draft_message if rem else "",
        deadline_when=rem.deadline_when if rem else "",
        checked=date.fromisoformat(rem.checked) if rem and rem.checked else None,
        probes=tuple(p.summary() for p in f.probes),
        exception_expired=bool(f.exception and f.exception.expired),
        exception_expires=_expiry(f.exception),
        **_plan(f.plan),
        **_host(f),
    )


def _host(f: Finding) -> dict:
    """The FindingView fields of a root cause (its host and flows) and of SMTP AUTH clients."""
    out: dict = {"client_ips": ", ".join(f"{ip} ({n})" for ip, n in f.flow.client_ips)}
    host = f.host
    if host is None:
        return out
    version = ", ".join(x for x in (host.version, host.support) if x)
    out.update(
        host=host.label,
        host_version=version,
        host_supported=host.supported,
        summary=f.summary,
        flows=tuple(_flow_line(m) for m in f.members),
    )
    return out


def _flow_line(m: Finding) -> FlowLine:
    flow = m.flow
    if is_on_prem(flow.scope):
        hop = (
            f"on-premises {'send' if flow.direction == 'outbound' else 'receive'} "
            f"'{flow.connector}'"
        )
    else:
        hop = (
            f"into Exchange Online on '{flow.connector}'"
            if flow.connector
            else "into Exchange Online"
        )
    devices = [
        h.split(".", 1)[0] for h, _ in flow.message_id_hosts if h.count(".") >= 2 or "." not in h
    ]
    label = DEVICE_LABELS.get(m.device.device_type, m.device.device_type)
    device = label + (f": {', '.join(devices)}" if devices else "")
    return FlowLine(
        id=flow.id,
        hop=hop,
        sender=flow.sender_address or flow.hostname or flow.sender_ip,
        device=device,
        messages=flow.tls.messages,
        at_risk=flow.tls.at_risk,
        tls_summary=tls_summary(flow.tls.as_dict()),
    )


def _expiry(exception: Acceptance | None) -> date | None:
    if exception is None:
        return None
    try:
        return date.fromisoformat(exception.expires)
    except ValueError:
        return None


def _plan(plan: PlanValues | None) -> dict:
    """The FindingView plan fields of a finding's plan values."""
    plan = plan or PlanValues()
    due = plan.due
    try:
        due_value: date | str | None = date.fromisoformat(due) if due else None
    except ValueError:
        due_value = due
    return {
        "plan_owner": plan.owner,
        "plan_status": plan.status,
        "plan_due": due_value,
        "plan_notes": plan.notes,
    }


def _group(name: str, g: Rollup) -> GroupView:
    keys = {k: str(v) for k, v in g.key.items()}
    if name == "by_connector":
        direction = keys.get("direction", "")
        if keys.get("connector"):
            label = f"{keys['connector']} ({direction or 'unknown direction'})"
        elif keys.get("scope") == "exo-submission":
            label = f"{SUBMISSION} ({direction or 'unknown direction'})"
        else:
            label = no_connector(direction)
    elif name == "by_device_type":
        label = DEVICE_LABELS.get(keys.get("device_type", ""), keys.get("device_type", ""))
    else:
        label = next(iter(keys.values()), "") or UNKNOWN
    return GroupView(
        label=label,
        keys=keys,
        messages=g.tls.messages,
        by_tls=g.tls.as_dict(),
        legacy=g.tls.legacy,
        plaintext=g.tls.plaintext,
        at_risk=g.tls.at_risk,
        findings=g.findings,
        first_seen=_dt(g.first_seen),
        last_seen=_dt(g.last_seen),
    )


def _headline(
    results: Results, findings: tuple[FindingView, ...], groups: dict[str, tuple[GroupView, ...]]
) -> Headline:
    totals = results.totals
    by_priority = {p: sum(1 for f in findings if f.priority == p) for p in PRIORITIES}
    connectors = groups["by_connector"]
    return Headline(
        messages=totals.messages,
        at_risk=totals.at_risk,
        legacy=totals.legacy,
        plaintext=totals.plaintext,
        findings=len(findings),
        accepted=sum(1 for f in findings if f.accepted),
        by_priority=by_priority,
        connectors_at_risk=sum(1 for g in connectors if g.at_risk),
        connectors=len(connectors),
        sender_ips_at_risk=sum(
            1 for g in groups["by_sender_ip"] if g.at_risk and g.keys.get("sender_ip")
        ),
        devices_at_risk=sum(1 for f in findings if f.device_type != "unknown"),
        expired_exceptions=sum(1 for f in findings if f.exception_expired),
    )


def _verdict(h: Headline, findings: tuple[FindingView, ...]) -> str:
    if not h.messages:
        return "No message with TLS evidence was found in the inputs: nothing can be judged yet."
    if not h.at_risk:
        return (
            f"All {h.messages:,} messages with TLS evidence used TLS 1.2 or later. "
            "Nothing to fix in this period."
        )
    urgent = h.by_priority.get("critical", 0) + h.by_priority.get("high", 0)
    share = f"{h.at_risk_share:.1%}"
    parts = [
        f"{h.at_risk:,} of {h.messages:,} messages ({share}) used legacy TLS "
        f"({h.legacy:,}) or no TLS ({h.plaintext:,})."
    ]
    flows = sum(len(f.flows) or 1 for f in findings)
    causes = (
        f"{h.findings} finding{'s' if h.findings != 1 else ''}"
        if flows == h.findings
        else f"{flows} flows behind {h.findings} findings (a relay or server that "
        "negotiates for several senders is one finding)"
    )
    parts.append(
        f"They come from {causes}; "
        f"{urgent} need{'s' if urgent == 1 else ''} action first "
        "(critical or high priority)."
    )
    top = findings[0] if findings else None
    if top:
        who = top.device_name or top.sender_address or top.sender_ip or top.connector
        parts.append(
            f"Start with {who} ({top.device_label.lower()} on "
            f"{_path_phrase(top.path)}): {top.action.rstrip('.')}."
        )
    if h.accepted:
        parts.append(
            f"{h.accepted} finding{'s are' if h.accepted != 1 else ' is'} accepted as a known risk."
        )
    if h.expired_exceptions:
        n = h.expired_exceptions
        parts.append(
            f"{n} finding{'s' if n != 1 else ''} had an exception that has expired: "
            f"{'they count' if n != 1 else 'it counts'} again."
        )
    return " ".join(parts)


def _path_phrase(path: str) -> str:
    return {
        "client-submission": "SMTP AUTH client submission",
        "connector-relay": "SMTP relay",
        "direct-send": "Direct Send",
        "internet": "the internet",
        "on-prem": "on-premises Exchange",
    }.get(path, path)


def _deadlines(findings: tuple[FindingView, ...]) -> tuple[Deadline, ...]:
    seen: dict[tuple, list[FindingView]] = {}
    for f in findings:
        if f.deadline or f.deadline_note:
            seen.setdefault((f.deadline, f.deadline_note), []).append(f)
    out = []
    for (day, note), items in seen.items():
        titles = sorted({f.path_label for f in items})
        out.append(Deadline(day, ", ".join(titles), note, len(items), items[0].deadline_when))
    out.sort(key=lambda d: (d.date is None, d.date or date.max))
    return tuple(out)


def _input(r) -> InputView:
    start, end = r.period_start, r.period_end
    period = f"{_day(start)} to {_day(end)}" if start is not None else ""
    return InputView(
        r.path,
        r.format or "unrecognised",
        r.encoding or "",
        r.rows_read,
        r.rows_used,
        r.rows_rejected,
        r.records,
        period,
        len(r.issues),
    )


def _attribution(row: AttributionRow) -> AttributionView:
    return AttributionView(
        connector=row.connector or no_connector(row.direction),
        direction=row.direction,
        sender=row.sender,
        verdict=row.verdict,
        estimate=row.estimate,
        low=row.low,
        high=row.high,
        messages=int(row.messages),
        why=row.why,
        at_end=row.at_risk_at_end,
        fixed_on=row.fixed_on or "",
    )
