"""What to do about an at-risk flow, and how urgent it is.

Knowledge is data: the guidance, the deadlines and the priority thresholds live in
``o365tls/data/remediation.toml``; :mod:`.knowledge` loads and validates that file, this
module applies it.

Choosing guidance (:func:`choose`): a flow's *situation* is (device type, path, TLS state).
Every entry whose ``match`` covers the situation is a candidate; the most specific one wins,
where specificity compares, in this order, an exact device type over ``"*"``, then an exact
path over ``"*"``, then an exact TLS state over ``"*"`` (so ``mfp / * / *`` beats
``* / direct-send / legacy``). A flow whose path is not one of :data:`PATHS` only matches
entries with ``paths = ["*"]``. :func:`load_knowledge` refuses a file in which some situation
has no entry, or two equally specific ones.

Priority (:func:`priority`), rules applied in this order, each one adding a reason:

1. volume: at-risk messages, absolute and as a share of all the tenant's mail, against
   ``high_*`` / ``medium_*`` (else low);
2. ceilings (``[[priority.ceiling]]``, e.g. internet senders the tenant cannot fix);
3. floors (``[[priority.floor]]``, e.g. Direct Send breaks with Reject Direct Send);
4. deadlines (``[[priority.deadline]]``): SMTP AUTH with Basic auth or TLS 1.0/1.1 is critical
   within ``critical_within_days`` of the deadline (or after it), else at least ``level``;
5. failure vs fallback: "fails now" (``forced_tls_level``) only where evidence shows the mail
   refused (``failed_messages``); at-risk messages that a report counts were delivered, on a
   connector that requires TLS too (Microsoft began the stop of TLS 1.0/1.1 on its mail-flow
   endpoints, MC229914, and never announced its completion). Otherwise the mail is still
   accepted and falls back to no TLS once refused, or fails there where TLS is required;
6. tiny volume (fewer than ``tiny_messages``): low, unless mail fails now;
7. attributed flows (``attributed=True``) with ``legacy_likelihood`` below
   ``low_likelihood``: one level lower.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from itertools import product

from ..inputs.scopes import is_on_prem
from .knowledge import ANY, PLACEHOLDERS, Item, Knowledge, load_knowledge
from .model import (
    CONNECTOR_RELAY,
    DEVICE_TYPES,
    DIRECT_SEND,
    INTERNET,
    LEGACY,
    PATHS,
    PLAINTEXT,
    PRIORITIES,
    TLS_STATES,
    UNKNOWN_DEVICE,
    Device,
    FlowEvidence,
    Remediation,
)

__all__ = [
    "Knowledge",
    "choose",
    "facts",
    "load_knowledge",
    "priority",
    "situations",
    "tls_state",
    "values",
]

# Paths that reach the Exchange Online MX, where TLS is opportunistic unless a connector forces it.
_MX_PATHS = (CONNECTOR_RELAY, DIRECT_SEND, INTERNET)


def situations() -> list[tuple[str, str, str]]:
    """Every (device_type, path, tls_state) the analysis can emit."""
    return list(product(DEVICE_TYPES, PATHS, TLS_STATES))


def tls_state(evidence: FlowEvidence) -> str:
    """``legacy`` when any message used SSL3/TLS 1.0/1.1 (this includes SMTP AUTH Basic on
    TLS 1.0/1.1), ``plaintext`` when only no-TLS messages are at risk. A flow with neither
    (its TLS is unknown) gets the legacy guidance: both end in "get it to TLS 1.2"."""
    if evidence.tls.legacy:
        return LEGACY
    if evidence.tls.plaintext:
        return PLAINTEXT
    return LEGACY


def _situation(evidence: FlowEvidence, device: Device) -> tuple[str, str | None, str]:
    device_type = device.device_type if device.device_type in DEVICE_TYPES else UNKNOWN_DEVICE
    path = evidence.path if evidence.path in PATHS else None
    return device_type, path, tls_state(evidence)


def choose(
    evidence: FlowEvidence,
    device: Device,
    knowledge: Knowledge | None = None,
    *,
    today: dt.date | None = None,
    tenant=(),
) -> Remediation:
    """The guidance for one flow, written for it: the steps, commands and checks that its
    facts call for (:func:`facts`), with its own sender, IP, connector and host filled in
    (:func:`values`), and the deadline as it reads on ``today`` (the run's date).
    ``tenant``: the tenant's own domains."""
    knowledge = knowledge or load_knowledge()
    entry = knowledge.entry_for(*_situation(evidence, device))
    known = facts(evidence, device, knowledge)
    filled = values(evidence, tenant)
    deadline = knowledge.deadlines.get(entry.deadline)
    return Remediation(
        id=entry.id,
        title=entry.title,
        steps=_written(entry.steps, known, filled, strict=False),
        powershell=_written(entry.powershell, known, filled),
        references=tuple(link.title for link in entry.sources),
        stopgap=entry.stopgap,
        deadline=deadline.date.isoformat() if deadline and deadline.date else "",
        deadline_note=(_fill(deadline.description(today), filled, strict=False) or "")
        if deadline
        else "",
        what_you_will_see=entry.what_you_will_see,
        verify=_written(entry.verify, known, filled),
        links=tuple((link.title, link.url) for link in entry.sources),
        draft_message="\n\n".join(_written(entry.draft_message, known, filled, strict=False)),
        deadline_when=deadline.when if deadline else "",
        checked=entry.checked.isoformat(),
    )


def _written(
    items: tuple[Item, ...], known: dict[str, str], filled: dict[str, str], strict: bool = True
) -> tuple[str, ...]:
    out = []
    for item in items:
        if item.applies(known):
            text = _fill(item.text, filled, strict)
            if text is not None and text not in out:
                out.append(text)
    return tuple(out)


_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _fill(text: str, filled: dict[str, str], strict: bool = True) -> str | None:
    """``text`` with its placeholders replaced. A value the evidence lacks: None when
    ``strict`` (a command is left out rather than shown with a hole), else the words that
    name it ("the sender's IP address")."""
    missing = [n for n in _PLACEHOLDER.findall(text) if not filled.get(n)]
    if missing and strict:
        return None
    return _PLACEHOLDER.sub(lambda m: filled.get(m.group(1)) or PLACEHOLDERS[m.group(1)], text)


_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",
        "127.0.0.0/8",
        "169.254.0.0/16",
        "fc00::/7",
        "fe80::/10",
        "::1/128",
    )
)


def _public(ip: str) -> bool:
    """An address the internet can route back to (documentation ranges stand in for public
    ones in examples, so only private, shared and local ranges are not public)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    return not any(address.version == n.version and address in n for n in _PRIVATE)


def facts(evidence: FlowEvidence, device: Device, knowledge: Knowledge) -> dict[str, str]:
    """What the evidence says about the flow that changes the advice (knowledge.FACTS)."""
    internal, external = evidence.internal_messages, evidence.external_messages
    recipients = (
        "unknown"
        if not internal + external
        else "internal"
        if not external
        else "external"
        if not internal
        else "mixed"
    )
    local = evidence.sender_address.rsplit("@", 1)[0] if evidence.sender_address else ""
    names = [evidence.hostname, evidence.ptr, local, evidence.auth_user, device.name]
    runtime = next(
        (
            kind
            for kind, patterns in knowledge.runtime.items()
            if any(p.search(n) for p in patterns for n in names if n)
        ),
        "unknown",
    )
    auth = evidence.auth_protocol.strip().lower()
    hosts = {h.lower() for h, _ in evidence.message_id_hosts}
    relay = bool(
        re.search(
            r"relay|smarthost",
            " ".join((evidence.connector, evidence.hostname, evidence.ptr)),
            re.IGNORECASE,
        )
    ) or (len(hosts - {evidence.hostname.lower()}) > 1)
    return {
        "recipients": recipients,
        "runtime": runtime,
        "public_ip": "yes" if _public(evidence.sender_ip) else "no",
        "auth": auth if auth in ("basic", "oauth") else "unknown",
        "direction": evidence.direction
        if evidence.direction in ("inbound", "outbound")
        else "unknown",
        "relay": "yes" if relay else "no",
        "host": evidence.host_kind if evidence.host_kind in ("exchange", "relay") else "unknown",
        "sender_known": "yes" if evidence.sender_address or evidence.sender_ip else "no",
        "device_type": device.device_type if device.device_type in DEVICE_TYPES else UNKNOWN_DEVICE,
    }


def values(evidence: FlowEvidence, tenant=()) -> dict[str, str]:
    """The finding's own values for the knowledge file's placeholders ("" = not known)."""
    address = evidence.sender_address
    sender_domain = address.rsplit("@", 1)[1].lower() if "@" in address else ""
    domains = sorted(d for d in tenant if not d.endswith(".onmicrosoft.com"))
    tenant_domain = sender_domain if sender_domain in tenant else (domains[0] if domains else "")
    # An on-prem receive connector is named SERVER\name; a send hop's host is the server.
    server = ""
    if is_on_prem(evidence.scope):
        server = (
            evidence.connector.split("\\", 1)[0]
            if "\\" in evidence.connector
            else evidence.hostname
            if evidence.direction == "outbound"
            else ""
        )
    return {
        "sender": address,
        "sender_ip": evidence.sender_ip,
        "sender_domain": sender_domain,
        "connector": evidence.connector,
        "host": evidence.hostname or evidence.ptr,
        "tenant_domain": tenant_domain,
        # Exchange Online's MX host for a domain: its dots become dashes.
        "mx_host": f"{tenant_domain.replace('.', '-')}.mail.protection.outlook.com"
        if tenant_domain
        else "",
        "on_prem_server": server,
    }


# --- priority ------------------------------------------------------------------------------


def _rank(level: str) -> int:
    return PRIORITIES.index(level)  # 0 = critical, the most urgent


def at_least(level: str, floor: str) -> str:
    return floor if _rank(floor) < _rank(level) else level


def _lower(level: str) -> str:
    return PRIORITIES[min(_rank(level) + 1, len(PRIORITIES) - 1)]


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.1 else f"{share * 100:.2g}%"


def priority(
    evidence: FlowEvidence,
    device: Device,
    legacy_likelihood: float,
    at_risk_messages: int,
    total_messages: int,
    today: dt.date,
    *,
    attributed: bool = False,
    covered: float = 1.0,
    covered_text: str = "",
    knowledge: Knowledge | None = None,
) -> tuple[str, list[str]]:
    """One of :data:`PRIORITIES` and the reasons for it, in the order the rules applied.

    ``attributed=True`` for flows whose TLS was inferred by joining identity-only records with
    aggregate TLS (findings.json ``evidence: attributed``). Only those are lowered by rule 7:
    for an observed flow the likelihood is a measured share (a connector with 10 % legacy mail
    has those messages for certain), so the default never lowers.
    """
    knowledge = knowledge or load_knowledge()
    rules, deadlines = knowledge.priority, knowledge.deadlines
    device_type, path, state = _situation(evidence, device)
    basic = evidence.auth_protocol.strip().lower() == "basic"
    legacy = evidence.tls.legacy > 0
    at_risk = max(int(at_risk_messages), 0)
    reasons: list[str] = []

    applying = [
        r for r in rules.deadlines if (ANY in r.paths or path in r.paths) and (basic or legacy)
    ]
    stake = max(at_risk, evidence.messages) if applying and basic else at_risk
    seen = stake
    if 0 < covered < 1:  # its evidence covers part of the period: compare its rate
        stake = round(stake / covered)
    share = stake / total_messages if total_messages > 0 else 0.0
    if stake >= rules.high_messages or share >= rules.high_share:
        level = "high"
    elif stake >= rules.medium_messages or share >= rules.medium_share:
        level = "medium"
    else:
        level = "low"
    what = "messages at risk" if seen == at_risk else "messages on Basic auth"
    if stake != seen:
        reasons.append(
            f"{seen:,} {what} in the {covered_text or 'part of the period'} that "
            f"its evidence covers: about {stake:,} over the period at that daily rate "
            f"({_percent(share)} of the tenant's {total_messages:,}): {level} on "
            "volume"
        )
    else:
        reasons.append(
            f"{stake:,} {what} ({_percent(share)} of the tenant's "
            f"{total_messages:,}): {level} on volume"
        )

    for rule in rules.ceilings:
        if rule.match.hits(device_type, path, state) and _rank(level) < _rank(rule.level):
            level = rule.level
            reasons.append(f"at most {rule.level}: {rule.reason}")
    for rule in rules.floors:
        if rule.match.hits(device_type, path, state):
            level = at_least(level, rule.level)
            reasons.append(f"at least {rule.level}: {rule.reason}")

    for deadline_rule in applying:
        deadline = deadlines[deadline_rule.deadline]
        assert deadline.date is not None  # validated: priority deadlines have a date
        days = (deadline.date - today).days
        using = " and ".join(x for x, on in (("Basic auth", basic), ("TLS 1.0/1.1", legacy)) if on)
        target = "critical" if days <= deadline_rule.critical_within_days else deadline_rule.level
        level = at_least(level, target)
        if days >= 0:
            reasons.append(
                f"{using} on {path}: {deadline.when} ({deadline.source}) is"
                f" {days} days away (at least {target})"
            )
        else:  # a passed date is a changed default, not mail that stopped
            reasons.append(
                f"{using} on {path}: {deadline.note_on(today)} ({deadline.source};"
                f" at least {target})"
            )

    failing = evidence.failed_messages > 0
    if failing:
        level = at_least(level, rules.forced_tls_level)
        reasons.append(
            f"{evidence.failed_messages:,} messages refused for their TLS: they fail now"
        )
    elif evidence.forced_tls is True and at_risk > 0:
        reasons.append(
            f"the connector requires TLS, yet its {at_risk:,} at-risk messages were "
            "delivered: still accepted; once Exchange Online refuses TLS 1.0/1.1 "
            "here (begun, never completed: MC229914) they fail instead of falling "
            "back to no TLS"
        )
    elif evidence.forced_tls is False and path in _MX_PATHS:
        reasons.append(
            "opportunistic TLS: these messages are still delivered, weakly or not"
            " encrypted, not refused"
        )

    if stake < rules.tiny_messages and not failing and level != "low":
        level = "low"
        reasons.append(f"only {stake} messages (fewer than {rules.tiny_messages}): low")

    if attributed and legacy_likelihood < rules.low_likelihood:
        lowered = _lower(level)
        reasons.append(
            f"TLS attributed, not observed: likelihood {legacy_likelihood:.0%}"
            f" (below {rules.low_likelihood:.0%}): "
            + (f"one level lower, {lowered}" if lowered != level else "stays low")
        )
        level = lowered
    return level, reasons
