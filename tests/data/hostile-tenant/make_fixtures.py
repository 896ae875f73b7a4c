"""Writes a small tenant whose free-text fields carry markup (run it to regenerate the files).

Every field a report prints can come from an attacker: a subject, a sender address, an EHLO
name, a connector name. Each of these carries ``<img src=x onerror=alert(1)>`` and
``</script>`` here (the EHLO name without spaces, because EHLO takes one word); the HTML
report must show them as text. The shapes are the sample tenant's: an EAC inbound connector
report (CRLF, quoted), a Get-MessageTraceV2 export, and an Exchange Server receive protocol log.
"""

from __future__ import annotations

import codecs
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
PAYLOAD = "<img src=x onerror=alert(1)></script>"
HELO_PAYLOAD = "<img/src=x/onerror=alert(1)></script>"
CONNECTOR = f"Relay {PAYLOAD}"
SENDER = f"x{PAYLOAD}@evil.example"
SUBJECT = f"Scanned from a Xerox Multifunction Printer {PAYLOAD}"
CLEAN_SENDER = "reports@tenant.example"
RELAY_IP = "198.51.100.20"
START = datetime(2026, 10, 5)
# Messages per day: the hostile sender on TLS 1.0, a clean one on TLS 1.2, volumes that move
# apart so that attribution can tell them apart.
HOSTILE = [9, 2, 12, 4, 0, 7, 11]
CLEAN = [3, 10, 2, 8, 6, 1, 5]


def _en_us(when: datetime) -> str:
    hour = when.hour % 12 or 12
    return (
        f"{when.month}/{when.day}/{when.year} {hour}:{when.minute:02d}:{when.second:02d} "
        f"{'AM' if when.hour < 12 else 'PM'}"
    )


def connector_report() -> None:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(
        [
            "Date",
            "Connector direction and name",
            "Connector type",
            "Forced TLS?",
            "No TLS",
            "TLS 1.0",
            "TLS 1.1",
            "TLS 1.2",
            "Volume",
        ]
    )
    for day, (bad, good) in enumerate(zip(HOSTILE, CLEAN, strict=True)):
        total = bad + good
        pct = [0.0, 100 * bad / total, 0.0, 100 * good / total]
        w.writerow(
            [
                (START + timedelta(days=day)).strftime("%Y-%m-%d"),
                f"Inbound - {CONNECTOR}",
                "OnPremises",
                "False",
                *(f"{p:.2f}" for p in pct),
                total,
            ]
        )
    (HERE / "inbound-messages-report.csv").write_bytes(codecs.BOM_UTF8 + out.getvalue().encode())


def message_trace() -> None:
    out = io.StringIO()
    w = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(
        [
            "Received",
            "SenderAddress",
            "RecipientAddress",
            "Subject",
            "Status",
            "ToIP",
            "FromIP",
            "Size",
            "MessageId",
            "MessageTraceId",
        ]
    )
    n = 0
    for day, (bad, good) in enumerate(zip(HOSTILE, CLEAN, strict=True)):
        for sender, subject, count in (
            (SENDER, SUBJECT, bad),
            (CLEAN_SENDER, "Daily report", good),
        ):
            for i in range(count):
                n += 1
                when = START + timedelta(days=day, hours=8, minutes=7 * i, seconds=n)
                w.writerow(
                    [
                        _en_us(when),
                        sender,
                        "user@tenant.example",
                        subject,
                        "Delivered",
                        "",
                        RELAY_IP,
                        "2048",
                        f"<{n}@tenant.example>",
                        f"{n:08x}-0000-0000-0000-000000000000",
                    ]
                )
    (HERE / "message-trace.csv").write_text(out.getvalue(), encoding="utf-8", newline="")


def protocol_log() -> None:
    lines = [
        "#Software: Microsoft Exchange Server",
        "#Version: 15.02.1544.004",
        "#Log-type: SMTP Receive Protocol Log",
        "#Date: 2026-10-06T09:00:00.000Z",
        "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
        "remote-endpoint,event,data,context",
    ]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    tls10 = (
        "TLS protocol SP_PROT_TLS1_0_SERVER negotiation succeeded using bulk encryption "
        "algorithm CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA1 with "
        "strength 160 bits and key exchange algorithm CALG_ECDHE with strength 256 bits"
    )
    session = [
        ("+", "", ""),
        (">", "220 EX01.tenant.example Microsoft ESMTP MAIL Service ready", ""),
        ("<", f"EHLO {HELO_PAYLOAD}", ""),
        (">", "250  EX01.tenant.example Hello [10.0.30.21] STARTTLS", ""),
        ("<", "STARTTLS", ""),
        (">", "220 2.0.0 SMTP server ready", ""),
        ("*", "", tls10),
        ("<", f"EHLO {HELO_PAYLOAD}", ""),
        ("<", "MAIL FROM:<scanner@tenant.example>", ""),
        (">", "250 2.1.0 Sender OK", ""),
        ("<", "RCPT TO:<user@tenant.example>", ""),
        ("<", "DATA", ""),
        (">", "250 2.6.0 <hostile-1@tenant.example> Queued mail for delivery", ""),
        ("<", "QUIT", ""),
        ("-", "", "Local"),
    ]
    for seq, (event, data, context) in enumerate(session):
        w.writerow(
            [
                f"2026-10-06T09:00:{seq:02d}.000Z",
                f"EX01\\{CONNECTOR}",
                "08DE00A1B2C3D001",
                seq,
                "10.0.0.10:25",
                "10.0.30.21:1031",
                event,
                data,
                context,
            ]
        )
    text = "\r\n".join(lines) + "\r\n" + out.getvalue()
    (HERE / "RECV2026100609-1.LOG").write_bytes(codecs.BOM_UTF8 + text.encode("utf-8"))


if __name__ == "__main__":
    connector_report()
    message_trace()
    protocol_log()
