"""Root causes: one finding per host that negotiates legacy TLS or none, with the flows behind
it listed inside.

The flows partition the messages; a root cause groups the at-risk flows whose TLS one host
negotiates (see :mod:`.hops`):

* **An on-premises Exchange server.** Its send hop to Exchange Online (its protocol log,
  SMTP Send, client side) and the Exchange Online hop of the inbound connector that takes its
  mail (the connector whose ``TlsSenderCertificateName`` is the name the server gives in EHLO)
  are one problem: the server's SChannel client side. Its version comes from its logs' own
  header, read against the built-in version table.
* **A relay.** Devices that reach Exchange Online through one IP on a tenant connector, all
  with the same TLS versions (different versions per sender would mean devices behind NAT
  that negotiate themselves), or whose Message-IDs name several devices, or that the
  inventory names as a mail server: the relay negotiates the hop, so the relay is the finding.

A device behind a relay keeps its own finding only where its own hop is shown at risk (an
on-premises receive log of that device). Everything else stays a finding of its own. A root
cause with one flow keeps that flow's id; one with several gets the id of its host on the hop
into Exchange Online, and lists the ids of its flows (``flows[].id``), which is how the
history and the plan find what earlier snapshots called its flows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import pandas as pd

from ..inputs.scopes import EXO, is_on_prem
from ..schema import DIRECTION, HOSTNAME, INBOUND, OUTBOUND, SENDER_IP
from .connectors import ConnectorBook, ConnectorInfo
from .flows import Flow
from .hops import EXCHANGE, RELAY, Host, software_by_source, with_report, with_version
from .inventory import Inventory
from .model import CONNECTOR_RELAY, MAIL_SERVER, Device, FlowEvidence, TlsCounts
from .onprem_servers import OnPremServer
from .results import Finding

#: Judges a root cause's merged flow: (flow, path, host, device) -> the finding.
Judge = Callable[[Flow, str, Host, Device], Finding]


@dataclass(frozen=True)
class RootCause:
    """A host and the at-risk flows whose TLS it negotiates."""

    host: Host
    members: tuple[Finding, ...]
    anchor: Finding  # the member on the hop into Exchange Online (else the largest)
    why: tuple[str, ...]  # why these flows are this host's


def group(
    findings: Iterable[Finding],
    *,
    book: ConnectorBook,
    inputs,
    servers: tuple[OnPremServer, ...] = (),
    inventory: Inventory | None = None,
    client_names: dict[str, tuple[tuple[str, int], ...]] | None = None,
    judge: Judge,
) -> list[Finding]:
    """The findings with the flows of each root cause replaced by one finding for its host.
    ``client_names``: per client IP, the names it gave on an inbound hop into Exchange Online
    with their message counts (:func:`client_names`)."""
    findings = list(findings)
    causes = [*_exchange_servers(findings, book, inputs, servers, inventory)]
    taken = {id(m) for c in causes for m in c.members}
    causes += _relays(
        [f for f in findings if id(f) not in taken], book, inventory, client_names or {}
    )
    by_member = {id(m): c for c in causes for m in c.members}
    out, done = [], set()
    for f in findings:
        cause = by_member.get(id(f))
        if cause is None:
            out.append(f)
        elif id(cause) not in done:
            done.add(id(cause))
            out.append(_card(cause, judge))
    return out


# --- Exchange servers --------------------------------------------------------------------


def _exchange_servers(
    findings: list[Finding],
    book: ConnectorBook,
    inputs,
    servers: tuple[OnPremServer, ...],
    inventory: Inventory | None,
) -> list[RootCause]:
    software = software_by_source(inputs)
    names = _server_names(findings, book)
    causes = []
    for send in findings:
        f = send.flow
        if not (send.at_risk and is_on_prem(f.scope) and f.direction == OUTBOUND and f.hostname):
            continue
        connectors = [
            c
            for c in book.by_name.values()
            if c.kind == "inbound" and _names_match(c.tls_sender_certificate_name, f.hostname)
        ]
        wanted = {c.name.lower() for c in connectors}
        exo = [
            x
            for x in findings
            if x.at_risk
            and x.flow.scope == EXO
            and x.flow.direction == INBOUND
            and x.flow.connector.lower() in wanted
        ]
        ip = next((a for c in connectors for a in _single_addresses(c)), "")
        why = [
            f"its send connector '{f.connector}' negotiates "
            f"{_versions(f.tls)} with Exchange Online as a client (SMTP Send protocol log; "
            f"EHLO {f.hostname}, LAN IP {f.sender_ip or 'not logged'})"
        ]
        for c in connectors:
            why.append(
                f"inbound connector '{c.name}' takes its mail: TlsSenderCertificateName "
                f"{c.tls_sender_certificate_name}"
                + (
                    f", SenderIPAddresses {', '.join(c.sender_ip_ranges)}"
                    if c.sender_ip_ranges
                    else ""
                )
            )
        host = Host(
            kind=EXCHANGE,
            name=names[0] if len(names) == 1 else "",
            ip=ip,
            names=tuple(x for x in (f.hostname, f.sender_ip) if x),
            evidence=tuple(why),
        )
        for source in f.sources:
            if software.get(source):
                host = with_version(host, software[source], source)
                break
        for server in servers:
            if server.matches(f.hostname, ip):
                host = with_report(host, server)
        host = _with_inventory(host, inventory, [ip, f.sender_ip], [f.hostname, host.name])
        why = list(host.evidence)
        members = tuple(sorted((send, *exo), key=lambda m: -m.flow.tls.at_risk))
        causes.append(RootCause(host, members, exo[0] if exo else send, tuple(why)))
    return causes


def _server_names(findings: list[Finding], book: ConnectorBook) -> list[str]:
    """The on-premises Exchange server names that receive connectors give (``EXCH01\\Name``)."""
    seen = {
        c.name.split("\\", 1)[0]
        for c in book.by_name.values()
        if c.kind == "receive" and "\\" in c.name
    }
    seen |= {
        f.flow.connector.split("\\", 1)[0]
        for f in findings
        if is_on_prem(f.flow.scope) and "\\" in f.flow.connector
    }
    return sorted(s for s in seen if s)


def _names_match(pattern: str, name: str) -> bool:
    pattern, name = pattern.strip().lower().rstrip("."), name.strip().lower().rstrip(".")
    if not pattern or not name:
        return False
    if pattern.startswith("*."):
        return name.endswith(pattern[1:])
    return pattern == name


def _single_addresses(connector: ConnectorInfo) -> list[str]:
    """The connector's sender IPs that are one address each (a /32, /128 or bare IP)."""
    out = []
    for text in connector.sender_ip_ranges:
        try:
            net = ipaddress.ip_network(text.strip(), strict=False)
        except ValueError:
            continue
        if net.num_addresses == 1:
            out.append(str(net.network_address))
    return out


# --- relays --------------------------------------------------------------------------------


def client_names(obs: pd.DataFrame) -> dict[str, tuple[tuple[str, int], ...]]:
    """Per client IP, the names it gave on inbound hops into Exchange Online (trace detail's
    ClientName), most messages first. On such a hop the client is the host that negotiated its
    TLS: a relay's own name, whatever sent the mail to it."""
    named = obs[
        (obs["scope"] == EXO)
        & (obs[DIRECTION] == INBOUND)
        & (obs[SENDER_IP] != "")
        & (obs[HOSTNAME] != "")
    ]
    if named.empty:
        return {}
    counts = named.groupby([SENDER_IP, named[HOSTNAME].str.lower()]).size()
    out: dict[str, list[tuple[str, int]]] = {}
    for (ip, name), n in counts.items():
        out.setdefault(str(ip), []).append((str(name), int(n)))
    return {ip: tuple(sorted(pairs, key=lambda p: (-p[1], p[0]))) for ip, pairs in out.items()}


def _relays(
    findings: list[Finding],
    book: ConnectorBook,
    inventory: Inventory | None,
    client_names: dict[str, tuple[tuple[str, int], ...]],
) -> list[RootCause]:
    groups: dict[tuple[str, str], list[Finding]] = {}
    for f in findings:
        flow = f.flow
        if (
            f.at_risk
            and flow.scope == EXO
            and flow.direction == INBOUND
            and f.path == CONNECTOR_RELAY
            and flow.connector
            and flow.sender_ip
        ):
            groups.setdefault((flow.connector.lower(), flow.sender_ip), []).append(f)
    causes = []
    for (connector, ip), members in sorted(groups.items()):
        named = _inventory_row(inventory, ip)
        senders = sorted({m.flow.sender_address for m in members if m.flow.sender_address})
        mixes = {
            tuple(v for v in m.flow.tls.versions() if v not in ("TLS1.2", "TLS1.3"))
            for m in members
        }
        devices = _devices(members)
        why = []
        if named is not None and inventory is not None and named.row.device_type == MAIL_SERVER:
            why.append(named.describe(inventory.path))
        if len(senders) > 1 and len(mixes) == 1:
            first = members[0].flow
            why.append(
                f"{len(senders)} senders reach Exchange Online through the one IP {ip} "
                f"on '{first.connector}', all with {_versions(first.tls)}: one host "
                "negotiates for them"
            )
        if len(devices) > 1:
            why.append(
                f"the Message-IDs name {len(devices)} devices behind it: "
                + ", ".join(devices[:8])
                + (" ..." if len(devices) > 8 else "")
            )
        if not why or (len(mixes) > 1 and named is None):
            continue  # different TLS per sender: devices behind NAT negotiate themselves
        given = client_names.get(ip, ())
        if given:
            said = ", ".join(
                f"'{name}' ({n} message{'s' if n != 1 else ''})" for name, n in given[:3]
            )
            why.append(f"Exchange Online's trace detail names the client at {ip}: {said}")
        rest = [
            f
            for f in findings
            if f.at_risk
            and f.flow.scope == EXO
            and f.flow.direction == INBOUND
            and f.flow.connector.lower() == connector
            and not f.flow.sender_key
            and _only(book.get(f.flow.connector), ip)
        ]
        names = tuple(
            dict.fromkeys(
                [
                    *(name for name, _ in given),
                    *(x for m in members for x in (m.flow.hostname, m.flow.ptr) if x),
                ]
            )
        )
        # One name the hop's own client gave is the relay's name; several stay names.
        host = Host(
            kind=RELAY,
            ip=ip,
            name=given[0][0] if len(given) == 1 else "",
            names=names if len(given) != 1 else names[1:],
            evidence=tuple(why),
        )
        host = _with_inventory(host, inventory, [ip], [host.name, *host.names])
        everyone = tuple(sorted((*members, *rest), key=lambda m: -m.flow.tls.at_risk))
        anchor = max(everyone, key=lambda m: m.flow.tls.at_risk)
        causes.append(RootCause(host, everyone, anchor, tuple(why)))
    return causes


def _inventory_row(inventory: Inventory | None, ip: str, hostname: str = ""):
    if inventory is None:
        return None
    return inventory.match(FlowEvidence(sender_ip=ip, hostname=hostname))


def _with_inventory(
    host: Host, inventory: Inventory | None, ips: list[str], names: list[str]
) -> Host:
    """``host`` with the inventory row that names one of its IPs or names: the row's name,
    owner and site (the inventory beats every name the logs give)."""
    for ip, name in [*((ip, "") for ip in ips if ip), *(("", n) for n in names if n)]:
        hit = _inventory_row(inventory, ip, name)
        if hit is None:
            continue
        assert inventory is not None  # hit: a row of it
        row = hit.row
        described = hit.describe(inventory.path)
        evidence = host.evidence if described in host.evidence else (*host.evidence, described)
        return replace(
            host,
            name=row.name or host.name,
            owner=row.owner,
            site=row.site,
            names=tuple(dict.fromkeys((*host.names, host.name)))
            if row.name and host.name and row.name != host.name
            else host.names,
            evidence=evidence,
        )
    return host


def _only(connector: ConnectorInfo | None, ip: str) -> bool:
    return (
        connector is not None
        and _single_addresses(connector) == [ip]
        and len(connector.sender_ip_ranges) == 1
    )


def _devices(members: Iterable[Finding]) -> list[str]:
    """Device names that Message-ID hosts give: ``KM5D3A2C`` of
    ``KM5D3A2C.northwindtraders.example``, or a bare ``NPI8A2B3C`` (a domain alone names none)."""
    names = set()
    for m in members:
        for host, _ in m.flow.message_id_hosts:
            if host.count(".") >= 2 or "." not in host:
                names.add(host.split(".", 1)[0])
    return sorted(n for n in names if n)


# --- the card ------------------------------------------------------------------------------


def _card(cause: RootCause, judge: Judge) -> Finding:
    members = cause.members
    anchor = cause.anchor.flow
    host = cause.host
    if len(members) == 1:
        merged = anchor
    else:
        tls = sum((m.flow.tls for m in members), TlsCounts())
        firsts = [m.flow.first_seen for m in members if m.flow.first_seen is not None]
        lasts = [m.flow.last_seen for m in members if m.flow.last_seen is not None]
        observed = all(m.flow.evidence == "observed" for m in members)
        forced = [m.flow.forced_tls for m in members if m.flow.forced_tls is not None]
        merged = Flow(
            scope=anchor.scope,
            direction=anchor.direction,
            connector=anchor.connector,
            sender_key=f"host:{(host.ip or host.name or anchor.connector).lower()}",
            tls=tls,
            evidence="observed" if observed else "attributed",
            legacy_likelihood=round(tls.at_risk_share, 4),
            connector_type=anchor.connector_type,
            sender_ip=host.ip,
            # A relay's name is the one its hop's client gave (HELO / ClientName).
            hostname=(
                host.names[0]
                if host.names
                else host.name
                if host.kind == RELAY
                else anchor.hostname
            ),
            forced_tls=any(forced) if forced else None,
            first_seen=min(firsts) if firsts else None,
            last_seen=max(lasts) if lasts else None,
            sources=tuple(sorted({s for m in members for s in m.flow.sources})),
            message_id_hosts=_merged_hosts(members),
            sighted_messages=sum(m.flow.sighted_messages for m in members),
            internal_messages=sum(m.flow.internal_messages for m in members),
            external_messages=sum(m.flow.external_messages for m in members),
        )
    # Certain for an Exchange server (its logs or connector say so) or an inventory row; a
    # relay recognised by its senders sharing one IP and one TLS version stays a strong guess,
    # whatever name it gives itself.
    from_inventory = bool(host.owner or host.site)
    device = Device(
        MAIL_SERVER,
        1.0 if host.kind == EXCHANGE or from_inventory else 0.9,
        cause.why,
        host.name,
        host.owner,
        host.site,
        "inventory" if from_inventory else "heuristic",
    )
    card = judge(merged, cause.anchor.path, host, device)
    return replace(card, host=host, members=members, summary=summary(host, members))


def _merged_hosts(members) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = {}
    for m in members:
        for host, n in m.flow.message_id_hosts:
            counts[host] = counts.get(host, 0) + n
    return tuple(sorted(counts.items(), key=lambda p: (-p[1], p[0]))[:10])


def summary(host: Host, members: tuple[Finding, ...]) -> str:
    """One sentence a reader acts on: who negotiates what, for which flows."""
    tls = sum((m.flow.tls for m in members), TlsCounts())
    flows = "; ".join(_flow_words(m) for m in members)
    what = host.label
    if not host.name and what.startswith("relay at "):
        what = "The " + what  # a sentence's start; an inventory's own name stays as written
    if host.version:
        what += f", {host.version}" + (f" ({host.support})" if host.support else "")
    hops = len({m.flow.scope for m in members})
    if hops > 1:  # one server's hops: the same messages may cross both, each counted on its own
        return (
            f"{what} negotiates {_versions(tls)} on {hops} hops: {flows}. Fix this host; "
            "the senders behind it do not negotiate these hops."
        )
    devices = _devices(members) if host.kind == RELAY else []
    behind = (
        f" The Message-IDs name {len(devices)} device{'s' if len(devices) != 1 else ''}"
        f" behind it: {', '.join(devices[:8])}{' ...' if len(devices) > 8 else ''}."
        if devices
        else ""
    )
    return (
        f"{what} negotiates {_versions(tls)} for {tls.at_risk:,} at-risk messages on "
        f"{len(members)} flow{'s' if len(members) != 1 else ''}: {flows}.{behind} Fix "
        "this host; the senders behind it do not negotiate this hop."
    )


def _flow_words(m: Finding) -> str:
    f = m.flow
    if is_on_prem(f.scope):
        seen = (
            f" in the {m.coverage.describe()} its logs cover"
            if m.coverage is not None and m.coverage.partial
            else ""
        )
        return f"its send connector '{f.connector}', {f.tls.at_risk:,} messages{seen}"
    who = f.sender_address or "senders not named"
    return f"{who} into Exchange Online on '{f.connector}', {f.tls.at_risk:,} messages"


def _versions(tls: TlsCounts) -> str:
    names = {"SSL3": "SSL 3.0", "TLS1.0": "TLS 1.0", "TLS1.1": "TLS 1.1", "none": "no TLS"}
    found = [names[v] for v in tls.versions() if v in names]
    return " and ".join(found) if found else "legacy TLS"


__all__ = ["RootCause", "group", "summary"]
