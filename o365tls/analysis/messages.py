"""Identity-only sightings -> one row per message, with its connector and direction.

The same message appears in several exports (message trace, historical summary and extended,
tracking logs) and once per recipient. Sightings are merged by message id within one realm
(Exchange Online, or an on-prem server: each hop keeps its own sender IP), preferring the
richest source for each field, then placed on a connector: named by the export, or matched
from the sender IP to an inbound connector's configured ranges.
"""

from __future__ import annotations

import pandas as pd

from ..schema import (
    CONNECTOR,
    DIRECTION,
    HOSTNAME,
    INBOUND,
    MESSAGE_ID,
    OUTBOUND,
    PTR,
    RECIPIENT_ADDRESS,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SIZE,
    SOURCE,
    SUBJECT,
    TIMESTAMP,
)
from .connectors import ConnectorBook
from .scopes import is_on_prem

# Which export's value wins when two disagree: the message trace is the most complete.
_FORMAT_RANK = {"message-trace": 0, "historical-summary": 1, "historical-extended": 2,
                "exchange-tracking-log": 3}

MESSAGE_COLUMNS = ["realm", "key", MESSAGE_ID, TIMESTAMP, "day", SENDER_ADDRESS, SENDER_IP,
                   HOSTNAME, PTR, CONNECTOR, "connector_type", DIRECTION, SUBJECT, SIZE,
                   "recipients", "to_tenant", "recipient_domain", "sources", "submission"]


def domain_of(address: str) -> str:
    return address.rsplit("@", 1)[1].lower() if "@" in address else ""


def tenant_domains(sightings: pd.DataFrame, submitters: pd.Series,
                   extra: tuple[str, ...] = ()) -> set[str]:
    """The tenant's own domains: those given, those of SMTP AUTH senders (mailboxes of the
    tenant), and recipient domains that take a large share of the traced mail."""
    domains = {d.lower().lstrip("@") for d in extra}
    domains |= {domain_of(a) for a in submitters if domain_of(a)}
    if len(sightings):
        recipient_domains = sightings[RECIPIENT_ADDRESS].map(domain_of)
        counts = recipient_domains[recipient_domains != ""].value_counts()
        if len(counts):
            domains |= set(counts[counts >= 0.2 * counts.iloc[0]].index)
    return {d for d in domains if d}


def merge_messages(sightings: pd.DataFrame, tenant: set[str], book: ConnectorBook,
                   known_connectors: set[str] = frozenset(),
                   submitters: set[str] = frozenset()) -> pd.DataFrame:
    """One row per message and realm (see :data:`MESSAGE_COLUMNS`). In Exchange Online, a
    connector name that is neither configured nor in a connector report (historical search
    names Microsoft's own receive connectors, ``SERVER\\Default ...``) is no tenant connector:
    such mail came without one. ``submitters``: SMTP AUTH senders, whose mail is client
    submission rather than connector or MX traffic."""
    if sightings.empty:
        return pd.DataFrame(columns=MESSAGE_COLUMNS)
    s = sightings.copy()
    s["realm"] = s["scope"].where(s["scope"].map(is_on_prem), "exo")
    s["key"] = s[MESSAGE_ID].where(s[MESSAGE_ID] != "",
                                   s[SOURCE] + "#" + s[ROW].astype(str))
    s["_rank"] = s["format"].map(_FORMAT_RANK).fillna(9)
    s["_rdomain"] = s[RECIPIENT_ADDRESS].map(domain_of)
    s["to_tenant"] = s["_rdomain"].isin(tenant)
    s["_outside"] = s["_rdomain"].where(~s["to_tenant"], "")
    s = s.sort_values(["_rank", TIMESTAMP], kind="mergesort")
    text_cols = [MESSAGE_ID, SENDER_ADDRESS, SENDER_IP, HOSTNAME, PTR, CONNECTOR, DIRECTION,
                 SUBJECT]
    for col in text_cols:
        s[col] = s[col].replace("", pd.NA)
    s[SIZE] = s[SIZE].where(s[SIZE] > 0)
    grouped = s.groupby(["realm", "key"], sort=False)
    merged = grouped[text_cols].first()
    merged[TIMESTAMP] = grouped[TIMESTAMP].min()
    merged[SIZE] = grouped[SIZE].max().fillna(0).astype("int64")
    merged["recipients"] = grouped[RECIPIENT_ADDRESS].nunique()
    merged["to_tenant"] = grouped["to_tenant"].all()
    merged["recipient_domain"] = grouped["_outside"].agg(_first_text)
    merged["sources"] = grouped[SOURCE].agg(lambda v: tuple(sorted(set(v))))
    merged = merged.reset_index()
    for col in text_cols:
        merged[col] = merged[col].astype(object).fillna("").astype(str)
    merged["day"] = merged[TIMESTAMP].dt.floor("D")
    merged[DIRECTION] = _direction(merged, tenant)
    if known_connectors:
        known = {c.lower() for c in known_connectors} | set(book.by_name)
        foreign = (merged["realm"] == "exo") & ~merged[CONNECTOR].str.lower().isin(known)
        merged.loc[foreign, CONNECTOR] = ""
    merged[CONNECTOR], merged["connector_type"] = _connectors(merged, book)
    merged["submission"] = (merged["realm"] == "exo") & merged[SENDER_ADDRESS].isin(submitters)
    return merged[MESSAGE_COLUMNS]


def _first_text(values: pd.Series) -> str:
    for v in values:
        if isinstance(v, str) and v:
            return v
    return ""


def _direction(m: pd.DataFrame, tenant: set[str]) -> pd.Series:
    """Explicit direction wins; else mail from a tenant domain to outside recipients only is
    outbound, and everything else (including internal mail) inbound."""
    from_tenant = m[SENDER_ADDRESS].map(domain_of).isin(tenant)
    guessed = pd.Series(INBOUND, index=m.index).where(~(from_tenant & ~m["to_tenant"]),
                                                       OUTBOUND)
    return m[DIRECTION].where(m[DIRECTION].isin([INBOUND, OUTBOUND]), guessed)


def _connectors(m: pd.DataFrame, book: ConnectorBook) -> tuple[list[str], list[str]]:
    names, types = [], []
    for name, ip, direction in zip(m[CONNECTOR], m[SENDER_IP], m[DIRECTION], strict=True):
        info = book.get(name) if name else None
        if info is None and not name and direction == INBOUND and ip:
            info = book.for_ip(ip)
        names.append(info.name if info else name)
        types.append(info.connector_type if info else "")
    return names, types


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
    per_ip = msgs[loose].groupby([SENDER_IP, "day"]).size()
    links: dict[str, str] = {}
    for ip, days in per_ip.groupby(level=0):
        days = days.droplevel(0)
        fits = []
        for connector, rows in named.groupby(CONNECTOR):
            totals = rows.groupby("day")["messages"].sum()
            under = all(n <= totals.get(day, 0) * 1.05 + 2 for day, n in days.items())
            if under and days.sum() >= 0.5 * totals[totals.index.isin(days.index)].sum():
                fits.append(connector)
        if len(fits) == 1:
            links[ip] = fits[0]
    if links:
        msgs = msgs.copy()
        hit = loose & msgs[SENDER_IP].isin(list(links))
        msgs.loc[hit, CONNECTOR] = msgs.loc[hit, SENDER_IP].map(links)
        for ip, connector in sorted(links.items()):
            notes.append(f"sender IP {ip} placed on inbound connector '{connector}' by its daily "
                         "volume (no connector configuration names it); add Get-InboundConnector "
                         "output to make this certain")
    return msgs, notes
