"""Every message Northwind Traders sent or received in the fortnight, built once.

Each flow has its own seeded generator, so that changing one flow leaves the others (and their
files) byte-for-byte unchanged. Times are UTC; Northwind works 08:00-18:00 UTC (UK winter).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

DOMAIN = "northwindtraders.example"
TENANT = "northwindtraders.onmicrosoft.com"
TENANT_ID = "5f2c6a9e-1b47-4c0d-9e3a-7d8b2f41c6e0"
FIRST_DAY = date(2026, 11, 9)
DAYS = [FIRST_DAY + timedelta(days=i) for i in range(14)]
LOG_DAY = date(2026, 11, 20)  # the day whose EXCH01 logs were collected (08:00-10:00)

# Connector names as configured in Exchange Online.
SCANNER_RELAY = "Scanner Relay"
HYBRID_IN = "Hybrid Inbound from EXCH01"
WOODGROVE_IN = "Partner - Woodgrove Bank"
WOODGROVE_OUT = "Outbound to Woodgrove Bank"
HYBRID_OUT = "Hybrid Outbound to EXCH01"
NO_CONNECTOR_IN = "From the internet without a connector"
NO_CONNECTOR_OUT = "To the internet without a connector"

# TLS as the EAC reports name the columns.
NO_TLS, TLS10, TLS11, TLS12, TLS13 = "No TLS", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"
REPORT_TLS = (NO_TLS, TLS10, TLS11, TLS12, TLS13)

# Public IPs are documentation ranges: 198.51.100.0/24 is Northwind's own, 192.0.2.0/25 stands
# for Exchange Online, 192.0.2.128/25 and 203.0.113.0/24 for the rest of the internet.
RELAY_IP, EXCH01_IP, NAS_IP = "198.51.100.20", "198.51.100.30", "198.51.100.40"
OFFICE_IP, ERP_IP, PAYROLL_IP = "198.51.100.10", "198.51.100.50", "198.51.100.51"
JSMITH_HOME_IP = "203.0.113.200"
CONTOSO_IP, CONTOSO_HOST = "203.0.113.45", "mail.contoso-logistics.example"
WOODGROVE_IPS = ("203.0.113.80", "203.0.113.81")
EXCH01_LAN = "10.20.0.30"

USERS = ["a.fuller", "n.davolio", "j.leverling", "s.buchanan", "m.suyama", "l.callahan",
         "a.dodsworth", "j.smith", "t.hansen", "p.moreau", "e.larsen", "k.tanaka", "c.oneill",
         "d.romero", "f.weber", "g.rossi", "h.nguyen", "i.petrova", "o.berg", "v.costa"]
SHARED = ["sales", "orders", "finance", "ap", "logistics", "it-ops", "warehouse", "hr"]
ON_PREM_USERS = ["m.peacock", "r.king"]  # mailboxes still on EXCH01


def addr(local: str) -> str:
    return f"{local}@{DOMAIN}"


@dataclass
class Message:
    """One message as Exchange Online saw it (or EXCH01, for on-premises hops)."""

    flow: str
    time: datetime  # received by Exchange Online (for EXCH01-only mail: by EXCH01)
    sender: str
    recipients: list[str]
    subject: str
    size: int
    message_id: str
    trace_id: str  # MessageTraceId = network message id
    direction: str  # inbound, outbound, internal (all as Exchange Online sees them)
    connector: str  # EXO connector (report row) or ""
    tls: str  # TLS on the hop into/out of Exchange Online, in REPORT_TLS
    from_ip: str = ""
    to_ip: str = ""
    status: str = "Delivered"
    helo: str = ""
    ptr: str = ""
    auth: str = ""  # SMTP AUTH protocol (Basic/OAuth) for client submission
    client_tls: str = ""  # TLS of the SMTP AUTH submission itself
    onprem: dict = field(default_factory=dict)  # the EXCH01 hop, see exch01_flow()


def guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def hexid(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789ABCDEF") for _ in range(n))


def at(day: date, seconds: float) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)


def weekday(day: date) -> bool:
    return day.weekday() < 5


def office_seconds(rng: random.Random) -> float:
    """A moment in the working day, busiest mid-morning and mid-afternoon."""
    hour = rng.choices(range(7, 19), weights=[1, 6, 10, 11, 9, 5, 7, 10, 9, 7, 4, 1])[0]
    return hour * 3600 + rng.uniform(0, 3599.999)


def poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; fine for the small means used here.
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def size(rng: random.Random, low: int, high: int) -> int:
    return int(low * (high / low) ** rng.random())


EXO_FRONTENDS = ["AM4PEPF00027A6C.eurprd04.prod.outlook.com",
                 "DB5PEPF00014B9C.eurprd02.prod.outlook.com",
                 "AMS0EPF000001A4.eurprd05.prod.outlook.com"]
EXO_MAILBOXES = ["DB9PR02MB7211", "AM9PR02MB6612", "PAXPR02MB7745"]


def outlook_id(rng: random.Random) -> str:
    server = rng.choice(EXO_MAILBOXES)
    return f"<{server}{hexid(rng, 24)}@{server}.eurprd02.prod.outlook.com>"


# ---------------------------------------------------------------- story 1: scanners via relay

KM_DEVICES = [("KM5D3A1B", "10.20.1.11"), ("KM5D3A2C", "10.20.1.12"), ("KM5D3A3D", "10.20.1.13")]
HP_DEVICE = ("NPI8A2B3C", "10.20.1.20")


def scanners() -> list[Message]:
    rng = random.Random("northwind/scanners")
    out = []
    for day in DAYS:
        devices = [(host, ip, "km") for host, ip in KM_DEVICES] + [(*HP_DEVICE, "hp")]
        for host, ip, kind in devices:
            mean = (21 if kind == "km" else 9) if weekday(day) else 0.5
            for _ in range(poisson(rng, mean)):
                moment = at(day, office_seconds(rng) if weekday(day) else rng.uniform(9, 13) * 3600)
                user = addr(rng.choice(USERS + ["warehouse", "finance", "ap"]))
                if kind == "km":
                    sender, subject = addr("scan"), "Message from KM_C258"
                    mid = f"<{moment:%Y%m%d%H%M%S}.{rng.randrange(10000):04d}@{host}.{DOMAIN}>"
                else:
                    sender, subject = addr("hp-scanner"), "Scanned Document"
                    mid = f"<{hexid(rng, 16).lower()}.{rng.randrange(100000)}@{host}>"
                out.append(Message(
                    f"scanner-{kind}", moment, sender, [user], subject,
                    size(rng, 90_000, 4_500_000), mid, guid(rng), "inbound", SCANNER_RELAY,
                    TLS10, from_ip=RELAY_IP, helo=f"relay01.{DOMAIN}", ptr=f"relay01.{DOMAIN}",
                    onprem={"device": host, "lan_ip": ip}))
    return out


# ---------------------------------------------------------------- story 2: SMTP AUTH clients

CUSTOMERS = [("alpineskihouse.example", "192.0.2.161", TLS12),
             ("bigcheese.example", "192.0.2.170", TLS13),
             ("coho-vineyard.example", "203.0.113.120", TLS12),
             ("fourthcoffee.example", "203.0.113.131", TLS13),
             ("oldtown-grocers.example", "203.0.113.150", NO_TLS),
             ("wideworldimporters.example", "192.0.2.180", TLS12)]


def smtp_auth_clients() -> list[Message]:
    rng = random.Random("northwind/smtp-auth")
    out = []
    for day in DAYS:
        # SAP sends the invoice run at 02:00 on weekday nights and confirmations by day.
        runs = [(2 * 3600, poisson(rng, 28))] if day.weekday() in (1, 2, 3, 4, 5) else []
        if weekday(day):
            runs.append((None, poisson(rng, 22)))
        for start, count in runs:
            for _ in range(count):
                seconds = start + rng.uniform(0, 1500) if start else office_seconds(rng)
                moment = at(day, seconds)
                dom, mx_ip, tls = rng.choices(CUSTOMERS, weights=[5, 4, 4, 3, 1, 3])[0]
                number = rng.randrange(9_000_000, 9_100_000)
                subject = (f"Invoice {number} from Northwind Traders, Inc." if start else
                           f"Order confirmation {number - 4_500_000}, Northwind Traders")
                failed = rng.random() < 0.015
                out.append(Message(
                    "erp", moment, addr("erp-notify"), [f"ap@{dom}"], subject,
                    size(rng, 38_000, 140_000), f"<{hexid(rng, 20)}.{number}@sapprd01.{DOMAIN}>",
                    guid(rng), "outbound", NO_CONNECTOR_OUT, tls,
                    from_ip=ERP_IP, to_ip=mx_ip,
                    status="Failed" if failed else "Delivered", auth="Basic",
                    client_tls=TLS11))
        if day in (date(2026, 11, 13), date(2026, 11, 20)):  # payroll runs on Fridays
            for i, user in enumerate(USERS + ON_PREM_USERS[:1] + ["hr"]):
                moment = at(day, 15 * 3600 + 40 * i + rng.uniform(0, 30))
                out.append(Message(
                    "payroll", moment, addr("payroll"), [addr(user)],
                    f"Your payslip for November 2026 ({day:%d %b}) is ready",
                    size(rng, 60_000, 90_000), f"<{guid(rng)}@payroll.{DOMAIN}>", guid(rng),
                    "internal", "", "", from_ip=PAYROLL_IP, to_ip="", auth="OAuth",
                    client_tls=TLS12))
        if weekday(day):  # j.smith's old home PC client, and his phone now and then
            for _ in range(poisson(rng, 3.4)):
                moment = at(day, rng.uniform(7, 21) * 3600)
                phone = rng.random() < 0.15
                external = rng.random() < 0.5
                if external:
                    dom, mx_ip, tls = rng.choice(CUSTOMERS)
                    rcpt, direction, conn = f"purchasing@{dom}", "outbound", NO_CONNECTOR_OUT
                else:
                    rcpt, direction, conn = addr(rng.choice(USERS)), "internal", ""
                    tls = mx_ip = ""
                out.append(Message(
                    "jsmith", moment, addr("j.smith"), [rcpt],
                    rng.choice(["RE: Stock levels, week 47", "Fwd: price list", "quote",
                                "RE: RE: delivery Tuesday?"]),
                    size(rng, 4_000, 600_000),
                    f"<{guid(rng).upper()}@{DOMAIN}>" if phone else
                    f"<000001db{hexid(rng, 8).lower()}${hexid(rng, 8).lower()}@{DOMAIN}>",
                    guid(rng),
                    direction, conn, tls, from_ip=JSMITH_HOME_IP, to_ip=mx_ip, auth="Basic",
                    client_tls=TLS12 if phone else TLS10))
    return out


# ---------------------------------------------------------------- stories 4-6: partners, NAS

def contoso() -> list[Message]:
    """Contoso Logistics: an MTA without STARTTLS, no connector, weekdays."""
    rng = random.Random("northwind/contoso")
    out = []
    for day in DAYS:
        if not weekday(day):
            continue
        for _ in range(poisson(rng, 6)):
            moment = at(day, office_seconds(rng))
            ref = rng.randrange(7000, 7999)
            dispatch, tracking = "dispatch@contoso-logistics.example", \
                "tracking@contoso-logistics.example"
            sender, subject = rng.choice([
                (dispatch, f"Shipment {ref}-{rng.randrange(100, 999)} delivered, POD attached"),
                (tracking, f"Delivery notice, order PO-{rng.randrange(55000, 56000)}"),
                (dispatch, f"Collection booked for {moment:%d/%m}, ref CL{ref}")])
            rcpts = [addr("orders")] + ([addr("logistics")] if rng.random() < 0.4 else [])
            out.append(Message(
                "contoso", moment, sender, rcpts, subject, size(rng, 25_000, 900_000),
                f"<{guid(rng)}@{CONTOSO_HOST}>", guid(rng), "inbound", NO_CONNECTOR_IN, NO_TLS,
                from_ip=CONTOSO_IP, helo=CONTOSO_HOST, ptr=CONTOSO_HOST))
    return out


def woodgrove() -> list[Message]:
    """Woodgrove Bank: partner connector with RequireTls both ways, all TLS 1.2."""
    rng = random.Random("northwind/woodgrove")
    out = []
    for day in DAYS:
        if not weekday(day):
            continue
        for _ in range(poisson(rng, 14)):
            moment = at(day, office_seconds(rng))
            sender = rng.choice(["noreply@woodgrovebank.example",
                                 "statements@woodgrovebank.example"])
            ref = rng.randrange(88000, 89999)
            subject = rng.choice([f"Payment advice {day:%Y-%m-%d}, ref WGB-{ref}",
                                  f"Statement available, account ending {ref % 10000:04d}",
                                  f"Direct debit confirmation WGB-{ref}"])
            out.append(Message(
                "woodgrove-in", moment, sender, [addr(rng.choice(["finance", "ap"]))], subject,
                size(rng, 20_000, 300_000),
                f"<{hexid(rng, 32).lower()}@mail.woodgrovebank.example>",
                guid(rng), "inbound", WOODGROVE_IN, TLS12, from_ip=rng.choice(WOODGROVE_IPS),
                helo="mail.woodgrovebank.example", ptr="mail.woodgrovebank.example"))
        for _ in range(poisson(rng, 5)):
            moment = at(day, office_seconds(rng))
            out.append(Message(
                "woodgrove-out", moment, addr(rng.choice(["finance", "a.fuller", "l.callahan"])),
                [rng.choice(["payments@woodgrovebank.example", "r.marino@woodgrovebank.example"])],
                rng.choice(["Payment run 47, please release", "RE: Statement query, account 4471",
                            "Signed mandate"]), size(rng, 30_000, 700_000), outlook_id(rng),
                guid(rng), "outbound", WOODGROVE_OUT, TLS12, from_ip=OFFICE_IP,
                to_ip=rng.choice(WOODGROVE_IPS)))
    return out


def nas() -> list[Message]:
    """nas01 sends its alerts straight to the MX: Direct Send, no TLS, internal recipients."""
    rng = random.Random("northwind/nas")
    out = []
    for day in DAYS:
        events = [(1.5 * 3600, "[nas01] Scheduled task 'Cloud Sync' completed"),
                  (3 * 3600, "[nas01] Hyper Backup task 'Offsite-FS' completed successfully")]
        events += [(rng.uniform(0, 86399), rng.choice([
            "[nas01] Disk 3 S.M.A.R.T. status: warning", "[nas01] Volume 1 usage above 85%",
            "[nas01] UPS is on battery, on-line power restored"])) for _ in range(poisson(rng, 4))]
        for seconds, subject in events:
            moment = at(day, seconds + rng.uniform(0, 120))
            out.append(Message(
                "nas", moment, addr("alerts"), [addr("it-ops"), addr("t.hansen")], subject,
                size(rng, 3_000, 12_000),
                f"<{moment:%Y%m%d%H%M%S}.{rng.randrange(1000, 32000)}@nas01>",
                guid(rng), "inbound", NO_CONNECTOR_IN, NO_TLS, from_ip=NAS_IP, helo="nas01",
                ptr=""))
    return out


# ---------------------------------------------------------------- story 7: ordinary mail

INTERNET = [  # domain, host, ip, TLS it negotiates with Exchange Online, weight
    ("fabrikam.example", "mail.fabrikam.example", "192.0.2.140", TLS12, 8),
    ("litware.example", "smtp.litware.example", "192.0.2.151", TLS12, 6),
    ("adatum.example", "mx1.adatum.example", "203.0.113.101", TLS13, 6),
    ("tailspintoys.example", "mail.tailspintoys.example", "203.0.113.112", TLS12, 5),
    ("proseware.example", "bounce.news.proseware.example", "192.0.2.200", TLS12, 9),
    ("wingtiptoys.example", "outbound.wingtiptoys.example", "203.0.113.123", TLS13, 5),
    ("lucernepublishing.example", "mail.lucernepublishing.example", "192.0.2.210", TLS12, 3),
    ("margiestravel.example", "smtp.margiestravel.example", "203.0.113.134", TLS12, 3),
    ("alpineskihouse.example", "mail.alpineskihouse.example", "192.0.2.161", TLS12, 4),
    ("bigcheese.example", "mx.bigcheese.example", "192.0.2.170", TLS13, 4),
    ("fourthcoffee.example", "mail.fourthcoffee.example", "203.0.113.131", TLS13, 3),
    ("treyresearch.example", "smtp.treyresearch.example", "203.0.113.145", TLS12, 3),
    ("wideworldimporters.example", "mail.wideworldimporters.example", "192.0.2.180", TLS12, 4),
    ("humongousinsurance.example", "mx.humongousinsurance.example", "192.0.2.190", TLS13, 2),
    ("oldtown-grocers.example", "oldtown-grocers.example", "203.0.113.150", NO_TLS, 1),
]
INBOUND_SUBJECTS = ["RE: Quote for 40 cases, delivery next week", "Invoice INV-{n}",
                    "Your order {n} has shipped", "Meeting notes, {d}", "Newsletter: winter range",
                    "RE: RE: pallet count", "Price update 2027", "Webinar invitation",
                    "Statement of account, {d}", "Out of office: re: samples",
                    "Bestellbest\u00e4tigung {n}"]
OUTBOUND_SUBJECTS = ["RE: Quote for 40 cases, delivery next week", "Purchase order PO-{n}",
                     "Samples sent today", "RE: Invoice INV-{n}", "Delivery schedule, week 48",
                     "Thanks, see you Tuesday", "Price list 2027 (draft)"]


EXTERNAL_LOCALS = ["info", "sales", "noreply", "accounts", "k.weiss", "m.lopez"]
EXTERNAL_RCPTS = ["info", "orders", "k.weiss", "m.lopez", "accounts"]


def ordinary() -> list[Message]:
    rng = random.Random("northwind/ordinary")
    senders = [x for x in INTERNET if x[3] != NO_TLS]  # oldtown-grocers never writes to us
    weights = [w for *_, w in INTERNET]
    mailboxes = USERS + SHARED
    out = []
    for day in DAYS:
        busy = weekday(day)
        for _ in range(poisson(rng, 290 if busy else 45)):
            dom, host, ip, tls, _w = rng.choices(senders, weights=[x[4] for x in senders])[0]
            anytime = not busy and rng.random() >= 0.3  # weekend mail comes at any hour
            moment = at(day, rng.uniform(0, 86399) if anytime else office_seconds(rng))
            count = 1 if rng.random() < 0.85 else 2
            rcpts = rng.sample(mailboxes, count)
            if "sales" not in rcpts and rng.random() < 0.08:
                rcpts[0] = "sales"
            subject = rng.choice(INBOUND_SUBJECTS).format(n=rng.randrange(10000, 99999),
                                                          d=f"{day:%d %B}")
            roll = rng.random()
            status = ("FilteredAsSpam" if roll < 0.025 else "Quarantined" if roll < 0.032
                      else "Delivered")
            out.append(Message(
                "internet-in", moment, f"{rng.choice(EXTERNAL_LOCALS)}@{dom}",
                [addr(r) for r in rcpts], subject, size(rng, 6_000, 3_000_000),
                f"<{hexid(rng, 24).lower()}@{host}>", guid(rng), "inbound", NO_CONNECTOR_IN, tls,
                from_ip=ip, status=status, helo=host, ptr=host))
        for _ in range(poisson(rng, 210 if busy else 18)):
            dom, host, ip, tls, _w = rng.choices(INTERNET, weights=weights)[0]
            moment = at(day, office_seconds(rng) if busy else rng.uniform(8, 22) * 3600)
            sender = "a.fuller" if rng.random() < 0.06 else rng.choice(mailboxes)
            out.append(Message(
                "internet-out", moment, addr(sender), [f"{rng.choice(EXTERNAL_RCPTS)}@{dom}"],
                rng.choice(OUTBOUND_SUBJECTS).format(n=rng.randrange(10000, 99999)),
                size(rng, 8_000, 5_000_000), outlook_id(rng), guid(rng), "outbound",
                NO_CONNECTOR_OUT, tls, from_ip=OFFICE_IP, to_ip=ip))
    return out


# ---------------------------------------------------------------- story 3: EXCH01 (hybrid)

ANON_RELAY = "EXCH01\\Relais anonyme \u2013 Entrep\u00f4t"
CLIENT_CONN = "EXCH01\\Client EXCH01"
DEFAULT_CONN = "EXCH01\\Default EXCH01"
# kind: (sender, HELO, LAN IP, receive connector, port, TLS on that hop, auth user)
LAN_SENDERS = {
    "label": (addr("wh-labels"), "ZT410-WH01", "10.20.5.21", ANON_RELAY, 25, "none", ""),
    "veeam": (addr("veeam"), "VEEAM-APPL01", "10.20.3.40", ANON_RELAY, 25, "TLS1.0", ""),
    "app": (addr("app-alerts"), "WIN-7F3K2L9Q1ZB", "10.20.3.15", ANON_RELAY, 25, "TLS1.2", ""),
    "reports": (addr("reports"), "RPTSRV01", "10.20.3.22", CLIENT_CONN, 587, "TLS1.2",
                "NORTHWIND\\svc-reports"),
}
EXO_OUTBOUND = [("192.0.2.21", "EUR02-DB5-obe.outbound.protection.outlook.com"),
                ("192.0.2.24", "EUR05-AM6-obe.outbound.protection.outlook.com")]
WINDOW = (at(LOG_DAY, 8 * 3600), at(LOG_DAY, 10 * 3600))


PROBES = ("08:30:00.125", "09:30:00.131")  # the load balancer's health checks on port 25


def all_messages() -> list[Message]:
    from .onprem import exch01  # onprem builds on this module's helpers

    messages = (scanners() + smtp_auth_clients() + contoso() + woodgrove() + nas() + ordinary()
                + exch01())
    return sorted(messages, key=lambda m: (m.time, m.message_id))
