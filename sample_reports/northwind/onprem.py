"""The EXCH01 flows: LAN devices and on-prem mailboxes relayed to Exchange Online (on TLS 1.0),
and Exchange Online delivering back to the two mailboxes still on EXCH01 (on TLS 1.2)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from .story import (
    DAYS,
    EXCH01_IP,
    EXO_OUTBOUND,
    HYBRID_IN,
    HYBRID_OUT,
    LAN_SENDERS,
    LOG_DAY,
    OFFICE_IP,
    ON_PREM_USERS,
    TLS10,
    TLS12,
    USERS,
    WINDOW,
    Message,
    addr,
    at,
    guid,
    hexid,
    office_seconds,
    outlook_id,
    poisson,
    size,
    weekday,
)


def _lan_subject(rng: random.Random, kind: str, moment: datetime) -> str:
    if kind == "label":
        return "ZT410-WH01: ALERT - " + rng.choice(["MEDIA OUT", "RIBBON LOW", "HEAD OPEN",
                                                     "PAPER OUT"])
    if kind == "veeam":
        return rng.choice(["[Success] Backup Job Nightly-FS (3 VMs) 0 warnings",
                           "[Success] Backup Copy Job Offsite-Copy (3 VMs)",
                           "[Warning] Backup Job SQL-Daily (2 VMs) 1 warning"])
    if kind == "app":
        return rng.choice(["[ALERT] SQL02: disk D: below 10% free",
                           "[OK] SQL02: disk D: back above 15% free",
                           "[ALERT] Print spooler restarted on PRN01, 3 jobs lost",
                           "[INFO] Nightly import finished, 1,204 rows"])
    if kind == "reports":
        return f"Daily stock report, Warehouse 1 ({moment:%d/%m/%Y})"
    return rng.choice(["RE: Q4 stock take", "Keys for the loading bay", "FW: pallet labels",
                       "Cover for Thursday?"])


def _lan_message(rng: random.Random, kind: str, received: datetime, session: str = "",
                 start: datetime | None = None) -> Message:
    """A message EXCH01 received (from a LAN sender or an on-prem mailbox) and relayed to
    Exchange Online over the hybrid connector, which it reaches on TLS 1.0."""
    relay = received + timedelta(seconds=rng.uniform(0.4, 1.6))
    if kind == "onprem":
        sender = addr(rng.choice(ON_PREM_USERS))
        onprem = {"source": "STOREDRIVER"}
        mid = f"<{hexid(rng, 32)}@EXCH01.northwind.local>"
    else:
        sender, helo, ip, conn, port, tls, user = LAN_SENDERS[kind]
        onprem = {"source": "SMTP", "kind": kind, "helo": helo, "lan_ip": ip, "connector": conn,
                  "port": port, "tls": tls, "auth_user": user,
                  "session": session or hexid(rng, 8), "start": start}
        # Devices without a Message-ID of their own get one from Exchange.
        mid = (f"<{guid(rng)}@EXCH01.northwind.local>" if kind == "label" else
               f"<{guid(rng)}@{helo}>")
    onprem.update(received=received, relayed=relay)
    rcpt = addr(rng.choice(["warehouse", "logistics"] if kind == "label" else
                           ["it-ops", "t.hansen"] if kind in ("veeam", "app") else USERS))
    return Message(f"exch01-{kind}", relay + timedelta(seconds=0.3), sender, [rcpt],
                   _lan_subject(rng, kind, received), size(rng, 3_000, 250_000), mid, guid(rng),
                   "inbound", HYBRID_IN, TLS10, from_ip=EXCH01_IP,
                   helo="mail.northwindtraders.example", ptr="mail.northwindtraders.example",
                   onprem=onprem)


def _cloud_to_onprem(rng: random.Random, moment: datetime) -> Message:
    """Exchange Online delivering to a mailbox still on EXCH01 (TLS 1.2: EXCH01's server
    side has TLS 1.2 enabled, only its client side is stuck on TLS 1.0)."""
    exo_ip, exo_helo = rng.choice(EXO_OUTBOUND)
    return Message("exch01-inbound", moment, addr(rng.choice(USERS)),
                   [addr(rng.choice(ON_PREM_USERS))],
                   rng.choice(["Stock take schedule", "RE: Keys for the loading bay",
                               "Team lunch Friday"]), size(rng, 9_000, 400_000), outlook_id(rng),
                   guid(rng), "outbound", HYBRID_OUT, TLS12, from_ip=OFFICE_IP, to_ip=EXCH01_IP,
                   onprem={"source": "SMTP", "exo_ip": exo_ip, "exo_helo": exo_helo,
                           "received": moment + timedelta(seconds=rng.uniform(0.8, 1.5))})


def exch01() -> list[Message]:
    rng = random.Random("northwind/exch01")
    out = []
    for day in DAYS:
        plan = [("label", rng.uniform(0, 86399)) for _ in range(poisson(rng, 3))]
        plan += [("veeam", rng.uniform(1, 3.5) * 3600) for _ in range(3)]
        plan += [("app", rng.uniform(0, 86399)) for _ in range(poisson(rng, 6))]
        if weekday(day):
            plan += [("reports", office_seconds(rng)) for _ in range(poisson(rng, 4))]
        mailbox_mean = 14 if weekday(day) else 1
        plan += [("onprem", office_seconds(rng)) for _ in range(poisson(rng, mailbox_mean))]
        for kind, seconds in plan:
            message = _lan_message(rng, kind, at(day, seconds))
            if not WINDOW[0] <= message.onprem["received"] < WINDOW[1]:
                out.append(message)
        for _ in range(poisson(rng, 18 if weekday(day) else 2)):
            message = _cloud_to_onprem(rng, at(day, office_seconds(rng)))
            if not WINDOW[0] <= message.onprem["received"] < WINDOW[1]:
                out.append(message)
    return out + _log_window()


def _log_window() -> list[Message]:
    """The two hours whose EXCH01 logs are in the sample, scripted so that they show every
    case: plaintext, TLS 1.0 with the hyphen spelling, a session crossing the hourly file
    boundary, two messages in one session, authenticated submission on 587."""
    rng = random.Random("northwind/exch01-window")

    def t(hms: str) -> datetime:
        hours, minutes, seconds = hms.split(":")
        return at(LOG_DAY, int(hours) * 3600 + int(minutes) * 60 + float(seconds))

    out = []
    for kind, when in [("app", "08:03:11.204"), ("onprem", "08:07:45.870"),
                       ("label", "08:12:30.511"), ("reports", "08:18:02.033"),
                       ("app", "08:21:40.402"), ("onprem", "08:33:19.660"),
                       ("label", "08:41:52.947"), ("reports", "08:47:27.315"),
                       ("onprem", "08:52:10.778"), ("label", "09:04:33.450"),
                       ("app", "09:11:08.082"), ("reports", "09:16:44.529"),
                       ("onprem", "09:25:00.301"), ("veeam", "09:37:21.690"),
                       ("app", "09:44:02.254"), ("label", "09:58:30.835")]:
        out.append(_lan_message(rng, kind, t(when)))
    # One session, two alerts.
    start = t("08:26:05.118")
    first = _lan_message(rng, "app", start + timedelta(seconds=1.5), "2ALERTS", start)
    second = _lan_message(rng, "app", start + timedelta(seconds=2.2), "2ALERTS", start)
    second.onprem["relayed"] = first.onprem["relayed"]  # and one send session carries both
    second.onprem["send_with"] = first.message_id
    second.time = first.time + timedelta(seconds=0.2)
    out += [first, second]
    # The session that starts in RECV2026112008-1.log and ends in RECV2026112009-1.log.
    out.append(_lan_message(rng, "veeam", t("09:00:00.617"), "CROSSING", t("08:59:58.912")))
    for when in ("08:09:12.336", "08:35:40.019", "09:20:15.774", "09:51:03.208"):
        out.append(_cloud_to_onprem(rng, t(when)))
    return out
