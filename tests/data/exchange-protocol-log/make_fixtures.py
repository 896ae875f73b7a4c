"""Writes the protocol-log fixtures next to this script (run it to regenerate them).

Line shapes follow real Exchange 2016/2019 logs: CRLF, csv quoting only where a field holds a
comma or quote, the certificate/permission/TLS information lines as Exchange writes them, the
send log in UTF-8 with BOM and a localized (Chinese) intra-organization send connector name.
"""

from __future__ import annotations

import codecs
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
    "{} bits, MAC hash algorithm CALG_SHA_384 with strength 384 bits and key exchange "
    "algorithm CALG_ECDH_EPHEM with strength 384 bits"
)
TLS10 = (
    "TLS protocol {} negotiation succeeded using bulk encryption algorithm CALG_AES_{} with "
    "strength {} bits, MAC hash algorithm CALG_SHA1 with strength 160 bits and key exchange "
    "algorithm CALG_ECDHE with strength 256 bits"
)
CERT = (
    " CN=mail.contoso.com CN=Contoso Issuing CA 01 6A0000012F3C 3F2A9C0D5E7B41A2B6C8D9E0F1A2B3"
    "C4D5E6F708 2023-11-01T00:00:00.000Z 2025-11-01T00:00:00.000Z mail.contoso.com;"
    "autodiscover.contoso.com"
)
CERT_CONTEXT = (
    "Sending certificate Subject Issuer name Serial number Thumbprint Not before "
    "Not after Subject alternate names"
)
PERMS = "SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders"


class Log:
    def __init__(self, log_type: str, date: str) -> None:
        self.head = [
            "#Software: Microsoft Exchange Server",
            "#Version: 15.02.1544.004",
            f"#Log-type: {log_type}",
            f"#Date: {date}",
            FIELDS,
        ]
        self.lines: list[tuple[str, int, list[str] | str]] = []
        self.seq: dict[str, int] = {}

    def session(self, connector, sid, local, remote):
        def add(ts, event, data="", context=""):
            seq = self.seq.get(sid, 0)
            self.seq[sid] = seq + 1
            fields = [ts, connector, sid, str(seq), local, remote, event, data, context]
            self.lines.append((ts, len(self.lines), fields))

        return add

    def raw(self, ts: str, text: str) -> None:
        self.lines.append((ts, len(self.lines), text))

    def write(self, name: str, bom: bool = False) -> None:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        for line in self.head:
            out.write(line + "\r\n")
        for _ts, _n, fields in sorted(self.lines, key=lambda x: (x[0], x[1])):
            if isinstance(fields, str):
                out.write(fields + "\r\n")
            else:
                writer.writerow(fields)
        data = out.getvalue().encode("utf-8")
        (HERE / name).write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def t(clock: str) -> str:
    return f"2024-03-15T{clock}Z"


def receive_09() -> None:
    log = Log("SMTP Receive Protocol Log", t("09:00:00.021"))
    # A: application on 587, STARTTLS + TLS 1.2, AUTH LOGIN as CONTOSO\svc-app, one message.
    a = log.session(
        "EX01\\Client Frontend EX01", "08DC44A1B2C3D001", "10.0.0.10:587", "10.0.20.15:50123"
    )
    a(t("09:00:01.100"), "+")
    a(t("09:00:01.101"), "*", PERMS, "Set Session Permissions")
    a(
        t("09:00:01.102"),
        ">",
        "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at "
        "Fri, 15 Mar 2024 10:00:01 +0100",
    )
    a(t("09:00:01.120"), "<", "EHLO app01.contoso.local")
    a(
        t("09:00:01.121"),
        ">",
        "250  EX01.contoso.com Hello [10.0.20.15] SIZE 37748736 "
        "PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS AUTH GSSAPI NTLM "
        "8BITMIME BINARYMIME CHUNKING SMTPUTF8",
    )
    a(t("09:00:01.130"), "<", "STARTTLS")
    a(t("09:00:01.131"), ">", "220 2.0.0 SMTP server ready")
    a(t("09:00:01.132"), "*", CERT, CERT_CONTEXT)
    a(t("09:00:01.160"), "*", "", TLS.format("SP_PROT_TLS1_2_SERVER", "CALG_AES_256", 256))
    a(t("09:00:01.170"), "<", "EHLO app01.contoso.local")
    a(t("09:00:01.171"), "*", "", "Client certificate chain validation status: 'EmptyCertificate'")
    a(t("09:00:01.180"), "<", "AUTH LOGIN")
    a(t("09:00:01.181"), ">", "334 <authentication response>")
    a(
        t("09:00:01.190"),
        "*",
        PERMS + " SMTPAcceptAnyRecipient BypassAntiSpam",
        "Set Session Permissions",
    )
    a(t("09:00:01.191"), "*", "CONTOSO\\svc-app", "authenticated")
    a(t("09:00:01.192"), ">", "235 2.7.0 Authentication successful")
    a(t("09:00:01.200"), "<", "MAIL FROM:<Reports@Contoso.com> SIZE=48213")
    a(t("09:00:01.201"), "*", "08DC44A1B2C3D001;2024-03-15T09:00:01.100Z;1", "receiving message")
    a(t("09:00:01.202"), ">", "250 2.1.0 Sender OK")
    a(t("09:00:01.210"), "<", "RCPT TO:<finance@contoso.com>")
    a(t("09:00:01.211"), ">", "250 2.1.5 Recipient OK")
    a(t("09:00:01.220"), "<", "BDAT 48213 LAST")
    a(
        t("09:00:01.300"),
        ">",
        "250 2.6.0 <a1b2c3@app01.contoso.local> [InternalId=41231686041601,"
        " Hostname=EX01.contoso.com] 49817 bytes in 0.080, 608.112 KB/sec "
        "Queued mail for delivery",
    )
    a(t("09:00:01.310"), "<", "QUIT")
    a(t("09:00:01.311"), ">", "221 2.0.0 Service closing transmission channel")
    a(t("09:00:01.312"), "-", "", "Local")

    # B: HP multifunction device on a relay connector with a non-ASCII name, TLS 1.0.
    b = log.session(
        "EX01\\Relais Geräte Büro", "08DC44A1B2C3D002", "10.0.0.10:25", "10.0.30.21:1031"
    )
    b(t("09:00:01.150"), "+")
    b(
        t("09:00:01.151"),
        ">",
        "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready at "
        "Fri, 15 Mar 2024 10:00:01 +0100",
    )
    b(t("09:00:01.400"), "<", "EHLO NPI3A5F21")
    b(
        t("09:00:01.401"),
        ">",
        "250  EX01.contoso.com Hello [10.0.30.21] SIZE 37748736 "
        "PIPELINING DSN ENHANCEDSTATUSCODES STARTTLS 8BITMIME",
    )
    b(t("09:00:01.410"), "<", "STARTTLS")
    b(t("09:00:01.411"), ">", "220 2.0.0 SMTP server ready")
    b(t("09:00:01.450"), "*", "", TLS10.format("SP_PROT_TLS1_0_SERVER", 128, 128))
    b(t("09:00:01.460"), "<", "EHLO NPI3A5F21")
    b(t("09:00:01.470"), "<", "MAIL FROM:<scan@contoso.com>")
    b(t("09:00:01.471"), ">", "250 2.1.0 Sender OK")
    b(t("09:00:01.480"), "<", "RCPT TO:<j.doe@contoso.com>")
    b(t("09:00:01.490"), "<", "DATA")
    b(t("09:00:01.491"), ">", "354 Start mail input; end with <CRLF>.<CRLF>")
    b(
        t("09:00:02.900"),
        ">",
        "250 2.6.0 <NPI3A5F21-1710493201@contoso.com> Queued mail for delivery",
    )
    b(t("09:00:02.910"), "<", "QUIT")
    b(t("09:00:02.911"), "-", "", "Local")

    # C: plaintext relay from a SQL server, two messages; two damaged lines in the middle.
    c = log.session("EX01\\Anonymous Relay", "08DC44A1B2C3D003", "10.0.0.10:25", "10.0.40.7:49877")
    c(t("09:03:00.000"), "+")
    c(t("09:03:00.001"), ">", "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready")
    c(t("09:03:00.010"), "<", "HELO SQL01")
    c(t("09:03:00.011"), ">", "250 EX01.contoso.com Hello [10.0.40.7]")
    c(t("09:03:00.020"), "<", "MAIL FROM:<dbmail@contoso.com>")
    c(t("09:03:00.021"), ">", "250 2.1.0 Sender OK")
    c(t("09:03:00.030"), "<", "RCPT TO:<dba@contoso.com>")
    log.raw(
        t("09:03:00.035"),
        "2024-03-15T09:03:00.035Z,EX01\\Anonymous Relay,08DC44A1B2C3D003,7,10.0.0.10:25",
    )
    c(t("09:03:00.040"), "<", "DATA")
    c(t("09:03:00.300"), ">", "250 2.6.0 <1@SQL01> Queued mail for delivery")
    log.raw(
        t("09:03:00.310"),
        "2024-13-45T99:03:00.310Z,EX01\\Anonymous Relay,"
        "08DC44A1B2C3D003,10,10.0.0.10:25,10.0.40.7:49877,<,RSET,",
    )
    c(t("09:03:00.400"), "<", "MAIL FROM:<Alerts@Contoso.com>")
    c(t("09:03:00.410"), "<", "RCPT TO:<dba@contoso.com>")
    c(t("09:03:00.420"), "<", "DATA")
    c(t("09:03:00.700"), ">", "250 2.6.0 <2@SQL01> Queued mail for delivery")
    c(t("09:03:00.710"), "<", "QUIT")
    c(t("09:03:00.711"), "-", "", "Local")

    # D: a connection that never sent MAIL FROM; its login failed.
    d = log.session(
        "EX01\\Default Frontend EX01", "08DC44A1B2C3D004", "10.0.0.10:25", "192.0.2.99:61234"
    )
    d(t("09:10:00.000"), "+")
    d(t("09:10:00.001"), ">", "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready")
    d(t("09:10:00.100"), "<", "EHLO scanner.example")
    d(t("09:10:00.101"), ">", "250  EX01.contoso.com Hello [192.0.2.99] SIZE 37748736")
    d(t("09:10:00.200"), "<", "AUTH LOGIN")
    d(t("09:10:04.000"), "*", "", "Inbound AUTH LOGIN failed because of LogonDenied")
    d(t("09:10:04.001"), "*", "", "User Name: scanner@contoso.com")
    d(t("09:10:05.000"), "-", "", "Remote(SocketError)")

    # F: MAIL FROM refused before STARTTLS, then the same sender again over TLS 1.2.
    f = log.session("EX01\\Partner TLS", "08DC44A1B2C3D005", "10.0.0.10:25", "198.51.100.20:40404")
    f(t("09:20:00.000"), "+")
    f(t("09:20:00.010"), "<", "EHLO mta.partner.example")
    f(t("09:20:00.020"), "<", "MAIL FROM:<Billing@Partner.example> SIZE=1200")
    f(t("09:20:00.021"), ">", "530 5.7.1 Must issue a STARTTLS command first")
    f(t("09:20:00.030"), "<", "STARTTLS")
    f(t("09:20:00.031"), ">", "220 2.0.0 SMTP server ready")
    f(t("09:20:00.060"), "*", "", TLS.format("SP_PROT_TLS1_2_SERVER", "CALG_AES_128", 128))
    f(t("09:20:00.070"), "<", "EHLO mta.partner.example")
    f(t("09:20:00.080"), "<", "MAIL FROM:<Billing@Partner.example> SIZE=1200")
    f(t("09:20:00.090"), "<", "RCPT TO:<ap@contoso.com>")
    f(t("09:20:00.100"), "<", "BDAT 1200 LAST")
    f(t("09:20:00.200"), "-", "", "Remote(SocketError)")

    # H: starts before the hourly roll-over; its MAIL FROM is in the next file.
    h = log.session(
        "EX01\\Default Frontend EX01", "08DC44A1B2C3D006", "10.0.0.10:25", "203.0.113.77:55000"
    )
    h(t("09:59:58.000"), "+")
    h(t("09:59:58.001"), ">", "220 EX01.contoso.com Microsoft ESMTP MAIL Service ready")
    h(t("09:59:58.100"), "<", "EHLO mail.fabrikam.example")
    h(t("09:59:58.200"), "<", "STARTTLS")
    h(t("09:59:58.201"), ">", "220 2.0.0 SMTP server ready")
    h(t("09:59:58.300"), "*", "", TLS.format("SP_PROT_TLS1_2_SERVER", "CALG_AES_256", 256))
    h(t("09:59:58.400"), "<", "EHLO mail.fabrikam.example")
    log.write("RECV2024031509-1.LOG")

    nxt = Log("SMTP Receive Protocol Log", t("10:00:00.004"))
    nxt.seq = {"08DC44A1B2C3D006": log.seq["08DC44A1B2C3D006"]}
    h = nxt.session(
        "EX01\\Default Frontend EX01", "08DC44A1B2C3D006", "10.0.0.10:25", "203.0.113.77:55000"
    )
    h(t("10:00:00.100"), "<", "MAIL FROM:<Orders@Fabrikam.example> SIZE=9000")
    h(t("10:00:00.110"), "<", "RCPT TO:<sales@contoso.com>")
    h(t("10:00:00.120"), "<", "BDAT 9000 LAST")
    h(t("10:00:00.300"), ">", "250 2.6.0 <o-77@fabrikam.example> Queued mail for delivery")
    h(t("10:00:00.310"), "<", "QUIT")
    h(t("10:00:00.311"), "-", "", "Local")
    # I: plaintext, one message, wholly in this file.
    i = nxt.session("EX01\\Anonymous Relay", "08DC44A1B2C3D007", "10.0.0.10:25", "10.0.40.8:50001")
    i(t("10:05:00.000"), "+")
    i(t("10:05:00.010"), "<", "EHLO backup01")
    i(t("10:05:00.020"), "<", "MAIL FROM:<Veeam@Contoso.com>")
    i(t("10:05:00.030"), "<", "RCPT TO:<it@contoso.com>")
    i(t("10:05:00.040"), "<", "DATA")
    i(t("10:05:00.500"), "-", "", "Local")
    # J: still open when the logs end, never sent MAIL FROM.
    j = nxt.session(
        "EX01\\Default Frontend EX01", "08DC44A1B2C3D008", "10.0.0.10:25", "192.0.2.140:33000"
    )
    j(t("10:59:59.000"), "+")
    j(t("10:59:59.100"), "<", "EHLO [192.0.2.140]")
    nxt.write("RECV2024031510-1.LOG")


def send_09() -> None:
    log = Log("SMTP Send Protocol Log", t("09:00:00.533"))
    # A send session's first line is logged before the socket has a local endpoint.
    pre = log.session("Outbound to Internet", "08DC44A1B2C3E001", "", "203.0.113.25:25")
    pre(t("09:29:59.990"), "*", "", "attempting to connect")
    s = log.session(
        "Outbound to Internet", "08DC44A1B2C3E001", "10.0.0.10:51234", "203.0.113.25:25"
    )
    s(t("09:30:00.000"), "+")
    s(t("09:30:00.050"), "<", "220 mx.fabrikam.example ESMTP ready")
    s(t("09:30:00.051"), ">", "EHLO EX01.contoso.com")
    s(t("09:30:00.060"), "<", "250-mx.fabrikam.example Hello [198.51.100.1]")
    s(t("09:30:00.061"), "<", "250 STARTTLS")
    s(t("09:30:00.070"), ">", "STARTTLS")
    s(t("09:30:00.080"), "<", "220 2.0.0 Ready to start TLS")
    s(t("09:30:00.120"), "*", "", TLS.format("SP_PROT-TLS1_2_CLIENT", "CALG_AES_256", 256))
    s(t("09:30:00.121"), "*", "", "Received certificate")
    s(t("09:30:00.130"), ">", "EHLO EX01.contoso.com")
    s(t("09:30:00.140"), ">", "MAIL FROM:<Alice@Contoso.com> SIZE=2048")
    s(t("09:30:00.141"), ">", "RCPT TO:<bob@fabrikam.example>")
    s(t("09:30:00.150"), "<", "250 2.1.0 Ok")
    s(t("09:30:00.160"), ">", "DATA")
    s(t("09:30:00.400"), "<", "250 2.0.0 Ok: queued as 4F2D1")
    s(t("09:30:00.410"), ">", "QUIT")
    s(t("09:30:00.420"), "-", "", "Local")

    u = log.session(
        "组织内 SMTP 发送连接器", "08DC44A1B2C3E002", "10.0.0.31:37964", "10.0.1.168:25"
    )
    u(t("09:40:00.000"), "+")
    u(t("09:40:00.010"), "<", "220 M10-SD-MLCH04.sd.cnc.intra Microsoft ESMTP MAIL Service ready")
    u(t("09:40:00.011"), ">", "EHLO M10-HQ-MLCEN01.cnc.intra")
    u(t("09:40:00.020"), ">", "X-ANONYMOUSTLS")
    u(t("09:40:00.030"), "<", "220 2.0.0 SMTP server ready")
    u(t("09:40:00.060"), "*", "", TLS10.format("SP_PROT_TLS1_0_CLIENT", 256, 256))
    u(t("09:40:00.061"), "*", "", "Received certificate")
    u(t("09:40:00.062"), "*", "352D244A535D94B576232ECC4A4000CFE06BE106", "Certificate thumbprint")
    u(t("09:40:00.070"), ">", "EHLO M10-HQ-MLCEN01.cnc.intra")
    u(t("09:40:00.080"), "<", "250-M10-SD-MLCH04.sd.cnc.intra Hello [10.0.0.31]")
    u(t("09:40:00.090"), ">", "MAIL FROM:<> SIZE=4096")
    u(t("09:40:00.091"), ">", "RCPT TO:<user@sd.cnc.intra>")
    u(t("09:40:00.100"), ">", "BDAT 4096 LAST")
    u(t("09:40:00.200"), "<", "250 2.6.0 <ndr-1@cnc.intra> Queued mail for delivery")
    u(t("09:40:00.210"), ">", "QUIT")
    u(t("09:40:00.220"), "-", "", "Local")
    log.write("SEND2024031509-1.LOG", bom=True)


if __name__ == "__main__":
    receive_09()
    send_09()
