"""The one serializer of the results: findings.json (schema: o365tls/data/findings.schema.json)
and the flat flow rows of flows.csv and the workbook, and the reader that turns a stored
findings.json finding back into a :class:`~o365tls.analysis.results.Finding`.

:func:`finding_from_record` is the inverse of :func:`finding_record` for every key a finding
carries in findings.json: ``finding_record(finding_from_record(d)) == d``. What findings.json
does not carry (the classifier's signals, the subjects, the device's rule source) is left at
its default; the history store keeps findings as these records, so resolved and unverified
findings come back as the same type as this run's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from ..analysis.coverage import Coverage
from ..analysis.flows import Flow, Verdict, sender_key
from ..analysis.hops import Host
from ..analysis.model import UNKNOWN_DEVICE, Device, Remediation, TlsCounts
from ..analysis.onprem_servers import OnPremServer
from ..analysis.results import (
    GROUPINGS,
    Acceptance,
    AttributionRow,
    Finding,
    FindingHistory,
    NextEvidence,
    PlanValues,
    Results,
    Rollup,
    iso,
)
from ..analysis.sessions import LegacySessions
from ..probe import ProbeResult
from ..quality import FileReport

SCHEMA_VERSION = 2
_NS_HOUR = 3_600 * 10**9


def findings_document(results: Results) -> dict:
    """The findings.json document of ``results``."""
    start, end = results.period
    return {
        "schema_version": SCHEMA_VERSION,
        "tool_version": results.tool_version,
        "generated_at": results.generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "period": {"start": iso(start), "end": iso(end)},
        "tenant_domains": list(results.tenant_domains),
        "inputs": [_input(r) for r in results.inputs],
        "totals": {**counts_record(results.totals), "at_risk_messages": results.totals.at_risk},
        **{name: [rollup_record(g) for g in results.groups.get(name, ())] for name in GROUPINGS},
        "findings": [finding_record(f) for f in results.findings],
        "resolved": [finding_record(f) for f in results.resolved],
        "unverified": [finding_record(f) for f in results.unverified],
        "attribution": [attribution_record(a) for a in results.attribution],
        "next_evidence": [_next_evidence(e) for e in results.next_evidence],
        "daily": [{"day": (iso(day) or "")[:10], **counts_record(c)} for day, c in results.daily],
        "notes": list(results.notes),
        "onprem_servers": [_server(s) for s in results.onprem_servers],
        "legacy_sessions_without_mail": [_legacy(s) for s in results.legacy_sessions],
        "missing_exports": [{"export": g.export, "adds": g.adds} for g in results.gaps],
    }


def counts_record(tls: TlsCounts) -> dict:
    return {
        "messages": tls.messages,
        "by_tls": tls.as_dict(),
        "legacy_messages": tls.legacy,
        "plaintext_messages": tls.plaintext,
    }


def finding_record(finding: Finding) -> dict:
    """What findings.json says of one finding (the history stores the same record)."""
    f = finding.flow
    return {
        "id": f.id,
        "connector": f.connector,
        "direction": f.direction,
        "connector_type": f.connector_type,
        "sender_ip": f.sender_ip,
        "sender_address": f.sender_address,
        "hostname": f.hostname,
        "ptr": f.ptr,
        "device_type": finding.device.device_type,
        "device_confidence": round(finding.device.confidence, 3),
        "device_evidence": list(finding.device.evidence),
        "device_name": finding.device.name,
        "owner": finding.device.owner,
        "site": finding.device.site,
        "path": finding.path,
        "scope": f.scope,
        **counts_record(f.tls),
        "evidence": f.evidence,
        "legacy_likelihood": round(f.legacy_likelihood, 4),
        "attribution": _verdict(f.attribution),
        "first_seen": iso(f.first_seen),
        "last_seen": iso(f.last_seen),
        "priority": finding.priority,
        "priority_reasons": list(finding.priority_reasons),
        "remediation": _remediation(finding.remediation),
        "forced_tls": f.forced_tls,
        "auth_protocol": f.auth_protocol,
        "breaks_with_reject_direct_send": finding.breaks_with_reject_direct_send,
        "accepted": finding.accepted,
        "exception": _acceptance(finding.exception),
        "sources": list(f.sources),
        "status": finding.status,
        "status_reason": finding.status_reason,
        "history": _history(finding.history),
        "probes": [p.as_dict() for p in finding.probes],
        "plan": _plan(finding.plan),
        "host": _host(finding.host),
        "summary": finding.summary,
        "flows": [flow_record(m) for m in finding.behind],
        "client_ips": [{"ip": ip, "messages": n} for ip, n in f.client_ips],
        "coverage": _coverage_record(finding.coverage),
    }


def flow_record(m: Finding) -> dict:
    """What findings.json says of one flow behind a finding."""
    f = m.flow
    return {
        "id": f.id,
        "scope": f.scope,
        "direction": f.direction,
        "connector": f.connector,
        "sender_ip": f.sender_ip,
        "sender_address": f.sender_address,
        "hostname": f.hostname,
        "device_type": m.device.device_type,
        "device_name": m.device.name,
        "path": m.path,
        **counts_record(f.tls),
        "evidence": f.evidence,
        "devices": [h for h, _ in f.message_id_hosts],
        "coverage": _coverage_record(m.coverage),
        "first_seen": iso(f.first_seen),
        "last_seen": iso(f.last_seen),
    }


def rollup_record(g: Rollup) -> dict:
    return {
        **g.key,
        **counts_record(g.tls),
        "at_risk_messages": g.tls.at_risk,
        "findings": g.findings,
        "first_seen": iso(g.first_seen),
        "last_seen": iso(g.last_seen),
    }


def attribution_record(a: AttributionRow) -> dict:
    """One row of findings.json ``attribution`` (``moves_with`` only when the fit names one)."""
    return {
        "scope": a.scope,
        "connector": a.connector,
        "direction": a.direction,
        "sender": a.sender,
        "messages": a.messages,
        "verdict": a.verdict,
        "estimate": a.estimate,
        "low": a.low,
        "high": a.high,
        "at_risk_at_end": a.at_risk_at_end,
        "fixed_on": a.fixed_on,
        "days": a.days,
        "alone_days": a.alone_days,
        "why": a.why,
        **({"moves_with": a.moves_with} if a.moves_with else {}),
        "finding_id": a.finding_id,
    }


def _verdict(v: Verdict | None) -> dict | None:
    """A flow's ``attribution``: a sender's verdict, or the connector's unattributed rest."""
    if v is None:
        return None
    if v.cannot_tell is not None:
        return {"verdict": v.verdict, "why": v.why, "cannot_tell": list(v.cannot_tell)}
    return {
        "verdict": v.verdict,
        "estimate": v.estimate,
        "low": v.low,
        "high": v.high,
        "at_risk_at_end": v.at_risk_at_end,
        "fixed_on": v.fixed_on,
        "days": v.days,
        "alone_days": v.alone_days,
        "why": v.why,
        **({"moves_with": v.moves_with} if v.moves_with else {}),
    }


def _verdict_from(d: Mapping[str, Any] | None) -> Verdict | None:
    if d is None:
        return None
    cannot = d.get("cannot_tell")
    return Verdict(
        d.get("verdict") or "",
        d.get("why") or "",
        d.get("estimate"),
        d.get("low"),
        d.get("high"),
        d.get("at_risk_at_end"),
        d.get("fixed_on"),
        d.get("days"),
        d.get("alone_days"),
        d.get("moves_with") or "",
        None if cannot is None else tuple(cannot),
    )


def _next_evidence(e: NextEvidence) -> dict:
    return {
        "scope": e.scope,
        "direction": e.direction,
        "connector": e.connector,
        "senders": list(e.senders),
        "lookups": e.lookups,
        "missing_days": list(e.missing_days),
        "why": e.why,
        "todo": e.todo,
    }


def _host(h: Host | None) -> dict | None:
    if h is None:
        return None
    return {
        "kind": h.kind,
        "name": h.name,
        "ip": h.ip,
        "names": list(h.names),
        "software": h.software,
        "version": h.version,
        "build": h.build,
        "supported": h.supported,
        "support": h.support,
        "evidence": list(h.evidence),
        "owner": h.owner,
        "site": h.site,
    }


def _coverage_record(c: Coverage | None) -> dict | None:
    if c is None:
        return None
    # Ratios of whole nanoseconds, as pandas divides two Timedeltas, without its
    # per-operation overhead (findings.json and flows.csv hold one per flow).
    return {
        "hours": round(c.covered.value / _NS_HOUR, 2),
        "period_hours": round(c.period.value / _NS_HOUR, 2),
        "days": c.days,
        "period_days": c.period_days,
        "share": round(c.share, 4),
        "description": c.describe(),
    }


def _server(s: OnPremServer) -> dict:
    return {
        "name": s.name,
        "ip": s.ip,
        "build": s.build,
        "version": s.version,
        "supported": s.supported,
        "support": s.support,
        "status": s.status,
        "since": iso(s.since),
        "first_detected": iso(s.first_detected),
        "throttled_from": iso(s.throttled_from),
        "blocked_from": iso(s.blocked_from),
        "enforcement": s.enforcement,
        "sources": list(s.sources),
    }


def _remediation(rem: Remediation | None) -> dict | None:
    if rem is None:
        return None
    return {
        "id": rem.id,
        "title": rem.title,
        "steps": list(rem.steps),
        "powershell": list(rem.powershell),
        "references": list(rem.references),
        "stopgap": rem.stopgap,
        "deadline": rem.deadline or None,
        "deadline_note": rem.deadline_note,
        "what_you_will_see": rem.what_you_will_see,
        "verify": list(rem.verify),
        "reference_links": [{"title": t, "url": u} for t, u in rem.links],
        "draft_message": rem.draft_message,
        "deadline_when": rem.deadline_when,
        "checked": rem.checked,
    }


def _acceptance(a: Acceptance | None) -> dict | None:
    if a is None:
        return None
    return {
        "index": a.index,
        "line": a.line,
        "reason": a.reason,
        "owner": a.owner,
        "expires": a.expires,
        "match": dict(a.match),
        "expired": a.expired,
    }


def _history(h: FindingHistory | None) -> dict | None:
    if h is None:
        return None
    return {"first_reported": h.first_reported, "open_days": h.open_days}


def _plan(p: PlanValues | None) -> dict | None:
    if p is None:
        return None
    return {"owner": p.owner, "status": p.status, "due": p.due, "notes": p.notes}


def _legacy(sessions: LegacySessions) -> dict:
    return {
        "direction": sessions.direction,
        "connector": sessions.connector,
        "sender_ip": sessions.sender_ip,
        "destination_ip": sessions.destination_ip,
        "hostname": sessions.hostname,
        "tls": sessions.tls,
        "sessions": sessions.sessions,
        "first_seen": iso(sessions.first_seen),
        "last_seen": iso(sessions.last_seen),
        "sources": list(sessions.sources),
    }


def _input(report: FileReport) -> dict:
    data = report.as_dict()
    return {
        k: data[k]
        for k in (
            "path",
            "format",
            "encoding",
            "rows_read",
            "rows_used",
            "rows_rejected",
            "records",
            "period",
            "issues",
        )
    }


# Reading back ---------------------------------------------------------------------------------


def finding_from_record(d: Mapping[str, Any]) -> Finding:
    """The finding a findings.json record (or a history snapshot's stored one) describes. A
    key that a record of an older o365tls lacks reads as its empty value."""
    entries = list(d.get("flows") or ())
    own = next((e for e in entries if e.get("id") == d["id"]), None)
    # A finding that is one flow lists itself; a root cause lists the flows behind it.
    alone = own is not None and len(entries) == 1
    rem = d.get("remediation")
    exc = d.get("exception")
    hist = d.get("history")
    plan = d.get("plan")
    host = d.get("host")
    return Finding(
        flow=_flow(
            d,
            legacy_likelihood=d.get("legacy_likelihood") or 0.0,
            connector_type=d.get("connector_type") or "",
            ptr=d.get("ptr") or "",
            auth_protocol=d.get("auth_protocol") or "",
            forced_tls=d.get("forced_tls"),
            sources=tuple(d.get("sources") or ()),
            attribution=_verdict_from(d.get("attribution")),
            message_id_hosts=_hosts(own) if alone and own is not None else (),
            client_ips=tuple((c["ip"], c["messages"]) for c in d.get("client_ips") or ()),
        ),
        path=d.get("path") or "",
        device=Device(
            d.get("device_type") or UNKNOWN_DEVICE,
            d.get("device_confidence") or 0.0,
            tuple(d.get("device_evidence") or ()),
            d.get("device_name") or "",
            d.get("owner") or "",
            d.get("site") or "",
        ),
        remediation=None
        if rem is None
        else Remediation(
            id=rem["id"],
            title=rem["title"],
            steps=tuple(rem.get("steps") or ()),
            powershell=tuple(rem.get("powershell") or ()),
            references=tuple(rem.get("references") or ()),
            stopgap=rem.get("stopgap") or "",
            deadline=rem.get("deadline") or "",
            deadline_note=rem.get("deadline_note") or "",
            what_you_will_see=rem.get("what_you_will_see") or "",
            verify=tuple(rem.get("verify") or ()),
            links=tuple((r["title"], r["url"]) for r in rem.get("reference_links") or ()),
            draft_message=rem.get("draft_message") or "",
            deadline_when=rem.get("deadline_when") or "",
            checked=rem.get("checked") or "",
        ),
        priority=d.get("priority"),
        priority_reasons=tuple(d.get("priority_reasons") or ()),
        accepted=bool(d.get("accepted")),
        exception=None
        if exc is None
        else Acceptance(
            exc["index"],
            exc.get("line"),
            exc.get("reason") or "",
            exc.get("owner") or "",
            exc.get("expires") or "",
            tuple((exc.get("match") or {}).items()),
            bool(exc.get("expired")),
        ),
        status=d.get("status"),
        status_reason=d.get("status_reason"),
        breaks_with_reject_direct_send=bool(d.get("breaks_with_reject_direct_send")),
        history=None
        if hist is None
        else FindingHistory(hist.get("first_reported"), hist.get("open_days")),
        probes=tuple(ProbeResult.from_dict(p) for p in d.get("probes") or ()),
        plan=None
        if plan is None
        else PlanValues(*(str(plan.get(k) or "") for k in ("owner", "status", "due", "notes"))),
        host=None
        if host is None
        else Host(
            **{
                **host,
                "names": tuple(host.get("names") or ()),
                "evidence": tuple(host.get("evidence") or ()),
            }
        ),
        members=() if alone or not entries else tuple(_member(e) for e in entries),
        summary=d.get("summary") or "",
        coverage=_coverage(d.get("coverage")),
    )


def _member(e: Mapping[str, Any]) -> Finding:
    """A flow behind a root cause, as far as findings.json describes it."""
    return Finding(
        flow=_flow(e, message_id_hosts=_hosts(e)),
        path=e.get("path") or "",
        device=Device(e.get("device_type") or UNKNOWN_DEVICE, name=e.get("device_name") or ""),
        remediation=None,
        priority=None,
        coverage=_coverage(e.get("coverage")),
    )


def _flow(d: Mapping[str, Any], **details: Any) -> Flow:
    """The identity and counts a finding record and a flow entry both carry."""
    address, ip = d.get("sender_address") or "", d.get("sender_ip") or ""
    return Flow(
        scope=d.get("scope") or "",
        direction=d.get("direction") or "",
        connector=d.get("connector") or "",
        sender_key=sender_key(address, ip),
        tls=TlsCounts.of(d.get("by_tls") or {}),
        evidence=d.get("evidence") or "",
        legacy_likelihood=details.pop("legacy_likelihood", 0.0),
        sender_ip=ip,
        sender_address=address,
        hostname=d.get("hostname") or "",
        first_seen=_stamp(d.get("first_seen")),
        last_seen=_stamp(d.get("last_seen")),
        stored_id=d["id"],
        **details,
    )


def _hosts(entry: Mapping[str, Any]) -> tuple[tuple[str, int], ...]:
    """The Message-ID hosts of a flow entry (findings.json keeps their names, not counts)."""
    return tuple((h, 0) for h in entry.get("devices") or ())


def _coverage(c: Mapping[str, Any] | None) -> Coverage | None:
    if c is None:
        return None
    return Coverage(
        pd.Timedelta(hours=c["hours"]),
        pd.Timedelta(hours=c["period_hours"]),
        c["days"],
        recorded=(c["share"], c["description"]),
    )


def _stamp(text: str | None) -> pd.Timestamp | None:
    return pd.Timestamp(text) if text else None


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
    (
        "device_type",
        "mfp, erp, application, mail-server, third-party-service, partner-mta, "
        "user-client or unknown",
    ),
    ("device_confidence", "0..1"),
    ("device_name", "from the inventory"),
    ("owner", "from the inventory"),
    ("site", "from the inventory"),
    ("messages", "messages of this flow"),
    *(
        (f"tls_{v}", f"messages on {v}")
        for v in ("SSL3", "TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3", "none", "unknown")
    ),
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
    (
        "counts",
        "exact (observed, message by message or per day) or estimate (attributed: the "
        "connector's daily TLS counts shared out by the fit)",
    ),
    (
        "at_risk_share_low",
        "attributed: lowest at-risk share at the end of the period among the "
        "fits that explain the connector's daily counts about as well",
    ),
    ("at_risk_share_high", "attributed: highest such share"),
    ("fixed_on", "attributed: first day of the week its at-risk share fell and stayed down"),
)


def flow_row(finding: Finding) -> dict:
    """One flat row of :data:`FLOW_COLUMNS` for a flow: the values its findings.json record
    holds under the same names, read from the finding itself (its whole record, with the
    flows behind it and their coverage, is not built for one row)."""
    f, device, tls = finding.flow, finding.device, finding.flow.tls
    row = {
        "id": f.id,
        "at_risk": finding.at_risk,
        "priority": finding.priority,
        "connector": f.connector,
        "direction": f.direction,
        "connector_type": f.connector_type,
        "path": finding.path,
        "sender_ip": f.sender_ip,
        "sender_address": f.sender_address,
        "hostname": f.hostname,
        "ptr": f.ptr,
        "device_type": device.device_type,
        "device_confidence": round(device.confidence, 3),
        "device_name": device.name,
        "owner": device.owner,
        "site": device.site,
        **counts_record(tls),
        **{f"tls_{version}": n for version, n in tls.as_dict().items()},
        "evidence": f.evidence,
        "legacy_likelihood": round(f.legacy_likelihood, 4),
        "first_seen": iso(f.first_seen),
        "last_seen": iso(f.last_seen),
        "accepted": finding.accepted,
        "status": finding.status,
        "scope": f.scope,
    }
    attribution = f.attribution
    estimate = f.evidence == "attributed"
    row["counts"] = "estimate" if estimate else "exact"
    if estimate and attribution is not None and attribution.cannot_tell is None:
        row["at_risk_share_low"] = attribution.low
        row["at_risk_share_high"] = attribution.high
        row["fixed_on"] = attribution.fixed_on
    rem = finding.remediation
    row["remediation_id"] = rem.id if rem else ""
    row["remediation_title"] = rem.title if rem else ""
    return {k: row.get(k) for k, _ in FLOW_COLUMNS}
