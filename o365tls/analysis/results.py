"""The results object that every output is rendered from."""

from __future__ import annotations

from dataclasses import dataclass, field
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

SCHEMA_VERSION = 2


def iso(ts) -> str | None:
    if ts is None or (isinstance(ts, float) and ts != ts) or ts is pd.NaT:
        return None
    if isinstance(ts, pd.Timestamp):
        if ts.tzinfo is not None and ts.utcoffset():
            ts = ts.tz_convert("UTC")
        # Formatted from its fields: strftime and a time zone change per value cost many
        # times as much, once per time in findings.json (see bench/RESULTS.md).
        return (f"{ts.year:04d}-{ts.month:02d}-{ts.day:02d}T{ts.hour:02d}:{ts.minute:02d}:"
                f"{ts.second:02d}Z")
    return str(ts)


def counts_dict(tls: TlsCounts) -> dict:
    return {"messages": tls.messages, "by_tls": tls.as_dict(), "legacy_messages": tls.legacy,
            "plaintext_messages": tls.plaintext}


@dataclass(frozen=True)
class Finding:
    """A flow with its classification, path, remediation and priority. Findings are the
    at-risk flows; clean flows are kept in :attr:`Results.flows` with the same shape."""

    flow: Flow
    path: str
    device: Device
    remediation: Remediation | None
    priority: str | None
    priority_reasons: tuple[str, ...] = ()
    accepted: bool = False
    exception: dict | None = None
    status: str | None = None
    breaks_with_reject_direct_send: bool = False
    history: dict | None = None  # first_reported, open_days (with --history)
    #: What ``o365tls probe`` found on this flow's server (results given as an input).
    probes: tuple[ProbeResult, ...] = ()
    plan: dict | None = None  # owner, status, due, notes people typed (--plan, --history)
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

    def as_dict(self) -> dict:
        f = self.flow
        out = {
            "id": f.id,
            "connector": f.connector,
            "direction": f.direction,
            "connector_type": f.connector_type,
            "sender_ip": f.sender_ip,
            "sender_address": f.sender_address,
            "hostname": f.hostname,
            "ptr": f.ptr,
            "device_type": self.device.device_type,
            "device_confidence": round(self.device.confidence, 3),
            "device_evidence": list(self.device.evidence),
            "device_name": self.device.name,
            "owner": self.device.owner,
            "site": self.device.site,
            "path": self.path,
            "scope": f.scope,
            **counts_dict(f.tls),
            "evidence": f.evidence,
            "legacy_likelihood": round(f.legacy_likelihood, 4),
            "attribution": f.attribution,
            "first_seen": iso(f.first_seen),
            "last_seen": iso(f.last_seen),
            "priority": self.priority,
            "priority_reasons": list(self.priority_reasons),
            "remediation": self.remediation.as_dict() if self.remediation else None,
            "forced_tls": f.forced_tls,
            "auth_protocol": f.auth_protocol,
            "breaks_with_reject_direct_send": self.breaks_with_reject_direct_send,
            "accepted": self.accepted,
            "exception": self.exception,
            "sources": list(f.sources),
            "status": self.status,
            "status_reason": self.status_reason,
            "history": self.history,
            "probes": [p.as_dict() for p in self.probes],
            "plan": self.plan,
            "host": self.host.as_dict() if self.host is not None else None,
            "summary": self.summary,
            "flows": [flow_record(m) for m in self.behind],
            "client_ips": [{"ip": ip, "messages": n} for ip, n in f.client_ips],
            "coverage": self.coverage.as_dict() if self.coverage is not None else None,
        }
        return out


def flow_record(m: Finding) -> dict:
    """What findings.json says of one flow behind a finding."""
    f = m.flow
    return {"id": f.id, "scope": f.scope, "direction": f.direction, "connector": f.connector,
            "sender_ip": f.sender_ip, "sender_address": f.sender_address,
            "hostname": f.hostname, "device_type": m.device.device_type,
            "device_name": m.device.name, "path": m.path, **counts_dict(f.tls),
            "evidence": f.evidence, "devices": [h for h, _ in f.message_id_hosts],
            "coverage": m.coverage.as_dict() if m.coverage is not None else None,
            "first_seen": iso(f.first_seen), "last_seen": iso(f.last_seen)}


@dataclass(frozen=True)
class Group:
    key: dict
    tls: TlsCounts
    first_seen: pd.Timestamp | None = None
    last_seen: pd.Timestamp | None = None
    findings: int = 0

    def as_dict(self) -> dict:
        return {**self.key, **counts_dict(self.tls), "at_risk_messages": self.tls.at_risk,
                "findings": self.findings, "first_seen": iso(self.first_seen),
                "last_seen": iso(self.last_seen)}


GROUPINGS = ("by_connector", "by_sender_ip", "by_sender_address", "by_device_type")


@dataclass(frozen=True)
class Results:
    generated_at: datetime
    tool_version: str
    period: tuple[pd.Timestamp | None, pd.Timestamp | None]
    inputs: tuple[FileReport, ...]
    totals: TlsCounts
    flows: tuple[Finding, ...]  # every flow, clean ones included, highest priority first
    groups: dict[str, tuple[Group, ...]]
    daily: tuple[tuple[pd.Timestamp, TlsCounts], ...]
    tenant_domains: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    attribution: tuple[dict, ...] = ()
    # Per connector: senders the daily counts cannot pin, and the lookups that would.
    next_evidence: tuple[dict, ...] = ()
    resolved: tuple[dict, ...] = ()  # findings.json records of resolved findings
    unverified: tuple[dict, ...] = ()  # at risk before, no evidence either way now: still open
    # Sessions that negotiated legacy TLS without sending a message (no message counted).
    legacy_sessions: tuple[LegacySessions, ...] = ()
    options: dict = field(default_factory=dict)
    #: Out-of-date on-premises Exchange servers Exchange Online reports (blocked first).
    onprem_servers: tuple[OnPremServer, ...] = ()
    #: Exports that are missing or cover little of the period, and what each would add.
    gaps: tuple[Gap, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.flows if f.at_risk)

    def as_dict(self) -> dict:
        start, end = self.period
        return {
            "schema_version": SCHEMA_VERSION,
            "tool_version": self.tool_version,
            "generated_at": self.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "period": {"start": iso(start), "end": iso(end)},
            "tenant_domains": list(self.tenant_domains),
            "inputs": [_input(r) for r in self.inputs],
            "totals": {**counts_dict(self.totals), "at_risk_messages": self.totals.at_risk},
            **{name: [g.as_dict() for g in self.groups.get(name, ())] for name in GROUPINGS},
            "findings": [f.as_dict() for f in self.findings],
            "resolved": list(self.resolved),
            "unverified": list(self.unverified),
            "attribution": list(self.attribution),
            "next_evidence": list(self.next_evidence),
            "daily": [{"day": iso(day)[:10], **counts_dict(c)} for day, c in self.daily],
            "notes": list(self.notes),
            "onprem_servers": [s.as_dict() for s in self.onprem_servers],
            "legacy_sessions_without_mail": [_legacy(s) for s in self.legacy_sessions],
            "missing_exports": [g.as_dict() for g in self.gaps],
        }


def _legacy(sessions: LegacySessions) -> dict:
    return {"direction": sessions.direction, "connector": sessions.connector,
            "sender_ip": sessions.sender_ip, "destination_ip": sessions.destination_ip,
            "hostname": sessions.hostname, "tls": sessions.tls, "sessions": sessions.sessions,
            "first_seen": iso(sessions.first_seen), "last_seen": iso(sessions.last_seen),
            "sources": list(sessions.sources)}


def _input(report: FileReport) -> dict:
    data = report.as_dict()
    return {k: data[k] for k in ("path", "format", "encoding", "rows_read", "rows_used",
                                 "rows_rejected", "records", "period", "issues")}


# The flat flow table (flows.csv, the workbook's flow sheets): declared once, in order.
FLOW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "stable id of the flow identity"),
    ("at_risk", "true when some of its messages used legacy TLS or none"),
    ("priority", "critical, high, medium or low (at-risk flows only)"),
    ("connector", "connector name; empty for mail without a connector"),
    ("direction", "inbound or outbound"),
    ("connector_type", "Partner, OnPremises... as exported"),
    ("path", "client-submission, connector-relay, direct-send, internet or on-prem"),
    ("sender_ip", "sender IP"),
    ("sender_address", "sender address"),
    ("hostname", "HELO/EHLO name"),
    ("ptr", "reverse DNS of the sender IP"),
    ("device_type", "mfp, erp, application, mail-server, third-party-service, partner-mta, "
                    "user-client or unknown"),
    ("device_confidence", "0..1"),
    ("device_name", "from the inventory"),
    ("owner", "from the inventory"),
    ("site", "from the inventory"),
    ("messages", "messages of this flow"),
    *((f"tls_{v}", f"messages on {v}") for v in ("SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3",
                                                 "none", "unknown")),
    ("legacy_messages", "SSL3 + TLS1.0 + TLS1.1"),
    ("plaintext_messages", "messages without TLS"),
    ("evidence", "observed or attributed"),
    ("legacy_likelihood", "estimated share of its messages that are legacy or plaintext"),
    ("first_seen", "ISO 8601 UTC"),
    ("last_seen", "ISO 8601 UTC"),
    ("remediation_id", "knowledge-base entry"),
    ("remediation_title", "what to do"),
    ("accepted", "true when an exception accepts the risk"),
    ("status", "new, open or regressed against the previous snapshot"),
    ("scope", "the hop: exo, exo-submission or on-prem"),
    ("finding_id", "the finding this flow is behind: a root cause's id, or its own"),
    ("counts", "exact (observed, message by message or per day) or estimate (attributed: the "
               "connector's daily TLS counts shared out by the fit)"),
    ("at_risk_share_low", "attributed: lowest at-risk share at the end of the period among the "
                          "fits that explain the connector's daily counts about as well"),
    ("at_risk_share_high", "attributed: highest such share"),
    ("fixed_on", "attributed: first day of the week its at-risk share fell and stayed down"),
)


def flow_row(finding: Finding) -> dict:
    """One flat row of :data:`FLOW_COLUMNS` for a flow: the values its findings.json record
    holds under the same names, read from the finding itself (its whole record, with the
    flows behind it and their coverage, is not built for one row)."""
    f, device, tls = finding.flow, finding.device, finding.flow.tls
    row = {"id": f.id, "at_risk": finding.at_risk, "priority": finding.priority,
           "connector": f.connector, "direction": f.direction,
           "connector_type": f.connector_type, "path": finding.path,
           "sender_ip": f.sender_ip, "sender_address": f.sender_address,
           "hostname": f.hostname, "ptr": f.ptr, "device_type": device.device_type,
           "device_confidence": round(device.confidence, 3), "device_name": device.name,
           "owner": device.owner, "site": device.site,
           **counts_dict(tls),
           **{f"tls_{version}": n for version, n in tls.as_dict().items()},
           "evidence": f.evidence, "legacy_likelihood": round(f.legacy_likelihood, 4),
           "first_seen": iso(f.first_seen), "last_seen": iso(f.last_seen),
           "accepted": finding.accepted, "status": finding.status, "scope": f.scope}
    attribution = f.attribution or {}
    estimate = f.evidence == "attributed"
    row["counts"] = "estimate" if estimate else "exact"
    if estimate and "low" in attribution:
        row["at_risk_share_low"] = attribution.get("low")
        row["at_risk_share_high"] = attribution.get("high")
        row["fixed_on"] = attribution.get("fixed_on")
    rem = finding.remediation
    row["remediation_id"] = rem.id if rem else ""
    row["remediation_title"] = rem.title if rem else ""
    return {k: row.get(k) for k, _ in FLOW_COLUMNS}
