"""EXCH01, the Exchange 2010 hybrid server: SMTP Receive / Send protocol logs and the message
tracking log for 2026-11-20 08:00-10:00, built from the same messages as the cloud exports.

EXCH01 takes TLS 1.2 as a server (its SChannel server keys were set) but still offers only
TLS 1.0 as a client, so everything it sends to Exchange Online goes out on TLS 1.0.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from . import story as s
from .encode import CRLF, iso_ms, log_line

FIELDS = ("date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,"
          "event,data,context")
TRACKING_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
                   "connector-id,source,event-id,internal-message-id,message-id,recipient-address,"
                   "recipient-status,total-bytes,recipient-count,related-recipient-address,"
                   "reference,message-subject,sender-address,return-path,message-info,"
                   "directionality,tenant-id,original-client-ip,original-server-ip,custom-data")
SEND_CONNECTOR = "Outbound to Office 365"
EOP = [("192.0.2.10", "DB5PEPF00014B9C"), ("192.0.2.11", "AM4PEPF00027A6C"),
       ("192.0.2.12", "AMS0EPF000001A4")]
CIPHER = {  # what SChannel reports after the protocol name
    "TLS1.2": "bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm "
              "CALG_SHA_384 with strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with "
              "strength 384 bits",
    "TLS1.0": "bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash algorithm "
              "CALG_SHA1 with strength 160 bits and key exchange algorithm CALG_ECDH_EPHEM with "
              "strength 384 bits",
}
ANON_PERMS = ("SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAnySender "
              "SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders")
AUTH_PERMS = ("SMTPSubmit SMTPAcceptAnyRecipient SMTPAcceptAuthenticationFlag SMTPAcceptAnySender "
              "SMTPAcceptAuthoritativeDomainSender BypassAntiSpam BypassMessageSizeLimit "
              "SMTPAcceptEXCH50 AcceptRoutingHeaders")


@dataclass
class Session:
    """One SMTP conversation: its lines are (time, event, data, context)."""

    connector: str
    local: str
    remote: str
    start: datetime | None
    lines: list[tuple[datetime, str, str, str]] = field(default_factory=list)
    sid: str = ""
    messages: list[s.Message] = field(default_factory=list)


def _banner(fqdn: str, when: datetime) -> str:
    return (f"220 {fqdn} Microsoft ESMTP MAIL Service ready at "
            f"{when:%a, %d %b %Y %H:%M:%S} +0000")


def _ehlo_reply(fqdn: str, ip: str, starttls: bool, auth: bool, size: str) -> list[str]:
    # Exchange 2010 logs each line of a multi-line reply on its own.
    lines = [f"250-{fqdn} Hello [{ip}]", f"250-SIZE {size}", "250-PIPELINING", "250-DSN",
             "250-ENHANCEDSTATUSCODES"]
    lines += ["250-STARTTLS"] if starttls else []
    lines += ["250-AUTH NTLM LOGIN"] if auth else []
    return lines + ["250-8BITMIME", "250-BINARYMIME", "250 CHUNKING"]


def _tls_context(version: str, side: str, hyphen: bool = False) -> str:
    name = f"SP_PROT{'-' if hyphen else '_'}{version.replace('.', '_')}_{side}"
    return f"TLS protocol {name} negotiation succeeded using {CIPHER[version]}"


def _spread(start: datetime, steps: list[tuple], rng: random.Random, gap=(0.004, 0.06)):
    """Time each (event, data, context) step a few milliseconds after the previous one."""
    out, now = [], start
    for step in steps:
        out.append((now, *step))
        now += timedelta(seconds=rng.uniform(*gap))
    return out


def receive_sessions(messages: list[s.Message], rng: random.Random) -> list[Session]:
    window = [m for m in messages if m.onprem.get("source") == "SMTP"
              and s.WINDOW[0] <= m.onprem["received"] < s.WINDOW[1]]
    lan: dict[str, list[s.Message]] = {}
    for m in window:
        if "session" in m.onprem:
            lan.setdefault(m.onprem["session"], []).append(m)
    sessions = []
    for group in lan.values():
        first = group[0].onprem
        fqdn = "EXCH01.northwind.local"
        port, tls, user = first["port"], first["tls"], first["auth_user"]
        sess = Session(first["connector"], f"{s.EXCH01_LAN}:{port}",
                       f"{first['lan_ip']}:{rng.randrange(49152, 65535)}", first["start"],
                       messages=group)
        body = [_message_lines(m, m.onprem["received"], n, rng, "DATA")
                for n, m in enumerate(group, 1)]
        if sess.start is None:  # connect just long enough before the first MAIL FROM
            sess.start = body[0][0][0] - timedelta(seconds=1.4 if user else 0.9)
        perms = ANON_PERMS if port == 25 else "None"  # 587 grants nothing before AUTH
        pre = [("+", "", ""), ("*", perms, "Set Session Permissions"),
               (">", _banner(fqdn, sess.start), ""), ("<", f"EHLO {first['helo']}", "")]
        pre += [(">", line, "")
                for line in _ehlo_reply(fqdn, first["lan_ip"], True, False, "10485760")]
        if tls != "none":
            pre += [("<", "STARTTLS", ""), (">", "220 2.0.0 SMTP server ready", ""),
                    ("*", "", _tls_context(tls, "SERVER", hyphen=first["kind"] == "veeam")),
                    ("<", f"EHLO {first['helo']}", "")]
            pre += [(">", line, "") for line in
                    _ehlo_reply(fqdn, first["lan_ip"], False, bool(user), "10485760")]
        if user:
            pre += [("<", "AUTH LOGIN", ""), (">", "334 <authentication response>", ""),
                    (">", "334 <authentication response>", ""),
                    ("*", AUTH_PERMS, "Set Session Permissions"), ("*", user, "authenticated"),
                    (">", "235 2.7.0 Authentication successful", "")]
        sess.lines = _spread(sess.start, pre, rng, (0.004, 0.03))
        for lines in body:
            # A scripted start must leave room for the greeting; keep each session in order.
            assert lines[0][0] > sess.lines[-1][0], f"session {first['session']} overlaps"
            sess.lines += lines
        end = sess.lines[-1][0]
        sess.lines += _spread(end + timedelta(seconds=0.02), [
            ("<", "QUIT", ""), (">", "221 2.0.0 Service closing transmission channel", ""),
            ("-", "", "Local")], rng)
        sessions.append(sess)
    for m in (m for m in window if "exo_ip" in m.onprem):  # Exchange Online delivering
        sessions.append(_from_exo(m, rng))
    for when in s.PROBES:  # the load balancer checks that port 25 answers, then hangs up
        h, mi, sec = when.split(":")
        start = s.at(s.LOG_DAY, int(h) * 3600 + int(mi) * 60 + float(sec))
        probe = Session(s.DEFAULT_CONN, f"{s.EXCH01_LAN}:25",
                        f"10.20.0.5:{rng.randrange(1024, 65535)}", start)
        probe.lines = _spread(start, [("+", "", ""), ("*", ANON_PERMS, "Set Session Permissions"),
                                      (">", _banner("mail.northwindtraders.example", start), ""),
                                      ("-", "", "Remote")], rng)
        sessions.append(probe)
    return sessions


def _message_lines(m: s.Message, queued: datetime, n: int, rng, verb: str, sid: str = "{sid}"):
    """MAIL .. queued, ending exactly when the message was queued."""
    rcpt = m.recipients[0]
    steps = [("<", f"MAIL FROM:<{m.sender}> SIZE={m.size}", ""),
             ("*", f"{sid};{{start}};{n}", "receiving message"),
             (">", "250 2.1.0 Sender OK", ""), ("<", f"RCPT TO:<{rcpt}>", ""),
             (">", "250 2.1.5 Recipient OK", "")]
    steps += ([("<", "DATA", ""), (">", "354 Start mail input; end with <CRLF>.<CRLF>", "")]
              if verb == "DATA" else [("<", f"BDAT {m.size} LAST", "")])
    steps.append((">", f"250 2.6.0 {m.message_id} Queued mail for delivery", ""))
    timed = _spread(queued, steps, rng, (0.01, 0.05))
    shift = timed[-1][0] - queued
    return [(t - shift, *rest) for t, *rest in timed]


def _from_exo(m: s.Message, rng) -> Session:
    ip, helo = m.onprem["exo_ip"], m.onprem["exo_helo"]
    queued = m.onprem["received"]
    start = queued - timedelta(seconds=rng.uniform(0.6, 0.9))
    fqdn = "mail.northwindtraders.example"
    sess = Session(s.DEFAULT_CONN, f"{s.EXCH01_LAN}:25", f"{ip}:{rng.randrange(1024, 65535)}",
                   start, messages=[m])
    pre = [("+", "", ""), ("*", ANON_PERMS, "Set Session Permissions"),
           (">", _banner(fqdn, start), ""), ("<", f"EHLO {helo}", "")]
    pre += [(">", line, "") for line in _ehlo_reply(fqdn, ip, True, True, "36700160")]
    pre += [("<", "STARTTLS", ""), (">", "220 2.0.0 SMTP server ready", ""),
            ("*", "", _tls_context("TLS1.2", "SERVER")), ("<", f"EHLO {helo}", "")]
    pre += [(">", line, "") for line in _ehlo_reply(fqdn, ip, False, True, "36700160")]
    sess.lines = _spread(start, pre, rng, (0.002, 0.02))
    sess.lines += _message_lines(m, queued, 1, rng, "BDAT")
    sess.lines += _spread(queued + timedelta(seconds=0.01), [
        ("<", "QUIT", ""), (">", "221 2.0.0 Service closing transmission channel", ""),
        ("-", "", "Local")], rng)
    return sess


def send_sessions(messages: list[s.Message], rng: random.Random) -> list[Session]:
    """EXCH01 relaying to Exchange Online through the hybrid send connector, on TLS 1.0."""
    relayed = [m for m in messages if m.flow.startswith("exch01-") and m.flow != "exch01-inbound"
               and s.WINDOW[0] <= m.onprem["relayed"] < s.WINDOW[1]]
    by_first: dict[str, list[s.Message]] = {}
    for m in relayed:
        by_first.setdefault(m.onprem.get("send_with", m.message_id), []).append(m)
    sessions = []
    for group in by_first.values():
        start = group[0].onprem["relayed"]
        ip, host = rng.choice(EOP)
        fqdn, eop = "mail.northwindtraders.example", f"{host}.mail.protection.outlook.com"
        sess = Session(SEND_CONNECTOR, f"{s.EXCH01_LAN}:{rng.randrange(20000, 60000)}",
                       f"{ip}:25", start, messages=group)
        reply = [f"250-{eop} Hello [{s.EXCH01_IP}]", "250-SIZE 157286400", "250-PIPELINING",
                 "250-DSN", "250-ENHANCEDSTATUSCODES", "250-STARTTLS", "250-8BITMIME",
                 "250-BINARYMIME", "250-CHUNKING", "250 SMTPUTF8"]
        steps = [("+", "", ""), ("<", _banner(eop, start), ""), (">", f"EHLO {fqdn}", "")]
        steps += [("<", line, "") for line in reply]
        steps += [(">", "STARTTLS", ""), ("<", "220 2.0.0 SMTP server ready", ""),
                  ("*", "", _tls_context("TLS1.0", "CLIENT")),
                  ("*", "CN=mail.protection.outlook.com, O=Microsoft Corporation, L=Redmond, "
                        "S=Washington, C=US", "Remote certificate"),
                  (">", f"EHLO {fqdn}", "")]
        steps += [("<", line, "") for line in reply if line != "250-STARTTLS"]
        for m in group:
            record = rng.randrange(100000, 999999)
            m.onprem.update(record=record, send_ip=ip)
            mbx = rng.choice(s.EXO_MAILBOXES)
            steps += [("*", "", f"sending message with RecordId {record} and InternetMessageId "
                                f"{m.message_id}"),
                      (">", f"MAIL FROM:<{m.sender}> SIZE={m.size}", ""),
                      (">", f"RCPT TO:<{m.recipients[0]}>", ""),
                      ("<", "250 2.1.0 Sender OK", ""), ("<", "250 2.1.5 Recipient OK", ""),
                      (">", f"BDAT {m.size} LAST", ""),
                      ("<", f"250 2.6.0 {m.message_id} "
                            f"[InternalId={rng.randrange(10**10, 10**11)}, "
                            f"Hostname={mbx}.eurprd02.prod.outlook.com] {m.size} bytes in "
                            f"{rng.uniform(0.05, 0.4):.3f}, {rng.uniform(20, 900):.3f} KB/sec "
                            "Queued mail for delivery", "")]
        steps += [(">", "QUIT", ""), ("<", "221 2.0.0 Service closing transmission channel", ""),
                  ("-", "", "Local")]
        sess.lines = [(start, "*", "", "attempting to connect")]
        sess.lines += _spread(start + timedelta(seconds=0.03), steps, rng, (0.005, 0.04))
        queued = [t for t, _e, data, _c in sess.lines if data.startswith("250 2.6.0")]
        for m, when in zip(group, queued, strict=True):
            m.onprem["sent"] = when  # tracking logs SEND when Exchange Online queued it
            m.time = when  # and that is when Exchange Online received it
        sessions.append(sess)
    return sessions


def number_sessions(sessions: list[Session]) -> None:
    """Session ids come from one counter on the server, in the order sessions start."""
    base = 0x08DB0A3C5E700000
    for n, sess in enumerate(sorted(sessions, key=lambda x: x.start)):
        sess.sid = f"{base + 17 * n + 3:016X}"
        for n, m in enumerate(sess.messages, 1):
            if sess.connector == SEND_CONNECTOR:
                m.onprem["send_sid"] = sess.sid
            else:  # what "receiving message" logs, and tracking's RECEIVE source-context
                m.onprem["recv_context"] = f"{sess.sid};{iso_ms(sess.start)};{n}"


def protocol_log(sessions: list[Session], log_type: str, hour: int) -> bytes:
    """One hourly file: the lines of every session that fall within that hour, in time order."""
    lines = []
    for sess in sessions:
        for seq, (when, event, data, context) in enumerate(sess.lines):
            if when.hour != hour:
                continue
            # Before the connection exists a send log line has no local endpoint.
            local = "" if context == "attempting to connect" else sess.local
            data = data.replace("{sid}", sess.sid).replace("{start}", iso_ms(sess.start))
            lines.append((when, sess.sid, seq, log_line(
                [iso_ms(when), sess.connector, sess.sid, seq, local, sess.remote, event, data,
                 context])))
    lines.sort(key=lambda x: (x[0], x[1], x[2]))
    head = ["#Software: Microsoft Exchange Server", "#Version: 14.0.0.0",
            f"#Log-type: {log_type}", f"#Date: {iso_ms(lines[0][0])}", f"#Fields: {FIELDS}"]
    text = CRLF.join(head + [x[3] for x in lines]) + CRLF
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def tracking_log(messages: list[s.Message], hour: int, rng: random.Random) -> bytes:
    """MSGTRK: RECEIVE / SUBMIT / SEND / DELIVER events of the hour, in time order."""
    rows: list[tuple[datetime, list]] = []

    def event(when, m, event_id, source, *, client=("", ""), server=("", ""), context="",
              connector="", status="", info="", direction="Originating", custom=""):
        rows.append((when, [iso_ms(when), client[0], client[1], server[0], server[1], context,
                            connector, source, event_id, m.onprem["internal"], m.message_id,
                            m.recipients[0], status, m.size, 1, "", "", m.subject, m.sender,
                            m.sender, info, direction, "", client[0] if source == "SMTP" else "",
                            "", custom]))

    exch01 = (s.EXCH01_LAN, "EXCH01")
    for m in messages:
        o = m.onprem
        if not m.flow.startswith("exch01-") or not s.WINDOW[0] <= o["received"] < s.WINDOW[1]:
            continue
        o["internal"] = rng.randrange(1_000_000, 1_999_999)
        if m.flow == "exch01-inbound":
            event(o["received"], m, "RECEIVE", "SMTP", client=(o["exo_ip"], o["exo_helo"]),
                  server=exch01, context=o.get("recv_context", ""), connector=s.DEFAULT_CONN,
                  direction="Incoming", custom=f"S:ProxiedClientIPAddress={o['exo_ip']};"
                                               f"S:ProxiedClientHostname={o['exo_helo']}")
            event(o["received"] + timedelta(seconds=rng.uniform(0.3, 0.9)), m, "DELIVER",
                  "STOREDRIVER", server=exch01, direction="Incoming",
                  info=f"{iso_ms(o['received'])};SRV=EXCH01.northwind.local:TOTAL=0")
            continue
        if o["source"] == "SMTP":
            custom = f"S:ProxiedClientIPAddress={o['lan_ip']};S:ProxiedClientHostname={o['helo']}"
            if o["auth_user"]:
                custom += f";S:AuthenticatedUser={o['auth_user']}"
            event(o["received"], m, "RECEIVE", "SMTP", client=(o["lan_ip"], o["helo"]),
                  server=exch01, context=o.get("recv_context", ""), connector=o["connector"],
                  custom=custom)
        else:
            mailbox = (f"MDB:3f0e9a52-6b1c-4d87-a2e5-{s.hexid(rng, 12).lower()}, "
                       f"Mailbox:{s.guid(rng)}, Event:{rng.randrange(10**6, 10**7)}, "
                       f"MessageClass:IPM.Note, CreationTime:{iso_ms(o['received'])}, "
                       "ClientType:MOMT")
            event(o["received"] - timedelta(seconds=0.2), m, "SUBMIT", "STOREDRIVER",
                  server=exch01, context=mailbox)
            event(o["received"], m, "RECEIVE", "STOREDRIVER", server=exch01, context=mailbox)
        queued = f"250 2.6.0 {m.message_id} Queued mail for delivery"
        host = "northwindtraders.mail.protection.outlook.com"
        event(o.get("sent", o["relayed"]), m, "SEND", "SMTP", client=exch01,
              server=(o.get("send_ip", ""), host),
              context=f"{o.get('send_sid', '')};{queued};ClientSubmitTime:",
              connector=SEND_CONNECTOR, status="250 2.1.5 Recipient OK",
              info=f"{iso_ms(o['received'])};SRV=EXCH01.northwind.local:TOTAL=1")
    lines = [log_line(r) for when, r in sorted(rows, key=lambda x: x[0]) if when.hour == hour]
    first = min(when for when, _ in rows if when.hour == hour)
    head = ["#Software: Microsoft Exchange Server", "#Version: 14.0.0.0",
            "#Log-type: Message Tracking Log", f"#Date: {iso_ms(first)}",
            f"#Fields: {TRACKING_FIELDS}"]
    return b"\xef\xbb\xbf" + (CRLF.join(head + lines) + CRLF).encode("utf-8")
