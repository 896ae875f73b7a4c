"""The shared world of the benchmark generator: who sends mail, and fast text helpers.

Every generated file draws from one :class:`World` (one tenant, about 240 senders with their
IP, HELO name, sender address, connector and TLS version), so that the files join as real
exports of one tenant do. Standard library only.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

FLUSH_LINES = 4000
WORLD_FLOWS = 240

TENANT = "contoso.com"
ORG = "contoso.onmicrosoft.com"
SERVER = "EX01"
SERVER_FQDN = f"{SERVER}.{TENANT}"
SERVER_IP = "10.0.0.10"

# (kind, weight, helo, sender local parts, connector, TLS mix, subjects)
KINDS = (
    (
        "mfp",
        30,
        ("NPI{hex6}", "BRN{hex12}", "XRX{hex12}", "KM{hex6}", "RNP{hex12}"),
        ("scanner", "scan", "copier", "mfp", "fax"),
        "Relay Scanners {server}",
        (("TLS1.0", 4), ("TLS1.1", 1), ("TLS1.2", 3), ("none", 4)),
        (
            "Scanned from a Xerox Multifunction Printer",
            "Message from KM_C258",
            "Scanned image from MX-3071",
            "",
            "Scan_{n}",
            "image{n}",
        ),
    ),
    (
        "application",
        20,
        ("app{n}.contoso.local", "WIN-{HEX8}", "sql{n}.contoso.local", "veeam{n}.contoso.local"),
        ("noreply", "alerts", "backup", "veeam", "dbmail", "nas"),
        "Relay Applications {server}",
        (("TLS1.0", 2), ("TLS1.2", 6), ("none", 2)),
        (
            "Backup job 'Nightly' completed: Success",
            "[ALERT] Disk C: below 10%, host {n}",
            "Daily report {n}",
            "Übersicht Aufträge – Januar",
            'Job "Export {n}" failed',
        ),
    ),
    (
        "erp",
        10,
        ("sap{n}.contoso.local", "erp{n}.contoso.local"),
        ("sap", "invoice", "billing", "payroll", "erp"),
        "Default Frontend {server}",
        (("TLS1.1", 1), ("TLS1.2", 8), ("TLS1.3", 1)),
        ("Invoice {n}, ACME Corp.", "Rechnung Nr. {n}", "Payment advice {n}"),
    ),
    (
        "client",
        15,
        ("[{ip}]", "DESKTOP-{HEX8}", "LAPTOP-{HEX8}"),
        ("{user}",),
        "Client Frontend {server}",
        (("TLS1.2", 9), ("TLS1.0", 1)),
        ("Re: Q1 numbers", "Réunion équipe", "FW: {n} open items", ""),
    ),
    (
        "partner",
        25,
        ("mail.partner{n}.example", "mx{n}.fabrikam.example", "smtp.vendor{n}.example"),
        ("info", "sales", "{user}", "orders"),
        "Default Frontend {server}",
        (("TLS1.2", 8), ("TLS1.3", 1), ("none", 1)),
        ("Order {n} confirmation", "RE: Angebot {n}", "Delivery note {n}, pallet 3"),
    ),
)
STATUSES = (
    ("Delivered", 90),
    ("GettingStatus", 2),
    ("FilteredAsSpam", 3),
    ("Failed", 2),
    ("Quarantined", 1),
    ("Pending", 1),
    ("Expanded", 1),
)
FIRST = (
    "anna",
    "ben",
    "chloe",
    "david",
    "emma",
    "felix",
    "grace",
    "hugo",
    "ines",
    "jonas",
    "karin",
    "lukas",
    "mia",
    "noah",
    "olga",
    "paul",
    "ruth",
    "sven",
    "tina",
    "zoë",
)
LAST = (
    "meyer",
    "smith",
    "garcia",
    "novak",
    "jensen",
    "rossi",
    "dubois",
    "kowalski",
    "tanaka",
    "o'brien",
    "schmidt",
    "larsen",
    "silva",
    "weber",
    "costa",
)


class Table:
    """Draw from weighted choices in O(1): a 1024-slot table indexed by rng.random()."""

    def __init__(self, items):
        total = sum(w for _, w in items)
        self.slots = [v for v, w in items for _ in range(max(1, round(1024 * w / total)))]
        self.n = len(self.slots)

    def draw(self, rng: random.Random):
        return self.slots[int(rng.random() * self.n)]


def guid(rng: random.Random) -> str:
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def fill(template: str, rng: random.Random, ip: str = "", user: str = "") -> str:
    return template.format(
        hex6=f"{rng.getrandbits(24):06X}",
        hex12=f"{rng.getrandbits(48):012X}",
        HEX8=f"{rng.getrandbits(32):08X}",
        n=rng.randint(1, 999),
        server=SERVER,
        ip=ip,
        user=user,
    )


class World:
    """The senders every file talks about, so that the files join like real exports do."""

    def __init__(self, rng: random.Random, flows: int = WORLD_FLOWS):
        self.users = [f"{rng.choice(FIRST)}.{rng.choice(LAST)}{i}@{TENANT}" for i in range(3000)]
        self.external = [f"{rng.choice(FIRST)}@partner{i % 90}.example" for i in range(600)]
        self.flows = []
        weights = []
        kinds = Table([(k, k[1]) for k in KINDS])
        for i in range(flows):
            kind, _w, helos, locals_, connector, tls, subjects = kinds.draw(rng)
            internal = kind != "partner"
            ip = (
                f"10.{rng.randint(1, 40)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
                if internal
                else f"{rng.choice((198, 203, 192))}.{rng.randint(0, 255)}."
                f"{rng.randint(0, 255)}.{rng.randint(1, 254)}"
            )
            if kind == "partner" and i % 7 == 0:
                ip = f"2001:db8:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
            user = rng.choice(self.users).split("@")[0]
            local = fill(rng.choice(locals_), rng, user=user)
            domain = f"partner{i % 90}.example" if kind == "partner" else TENANT
            helo = fill(rng.choice(helos), rng, ip=ip)
            self.flows.append(
                {
                    "kind": kind,
                    "ip": ip,
                    "helo": helo,
                    # Message-ID host: the device's name, or the mail domain for literal-IP HELOs.
                    "msgid_host": domain if helo.startswith("[") else helo.lower(),
                    "sender": f"{local}@{domain}",
                    "tls": Table(tls).draw(rng),
                    "connector": fill(connector, rng)
                    if i % 23
                    else "Empfangsconnector Drucker Büro",
                    "port": 587 if kind == "client" else 25,
                    "public_ip": f"203.0.113.{1 + i % 200}" if internal else ip,
                    "subjects": tuple(fill(s, rng) for s in subjects),
                }
            )
            # A few flows carry most mail, as on real tenants.
            weights.append(1 + int(200 * rng.random() ** 6))
        self.mx_ips = [
            f"{rng.choice((40, 52, 104))}.{rng.randint(0, 255)}.{rng.randint(0, 255)}."
            f"{rng.randint(1, 254)}"
            for _ in range(400)
        ]
        self.pick = Table(list(zip(range(len(self.flows)), weights, strict=True)))
        self.statuses = Table(STATUSES)

    def flow(self, rng: random.Random) -> dict:
        return self.flows[self.pick.draw(rng)]

    def recipients(self, rng: random.Random, flow: dict) -> list[str]:
        pool = self.users if flow["kind"] != "client" or rng.random() < 0.5 else self.external
        count = 1 if rng.random() < 0.8 else rng.randint(2, 4)
        return [pool[int(rng.random() * len(pool))] for _ in range(count)]


class Clock:
    """Seconds -> text, cached per second (most consecutive rows share one)."""

    def __init__(self, render):
        self.render, self.sec, self.text = render, None, ""

    def __call__(self, sec: int) -> str:
        if sec != self.sec:
            self.sec, self.text = sec, self.render(time.gmtime(sec))
        return self.text


def en_us(t) -> str:
    hour = t.tm_hour % 12 or 12
    return (
        f"{t.tm_mon}/{t.tm_mday}/{t.tm_year} {hour}:{t.tm_min:02d}:{t.tm_sec:02d} "
        f"{'AM' if t.tm_hour < 12 else 'PM'}"
    )


def iso(t) -> str:
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:"
        f"{t.tm_sec:02d}"
    )


def csv_field(text: str) -> str:
    """A field as Exchange logs and minimal-quoting CSV writers write it."""
    if '"' in text or "," in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def quoted(text: str) -> str:
    return text.replace('"', '""')


class Sink:
    """A text file written in blocks of lines."""

    def __init__(self, path: Path, encoding: str):
        self.fh = open(path, "w", encoding=encoding, newline="")  # noqa: SIM115
        self.lines: list[str] = []
        self.chars = 0

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.chars += len(line)
        if len(self.lines) >= FLUSH_LINES:
            self.flush()

    def flush(self) -> None:
        self.fh.write("".join(self.lines))
        self.lines.clear()

    def close(self) -> None:
        self.flush()
        self.fh.close()
