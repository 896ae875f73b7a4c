"""Hops and the hosts that negotiate TLS on them.

TLS is negotiated per SMTP hop, by the two hosts of that hop. A scanner that hands its mail to
a relay never talks TLS to Exchange Online: the relay does, on the next hop, so the connector
report's TLS mix for that connector is the relay's. An on-premises Exchange server has two
hops that are one problem: it receives from devices (its receive connectors, server side) and
sends to Exchange Online (its send connector, client side).

:class:`Host` is what the evidence says about the host on the tenant's side of a hop: its
names, IP, software and support status. :func:`evidence_of` turns a flow into the facts the
classifier and the remediation chooser read, with the host's software where it is known.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import PurePath

from ..quality import FileReport
from .flows import Flow
from .model import FlowEvidence
from .onprem_servers import OnPremServer, version_of

#: Host kinds: an Exchange server (its logs, a hybrid connector or Exchange Online's report of
#: out-of-date servers say so), a relay of another make (Postfix, IIS SMTP, an appliance), or
#: not known.
EXCHANGE = "exchange"
RELAY = "relay"
UNKNOWN_HOST = "unknown"


@dataclass(frozen=True)
class Host:
    """The host on the tenant's side of a hop that negotiates its TLS."""

    kind: str  # EXCHANGE, RELAY or UNKNOWN_HOST
    name: str = ""  # the inventory's name, a server name, or a certificate / HELO name
    ip: str = ""  # the public IP Exchange Online sees (connector configuration, trace)
    names: tuple[str, ...] = ()  # every other name the evidence gives it (FQDN, HELO, LAN IP)
    software: str = ""  # "Microsoft Exchange Server 14.0.0.0" as its logs name it
    version: str = ""  # "Exchange Server 2010"
    build: str = ""
    supported: bool | None = None
    support: str = ""  # "out of support since October 2020"
    evidence: tuple[str, ...] = ()  # where each fact comes from
    owner: str = ""
    site: str = ""

    @property
    def label(self) -> str:
        """How a reader knows it: "EXCH01 (198.51.100.30, mail.northwindtraders.example)"."""
        name = (
            self.name
            or (f"relay at {self.ip}" if self.kind == RELAY and self.ip else self.ip)
            or "an unnamed host"
        )
        extra = [x for x in (self.ip, *self.names) if x and x not in name]
        return f"{name} ({', '.join(extra)})" if extra else name


def with_version(host: Host, software: str, source: str) -> Host:
    """``host`` with the Exchange version its own log header names (``#Software: Microsoft
    Exchange Server`` and ``#Version: 14.0.0.0``), read against the built-in version table."""
    if "exchange" not in software.lower():
        return host
    build = software.split()[-1] if software.split() else ""
    version = version_of(build)
    facts = f"{PurePath(source).name}: '{software}'"
    if version is None:
        return replace(
            host,
            kind=EXCHANGE,
            software=software,
            evidence=(*host.evidence, f"{facts} (build not in the version table)"),
        )
    return replace(
        host,
        kind=EXCHANGE,
        software=software,
        version=version.name,
        build=build,
        supported=version.supported,
        support=version.support,
        evidence=(*host.evidence, f"{facts}: {version.name}, {version.support}"),
    )


def with_report(host: Host, server: OnPremServer) -> Host:
    """``host`` with what Exchange Online's report of out-of-date servers says of it."""
    return replace(
        host,
        kind=EXCHANGE,
        version=server.version or host.version,
        build=server.build or host.build,
        supported=server.supported if server.supported is not None else host.supported,
        support=server.support or host.support,
        names=tuple(dict.fromkeys((*host.names, server.name)))
        if server.name and server.name != host.name
        else host.names,
        evidence=(*host.evidence, server.describe("")),
    )


def software_by_source(inputs: tuple[FileReport, ...] | list[FileReport]) -> dict[str, str]:
    """The software each log file names in its header, by file path."""
    return {r.path: r.software for r in inputs if getattr(r, "software", "")}


def evidence_of(flow: Flow, path: str, host: Host | None = None) -> FlowEvidence:
    """What the classifier and the remediation chooser read of a flow (and of the host that
    negotiates its TLS, when a root cause names one)."""
    return FlowEvidence(
        connector=flow.connector,
        connector_type=flow.connector_type,
        direction=flow.direction,
        sender_ip=flow.sender_ip,
        sender_address=flow.sender_address,
        hostname=flow.hostname,
        ptr=flow.ptr,
        auth_user=flow.auth_user,
        auth_protocol=flow.auth_protocol,
        local_port=flow.local_port,
        path=path,
        subjects=flow.subjects,
        message_id_hosts=flow.message_id_hosts,
        hours=flow.hours,
        weekdays=flow.weekdays,
        messages=flow.tls.messages,
        tls=flow.tls,
        forced_tls=flow.forced_tls,
        scope=flow.scope,
        sighted_messages=flow.sighted_messages,
        internal_messages=flow.internal_messages,
        external_messages=flow.external_messages,
        host_kind=host.kind if host is not None else "",
    )
