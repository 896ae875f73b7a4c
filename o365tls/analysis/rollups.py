"""Roll flows up by connector, sender IP, sender address and device type."""

from __future__ import annotations

from collections.abc import Callable

from .model import TlsCounts
from .results import Finding, Rollup

KEYS: dict[str, Callable[[Finding], dict]] = {
    # The scope keeps SMTP AUTH submissions apart from mail without a connector.
    "by_connector": lambda f: {
        "connector": f.flow.connector,
        "direction": f.flow.direction,
        "scope": f.flow.scope,
    },
    "by_sender_ip": lambda f: {"sender_ip": f.flow.sender_ip},
    "by_sender_address": lambda f: {"sender_address": f.flow.sender_address},
    "by_device_type": lambda f: {"device_type": f.device.device_type},
}


def group(flows: tuple[Finding, ...], name: str) -> tuple[Rollup, ...]:
    """Groups sorted by at-risk messages (legacy + plaintext), then messages, descending."""
    key_of = KEYS[name]
    acc: dict[tuple, dict] = {}
    for finding in flows:
        key = key_of(finding)
        slot = acc.setdefault(
            tuple(sorted(key.items())),
            {"key": key, "tls": TlsCounts(), "first": None, "last": None, "findings": 0},
        )
        slot["tls"] = slot["tls"] + finding.flow.tls
        slot["findings"] += int(finding.at_risk)
        first, last = finding.flow.first_seen, finding.flow.last_seen
        if first is not None and (slot["first"] is None or first < slot["first"]):
            slot["first"] = first
        if last is not None and (slot["last"] is None or last > slot["last"]):
            slot["last"] = last
    groups = [
        Rollup(s["key"], s["tls"], s["first"], s["last"], s["findings"]) for s in acc.values()
    ]
    groups.sort(key=lambda g: (-g.tls.at_risk, -g.tls.messages, sorted(g.key.items())))
    return tuple(groups)
