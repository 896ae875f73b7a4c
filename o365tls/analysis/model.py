"""Result types of the analysis: plain frozen dataclasses with roll-up arithmetic.

One :class:`Results` object feeds findings.json, flows.csv, the HTML report and the workbook.
Shares are computed properties, never stored twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..tls import AT_RISK_VERSIONS, LEGACY_VERSIONS, NONE, TLS_VERSIONS

# Device types (findings.json device_type).
MFP = "mfp"
ERP = "erp"
APPLICATION = "application"
MAIL_SERVER = "mail-server"
THIRD_PARTY = "third-party-service"
PARTNER_MTA = "partner-mta"
USER_CLIENT = "user-client"
UNKNOWN_DEVICE = "unknown"
DEVICE_TYPES: tuple[str, ...] = (
    MFP,
    ERP,
    APPLICATION,
    MAIL_SERVER,
    THIRD_PARTY,
    PARTNER_MTA,
    USER_CLIENT,
    UNKNOWN_DEVICE,
)

# Submission paths (findings.json path).
CLIENT_SUBMISSION = "client-submission"
CONNECTOR_RELAY = "connector-relay"
DIRECT_SEND = "direct-send"
INTERNET = "internet"
ON_PREM = "on-prem"
PATHS: tuple[str, ...] = (CLIENT_SUBMISSION, CONNECTOR_RELAY, DIRECT_SEND, INTERNET, ON_PREM)

# TLS states a remediation is chosen for.
LEGACY = "legacy"
PLAINTEXT = "plaintext"
TLS_STATES: tuple[str, ...] = (LEGACY, PLAINTEXT)

PRIORITIES: tuple[str, ...] = ("critical", "high", "medium", "low")


@dataclass(frozen=True)
class TlsCounts:
    """Messages per TLS version. Add them up with ``+``."""

    counts: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, pairs: Mapping[str, int] | Iterable[tuple[str, int]]) -> TlsCounts:
        c: Counter = Counter()
        items = pairs.items() if isinstance(pairs, Mapping) else pairs
        for version, n in items:
            if n:
                c[version] += int(n)
        return cls({v: c[v] for v in TLS_VERSIONS if c[v]})

    def __add__(self, other: TlsCounts) -> TlsCounts:
        return TlsCounts.of(list(self.counts.items()) + list(other.counts.items()))

    def __getitem__(self, version: str) -> int:
        return int(self.counts.get(version, 0))

    @property
    def messages(self) -> int:
        return sum(self.counts.values())

    @property
    def legacy(self) -> int:
        return sum(n for v, n in self.counts.items() if v in LEGACY_VERSIONS)

    @property
    def plaintext(self) -> int:
        return self[NONE]

    @property
    def at_risk(self) -> int:
        return sum(n for v, n in self.counts.items() if v in AT_RISK_VERSIONS)

    @property
    def at_risk_share(self) -> float:
        return self.at_risk / self.messages if self.messages else 0.0

    def as_dict(self) -> dict[str, int]:
        """Every version of the vocabulary, zeros included (findings.json ``by_tls``)."""
        return {v: self[v] for v in TLS_VERSIONS}

    def versions(self) -> list[str]:
        return [v for v in TLS_VERSIONS if self[v]]


@dataclass(frozen=True)
class FlowEvidence:
    """What the analysis knows about one flow identity, for the device classifier and the
    remediation chooser. Empty strings mean "not known"."""

    connector: str = ""
    connector_type: str = ""  # Partner, OnPremises, Internet, receive connector usage...
    direction: str = ""  # inbound / outbound
    sender_ip: str = ""
    sender_address: str = ""
    hostname: str = ""  # EHLO/HELO
    ptr: str = ""  # reverse DNS
    auth_user: str = ""
    auth_protocol: str = ""  # Basic / OAuth
    local_port: int = 0
    path: str = ""  # one of PATHS
    subjects: tuple[tuple[str, int], ...] = ()  # most common subjects with counts
    message_id_hosts: tuple[tuple[str, int], ...] = ()  # Message-ID right-hand sides
    hours: tuple[int, ...] = ()  # messages per UTC hour of day, 24 values (may be empty)
    weekdays: tuple[int, ...] = ()  # messages per weekday Mon..Sun, 7 values (may be empty)
    messages: int = 0
    tls: TlsCounts = field(default_factory=TlsCounts)
    forced_tls: bool | None = None  # the connector requires TLS: legacy senders fail
    scope: str = ""  # exo, exo-submission or on-prem
    # Messages that subjects / message_id_hosts / hours / weekdays were counted from (sighted
    # in traces or logs); 0 = unknown. Subject shares are taken of this, not of `messages`.
    sighted_messages: int = 0
    # Of the sighted messages: those whose every recipient is in the tenant, and the rest.
    internal_messages: int = 0
    external_messages: int = 0
    # The kind of host that negotiates this hop's TLS (exchange, relay), when a root cause
    # names it; "" when not known.
    host_kind: str = ""
    # Messages of this flow that evidence shows refused for their TLS (not delivered); the
    # counted at-risk messages were delivered, whatever the connector requires.
    failed_messages: int = 0


@dataclass(frozen=True)
class Device:
    """A device classification with its evidence."""

    device_type: str = UNKNOWN_DEVICE
    confidence: float = 0.0
    evidence: tuple[str, ...] = ()
    name: str = ""  # from the inventory
    owner: str = ""
    site: str = ""
    source: str = "heuristic"  # heuristic, rules, inventory


@dataclass(frozen=True)
class Remediation:
    id: str
    title: str
    steps: tuple[str, ...]
    powershell: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    stopgap: str = ""
    deadline: str = ""  # ISO date of the deadline that applies, if any
    deadline_note: str = ""
    what_you_will_see: str = ""  # the reply codes a failing device gets
    verify: tuple[str, ...] = ()  # how to check that the fix worked
    links: tuple[tuple[str, str], ...] = ()  # (title, url) of the public sources
    draft_message: str = ""  # a message to send the other organization
    deadline_when: str = ""  # the deadline as people say it ("the day you turn on ...")
    checked: str = ""  # ISO date the guidance was last checked against its sources
