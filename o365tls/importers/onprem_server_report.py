"""Out-of-date connecting on-premises Exchange servers: ``Get-OnPremServerReportInfo`` piped to
``Export-Csv``, or the Exchange admin center report (Reports > Mail flow > Out-of-date
connecting on-premises Exchange servers) downloaded as CSV.

Exchange Online lists the on-premises Exchange servers that send to it over an inbound
connector of type OnPremises and run an out-of-date build; it throttles them (450 4.7.230),
then blocks them (550 5.7.230). One record per server, kind ``exchange-server`` in the
connectors table: facts about the senders behind the OnPremises connectors, no TLS counts.

The cmdlet's properties (``ServerFQDN``, ``Build``, ``ExchangeServer``, ``FirstDetectedDate``,
``RecommendedBuildVersions``, ``ThrottleEnabledDate``, ``BlockingEnabledDate``,
``NextStageThrottleRate``, ``NextStageBlockRate``, ``NextStageStartDate``) are those of
published output; dates come in the exporting session's culture. The EAC download's column
names are unpublished: the synonyms below (server name, IP address, build or version, status,
dates) are matched case-insensitively, and an export without a server column is refused with
the columns it has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import clean_ip, parse_datetimes
from ..quality import FileReport
from ..schema import CONNECTOR_TYPE, CONNECTORS, EXCHANGE_SERVER, ROW
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .sample import TEXT, Sample
from .table import ROW_COLUMN, read_table

SERVER = (
    "ServerFQDN",
    "Server FQDN",
    "Server name",
    "ServerName",
    "Server",
    "Fqdn",
    "Host name",
    "Hostname",
)
IP = (
    "ServerIP",
    "Server IP",
    "Server IP address",
    "IP address",
    "IPAddress",
    "IP",
    "Connecting IP",
    "Client IP",
)
BUILD = (
    "Build",
    "Build number",
    "BuildNumber",
    "Server build",
    "Exchange build",
    "Version",
    "Server version",
    "AdminDisplayVersion",
)
PRODUCT = ("ExchangeServer", "Exchange Server", "Exchange version", "Product", "ExchangeVersion")
FIRST = (
    "FirstDetectedDate",
    "First detected date",
    "First detected",
    "Detected date",
    "Date detected",
)
THROTTLED = (
    "ThrottleEnabledDate",
    "Throttle enabled date",
    "Throttling start date",
    "Throttled since",
    "Throttling date",
    "Throttle date",
)
BLOCKED = (
    "BlockingEnabledDate",
    "Blocking enabled date",
    "Blocking start date",
    "Blocked since",
    "Blocking date",
    "Block date",
)
STATUS = (
    "Status",
    "Enforcement status",
    "EnforcementStatus",
    "Enforcement",
    "Stage",
    "Enforcement stage",
    "Current stage",
    "Action",
)
# Properties of the cmdlet and words of the report that only this export has: with a server
# and a build column, one of them makes the file this format.
MARKS = (
    *FIRST,
    *THROTTLED,
    *BLOCKED,
    "RecommendedBuildVersions",
    "Recommended build",
    "Recommended builds",
    "NextStageStartDate",
    "NextStageThrottleRate",
    "NextStageBlockRate",
    *PRODUCT,
    "Enforcement status",
    "EnforcementStatus",
    "Enforcement stage",
)
_BUILD = re.compile(r"^\d{1,2}\.\d{1,2}(?:\.\d{1,5}){0,2}$")
#: The connector type Exchange Online enforces on: the servers in this report send over it.
ON_PREMISES = "OnPremises"


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT or sample.log_fields:
        return False
    return sample.has_any(*SERVER) and sample.has_any(*BUILD) and sample.has_any(*MARKS)


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    state: dict = {"culture": None, "noted": set()}
    names: list[str] = []
    for raw in read_table(sample, report):
        frame = convert(raw, report, state)
        if len(frame):
            names.extend(frame["name"])
            yield Batch(CONNECTORS, frame)
    if names:
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        report.note(
            None,
            "out-of-date-servers",
            f"Exchange Online reports {len(names)} out-of-date on-premises Exchange "
            f"server(s) ({shown}); analyze names them, with their version and "
            "throttling or blocking, in the findings on OnPremises connectors and in "
            "findings.json onprem_servers",
        )


def convert(raw: pd.DataFrame, report: FileReport, state: dict) -> pd.DataFrame:
    """Raw report rows -> one exchange-server record per server; rows naming no server (no
    name and no IP) are rejected."""
    rows = raw[ROW_COLUMN]
    names = pick(raw, *SERVER).str.strip()
    ips = clean_ip(pick(raw, *IP))
    nameless = (names == "") & (ips == "")
    reject_rows(
        report, rows, nameless, "no-server", "the row names no server (no ServerFQDN or IP address)"
    )
    keep = ~nameless
    raw, rows, names, ips = raw[keep], rows[keep], names[keep], ips[keep]
    report.use(int(keep.sum()))
    builds = pick(raw, *BUILD).str.strip()
    _note_once(
        report,
        state,
        "bad-build",
        rows,
        builds.ne("") & ~builds.str.match(_BUILD),
        builds,
        "is not an Exchange build number (like 15.1.2507.16): the server's version is left unknown",
    )
    dates = {}
    for field, synonyms in (
        ("first_detected", FIRST),
        ("throttled_from", THROTTLED),
        ("blocked_from", BLOCKED),
    ):
        text = pick(raw, *synonyms)
        stamps, state["culture"] = parse_datetimes(text, state["culture"])
        _note_once(
            report,
            state,
            "bad-date",
            rows,
            stamps.isna() & (text.str.strip() != ""),
            text,
            "is not a date in any known culture (ISO, en-US, en-GB, de-DE): "
            "that date is left unknown",
        )
        dates[field] = stamps
    data = {
        ROW: rows,
        "name": names.where(names != "", ips),
        "kind": EXCHANGE_SERVER,
        CONNECTOR_TYPE: ON_PREMISES,
        "sender_ip_ranges": [(ip,) if ip else () for ip in ips],
        "build": builds.where(builds.str.match(_BUILD), ""),
        "enforcement": pick(raw, *STATUS).str.strip(),
        "product": pick(raw, *PRODUCT).str.strip(),
        **dates,
    }
    return canonical(CONNECTORS, data, len(rows), report.path)


def _note_once(
    report: FileReport,
    state: dict,
    code: str,
    rows: pd.Series,
    mask: pd.Series,
    values: pd.Series,
    message: str,
) -> None:
    if code in state["noted"] or not mask.any():
        return
    state["noted"].add(code)
    first = mask.to_numpy().nonzero()[0][0]
    value = values.iloc[first]
    report.note(int(rows.iloc[first]), code, f"'{value}' {message}", value=value)


FORMAT = Format(
    name="onprem-server-report",
    description="Out-of-date connecting on-premises Exchange servers: Get-OnPremServerReportInfo "
    "| Export-Csv, or the EAC mail flow report's download",
    kind=CONNECTORS,
    carries_tls=False,
    signature=(
        "ServerFQDN",
        "Build",
        "ExchangeServer",
        "FirstDetectedDate",
        "RecommendedBuildVersions",
        "ThrottleEnabledDate",
        "BlockingEnabledDate",
    ),
    detect=detect,
    read=read,
    recognised_by="a server column (ServerFQDN, Server name) and a build column (Build, "
    "Version) with FirstDetectedDate, ThrottleEnabledDate, BlockingEnabledDate, "
    "RecommendedBuildVersions or an enforcement status",
)
