"""Messages and the tenant: whose domains these are.

The per-message table itself comes from :mod:`.sightings`, and which connector a message came
through from :mod:`.placement`.
"""

from __future__ import annotations

import pandas as pd

from ..frames.arrow import domain_of


def tenant_domains(
    recipient_domains: pd.Series,
    submitters: pd.Series,
    extra: tuple[str, ...] = (),
    originating_domains: pd.Series | None = None,
) -> set[str]:
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
