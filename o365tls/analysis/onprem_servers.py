"""Out-of-date on-premises Exchange servers that Exchange Online reports, and what they change
about a finding.

Exchange Online throttles (450 4.7.230) and then blocks (550 5.7.230) mail from out-of-date
on-premises Exchange servers that connect over an inbound connector of type OnPremises. Its
report of those servers (Get-OnPremServerReportInfo, or the EAC report) names each server,
its build and the enforcement dates. A finding on an OnPremises connector, or whose HELO name
or IP is such a server, gains the server's version, support status and enforcement in its
device evidence, and a throttled or blocked server raises its priority: that mail is being
delayed or refused now, whatever its TLS.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from importlib import resources

import pandas as pd

from ..schema import EXCHANGE_SERVER, INBOUND
from .model import MAIL_SERVER, Device, FlowEvidence
from .remediation import at_least

THROTTLED = "throttled"
BLOCKED = "blocked"
REPORTED = "reported"  # out of date, no enforcement (yet)
#: Priority a finding reaches when its server is throttled or blocked.
PRIORITY_FOR = {BLOCKED: "critical", THROTTLED: "high"}
ON_PREMISES = "onpremises"


@dataclass(frozen=True)
class ExchangeVersion:
    first_build: tuple[int, ...]
    name: str
    support: str
    supported: bool


@lru_cache(maxsize=1)
def versions() -> tuple[ExchangeVersion, ...]:
    """The built-in version table (o365tls/data/exchange_versions.toml), in build order."""
    doc = tomllib.loads(
        resources.files("o365tls.data").joinpath("exchange_versions.toml").read_text("utf-8")
    )
    table = [
        ExchangeVersion(_build_key(v["from"]), v["name"], v["support"], v["supported"])
        for v in doc["version"]
    ]
    return tuple(sorted(table, key=lambda v: v.first_build))


def version_of(build: str) -> ExchangeVersion | None:
    """The Exchange version a build number belongs to (15.01.2507.039 reads as 15.1.2507.39);
    None for a build older than any known version or not a build number."""
    key = _build_key(build)
    if not key:
        return None
    found = None
    for version in versions():
        if key >= version.first_build:
            found = version
    return found


def _build_key(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(text).strip().split("."))
    except ValueError:
        return ()


@dataclass(frozen=True)
class OnPremServer:
    """One on-premises Exchange server Exchange Online reports as out of date."""

    name: str  # FQDN as reported
    ip: str
    build: str
    version: str  # "Exchange Server 2016"; "" when the build is unknown
    supported: bool | None
    support: str
    status: str  # blocked, throttled or reported
    since: pd.Timestamp | None  # when that status began
    first_detected: pd.Timestamp | None
    throttled_from: pd.Timestamp | None
    blocked_from: pd.Timestamp | None
    enforcement: str  # the status as exported, if the export has one
    sources: tuple[str, ...] = ()

    def matches(self, hostname: str, ip: str) -> bool:
        """True when a HELO name or IP is this server (an FQDN and its short name match)."""
        if ip and self.ip and ip == self.ip:
            return True
        host, mine = hostname.strip().lower().rstrip("."), self.name.strip().lower()
        if not host or not mine:
            return False
        return (
            host == mine
            or ("." not in host and mine.split(".")[0] == host)
            or ("." not in mine and host.split(".")[0] == mine)
        )

    def describe(self, connector: str) -> str:
        who = self.name + (f" ({self.ip})" if self.ip and self.ip != self.name else "")
        what = self.version or "Exchange server of unknown version"
        build = f"build {self.build}" if self.build else "build not reported"
        support = f"; {self.support}" if self.support else ""
        over = f"'{connector}'" if connector else "an OnPremises connector"
        state = {BLOCKED: "blocked (550 5.7.230)", THROTTLED: "throttled (450 4.7.230)"}.get(
            self.status, "reported, not throttled yet"
        )
        if self.since is not None and self.status in PRIORITY_FOR:
            state += f" since {self.since:%Y-%m-%d}"
        elif self.throttled_from is not None:
            state += f"; throttling from {self.throttled_from:%Y-%m-%d}"
        return (
            f"Exchange Online reports {who} as an out-of-date {what} ({build}{support}) "
            f"connecting over {over}: {state}"
        )


def from_frame(connectors: pd.DataFrame, today: dt.date) -> tuple[OnPremServer, ...]:
    """The exchange-server records of the connectors table, one per server (the latest
    report's line wins where two files name the same server), blocked first."""
    if connectors.empty or "kind" not in connectors.columns:
        return ()
    rows = connectors[connectors["kind"] == EXCHANGE_SERVER]
    by_key: dict[str, OnPremServer] = {}
    for rec in rows.to_dict("records"):
        ips = tuple(rec.get("sender_ip_ranges") or ())
        server = _server(rec, ips[0] if ips else "", today)
        key = server.name.lower()
        known = by_key.get(key)
        if known is not None:
            server = _merged(known, server)
        by_key[key] = server
    order = {BLOCKED: 0, THROTTLED: 1, REPORTED: 2}
    return tuple(sorted(by_key.values(), key=lambda s: (order[s.status], s.name.lower())))


def _merged(earlier: OnPremServer, later: OnPremServer) -> OnPremServer:
    """The later line's facts, with the earlier's where the later has none (the cmdlet names
    no IP, the EAC download may)."""
    kept = {
        f.name: getattr(earlier, f.name)
        for f in fields(OnPremServer)
        if getattr(later, f.name) in ("", None)
    }
    return replace(later, **kept, sources=tuple(dict.fromkeys(earlier.sources + later.sources)))


def _server(rec: dict, ip: str, today: dt.date) -> OnPremServer:
    build = str(rec.get("build") or "")
    version = version_of(build)
    throttled, blocked = _stamp(rec.get("throttled_from")), _stamp(rec.get("blocked_from"))
    enforcement = str(rec.get("enforcement") or "")
    status, since = _status(enforcement, throttled, blocked, today)
    product = str(rec.get("product") or "")
    return OnPremServer(
        name=str(rec.get("name") or ""),
        ip=ip,
        build=build,
        version=version.name if version else _product_name(product),
        supported=version.supported if version else None,
        support=version.support if version else "",
        status=status,
        since=since,
        first_detected=_stamp(rec.get("first_detected")),
        throttled_from=throttled,
        blocked_from=blocked,
        enforcement=enforcement,
        sources=(str(rec.get("source") or ""),),
    )


def _product_name(product: str) -> str:
    """ "ExchangeServer2016" -> "Exchange Server 2016"."""
    text = product.strip()
    if text.lower().startswith("exchangeserver"):
        return ("Exchange Server " + text[len("exchangeserver") :]).strip()
    return text


def _status(enforcement: str, throttled, blocked, today: dt.date):
    word = enforcement.lower()
    if "block" in word:
        return BLOCKED, blocked
    if "throttl" in word:
        return THROTTLED, throttled
    if blocked is not None and blocked.date() <= today:
        return BLOCKED, blocked
    if throttled is not None and throttled.date() <= today:
        return THROTTLED, throttled
    return REPORTED, None


def _stamp(value) -> pd.Timestamp | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value)


def servers_for(
    evidence: FlowEvidence, servers: tuple[OnPremServer, ...]
) -> tuple[tuple[OnPremServer, ...], bool]:
    """The reported servers behind a flow, and whether the flow names them itself (its HELO
    name or IP) rather than only by its OnPremises connector."""
    named = tuple(s for s in servers if s.matches(evidence.hostname, evidence.sender_ip))
    if named:
        return named, True
    on_premises = evidence.connector_type.replace(" ", "").lower() == ON_PREMISES
    if on_premises and evidence.direction in (INBOUND, ""):
        # The report lists only servers that send over OnPremises connectors (and the cmdlet
        # names no IP): each of them may be behind this connector's mail.
        return servers, False
    return (), False


def annotate(
    evidence: FlowEvidence,
    device: Device,
    priority: str | None,
    reasons: list[str],
    servers: tuple[OnPremServer, ...],
) -> tuple[Device, str | None]:
    """The device with the servers' evidence lines, and the priority a throttled or blocked
    server raises (``reasons`` gains why)."""
    found, named = servers_for(evidence, servers)
    if not found:
        return device, priority
    lines = tuple(s.describe(evidence.connector) for s in found)
    if named:  # the flow is the server itself
        device = replace(
            device,
            device_type=MAIL_SERVER,
            confidence=max(device.confidence, 0.95),
            evidence=lines + device.evidence,
        )
    else:
        device = replace(device, evidence=device.evidence + lines)
    if priority is not None:
        for server in found:
            floor = PRIORITY_FOR.get(server.status)
            if floor:
                priority = at_least(priority, floor)
                reasons.append(
                    f"at least {floor}: Exchange Online has {server.status} "
                    f"{server.name} since {server.since:%Y-%m-%d}"
                    if server.since is not None
                    else f"at least {floor}: Exchange Online has {server.status} {server.name}"
                )
    return device, priority
