"""Device classification: who is behind a flow (findings.json ``device_type``).

Knowledge is data: the signals live in ``o365tls/data/device_rules.toml`` and the user's
``--rules FILE`` (loaded by :mod:`.device_rules`); this module evaluates them. The user's
inventory (:mod:`.inventory`) beats every rule. Rules vote per device type: confidence =
1 - prod(1 - weight) over the matching rules of that type; the best type wins and keeps its
evidence lines, and strong evidence for a competing type is listed too. Every value quoted in
evidence is hostile text: it is clipped and inserted with a plain replace of ``{value}``, never
through ``str.format``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .device_rules import COUNTED, Condition, Rule, RuleSet, load_rules
from .inventory import Inventory, clip, load_inventory
from .model import DEVICE_TYPES, UNKNOWN_DEVICE, Device, FlowEvidence

__all__ = [
    "Rule",
    "RuleSet",
    "load_rules",
    "load_inventory",
    "Inventory",
    "classify",
    "field_values",
    "volume_pattern",
]

MATCH_CHARS = 512  # values are searched in their first 512 characters only
FULL_SHARE = 0.5  # a subject on half of the messages or more counts with its full weight
MIN_CONFIDENCE = 0.1  # below this the flow stays "unknown"
HEURISTIC_CAP = 0.99  # only the inventory (or a user rule of weight 1) is certain
STRONG = 0.4  # competing evidence at least this strong is shown


@dataclass(frozen=True)
class _Match:
    rule: Rule
    weight: float  # effective: counted fields are scaled by their share of messages
    text: str

    def line(self) -> str:
        return f"{self.text} [{self.rule.id}, weight {self.weight:.2f}]"


def classify(evidence: FlowEvidence, rules: RuleSet, inventory: Inventory | None = None) -> Device:
    """The device behind one flow, with confidence (0..1) and human-readable evidence."""
    hit = inventory.match(evidence) if inventory is not None else None
    if hit is not None and inventory is not None and hit.row.device_type != UNKNOWN_DEVICE:
        row = hit.row
        return Device(
            row.device_type,
            1.0,
            (hit.describe(inventory.path),),
            row.name,
            row.owner,
            row.site,
            "inventory",
        )
    device = _heuristic(evidence, rules)
    if hit is not None and inventory is not None:
        # the inventory names the device but leaves its type to the rules
        note = hit.describe(inventory.path) + " (no type given: type from the rules below)"
        device = Device(
            device.device_type,
            device.confidence,
            (note, *device.evidence),
            hit.row.name,
            hit.row.owner,
            hit.row.site,
            device.source,
        )
    return device


def _heuristic(evidence: FlowEvidence, rules: RuleSet) -> Device:
    values = field_values(evidence)
    matches = [m for m in (_match(rule, values) for rule in rules) if m is not None]
    if not matches:
        return Device(UNKNOWN_DEVICE, 0.0, ("no classification signal",))
    by_type: dict[str, list[_Match]] = {}
    for m in sorted(matches, key=lambda m: -m.weight):
        by_type.setdefault(m.rule.device_type, []).append(m)
    scores = {t: _combine(ms) for t, ms in by_type.items()}

    def rank(t: str) -> tuple:
        ms = by_type[t]
        return (
            scores[t],
            any(m.rule.source == "rules" for m in ms),
            ms[0].weight,
            -DEVICE_TYPES.index(t),
        )

    ordered = sorted(by_type, key=rank, reverse=True)
    best = ordered[0]
    if scores[best] < MIN_CONFIDENCE:
        lines = [f"signals too weak to classify (best: {best} {scores[best]:.2f})"]
        return Device(UNKNOWN_DEVICE, 0.0, tuple(lines + [m.line() for m in matches]))
    lines = [m.line() for m in by_type[best]]
    for other in ordered[1:]:
        strong = [m for m in by_type[other] if m.weight >= STRONG]
        lines += [f"competing {other} ({scores[other]:.2f}): {m.line()}" for m in strong]
    source = "rules" if any(m.rule.source == "rules" for m in by_type[best]) else "heuristic"
    return Device(best, scores[best], tuple(lines), source=source)


def _combine(matches: list[_Match]) -> float:
    rest = 1.0
    for m in matches:
        rest *= 1.0 - m.weight
    confidence = 1.0 - rest
    if all(m.weight < 1.0 for m in matches):
        confidence = min(confidence, HEURISTIC_CAP)
    return round(max(0.0, min(1.0, confidence)), 4)


def _match(rule: Rule, values: dict[str, list[tuple[str, int]]]) -> _Match | None:
    if not all(_holds(c, values) for c in rule.require):
        return None
    if any(_holds(c, values) for c in rule.unless):
        return None
    best: _Match | None = None
    for name in rule.fields:
        found = [(v, n) for v, n in values.get(name, ()) if rule.pattern.search(v[:MATCH_CHARS])]
        if not found:
            continue
        text = _render(rule.evidence, found[0][0])
        weight = rule.weight
        if name in COUNTED:
            count = sum(n for _, n in found)
            total = max(sum(n for _, n in values[name]), values["#sample"][0][1])
            share = count / total if total else 1.0
            weight = rule.weight * min(1.0, share / FULL_SHARE)
            text += f" (on {count} of {total} messages)"
        if best is None or weight > best.weight:
            best = _Match(rule, weight, text)
    return best


def _holds(condition: Condition, values: dict[str, list[tuple[str, int]]]) -> bool:
    """A require/unless condition; a field with no value is tested as the empty text."""
    for name in condition.fields:
        candidates = values.get(name) or [("", 0)]
        if any(condition.pattern.search(v[:MATCH_CHARS]) for v, _ in candidates):
            return True
    return False


def _render(template: str, value: str) -> str:
    # A plain replace: the template may come from the user, the value from hostile input.
    return template.replace("{value}", clip(value))


def field_values(evidence: FlowEvidence) -> dict[str, list[tuple[str, int]]]:
    """The values rules look at: scalar fields as [(text, 0)] when known, counted fields as
    (text, messages) pairs; ``#sample`` carries the message count subject shares are taken of."""
    out: dict[str, list[tuple[str, int]]] = {}

    def put(name: str, value: object) -> None:
        text = "" if value is None else str(value).strip()
        if text:
            out[name] = [(text, 0)]

    for name in (
        "connector_type",
        "direction",
        "path",
        "scope",
        "sender_ip",
        "hostname",
        "ptr",
        "auth_user",
        "auth_protocol",
        "sender_address",
    ):
        put(name, getattr(evidence, name, ""))
    # Exchange Server names receive connectors "SERVER\Name": the server part says nothing
    # about the devices that use the connector.
    put("connector", str(evidence.connector or "").rsplit("\\", 1)[-1])
    port = _int(evidence.local_port)
    put("local_port", port if port > 0 else "")
    if evidence.forced_tls is not None:
        put("forced_tls", "true" if evidence.forced_tls else "false")
    address = str(evidence.sender_address or evidence.auth_user or "").strip().strip("<>")
    local, _, domain = address.rpartition("@") if "@" in address else (address, "", "")
    put("sender_local", local)
    put("sender_domain", domain)
    for name, pairs in (
        ("subject", evidence.subjects),
        ("message_id_host", evidence.message_id_hosts),
    ):
        counted = [(str(v).strip(), max(_int(n), 0)) for v, n in _pairs(pairs)]
        if name == "message_id_host":
            counted = [(v.strip("<>").rsplit("@", 1)[-1], n) for v, n in counted if v]
        if counted:
            out[name] = counted
    put("volume_pattern", volume_pattern(evidence.hours, evidence.weekdays))
    # What subject shares are taken of: the sighted messages they were counted from when known
    # (the hour histogram counts the same messages), else the flow's message count.
    sample = _int(getattr(evidence, "sighted_messages", 0))
    if sample <= 0 and len(evidence.hours) == 24:
        sample = sum(max(_int(h), 0) for h in evidence.hours)
    if sample <= 0:
        sample = _int(evidence.messages)
    out["#sample"] = [("", max(sample, 0))]
    return out


def _pairs(pairs: Any) -> list[tuple[object, object]]:
    try:
        return [(p[0], p[1]) for p in pairs if isinstance(p, (tuple, list)) and len(p) == 2]
    except TypeError:
        return []


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return 0


# Volume pattern thresholds: weak signals, so deliberately plain.
MIN_PATTERN_MESSAGES = 20


def volume_pattern(hours: tuple[int, ...], weekdays: tuple[int, ...]) -> str:
    """``office-hours``, ``around-the-clock`` or ``batch`` with the numbers behind it, or "".

    Hours are UTC and the tenant's time zone is unknown, so office hours are "most messages in
    some 10 consecutive hours" rather than 8-18 local. Weekdays are Monday..Sunday."""
    hours_ok = len(hours) == 24 and all(_int(h) >= 0 for h in hours)
    days_ok = len(weekdays) == 7 and all(_int(d) >= 0 for d in weekdays)
    h = [_int(x) for x in hours] if hours_ok else []
    d = [_int(x) for x in weekdays] if days_ok else []
    n = sum(h)
    if n < MIN_PATTERN_MESSAGES:
        return ""
    weekend = (d[5] + d[6]) / sum(d) if d and sum(d) else None

    def window(width: int) -> float:  # the busiest `width` consecutive hours, wrapping midnight
        return max(sum(h[(start + i) % 24] for i in range(width)) for start in range(24)) / n

    w3, w10 = window(3), window(10)
    active = sum(1 for x in h if x)
    peak = max(h) / n
    days = f", {weekend:.0%} at weekends" if weekend is not None else ""
    if weekend is not None and weekend >= 0.15 and w3 >= 0.8:
        return f"batch ({w3:.0%} of {n} messages within 3 hours{days})"
    if active >= 18 and peak <= 0.12 and (weekend is None or weekend >= 0.1):
        return f"around-the-clock ({n} messages over {active} hours of the day{days})"
    if w10 >= 0.85 and active >= 3 and (weekend is None or weekend <= 0.05):
        return f"office-hours ({w10:.0%} of {n} messages within 10 hours{days})"
    return ""
