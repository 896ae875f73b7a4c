"""What the two EAC report importers share: recognising their TLS columns in any of the spellings
the exports use, and turning one row's TLS columns into exact message counts.

The EAC "Inbound/Outbound messages" (connector) report and the SMTP AUTH clients report both
carry one column per TLS version, holding percentages (``12.5``, ``12.5%``, ``12,5``) or, in
some exports, message counts. Which of the two a row holds is decided per row from the numbers
themselves (:func:`breakdown`); percentages become counts that add up exactly to the row's
message total with :func:`~o365tls.frames.arrow.largest_remainder`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..frames.arrow import largest_remainder, parse_bool, parse_datetimes, parse_int, parse_number
from ..quality import FileReport
from ..tls import NONE, SSL3, TLS10, TLS11, TLS12, TLS13, TLS_VERSIONS
from .base import pick, reject_rows
from .sample import normalize_header
from .table import ROW_COLUMN

#: Percentages may have been rounded for display: a row whose TLS columns add up to within this
#: of 100 is read as percentages (two-decimal exports are off by 0.02 at most, whole-number
#: ones by up to 2 in theory and by 1 in practice).
PERCENT_TOLERANCE = 1.0

# "tls 1.2", "tls1.2", "tls 1,2" (sv/nl headers), "tls12", "tlsv1.2", "ssl 3.0"
_VERSION_HEADER = re.compile(r"^(tls|ssl)\s*v?\s*(\d)\s*(?:[.,_-]?\s*(\d))?$")
_VERSIONS = {
    ("tls", "1", "0"): TLS10,
    ("tls", "1", "1"): TLS11,
    ("tls", "1", "2"): TLS12,
    ("tls", "1", "3"): TLS13,
    ("ssl", "3", "0"): SSL3,
    ("ssl", "3", None): SSL3,
}
# "No TLS" as the localized report pages spell it (en, de, sv, es, nl verified on the Microsoft
# Learn pages; the others are the usual translations, unverified).
NO_TLS_HEADERS = frozenset(
    {
        "no tls",
        "none",
        "kein tls",
        "inget tls",
        "ingen tls",
        "sin tls",
        "geen tls",
        "aucun tls",
        "pas de tls",
        "sans tls",
        "nessun tls",
        "senza tls",
        "sem tls",
        "brak tls",
        "ei tls",
        "без tls",
        "tls なし",
        "tls 없음",
        "无 tls",
        "notls",
        "no-tls",
    }
)
# Text in a number column that means "nothing here" (the "None" of a No TLS column).
_BLANK_CELLS = frozenset({"", "-", "–", "—", "none", "n/a", "na", "null", "nan"})


def tls_version_of_header(name: str) -> tuple[str | None, bool]:
    """(TLS version the column counts, whether it looks like a TLS column at all).

    ``("TLS1.2", True)`` for ``TLS 1.2 (percentage)``; ``(None, True)`` for a TLS-looking
    header that names no version we know (the caller asks "which column is this?");
    ``(None, False)`` for anything else."""
    key = _strip_note(normalize_header(name)).strip()
    if key in NO_TLS_HEADERS:
        return NONE, True
    match = _VERSION_HEADER.match(key)
    if match:
        version = _VERSIONS.get((match.group(1), match.group(2), match.group(3)))
        return version, True
    return None, ("tls" in key or "ssl" in key)


def _strip_note(key: str) -> str:
    """``key`` without a trailing note: "(percentage)" in any language ("(Prozentsatz)",
    "(procent)", "(porcentaje)"). Found by position, not by a regex searched from every "("
    (that would be quadratic in the length of a header such as "x((((...")."""
    close = key.rfind(")")
    if close < 0 or key[close + 1 :].strip():
        return key
    start = key.rfind(")", 0, close) + 1  # the note cannot contain ")"
    opening = key.find("(", start, close)
    return key if opening < 0 else key[:opening].rstrip()


@dataclass(frozen=True)
class TlsColumns:
    """The TLS columns of one file: mapped ones in vocabulary order, and the unmappable."""

    mapped: tuple[tuple[str, str], ...]  # (header, TLS version)
    unknown: tuple[str, ...]

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(v for _, v in self.mapped)


def find_tls_columns(headers, exclude=()) -> TlsColumns:
    """Sort a header into TLS columns. A second column for a version already seen is unknown:
    two candidates for one version is a question for the user, not a guess for us."""
    skip = set(exclude)
    mapped: dict[str, str] = {}
    unknown: list[str] = []
    for header in headers:
        if header in skip:
            continue
        version, tlsish = tls_version_of_header(header)
        if version is not None and version not in mapped:
            mapped[version] = header
        elif tlsish:
            unknown.append(header)
    ordered = tuple((mapped[v], v) for v in TLS_VERSIONS if v in mapped)
    return TlsColumns(ordered, tuple(unknown))


def unknown_column_message(header: str) -> str:
    return (
        f"which column is this? '{header}' looks like a TLS column but names no TLS version "
        "o365tls knows (No TLS, TLS 1.0, TLS 1.1, TLS 1.2, TLS 1.3); rows with a value in it "
        "are rejected, rows where it is empty or 0 are read. Rename the header to the "
        "version it counts, or delete the column, and run again"
    )


def breakdown(
    raw: pd.DataFrame,
    columns: TlsColumns,
    totals: pd.Series,
    alive: pd.Series,
    rows: pd.Series,
    report: FileReport,
    total_label: str,
) -> list[list[int] | None]:
    """Per row of ``raw``: message counts per ``columns.versions`` that add up exactly to the
    row's total, or None. Rows not ``alive`` (already rejected by the caller) are None and not
    reported again; rows that cannot be split are rejected here with their reason.

    A row is read as counts when its TLS columns are whole numbers adding up to the total, else
    as percentages when they add up to 100 (+-PERCENT_TOLERANCE), else rejected."""
    n = len(raw)
    as_int, as_pct, raw_text = [], [], []
    for header, _version in columns.mapped:
        text = raw[header].astype(str).str.strip()
        blank = text.str.lower().isin(_BLANK_CELLS).to_numpy()
        # Counts are parsed thousands-aware ("1,234" is 1234); percentages decimal-aware
        # ("33,33" is 33.33). Which reading fits is decided per row below.
        as_int.append(np.where(blank, 0.0, parse_int(text).to_numpy(dtype=float)))
        as_pct.append(np.where(blank, 0.0, parse_number(text).to_numpy(dtype=float)))
        raw_text.append(text.to_numpy())
    stray = np.zeros(n, dtype=bool)
    extra = []
    for header in columns.unknown:
        text = raw[header].astype(str).str.strip()
        blank = text.str.lower().isin(_BLANK_CELLS).to_numpy()
        # True/False (a Forced TLS column in a language we lack) carries no count; any other
        # text or number in it does, and makes the row's TLS split untrustworthy.
        boolish = text.map(lambda v: parse_bool(v) is not None and not v.isdigit()).to_numpy()
        values = parse_number(text).to_numpy(dtype=float)
        values = np.where(blank | (np.isnan(values) & boolish), 0.0, np.nan_to_num(values, nan=1))
        stray |= values != 0
        extra.append((header, text.to_numpy(), values))
    k = len(columns.mapped)
    ints = np.array(as_int).T if k else np.zeros((n, 0))
    pcts = np.array(as_pct).T if k else np.zeros((n, 0))
    total_f = totals.to_numpy(dtype=float)
    # The per-row decision, for all rows at once (NaN fails every comparison).
    zero = total_f == 0
    as_counts = (
        (ints >= 0).all(axis=1)
        & (ints == np.floor(ints)).all(axis=1)
        & (ints.sum(axis=1) == total_f)
        & (k > 0)
    )
    as_percent = (
        (pcts >= 0).all(axis=1) & (np.abs(pcts.sum(axis=1) - 100.0) <= PERCENT_TOLERANCE) & (k > 0)
    )
    single = (pcts > 0).sum(axis=1) == 1
    alive_arr, rows_arr = alive.to_numpy(), rows.to_numpy()
    headers = [h for h, _ in columns.mapped]
    out: list[list[int] | None] = [None] * n
    for i in np.flatnonzero(alive_arr):
        row = int(rows_arr[i])
        if stray[i]:
            header, text, _ = next(e for e in extra if e[2][i] != 0)
            report.reject(
                row,
                "unmapped-column",
                f"the row has a value in '{header}', a column o365tls cannot map to "
                "a TLS version, so its TLS counts cannot be trusted",
                column=header,
                value=text[i],
            )
        elif zero[i]:
            out[i] = [0] * k
        elif as_counts[i]:
            out[i] = [int(x) for x in ints[i]]
        elif as_percent[i] and single[i]:  # the common "100% TLS 1.2" row, without arithmetic
            out[i] = [int(total_f[i]) if x > 0 else 0 for x in pcts[i]]
        elif as_percent[i]:
            out[i] = largest_remainder(int(total_f[i]), pcts[i].tolist())
        else:
            _reject(
                report,
                row,
                headers,
                pcts[i],
                [t[i] for t in raw_text],
                int(total_f[i]),
                total_label,
            )
    return out


def _reject(
    report: FileReport,
    row: int,
    headers: list[str],
    pcts: np.ndarray,
    texts: list[str],
    total: int,
    total_label: str,
) -> None:
    bad = next((j for j, v in enumerate(pcts) if np.isnan(v) or v < 0), None)
    if bad is not None:
        report.reject(
            row,
            "bad-number",
            f"'{headers[bad]}' is not a percentage or a message count",
            column=headers[bad],
            value=texts[bad],
        )
        return
    shown = ", ".join(f"{h}={texts[j] or '0'}" for j, h in enumerate(headers))
    report.reject(
        row,
        "tls-sum-mismatch",
        f"the TLS columns add up to {_fmt(pcts.sum())}: neither 100 (percentages) "
        f"nor the {total_label} {total} (counts), so the row cannot be split into "
        f"messages per TLS version ({shown})",
        value=shown,
    )


def _fmt(value: float) -> str:
    if np.isnan(value):
        return "an unreadable number"
    return f"{value:g}"


def day_and_total(
    raw: pd.DataFrame,
    report: FileReport,
    date_column: str | None,
    total_column: str,
    total_code: str,
    state: dict,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """What both EAC reports read first: each row's day (NaT without a Date column) and its
    message total (Volume, Messages sent). Rows where either is unreadable are rejected.
    Returns (rows still alive, days, totals)."""
    rows = raw[ROW_COLUMN]
    alive = pd.Series(True, index=raw.index)
    if date_column:
        dates = pick(raw, date_column)
        stamps, state["culture"] = parse_datetimes(dates, state.get("culture"))
        bad = stamps.isna()
        reject_rows(
            report,
            rows,
            bad,
            "bad-date",
            "Date is not a date in any known culture (en-US, en-GB, de-DE, ISO)",
            date_column,
            dates,
        )
        alive &= ~bad
        days = stamps.dt.floor("D")
    else:
        days = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    text = pick(raw, total_column)
    totals = parse_int(text)
    bad = alive & (totals.isna() | (totals < 0) | (totals != totals.round()))
    reject_rows(
        report,
        rows,
        bad,
        total_code,
        f"{total_column} is not a whole number of messages",
        total_column,
        text,
    )
    return alive & ~bad, days, totals
