"""The user's device inventory (``--inventory FILE``): IP, CIDR, host name or sender -> device
name, type, owner and site. It beats every heuristic.

A CSV file (UTF-8, UTF-8 with BOM, UTF-16 or Windows-1252; comma, semicolon or tab), header
names case-insensitive. Match columns, one or more per row, any of which may identify the
device: ``ip``, ``cidr``, ``hostname`` (glob, against HELO and PTR), ``sender`` (glob, against
the sender and the SMTP AUTH user), or a single ``match`` column holding an IP, a CIDR or a glob
(a glob with ``@`` is a sender, otherwise a host name). A cell may list several values
separated by ``;`` or ``|``. Then ``name``, ``type`` (a device type or a friendly word such as
printer, ERP, server), ``owner``, ``site``; other columns are ignored.

When several rows match a flow, the most specific wins: an exact IP, host or sender before a
glob, a glob before a network, a longer prefix before a shorter one; then file order.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path

from ..encoding import detect_encoding
from ..errors import UsageError
from .model import DEVICE_TYPES, UNKNOWN_DEVICE, FlowEvidence

EVIDENCE_CHARS = 80

# Header spellings per column (normalized: lower case, runs of space/_/- as one space).
_COLUMNS: dict[str, tuple[str, ...]] = {
    "ip": ("ip", "ip address", "ipaddress", "sender ip", "client ip", "ipv4"),
    "cidr": ("cidr", "subnet", "network", "ip range", "range", "prefix"),
    "hostname": ("hostname", "host", "host name", "helo", "ehlo", "fqdn", "dns name", "ptr"),
    "sender": (
        "sender",
        "sender address",
        "email",
        "e mail",
        "email address",
        "mail",
        "smtp address",
        "from",
        "mailbox",
        "address",
    ),
    "match": ("match", "pattern", "identity", "identifier"),
    "name": ("name", "device", "device name", "label"),
    "type": ("type", "device type", "category", "kind"),
    "owner": ("owner", "contact", "responsible"),
    "site": ("site", "location", "office"),
}
MATCH_COLUMNS = ("ip", "cidr", "hostname", "sender", "match")

# Friendly words for device types (normalized like headers).
_TYPE_WORDS: dict[str, str] = {
    **{t.replace("-", " "): t for t in DEVICE_TYPES},
    **dict.fromkeys(
        (
            "printer",
            "scanner",
            "copier",
            "mfd",
            "multifunction",
            "multifunction device",
            "multifunction printer",
            "multi function printer",
            "fax",
            "drucker",
            "kopierer",
        ),
        "mfp",
    ),
    **dict.fromkeys(("sap", "dynamics", "navision", "finance", "billing", "payroll"), "erp"),
    **dict.fromkeys(
        (
            "app",
            "apps",
            "script",
            "lob",
            "line of business",
            "monitoring",
            "backup",
            "appliance",
            "nas",
            "service account",
        ),
        "application",
    ),
    **dict.fromkeys(
        (
            "server",
            "mail",
            "mailserver",
            "exchange",
            "relay",
            "smtp relay",
            "mta",
            "smarthost",
            "smart host",
        ),
        "mail-server",
    ),
    **dict.fromkeys(
        (
            "third party",
            "thirdparty",
            "saas",
            "gateway",
            "security gateway",
            "signature",
            "marketing",
            "cloud service",
        ),
        "third-party-service",
    ),
    **dict.fromkeys(("partner", "partner mta", "external"), "partner-mta"),
    **dict.fromkeys(("user", "client", "person", "mail client", "outlook"), "user-client"),
    **dict.fromkeys(("", "other", "?"), UNKNOWN_DEVICE),
}

_SPACES = re.compile(r"[\s_-]+")
_SPLIT = re.compile(r"[;|]")
# Control characters, line/paragraph separators, zero-width and bidi-override characters:
# shown in reports, they could break lines or reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]+")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", text.replace("\ufeff", "").strip().lower()).strip()


def clip(value: object, limit: int = EVIDENCE_CHARS) -> str:
    """Hostile text made safe to show: no control characters, at most ``limit`` characters."""
    text = _CONTROL.sub(" ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Matcher:
    """One identifier of an inventory row."""

    column: str  # ip, cidr, hostname, sender
    text: str  # as written
    network: ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
    glob: str = ""  # lower case

    @property
    def specificity(self) -> float:
        if self.network is not None:
            exact = self.network.prefixlen == self.network.max_prefixlen
            return 3.0 if exact else 1.0 + self.network.prefixlen / self.network.max_prefixlen
        return 2.0 if any(c in self.glob for c in "*?[") else 3.0

    def hit(self, ip, hosts: tuple[str, ...], senders: tuple[str, ...]) -> str | None:
        """The flow value this identifier matches, or None."""
        if self.network is not None:
            return (
                str(ip)
                if ip is not None and ip.version == self.network.version and ip in self.network
                else None
            )
        values = hosts if self.column == "hostname" else senders
        for value in values:
            if fnmatch.fnmatchcase(value.lower().rstrip("."), self.glob):
                return value
        return None


@dataclass(frozen=True)
class InventoryRow:
    row: int  # as a spreadsheet shows it: the header is row 1
    matchers: tuple[Matcher, ...]
    device_type: str  # UNKNOWN_DEVICE when the row gives none: heuristics decide the type
    name: str = ""
    owner: str = ""
    site: str = ""


@dataclass(frozen=True)
class InventoryMatch:
    row: InventoryRow
    matcher: Matcher
    value: str  # the flow's value that matched

    def describe(self, path: str) -> str:
        name = f" '{clip(self.row.name)}'" if self.row.name else ""
        return (
            f"inventory {clip(Path(path).name)} row {self.row.row}{name}: "
            f"{self.matcher.column} '{clip(self.matcher.text)}' matches '{clip(self.value)}'"
        )


@dataclass(frozen=True)
class Inventory:
    path: str
    rows: tuple[InventoryRow, ...]

    def __len__(self) -> int:
        return len(self.rows)

    def match(self, evidence: FlowEvidence) -> InventoryMatch | None:
        ip = parse_ip(str(evidence.sender_ip)) if evidence.sender_ip else None
        hosts = tuple(str(h) for h in (evidence.hostname, evidence.ptr) if h)
        senders = tuple(str(s) for s in (evidence.sender_address, evidence.auth_user) if s)
        best: tuple[float, InventoryMatch] | None = None
        for row in self.rows:
            for matcher in row.matchers:
                value = matcher.hit(ip, hosts, senders)
                if value is not None and (best is None or matcher.specificity > best[0]):
                    best = (matcher.specificity, InventoryMatch(row, matcher, value))
        return best[1] if best else None


def device_type_of(word: str) -> str | None:
    """The device type a friendly word names, or None."""
    return _TYPE_WORDS.get(_norm(word))


def load_inventory(path: str | Path) -> Inventory:
    """Read the inventory CSV; a bad header or row raises UsageError naming row and column."""
    label = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{label}: cannot read the inventory: {exc.strerror or exc}",
            hint="check the --inventory path",
        ) from None
    codec, _ = detect_encoding(raw)
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"{label}: the inventory is not readable text ({exc.reason})",
            hint="save it as CSV UTF-8 from Excel",
        ) from None
    text = text.lstrip("\ufeff")
    header_line = next((line for line in text.splitlines() if line.strip()), "")
    if not header_line:
        raise UsageError(
            f"{label}: the inventory is empty",
            hint="give a header row such as ip,name,type,owner,site",
        )
    delimiter = max(",;\t", key=header_line.count)  # Excel writes ';' in many locales
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(record for record in reader if any(cell.strip() for cell in record))
    columns = _header_columns(label, header, reader.line_num)
    rows = []
    for record in reader:
        if not any(cell.strip() for cell in record) or record[0].lstrip().startswith("#"):
            continue
        cells = {key: record[i].strip() if i < len(record) else "" for key, i in columns.items()}
        rows.append(_row(label, reader.line_num, cells))
    if not rows:
        raise UsageError(
            f"{label}: the inventory has a header but no device rows",
            hint="add one row per device, e.g. 10.0.0.5,Xerox 2nd floor,mfp",
        )
    return Inventory(label, tuple(rows))


def _header_columns(label: str, header: list[str], row: int) -> dict[str, int]:
    lookup = {spelling: key for key, spellings in _COLUMNS.items() for spelling in spellings}
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        key = lookup.get(_norm(name))
        if key and key not in columns:
            columns[key] = i
    if not any(key in columns for key in MATCH_COLUMNS):
        seen = ", ".join(clip(h, 30) for h in header) or "(none)"
        raise UsageError(
            f"{label}: row {row}: no ip, cidr, hostname, sender or match column "
            f"(columns seen: {seen})",
            hint="name the column that identifies each device ip, cidr, hostname, sender or match",
        )
    return columns


def _row(label: str, row: int, cells: dict[str, str]) -> InventoryRow:
    matchers: list[Matcher] = []
    for column in MATCH_COLUMNS:
        for value in (v.strip() for v in _SPLIT.split(cells.get(column, ""))):
            if value:
                matchers.append(_matcher(label, row, column, value))
    if not matchers:
        raise UsageError(
            f"{label}: row {row}: no ip, cidr, hostname or sender value",
            hint="fill in at least one identifying column, or delete the row",
        )
    word = cells.get("type", "")
    device_type = device_type_of(word)
    if device_type is None:
        raise UsageError(
            f"{label}: row {row}, column 'type': unknown device type '{clip(word, 40)}'",
            hint="use one of "
            + ", ".join(DEVICE_TYPES)
            + " (or printer, scanner, ERP, app, server, partner, user)",
        )
    return InventoryRow(
        row,
        tuple(matchers),
        device_type,
        cells.get("name", ""),
        cells.get("owner", ""),
        cells.get("site", ""),
    )


def _matcher(label: str, row: int, column: str, value: str) -> Matcher:
    if column == "match":
        if "@" in value:
            column = "sender"
        elif parse_ip(value) is not None:
            column = "ip"
        elif "/" in value:
            column = "cidr"
        else:
            column = "hostname"
    if column in ("ip", "cidr"):
        try:  # an IP in a cidr column is a /32, a network in an ip column is tolerated
            network = ipaddress.ip_network(value.strip("[]"), strict=False)
        except ValueError:
            what = "an IP address" if column == "ip" else "an IP network (CIDR)"
            raise UsageError(
                f"{label}: row {row}, column '{column}': '{clip(value, 60)}' is not {what}",
                hint="write e.g. 10.0.0.5 or 10.0.0.0/24",
            ) from None
        return Matcher(column, value, network=network)
    return Matcher(column, value, glob=value.lower().rstrip("."))
