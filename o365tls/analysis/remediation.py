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
5. failure vs fallback: a connector with Forced TLS makes legacy/plaintext senders fail now
   (``forced_tls_level``); an opportunistic one delivers them without TLS;
6. tiny volume (fewer than ``tiny_messages``): low, unless mail fails now;
7. attributed flows (``attributed=True``) with ``legacy_likelihood`` below
   ``low_likelihood``: one level lower.
"""

from __future__ import annotations

import datetime as dt
from itertools import product

from .knowledge import ANY, Knowledge, load_knowledge
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

__all__ = ["Knowledge", "choose", "load_knowledge", "priority", "situations", "tls_state"]

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


def choose(evidence: FlowEvidence, device: Device,
           knowledge: Knowledge | None = None) -> Remediation:
    """The guidance for one flow, with the deadline that applies to it."""
    knowledge = knowledge or load_knowledge()
    return knowledge.remediation(knowledge.entry_for(*_situation(evidence, device)))


# --- priority ------------------------------------------------------------------------------


def _rank(level: str) -> int:
    return PRIORITIES.index(level)  # 0 = critical, the most urgent


def at_least(level: str, floor: str) -> str:
    return floor if _rank(floor) < _rank(level) else level


def _lower(level: str) -> str:
    return PRIORITIES[min(_rank(level) + 1, len(PRIORITIES) - 1)]


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.1 else f"{share * 100:.2g}%"


def priority(evidence: FlowEvidence, device: Device, legacy_likelihood: float,
             at_risk_messages: int, total_messages: int, today: dt.date, *,
             attributed: bool = False,
             knowledge: Knowledge | None = None) -> tuple[str, list[str]]:
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

    applying = [r for r in rules.deadlines
                if (ANY in r.paths or path in r.paths) and (basic or legacy)]
    stake = max(at_risk, evidence.messages) if applying and basic else at_risk
    share = stake / total_messages if total_messages > 0 else 0.0
    if stake >= rules.high_messages or share >= rules.high_share:
        level = "high"
    elif stake >= rules.medium_messages or share >= rules.medium_share:
        level = "medium"
    else:
        level = "low"
    what = "messages at risk" if stake == at_risk else "messages on Basic auth"
    reasons.append(f"{stake:,} {what} ({_percent(share)} of the tenant's {total_messages:,}):"
                   f" {level} on volume")

    for rule in rules.ceilings:
        if rule.match.hits(device_type, path, state) and _rank(level) < _rank(rule.level):
            level = rule.level
            reasons.append(f"at most {rule.level}: {rule.reason}")
    for rule in rules.floors:
        if rule.match.hits(device_type, path, state):
            level = at_least(level, rule.level)
            reasons.append(f"at least {rule.level}: {rule.reason}")

    for rule in applying:
        deadline = deadlines[rule.deadline]
        days = (deadline.date - today).days  # validated: priority deadlines have a date
        using = " and ".join(x for x, on in (("Basic auth", basic), ("TLS 1.0/1.1", legacy)) if on)
        when = f"{days} days away" if days >= 0 else f"passed {-days} days ago"
        target = "critical" if days <= rule.critical_within_days else rule.level
        level = at_least(level, target)
        reasons.append(f"{using} on {path}: {deadline.when} ({deadline.source}) is {when}"
                       f" (at least {target})")

    failing = evidence.forced_tls is True and at_risk > 0
    if failing:
        level = at_least(level, rules.forced_tls_level)
        who = "TLS 1.0/1.1 senders" if state == LEGACY else "senders without TLS"
        reasons.append(f"the connector forces TLS: {who} fail now")
    elif evidence.forced_tls is False and path in _MX_PATHS:
        reasons.append("opportunistic TLS: these messages are still delivered, weakly or not"
                       " encrypted, not refused")

    if stake < rules.tiny_messages and not failing and level != "low":
        level = "low"
        reasons.append(f"only {stake} messages (fewer than {rules.tiny_messages}): low")

    if attributed and legacy_likelihood < rules.low_likelihood:
        lowered = _lower(level)
        reasons.append(f"TLS attributed, not observed: likelihood {legacy_likelihood:.0%}"
                       f" (below {rules.low_likelihood:.0%}): "
                       + (f"one level lower, {lowered}" if lowered != level else "stays low"))
        level = lowered
    return level, reasons
