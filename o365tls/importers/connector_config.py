"""Connector configuration: ``Get-InboundConnector`` / ``Get-OutboundConnector`` (Exchange
Online) and ``Get-ReceiveConnector`` (Exchange Server), piped to ``Export-Csv`` (with or without
its ``#TYPE`` line) or ``ConvertTo-Json`` (one object or an array). One connector record per row.

Multi-valued properties (SenderIPAddresses, RemoteIPRanges, SmartHosts...) arrive joined with
``|``, ``,`` or ``;``, as JSON arrays, as ``{a, b}``, as Windows PowerShell's
``{"value": [...], "Count": n}`` wrapping, or as the useless type name ``Export-Csv`` writes
for a collection (``System.Collections.ArrayList``, ``Microsoft.Exchange.Data.
MultiValuedProperty`1[...]``). The last is recorded as a problem of the connector and a note
with the fix, never guessed at. IPs, CIDRs and ranges are kept as text here.

What is read, and why (only what decides which connector a message came through, or what TLS
it must have had):

* ``Name`` / ``Identity``, the kind (inbound, outbound, receive) and ``ConnectorType``
  (Partner / OnPremises; a receive connector's ``TransportRole``): which connector, which path.
* ``Enabled``: a disabled connector matches no mail, so it places no message by its IP ranges;
  it stays listed (an admin wants to see what is switched off), and traffic that an export
  still names on it becomes a data-quality note. ``True``/``False``, ``$false``, JSON booleans
  and the admin's language (``Falsch``, ``Falskt``...) are understood; anything else counts as
  not exported (the connector is taken as enabled).
* ``SenderIPAddresses`` / ``RemoteIPRanges``: place messages by sender IP.
* ``SenderDomains``: the connector's scope. A connector places a message by IP only when the
  sender's domain is in it; ``*`` (``smtp:*;1`` in the address-space form real exports carry,
  with ``smtp:`` and the ``;cost`` suffix dropped) is every domain.
* ``RequireTls``, and ``TlsSenderCertificateName`` where the certificate identifies the
  senders (``RestrictDomainsToCertificate``, or an inbound connector without IP ranges): mail
  on such a connector must arrive over TLS (a certificate is only presented in a TLS session),
  so a legacy sender there fails instead of falling back to plaintext.
* ``TlsSettings`` / ``TlsAuthLevel``, ``AuthMechanism``, ``Bindings``, ``SmartHosts``,
  ``RecipientDomains``: outbound and Exchange Server TLS settings, shown with the connector.

Read on purpose not: ``ConnectorSource`` (Default / HybridWizard / AdminUI / Migrated says who
created the connector; the Hybrid wizard's connectors are ``OnPremises``, which ConnectorType
already says), ``CloudServicesMailEnabled`` and ``TreatMessagesAsInternal`` (how headers and
internal/external status are treated, not how mail is matched or encrypted),
``RestrictDomainsToIPAddresses`` (rejects a sender domain's mail from other IPs: rejected mail
was never delivered through the connector, so delivered mail is placed the same either way),
``EFSkipIPs`` / ``EFSkipLastIP`` / ``EFUsers`` (Enhanced Filtering looks past a gateway for
spam verdicts; the hop, and so the TLS, is still the gateway's), ``AssociatedAcceptedDomains``
and ``TrustedOrganizations``. No export names the certificate a sender presented, so no message
is placed by certificate.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import Unreadable, parse_bool, split_multi
from ..quality import FileReport
from ..schema import CONNECTOR_TYPE, CONNECTORS, ROW
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .jsonfile import json_keys, json_records, records_frame
from .sample import JSON, TEXT, Sample, normalize_header
from .table import ROW_COLUMN, column_for, read_table

INBOUND_KIND, OUTBOUND_KIND, RECEIVE_KIND = "inbound", "outbound", "receive"
# Properties only one cmdlet's objects have, in the order kinds are preferred on a tie.
MARKERS: dict[str, tuple[str, ...]] = {
    INBOUND_KIND: (
        "SenderIPAddresses",
        "SenderDomains",
        "RestrictDomainsToIPAddresses",
        "TlsSenderCertificateName",
    ),
    OUTBOUND_KIND: ("SmartHosts", "RecipientDomains", "TlsSettings", "UseMXRecord"),
    RECEIVE_KIND: ("RemoteIPRanges", "Bindings", "AuthMechanism", "PermissionGroups"),
}
_ALL_MARKERS = tuple(m for marks in MARKERS.values() for m in marks)
_CONNECTORISH = (
    *_ALL_MARKERS,
    "ConnectorType",
    "ConnectorSource",
    "RequireTls",
    "Enabled",
    "TransportRole",
    "Fqdn",
    "MaxMessageSize",
    "CloudServicesMailEnabled",
)
NAME = ("Name", "Identity")
# "#TYPE Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.TenantInboundConnector"
_TYPE_KIND = (
    (re.compile(r"InboundConnector", re.I), INBOUND_KIND),
    (re.compile(r"OutboundConnector", re.I), OUTBOUND_KIND),
    (re.compile(r"ReceiveConnector", re.I), RECEIVE_KIND),
)
# Enum properties that ConvertTo-Json writes as numbers unless told -EnumsAsStrings.
_ENUMS = ("ConnectorType", "TlsSettings", "AuthMechanism", "TransportRole")
# What a disabled connector of each kind does not do.
_OFF = {
    INBOUND_KIND: "its IP ranges place no message on it",
    OUTBOUND_KIND: "Exchange Online routes no mail through it",
    RECEIVE_KIND: "it accepts no mail",
}
# "smtp:*;1", "SMTP:partner.example;1": an address space (type, domain, cost).
_ADDRESS_SPACE = re.compile(r"^(?:smtp:)?(?P<domain>[^;]*?)\s*(?:;\s*\d+)?$", re.I)
_MULTI = {
    "sender_ip_ranges": ("SenderIPAddresses", "RemoteIPRanges"),
    "sender_domains": ("SenderDomains",),
    "smart_hosts": ("SmartHosts",),
    "recipient_domains": ("RecipientDomains",),
    "bindings": ("Bindings",),
}


def detect(sample: Sample) -> bool:
    if sample.kind == JSON:
        keys = json_keys(sample)
        return bool({"name", "identity"} & keys) and any(m.lower() in keys for m in _ALL_MARKERS)
    if sample.kind != TEXT or sample.log_fields:
        return False
    present = sum(1 for c in _CONNECTORISH if sample.has(c))
    return sample.has_any(*NAME) and sample.has_any(*_ALL_MARKERS) and present >= 2


def kind_of(keys, type_hint: str | None = None) -> str:
    """inbound, outbound or receive, from the #TYPE line when it says, else from which
    cmdlet's marker properties the object has most of."""
    if type_hint:
        for pattern, kind in _TYPE_KIND:
            if pattern.search(type_hint):
                return kind
    have = {normalize_header(k) for k in keys}
    scores = {
        kind: sum(1 for m in marks if normalize_header(m) in have)
        for kind, marks in MARKERS.items()
    }
    best = max(scores.values())
    return next(kind for kind, score in scores.items() if score == best) if best else ""


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    noted: set[str] = set()
    if sample.kind == JSON:
        records = json_records(sample, report)
        if not records:
            return
        kinds = [kind_of(r.keys()) for r in records]
        raw = records_frame(records, report)
        frame = convert(raw, kinds, report, noted)
        if len(frame):
            yield Batch(CONNECTORS, frame)
        return
    hint = next((d for d in sample.directives if d.upper().startswith("#TYPE")), None)
    kind = kind_of(sample.header, hint)
    for raw in read_table(sample, report):
        frame = convert(raw, [kind] * len(raw), report, noted)
        if len(frame):
            yield Batch(CONNECTORS, frame)


def convert(
    raw: pd.DataFrame, kinds: list[str], report: FileReport, noted: set[str]
) -> pd.DataFrame:
    """Raw connector rows -> canonical connector records; rows without a name are rejected."""
    rows = raw[ROW_COLUMN]
    names = pick(raw, "Name").str.strip()
    names = names.where(names != "", pick(raw, "Identity").str.strip())
    nameless = names == ""
    reject_rows(
        report,
        rows,
        nameless,
        "no-name",
        "the connector has no Name or Identity; export the Name property too",
    )
    keep = (~nameless).to_numpy()
    problems: list[list[str]] = [[] for _ in range(len(raw))]
    data: dict[str, pd.Series] = {}
    for field, synonyms in _MULTI.items():
        data[field] = _multi_column(raw, synonyms, rows, problems, report, noted)
    data["sender_domains"] = data["sender_domains"].map(sender_domains)
    for prop in _ENUMS:
        column = column_for(raw.columns, prop)
        if column is None:
            continue
        numeric = raw[column].astype(str).str.strip().str.fullmatch(r"\d+")
        for i in numeric[numeric].index:
            position = raw.index.get_loc(i)
            problem = (
                f"{column} was exported as the number {raw[column][i]}: export with "
                "ConvertTo-Json -EnumsAsStrings (PowerShell 7) or Export-Csv"
            )
            problems[position].append(problem)
            if column not in noted:
                noted.add(column)
                report.note(
                    int(rows[i]), "enum-as-number", problem, column=column, value=raw[column][i]
                )
    kind = pd.Series(kinds, index=raw.index, dtype=object)
    connector_type = pick(raw, "ConnectorType").str.strip()
    receive_type = pick(raw, "TransportRole").str.strip()
    receive_type = receive_type.where(receive_type != "", pick(raw, "Usage").str.strip())
    # Receive connectors have no ConnectorType: their role (FrontendTransport...) stands in.
    use_role = ((kind == RECEIVE_KIND) | (connector_type == "")) & (receive_type != "")
    connector_type = connector_type.where(~use_role, receive_type)
    tls_settings = pick(raw, "TlsSettings").str.strip()
    tls_settings = tls_settings.where(tls_settings != "", pick(raw, "TlsAuthLevel").str.strip())
    enabled = _bools(raw, "Enabled")
    off = enabled.map(lambda v: v is False).to_numpy(dtype=bool) & keep
    for i in enabled.index[off]:
        report.note(
            int(rows[i]),
            "disabled-connector",
            f"connector '{names[i]}' is disabled (Enabled: False): it is listed, but "
            f"{_OFF.get(kind[i], _OFF[INBOUND_KIND])}",
            column="Enabled",
            value=raw[column_for(raw.columns, "Enabled")][i],
        )
    data.update(
        {
            ROW: rows,
            "name": names,
            "kind": kind,
            CONNECTOR_TYPE: connector_type,
            "enabled": enabled,
            "require_tls": _bools(raw, "RequireTls"),
            "tls_settings": tls_settings,
            "tls_sender_certificate_name": pick(raw, "TlsSenderCertificateName").str.strip(),
            "restrict_domains_to_certificate": _bools(raw, "RestrictDomainsToCertificate"),
            "auth_mechanism": pick(raw, "AuthMechanism").str.strip(),
            "problems": pd.Series([tuple(p) for p in problems], index=raw.index, dtype=object),
        }
    )
    kept = {k: v[keep] for k, v in data.items()}
    report.use(int(keep.sum()))
    return canonical(CONNECTORS, kept, int(keep.sum()), report.path)


def sender_domains(values: tuple[str, ...]) -> tuple[str, ...]:
    """SenderDomains as domains: ``smtp:*;1`` -> ``*``, ``smtp:partner.example;1`` ->
    ``partner.example``. A cost that the list splitting cut off on ``;`` (``smtp:*``, ``1``)
    is dropped."""
    out = []
    for value in values:
        found = _ADDRESS_SPACE.match(value.strip())
        domain = (found.group("domain") if found else value).strip().lower()
        if domain and not domain.isdigit():
            out.append(domain)
    return tuple(out)


def _bools(raw: pd.DataFrame, *synonyms: str) -> pd.Series:
    return pick(raw, *synonyms).map(parse_bool).astype(object)


def _multi_column(
    raw: pd.DataFrame,
    synonyms: tuple[str, ...],
    rows: pd.Series,
    problems: list[list[str]],
    report: FileReport,
    noted: set[str],
) -> pd.Series:
    values: list[tuple[str, ...]] = []
    columns = [c for c in (column_for(raw.columns, s) for s in synonyms) if c is not None]
    row_numbers = rows.tolist()
    for position in range(len(raw)):
        # A column that exists but is empty for this row gives way to the next synonym
        # (RemoteIPRanges after SenderIPAddresses in a mixed JSON export).
        column = next(
            (c for c in columns if str(raw[c].iloc[position]).strip()),
            columns[0] if columns else None,
        )
        if column is None:
            values.append(())
            continue
        text = str(raw[column].iloc[position])
        items, problem = read_multi(text)
        values.append(items)
        if problem is None:
            continue
        problems[position].append(f"{column}: {problem}")
        if column not in noted:
            noted.add(column)
            report.note(
                int(row_numbers[position]),
                "unreadable-list",
                f"{column} {problem}; the connector is kept without it. "
                f"Re-export with @{{n='{column}';e={{$_.{column} -join ';'}}}} in "
                "Select-Object before Export-Csv, or use ConvertTo-Json -Depth 4",
                column=column,
                value=text,
            )
    return pd.Series(values, index=raw.index, dtype=object)


def read_multi(text: str) -> tuple[tuple[str, ...], str | None]:
    """(values, problem) for one multi-valued cell; problem is None when it was readable."""
    text = (text or "").strip()
    if text[:1] in ("{", "["):
        try:
            doc = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." deeper than any list
            doc = None
        if isinstance(doc, dict) and isinstance(doc.get("value"), list):
            doc = doc["value"]  # Windows PowerShell 5.1 wraps some arrays as {value, Count}
        if isinstance(doc, dict):
            return (), "was exported as an object, not a list of values"
        if isinstance(doc, list):
            if any(isinstance(v, (dict, list)) for v in doc):
                return (), "was exported as nested objects, not a list of values"
            return tuple(str(v).strip() for v in doc if v is not None and str(v).strip()), None
    if text.startswith("Deserialized."):
        text = text[len("Deserialized.") :]
    try:
        return split_multi(text), None
    except Unreadable:
        return (), f"was exported as the type name '{text}' instead of its values"


FORMAT = Format(
    name="connector-config",
    description="Connector configuration: Get-InboundConnector / Get-OutboundConnector / "
    "Get-ReceiveConnector exported with Export-Csv or ConvertTo-Json",
    kind=CONNECTORS,
    carries_tls=False,
    # Not "Name": every other export has one, and it would make this the "closest format" of
    # any unrelated CSV.
    signature=(
        "ConnectorType",
        "RequireTls",
        "SenderIPAddresses",
        "SmartHosts",
        "TlsSettings",
        "RemoteIPRanges",
        "Bindings",
        "AuthMechanism",
    ),
    detect=detect,
    read=read,
    recognised_by="Name/Identity with connector properties (SenderIPAddresses, SmartHosts, "
    "RemoteIPRanges, Bindings, TlsSettings...), CSV or JSON",
)
