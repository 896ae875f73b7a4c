"""Writes protocol logs shaped like the ones admins and responders share in public (run it to
regenerate them; README.md names the source of each shape).

Shared logs differ from whole ones: they are an excerpt of one hourly file (a server-to-server
session begun in the file before, sequence numbers far above 0), carry the ``#Version:
15.0.0.0`` header Exchange 2013-2019 write, and often have their IPs masked by hand.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIELDS = (
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
    "remote-endpoint,event,data,context"
)
TLS = (
    "TLS protocol {} negotiation succeeded using bulk encryption algorithm {} with strength "
    "{} bits, MAC hash algorithm {} with strength 0 bits and key exchange algorithm "
    "CALG_ECDH_EPHEM with strength 384 bits"
)
TLS12 = TLS.format("SP_PROT_TLS1_2_SERVER", "CALG_AES_256", 256, "CALG_SHA_384")
TLS10 = TLS.format("SP_PROT_TLS1_0_SERVER", "CALG_AES_128", 128, "CALG_SHA1")
TLS11 = TLS.format("SP_PROT_TLS1_1_SERVER", "CALG_AES_256", 256, "CALG_SHA1")
TLS12_CLIENT = TLS.format("SP_PROT_TLS1_2_CLIENT", "CALG_AES_256", 256, "CALG_SHA_384")
SENDING_CERT = (
    "Sending certificate Subject Issuer name Serial number Thumbprint Not before "
    "Not after Subject alternate names"
)
CERT = (
    " CN=EX01 CN=EX01 5A1B2C3D4E5F60718293A4B5C6D7E8F9 5A1B2C3D4E5F60718293A4B5C6D7E8F901"
    "234567 2024-01-10T09:00:00.000Z 2029-01-10T09:00:00.000Z EX01;EX01.contoso.example"
)
PERMS = "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders"
EHLO_REPLY = (
    "250  EX01.contoso.example Hello [{}] SIZE 37748736 PIPELINING DSN "
    "ENHANCEDSTATUSCODES STARTTLS X-ANONYMOUSTLS AUTH NTLM X-EXPS GSSAPI NTLM "
    "8BITMIME BINARYMIME CHUNKING XEXCH50 XRDST XSHADOWREQUEST"
)


class Log:
    def __init__(self, log_type: str, date: str) -> None:
        self.day = date[:10]
        self.head = [
            "#Software: Microsoft Exchange Server",
            "#Version: 15.0.0.0",
            f"#Log-type: {log_type}",
            f"#Date: {date}",
            FIELDS,
        ]
        self.rows: list[list[str]] = []

    def session(self, connector: str, sid: str, local: str, remote: str, seq: int = 0):
        """Lines of one session; ``seq``: the sequence number of its first line here."""
        counter = [seq]

        def add(clock: str, event: str, data: str = "", context: str = "") -> None:
            self.rows.append(
                [
                    f"{self.day}T{clock}Z",
                    connector,
                    sid,
                    str(counter[0]),
                    local,
                    remote,
                    event,
                    data,
                    context,
                ]
            )
            counter[0] += 1

        return add

    def write(self, name: str) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for line in self.head:
            out.write(line + "\r\n")
        for row in sorted(self.rows, key=lambda r: r[0]):  # stable: a session keeps its order
            writer.writerow(row)
        path = HERE / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue().encode("utf-8"))


def hub() -> None:
    """A hub (Transport service) receive log: one hour of an Exchange server's long-lived
    sessions from another Exchange server. The first is an excerpt, sequence numbers 172-181:
    its connect and X-ANONYMOUSTLS are in the hour before, which is not here."""
    log = Log("SMTP Receive Protocol Log", "2024-03-16T12:00:00.012Z")
    a = log.session(
        "EX01\\Default EX01", "08DC45B1C2D3E001", "192.0.2.10:25", "192.0.2.11:41877", seq=172
    )
    for n, clock in enumerate(("12:00:03.101", "12:31:09.004")):
        a(clock, "<", f"MAIL FROM:<Journal{n}@contoso.example> SIZE=24817 BODY=BINARYMIME")
        a(clock, "*", f"08DC45B1C2D3E001;2024-03-16T{clock}Z;{n + 1}", "receiving message")
        a(clock, ">", "250 2.1.0 Sender OK")
        a(clock, "<", "RCPT TO:<archive@contoso.example>")
    a("12:31:09.120", "<", "XEXCH50 1040 2")
    a("12:31:09.121", ">", "354 Send binary data")

    # A whole session between the two servers: X-ANONYMOUSTLS, TLS 1.2, X-EXPS login.
    b = log.session("EX01\\Default EX01", "08DC45B1C2D3E002", "192.0.2.10:25", "192.0.2.11:41902")
    b("12:10:00.000", "+")
    b("12:10:00.001", "*", PERMS, "Set Session Permissions")
    b(
        "12:10:00.002",
        ">",
        "220 EX01.contoso.example Microsoft ESMTP MAIL Service ready at "
        "Sat, 16 Mar 2024 12:10:00 +0000",
    )
    b("12:10:00.010", "<", "EHLO EX02.contoso.example")
    b("12:10:00.011", ">", EHLO_REPLY.format("192.0.2.11"))
    b("12:10:00.020", "<", "X-ANONYMOUSTLS")
    b("12:10:00.021", ">", "220 2.0.0 SMTP server ready")
    b("12:10:00.022", "*", CERT, SENDING_CERT)
    b("12:10:00.040", "*", "", TLS12)
    b("12:10:00.050", "<", "EHLO EX02.contoso.example")
    b("12:10:00.060", "<", "X-EXPS GSSAPI")
    b("12:10:00.070", "*", "CONTOSO\\EX02$", "authenticated")
    b("12:10:00.080", "<", "MAIL FROM:<alerts@contoso.example> SIZE=3100")
    b("12:10:00.090", "<", "RCPT TO:<it@contoso.example>")
    b("12:10:00.100", "<", "BDAT 3100 LAST")
    b("12:10:00.200", ">", "250 2.6.0 <a-1@contoso.example> Queued mail for delivery")
    b("12:10:00.300", "<", "QUIT")
    b("12:10:00.301", "-", "", "Local")

    # Still open when the hour ends: its TLS was negotiated here, its message counted.
    c = log.session("EX01\\Default EX01", "08DC45B1C2D3E003", "192.0.2.10:25", "192.0.2.12:52001")
    c("12:58:00.000", "+")
    c("12:58:00.010", "<", "EHLO EX03.contoso.example")
    c("12:58:00.020", "<", "X-ANONYMOUSTLS")
    c("12:58:00.040", "*", "", TLS12)
    c("12:58:00.050", "<", "EHLO EX03.contoso.example")
    c("12:58:00.060", "<", "MAIL FROM:<reports@contoso.example> SIZE=900")
    log.write("hub/RECV2024031612-1.LOG")

    send = Log("SMTP Send Protocol Log", "2024-03-16T12:00:00.020Z")
    # A send session begun in the hour before: neither "attempting to connect" nor "+".
    d = send.session(
        "Outbound to Internet", "08DC45B1C2D3F001", "192.0.2.10:61002", "203.0.113.25:25", seq=40
    )
    d("12:00:04.000", ">", "MAIL FROM:<Ledger@contoso.example> SIZE=4000")
    d("12:00:04.010", "<", "250 2.1.0 Ok")
    d("12:00:04.020", ">", "RCPT TO:<ap@fabrikam.example>")
    d("12:00:04.100", ">", "QUIT")
    d("12:00:04.110", "-", "", "Local")
    # A whole one: "attempting to connect" (sequence 0), then "+".
    e = send.session("Outbound to Internet", "08DC45B1C2D3F002", "", "203.0.113.25:25")
    e("12:20:00.000", "*", "", "attempting to connect")
    e = send.session(
        "Outbound to Internet", "08DC45B1C2D3F002", "192.0.2.10:61050", "203.0.113.25:25", seq=1
    )
    e("12:20:00.010", "+")
    e("12:20:00.020", "<", "220 mx.fabrikam.example ESMTP")
    e("12:20:00.030", ">", "EHLO EX01.contoso.example")
    e("12:20:00.040", ">", "STARTTLS")
    e("12:20:00.050", "*", "", TLS12_CLIENT)
    e("12:20:00.060", ">", "EHLO EX01.contoso.example")
    e("12:20:00.070", ">", "MAIL FROM:<Ledger@contoso.example> SIZE=4000")
    e("12:20:00.080", ">", "QUIT")
    e("12:20:00.090", "-", "", "Local")
    send.write("hub/SEND2024031612-1.LOG")


def frontend() -> None:
    """A frontend receive log with sessions that negotiate legacy TLS and send nothing: a
    monitor that only tests STARTTLS, a TLS 1.1 client whose login fails; and one message."""
    log = Log("SMTP Receive Protocol Log", "2024-03-16T13:00:00.004Z")
    for n, minute in enumerate(("13:00", "13:15", "13:30")):
        p = log.session(
            "EX01\\Default Frontend EX01",
            f"08DC45B1C2D3E1{n:02d}",
            "192.0.2.10:25",
            f"198.51.100.40:{50100 + n}",
        )
        p(f"{minute}:00.000", "+")
        p(f"{minute}:00.001", ">", "220 EX01.contoso.example Microsoft ESMTP MAIL Service ready")
        p(f"{minute}:00.010", "<", "EHLO nagios.contoso.example")
        p(f"{minute}:00.011", ">", EHLO_REPLY.format("198.51.100.40"))
        p(f"{minute}:00.020", "<", "STARTTLS")
        p(f"{minute}:00.021", ">", "220 2.0.0 SMTP server ready")
        p(f"{minute}:00.022", "*", CERT, SENDING_CERT)
        p(f"{minute}:00.040", "*", "", TLS10)
        p(f"{minute}:00.050", "<", "QUIT")
        p(f"{minute}:00.051", ">", "221 2.0.0 Service closing transmission channel")
        p(f"{minute}:00.052", "-", "", "Local")
    q = log.session(
        "EX01\\Client Frontend EX01", "08DC45B1C2D3E110", "192.0.2.10:587", "198.51.100.41:50200"
    )
    q("13:40:00.000", "+")
    q("13:40:00.010", "<", "EHLO MFP-3F-COPIER")
    q("13:40:00.020", "<", "STARTTLS")
    q("13:40:00.040", "*", "", TLS11)
    q("13:40:00.050", "<", "EHLO MFP-3F-COPIER")
    q("13:40:00.060", "<", "AUTH LOGIN")
    q("13:40:03.000", "*", "", "Inbound AUTH LOGIN failed because of LogonDenied")
    q("13:40:03.001", "*", "", "User Name: scanner@contoso.example")
    q("13:40:03.100", "-", "", "Remote(SocketError)")
    r = log.session(
        "EX01\\Default Frontend EX01", "08DC45B1C2D3E111", "192.0.2.10:25", "203.0.113.60:40000"
    )
    r("13:50:00.000", "+")
    r("13:50:00.010", "<", "EHLO mail.fabrikam.example")
    r("13:50:00.020", "<", "STARTTLS")
    r("13:50:00.040", "*", "", TLS12)
    r("13:50:00.050", "<", "EHLO mail.fabrikam.example")
    r("13:50:00.060", "<", "MAIL FROM:<orders@fabrikam.example> SIZE=1000")
    r("13:50:00.070", "<", "RCPT TO:<sales@contoso.example>")
    r("13:50:00.080", "<", "BDAT 1000 LAST")
    r("13:50:00.090", "-", "", "Local")
    log.write("frontend/RECV2024031613-1.LOG")


def masked() -> None:
    """A receive log as pasted into a forum question: the endpoints masked by hand."""
    log = Log("SMTP Receive Protocol Log", "2024-03-16T14:00:00.004Z")
    for n, (local, remote) in enumerate(
        (
            ("x.x.x.x:25", "10.**.**.31:56026"),
            ("x.x.x.x:25", "192.168.x.x:56100"),
            ("*.*.*.*:25", "[REDACTED]:56200"),
        )
    ):
        s = log.session("SERVER\\Default Frontend SERVER", f"08DC45B1C2D3E2{n:02d}", local, remote)
        s(f"14:0{n}:00.000", "+")
        s(f"14:0{n}:00.010", "<", "EHLO [192.168.x.x]")
        s(f"14:0{n}:00.020", "<", f"MAIL FROM:<app{n}@contoso.example>")
        s(f"14:0{n}:00.030", "<", "RCPT TO:<it@contoso.example>")
        s(f"14:0{n}:00.040", "-", "", "Local")
    log.write("masked/RECV2024031614-1.LOG")

    header = (
        "Organization",
        "MessageId",
        "Received",
        "SenderAddress",
        "RecipientAddress",
        "Subject",
        "Status",
        "ToIP",
        "FromIP",
        "Size",
        "MessageTraceId",
    )
    rows = [
        (
            "contoso.onmicrosoft.com",
            f"<m{n}@contoso.example>",
            f"3/16/2024 2:0{n}:00 PM",
            f"app{n}@contoso.example",
            "it@contoso.example",
            "Report",
            "Delivered",
            "",
            ip,
            "1200",
            f"1a2b3c4d-5e6f-4081-9203-08de0b2c3d5{n}",
        )
        for n, ip in enumerate(("10.**.**.31", "192.168.x.x", "203.0.113.9"))
    ]
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    (HERE / "masked" / "message-trace.csv").write_bytes(out.getvalue().encode("utf-8"))


def intra_org() -> None:
    """An intra-organization send log excerpt as posted in a troubleshooting note: it starts
    at sequence number 27 with the TLS 1.0 line (the connect is cut off), the IPs are masked,
    the next site's EHLO reply is one line per keyword, and the login fails: no MAIL FROM,
    no disconnect."""
    log = Log("SMTP Send Protocol Log", "2019-11-04T06:00:00.020Z")
    connector = "组织内 SMTP 发送连接器"
    s = log.session(connector, "08D760DF231F00BC", "10.**.**.31:37964", "10.**.**.168:25", seq=27)
    clock = "06:00:35.402"
    s(
        clock,
        "*",
        "",
        "TLS protocol SP_PROT_TLS1_0_CLIENT negotiation succeeded using bulk "
        "encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash "
        "algorithm CALG_SHA1 with strength 160 bits and key exchange algorithm "
        "CALG_ECDHE with strength 256 bits",
    )
    s(clock, "*", "", "Received certificate")
    s(clock, "*", "6A0B1C2D3E4F5061728394A5B6C7D8E9F0A1B2C3", "Certificate thumbprint")
    s(clock, ">", "EHLO HQ-MBX01.corp.contoso.example")
    s(clock, "<", "250-SD-MBX04.sd.corp.contoso.example Hello [10.**.**.31]")
    for keyword in (
        "SIZE",
        "PIPELINING",
        "DSN",
        "ENHANCEDSTATUSCODES",
        "AUTH NTLM LOGIN",
        "X-EXPS EXCHANGEAUTH GSSAPI NTLM",
        "X-EXCHANGEAUTH SHA256",
        "8BITMIME",
        "BINARYMIME",
        "CHUNKING",
        "XEXCH50",
        "XRDST",
    ):
        s(clock, "<", f"250-{keyword}")
    s(clock, "<", "250 XSHADOW")
    s("06:00:35.496", "*", "", "Outbound Authentication failed with LogonDenied")
    log.write("intra-org/SEND2019110406-1.LOG")


if __name__ == "__main__":
    hub()
    frontend()
    masked()
    intra_org()
