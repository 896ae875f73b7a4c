"""How a flow reaches Exchange: its submission path (findings.json ``path``)."""

from __future__ import annotations

from ..inputs.scopes import EXO_SUBMISSION, is_on_prem
from ..schema import INBOUND
from .flows import Flow
from .messages import domain_of
from .model import CLIENT_SUBMISSION, CONNECTOR_RELAY, DIRECT_SEND, INTERNET, ON_PREM


def submission_path(flow: Flow, tenant: set[str]) -> str:
    """client-submission for SMTP AUTH; on-prem for an Exchange Server's own hops; a connector
    of type Partner is another organization's MTA (internet); any other inbound connector is
    a relay of the tenant's; no connector is direct send when the sender uses one of the
    tenant's own domains, the internet otherwise."""
    if flow.scope == EXO_SUBMISSION:
        return CLIENT_SUBMISSION
    if is_on_prem(flow.scope):
        return ON_PREM
    if flow.connector:
        if "partner" in flow.connector_type.lower():
            return INTERNET
        return CONNECTOR_RELAY
    if flow.direction == INBOUND and domain_of(flow.sender_address) in tenant:
        return DIRECT_SEND
    return INTERNET
