"""Messages and the tenant: whose domains these are, and which connector a relay's IP uses.

The per-message table itself comes from :mod:`.sightings`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import CONNECTOR, DIRECTION, INBOUND, SENDER_IP
from .merging import pair_counts


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].lower() if "@" in address else ""


def tenant_domains(recipient_domains: pd.Series, submitters: pd.Series,
                   extra: tuple[str, ...] = (),
                   originating_domains: pd.Series | None = None) -> set[str]:
    """The tenant's own domains: those given, those of SMTP AUTH senders (mailboxes of the
    tenant), sender domains that take a large share of outbound (Originating) mail, and
    recipient domains that take a large share of the traced mail not known to be outbound.
    Recipients of outbound mail are never evidence: one message to gmail.com does not make it
    the tenant's. Both series: sighted rows per domain, largest first."""
    domains = {d.lower().lstrip("@") for d in extra}
    domains |= {domain_of(a) for a in submitters if domain_of(a)}
    for counts in (recipient_domains, originating_domains):
        if counts is not None and len(counts):
            domains |= set(counts[counts >= 0.2 * counts.iloc[0]].index)
    return {d for d in domains if d}


def link_by_volume(msgs: pd.DataFrame, day_totals: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Place inbound messages that no export or configuration puts on a connector, by volume.

    Without the connector configuration, a message trace does not say which connector a relay's
    mail came through. A sender IP whose daily message count fits under one named inbound
    connector's daily volume on every day, and makes up at least half of it, is that
    connector's sender (a relay or device behind it). An IP that fits several connectors, or
    none, stays unlinked. ``day_totals``: columns direction, connector, day, messages.
    Returns the messages and a note per link made."""
    notes: list[str] = []
    if msgs.empty or day_totals.empty:
        return msgs, notes
    named = day_totals[(day_totals[DIRECTION] == INBOUND) & (day_totals[CONNECTOR] != "")]
    loose = (msgs["realm"] == "exo") & (msgs[DIRECTION] == INBOUND) & (msgs[CONNECTOR] == "") \
        & (msgs[SENDER_IP] != "") & ~msgs["submission"]
    if named.empty or not loose.any():
        return msgs, notes
    # Messages per IP and day, counted on the categorical codes (no copy of the columns).
    ips, dates = msgs[SENDER_IP], msgs["day"]  # both categorical
    mine = loose.to_numpy()
    counts = pair_counts(ips.cat.codes.to_numpy()[mine], dates.cat.codes.to_numpy()[mine],
                         (len(ips.cat.categories), len(dates.cat.categories)))
    day_index = pd.DatetimeIndex(dates.cat.categories)
    # Each named connector's volume per day, on the same days as the counts (0 where none).
    connectors, totals = [], []
    for connector, rows in named.groupby(CONNECTOR):
        per_day = rows.groupby("day")["messages"].sum()
        connectors.append(connector)
        totals.append(per_day.reindex(day_index, fill_value=0).to_numpy(dtype=float))
    volume = np.array(totals).reshape(len(connectors), len(day_index))
    links: dict[str, str] = {}
    for code in np.flatnonzero(counts.sum(axis=1)):
        mine_per_day = counts[code]
        seen = mine_per_day > 0
        under = np.all((mine_per_day <= volume * 1.05 + 2) | ~seen, axis=1)
        most = mine_per_day.sum() >= 0.5 * (volume * seen).sum(axis=1)
        fits = np.flatnonzero(under & most)
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
            notes.append(f"sender IP {ip} placed on inbound connector '{connector}' by its daily "
                         "volume (no connector configuration names it); add Get-InboundConnector "
                         "output to make this certain")
    return msgs, notes
