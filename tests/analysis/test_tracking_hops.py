"""What the analysis makes of tracking-log hops: SENDEXTERNAL is an on-prem server's send hop,
and the tenant's own domains are never guessed from the recipients of its outbound mail.

Fixtures are written by tests/data/exchange-tracking-log/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

import o365tls
from o365tls.analysis import analyze
from o365tls.analysis.connectors import ConnectorBook
from o365tls.analysis.messages import tenant_domains
from o365tls.analysis.sightings import messages
from o365tls.render.serialize import findings_document

DATA = Path(__file__).resolve().parents[1] / "data" / "exchange-tracking-log"
HYBRID = DATA / "MSGTRK2025011409-1.LOG"
FREEMAIL = DATA / "MSGTRK2025020310-1.LOG"
O365 = "Outbound to Office 365 - 5d0c7a61-2b3e-4f80-9a1c-6e7d8f901a2b"


def test_one_originating_message_to_a_freemail_recipient_names_the_sender_as_the_tenant():
    findings = findings_document(analyze(o365tls.gather([FREEMAIL])))
    assert findings["tenant_domains"] == ["fabrikam.example"]


def test_recipients_of_outbound_mail_never_join_the_guess():
    evidence = o365tls.gather([FREEMAIL, HYBRID])
    # Only the UPS alert's RECEIVE is inbound: its recipient is evidence; the recipients of
    # the hops out (SEND, SENDEXTERNAL) and of Originating mail are not.
    assert evidence.sightings.recipient_domains().to_dict() == {"fabrikam.example": 1}
    # The freemail message entered as Originating: its sender is evidence. A send hop's
    # sender is not (an on-prem server relays inbound mail too, as the UPS alert shows).
    assert evidence.sightings.originating_domains().to_dict() == {"fabrikam.example": 1}


def test_the_tenant_guess_weighs_originating_senders_like_recipients():
    recipients = pd.Series({"fabrikam.example": 40, "partner.example": 2})
    originating = pd.Series({"fabrikam.example": 30, "eu.fabrikam.example": 9, "vendor.example": 1})
    assert tenant_domains(recipients, pd.Series([], dtype=str), (), originating) == {
        "fabrikam.example",
        "eu.fabrikam.example",
    }


def test_a_hybrid_servers_sendexternal_to_exchange_online_is_its_send_hop():
    evidence = o365tls.gather([HYBRID])
    msgs = messages(
        evidence.sightings,
        {"fabrikam.example"},
        ConnectorBook.from_frame(evidence.connectors),
        set(),
        set(),
    )
    ups = msgs[msgs["subject"] == "UPS on battery"]
    hops = {r.realm: (r.sender_ip, r.connector, r.direction) for r in ups.itertuples()}
    assert hops == {
        "on-prem": ("192.0.2.51", "exhyb01\\Default exhyb01", "inbound"),
        "on-prem-send": ("192.0.2.14", O365, "outbound"),
    }
