"""Messages and the tenant: whose domains these are, and which connector a relay's IP uses.

The per-message table itself comes from :mod:`.sightings`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..frames.arrow import domain_of
from ..schema import CONNECTOR, DIRECTION, INBOUND, SENDER_IP
from .merging import pair_counts


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
        spans = [(pd.Timestamp(r.period_start).normalize(), pd.Timestamp(r.period_end).normalize())
                 for r in reports if r.format in formats and r.period_start is not None
                 and r.period_end is not None]
        return (min(s for s, _ in spans), max(e for _, e in spans)) if spans else None
    trace, report = days(_TRACE_FORMATS), days(_DAILY_TLS_FORMATS)
    if trace is None or report is None:
        return None
    first, last = max(trace[0], report[0]), min(trace[1], report[1])
    common = (last - first).days + 1 if last >= first else 0
    if common >= MIN_COMMON_DAYS:
        return None
    return (f"the message trace covers {_span(trace)} and the connector report "
            f"{_span(report)} ({_common(common)}, {MIN_COMMON_DAYS} needed): export both for "
            "the same days, or no sender can be matched to a connector's daily TLS mix")


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
    # The days the connector report covers (a row for any inbound connector, or for mail
    # without one), and those of them the trace has loose mail on.
    reported = day_index.isin(pd.DatetimeIndex(pd.unique(inbound["day"])))
    traced = counts.sum(axis=0) > 0
    common = reported & traced
    if common.sum() < MIN_COMMON_DAYS:
        exo = (msgs["realm"] == "exo").to_numpy()
        trace_days = pd.DatetimeIndex(pd.unique(dates[exo].dropna()))
        report_days = pd.DatetimeIndex(pd.unique(inbound["day"]))
        overlap = _common(int(common.sum()))
        notes.append(f"no sender IP placed on a connector by its daily volume: the message "
                     f"trace covers {_span(trace_days)} and the connector report "
                     f"{_span(report_days)} ({overlap}, {MIN_COMMON_DAYS} needed): export both "
                     "for the same days, or add Get-InboundConnector output")
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
            notes.append(f"sender IP {ip} placed on inbound connector '{connector}' by its daily "
                         "volume (no connector configuration names it); add Get-InboundConnector "
                         "output to make this certain")
    return msgs, notes
