"""The Exchange Online exports, each written the way its real tool writes it."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from . import story as s
from .encode import CRLF, iso_7, pct, ps_date, quoted_csv, us_day

REPORT_HEADER = ["Date", "Connector direction and name", "Connector type", "Forced TLS?",
                 "Volume", *s.REPORT_TLS]
CONNECTOR_TYPE = {  # report row -> (Connector type, Forced TLS?)
    s.SCANNER_RELAY: ("OnPremises", "False"), s.HYBRID_IN: ("OnPremises", "True"),
    s.WOODGROVE_IN: ("Partner", "True"), s.NO_CONNECTOR_IN: ("Internet", "False"),
    s.WOODGROVE_OUT: ("Partner", "True"), s.HYBRID_OUT: ("OnPremises", "True"),
    s.NO_CONNECTOR_OUT: ("Internet", "False"),
}


def connector_report(messages: list[s.Message], direction: str) -> bytes:
    """EAC > Reports > Mail flow > Inbound (Outbound) messages report > Export: one row per day
    and connector, TLS shares in percent with two decimals. UTF-8 with BOM, as Excel wants."""
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for m in messages:
        if m.direction == direction and m.connector:
            counts[(m.time.date(), m.connector)][m.tls] += 1
    rows = []
    # Day by day; within a day the busiest connector first.
    for (day, connector), tls in sorted(counts.items(),
                                        key=lambda kv: (kv[0][0], -sum(kv[1].values()))):
        volume = sum(tls.values())
        kind, forced = CONNECTOR_TYPE[connector]
        label = connector if "without a connector" in connector else \
            f"{direction.capitalize()} - {connector}"
        rows.append([us_day(day), label, kind, forced, volume,
                     *(pct(tls[v], volume) for v in s.REPORT_TLS)])
    return b"\xef\xbb\xbf" + quoted_csv(REPORT_HEADER, rows).encode("utf-8")


def smtp_auth_report(messages: list[s.Message]) -> bytes:
    """EAC > Reports > Mail flow > SMTP AUTH clients report > Export (no cmdlet exists)."""
    per: dict[str, Counter] = defaultdict(Counter)
    auth: dict[str, str] = {}
    for m in messages:
        if m.auth:
            per[m.sender][m.client_tls] += 1
            auth[m.sender] = m.auth
    rows = []
    for sender, tls in sorted(per.items(), key=lambda kv: -sum(kv[1].values())):
        total = sum(tls.values())
        rows.append([sender, sender.split("@")[1], total, pct(tls[s.TLS10], total),
                     pct(tls[s.TLS11], total), pct(tls[s.TLS12], total), auth[sender]])
    header = ["Sender address", "Domain", "Messages sent", "TLS 1.0", "TLS 1.1", "TLS 1.2",
              "Authentication Protocol"]
    return b"\xef\xbb\xbf" + quoted_csv(header, rows).encode("utf-8")


# Get-MessageTraceV2 queries the admin ran and appended to one file (Export-Csv -Append).
# Each query covers at most 10 days, so each ran once per chunk.
CHUNKS = [(datetime(2026, 11, 9), datetime(2026, 11, 19)),
          (datetime(2026, 11, 19), datetime(2026, 11, 23))]
WOODGROVE_SENDERS = ("noreply@woodgrovebank.example", "statements@woodgrovebank.example")
WOODGROVE_RCPTS = ("payments@woodgrovebank.example", "r.marino@woodgrovebank.example")
TRACE_QUERIES = [  # (what the admin typed, does (message, recipient) match?)
    (f"-FromIP {s.RELAY_IP}", lambda m, r: m.from_ip == s.RELAY_IP),
    ("-SenderAddress erp-notify@,payroll@,j.smith@",
     lambda m, r: m.sender in (s.addr("erp-notify"), s.addr("payroll"), s.addr("j.smith"))),
    (f"-FromIP {s.CONTOSO_IP}", lambda m, r: m.from_ip == s.CONTOSO_IP),
    (f"-FromIP {s.NAS_IP}", lambda m, r: m.from_ip == s.NAS_IP),
    ("-SenderAddress noreply@,statements@woodgrovebank.example",
     lambda m, r: m.sender in WOODGROVE_SENDERS),
    ("-RecipientAddress payments@,r.marino@woodgrovebank.example",
     lambda m, r: r in WOODGROVE_RCPTS),
    ("-RecipientAddress sales@", lambda m, r: r == s.addr("sales")),
    ("-SenderAddress a.fuller@", lambda m, r: m.sender == s.addr("a.fuller")),
]
TRACE_HEADER = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId",
                "Received", "SenderAddress", "RecipientAddress", "Subject", "Status", "ToIP",
                "FromIP", "Size", "MessageTraceId", "StartDate", "EndDate", "Index"]
PS_TYPE = "#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting."


def trace_rows(messages: list[s.Message]) -> list[tuple[str, s.Message, str, int, tuple]]:
    """(query, message, recipient, index, chunk) in export order: query by query, chunk by
    chunk, newest first as the cmdlet returns them. Overlapping queries repeat rows."""
    out = []
    for query, matches in TRACE_QUERIES:
        for chunk in CHUNKS:
            hits = [(m, r) for m in messages if chunk[0] <= m.time < chunk[1]
                    for r in m.recipients if matches(m, r)]
            hits.sort(key=lambda mr: (mr[0].time, mr[1]), reverse=True)
            out += [(query, m, r, i, chunk) for i, (m, r) in enumerate(hits)]
    return out


def message_trace(messages: list[s.Message], runspace: str) -> bytes:
    """Get-MessageTraceV2 ... | Export-Csv -Append in Windows PowerShell 5.1 over the Exchange
    Online module: #TYPE line, PS* columns, en-US dates, ASCII (non-ASCII becomes '?')."""
    rows = [["outlook.office365.com", runspace, "False", s.TENANT, m.message_id, ps_date(m.time),
             m.sender, r, m.subject, m.status, m.to_ip, m.from_ip, m.size, m.trace_id,
             ps_date(chunk[0]), ps_date(chunk[1]), index]
            for _q, m, r, index, chunk in trace_rows(messages)]
    text = PS_TYPE + "MessageTrace" + CRLF + quoted_csv(TRACE_HEADER, rows)
    return text.encode("ascii", errors="replace")


def detail_picks(messages: list[s.Message]) -> list[s.Message]:
    """The handful of messages the admin ran Get-MessageTraceDetailV2 for."""
    def first(flow: str, day: int) -> s.Message:
        return next(m for m in messages if m.flow == flow and m.time.day == day)
    return [first("scanner-km", 10), first("scanner-hp", 12), first("scanner-km", 18),
            first("contoso", 11), first("contoso", 17), first("woodgrove-in", 16),
            first("woodgrove-out", 19)]


def _mep(pairs: list[tuple[str, str, object]]) -> str:
    return "<root>" + "".join(f'<MEP Name="{n}" {k}="{v}" />' for n, k, v in pairs) + "</root>"


def _detail_events(m: s.Message, rng: random.Random) -> list[tuple[datetime, str, str, str]]:
    tls = m.tls.replace(" ", "")
    if m.direction == "inbound":
        fe = rng.choice(s.EXO_FRONTENDS)
        short = fe.split(".")[0]
        custom = f"S:ProxyHop1={fe};"
        if m.connector != s.NO_CONNECTOR_IN:
            custom += f"S:InboundConnectorData=Name={m.connector};"
        custom += f"S:E2ELatency={rng.uniform(0.2, 3):.3f}"
        receive = _mep([("ConnectorId", "String", f"{short}\\Default {short}"),
                        ("ClientIP", "String", m.from_ip), ("ClientName", "String", m.helo),
                        ("ServerHostName", "String", short),
                        ("Directionality", "String",
                         "Originating" if m.connector == s.SCANNER_RELAY else "Incoming"),
                        ("MessageSize", "Integer", m.size), ("CustomData", "Blob", custom),
                        ("ReturnPath", "String", m.sender)])
        using = f" using {tls} with AES256" if m.tls != s.NO_TLS else ""
        return [(m.time, "Receive", f"Message received by: {fe}{using}", receive)]
    mbx = rng.choice(s.EXO_MAILBOXES)
    send = _mep([("ServerHostName", "String", "mail.woodgrovebank.example"),
                 ("ServerIP", "String", m.to_ip),
                 ("CustomData", "Blob",
                  "S:Microsoft.Exchange.Hygiene.TenantOutboundConnectorCustomData="
                  f"Name={m.connector};ConnectorType=Partner;S:OutboundProxyTargetIP={m.to_ip}")])
    return [(m.time, "Receive", f"Message received by: {mbx}.eurprd02.prod.outlook.com",
             _mep([("ClientName", "String", f"{mbx}.eurprd02.prod.outlook.com"),
                   ("Directionality", "String", "Originating")])),
            (m.time + timedelta(seconds=3), "Send external",
             f"Message sent to mail.woodgrovebank.example at {m.to_ip} using {tls} with AES256",
             send)]


def message_trace_detail(messages: list[s.Message], runspace: str) -> bytes:
    """Get-MessageTraceV2 ... | Get-MessageTraceDetailV2 | Export-Csv (5.1, like the trace)."""
    rng = random.Random("northwind/trace-detail")
    header = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Organization", "MessageId",
              "MessageTraceId", "Date", "Event", "Action", "Detail", "Data", "SenderAddress",
              "RecipientAddress", "StartDate", "EndDate", "Index"]
    rows = []
    for m in detail_picks(messages):
        start, end = (m.time - timedelta(hours=1), m.time + timedelta(days=1))
        events = _detail_events(m, rng)
        if m.direction == "inbound":
            stamp = m.time + timedelta(seconds=rng.uniform(1, 6))
            db = f"EURPR02DG{rng.randrange(100, 199)}-db{rng.randrange(10, 99):03d}"
            events += [(m.time + timedelta(seconds=0.6), "Submit", "The message was submitted.",
                        _mep([("DeliveryPriority", "String", "Normal")])),
                       (stamp, "Deliver", "The message was successfully delivered.",
                        _mep([("MailboxDatabaseName", "String", db),
                              ("DeliveryPriority", "String", "Normal")]))]
        for index, (when, event, detail, data) in enumerate(events):
            rows.append(["outlook.office365.com", runspace, "False", s.TENANT, m.message_id,
                         m.trace_id, ps_date(when), event, "", detail, data, m.sender,
                         m.recipients[0], ps_date(start), ps_date(end), index])
    text = PS_TYPE + "MessageTraceDetail" + CRLF + quoted_csv(header, rows)
    return text.encode("ascii", errors="replace")


HISTORICAL_SENDERS = ("dispatch@contoso-logistics.example", "tracking@contoso-logistics.example",
                      s.addr("alerts"))


def historical_summary(messages: list[s.Message]) -> bytes:
    """Start-HistoricalSearch -ReportType MessageTrace -SenderAddress <the three above>:
    the downloaded CSV is UTF-16LE without BOM, every field quoted."""
    header = ["origin_timestamp_utc", "sender_address", "recipient_status", "message_subject",
              "total_bytes", "message_id", "network_message_id", "original_client_ip",
              "directionality", "connector_id", "delivery_priority"]
    rows = [[iso_7(m.time), m.sender, ";".join(f"{r}##Receive, Deliver" for r in m.recipients),
             m.subject, m.size, m.message_id, m.trace_id.replace("-", ""), m.from_ip,
             "Incoming", "", "Normal"]
            for m in messages if m.sender in HISTORICAL_SENDERS]
    return quoted_csv(header, rows).encode("utf-16-le")


EXTENDED_HEADER = ["date_time_utc", "client_ip", "client_hostname", "server_ip",
                   "server_hostname", "source_context", "connector_id", "source", "event_id",
                   "internal_message_id", "message_id", "network_message_id",
                   "recipient_address", "recipient_status", "total_bytes", "recipient_count",
                   "related_recipient_address", "reference", "message_subject",
                   "sender_address", "return_path", "message_info", "directionality",
                   "tenant_id", "original_client_ip", "original_server_ip", "custom_data"]


def historical_extended(messages: list[s.Message]) -> bytes:
    """Start-HistoricalSearch -ReportType MessageTraceDetail -SenderAddress *@contoso-logistics:
    one row per event; the spam agent's custom_data carries H=, PTR= and CIP=."""
    rng = random.Random("northwind/historical-extended")
    rows = []
    for m in (m for m in messages if m.flow == "contoso"):
        fe = rng.choice(s.EXO_FRONTENDS)
        short, mbx = fe.split(".")[0], rng.choice(s.EXO_MAILBOXES)
        internal, net = rng.randrange(10**11, 10**12), m.trace_id.replace("-", "")

        def row(when, server, event, source, rcpts, status, custom, context="", connector="",
                m=m, internal=internal, net=net):
            return [iso_7(when), m.from_ip if event != "DELIVER" else "",
                    m.helo if event != "DELIVER" else "", "", server, context, connector, source,
                    event, internal, m.message_id, net, ";".join(rcpts), status, m.size,
                    len(rcpts), "", "", m.subject, m.sender, m.sender, "", "Incoming",
                    s.TENANT_ID, m.from_ip, "", custom]
        rows.append(row(m.time, short, "RECEIVE", "SMTP", m.recipients, "",
                        f"S:ProxyHop1={fe};S:FirstForestHop={fe}",
                        f"{s.hexid(rng, 16)};{iso_7(m.time)[:-9]}Z;0",
                        f"{short}\\Default {short}"))
        sfa = ("S:SFA=SUM|SFV=NSPM|IPV=NLI|SRV=|SFS=|SCL=1|SCORE=-5|LIST=0|DI=SN"
               f"|RD={m.ptr}|H={m.helo}|PTR={m.ptr}|CIP={m.from_ip}|SFP=1102|ASF=1|CTRY="
               f"|CLTCTRY=|LANG=en|LAT={rng.randrange(0, 40)}|LAT=0|LAT={rng.randrange(0, 9)};")
        rows.append(row(m.time + timedelta(seconds=0.4), short, "AGENTINFO", "AGENT",
                        m.recipients, "", sfa))
        for r in m.recipients:
            rows.append(row(m.time + timedelta(seconds=rng.uniform(1.5, 5)), mbx, "DELIVER",
                            "STOREDRIVER", [r], "", "S:DeliveryPriority=Normal"))
    return quoted_csv(EXTENDED_HEADER, rows).encode("utf-16-le")
