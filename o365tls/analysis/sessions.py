"""Sessions that negotiated legacy TLS and sent no message.

A host that opens an SMTP session, negotiates SSL 3.0 or TLS 1.0/1.1 and quits (a monitoring
probe, a device testing its settings, a client whose login then failed) counts no message,
but it speaks legacy TLS all the same. Protocol logs record such sessions (one record with
no message each); they are counted here as sessions, per host, and never add to the messages.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..schema import (
    CONNECTOR,
    DESTINATION_IP,
    DIRECTION,
    GRAIN,
    GRAIN_MESSAGE,
    HOSTNAME,
    MESSAGES,
    OUTBOUND,
    SENDER_IP,
    SOURCE,
    TIMESTAMP,
    TLS,
    remote_host,
)
from ..tls import LEGACY_VERSIONS, TLS_VERSIONS

#: One note per host in the results' notes, the rest summed up.
NOTED_HOSTS = 20
_KEY = [DIRECTION, CONNECTOR, SENDER_IP, DESTINATION_IP, HOSTNAME, TLS]


@dataclass(frozen=True)
class LegacySessions:
    """The sessions of one host (direction, connector, IPs, EHLO name) on one legacy TLS
    version that sent no message."""

    direction: str
    connector: str
    sender_ip: str  # inbound: the remote host; outbound: this server
    destination_ip: str  # outbound: the remote host; inbound: empty
    hostname: str  # EHLO name the client gave
    tls: str
    sessions: int
    first_seen: pd.Timestamp | None
    last_seen: pd.Timestamp | None
    sources: tuple[str, ...]

    @property
    def host(self) -> str:
        return remote_host(
            {
                DIRECTION: self.direction,
                SENDER_IP: self.sender_ip,
                DESTINATION_IP: self.destination_ip,
                HOSTNAME: self.hostname,
            }
        )

    @property
    def note(self) -> str:
        where = f" on connector '{self.connector}'" if self.connector else ""
        side = "sent to" if self.direction == OUTBOUND else "received from"
        who = (
            "this server and the remote host speak"
            if self.direction == OUTBOUND
            else "the host speaks"
        )
        return (
            f"{self.sessions} {self.direction} session(s) {side} {self.host}{where} "
            f"negotiated {self.tls} and sent no message: {who} legacy TLS (counted as "
            "sessions, not messages)"
        )


def without_mail(obs: pd.DataFrame) -> tuple[LegacySessions, ...]:
    """The legacy-TLS sessions without a message, per host and version, most sessions
    first."""
    quiet = obs[(obs[MESSAGES] == 0).to_numpy()]  # few: the rest is read on them only
    quiet = quiet[((quiet[GRAIN] == GRAIN_MESSAGE) & quiet[TLS].isin(LEGACY_VERSIONS)).to_numpy()]
    if quiet.empty:
        return ()
    grouped = quiet.groupby(_KEY, sort=False, dropna=False)
    summary = grouped.agg(
        sessions=(TIMESTAMP, "size"), first=(TIMESTAMP, "min"), last=(TIMESTAMP, "max")
    ).reset_index()
    sources = grouped[SOURCE].unique()
    rank = {v: i for i, v in enumerate(TLS_VERSIONS)}
    out = [
        LegacySessions(
            direction=str(row[DIRECTION]),
            connector=str(row[CONNECTOR]),
            sender_ip=str(row[SENDER_IP]),
            destination_ip=str(row[DESTINATION_IP]),
            hostname=str(row[HOSTNAME]),
            tls=str(row[TLS]),
            sessions=int(row["sessions"]),
            first_seen=row["first"],
            last_seen=row["last"],
            sources=tuple(sorted(sources[tuple(row[k] for k in _KEY)])),
        )
        for _, row in summary.iterrows()
    ]
    out.sort(
        key=lambda s: (
            -s.sessions,
            rank.get(s.tls, 9),
            s.direction,
            s.connector,
            s.sender_ip,
            s.destination_ip,
            s.hostname,
        )
    )
    return tuple(out)


def notes(found: tuple[LegacySessions, ...]) -> list[str]:
    """The results' notes on them: one per host, the first :data:`NOTED_HOSTS`."""
    out = [s.note for s in found[:NOTED_HOSTS]]
    rest = found[NOTED_HOSTS:]
    if rest:
        out.append(
            f"{sum(s.sessions for s in rest)} more legacy-TLS session(s) without a "
            f"message from {len(rest)} more host(s); findings.json lists them all "
            "(legacy_sessions_without_mail)"
        )
    return out
