"""One TLS vocabulary for every spelling the exports use.

Exchange writes the same fact many ways: ``TLS 1.0`` (EAC reports), ``Tls12`` (cmdlets),
``TLS1_2`` (tracking custom data), ``SP_PROT_TLS1_2_SERVER`` / ``SP_PROT-TLS1_0_CLIENT``
(protocol logs), ``using TLS1.2 with AES256`` (message trace detail), ``No TLS`` / ``None``.
:func:`normalize_tls` maps all of them onto :data:`TLS_VERSIONS` and never raises.
"""

from __future__ import annotations

import re

SSL3 = "SSL3"
TLS10 = "TLS1.0"
TLS11 = "TLS1.1"
TLS12 = "TLS1.2"
TLS13 = "TLS1.3"
NONE = "none"
UNKNOWN = "unknown"

#: The vocabulary, in the order reports show it.
TLS_VERSIONS: tuple[str, ...] = (SSL3, TLS10, TLS11, TLS12, TLS13, NONE, UNKNOWN)
#: Legacy versions: those Exchange Online deprecates for mail (SSL 3, TLS 1.0, TLS 1.1).
LEGACY_VERSIONS: frozenset[str] = frozenset({SSL3, TLS10, TLS11})
#: Versions that put a flow at risk: legacy or no encryption at all.
AT_RISK_VERSIONS: frozenset[str] = LEGACY_VERSIONS | {NONE}

_NO_TLS = re.compile(
    r"^\s*(?:no[\s_-]*tls|none|plain\s*text|unencrypted|not\s+encrypted)\s*$",
    re.IGNORECASE,
)
# "TLS 1.0", "TLS1.2", "Tls12", "TLS1_2", "TLSv1.2", "SP_PROT_TLS1_2_SERVER", "TLS1",
# "TLS 1,2" (Swedish and Dutch report pages) ...
# (No "\s*v?\s*": two \s* side by side backtrack quadratically over a long run of spaces.)
_TLS = re.compile(r"tls(?:\s*v)?\s*1(?:(?:\s*[._,-])?\s*([0-3]))?(?![0-9])", re.IGNORECASE)
# "SSL3", "SSLv3", "SSL 3.0", "SP_PROT_SSL3_SERVER"
_SSL = re.compile(r"ssl(?:\s*v)?\s*([23])(?:[._]0)?(?![0-9])", re.IGNORECASE)

_MINOR = {None: TLS10, "0": TLS10, "1": TLS11, "2": TLS12, "3": TLS13}


def normalize_tls(value: object) -> str:
    """Map any TLS spelling to one of :data:`TLS_VERSIONS`.

    Empty or missing values are ``unknown`` (nothing was said); explicit "no TLS" spellings,
    including the literal string ``None``, are ``none``. SSL 2 counts as ``SSL3`` (both are
    legacy and both are refused). Text that names no version is ``unknown``.
    """
    if value is None:
        return UNKNOWN
    if isinstance(value, float):  # NaN from a frame: nothing was said
        return UNKNOWN
    text = str(value).strip()
    if not text:
        return UNKNOWN
    if text in TLS_VERSIONS:
        return text
    if _NO_TLS.match(text):
        return NONE
    match = _TLS.search(text)
    if match:
        return _MINOR[match.group(1)]
    if _SSL.search(text):
        return SSL3
    return UNKNOWN


def is_legacy(version: str) -> bool:
    return version in LEGACY_VERSIONS


def is_at_risk(version: str) -> bool:
    return version in AT_RISK_VERSIONS
