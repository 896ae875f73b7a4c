"""The typed results every output is rendered from (render/serialize.py writes them as
findings.json and flows.csv rows, and reads stored findings back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from ..probe import ProbeResult
from ..quality import FileReport
from .coverage import Coverage, Gap
from .flows import Flow
from .hops import Host
from .model import Device, Remediation, TlsCounts
from .onprem_servers import OnPremServer
from .sessions import LegacySessions


def iso(ts) -> str | None:
    if ts is None or (isinstance(ts, float) and ts != ts) or ts is pd.NaT:
        return None
    if isinstance(ts, pd.Timestamp):
        if ts.tzinfo is not None and ts.utcoffset():
            ts = ts.tz_convert("UTC")
        # Formatted from its fields: strftime and a time zone change per value cost many
        # times as much, once per time in findings.json (see bench/RESULTS.md).
        return (
            f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:"
            f"{ts.second:02d}Z"
        )
    return str(ts)


@dataclass(frozen=True)
class AttributionRow:
    """One sender's attribution verdict on a connector: what the daily TLS counts say of its
    at-risk share (shares 0..1; ``low`` and ``high`` bound the fits that explain the counts
    about as well)."""

    scope: str
    connector: str
    direction: str
    sender: str  # the sender key: an address, ip:..., to:...
    messages: int
    verdict: str
    estimate: float
    low: float
    high: float
    at_risk_at_end: float  # in the period's last week
    fixed_on: str | None  # first day of the week its at-risk share fell and stayed down
    days: int
    alone_days: int
    why: str
    moves_with: str = ""  # the sender its volume moves with, which the fit cannot part
    finding_id: str | None = None  # the flow that holds its mail


@dataclass(frozen=True)
class NextEvidence:
    """Per connector and direction: the senders the daily counts cannot pin, and the trace
    lookups that would show their TLS message by message."""

    scope: str
    direction: str
    connector: str
    senders: tuple[str, ...]
    lookups: int
    missing_days: tuple[str, ...]  # ISO dates the connector report covers and the trace not
    why: str
    todo: str


@dataclass(frozen=True)
class Acceptance:
    """The accepted risk (``--exceptions``) that matches a finding: which entry of the file,
    and whether it has expired (an expired one no longer accepts the finding)."""

    index: int  # 1-based position in the exceptions file
    line: int | None
    reason: str
    owner: str
    expires: str  # ISO date
    match: tuple[tuple[str, str], ...]  # (field, pattern) of the match fields it gives
    expired: bool = False


@dataclass(frozen=True)
class FindingHistory:
    """When a finding was first reported and how many days it has been open (--history)."""

    first_reported: str | None  # ISO 8601 UTC: start of the first snapshot that reported it
    open_days: int | None


@dataclass(frozen=True)
class PlanValues:
    """What people typed for a finding in the remediation plan (--plan, --history): ``due``
    is an ISO date when it was typed as one, else the text as typed."""

    owner: str = ""
    status: str = ""
    due: str = ""
    notes: str = ""


@dataclass(frozen=True)
class Finding:
    """A flow with its classification, path, remediation and priority. Findings are the
    at-risk flows; clean flows are kept in :attr:`Results.all_findings` with the same shape."""

    flow: Flow
    path: str
    device: Device
    remediation: Remediation | None
    priority: str | None
    priority_reasons: tuple[str, ...] = ()
    accepted: bool = False
    exception: Acceptance | None = None
    status: str | None = None
    breaks_with_reject_direct_send: bool = False
    history: FindingHistory | None = None  # with --history
    #: What ``o365tls probe`` found on this flow's server (results given as an input).
    probes: tuple[ProbeResult, ...] = ()
    plan: PlanValues | None = None  # what people typed (--plan, --history)
    status_reason: str | None = None  # why it has its status (with --history)
    #: The host that negotiates this hop's TLS, when the evidence names it (a root cause).
    host: Host | None = None
    #: The flows behind a root cause; empty for a finding that is one flow.
    members: tuple[Finding, ...] = ()
    summary: str = ""  # one sentence: who negotiates what for which flows
    #: The part of the period its evidence covers (a protocol log: hours, a report: days).
    coverage: Coverage | None = None

    @property
    def behind(self) -> tuple[Finding, ...]:
        """The flows behind this finding: its members, or itself."""
        return self.members or (self,)

    @property
    def flow_ids(self) -> tuple[str, ...]:
        """The ids of the flows behind it, which earlier snapshots may know it by."""
        return tuple(dict.fromkeys((self.id, *(m.id for m in self.members))))

    @property
    def id(self) -> str:
        return self.flow.id

    @property
    def at_risk(self) -> bool:
        return self.flow.tls.at_risk > 0


@dataclass(frozen=True)
class Rollup:
    """One row of a report roll-up (by connector, sender IP, sender or device type)."""

    key: dict[str, str]
    tls: TlsCounts
    first_seen: pd.Timestamp | None = None
    last_seen: pd.Timestamp | None = None
    findings: int = 0


GROUPINGS = ("by_connector", "by_sender_ip", "by_sender_address", "by_device_type")


@dataclass(frozen=True)
class Results:
    generated_at: datetime
    tool_version: str
    period: tuple[pd.Timestamp | None, pd.Timestamp | None]
    inputs: tuple[FileReport, ...]
    totals: TlsCounts
    #: Every flow, clean ones included, highest priority first (:attr:`findings`: at risk).
    all_findings: tuple[Finding, ...]
    groups: dict[str, tuple[Rollup, ...]]
    daily: tuple[tuple[pd.Timestamp, TlsCounts], ...]
    tenant_domains: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    attribution: tuple[AttributionRow, ...] = ()
    next_evidence: tuple[NextEvidence, ...] = ()
    resolved: tuple[Finding, ...] = ()  # at risk before, resolved now (read from the history)
    unverified: tuple[Finding, ...] = ()  # at risk before, no evidence either way now: still open
    # Sessions that negotiated legacy TLS without sending a message (no message counted).
    legacy_sessions: tuple[LegacySessions, ...] = ()
    redacted: bool = False  # sender local parts and subjects are pseudonyms (--redact)
    #: Out-of-date on-premises Exchange servers Exchange Online reports (blocked first).
    onprem_servers: tuple[OnPremServer, ...] = ()
    #: Exports that are missing or cover little of the period, and what each would add.
    gaps: tuple[Gap, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.all_findings if f.at_risk)
