"""Connector configuration as lookups: name -> connector facts, sender IP -> inbound connector."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

import pandas as pd

from ..schema import EXCHANGE_SERVER


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    kind: str  # inbound, outbound, receive
    connector_type: str = ""
    require_tls: bool | None = None
    tls_sender_certificate_name: str = ""
    sender_ip_ranges: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass
class ConnectorBook:
    """Every configured connector, and a matcher from sender IP to inbound connector."""

    by_name: dict[str, ConnectorInfo] = field(default_factory=dict)
    _ranges: list[tuple[object, object, ConnectorInfo]] = field(default_factory=list)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> ConnectorBook:
        book = cls()
        for rec in frame.to_dict("records"):
            info = ConnectorInfo(
                name=str(rec.get("name") or ""),
                kind=str(rec.get("kind") or ""),
                connector_type=str(rec.get("connector_type") or ""),
                require_tls=rec.get("require_tls"),
                tls_sender_certificate_name=str(rec.get("tls_sender_certificate_name") or ""),
                sender_ip_ranges=tuple(rec.get("sender_ip_ranges") or ()),
                problems=tuple(rec.get("problems") or ()),
            )
            if not info.name or info.kind == EXCHANGE_SERVER:  # a server, not a connector
                continue
            book.by_name.setdefault(info.name.lower(), info)
            if info.kind == "inbound":
                for text in info.sender_ip_ranges:
                    span = parse_range(text)
                    if span is not None:
                        book._ranges.append((*span, info))
        # Most specific range first, so a /32 beats a /24 that contains it.
        book._ranges.sort(key=lambda r: int(r[1]) - int(r[0]))
        return book

    def get(self, name: object) -> ConnectorInfo | None:
        return self.by_name.get(name.lower()) if isinstance(name, str) and name else None

    def for_ip(self, ip: str) -> ConnectorInfo | None:
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return None
        for start, end, info in self._ranges:
            if start.version == addr.version and start <= addr <= end:
                return info
        return None


def parse_range(text: str):
    """``10.0.0.5``, ``10.0.0.0/24``, ``10.0.0.1-10.0.0.20`` -> (first, last) addresses."""
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
