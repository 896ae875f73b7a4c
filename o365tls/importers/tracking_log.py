"""Exchange Server message tracking logs: raw ``MSGTRK*.log`` files (``#Log-type: Message
Tracking Log``) and ``Get-MessageTrackingLog | Export-Csv`` output.

One sighting per message and recipient for each hop in (``RECEIVE``: direction from
``directionality``, Incoming -> inbound, Originating -> outbound) and each hop out (``SEND``,
``SENDEXTERNAL``: outbound, ``client-ip`` is this server and ``server-ip`` the next hop, the same
way round as a send protocol log). :data:`EVENTS` decides every documented EventId on purpose;
the others (DELIVER, RESOLVE, AGENTINFO, HARECEIVE...) are used rows that name nobody new, and
an EventId not in it is noted once per file.

On a RECEIVE the Hub writes the FrontEnd's address in ``client-ip``; the real client is
``S:ProxiedClientIPAddress=`` in ``custom-data``, and ``original-client-ip`` when ``custom-data``
is not readable. ``Get-MessageTrackingLog`` renames the fields (dashes removed, ``date-time`` ->
``Timestamp``, ``recipient-address`` -> ``Recipients``, ``sender-address`` -> ``Sender``,
``custom-data`` -> ``EventData``), writes ``Timestamp`` in the searching computer's culture and
local time, and ``Export-Csv`` writes type names (``System.String[]``,
``System.Collections.Generic.KeyValuePair`2[...][]``) for ``Recipients`` and ``EventData``
unless the admin flattened them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import (
    Unreadable,
    clean_address,
    clean_ip,
    clean_message_id,
    parse_datetimes,
    parse_int,
    split_multi,
)
from ..quality import FileReport
from ..schema import (
    CONNECTOR,
    DESTINATION_IP,
    DIRECTION,
    EVENT,
    HOSTNAME,
    INBOUND,
    MESSAGE_ID,
    OUTBOUND,
    RECIPIENT_ADDRESS,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SERVER,
    SIGHTINGS,
    SIZE,
    STATUS,
    SUBJECT,
    TIMESTAMP,
    TLS_AUTH_LEVEL,
)
from . import custom_data
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, read_table

NAME = "exchange-tracking-log"
# Rows per read_table chunk: ~30 wide columns, so fewer than the default keeps memory low.
CHUNK_ROWS = 25_000

# Each field in its three spellings: the raw log's #Fields, Get-MessageTrackingLog's property
# names, and the historical-search extended report (which shares the field set).
# The extended report is seen with date_time_utc and date_time.
TIME = ("date-time", "Timestamp", "date_time_utc", "date_time")
CLIENT_IP = ("client-ip", "ClientIp", "client_ip")
CLIENT_HOST = ("client-hostname", "ClientHostname", "client_hostname")
SERVER_IP = ("server-ip", "ServerIp", "server_ip")
SERVER_HOST = ("server-hostname", "ServerHostname", "server_hostname")
CONNECTOR_ID = ("connector-id", "ConnectorId", "connector_id")
SOURCE_COL = ("source", "Source")
EVENT_ID = ("event-id", "EventId", "event_id")
INTERNAL_ID = ("internal-message-id", "InternalMessageId", "internal_message_id")
MESSAGE_ID_COL = ("message-id", "MessageId", "message_id")
NETWORK_ID = ("network-message-id", "NetworkMessageId", "network_message_id")
RECIPIENTS = ("recipient-address", "Recipients", "recipient_address")
RECIPIENT_STATUS = ("recipient-status", "RecipientStatus", "recipient_status")
TOTAL_BYTES = ("total-bytes", "TotalBytes", "total_bytes")
SUBJECT_COL = ("message-subject", "MessageSubject", "message_subject")
SENDER_COL = ("sender-address", "Sender", "sender_address")
RETURN_PATH = ("return-path", "ReturnPath", "return_path")
DIRECTIONALITY = ("directionality", "Directionality")
ORIGINAL_CLIENT_IP = ("original-client-ip", "OriginalClientIp", "original_client_ip")
CUSTOM = ("custom-data", "EventData", "custom_data")

# What each EventId means for o365tls. A hop in is a sighting whose client handed the message
# to this server; a hop out is a sighting where this server is the client of the next SMTP hop
# (client-ip this server, server-ip the next one, as in a send protocol log). Every other event
# is a used row that names nobody new. The names and meanings follow Microsoft's "Event types in
# the message tracking log" table; SENDEXTERNAL is not in that table but real logs write it for
# mail leaving through a send connector to a server outside the organisation.
HOP_IN, HOP_OUT, NO_HOP = "hop-in", "hop-out", "no-hop"
EVENTS: dict[str, tuple[str, str]] = {
    "AGENTINFO": (NO_HOP, "a transport agent's data about a message already received"),
    "BADMAIL": (NO_HOP, "a Pickup/Replay file that could not be delivered or returned"),
    "CLIENTSUBMISSION": (NO_HOP, "submitted from a mailbox's Outbox; its RECEIVE is the hop"),
    "DEFER": (NO_HOP, "delivery delayed; the SEND or DELIVER that follows is the hop"),
    "DELIVER": (NO_HOP, "delivered to a local mailbox: the end of the path, no SMTP hop"),
    "DELIVERFAIL": (NO_HOP, "an agent could not file it into a mailbox folder: no SMTP hop"),
    "DROP": (NO_HOP, "dropped without a DSN: the message did not go out"),
    "DSN": (NO_HOP, "a status notification was generated; its own RECEIVE/SEND are its hops"),
    "DUPLICATEDELIVER": (NO_HOP, "a duplicate removed at delivery: no hop"),
    "DUPLICATEEXPAND": (NO_HOP, "a duplicate recipient found while expanding a group: no hop"),
    "DUPLICATEREDIRECT": (NO_HOP, "the alternate recipient was already a recipient: no hop"),
    "EXPAND": (NO_HOP, "a distribution group expanded: recipients change, no hop"),
    "FAIL": (NO_HOP, "delivery failed: the message did not go out"),
    "HADISCARD": (NO_HOP, "a shadow copy discarded after the primary went on: not a hop"),
    "HARECEIVE": (NO_HOP, "a shadow copy kept for redundancy: not a new hop of the message"),
    "HAREDIRECT": (NO_HOP, "a shadow copy was created: not a hop"),
    "HAREDIRECTFAIL": (NO_HOP, "a shadow copy could not be created: not a hop"),
    "INITMESSAGECREATED": (NO_HOP, "sent to the arbitration mailbox for approval: no SMTP hop"),
    "LOAD": (NO_HOP, "reloaded from the queue at start-up: no new hop"),
    "MODERATIONEXPIRE": (NO_HOP, "never approved: the message did not go out"),
    "MODERATORAPPROVE": (NO_HOP, "approved; the DELIVER or SEND that follows is the hop"),
    "MODERATORREJECT": (NO_HOP, "rejected by a moderator: the message did not go out"),
    "MODERATORSALLNDR": (NO_HOP, "every approval request bounced: the message did not go out"),
    "NOTIFYMAPI": (NO_HOP, "found in a mailbox's Outbox; its RECEIVE is the hop"),
    "NOTIFYSHADOW": (NO_HOP, "found in an Outbox and shadowed; its RECEIVE is the hop"),
    "POISONMESSAGE": (NO_HOP, "moved into or out of the poison queue: no hop"),
    "PROCESS": (NO_HOP, "processed: no hop"),
    "PROCESSMEETINGMESSAGE": (NO_HOP, "a meeting message processed at delivery: no hop"),
    "RECEIVE": (
        HOP_IN,
        "received over SMTP, from Pickup/Replay or from a mailbox: the client "
        "is who handed it over",
    ),
    "REDIRECT": (NO_HOP, "redirected to an alternative recipient: no hop"),
    "RESOLVE": (NO_HOP, "a recipient address resolved to another: no hop"),
    "RESUBMIT": (NO_HOP, "resubmitted from Safety Net: a copy of mail already received"),
    "RESUBMITDEFER": (NO_HOP, "a Safety Net resubmission deferred: no hop"),
    "RESUBMITFAIL": (NO_HOP, "a Safety Net resubmission failed: no hop"),
    "SEND": (HOP_OUT, "sent over SMTP to another server: this server is that hop's client"),
    "SENDEXTERNAL": (
        HOP_OUT,
        "sent over SMTP through a send connector to a server outside the "
        "organisation (Exchange Online, the internet): kept like SEND",
    ),
    "SUBMIT": (NO_HOP, "handed from mailbox submission to transport; its RECEIVE is the hop"),
    "SUBMITDEFER": (NO_HOP, "that hand-over was deferred: no hop"),
    "SUBMITFAIL": (NO_HOP, "that hand-over failed: no hop"),
    "SUPPRESSED": (NO_HOP, "transmission suppressed: the message did not go out"),
    "THROTTLE": (NO_HOP, "throttled; the hop comes later, if at all"),
    "TRANSFER": (NO_HOP, "recipients moved to a forked copy: the same message, no hop"),
}
RECEIVE, SEND = "RECEIVE", "SEND"
SEND_EVENTS = frozenset(e for e, (role, _) in EVENTS.items() if role == HOP_OUT)
HOP_EVENTS = frozenset(e for e, (role, _) in EVENTS.items() if role != NO_HOP)
# Tracking logs write Incoming / Originating; Microsoft Learn documents the historical search
# reports' directionality as inbound (1) and outbound (2).
DIRECTIONS = {"incoming": INBOUND, "originating": OUTBOUND, "1": INBOUND, "2": OUTBOUND}

# What Export-Csv writes for a property it cannot flatten: "System.String[]",
# "System.Collections.Generic.KeyValuePair`2[System.String,System.Object][]".
_TYPE_NAME = re.compile(r"^System\.[\w.`]+(?:\[[\w.,` ]*\])*$")
# custom-data exported as a type name: no items, told apart from an empty field.
_UNREADABLE = custom_data.CustomData()


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT:
        return False
    if sample.log_fields:
        log_type = (sample.directive("Log-type") or "").lower()
        if log_type:
            return "message tracking" in log_type
        return sample.has("event-id", "internal-message-id", "source-context")
    return (
        sample.has("Timestamp", "EventId", "Source")
        and sample.has_any("InternalMessageId", "MessageId", "NetworkMessageId")
        and sample.has_any("Recipients", "Sender", "ClientIp")
    )


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    exported = not sample.log_fields
    culture: str | None = None if exported else "ISO"
    tally = Tally()
    for raw in read_table(sample, report, CHUNK_ROWS):
        frame, culture = convert(raw, report, culture, tally)
        if len(frame):
            yield Batch(SIGHTINGS, frame)
    if exported and report.rows_used:
        report.note(
            None,
            "local-time",
            "Get-MessageTrackingLog writes Timestamp in the local time of the computer "
            "that ran it, without an offset; it is read as UTC (read the raw MSGTRK*.log "
            "files for exact UTC times)",
        )
    tally.report(report)


class Tally:
    """What a file's rows lack, reported once per file rather than once per row."""

    def __init__(self) -> None:
        self.counts: dict[str, list[int]] = {}  # code -> [count, first row]
        self.unknown: dict[str, list[int]] = {}  # EventId -> [count, first row]
        self.fallback = 0  # hops in whose only client address is client-ip, EventData unread

    def see(self, code: str, row: int) -> None:
        entry = self.counts.setdefault(code, [0, row])
        entry[0] += 1

    def see_unknown(self, events: pd.Series, rows: pd.Series) -> None:
        for event, row in zip(events, rows, strict=True):
            entry = self.unknown.setdefault(event, [0, int(row)])
            entry[0] += 1

    def report(self, report: FileReport) -> None:
        if "recipients-type-name" in self.counts:
            count, row = self.counts["recipients-type-name"]
            report.note(
                row,
                "recipients-type-name",
                f"Recipients was exported as a type name ('System.String[]') in {count} "
                "RECEIVE/SEND rows, so their recipients are unknown; each gives one "
                "sighting without a recipient. Export it joined: Select-Object "
                "@{n='Recipients';e={$_.Recipients -join ';'}}, ...",
            )
        if "eventdata-type-name" in self.counts:
            count, row = self.counts["eventdata-type-name"]
            told = (
                f"; {self.fallback} RECEIVE rows have no OriginalClientIp either, so "
                "their sender is ClientIp, which may be this Exchange server (FrontEnd or "
                "hub) rather than the device"
                if self.fallback
                else "; the sender of each RECEIVE is its OriginalClientIp"
            )
            report.note(
                row,
                "eventdata-type-name",
                f"EventData was exported as a type name in {count} RECEIVE/SEND rows: "
                "the real client behind the FrontEnd (ProxiedClientIPAddress) and "
                f"EffectiveTlsAuthLevel are not in this file{told}. The raw "
                "MSGTRK*.log files have them, or export EventData joined: "
                "@{n='EventData';e={$_.EventData -join ';'}}",
            )
        if self.unknown:
            first = min(row for _, row in self.unknown.values())
            names = ", ".join(
                f"{name or '(empty)'} ({count} row{'s' * (count != 1)})"
                for name, (count, _) in sorted(self.unknown.items())
            )
            report.note(
                first,
                "unknown-event",
                f"EventId values that are not in Microsoft's list of message tracking "
                f"events: {names}. These rows are read but name no sender; if one is "
                "an SMTP hop, its senders are missing from the report",
            )


def convert(
    raw: pd.DataFrame, report: FileReport, culture: str | None, tally: Tally
) -> tuple[pd.DataFrame, str | None]:
    """Raw tracking rows -> sightings; rows without a readable time are rejected."""
    rows = raw[ROW_COLUMN]
    when = pick(raw, *TIME)
    stamps, culture = parse_datetimes(when, culture)
    bad = stamps.isna()
    reject_rows(
        report,
        rows,
        bad,
        "bad-date",
        "the time is not a date in any known culture (ISO, en-US, en-GB, de-DE)",
        "date-time",
        when,
    )
    report.use(int((~bad).sum()))
    event = pick(raw, *EVENT_ID).str.strip().str.upper()
    unknown = ~bad & ~event.isin(list(EVENTS))
    if unknown.any():
        tally.see_unknown(event[unknown], rows[unknown])
    keep = ~bad & event.isin(list(HOP_EVENTS))
    sub = raw[keep]
    sub_rows = rows[keep]
    is_send = event[keep].isin(list(SEND_EVENTS))

    custom = pd.Series(
        [_custom(v, r, tally) for v, r in zip(pick(sub, *CUSTOM), sub_rows, strict=True)],
        index=sub.index,
        dtype=object,
    )
    recipients = pd.Series(
        [_recipients(v, r, tally) for v, r in zip(pick(sub, *RECIPIENTS), sub_rows, strict=True)],
        index=sub.index,
        dtype=object,
    )
    client_ip = clean_ip(pick(sub, *CLIENT_IP), report)
    client_host = pick(sub, *CLIENT_HOST).str.strip()
    sender_ip, hostname = _received_from(sub, custom, client_ip, client_host, is_send, tally)
    status = pick(sub, *RECIPIENT_STATUS)
    data = {
        ROW: sub_rows,
        TIMESTAMP: stamps[keep],
        MESSAGE_ID: clean_message_id(pick(sub, *MESSAGE_ID_COL)),
        SENDER_ADDRESS: envelope_sender(pick(sub, *RETURN_PATH), pick(sub, *SENDER_COL)),
        RECIPIENT_ADDRESS: recipients,
        SUBJECT: pick(sub, *SUBJECT_COL),
        STATUS: status.where(~status.str.match(_TYPE_NAME), ""),
        SENDER_IP: sender_ip,
        DESTINATION_IP: clean_ip(pick(sub, *SERVER_IP)).where(is_send, ""),
        HOSTNAME: hostname,
        CONNECTOR: pick(sub, *CONNECTOR_ID).str.strip(),
        DIRECTION: directions(pick(sub, *DIRECTIONALITY)).where(~is_send, OUTBOUND),
        SIZE: parse_int(pick(sub, *TOTAL_BYTES)),
        EVENT: event[keep],
        TLS_AUTH_LEVEL: custom.map(lambda c: c.get("EffectiveTlsAuthLevel")),
        SERVER: pick(sub, *SERVER_HOST).str.strip().where(~is_send, client_host),
    }
    frame = pd.DataFrame(data).explode(RECIPIENT_ADDRESS, ignore_index=True)
    frame[RECIPIENT_ADDRESS] = clean_address(frame[RECIPIENT_ADDRESS].fillna(""))
    return canonical(SIGHTINGS, dict(frame.items()), len(frame), report.path), culture


def _custom(value: str, row: int, tally: Tally) -> custom_data.CustomData:
    if _TYPE_NAME.match(value.strip()):
        tally.see("eventdata-type-name", row)
        return _UNREADABLE
    return custom_data.parse(value)


def _received_from(
    sub: pd.DataFrame,
    custom: pd.Series,
    client_ip: pd.Series,
    client_host: pd.Series,
    is_send: pd.Series,
    tally: Tally,
) -> tuple[pd.Series, pd.Series]:
    """The client of each hop and its hostname. A hop out's client is this server
    (``client-ip``). A hop in's is the first of ``ProxiedClientIPAddress`` (the device behind the
    FrontEnd), ``original-client-ip`` (the same client, kept when ``custom-data`` is exported as
    a type name) and ``client-ip`` (the last hop, often this organisation's own FrontEnd or
    hub); the hostname is the one logged for the address chosen, empty where none is."""
    proxied_ip = clean_ip(custom.map(lambda c: c.get("ProxiedClientIPAddress")))
    proxied_host = custom.map(lambda c: c.get("ProxiedClientHostname")).astype(object)
    original_ip = clean_ip(pick(sub, *ORIGINAL_CLIENT_IP))
    ip = first_nonempty(proxied_ip, original_ip, client_ip)
    host = client_host.where(proxied_ip == "", proxied_host)
    host = host.where((proxied_ip != "") | (original_ip == "") | (original_ip == client_ip), "")
    tally.fallback += int(
        (
            ~is_send
            & (proxied_ip == "")
            & (original_ip == "")
            & custom.map(lambda c: c is _UNREADABLE)
        ).sum()
    )
    return ip.where(~is_send, client_ip), host.where(~is_send, client_host)


def _recipients(value: str, row: int, tally: Tally) -> list[str]:
    """The recipients of one row; a row without readable recipients still sights its message."""
    text = value.strip()
    try:
        if _TYPE_NAME.match(text):
            raise Unreadable(text)
        found = list(split_multi(text))
    except Unreadable:
        tally.see("recipients-type-name", row)
        found = []
    return found or [""]


def first_nonempty(*columns: pd.Series) -> pd.Series:
    out = columns[0]
    for column in columns[1:]:
        out = out.where(out != "", column)
    return out


def envelope_sender(return_path: pd.Series, sender: pd.Series) -> pd.Series:
    """The MAIL FROM address (return-path), as protocol logs show it; the header sender when
    the export has no return path or it is the null sender ``<>``."""
    return first_nonempty(clean_address(return_path), clean_address(sender))


def directions(directionality: pd.Series) -> pd.Series:
    return directionality.str.strip().str.lower().map(DIRECTIONS).fillna("").astype(object)


FORMAT = Format(
    name=NAME,
    description="Exchange Server message tracking logs: MSGTRK*.log files and "
    "Get-MessageTrackingLog | Export-Csv",
    kind=SIGHTINGS,
    carries_tls=False,
    signature=(
        "date-time",
        "client-ip",
        "source-context",
        "connector-id",
        "source",
        "event-id",
        "internal-message-id",
        "message-id",
        "recipient-address",
        "sender-address",
        "custom-data",
    ),
    detect=detect,
    read=read,
    recognised_by="'#Log-type: Message Tracking Log' with a '#Fields:' line; or Timestamp + "
    "EventId + Source + MessageId/InternalMessageId (Get-MessageTrackingLog export)",
)
