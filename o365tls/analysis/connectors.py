"""Connector configuration as lookups: name -> connector facts, sender IP -> inbound connector.

A disabled connector (``Enabled: False``) stays in the book, so that it is listed with its
settings, but matches no sender IP: Exchange Online routes no mail through it."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..schema import EXCHANGE_SERVER
from .placement import Span, connectors_for_ip, in_sender_scope, places_by_ip, specificity


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    kind: str  # inbound, outbound, receive
    connector_type: str = ""
    enabled: bool | None = None  # None: not exported (taken as enabled)
    require_tls: bool | None = None
    tls_sender_certificate_name: str = ""
    restrict_domains_to_certificate: bool | None = None
    sender_ip_ranges: tuple[str, ...] = ()
    sender_domains: tuple[str, ...] = ()  # lower case; "*" or none: every domain
    problems: tuple[str, ...] = ()

    @property
    def disabled(self) -> bool:
        return self.enabled is False

    @property
    def forces_tls(self) -> bool | None:
        """Whether mail on this connector must use TLS: RequireTls, or a sender certificate
        that identifies the senders (only a TLS session carries one): required of the sender
        domains (RestrictDomainsToCertificate), or the connector's only way to match mail (an
        inbound connector with a certificate name and no IP ranges)."""
        if self.tls_sender_certificate_name and (
            self.restrict_domains_to_certificate
            or (self.kind == "inbound" and not self.sender_ip_ranges)
        ):
            return True
        return self.require_tls

    def takes_domain(self, domain: str) -> bool:
        """Whether mail from ``domain`` is in this connector's SenderDomains scope
        (:func:`.placement.in_sender_scope`)."""
        return in_sender_scope(self.sender_domains, domain)


@dataclass
class ConnectorBook:
    """Every configured connector, and a matcher from sender IP to enabled inbound
    connectors."""

    by_name: dict[str, ConnectorInfo] = field(default_factory=dict)
    _ranges: list[Span] = field(default_factory=list)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ConnectorBook:
        book = cls()
        for rec in frame.to_dict("records"):
            info = ConnectorInfo(
                name=str(rec.get("name") or ""),
                kind=str(rec.get("kind") or ""),
                connector_type=str(rec.get("connector_type") or ""),
                enabled=_flag(rec.get("enabled")),
                require_tls=_flag(rec.get("require_tls")),
                tls_sender_certificate_name=str(rec.get("tls_sender_certificate_name") or ""),
                restrict_domains_to_certificate=_flag(rec.get("restrict_domains_to_certificate")),
                sender_ip_ranges=tuple(rec.get("sender_ip_ranges") or ()),
                sender_domains=tuple(d.lower() for d in rec.get("sender_domains") or ()),
                problems=tuple(rec.get("problems") or ()),
            )
            if not info.name or info.kind == EXCHANGE_SERVER:  # a server, not a connector
                continue
            book.by_name.setdefault(info.name.lower(), info)
            if places_by_ip(info):
                for text in info.sender_ip_ranges:
                    span = parse_range(text)
                    if span is not None:
                        book._ranges.append((*span, info))
        book._ranges.sort(key=specificity)
        return book

    def get(self, name: object) -> ConnectorInfo | None:
        return self.by_name.get(name.lower()) if isinstance(name, str) and name else None

    def for_ip(self, ip: str) -> ConnectorInfo | None:
        """The enabled inbound connector with the most specific range holding ``ip``."""
        found = self.all_for_ip(ip)
        return found[0] if found else None

    def all_for_ip(self, ip: str) -> list[ConnectorInfo]:
        """The enabled inbound connectors whose ranges hold ``ip``, most specific first
        (:func:`.placement.connectors_for_ip`)."""
        return connectors_for_ip(self._ranges, ip)

    @property
    def disabled(self) -> list[ConnectorInfo]:
        return [info for info in self.by_name.values() if info.disabled]


def disabled_traffic(book: ConnectorBook, obs: pd.DataFrame, msgs: pd.DataFrame) -> list[str]:
    """A note per disabled connector that an export still shows mail on: the configuration
    snapshot is probably newer than the traffic (switched off since), or older (switched on
    since, and then the IP placement missed it). ``obs``: observations (connector, format,
    messages, day); ``msgs``: the message table (categorical connector and day)."""
    off = {info.name.lower(): info for info in book.disabled}
    if not off:
        return []
    seen: dict[str, list[str]] = {}
    days: dict[str, list] = {}
    if len(obs):
        # Per distinct name, not per record: protocol logs give millions of records.
        codes, uniques = pd.factorize(obs["connector"])
        lowered = np.array([str(u).lower() for u in uniques] + [""], dtype=object)
        keys = lowered[codes]  # code -1 (no name) takes the "" at the end
        hit = np.isin(keys, list(off))
        mine = obs[hit]
        for (key, fmt), rows in mine.groupby([keys[hit], mine["format"].to_numpy()], sort=True):
            seen.setdefault(key, []).append(f"{fmt} {int(rows['messages'].sum())}")
            days.setdefault(key, []).extend(rows["day"].dropna())
    if len(msgs):
        names = msgs["connector"]
        lowered = np.array([str(c).lower() for c in names.cat.categories], dtype=object)
        codes = names.cat.codes.to_numpy()
        for code in np.flatnonzero(np.isin(lowered, list(off))):
            hit = codes == code
            seen.setdefault(lowered[code], []).append(f"message trace {int(hit.sum())}")
            days.setdefault(lowered[code], []).extend(msgs["day"][hit].dropna())
    notes = []
    for key in sorted(seen):
        span = sorted(days.get(key, []))
        when = f" ({span[0]:%Y-%m-%d}..{span[-1]:%Y-%m-%d})" if span else ""
        notes.append(
            f"connector '{off[key].name}' is disabled (Enabled: False) in the connector "
            f"configuration, yet exports show mail on it{when}: {', '.join(seen[key])} "
            "messages. The configuration was probably exported after the connector was "
            "switched off; its IP ranges placed no message. Export the configuration and "
            "the traffic for the same time to be sure"
        )
    return notes


def _flag(value: object) -> bool | None:
    """A bool column's cell: True, False, or None (not exported; NaN after a frame concat)."""
    return bool(value) if isinstance(value, (bool, np.bool_)) else None


def parse_range(text: str):
    """``10.0.0.5``, ``10.0.0.0/24``, ``10.0.1.1-10.0.1.20`` -> (first, last) addresses."""
    text = text.strip()
    try:
        if "-" in text:
            a, b = (part.strip() for part in text.split("-", 1))
            first, last = ipaddress.ip_address(a), ipaddress.ip_address(b)
            return (first, last) if first.version == last.version else None
        net = ipaddress.ip_network(text, strict=False)
        return net.network_address, net.broadcast_address
    except ValueError:
        return None
