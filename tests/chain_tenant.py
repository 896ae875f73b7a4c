"""A second tenant, Fabrikam, with mail that crosses two hops before Exchange Online.

* Devices -> Exchange Server 2016 EX2016 (receive connector ``EX2016\\Anonymous Relay``) ->
  Exchange Online over the inbound connector ``Hybrid Inbound from EX2016`` (OnPremises,
  RequireTls, certificate ``mail.fabrikam.example``, 198.51.100.60). EX2016's send connector
  negotiates TLS 1.0 as a client; a label printer reaches EX2016 without TLS (its own hop at
  risk), a scanner reaches it with TLS 1.2 (its own hop clean).
* Devices (a Konica Minolta scanner ``scan@``, a Xerox copier ``copier@``) -> printrelay01, a
  relay of another make with no logs (198.51.100.70) -> Exchange Online over ``Print Relay``
  with TLS 1.1. The inventory names the relay.

The files are what such a tenant exports: the EAC inbound messages report, a message trace of
the relay's IP, Get-InboundConnector as JSON, EX2016's SMTP Receive and Send protocol logs
(Exchange 2016 headers), and the inventory. Shapes as in sample_reports/ (see its README).
"""

from __future__ import annotations

import csv
import json
import random
from datetime import datetime, timedelta
from pathlib import Path

from tests.helpers import trace_csv

START = datetime(2026, 10, 5)
DAYS = 10
LOG_DAY = START + timedelta(days=7)  # EX2016's logs cover one hour of this day
RELAY_IP, EXCHANGE_IP = "198.51.100.70", "198.51.100.60"
HYBRID, PRINT_RELAY = "Hybrid Inbound from EX2016", "Print Relay"
RELAYED = {  # sender -> (Message-ID host, mean messages a day)
    "scan@fabrikam.example": ("KM1A2B3C.fabrikam.example", 30),
    "copier@fabrikam.example": ("XRX0A1B2C.fabrikam.example", 12),
}
SEND_MESSAGES = 3  # EX2016 -> Exchange Online, TLS 1.0, in the send log's hour
LABELS, SCANNER = "labels@fabrikam.example", "scan2@fabrikam.example"


def write_chain_tenant(folder: Path, seed: int = 11) -> dict:
    """Write the tenant's exports under ``folder``; return the truth the tests check."""
    rng = random.Random(seed)
    relayed = {
        s: [max(1, round(rate * rng.uniform(0.4, 1.6))) for _ in range(DAYS)]
        for s, (_, rate) in RELAYED.items()
    }
    hybrid = [rng.randrange(20, 60) for _ in range(DAYS)]
    (folder / "exo").mkdir(parents=True, exist_ok=True)
    (folder / "ex2016").mkdir(parents=True, exist_ok=True)
    _connector_report(folder / "exo" / "inbound-messages-report.csv", relayed, hybrid)
    _trace(folder / "exo" / "message-trace.csv", relayed, rng)
    _connectors(folder / "exo" / "inbound-connectors.json")
    _send_log(folder / "ex2016" / f"SEND{LOG_DAY:%Y%m%d}09-1.log")
    _receive_log(folder / "ex2016" / f"RECV{LOG_DAY:%Y%m%d}09-1.log")
    inventory = folder / "inventory.csv"
    inventory.write_text(
        "IP Address,Device Name,Type,Owner\r\n"
        f"{RELAY_IP},printrelay01,mail server,Print services\r\n",
        encoding="utf-8-sig",
    )
    return {
        "relayed": {s: sum(v) for s, v in relayed.items()},
        "hybrid": sum(hybrid),
        "send": SEND_MESSAGES,
        "inventory": inventory,
    }


def _connector_report(path: Path, relayed: dict[str, list[int]], hybrid: list[int]) -> None:
    """EAC > Reports > Mail flow > Inbound messages > Export: percentages with two decimals."""
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(
            [
                "Date",
                "Connector direction and name",
                "Connector type",
                "Forced TLS?",
                "Volume",
                "No TLS",
                "TLS 1.0",
                "TLS 1.1",
                "TLS 1.2",
            ]
        )
        for d in range(DAYS):
            day = f"{(START + timedelta(days=d)):%-m/%-d/%Y}"
            relay = sum(v[d] for v in relayed.values())
            w.writerow(
                [
                    day,
                    f"Inbound - {PRINT_RELAY}",
                    "OnPremises",
                    "False",
                    relay,
                    "0.00",
                    "0.00",
                    "100.00",
                    "0.00",
                ]
            )
            w.writerow(
                [
                    day,
                    f"Inbound - {HYBRID}",
                    "OnPremises",
                    "True",
                    hybrid[d],
                    "0.00",
                    "100.00",
                    "0.00",
                    "0.00",
                ]
            )


def _trace(path: Path, relayed: dict[str, list[int]], rng: random.Random) -> None:
    """Get-MessageTraceV2 -FromIP 198.51.100.70 | Export-Csv (PowerShell 7: no #TYPE line)."""
    with trace_csv(path) as w:
        n = 0
        for d in range(DAYS):
            for sender, volumes in relayed.items():
                host = RELAYED[sender][0]
                for _ in range(volumes[d]):
                    n += 1
                    when = START + timedelta(days=d, seconds=rng.randrange(8 * 3600, 18 * 3600))
                    hour = when.hour % 12 or 12
                    stamp = (
                        f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d}:"
                        f"{when.second:02d} {'AM' if when.hour < 12 else 'PM'}"
                    )
                    w.writerow(
                        [
                            stamp,
                            sender,
                            "office@fabrikam.example",
                            "Scanned document",
                            "Delivered",
                            "",
                            RELAY_IP,
                            "81234",
                            f"<{when:%Y%m%d%H%M%S}.{n}@{host}>",
                            f"{n:08x}-1111-2222-3333-444455556666",
                        ]
                    )


def _connectors(path: Path) -> None:
    """Get-InboundConnector | ConvertTo-Json (only the properties o365tls reads)."""

    def connector(name, ips, certificate, require_tls):
        return {
            "Enabled": True,
            "ConnectorType": "OnPremises",
            "SenderIPAddresses": ips,
            "SenderDomains": ["smtp:*;1"],
            "RequireTls": require_tls,
            "RestrictDomainsToCertificate": False,
            "TlsSenderCertificateName": certificate,
            "Name": name,
            "Identity": name,
        }

    data = [
        connector(PRINT_RELAY, [RELAY_IP], None, False),
        connector(HYBRID, [EXCHANGE_IP], "mail.fabrikam.example", True),
    ]
    path.write_text(json.dumps(data, indent=4), encoding="utf-8")


_HEADER = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.01.2507.006\r\n"
    "#Log-type: SMTP {kind} Protocol Log\r\n#Date: {date}\r\n"
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
    "remote-endpoint,event,data,context\r\n"
)
_TLS = (
    "TLS protocol {protocol} negotiation succeeded using bulk encryption algorithm "
    "CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with strength 384 "
    "bits and key exchange algorithm CALG_ECDH_EPHEM with strength 384 bits"
)


def _log(path: Path, kind: str, sessions: list[list[tuple[str, str, str, str, str]]]) -> None:
    """Sessions of (connector, local, remote, event, data[, context]) lines, one second apart."""
    lines = [_HEADER.format(kind=kind, date=f"{LOG_DAY:%Y-%m-%d}T09:00:00.000Z")]
    when = LOG_DAY + timedelta(hours=9)
    for number, session in enumerate(sessions):
        sid = f"08DCE2F0A1B2{number:04X}"
        for seq, (connector, local, remote, event, data, *context) in enumerate(session):
            when += timedelta(milliseconds=40)
            cells = [
                f"{when:%Y-%m-%dT%H:%M:%S}.{when.microsecond // 1000:03d}Z",
                connector,
                sid,
                str(seq),
                local,
                remote,
                event,
                data,
                context[0] if context else "",
            ]
            lines.append(",".join(f'"{c}"' if "," in c else c for c in cells) + "\r\n")
        when += timedelta(seconds=20)
    path.write_bytes(("\ufeff" + "".join(lines)).encode("utf-8"))


def _send_log(path: Path) -> None:
    local, remote, name = "10.30.0.10:21544", "192.0.2.11:25", "Outbound to Office 365"
    sessions = []
    for i in range(SEND_MESSAGES):

        def line(event, data="", context=""):
            return (name, local, remote, event, data, context)

        sessions.append(
            [
                (name, "", remote, "*", "", "attempting to connect"),
                line("+"),
                line(
                    "<",
                    "220 AM4PEPF00027A6C.mail.protection.outlook.com Microsoft ESMTP MAIL "
                    "Service ready",
                ),
                line(">", "EHLO mail.fabrikam.example"),
                line("<", "250-STARTTLS"),
                line("<", "250 SMTPUTF8"),
                line(">", "STARTTLS"),
                line("<", "220 2.0.0 SMTP server ready"),
                line("*", "", _TLS.format(protocol="SP_PROT_TLS1_0_CLIENT")),
                line(">", "EHLO mail.fabrikam.example"),
                line("<", "250 SMTPUTF8"),
                line(
                    "*",
                    "",
                    f"sending message with RecordId {5000 + i} and InternetMessageId "
                    f"<m{i}@EX2016.fabrikam.local>",
                ),
                line(">", "MAIL FROM:<reports@fabrikam.example> SIZE=20480"),
                line(">", "RCPT TO:<office@fabrikam.example>"),
                line("<", "250 2.1.0 Sender OK"),
                line("<", "250 2.1.5 Recipient OK"),
                line(">", "BDAT 20480 LAST"),
                line("<", f"250 2.6.0 <m{i}@EX2016.fabrikam.local> Queued mail for delivery"),
                line(">", "QUIT"),
                line("<", "221 2.0.0 Service closing transmission channel"),
                line("-", "", "Local"),
            ]
        )
    _log(path, "Send", sessions)


def _receive_log(path: Path) -> None:
    connector, local = "EX2016\\Anonymous Relay", "10.30.0.10:25"

    def session(remote, helo, sender, tls):
        def line(event, data="", context=""):
            return (connector, local, remote, event, data, context)

        out = [
            line("+"),
            line(
                "*",
                "SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAnySender",
                "Set Session Permissions",
            ),
            line(">", "220 EX2016.fabrikam.local Microsoft ESMTP MAIL Service ready"),
            line("<", f"EHLO {helo}"),
            line(">", "250-STARTTLS"),
            line(">", "250 CHUNKING"),
        ]
        if tls:
            out += [
                line("<", "STARTTLS"),
                line(">", "220 2.0.0 SMTP server ready"),
                line("*", "", _TLS.format(protocol="SP_PROT_TLS1_2_SERVER")),
                line("<", f"EHLO {helo}"),
                line(">", "250 CHUNKING"),
            ]
        out += [
            line("<", f"MAIL FROM:<{sender}> SIZE=40960"),
            line("*", "08DCE2F0A1B20000;2026-10-12T09:00:00.000Z;1", "receiving message"),
            line(">", "250 2.1.0 Sender OK"),
            line("<", "RCPT TO:<office@fabrikam.example>"),
            line(">", "250 2.1.5 Recipient OK"),
            line("<", "DATA"),
            line(">", "354 Start mail input; end with <CRLF>.<CRLF>"),
            line(">", "250 2.6.0 <r@EX2016.fabrikam.local> Queued mail for delivery"),
            line("<", "QUIT"),
            line(">", "221 2.0.0 Service closing transmission channel"),
            line("-", "", "Local"),
        ]
        return out

    _log(
        path,
        "Receive",
        [
            session("10.30.5.21:50001", "ZT230-WH02", LABELS, tls=False),
            session("10.30.5.21:50002", "ZT230-WH02", LABELS, tls=False),
            session("10.30.1.40:50003", "MFP-3F", SCANNER, tls=True),
        ],
    )
