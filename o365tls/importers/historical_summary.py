"""Historical search summary: the EAC "Enhanced summary" report and ``Start-HistoricalSearch
-ReportType MessageTrace`` CSV. Identity only (no TLS): one sighting per message and recipient.

The files are UTF-16LE, often without a BOM (:mod:`.sample` detects both), with ISO timestamps
carrying 7 fractional digits and ``Z``. Columns are found by name, never by position:
``origin_timestamp_utc, sender_address, recipient_status, message_subject, total_bytes,
message_id, network_message_id, original_client_ip, directionality, connector_id,
delivery_priority``. ``recipient_status`` packs every recipient of the message with its events:
``addr##Receive, Deliver;addr2##Receive, Fail``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from ..quality import FileReport
from ..schema import (
    CONNECTOR,
    DIRECTION,
    INBOUND,
    MESSAGE_ID,
    OUTBOUND,
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
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, read_table
from .values import clean_address, clean_ip, clean_message_id, parse_datetimes, parse_int

TIMESTAMP_COL = "origin_timestamp_utc"
RECIPIENT_STATUS = "recipient_status"
SIGNATURE = (TIMESTAMP_COL, "sender_address", RECIPIENT_STATUS, "message_subject", "total_bytes",
             "message_id", "network_message_id", "original_client_ip", "directionality",
             "connector_id", "delivery_priority")

#: Exchange's directionality values (message tracking vocabulary).
DIRECTIONS = {"incoming": INBOUND, "originating": OUTBOUND}
_ADDRESS = re.compile(r"^[^\s@#;]+@[^\s@#;]+$")


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT or sample.log_fields:
        return False
    # The extended report (event rows) has date_time_utc/event_id instead of origin_timestamp_utc.
    return sample.has(TIMESTAMP_COL, "sender_address", RECIPIENT_STATUS) and \
        not sample.has("event_id")


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
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


def convert(raw: pd.DataFrame, report: FileReport,
            culture: str | None) -> tuple[pd.DataFrame, str | None]:
    """Raw summary rows -> one sighting per recipient; rows without a readable time are
    rejected, rows whose recipients cannot be read keep one sighting with no recipient."""
    rows = raw[ROW_COLUMN]
    when = pick(raw, TIMESTAMP_COL)
    stamps, culture = parse_datetimes(when, culture)
    bad = stamps.isna()
    reject_rows(report, rows, bad, "bad-date",
                f"{TIMESTAMP_COL} is not a timestamp (expected ISO 8601 such as "
                "2025-10-13T08:15:03.1234567Z)", TIMESTAMP_COL, when)
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
            report.note(kept_rows[pos], "recipient-status",
                        "part of recipient_status is not 'address##events'; that part was "
                        "skipped", column=RECIPIENT_STATUS, value="; ".join(unreadable))
        elif not found:
            report.note(kept_rows[pos], "recipient-status",
                        "recipient_status names no 'address##events'; the message is kept "
                        "once, without a recipient", column=RECIPIENT_STATUS, value=text)
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
    direction = pick(kept, "directionality").str.strip().str.lower().map(DIRECTIONS)
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
        DIRECTION: spread(direction.fillna("")),
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
    recognised_by="origin_timestamp_utc + sender_address + recipient_status (no event_id)",
)
