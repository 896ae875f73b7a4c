"""Whole-column line classification for :mod:`.protocol_log`.

A protocol log is millions of lines, of which only a few per session matter (connect,
disconnect, the client's EHLO/MAIL FROM/AUTH/STARTTLS, the TLS and login information lines).
They are found and their values extracted with pyarrow's RE2 over whole columns. RE2 and
Python's ``re`` agree on ASCII text once ``\\s`` is spelled out (Python's also matches
``\\x0b`` and ``\\x1c``-``\\x1f``), so the RE2 patterns below run on ASCII lines and the Python
patterns decide the rare non-ASCII lines: the result is exactly what the Python patterns say.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames.arrow import first_bytes, split_endpoint

_EARLIEST = pd.Timestamp.min.tz_localize("UTC")
_LATEST = pd.Timestamp.max.tz_localize("UTC")

# Python's \s on ASCII text, for RE2.
_WS = r"[\t\n\x0b\x0c\r \x1c-\x1f]"
_NWS = r"[^\t\n\x0b\x0c\r \x1c-\x1f]"

COMMAND = re.compile(r"^\s*(?:EHLO|HELO|MAIL FROM|AUTH|X-EXPS|STARTTLS)\b", re.IGNORECASE)
HELO = re.compile(r"^\s*(?:EHLO|HELO)\s+(\S+)", re.IGNORECASE)
MAIL_FROM = re.compile(r"^\s*MAIL FROM:\s*(?:<([^>]*)>|(\S*))", re.IGNORECASE)
AUTH = re.compile(r"^\s*(?:AUTH|X-EXPS)\s+(\S+)", re.IGNORECASE)
INFO = re.compile(r"negotiation succeeded|^\s*authenticated\s*$", re.IGNORECASE)
INFO_DATA = re.compile(r"negotiation succeeded", re.IGNORECASE)
TLS_LINE = re.compile(
    r"TLS protocol\s+(\S+)\s+negotiation succeeded"
    r"(?:\s+using bulk encryption algorithm\s+([^\s,]+))?",
    re.IGNORECASE,
)

# The context of a send log's first line (sequence-number 0, before its connect "+"): with
# "+", the line a session begins with.
CONNECTING = "attempting to connect"

RE2_COMMAND = rf"(?i)^{_WS}*(?:EHLO|HELO|MAIL FROM|AUTH|X-EXPS|STARTTLS)\b"
# HELO, MAIL_FROM and AUTH as the branches of one pattern.
_RE2_COMMANDS = (
    rf"(?i)^{_WS}*(?:(?:EHLO|HELO){_WS}+(?P<h>{_NWS}+)"
    rf"|MAIL FROM:{_WS}*(?:<(?P<a>[^>]*)>|(?P<b>{_NWS}*))"
    rf"|(?:AUTH|X-EXPS){_WS}+(?P<m>{_NWS}+))"
)
RE2_INFO = rf"(?i)negotiation succeeded|^{_WS}*authenticated{_WS}*$"
RE2_INFO_DATA = r"(?i)negotiation succeeded"
# The usual endpoint shape, with the octets ipaddress (is_ip) takes: up to 255, no leading
# zero; anything else goes through arrow.split_endpoint.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_RE2_ENDPOINT = rf"^(?P<ip>{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}):(?P<port>[0-9]{{1,5}})$"


def parse_stamps(text: pa.Array) -> np.ndarray:
    """ISO 8601 UTC timestamps as int64 nanoseconds; ``NAT`` where the text is not one (or
    is out of pandas' range).

    pyarrow's cast takes the whole column at once and accepts only complete ISO timestamps
    with an offset, which pandas reads the same; a column it refuses (a damaged line, a
    stray space) is parsed by pandas, whose reading is the reference."""
    try:
        stamps = pc.cast(text, pa.timestamp("ns", "UTC"))
        return stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    stamps = pd.to_datetime(
        pd.Series(text.to_pylist(), dtype=object).str.strip(),
        format="ISO8601",
        errors="coerce",
        utc=True,
    )
    stamps = stamps.where((stamps >= _EARLIEST) & (stamps <= _LATEST))
    return stamps.astype("datetime64[ns, UTC]").array.asi8


NAT = np.iinfo(np.int64).min  # pandas' NaT as int64


def _python_rows(values: pa.Array, mask: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Positions where ``mask`` holds (non-ASCII lines), and their text."""
    where = np.flatnonzero(mask)
    return where, values.take(pa.array(where)).to_pylist() if len(where) else []


def _non_ascii(values: pa.Array) -> np.ndarray:
    return ~pc.string_is_ascii(values).to_numpy(zero_copy_only=False)


# What Python's str.strip() takes off an ASCII text.
_PY_ASCII_SPACE = "\t\n\x0b\x0c\r \x1c\x1d\x1e\x1f"
# What a command line can start with: a letter of a command (either case), or what COMMAND's
# \s* skips (the same ASCII space). A line starting with anything else ASCII (a reply code,
# RCPT, DATA...) cannot match; a non-ASCII first character is left to the patterns.
_COMMAND_STARTS = "EeHhMmAaXxSs" + _PY_ASCII_SPACE
_MAY_START = np.zeros(256, dtype=bool)
_MAY_START[[ord(c) for c in _COMMAND_STARTS]] = True
_MAY_START[0x80:] = True  # the first byte of a non-ASCII character


def may_be_command(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """False where ``COMMAND`` cannot match (a cheap look at the first character only: its
    first byte, read from the column's buffers)."""
    first, length = first_bytes(values)
    return _MAY_START[first] & (length > 0)


def matches(values: pa.Array, re2: str, python: re.Pattern, *, search: bool) -> np.ndarray:
    """Where ``python`` matches (``search`` or match), RE2 deciding the ASCII lines."""
    out = np.array(pc.match_substring_regex(values, re2).to_numpy(zero_copy_only=False), dtype=bool)
    where, texts = _python_rows(values, _non_ascii(values))
    find = python.search if search else python.match
    for i, text in zip(where, texts, strict=True):
        out[i] = find(text) is not None
    return out


def commands(data: pa.Array) -> dict[str, np.ndarray | pa.Array]:
    """HELO/EHLO host, MAIL FROM address (trimmed, lower case) and AUTH mechanism (upper
    case) of command lines; the first pattern that matches wins, as a session reads them.
    The three begin with different words, so one RE2 pass with a branch each finds them.
    The flags are numpy, the texts large_string Arrow arrays: ASCII lines stay in Arrow
    (where Python's strip/lower/upper are the ASCII ones), the rare others are Python's."""
    found = pc.extract_regex(data.cast(_LARGE), _RE2_COMMANDS)
    host, quoted, bare, mechanism = (found.field(g).fill_null("") for g in ("h", "a", "b", "m"))
    matched = np.array(found.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    # The HELO and AUTH branches' groups are never empty when they matched: they say which
    # branch did. A <...> address may be empty (the null sender); the bare form is taken
    # only without one.
    helo = matched & _not_empty(host)
    auth = matched & _not_empty(mechanism)
    mail = matched & ~helo & ~auth
    address = pc.ascii_lower(
        pc.utf8_trim(pc.if_else(pc.equal(quoted, ""), bare, quoted), _PY_ASCII_SPACE)
    )
    mechanism = pc.ascii_upper(pc.utf8_trim(mechanism, _PY_ASCII_SPACE))
    where, texts = _python_rows(data, _non_ascii(data))
    if len(where):
        host, address, mechanism = (v.to_pylist() for v in (host, address, mechanism))
        for i, text in zip(where, texts, strict=True):
            helo[i] = mail[i] = auth[i] = False
            host[i] = address[i] = mechanism[i] = ""
            if match := HELO.match(text):
                helo[i], host[i] = True, match.group(1)
            elif match := MAIL_FROM.match(text):
                mail[i], address[i] = True, (match.group(1) or match.group(2) or "").strip().lower()
            elif match := AUTH.match(text):
                auth[i], mechanism[i] = True, match.group(1).strip().upper()
        host, address, mechanism = (pa.array(v, _LARGE) for v in (host, address, mechanism))
    return {
        "helo": helo,
        "host": host,
        "mail": mail,
        "address": address,
        "auth": auth,
        "mechanism": mechanism,
    }


_LARGE = pa.large_string()


def _not_empty(values: pa.Array) -> np.ndarray:
    return pc.binary_length(values).to_numpy(zero_copy_only=False) > 0


def endpoints(values: pa.Array) -> tuple[np.ndarray, pa.Array, np.ndarray, pa.Array]:
    """``split_endpoint`` of every value: (each value's code into the IPs, the distinct IPs
    as large_string, each value's port, the distinct texts not of the usual shape). Each
    distinct text is read once, and the usual shape (IPv4:port, what is_ip takes) without
    Python."""
    encoded = pc.dictionary_encode(values)
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    unique = pc.utf8_trim_whitespace(encoded.dictionary)
    found = pc.extract_regex(unique, _RE2_ENDPOINT)
    good = found.is_valid()
    ports = (
        pc.cast(pc.if_else(good, found.field("port"), "0"), pa.int64())
        .to_numpy(zero_copy_only=False)
        .copy()
    )
    ips = found.field("ip")
    odd = np.flatnonzero(~good.to_numpy(zero_copy_only=False))
    odd_texts = unique.take(pa.array(odd, pa.int64()))
    if len(odd):
        odd_ips = []
        for i, text in zip(odd, odd_texts.to_pylist(), strict=True):
            ip, ports[i] = split_endpoint(text)
            odd_ips.append(ip)
        ips = pc.replace_with_mask(ips, pc.invert(good), pa.array(odd_ips, ips.type))
    ip = pc.dictionary_encode(ips)
    return (
        ip.indices.to_numpy(zero_copy_only=False).astype(np.int64)[codes],
        ip.dictionary.cast(pa.large_string()),
        ports[codes],
        odd_texts,
    )


def info_lines(
    data: list[str], context: list[str]
) -> tuple[list[str | None], list[str], list[str | None]]:
    """(TLS token or None, cipher, authenticated user or None) of information lines."""
    tokens: list[str | None] = []
    ciphers: list[str] = []
    users: list[str | None] = []
    for text, ctx in zip(data, context, strict=True):
        match = TLS_LINE.search(ctx) or TLS_LINE.search(text)
        if match:
            tokens.append(match.group(1))
            ciphers.append(match.group(2) or "")
            users.append(None)
            continue
        tokens.append(None)
        ciphers.append("")
        users.append(
            text.strip() if ctx.strip().lower() == "authenticated" and text.strip() else None
        )
    return tokens, ciphers, users
