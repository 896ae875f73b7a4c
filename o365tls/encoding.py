"""The text encoding of an export, guessed from its first bytes.

Admins' exports come as UTF-8 (with or without BOM), UTF-16 (Exchange PowerShell's default
`Export-Csv` on Windows PowerShell; with or without BOM) or a Windows code page. Every input
file is decoded with this guess, the `--inventory` CSV included, so it lives below both the
importers and the analysis.
"""

from __future__ import annotations

import codecs


def detect_encoding(raw: bytes) -> tuple[str, str]:
    """Return (codec, label) for the bytes at the start of a file."""
    if raw.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "UTF-8 (BOM)"
    if raw.startswith(codecs.BOM_UTF16_LE):
        return "utf-16", "UTF-16LE (BOM)"
    if raw.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", "UTF-16BE (BOM)"
    head = raw[:4096]
    if len(head) >= 4:
        even_nuls = head[0::2].count(0)
        odd_nuls = head[1::2].count(0)
        half = len(head) // 2
        # ASCII-range text in UTF-16 has a NUL in every other byte.
        if odd_nuls > 0.4 * half and even_nuls < 0.1 * half:
            return "utf-16-le", "UTF-16LE (no BOM)"
        if even_nuls > 0.4 * half and odd_nuls < 0.1 * half:
            return "utf-16-be", "UTF-16BE (no BOM)"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(raw, final=False)
        return "utf-8", "UTF-8"
    except UnicodeDecodeError:
        return "cp1252", "Windows-1252 (guessed)"
