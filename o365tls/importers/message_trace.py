"""Message trace: ``Get-MessageTrace`` / ``Get-MessageTraceV2 | Export-Csv`` (with or without
the remote-PowerShell ``PS*``/``RunspaceId`` columns), the EAC message-trace export, Graph
``exchangeMessageTrace`` JSON, and the Office 365 Reporting Web Service's ``MessageTrace``
report (OData verbose JSON or Atom XML, :mod:`.odata`). One sighting per message and
recipient: identity, no TLS.

``Received`` is written in the exporting session's culture (en-US, en-GB, de-DE or ISO); the
culture is decided once per file from the values themselves.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import clean_address, clean_ip, clean_message_id, parse_datetimes, parse_int
from ..quality import FileReport
from ..schema import (
    DESTINATION_IP,
    MESSAGE_ID,
    RECIPIENT_ADDRESS,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SIGHTINGS,
    SIZE,
    STATUS,
    SUBJECT,
    TIMESTAMP,
)
from .base import Batch, Format, LoadContext, canonical, convert_chunks, pick, reject_rows
from .jsonfile import records_frame
from .odata import document_keys, document_records
from .sample import JSON, TEXT, XML, Sample
from .table import ROW_COLUMN, column_for, read_table

RECEIVED = ("Received", "receivedDateTime", "Date (UTC)", "Received (UTC)", "Date")
SENDER = ("SenderAddress", "Sender address", "senderAddress", "Sender")
RECIPIENT = ("RecipientAddress", "Recipient address", "recipientAddress", "Recipient")
FROM_IP = ("FromIP", "From IP", "fromIP", "Sender IP", "Client IP")
TO_IP = ("ToIP", "To IP", "toIP")
MESSAGE_ID_COLS = ("MessageId", "Message ID", "messageId", "InternetMessageId")
TRACE_ID = ("MessageTraceId", "Message trace ID", "id")
DETAIL_MARKERS = ("Detail", "Event", "Data")


def detect(sample: Sample) -> bool:
    if sample.kind in (JSON, XML):
        keys = document_keys(sample)
        return (
            "senderaddress" in keys
            and "recipientaddress" in keys
            and ("receiveddatetime" in keys or "received" in keys)
            and "event" not in keys
        )
    if sample.kind != TEXT or sample.log_fields:
        return False
    if sample.has("Event", "Detail"):
        return False
    return (
        sample.has_any(*RECEIVED)
        and sample.has_any(*SENDER)
        and sample.has_any(*RECIPIENT)
        and sample.has_any(*FROM_IP, *TO_IP, *MESSAGE_ID_COLS, *TRACE_ID, "Status")
    )


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    for frame in convert_chunks(_raw_frames(sample, report), convert, report, context.threads):
        if len(frame):
            yield Batch(SIGHTINGS, frame)


def _raw_frames(sample: Sample, report: FileReport) -> Iterator[pd.DataFrame]:
    if sample.kind in (JSON, XML):
        records = document_records(sample, report)
        if records:
            yield records_frame(records, report)
    else:
        yield from read_table(sample, report, columns=_used_columns(sample))


def _used_columns(sample: Sample) -> list[str]:
    from .table import column_for

    groups = (
        RECEIVED,
        SENDER,
        RECIPIENT,
        FROM_IP,
        TO_IP,
        MESSAGE_ID_COLS,
        TRACE_ID,
        ("Subject",),
        ("Status", "Delivery status"),
        ("Size", "Size (bytes)"),
    )
    return [c for group in groups if (c := column_for(sample.header, *group))]


def convert(
    raw: pd.DataFrame, report: FileReport, culture: str | None
) -> tuple[pd.DataFrame, str | None]:
    """Raw trace rows -> canonical sightings; rows without a readable time are rejected."""
    rows = raw[ROW_COLUMN]
    received = pick(raw, *RECEIVED)
    stamps, culture = parse_datetimes(received, culture)
    bad = stamps.isna()
    # Name the column as the file spells it (Graph: receivedDateTime), or say it is missing
    # (a file forced in with --format).
    name = column_for(raw.columns, *RECEIVED)
    if name:
        empty = bad & (received.str.strip() == "")
        reject_rows(
            report,
            rows,
            empty,
            "bad-date",
            f"{name} is empty (null), so the message has no time",
            name,
            received,
        )
        reject_rows(
            report,
            rows,
            bad & ~empty,
            "bad-date",
            f"{name} is not a date in any known culture (en-US, en-GB, de-DE, ISO)",
            name,
            received,
        )
    else:
        reject_rows(
            report,
            rows,
            bad,
            "bad-date",
            "no Received column, so no message time; is this a message trace export? "
            f"(its columns: {', '.join(str(c) for c in raw.columns if c != ROW_COLUMN)})",
            "Received",
            received,
        )
    keep = ~bad
    used = int(keep.sum())
    report.use(used)
    if used == len(keep):
        keep = slice(None)  # every row: no boolean take (a copy) of each column
    message_id = clean_message_id(pick(raw, *MESSAGE_ID_COLS))
    missing = message_id == ""
    if missing.any():  # the trace id stands in (cleaned only where it is needed)
        message_id = message_id.where(~missing, pick(raw, *TRACE_ID).str.strip())
    data = {
        ROW: rows[keep],
        TIMESTAMP: stamps[keep],
        MESSAGE_ID: message_id[keep],
        SENDER_ADDRESS: clean_address(pick(raw, *SENDER))[keep],
        RECIPIENT_ADDRESS: clean_address(pick(raw, *RECIPIENT))[keep],
        SUBJECT: pick(raw, "Subject")[keep],
        STATUS: pick(raw, "Status", "Delivery status")[keep],
        SENDER_IP: clean_ip(pick(raw, *FROM_IP)[keep], report),
        DESTINATION_IP: clean_ip(pick(raw, *TO_IP))[keep],
        SIZE: parse_int(pick(raw, "Size", "Size (bytes)"))[keep],
    }
    frame = canonical(SIGHTINGS, data, used, report.path)
    return frame, culture


FORMAT = Format(
    name="message-trace",
    description="Message trace: Get-MessageTrace[V2] | Export-Csv, EAC message trace export, "
    "Graph exchangeMessageTrace JSON, Reporting Web Service MessageTrace (JSON or "
    "Atom XML)",
    kind=SIGHTINGS,
    carries_tls=False,
    signature=(
        "Received",
        "SenderAddress",
        "RecipientAddress",
        "Subject",
        "Status",
        "FromIP",
        "ToIP",
        "MessageId",
        "MessageTraceId",
    ),
    detect=detect,
    read=read,
    recognised_by="Received + SenderAddress + RecipientAddress (+ FromIP/MessageId/Status), "
    "no Event/Detail; or JSON (Graph, Reporting Web Service) or Reporting Web "
    "Service Atom XML with senderAddress/recipientAddress/received[DateTime]",
)
