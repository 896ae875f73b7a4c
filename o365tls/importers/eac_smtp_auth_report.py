"""EAC SMTP AUTH clients report, exported: client submission to smtp.office365.com per sender.

Columns (Microsoft Learn, "SMTP AUTH clients report"): ``Sender address``, ``Domain``,
``TLS 1.0 (percentage)``, ``TLS 1.1 (percentage)``, ``TLS 1.2 (percentage)``, ``Messages sent``;
since Oct 2024 also ``Authentication Protocol`` (Basic / OAuth; the column name is from the
domain notes, not confirmed on a public page). No IP and no cmdlet equivalent. One observation
per sender and TLS version with messages, counts adding up exactly to ``Messages sent``. The
report covers a chosen period, so rows have no time unless the export carries a date column.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import clean_address
from ..quality import FileReport
from ..schema import (
    AUTH_PROTOCOL,
    AUTH_USER,
    GRAIN,
    GRAIN_DAY,
    GRAIN_PERIOD,
    LOCAL_PORT,
    MESSAGES,
    OBSERVATIONS,
    ROW,
    SENDER_ADDRESS,
    TIMESTAMP,
    TLS,
)
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .eac_tls import TlsColumns, breakdown, day_and_total, find_tls_columns, unknown_column_message
from .sample import TEXT, Sample
from .table import ROW_COLUMN, column_for, read_table

#: Client submission port of smtp.office365.com.
SUBMISSION_PORT = 587

# English (verified), Italian (verified on the localized Learn page), others unverified.
SENDER = (
    "Sender address",
    "SenderAddress",
    "Sender",
    "Indirizzo del mittente",
    "Absenderadresse",
    "Dirección del remitente",
    "Adres afzender",
    "Afzenderadres",
    "Avsändarens adress",
    "Avsändaradress",
    "Adresse de l'expéditeur",
    "Endereço do remetente",
)
SENT = (
    "Messages sent",
    "MessagesSent",
    "Messaggi inviati",
    "Gesendete Nachrichten",
    "Mensajes enviados",
    "Verzonden berichten",
    "Skickade meddelanden",
    "Messages envoyés",
    "Mensagens enviadas",
    "Message count",
)
PROTOCOL = (
    "Authentication Protocol",
    "AuthenticationProtocol",
    "Auth protocol",
    "Authentication",
    "Protocollo di autenticazione",
    "Authentifizierungsprotokoll",
    "Protocolo de autenticación",
    "Verificatieprotocol",
    "Autentiseringsprotokoll",
    "Protocole d'authentification",
    "Protocolo de autenticação",
)
DOMAIN = ("Domain", "Dominio", "Domäne", "Domein", "Domän", "Domaine", "Domínio")
DATE = ("Date", "Datum", "Fecha", "Data")


def _columns(headers) -> dict[str, str | None]:
    return {
        "sender": column_for(headers, *SENDER),
        "sent": column_for(headers, *SENT),
        "protocol": column_for(headers, *PROTOCOL),
        "domain": column_for(headers, *DOMAIN),
        "date": column_for(headers, *DATE),
    }


def _tls_columns(headers, named: dict[str, str | None]) -> TlsColumns:
    return find_tls_columns(headers, exclude=[c for c in named.values() if c])


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT or sample.log_fields:
        return False
    named = _columns(sample.header)
    if not (named["sender"] and named["sent"]):
        return False
    return len(_tls_columns(sample.header, named).mapped) >= 1


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    named = _columns(sample.header)
    tls = _tls_columns(sample.header, named)
    # Only reachable with --format: detect() insists on these columns.
    missing = ["Messages sent"] if not named["sent"] else []
    if not tls.mapped:
        missing.append("TLS 1.0 / TLS 1.1 / TLS 1.2")
    if missing:
        report.note(
            None,
            "missing-column",
            f"which column is this? No column could be read as {', '.join(missing)}; "
            f"the headers are: {', '.join(sample.header) or 'none'}. Rename them to "
            "the English report headers and run again",
        )
        for raw in read_table(sample, report):
            reject_rows(
                report,
                raw[ROW_COLUMN],
                pd.Series(True, index=raw.index),
                "missing-column",
                f"not read: no {', '.join(missing)} column",
            )
        return
    for header in tls.unknown:
        report.note(None, "unknown-column", unknown_column_message(header), column=header)
    state = {"culture": None}
    for raw in read_table(sample, report):
        frame = convert(raw, report, named, tls, state)
        if len(frame):
            yield Batch(OBSERVATIONS, frame)


def convert(
    raw: pd.DataFrame,
    report: FileReport,
    named: dict[str, str | None],
    tls: TlsColumns,
    state: dict,
) -> pd.DataFrame:
    """Raw report rows -> one observation per sender and TLS version with messages."""
    rows = raw[ROW_COLUMN]
    sent_column = named["sent"]
    assert sent_column is not None  # read() takes no file without it
    alive, stamps, sent = day_and_total(raw, report, named["date"], sent_column, "bad-count", state)
    counts = breakdown(raw, tls, sent.fillna(0), alive, rows, report, "Messages sent")
    senders = (
        clean_address(pick(raw, named["sender"])).tolist() if named["sender"] else [""] * len(raw)
    )
    protocols = (
        pick(raw, named["protocol"]).str.strip().tolist() if named["protocol"] else [""] * len(raw)
    )
    out: dict[str, list] = {
        k: [] for k in (ROW, TIMESTAMP, SENDER_ADDRESS, AUTH_USER, AUTH_PROTOCOL, TLS, MESSAGES)
    }
    used = 0
    row_numbers, stamp_list = rows.tolist(), stamps.tolist()
    for i, split in enumerate(counts):
        if split is None:
            continue
        used += 1
        if not senders[i]:
            report.note(
                int(row_numbers[i]),
                "no-sender",
                "the row names no sender address: its messages are counted but "
                "cannot be attributed to a mailbox",
                column=named["sender"],
            )
        for version, messages in zip(tls.versions, split, strict=True):
            if messages <= 0:
                continue
            out[ROW].append(row_numbers[i])
            out[TIMESTAMP].append(stamp_list[i])
            out[SENDER_ADDRESS].append(senders[i])
            # The report's sender is the mailbox that authenticated (client submission).
            out[AUTH_USER].append(senders[i])
            out[AUTH_PROTOCOL].append(protocols[i])
            out[TLS].append(version)
            out[MESSAGES].append(messages)
    report.use(used)
    data: dict[str, object] = dict(out)
    data[GRAIN] = GRAIN_DAY if named["date"] else GRAIN_PERIOD
    data[LOCAL_PORT] = SUBMISSION_PORT
    return canonical(OBSERVATIONS, data, len(out[ROW]), report.path)


FORMAT = Format(
    name="eac-smtp-auth-report",
    description="EAC SMTP AUTH clients report export: TLS mix per sending mailbox "
    "(client submission to smtp.office365.com)",
    kind=OBSERVATIONS,
    carries_tls=True,
    signature=(
        "Sender address",
        "Domain",
        "TLS 1.0",
        "TLS 1.1",
        "TLS 1.2",
        "Messages sent",
        "Authentication Protocol",
    ),
    detect=detect,
    read=read,
    recognised_by="Sender address + Messages sent + at least one TLS column (TLS 1.0, "
    "TLS 1.1, TLS 1.2...)",
)
