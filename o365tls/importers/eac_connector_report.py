"""EAC "Inbound messages" / "Outbound messages" report (the connector report), Export to CSV.

One row per day and connector: ``Date``, ``Connector direction and name`` ("Inbound - Scanner
relay", "From the internet without a connector"), ``Connector type``, ``Forced TLS?``,
``No TLS``, ``TLS 1.0``, ``TLS 1.1``, ``TLS 1.2`` (maybe ``TLS 1.3``) and ``Volume``. The
Microsoft Learn page lists the TLS columns as percentages; counts are accepted too, decided per
row (see :mod:`.eac_tls`). Headers are matched case-insensitively through synonym tables that
include the localized column names of the Microsoft Learn report pages (whether the CSV export
itself is translated is unverified). Output: one observation per row and TLS version with
messages, counts adding up exactly to the row's Volume.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from ..frames.arrow import parse_bool
from ..quality import FileReport
from ..schema import (
    CONNECTOR,
    CONNECTOR_TYPE,
    DIRECTION,
    FORCED_TLS,
    GRAIN,
    GRAIN_DAY,
    GRAIN_PERIOD,
    INBOUND,
    MESSAGES,
    OBSERVATIONS,
    OUTBOUND,
    ROW,
    TIMESTAMP,
    TLS,
)
from .base import Batch, Format, LoadContext, canonical, pick, reject_rows
from .eac_tls import TlsColumns, breakdown, day_and_total, find_tls_columns, unknown_column_message
from .sample import TEXT, Sample
from .table import ROW_COLUMN, column_for, read_table

# Synonyms per column: English (verified), then the localized names of the Microsoft Learn
# report pages (de, es, nl, sv, pt, ru, ja verified there), then unverified usual translations.
DATE = ("Date", "Datum", "Fecha", "Data", "Date (UTC)", "Дата", "日付")
CONNECTOR_NAME = (
    "Connector direction and name",
    "Richtung und Name des Connectors",
    "Verbindungsrichtung und-Name",
    "Dirección y nombre del conector",
    "Nombre y dirección del conector",
    "Richting en naam van verbindingslijn",
    "Kopplingens riktning och namn",
    "Kopplingsriktning och -namn",
    "Nome e direção do conector",
    "Направление и имя соединитетеля",
    "Направление и имя соединителя",
    "コネクタの方向と名前",
    "Direction et nom du connecteur",
    "Direzione e nome del connettore",
    "Connector direction",
    "Connector",
)
TYPE = (
    "Connector type",
    "Connectortyp",
    "Tipo de conector",
    "Connectortype",
    "Kopplings typ",
    "Kopplingstyp",
    "Тип соединителя",
    "コネクタの種類",
    "Type de connecteur",
    "Tipo di connettore",
    "Type",
)
FORCED = (
    "Forced TLS?",
    "Erzwungener TLS-Wert?",
    "¿TLS forzada?",
    "Gedwongen TLS?",
    "Tvingad TLS?",
    "TLS forçado?",
    "TLS forcé ?",
    "TLS forzato?",
    "Forced TLS",
)
VOLUME = (
    "Volume",
    "Volumen",
    "Volym",
    "Объем",
    "Объём",
    "ボリューム",
    "Volume (messages)",
    "Messages",
    "Message count",
)
# The SMTP AUTH report's sender column: a file that has it is not a connector report.
_SENDER = ("Sender address", "SenderAddress", "Sender")

# "Inbound - Scanner relay": the direction word, a dash (or colon), the connector name.
_INBOUND_WORDS = (
    "inbound",
    "eingehend",
    "entrante",
    "inkomend",
    "binnenkomend",
    "inkommande",
    "entrant",
    "in ingresso",
    "entrada",
    "входящий",
    "受信",
)
_OUTBOUND_WORDS = (
    "outbound",
    "ausgehend",
    "saliente",
    "uitgaand",
    "utgående",
    "sortant",
    "in uscita",
    "saída",
    "исходящий",
    "送信",
)
_PREFIX = re.compile(
    r"^\s*(?P<word>"
    + "|".join(re.escape(w) for w in _INBOUND_WORDS + _OUTBOUND_WORDS)
    + r")\s*[-–—:]\s*(?P<name>.*)$",
    re.IGNORECASE,
)
# The rows for mail that matched no connector.
_NO_CONNECTOR = re.compile(
    r"without\s+(?:a\s+)?connector|ohne\s+connector|sin\s+(?:un\s+)?conector|"
    r"zonder\s+(?:verbindingslijn|connector)|utan\s+koppling|sans\s+connecteur|"
    r"senza\s+connettore|sem\s+conector",
    re.IGNORECASE,
)
# A direction word somewhere before "internet" (see _before_internet).
_FROM_INTERNET = re.compile(
    r"\b(?:from|aus|von|desde|de|van|från|depuis|dall'|da)\b", re.IGNORECASE
)
_TO_INTERNET = re.compile(r"\b(?:to|ins|an|a|hacia|naar|till|vers|verso|para)\b", re.IGNORECASE)
_INTERNET = re.compile("internet", re.IGNORECASE)
_NO_TYPE = frozenset({"", "-", "–", "—", "n/a", "none"})
INTERNET_TYPE = "Internet"


def _columns(headers) -> dict[str, str | None]:
    return {
        "date": column_for(headers, *DATE),
        "connector": column_for(headers, *CONNECTOR_NAME),
        "type": column_for(headers, *TYPE),
        "forced": column_for(headers, *FORCED),
        "volume": column_for(headers, *VOLUME),
    }


def _tls_columns(headers, named: dict[str, str | None]) -> TlsColumns:
    return find_tls_columns(headers, exclude=[c for c in named.values() if c])


def detect(sample: Sample) -> bool:
    if sample.kind != TEXT or sample.log_fields:
        return False
    if sample.has_any(*_SENDER):
        return False
    named = _columns(sample.header)
    tls = _tls_columns(sample.header, named)
    return len(tls.mapped) >= 2 and any(named[k] for k in ("connector", "volume", "forced"))


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    named = _columns(sample.header)
    tls = _tls_columns(sample.header, named)
    missing = [
        label
        for label, key in (("Connector direction and name", "connector"), ("Volume", "volume"))
        if not named[key]
    ]
    if not tls.mapped:
        missing.append("No TLS / TLS 1.0 / TLS 1.1 / TLS 1.2")
    if missing:
        known = {c for c in named.values() if c} | {h for h, _ in tls.mapped}
        others = [h for h in sample.header if h not in known]
        message = (
            f"which column is this? No column could be read as {', '.join(missing)}; "
            f"the unrecognised headers are: {', '.join(others) or 'none'}. Rename "
            "them to the English report headers and run again"
        )
        report.note(None, "missing-column", message)
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
    if not named["date"]:
        report.note(
            None,
            "no-date",
            "no Date column: each row is counted for the whole report period instead of its day",
        )
    state: dict[str, object] = {"culture": None, "noted": set()}
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
    """Raw report rows -> one observation per row and TLS version with messages."""
    rows = raw[ROW_COLUMN]
    volume_column, connector_column = named["volume"], named["connector"]
    assert volume_column and connector_column  # read() takes no file without them
    alive, days, volume = day_and_total(
        raw, report, named["date"], volume_column, "bad-volume", state
    )
    counts = breakdown(raw, tls, volume.fillna(0), alive, rows, report, "Volume")
    connectors = pick(raw, connector_column).str.strip().tolist()
    types = pick(raw, named["type"]).str.strip().tolist() if named["type"] else None
    forced = pick(raw, named["forced"]).str.strip().tolist() if named["forced"] else None
    out: dict[str, list] = {
        k: []
        for k in (ROW, TIMESTAMP, CONNECTOR, DIRECTION, CONNECTOR_TYPE, FORCED_TLS, TLS, MESSAGES)
    }
    used = 0
    row_numbers, day_list = rows.tolist(), days.tolist()
    for i, split in enumerate(counts):
        if split is None:
            continue
        used += 1
        name, direction, internet = parse_connector(connectors[i])
        if not direction and "no-direction" not in state["noted"]:
            state["noted"].add("no-direction")
            report.note(
                int(row_numbers[i]),
                "no-direction",
                f"'{connectors[i]}' does not start with Inbound/Outbound: its "
                "direction is left empty",
                column=named["connector"],
            )
        kind = types[i] if types is not None else ""
        if internet and kind.lower() in _NO_TYPE:
            kind = INTERNET_TYPE
        flag = (
            _forced(forced[i], int(row_numbers[i]), report, named["forced"], state)
            if forced is not None
            else None
        )
        for version, messages in zip(tls.versions, split, strict=True):
            if messages <= 0:
                continue
            out[ROW].append(row_numbers[i])
            out[TIMESTAMP].append(day_list[i])
            out[CONNECTOR].append(name)
            out[DIRECTION].append(direction)
            out[CONNECTOR_TYPE].append(kind)
            out[FORCED_TLS].append(flag)
            out[TLS].append(version)
            out[MESSAGES].append(messages)
    report.use(used)
    data: dict[str, object] = dict(out)
    data[GRAIN] = GRAIN_DAY if named["date"] else GRAIN_PERIOD
    return canonical(OBSERVATIONS, data, len(out[ROW]), report.path)


def parse_connector(text: str) -> tuple[str, str, bool]:
    """("Scanner relay", "inbound", False) from "Inbound - Scanner relay";
    ("", "inbound", True) from "From the internet without a connector"."""
    text = (text or "").strip()
    direction = ""
    match = _PREFIX.match(text)
    if match:
        word = match.group("word").lower()
        direction = INBOUND if word in _INBOUND_WORDS else OUTBOUND
        text = match.group("name").strip()
    if _NO_CONNECTOR.search(text):
        if not direction:
            if _before_internet(_FROM_INTERNET, text):
                direction = INBOUND
            elif _before_internet(_TO_INTERNET, text):
                direction = OUTBOUND
        return "", direction, True
    return text, direction, False


def _before_internet(words: re.Pattern, text: str) -> bool:
    """``words`` occurs before an "internet" on the same line. One search per line, up to its
    last "internet": "\\bde\\b.*internet" would rescan the rest of the text from every "de",
    quadratic in the length of a long name."""
    for line in text.split("\n"):  # ".*" never crossed a line break
        found = list(_INTERNET.finditer(line))
        # One character past the start of "internet", so that "\b" after "dall'" sees its "i".
        if found and words.search(line, 0, found[-1].start() + 1):
            return True
    return False


def _forced(
    value: str, row: int, report: FileReport, column: str | None, state: dict
) -> bool | None:
    flag = parse_bool(value)
    if flag is None and value and "bad-bool" not in state["noted"]:
        state["noted"].add("bad-bool")
        report.note(
            row,
            "bad-bool",
            f"'{value}' is not True/False in any language o365tls "
            "knows: Forced TLS is left unknown",
            column=column,
            value=value,
        )
    return flag


FORMAT = Format(
    name="eac-connector-report",
    description="EAC Inbound/Outbound messages report (connector report), Export to CSV: "
    "TLS mix per day and connector",
    kind=OBSERVATIONS,
    carries_tls=True,
    signature=(
        "Date",
        "Connector direction and name",
        "Connector type",
        "Forced TLS?",
        "No TLS",
        "TLS 1.0",
        "TLS 1.1",
        "TLS 1.2",
        "Volume",
    ),
    detect=detect,
    read=read,
    recognised_by="two or more TLS columns (No TLS, TLS 1.0, TLS 1.1, TLS 1.2...) with "
    "Connector direction and name, Volume or Forced TLS?, and no Sender address "
    "(headers matched in en/de/es/nl/sv and more)",
)
