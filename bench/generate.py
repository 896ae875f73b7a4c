#!/usr/bin/env python3
"""Write large, realistic o365tls inputs for benchmarks (standard library only).

    python bench/generate.py bench/data --trace-rows 1000000 --sessions 200000

Writes into the folder:

* ``message_trace.csv``: ``Get-MessageTraceV2 | Export-Csv`` from Windows PowerShell 5.1 with
  ``-Encoding UTF8`` (BOM, ``#TYPE`` line, remote-PowerShell ``PS*`` columns, every field quoted,
  CRLF, en-US dates, newest first), one row per message and recipient.
* ``historical_extended.csv``: a historical-search extended report: UTF-16LE without BOM, ISO
  times with 7 fractional digits, RECEIVE / AGENTINFO (``S:SFA=...|H=|PTR=|CIP=``) / DELIVER or
  SEND events.
* ``protocol_log/RECVyyyymmddhh-n.LOG``: Exchange Server SMTP Receive protocol logs: sessions
  interleaved as on a busy server (connect, EHLO, STARTTLS + Schannel negotiation line or
  plaintext, AUTH on 587, MAIL/RCPT/DATA or BDAT, QUIT, disconnect), rolled hourly and at
  ``--log-file-mb``; sessions that straddle a roll-over continue in the next file.
* ``connector_report.csv``: the EAC inbound/outbound messages report for the same period.

Every file is written as it is generated (memory stays constant whatever the row counts) and the
same ``--seed`` gives byte-identical files. Header spellings that no public sample confirmed are
marked "unverified" below.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import sys
import time
from pathlib import Path

from fake_tenant import (
    ORG,
    SERVER,
    SERVER_FQDN,
    SERVER_IP,
    TENANT,
    WORLD_FLOWS,
    Clock,
    Sink,
    World,
    csv_field,
    en_us,
    guid,
    iso,
    quoted,
)

TRACE_COLUMNS = (
    "PSComputerName",
    "RunspaceId",
    "PSShowComputerName",
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
    "StartDate",
    "EndDate",
    "Index",
)
# Message tracking log fields in snake_case (full list unverified).
EXTENDED_COLUMNS = (
    "date_time_utc",
    "client_ip",
    "client_hostname",
    "server_ip",
    "server_hostname",
    "source_context",
    "connector_id",
    "source",
    "event_id",
    "internal_message_id",
    "message_id",
    "network_message_id",
    "recipient_address",
    "recipient_status",
    "total_bytes",
    "recipient_count",
    "related_recipient_address",
    "reference",
    "message_subject",
    "sender_address",
    "return_path",
    "message_info",
    "directionality",
    "tenant_id",
    "original_client_ip",
    "original_server_ip",
    "custom_data",
)
# EAC "Inbound messages / Outbound messages" export (exact spelling and order unverified).
CONNECTOR_COLUMNS = (
    "Date",
    "Connector direction and name",
    "Connector type",
    "Forced TLS?",
    "Volume",
    "No TLS",
    "TLS 1.0",
    "TLS 1.1",
    "TLS 1.2",
)
LOG_FIELDS = (
    "date-time,connector-id,session-id,sequence-number,local-endpoint,"
    "remote-endpoint,event,data,context"
)

TLS_PROTOCOL = {
    "TLS1.0": "SP_PROT_TLS1_0_SERVER",
    "TLS1.1": "SP_PROT_TLS1_1_SERVER",
    "TLS1.2": "SP_PROT_TLS1_2_SERVER",
    "TLS1.3": "SP_PROT_TLS1_3_SERVER",
}
TLS_CIPHER = {
    "TLS1.0": "CALG_AES_128 with strength 128 bits, MAC hash algorithm CALG_SHA1 with strength "
    "160 bits and key exchange algorithm CALG_RSA_KEYX with strength 2048 bits",
    "TLS1.1": "CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA1 with strength "
    "160 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits",
    "TLS1.2": "CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with "
    "strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 384 bits",
    "TLS1.3": "CALG_AES_256 with strength 256 bits, MAC hash algorithm CALG_SHA_384 with "
    "strength 0 bits and key exchange algorithm CALG_ECDH_EPHEM with strength 256 bits",
}


def write_trace(
    path: Path, rows: int, world: World, rng: random.Random, start: int, end: int
) -> int:
    sink = Sink(path, "utf-8-sig")
    # The type name of a remote-PowerShell Get-MessageTrace export; V2's may differ (unverified).
    sink.add("#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n")
    sink.add('"' + '","'.join(TRACE_COLUMNS) + '"\r\n')
    clock = Clock(en_us)
    fixed = f'"outlook.office365.com","{guid(rng)}","False","{ORG}",'
    window = f'"{quoted(en_us(time.gmtime(start)))}","{quoted(en_us(time.gmtime(end)))}"'
    step = (end - start) / max(rows, 1) * 1.4  # 1.4 recipients per message on average
    written, at = 0, float(end)
    while written < rows:  # newest first, as Get-MessageTraceV2 returns them
        flow = world.flow(rng)
        at -= step * 2 * rng.random()
        when = clock(int(max(at, start)))
        outbound = flow["kind"] == "client" and rng.random() < 0.6
        head = f'{fixed}"<{guid(rng)}@{flow["msgid_host"]}>","{when}","{quoted(flow["sender"])}",'
        tail = (
            f'"{quoted(flow["subjects"][int(rng.random() * len(flow["subjects"]))])}",'
            f'"{world.statuses.draw(rng)}",'
            f'"{world.mx_ips[int(rng.random() * 400)] if outbound else ""}",'
            f'"{"" if outbound else flow["public_ip"]}",'
            f'"{rng.randint(900, 9_000_000 if flow["kind"] == "mfp" else 90_000)}",'
            f'"{guid(rng)}",{window},'
        )
        for recipient in world.recipients(rng, flow):
            if written >= rows:
                break
            sink.add(f'{head}"{quoted(recipient)}",{tail}"{written}"\r\n')
            written += 1
    sink.close()
    return written


def write_extended(
    path: Path, rows: int, world: World, rng: random.Random, start: int, end: int
) -> int:
    sink = Sink(path, "utf-16-le")  # no BOM, as the historical-search download
    sink.add('"' + '","'.join(EXTENDED_COLUMNS) + '"\r\n')
    clock = Clock(iso)
    tenant_id = guid(rng)
    server = "AM6PR04MB7" + f"{rng.getrandbits(12):03X}"
    server_host = f"{server}.eurprd04.prod.outlook.com"
    server_ip = "2603:10a6:20b:" + f"{rng.getrandbits(16):x}::{rng.getrandbits(12):x}"
    step = (end - start) / max(rows, 1) * 3
    written, at, internal_id = 0, float(start), 10_000
    while written < rows:
        flow = world.flow(rng)
        at += step * rng.random() * 2
        recipients = world.recipients(rng, flow)
        subject = quoted(flow["subjects"][int(rng.random() * len(flow["subjects"]))])
        message_id = f"<{guid(rng)}@{flow['msgid_host']}>"
        network_id = guid(rng)
        size = rng.randint(900, 900_000)
        internal_id += 1
        sec = int(min(at, end))
        direction = "Originating" if flow["kind"] != "partner" else "Incoming"
        connector = (
            flow["connector"]
            if flow["kind"] in ("mfp", "application")
            else f"{server}\\Default {server}"
        )
        sfa = (
            f"S:SFA=SUM|SFV=NSPM|IPV=CAT|SRV=BULK|SFS=|SCL=1|SCORE=-5|LIST=0|DI=SN|"
            f"RD={flow['helo'].lower()}|H={flow['helo']}|CIP={flow['public_ip']}|SFP=1501|"
            f"ASF=1|CTRY=DE|LANG=en|LAT=0|FTBS=0|PTR={flow['helo'].lower()}"
        )
        recipient_text = quoted(";".join(recipients))
        events = (
            (
                "SMTP",
                "RECEIVE",
                flow["public_ip"],
                flow["helo"],
                f"08DC{rng.getrandbits(48):012X};{iso(time.gmtime(sec))}.000Z;0",
                f"S:InboundConnectorData=Name={flow['connector']};S:DeliveryPriority=Normal",
            ),
            ("AGENT", "AGENTINFO", "", "", "", quoted(sfa)),
            ("STOREDRIVER", "DELIVER", "", "", "MDB:" + network_id[:8], "S:Mailboxes=1"),
        )
        for n, (source, event, client_ip, client_host, context, custom) in enumerate(events):
            if written >= rows:
                break
            stamp = f"{clock(sec + n)}.{rng.getrandbits(23) % 10_000_000:07d}Z"
            sink.add(
                f'"{stamp}","{client_ip}","{quoted(client_host)}","{server_ip}","{server_host}",'
                f'"{context}","{quoted(connector) if n == 0 else ""}","{source}","{event}",'
                f'"{internal_id}","{message_id}","{network_id}","{recipient_text}",'
                f'"{"250 2.1.5 Recipient OK" if n == 0 else ""}","{size}","{len(recipients)}",'
                f'"","","{subject}","{quoted(flow["sender"])}","{quoted(flow["sender"])}","",'
                f'"{direction}","{tenant_id}","{flow["public_ip"]}","","{custom}"\r\n'
            )
            written += 1
    sink.close()
    return written


def session_events(rng: random.Random, flow: dict, world: World, session_id: str, now: list):
    """The (event, data, context) lines of one SMTP Receive session, in order. ``now[0]`` is
    the clock in ms when the connect line is written."""
    t = time.gmtime(now[0] / 1000)
    began = f"{iso(t)}.{int(now[0] % 1000):03d}Z"
    banner = time.strftime("%a, %d %b %Y %H:%M:%S +0000", t)
    yield "+", "", ""
    yield (
        "*",
        ("SMTPSubmit SMTPAcceptAnySender SMTPAcceptAuthoritativeDomainSender AcceptRoutingHeaders"),
        "Set Session Permissions",
    )
    yield ">", f"220 {SERVER_FQDN} Microsoft ESMTP MAIL Service ready at {banner}", ""
    yield "<", f"EHLO {flow['helo']}", ""
    ehlo = (
        f"250  {SERVER_FQDN} Hello [{flow['ip']}] SIZE 37748736 PIPELINING DSN "
        "ENHANCEDSTATUSCODES {}AUTH NTLM LOGIN 8BITMIME BINARYMIME CHUNKING SMTPUTF8"
    )
    yield ">", ehlo.format("STARTTLS X-ANONYMOUSTLS "), ""
    if rng.random() < 0.03:  # load-balancer probe or scanner test: nothing sent
        yield "-", "", "Remote(SocketError)" if rng.random() < 0.5 else "Local"
        return
    tls = flow["tls"] if rng.random() < 0.97 else "TLS1.2"
    if tls != "none":
        yield "<", "STARTTLS", ""
        yield ">", "220 2.0.0 SMTP server ready", ""
        yield (
            "*",
            (
                f" CN={SERVER_FQDN} CN=Contoso Issuing CA 01 5A3F00000000A1B2C3 "
                f"9F2E4C1D8B7A6F5E4D3C2B1A0F9E8D7C6B5A4F3E 2023-06-01T00:00:00.000Z "
                f"2025-06-01T00:00:00.000Z {SERVER_FQDN};autodiscover.{TENANT}"
            ),
            (
                "Sending certificate Subject Issuer name Serial number Thumbprint Not before "
                "Not after Subject alternate names"
            ),
        )
        yield (
            "*",
            "",
            (
                f"TLS protocol {TLS_PROTOCOL[tls]} negotiation succeeded using bulk "
                f"encryption algorithm {TLS_CIPHER[tls]}"
            ),
        )
        yield "<", f"EHLO {flow['helo']}", ""
        yield ">", ehlo.format(""), ""
    if flow["port"] == 587:
        yield "<", "AUTH LOGIN", ""
        yield ">", "334 <authentication response>", ""
        yield "*", flow["sender"], "authenticated"
        yield ">", "235 2.7.0 Authentication successful", ""
    for number in range(1 if rng.random() < 0.85 else rng.randint(2, 4)):
        size = rng.randint(900, 4_000_000)
        yield "<", f"MAIL FROM:<{flow['sender']}> SIZE={size}", ""
        yield "*", f"{session_id};{began};{number + 1}", "receiving message"
        yield ">", "250 2.1.0 Sender OK", ""
        for recipient in world.recipients(rng, flow):
            yield "<", f"RCPT TO:<{recipient}>", ""
            yield ">", "250 2.1.5 Recipient OK", ""
        if rng.random() < 0.5:
            yield "<", "DATA", ""
            yield ">", "354 Start mail input; end with <CRLF>.<CRLF>", ""
        else:
            yield "<", f"BDAT {size} LAST", ""
        rate = f"{rng.randint(10, 9999)}.{rng.randint(0, 999):03d}"
        yield (
            ">",
            (
                f"250 2.6.0 <{guid(rng)}@{flow['msgid_host']}> "
                f"[InternalId={rng.getrandbits(40)}, Hostname={SERVER_FQDN}] {size} bytes "
                f"in 0.{rng.randint(10, 999)}, {rate} KB/sec Queued mail for delivery"
            ),
            "",
        )
    yield "<", "QUIT", ""
    yield ">", "221 2.0.0 Closing connection.", ""
    yield "-", "", "Local"


class LogRoller:
    """RECV files rolled at each hour and at a size limit, each with its own header."""

    def __init__(self, folder: Path, max_bytes: int):
        self.folder, self.max_chars = folder, max_bytes
        self.sink: Sink | None = None
        self.hour, self.part, self.files = "", 0, 0

    def add(self, hour: str, stamp: str, line: str) -> None:
        if hour != self.hour or self.sink is None or self.sink.chars >= self.max_chars:
            self.part = 1 if hour != self.hour else self.part + 1
            self.hour = hour
            if self.sink is not None:
                self.sink.close()
            self.sink = Sink(self.folder / f"RECV{hour}-{self.part}.LOG", "utf-8")
            self.files += 1
            for header in (
                "#Software: Microsoft Exchange Server",
                "#Version: 15.2.1544.4",
                "#Log-type: SMTP Receive Protocol Log",
                f"#Date: {stamp}",
                f"#Fields: {LOG_FIELDS}",
            ):
                self.sink.add(header + "\r\n")
        self.sink.add(line)

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()


def write_protocol_logs(
    folder: Path,
    sessions: int,
    world: World,
    rng: random.Random,
    start: int,
    end: int,
    max_bytes: int,
    concurrency: int = 8,
) -> tuple[int, int]:
    """Keep ``concurrency`` sessions open and write one line of a random open session at a
    time, as a busy receive connector interleaves them. Only lines advance the clock: a step
    averages the period over the expected number of lines (about 24 a session)."""
    folder.mkdir(parents=True, exist_ok=True)
    roller = LogRoller(folder, max_bytes)
    clock = Clock(
        lambda t: (iso(t), f"{t.tm_year:04d}{t.tm_mon:02d}{t.tm_mday:02d}{t.tm_hour:02d}")
    )
    step_ms = 2 * (end - start) * 1000 / max(sessions * 24, 1)
    now = [start * 1000.0]  # shared with the session generators, which read it lazily
    started, lines = 0, 0
    active: list = []
    base = 0x08DC150000000000 + rng.getrandbits(32)
    while started < sessions or active:
        while started < sessions and len(active) < concurrency:
            flow = world.flow(rng)
            sid = f"{base + started:016X}"
            port = rng.randint(1025, 65000)
            ip = flow["ip"]
            remote = f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"
            prefix = f"{csv_field(SERVER + chr(92) + flow['connector'])},{sid},"
            tail = f",{SERVER_IP}:{flow['port']},{remote},"
            active.append([session_events(rng, flow, world, sid, now), prefix, tail, 0])
            started += 1
        pick = int(rng.random() * len(active))
        session = active[pick]
        try:
            event, data, context = next(session[0])
        except StopIteration:
            active[pick] = active[-1]
            active.pop()
            continue
        text, hour = clock(int(now[0] // 1000))
        stamp = f"{text}.{int(now[0] % 1000):03d}Z"
        roller.add(
            hour,
            stamp,
            f"{stamp},{session[1]}{session[3]}{session[2]}{event},"
            f"{csv_field(data)},{csv_field(context)}\r\n",
        )
        now[0] += rng.random() * step_ms
        session[3] += 1
        lines += 1
    roller.close()
    return roller.files, lines


def write_connector_report(
    path: Path, world: World, rng: random.Random, start: int, end: int
) -> int:
    sink = Sink(path, "utf-8-sig")
    sink.add(",".join(csv_field(c) for c in CONNECTOR_COLUMNS) + "\r\n")
    names = sorted({f["connector"] for f in world.flows if f["kind"] in ("mfp", "application")})
    rows_spec = [(f"Inbound - {n}", "OnPremises", "False") for n in names]
    rows_spec += [
        ("Inbound - Partner Fabrikam", "Partner", "True"),
        ("From the internet without a connector", "", "False"),
        ("Outbound - To Fabrikam (TLS)", "Partner", "True"),
        ("To the internet without a connector", "", "False"),
    ]
    written = 0
    for day in range(start, end, 86400):
        t = time.gmtime(day)
        for name, kind, forced in rows_spec:
            volume = rng.randint(20, 40_000)
            shares = [rng.random() ** 2 for _ in range(4)]
            shares[3] += 2.5 if forced == "False" else 6  # mostly TLS 1.2
            total = sum(shares)
            pct = [f"{100 * s / total:.1f}" for s in shares]
            sink.add(
                ",".join(
                    csv_field(v)
                    for v in (
                        f"{t.tm_mon}/{t.tm_mday}/{t.tm_year}",
                        name,
                        kind,
                        forced,
                        str(volume),
                        *pct,
                    )
                )
                + "\r\n"
            )
            written += 1
    sink.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "out",
        nargs="?",
        default=str(Path(__file__).parent / "data"),
        help="folder to write into (default: bench/data)",
    )
    parser.add_argument("--seed", type=int, default=1, help="same seed, same bytes (default 1)")
    parser.add_argument("--trace-rows", type=int, default=1_000_000)
    parser.add_argument("--extended-rows", type=int, default=300_000)
    parser.add_argument(
        "--sessions", type=int, default=200_000, help="SMTP Receive sessions in the protocol logs"
    )
    parser.add_argument("--days", type=int, default=7, help="period covered (default 7)")
    parser.add_argument("--start", default="2024-01-15", help="first day, UTC (YYYY-MM-DD)")
    parser.add_argument(
        "--log-file-mb",
        type=float,
        default=10.0,
        help="protocol log roll-over size (Exchange default: 10 MB)",
    )
    parser.add_argument(
        "--hosts",
        type=int,
        default=WORLD_FLOWS,
        help=f"sending hosts (flows) in the tenant (default {WORLD_FLOWS}); "
        "about half of them send legacy TLS or none, each a finding",
    )
    parser.add_argument(
        "--only",
        default="trace,extended,protocol,connector",
        help="comma-separated subset of trace,extended,protocol,connector",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = calendar.timegm(time.strptime(args.start, "%Y-%m-%d"))
    end = start + args.days * 86400
    only = {x.strip() for x in args.only.split(",") if x.strip()}
    written: dict[str, dict] = {}

    def run(name: str, what, *a):
        # Each file has its own random stream, so sizes of one do not change the others.
        rng = random.Random(f"{args.seed}:{name}")
        world = World(random.Random(f"{args.seed}:world"), args.hosts)
        began = time.perf_counter()
        result = what(*a, world, rng, start, end)
        seconds = time.perf_counter() - began
        written[name] = {"result": result, "seconds": round(seconds, 2)}
        print(f"{name:<10} {result} in {seconds:.1f}s", file=sys.stderr)

    if "trace" in only:
        run("trace", write_trace, out / "message_trace.csv", args.trace_rows)
    if "extended" in only:
        run("extended", write_extended, out / "historical_extended.csv", args.extended_rows)
    if "protocol" in only:
        max_bytes = int(args.log_file_mb * 1024 * 1024)
        run(
            "protocol",
            lambda *a: write_protocol_logs(out / "protocol_log", args.sessions, *a, max_bytes),
        )
    if "connector" in only:
        run("connector", write_connector_report, out / "connector_report.csv")
    manifest = {"args": {k: v for k, v in vars(args).items() if k != "out"}, "written": written}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
