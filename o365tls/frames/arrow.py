"""The project's Arrow and pandas column toolkit: parsers of exported values (dates in every
culture Exchange exports in, booleans in the admin's language, integers, addresses, IP
endpoints, multi-valued fields) and the Arrow text kernels the importers, the input reducer
and the analysis share. It knows columns, not formats: nothing here imports a layer above."""

from __future__ import annotations

import ipaddress
import json
import math
import numbers
import re
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..quality import FileReport

# Date forms, most specific first. The culture of a file is decided once, from the values
# themselves: en-US writes AM/PM, en-GB writes dd/MM/yyyy in 24 hours, de-DE writes dd.MM.yyyy.
DATE_FORMATS: tuple[tuple[str, str], ...] = (
    ("en-US", "%m/%d/%Y %I:%M:%S %p"),
    ("en-US (no seconds)", "%m/%d/%Y %I:%M %p"),
    ("en-GB", "%d/%m/%Y %H:%M:%S"),
    ("en-GB (no seconds)", "%d/%m/%Y %H:%M"),
    ("de-DE", "%d.%m.%Y %H:%M:%S"),
    ("de-DE (no seconds)", "%d.%m.%Y %H:%M"),
    ("ja-JP / ISO with slashes", "%Y/%m/%d %H:%M:%S"),
    ("en-US (24h)", "%m/%d/%Y %H:%M:%S"),
    ("en-US date", "%m/%d/%Y"),
    ("en-GB date", "%d/%m/%Y"),
    ("de-DE date", "%d.%m.%Y"),
)
_ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_AMPM = re.compile(r"\b[AP]M\b", re.IGNORECASE)


def parse_datetimes(values: pd.Series, culture: str | None = None) -> tuple[pd.Series, str | None]:
    """Parse ``values`` (strings) to UTC timestamps. Returns (timestamps with NaT where a value
    could not be read, the culture used). Naive times are UTC, as Exchange exports them.
    Pass the culture found in an earlier chunk of the same file to keep it stable."""
    fast = _parse_common(values, culture)
    if fast is not None:
        return fast
    text = values.astype("str").fillna("").str.strip()
    present = text != ""
    if not present.any():
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]"), culture
    probe = text[present]
    candidates = _candidates(probe.iloc[0], culture)
    best: tuple[int, str | None, pd.Series] | None = None
    for name, fmt in candidates:
        if fmt == "ISO8601":
            parsed = pd.to_datetime(probe, format="ISO8601", errors="coerce", utc=True, cache=False)
        else:
            parsed = _strptime(probe, fmt)
        # pandas parses 1/1/0001 and 12/31/9999 (PowerShell's DateTime.MinValue/MaxValue) at
        # second resolution; they do not fit the nanosecond column: not a usable time.
        parsed = parsed.where((parsed >= _FIRST) & (parsed <= _LAST))
        hits = int(parsed.notna().sum())
        if best is None or hits > best[0]:
            best = (hits, name, parsed)
        if hits == len(probe):
            break
    assert best is not None
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns, UTC]")
    out[present] = best[2].astype("datetime64[ns, UTC]")
    return out, (best[1] if best[0] else culture)


def _parse_common(values: pd.Series, culture: str | None) -> tuple[pd.Series, str] | None:
    """:func:`parse_datetimes` in the common case, the same result: every value present and
    read by the first fixed format tried. The text is encoded once, and stripped and parsed
    per distinct value (the general path stripped every row, then encoded the stripped text
    again); None when the case is not the common one, for the general path to decide."""
    if len(values) < 1000:
        return None
    encoded = pc.dictionary_encode(arrow_text(values.astype("str").fillna("")))
    texts = pc.utf8_trim_whitespace(encoded.dictionary)
    if pc.any(pc.equal(texts, "")).as_py():
        return None
    name, fmt = _candidates(texts[0].as_py(), culture)[0]  # row 0's text is distinct value 0
    if fmt == "ISO8601":
        return None
    parsed = _strptime_arrow(texts, fmt)
    if parsed is None or parsed.null_count:  # a distinct value not read: some row not read
        return None
    stamps = pc.cast(parsed, pa.timestamp("ns", tz="UTC")).take(encoded.indices)
    out = stamps.to_pandas()
    out.index = values.index
    return out.astype("datetime64[ns, UTC]"), name


_FIRST = pd.Timestamp.min.tz_localize("UTC")
_LAST = pd.Timestamp.max.tz_localize("UTC")


def _strptime(text: pd.Series, fmt: str) -> pd.Series:
    """One fixed format; values that do not fit (31/02 included) are NaT.

    Arrow parses it (one vectorized pass over the column), but Arrow rolls an impossible
    day over into the next month (31/02 -> 03/03); such rows, whose parsed day is not the day
    written, become NaT as pandas would have it."""
    array = arrow_text(text)
    # Times repeat (a trace has a few rows a second): parse each distinct text once.
    encoded = _repeating(array)
    if encoded is not None:
        array = encoded.dictionary
    parsed = _strptime_arrow(array, fmt)
    if parsed is None:
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=True, cache=False)
    if encoded is not None:
        parsed = parsed.take(encoded.indices)
    stamps = pd.Series(parsed.to_pandas().to_numpy(), index=text.index).dt.tz_localize("UTC")
    return stamps.astype("datetime64[ns, UTC]")


def _strptime_arrow(array: pa.Array, fmt: str) -> pa.Array | None:
    """:func:`_strptime`'s Arrow part, value by value: timestamps in seconds, null where a
    value does not fit; None when Arrow cannot parse ``fmt``."""
    try:
        parsed = pc.strptime(array, format=fmt, unit="s", error_is_null=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    numeric = [f for f in re.findall(r"%([a-zA-Z])", fmt) if f in "dmYHIMS"]
    if "d" in numeric:
        # At most 9 digits a number: a 20-digit "year" would make the int64 cast raise
        # ArrowInvalid.
        written = pc.extract_regex(
            array, r"^\s*(?P<f0>\d{1,9})\D+(?P<f1>\d{1,9})\D+(?P<f2>\d{1,9})"
        )
        day = pc.cast(pc.struct_field(written, [numeric.index("d")]), pa.int64())
        parsed = pc.if_else(pc.equal(pc.day(parsed), day), parsed, pa.scalar(None, parsed.type))
    # Year 1 or 9999: no time. The bounds in whole seconds, checked on the (distinct) values
    # in Arrow: the same test as comparing the pandas column with _FIRST/_LAST, without
    # converting every row to a pandas timestamp first.
    seconds = pc.cast(parsed, pa.int64())
    inside = pc.and_(pc.greater_equal(seconds, _FIRST_SECOND), pc.less_equal(seconds, _LAST_SECOND))
    return pc.if_else(inside, parsed, pa.scalar(None, parsed.type))


# The whole seconds inside [_FIRST, _LAST] (pandas' nanosecond range).
_FIRST_SECOND = -(-_FIRST.value // 1_000_000_000)
_LAST_SECOND = _LAST.value // 1_000_000_000


def _candidates(first: str, culture: str | None) -> list[tuple[str, str]]:
    """The formats to try, most likely first, from the first value present."""
    forms = list(DATE_FORMATS)
    if culture:
        forms.sort(key=lambda f: f[0] != culture)
    if _ISO_LIKE.match(first):
        return [("ISO", "ISO8601"), *forms]
    if _AMPM.search(first):
        return [f for f in forms if "%p" in f[1]] + [f for f in forms if "%p" not in f[1]]
    return [*forms, ("ISO", "ISO8601")]


_TRUE = {
    "true",
    "yes",
    "1",
    "wahr",
    "ja",
    "sant",
    "waar",
    "verdadero",
    "sí",
    "si",
    "vrai",
    "oui",
    "vero",
    "sì",
    "verdadeiro",
    "sim",
    "prawda",
    "tak",
    "enabled",
    "$true",
}
_FALSE = {
    "false",
    "no",
    "0",
    "falsch",
    "nein",
    "falskt",
    "nej",
    "onwaar",
    "nee",
    "falso",
    "faux",
    "non",
    "fałsz",
    "nie",
    "disabled",
    "$false",
    "não",
    "nao",
}


def parse_bool(value: object) -> bool | None:
    """True/False in the admin's language; None when empty or not a boolean."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def parse_int(values: pd.Series) -> pd.Series:
    """Integers from text such as ``1,234`` or ``1.234`` (thousands separators) or ``12.0``;
    NaN where there is no number, or none that fits 64 bits."""
    text = values.astype(str).str.strip()
    fast = _plain_ints(text)
    if fast is not None:
        return fast
    plain = text.str.fullmatch(r"\d{1,18}")
    if bool(plain.all()):  # the common case, without the regex work below
        return pd.to_numeric(text, errors="coerce")
    text = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    # A separator followed by exactly three digits (and no other decimals) is a thousands mark.
    text = text.str.replace(r"(?<=\d)[.,](?=\d{3}(?:$|[.,]\d{3}))", "", regex=True)
    numbers = pd.to_numeric(text.str.replace(",", ".", regex=False), errors="coerce")
    # "inf", "1e999" and 20-digit numbers are no count: they would make the int64 columns
    # raise (or wrap around to negative sizes).
    return numbers.where(numbers.abs() < 2.0**63)


def _plain_ints(text: pd.Series) -> pd.Series | None:
    """Arrow's cast when every value is a plain integer (one cast in Arrow; pd.to_numeric on
    Arrow strings is many times slower, see bench/RESULTS.md); None when any is not, for the
    tolerant path to decide."""
    if not len(text):
        return None
    try:
        numbers = pc.cast(arrow_text(text), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        return None
    if numbers.null_count:
        return None
    return pd.Series(numbers.to_numpy(), index=text.index)


def parse_number(values: pd.Series) -> pd.Series:
    """Floats from ``12.5``, ``12,5``, ``12.5 %``, ``1,234``; NaN where there is no number."""
    text = values.astype(str).str.strip().str.rstrip("%").str.strip()
    text = text.str.replace(r"[\s\u00a0\u202f']", "", regex=True)
    both = text.str.contains(",", regex=False) & text.str.contains(".", regex=False)
    # "1,234.5" (en) vs "1.234,5" (de): the last separator is the decimal one.
    en = both & (text.str.rfind(".") > text.str.rfind(","))
    de = both & ~en
    text = text.where(~en, text.str.replace(",", "", regex=False))
    text = text.where(~de, text.str.replace(".", "", regex=False))
    text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def clean_address(values: pd.Series) -> pd.Series:
    """Lower-case e-mail addresses without angle brackets or ``SMTP:`` prefixes."""
    return per_distinct(values, _clean_addresses)


def _clean_addresses(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip().str.lower()
    text = text.str.replace(r"^smtp:", "", regex=True)
    return text.str.strip("<>").str.strip()


def domain_of(address: str) -> str:
    """The lower-cased text after the last ``@`` of one address; "" without an ``@``."""
    return address.rsplit("@", 1)[1].lower() if "@" in address else ""


def domain_part(values: pd.Series) -> pd.Series:
    """The text after the first ``@``, lower-cased; empty where there is no ``@``."""
    return per_distinct(values, _domain_parts)


def _domain_parts(values: pd.Series) -> pd.Series:
    return pd.Series(pc.utf8_lower(after_first_at(values)), index=values.index, dtype="str")


def after_first_at(values: pd.Series) -> pa.Array:
    """The text after the first ``@`` (empty where there is none), not lower-cased."""
    # In Arrow, without a regex (a split is cheaper than a regex match per text, see
    # bench/RESULTS.md): "@" appended to every text, one split at the first "@", the
    # appended one cut off the remainder; a text without "@" leaves an empty remainder.
    text = arrow_text(values.astype("str").fillna(""))
    joined = pc.binary_join_element_wise(text, pa.scalar("@"), pa.scalar(""))
    after = pc.list_element(pc.split_pattern(joined, "@", max_splits=1), 1)
    return pc.utf8_slice_codeunits(after, 0, -1)


def arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow string array (a pandas column may hold several chunks)."""
    return one_array(pa.array(values.astype("str"), type=pa.string()))


def one_array(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """An Arrow column as one array: a chunked one's chunks joined."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _repeating(array: pa.Array) -> pa.DictionaryArray | None:
    """``array`` dictionary-encoded when it is long and its values repeat enough to pay (at
    most one distinct value in two); None otherwise."""
    if len(array) < 1000 or array.null_count:
        return None
    encoded = pc.dictionary_encode(array)
    return encoded if len(encoded.dictionary) * 2 <= len(array) else None


def first_bytes(values: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(each value's first byte, 0 for an empty one; its length in bytes) of a text column
    without nulls, from its offsets and data buffers: no kernel pass, no copy of the text."""
    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    firsts, lengths = [np.zeros(0, np.uint8)], [np.zeros(0, np.int64)]
    for chunk in chunks:
        if chunk.null_count:
            raise ValueError("first_bytes: a text column without nulls is expected")
        if not len(chunk):
            continue
        width = np.int64 if chunk.type == pa.large_string() else np.int32
        offsets_buffer, data_buffer = chunk.buffers()[1:3]
        offsets = np.frombuffer(offsets_buffer, width)[chunk.offset : chunk.offset + len(chunk) + 1]
        length = np.diff(offsets)
        data = np.frombuffer(data_buffer, np.uint8) if data_buffer is not None else None
        if data is None or not len(data):
            firsts.append(np.zeros(len(chunk), np.uint8))
        else:  # an empty value's start may be the end of the data: clipped, then zeroed
            first = data[np.minimum(offsets[:-1], len(data) - 1)]
            first[length == 0] = 0
            firsts.append(first)
        lengths.append(length)
    return np.concatenate(firsts), np.concatenate(lengths)


def per_distinct(values: pd.Series, transform) -> pd.Series:
    """``transform(values)`` (text in, text out) computed once per distinct value, when values
    repeat: exports repeat a few thousand addresses and IPs millions of times."""
    encoded = _repeating(arrow_text(values)) if len(values) >= 1000 else None
    if encoded is None:
        return transform(values)
    distinct = transform(pd.Series(encoded.dictionary, dtype="str"))
    taken = arrow_text(distinct.fillna("")).take(encoded.indices)
    return pd.Series(taken, index=values.index, dtype="str")


def clean_message_id(values: pd.Series) -> pd.Series:
    return values.astype(str).str.strip().str.strip("<>").str.strip()


_ENDPOINT = re.compile(r"^\[?(?P<ip>[0-9A-Fa-f:.]+?)\]?(?::(?P<port>\d{1,5}))?$")


def split_endpoint(value: str) -> tuple[str, int]:
    """``10.0.0.5:52614`` -> ("10.0.0.5", 52614); ``[2001:db8::1]:25`` -> ("2001:db8::1", 25).
    Returns ("", 0) for text that is not an IP endpoint."""
    text = (value or "").strip()
    if not text:
        return "", 0
    if text.count(":") > 1 and not text.startswith("["):
        return (text, 0) if is_ip(text) else ("", 0)  # bare IPv6
    match = _ENDPOINT.match(text)
    if not match or not is_ip(match.group("ip")):
        return "", 0
    return match.group("ip"), int(match.group("port") or 0)


def map_unique(values: pd.Series, mapping) -> pd.Series:
    """``values.map(mapping)`` computed once per distinct value (``mapping`` is a dict or a
    function): exports repeat a few thousand values millions of times."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    get = mapping.get if isinstance(mapping, dict) else mapping
    mapped = pd.Series([get(u) for u in uniques], dtype=object)
    return pd.Series(mapped.to_numpy()[codes], index=values.index)


@lru_cache(maxsize=65536)
def is_ip(text: str) -> bool:
    # Cached: a busy export repeats a few thousand IPs millions of times.
    if not text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def clean_ip(values: pd.Series, report: FileReport | None = None) -> pd.Series:
    """IP text, or empty where the value is not an IP address. With a ``report``, the values
    that are an IP masked by hand (see :func:`masked_ips`) are counted on it: their row is
    used, without a sender IP."""
    if report is not None:
        report.see_masked_ips(*masked_ips(arrow_text(values.fillna(""))))
    return per_distinct(values, _clean_ips)


# An IP (or endpoint) masked by hand before a log is shared: octets written as *, x or #
# ("10.**.**.31", "192.168.x.x", "x.x.x.x"), or a word in its place ("[REDACTED]").
_RE2_MASKED_SHAPE = (
    r"(?i)^[\[<(]?(?:(?:[0-9]{1,3}|[*x#]+)(?:\.(?:[0-9]{1,3}|[*x#]+)){3}"
    r"|redacted|masked|hidden|removed|anonymi[sz]ed)[\]>)]?(?::[0-9]{1,5})?$"
)
_RE2_MASKED_MARK = r"(?i)[*x#]|redacted|masked|hidden|removed|anonymi[sz]ed"


def is_masked_ip(text: str) -> bool:
    """One value of :func:`masked_ips` (for importers that read row by row)."""
    return masked_ips(pa.array([text], pa.string()))[0] == 1


def masked_ips(values: pa.Array | pa.ChunkedArray) -> tuple[int, str | None]:
    """(how many of ``values`` are an IP masked by hand, the first such value): matched once
    per distinct text."""
    encoded = pc.dictionary_encode(one_array(values))
    words = pc.utf8_trim_whitespace(encoded.dictionary)
    masked = pc.and_(
        pc.match_substring_regex(words, _RE2_MASKED_SHAPE),
        pc.match_substring_regex(words, _RE2_MASKED_MARK),
    )
    hits = np.asarray(masked.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    if not hits.any():
        return 0, None
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    per_line = hits[codes]
    return int(per_line.sum()), words[int(codes[np.argmax(per_line)])].as_py()


def _clean_ips(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    valid = map_unique(text, is_ip).astype(bool)
    return text.where(valid, "")


_USELESS = re.compile(r"^System\.(Collections|Object)|^Microsoft\.Exchange\.Data\.", re.IGNORECASE)


class Unreadable(ValueError):
    """A multi-valued property exported as a type name (``System.Collections...``)."""


def split_multi(value: object) -> tuple[str, ...]:
    """A multi-valued property as exported: ``a|b``, ``a, b``, ``a;b``, ``{a, b}``, a JSON
    array, a Python list, or one value. Raises :class:`Unreadable` for the type-name text that
    ``Export-Csv`` writes for collections it cannot flatten."""
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if isinstance(value, float) and np.isnan(value):
        return ()
    text = str(value).strip()
    if not text:
        return ()
    if _USELESS.match(text) and " " not in text.split("[", 1)[0]:
        raise Unreadable(text)
    if text.startswith("["):
        try:
            items = json.loads(text)
        except (ValueError, RecursionError):  # RecursionError: "[[[[..." nested too deep
            items = None
        if isinstance(items, list):
            return tuple(str(v).strip() for v in items if str(v).strip())
    text = text.strip("{}")
    parts = re.split(r"[|;,\n]", text)
    return tuple(p.strip().strip('"').strip("'").strip() for p in parts if p.strip())


def largest_remainder(total: int, shares: list[float]) -> list[int]:
    """Split ``total`` whole messages in proportion to ``shares`` so that the parts add up to
    exactly ``total`` (largest-remainder / Hamilton method).

    ``shares`` are non-negative weights in any unit (percentages that sum to 100, or to 99.99
    after the export rounded them, fractions, counts); each part gets the floor of its exact
    quota ``total * share / sum(shares)``, and the messages left over go one each to the parts
    with the largest fractional remainders. Ties go to the earlier share, so callers that list
    shares in :data:`o365tls.tls.TLS_VERSIONS` order get a deterministic, vocabulary-ordered
    tie-break. Arithmetic is exact (floats are read as the decimals they print as, so 33.33 is
    3333/100), which keeps ties ties.

    >>> largest_remainder(7, [33.33, 33.33, 33.34])
    [2, 2, 3]
    >>> largest_remainder(1, [50, 50])
    [1, 0]

    Raises ValueError for a negative total, a negative or non-finite share, or a positive total
    with no weight to split it by.
    """
    if total < 0:
        raise ValueError(f"total must not be negative, got {total}")
    ratios = [_ratio(s) for s in shares]
    if any(num < 0 for num, _ in ratios):
        raise ValueError(f"shares must not be negative, got {shares}")
    # Integer weights over a common denominator: exact, and plain int arithmetic where
    # Fraction would normalize after every operation.
    common = math.lcm(*(den for _, den in ratios)) if ratios else 1
    weights = [num * (common // den) for num, den in ratios]
    weight = sum(weights)
    if weight == 0:
        if total == 0:
            return [0] * len(weights)
        raise ValueError(f"cannot split {total} by shares that are all zero")
    counts = [total * w // weight for w in weights]
    remainders = [total * w - c * weight for w, c in zip(weights, counts, strict=True)]
    left = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


def _ratio(value: object) -> tuple[int, int]:
    """(numerator, denominator) of a share, floats read as the decimal they print as."""
    if isinstance(value, Fraction):
        return value.numerator, value.denominator
    if isinstance(value, numbers.Integral):
        return int(value), 1
    number = float(value)  # type: ignore[arg-type]
    if not math.isfinite(number):
        raise ValueError(f"share is not a finite number: {value!r}")
    text = repr(number)
    if "e" in text or "E" in text:
        return Decimal(text).as_integer_ratio()
    whole, _, fraction = text.partition(".")
    return int(whole + fraction), 10 ** len(fraction)
