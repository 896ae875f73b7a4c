"""Where a message belongs: its hop, its direction and the connector it came through.

The rules, in the order the analysis applies them:

1. **Hop** (:class:`~o365tls.inputs.reducer.Realm`, coded where the sightings are reduced).
   Exchange Online's exports (message trace, historical search) describe one hop; an on-prem
   server's tracking log describes two, its receive and its send (which relays inbound mail
   too), so one message can be sighted on three hops.
2. **Known connectors** (:func:`drop_unknown_connectors`). A connector name the tenant's
   configuration or connector report knows is kept; any other name on an Exchange Online hop
   is one of Microsoft's own receive connectors (historical search), not the tenant's.
3. **Direction** (:func:`guess_directions`). An export's direction stands; without one, mail
   from a tenant domain to outside recipients only is outbound, and everything else inbound.
4. **Sender IP ranges** (:func:`place_by_ip_range`). Inbound Exchange Online mail without a
   connector goes to the enabled inbound connector whose SenderIPAddresses hold its sender IP,
   the most specific range first (:func:`connectors_for_ip`), among those whose SenderDomains
   take its sender's domain (:func:`in_sender_scope`).
5. **Daily volume** (:func:`link_by_volume`). Without the configuration, a sender IP whose
   daily mail fits under one connector's daily volume in the connector report is that
   connector's sender.

And for TLS records: a connector's type and forced TLS come from the configuration where the
records lack them (:func:`with_connector_facts`).

Every rule works on whole arrays of codes: a message table holds millions of rows, so the
Python work is per distinct connector, IP or sender, never per row.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..inputs.reducer import REALM_LABELS, Direction, Realm
from ..schema import CONNECTOR, DIRECTION, INBOUND, SENDER_IP
from .merging import pair_counts

if TYPE_CHECKING:
    from ..inputs.reducer import Codebook
    from .connectors import ConnectorBook, ConnectorInfo


#: A range of sender IP addresses (first, last) and the connector it belongs to.
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Span = tuple[Address, Address, "ConnectorInfo"]


def per_code(values: Sequence[str], holds: Callable[[str], bool]) -> np.ndarray:
    """Per code of a code book (``values``: its texts), whether ``holds``: index it with a
    column of codes to get the answer per row."""
    return np.fromiter((holds(v) for v in values), dtype=bool, count=len(values))


# -- rule 2: known connectors ----------------------------------------------------------------
def drop_unknown_connectors(
    conn: np.ndarray,
    exo: np.ndarray,
    names: Sequence[str],
    book: ConnectorBook,
    known_connectors: set[str],
) -> None:
    """Clear (in place) the connector codes ``conn`` of Exchange Online hops (``exo``) whose
    name (``names[code]``) neither the configuration nor a connector report knows: Microsoft's
    own receive connectors. With neither source, every name stays: nothing says which are the
    tenant's."""
    if not known_connectors and not book.by_name:
        return
    known = {c.lower() for c in known_connectors} | set(book.by_name)
    foreign = per_code(names, lambda v: bool(v) and v.lower() not in known)
    conn[exo & foreign[conn]] = 0


# -- rule 3: direction -----------------------------------------------------------------------
def guess_directions(
    direction: np.ndarray, senders: np.ndarray, tenant_sender: np.ndarray, to_tenant: np.ndarray
) -> None:
    """Fill (in place) the :attr:`Direction.UNKNOWN` codes of ``direction``: outbound when the
    sender (``tenant_sender[senders]``: its domain is the tenant's) writes to outside
    recipients only (not ``to_tenant``), else inbound. Mail between two tenant mailboxes is
    inbound: it arrived at the tenant."""
    guess = direction == Direction.UNKNOWN
    direction[guess] = np.where(
        tenant_sender[senders[guess]] & ~to_tenant[guess], Direction.OUTBOUND, Direction.INBOUND
    )


# -- connector types -------------------------------------------------------------------------
def connector_types(
    conn: np.ndarray, names: Sequence[str], book: ConnectorBook, types: Codebook
) -> np.ndarray:
    """Per message, the code (in ``types``) of its connector's configured ConnectorType; 0
    for a connector the configuration does not list, and for none."""
    out = np.zeros(len(conn), dtype=np.int16)
    for code in np.unique(conn):
        info = book.get(names[code]) if code else None
        if info is not None:
            out[conn == code] = types.code(info.connector_type)
    return out


# -- rule 4: sender IP ranges ----------------------------------------------------------------
def connectors_for_ip(ranges: Iterable[Span], ip: str) -> list[ConnectorInfo]:
    """The connectors whose ranges hold ``ip``, in the order of ``ranges`` (each once).
    ``ranges``: (first, last address, connector), most specific first, so that a /32 beats a
    /24 that holds it: the connector named for one host is the one that host's mail takes."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return []
    out: list[ConnectorInfo] = []
    for start, end, info in ranges:
        if (
            start.version == addr.version
            and int(start) <= int(addr) <= int(end)
            and info not in out
        ):
            out.append(info)
    return out


def places_by_ip(info: ConnectorInfo) -> bool:
    """Whether the connector's SenderIPAddresses place mail: an enabled inbound connector.
    Exchange Online routes no mail through a disabled one, and an outbound connector's
    ranges are where it sends to."""
    return info.kind == "inbound" and not info.disabled


def specificity(span: Span) -> int:
    """Sort key of a range, most specific first: the number of addresses it holds, less one."""
    return int(span[1]) - int(span[0])


def in_sender_scope(sender_domains: tuple[str, ...], domain: str) -> bool:
    """Whether mail from ``domain`` is in a connector's SenderDomains scope (lower case; none,
    or ``*``: every domain). ``*.partner.example`` takes partner.example and its subdomains,
    as New-InboundConnector's documentation describes ``*.contoso.com``."""
    if not sender_domains or "*" in sender_domains:
        return True
    domain = domain.lower()
    for pattern in sender_domains:
        if pattern.startswith("*.") and (domain == pattern[2:] or domain.endswith(pattern[1:])):
            return True
        if domain == pattern:
            return True
    return False


def place_by_ip_range(
    conn: np.ndarray,
    conn_type: np.ndarray,
    loose: np.ndarray,
    ips: np.ndarray,
    senders: np.ndarray,
    ip_texts: Sequence[str],
    sender_texts: Sequence[str],
    book: ConnectorBook,
    names: Codebook,
    types: Codebook,
) -> None:
    """Place (in place) the messages ``loose`` (inbound Exchange Online mail without a
    connector, with a sender IP) on the enabled inbound connector whose sender IP ranges hold
    their IP, the most specific range first, within each connector's SenderDomains: a message
    a connector's scope does not take goes to the next range that holds its IP, or stays
    unplaced. ``conn``/``conn_type`` take codes in ``names``/``types``; ``loose`` is used up."""
    in_scope: dict[str, np.ndarray] = {}  # per connector: sender code -> in its scope
    for ip_code in np.unique(ips[loose]):
        for info in book.all_for_ip(ip_texts[ip_code]):
            hit = loose & (ips == ip_code)
            if info.sender_domains and "*" not in info.sender_domains:
                if info.name not in in_scope:
                    in_scope[info.name] = _in_scope(info, sender_texts)
                hit &= in_scope[info.name][senders]
            conn[hit] = names.code(info.name)
            conn_type[hit] = types.code(info.connector_type)
            loose &= ~hit


def _in_scope(info: ConnectorInfo, senders: Sequence[str]) -> np.ndarray:
    """Per sender code, whether the connector's SenderDomains take the sender's domain."""
    return per_code(senders, lambda v: "@" in v and info.takes_domain(v.rsplit("@", 1)[1]))


# -- rule 5: daily volume --------------------------------------------------------------------
# Placement by volume needs at least this many days that both the trace and the connector
# report cover, with mail from the IP and from the connector on each. On one or two days a
# small IP fits under a big connector by chance (and with no common day the test "fits on
# every day" holds for anything); three independent days is the fewest on which a coincidental
# fit under the volume, at half or more of it, stops being the likely explanation.
MIN_COMMON_DAYS = 3

# Exports that say who sent each Exchange Online message, and the one with TLS per day.
_TRACE_FORMATS = frozenset({"message-trace", "historical-summary", "historical-extended"})
_DAILY_TLS_FORMATS = frozenset({"eac-connector-report"})


def _span(days) -> str:
    days = sorted(days)
    return f"{days[0]:%Y-%m-%d}..{days[-1]:%Y-%m-%d}" if days else "no day"


def _common(count: int) -> str:
    return f"{count} common day{'s' if count != 1 else ''}" if count else "no common day"


def periods_apart(reports) -> str | None:
    """A warning when the message trace files and the connector reports share fewer than
    :data:`MIN_COMMON_DAYS` days (from the files' periods, before any analysis); None when
    they share enough, or one of the two is missing. ``reports``: FileReports."""

    def days(formats):
        spans = [
            (pd.Timestamp(r.period_start).normalize(), pd.Timestamp(r.period_end).normalize())
            for r in reports
            if r.format in formats and r.period_start is not None and r.period_end is not None
        ]
        return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None

    trace, report = days(_TRACE_FORMATS), days(_DAILY_TLS_FORMATS)
    if trace is None or report is None:
        return None
    first, last = max(trace[0], report[0]), min(trace[1], report[1])
    common = (last - first).days + 1 if last >= first else 0
    if common >= MIN_COMMON_DAYS:
        return None
    return (
        f"the message trace covers {_span(trace)} and the connector report "
        f"{_span(report)} ({_common(common)}, {MIN_COMMON_DAYS} needed): export both for "
        "the same days, or no sender can be matched to a connector's daily TLS mix"
    )


def link_by_volume(msgs: pd.DataFrame, day_totals: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Place inbound messages that no export or configuration puts on a connector, by volume.

    Without the connector configuration, a message trace does not say which connector a relay's
    mail came through. A sender IP whose daily message count fits under one named inbound
    connector's daily volume on every day both exports cover, and makes up at least half of it
    there, is that connector's sender (a relay or device behind it). Only common days count,
    and at least :data:`MIN_COMMON_DAYS` of them with mail from both the IP and the connector:
    a day only one export covers says nothing about the other. An IP that fits several
    connectors, or none, stays unlinked. When the trace and the connector report share too few
    days, nothing is placed and a note names both periods.
    ``day_totals``: columns direction, connector, day, messages.
    Returns the messages and a note per link made."""
    notes: list[str] = []
    if msgs.empty or day_totals.empty:
        return msgs, notes
    inbound = day_totals[day_totals[DIRECTION] == INBOUND]
    named = inbound[inbound[CONNECTOR] != ""]
    loose = (
        (msgs["realm"] == REALM_LABELS[Realm.EXO])
        & (msgs[DIRECTION] == INBOUND)
        & (msgs[CONNECTOR] == "")
        & (msgs[SENDER_IP] != "")
        & ~msgs["submission"]
    )
    if named.empty or not loose.any():
        return msgs, notes
    # Messages per IP and day, counted on the categorical codes (no copy of the columns).
    ips, dates = msgs[SENDER_IP], msgs["day"]  # both categorical
    mine = loose.to_numpy()
    counts = pair_counts(
        ips.cat.codes.to_numpy()[mine],
        dates.cat.codes.to_numpy()[mine],
        (len(ips.cat.categories), len(dates.cat.categories)),
    )
    day_index = pd.DatetimeIndex(dates.cat.categories)
    # The days the connector report covers (a row for any inbound connector, or for mail
    # without one), and those of them the trace has loose mail on.
    reported = day_index.isin(pd.DatetimeIndex(pd.unique(inbound["day"])))
    traced = counts.sum(axis=0) > 0
    common = reported & traced
    if common.sum() < MIN_COMMON_DAYS:
        exo = (msgs["realm"] == REALM_LABELS[Realm.EXO]).to_numpy()
        trace_days = pd.DatetimeIndex(pd.unique(dates[exo].dropna()))
        report_days = pd.DatetimeIndex(pd.unique(inbound["day"]))
        overlap = _common(int(common.sum()))
        notes.append(
            f"no sender IP placed on a connector by its daily volume: the message "
            f"trace covers {_span(trace_days)} and the connector report "
            f"{_span(report_days)} ({overlap}, {MIN_COMMON_DAYS} needed): export both "
            "for the same days, or add Get-InboundConnector output"
        )
        return msgs, notes
    counts, day_index = counts[:, common], day_index[common]
    # Each named connector's volume per common day (0 where it has none).
    connectors, totals = [], []
    for connector, rows in named.groupby(CONNECTOR):
        per_day = rows.groupby("day")["messages"].sum()
        connectors.append(connector)
        totals.append(per_day.reindex(day_index, fill_value=0).to_numpy(dtype=float))
    volume = np.array(totals).reshape(len(connectors), len(day_index))
    links: dict[str, str] = {}
    for code in np.flatnonzero((counts > 0).sum(axis=1) >= MIN_COMMON_DAYS):
        mine_per_day = counts[code]
        seen = mine_per_day > 0
        under = np.all((mine_per_day <= volume * 1.05 + 2) | ~seen, axis=1)
        most = mine_per_day.sum() >= 0.5 * (volume * seen).sum(axis=1)
        # The connector carried mail on enough of the IP's days: a connector without any
        # on those days fits "under" only through the rounding allowance.
        both = ((volume > 0) & seen).sum(axis=1) >= MIN_COMMON_DAYS
        fits = np.flatnonzero(under & most & both)
        if len(fits) == 1:
            links[ips.cat.categories[code]] = connectors[fits[0]]
    if links:
        msgs = msgs.copy(deep=False)  # only the connector column changes
        hit = loose & msgs[SENDER_IP].isin(list(links))
        names = msgs[CONNECTOR]
        if isinstance(names.dtype, pd.CategoricalDtype):
            new = sorted(set(links.values()) - set(names.cat.categories))
            names = names.cat.add_categories(new)
        names = names.copy()
        names[hit] = msgs.loc[hit, SENDER_IP].astype(str).map(links)
        msgs[CONNECTOR] = names
        for ip, connector in sorted(links.items()):
            notes.append(
                f"sender IP {ip} placed on inbound connector '{connector}' by its daily "
                "volume (no connector configuration names it); add Get-InboundConnector "
                "output to make this certain"
            )
    return msgs, notes


# -- TLS records -----------------------------------------------------------------------------
def with_connector_facts(obs: pd.DataFrame, book: ConnectorBook) -> pd.DataFrame:
    """Connector type and forced TLS (RequireTls, or a required sender certificate,
    :attr:`~.connectors.ConnectorInfo.forces_tls`) from the configuration where the records
    lack them: a type only where the record has none, forced TLS only where it is not known.
    Looked up once per distinct connector name."""
    if not book.by_name or obs.empty:
        return obs
    obs = obs.copy()
    codes, names = pd.factorize(obs["connector"])  # -1: no name, which no connector has
    infos = [book.get(name) for name in names] + [None]
    ctype = pd.Series(
        np.array([i.connector_type if i else "" for i in infos], dtype=object)[codes],
        index=obs.index,
    )
    forced = pd.Series(
        np.array([i.forces_tls if i else None for i in infos], dtype=object)[codes], index=obs.index
    )
    obs["connector_type"] = obs["connector_type"].where(obs["connector_type"] != "", ctype)
    obs["forced_tls"] = obs["forced_tls"].where(obs["forced_tls"].notna(), forced)
    return obs
