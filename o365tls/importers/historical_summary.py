"""Historical search summary: the EAC "Enhanced summary" report and ``Start-HistoricalSearch
-ReportType MessageTrace`` CSV. Identity only (no TLS): one sighting per message and recipient.

The files are UTF-16LE, often without a BOM (:mod:`.sample` detects both), with ISO timestamps
carrying 7 fractional digits and ``Z``. Columns are found by name (in any case), never by
position: ``origin_timestamp_utc, sender_address, recipient_status, message_subject,
total_bytes, message_id, network_message_id, original_client_ip, directionality, connector_id,
delivery_priority``. Microsoft Learn documents the time column as ``origin_timestamp`` and the
status as ``Recipient_status``, and ``directionality`` as 1 (inbound) / 2 (outbound); downloads
are seen with ``origin_timestamp_utc`` and ``Incoming`` / ``Originating``: both are read.
``recipient_status`` packs every recipient of the message with its events:
``addr##Receive, Deliver;addr2##Receive, Fail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import clean_address, clean_ip, clean_message_id, parse_datetimes, parse_int
from ..quality import FileReport
from ..schema import (
    CONNECTOR,
    DIRECTION,
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
from . import tracking_log as tl
from .base import Batch, Format, LoadContext, canonical, lacks_columns, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, column_for, read_table

#: The time column as downloads spell it, then as Microsoft Learn documents it.
TIMESTAMP_COLS = ("origin_timestamp_utc", "origin_timestamp")
TIMESTAMP_COL = TIMESTAMP_COLS[0]
RECIPIENT_STATUS = "recipient_status"
SIGNATURE = (
    TIMESTAMP_COL,
    "sender_address",
    RECIPIENT_STATUS,
    "message_subject",
    "total_bytes",
    "message_id",
    "network_message_id",
    "original_client_ip",
    "directionality",
    "connector_id",
    "delivery_priority",
)
#: Without these a row names no message: the file is not a summary report.
REQUIRED = (TIMESTAMP_COLS, ("sender_address",), (RECIPIENT_STATUS,))
_ADDRESS = re.compile(r"^[^\s@#;]+@[^\s@#;]+$")


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT or sample.log_fields:
        return False
    # The extended report (event rows) has date_time_utc/event_id instead of origin_timestamp.
    return all(sample.has_any(*names) for names in REQUIRED) and not sample.has("event_id")


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    if lacks_columns(sample, report, REQUIRED, "a historical search summary report", SIGNATURE):
        return
    culture: str | None = None
    for raw in read_table(sample, report):
        frame, culture = convert(raw, report, culture)
        if len(frame):
            yield Batch(SIGHTINGS, frame)


def split_recipient_status(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """``addr##Receive, Deliver;addr2##Receive, Fail`` -> ([(addr, events)...], [unreadable
    parts]). A bare address (no ``##``) is a recipient whose events were not exported."""
    found: list[tuple[str, str]] = []
    unreadable: list[str] = []
    for part in text.split(";"):
        part = part.strip()
        if not part:
            continue
        address, sep, events = part.partition("##")
        address = address.strip().strip("<>").strip()
        if _ADDRESS.match(address) and (sep or "#" not in part):
            found.append((address.lower(), events.strip()))
        else:
            unreadable.append(part)
    return found, unreadable


def convert(
    raw: pd.DataFrame, report: FileReport, culture: str | None
) -> tuple[pd.DataFrame, str | None]:
    """Raw summary rows -> one sighting per recipient; rows without a readable time are
    rejected, rows whose recipients cannot be read keep one sighting with no recipient."""
    rows = raw[ROW_COLUMN]
    when = pick(raw, *TIMESTAMP_COLS)
    stamps, culture = parse_datetimes(when, culture)
    bad = stamps.isna()
    name = column_for(raw.columns, *TIMESTAMP_COLS) or TIMESTAMP_COL
    reject_rows(
        report,
        rows,
        bad,
        "bad-date",
        f"{name} is not a timestamp (expected ISO 8601 such as 2025-10-13T08:15:03.1234567Z)",
        name,
        when,
    )
    keep = ~bad
    report.use(int(keep.sum()))
    kept = raw[keep].reset_index(drop=True)
    statuses = pick(kept, RECIPIENT_STATUS).tolist()
    kept_rows = kept[ROW_COLUMN].tolist()

    take: list[int] = []  # position in `kept` of every sighting
    recipients: list[str] = []
    events: list[str] = []
    for pos, text in enumerate(statuses):
        found, unreadable = split_recipient_status(text)
        if found and unreadable:
            report.note(
                kept_rows[pos],
                "recipient-status",
                "part of recipient_status is not 'address##events'; that part was skipped",
                column=RECIPIENT_STATUS,
                value="; ".join(unreadable),
            )
        elif not found:
            report.note(
                kept_rows[pos],
                "recipient-status",
                "recipient_status names no 'address##events'; the message is kept "
                "once, without a recipient",
                column=RECIPIENT_STATUS,
                value=text,
            )
            # What was there (often just the events) is still the best status there is.
            found = [("", text.strip())]
        for address, status in found:
            take.append(pos)
            recipients.append(address)
            events.append(status)

    def spread(series: pd.Series) -> pd.Series:
        return series.iloc[take].reset_index(drop=True)

    message_id = clean_message_id(pick(kept, "message_id"))
    network_id = pick(kept, "network_message_id").str.strip()
    message_id = message_id.where(message_id != "", network_id)
    direction = tl.directions(pick(kept, "directionality"))
    data = {
        ROW: spread(kept[ROW_COLUMN]),
        TIMESTAMP: spread(stamps[keep].reset_index(drop=True)),
        MESSAGE_ID: spread(message_id),
        SENDER_ADDRESS: spread(clean_address(pick(kept, "sender_address"))),
        RECIPIENT_ADDRESS: pd.Series(recipients, dtype=object),
        SUBJECT: spread(pick(kept, "message_subject")),
        STATUS: pd.Series(events, dtype=object),
        SENDER_IP: spread(clean_ip(pick(kept, "original_client_ip"), report)),
        CONNECTOR: spread(pick(kept, "connector_id").str.strip()),
        DIRECTION: spread(direction),
        SIZE: spread(parse_int(pick(kept, "total_bytes"))),
    }
    frame = canonical(SIGHTINGS, data, len(take), report.path)
    return frame, culture


FORMAT = Format(
    name="historical-summary",
    description="Historical search summary report CSV (EAC enhanced summary, "
    "Start-HistoricalSearch -ReportType MessageTrace)",
    kind=SIGHTINGS,
    carries_tls=False,
    signature=SIGNATURE,
    detect=detect,
    read=read,
    recognised_by="origin_timestamp[_utc] + sender_address + recipient_status (no event_id)",
)
