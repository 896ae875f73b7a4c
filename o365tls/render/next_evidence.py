"""next-evidence.ps1: the trace-detail lookups that settle the senders attribution cannot pin.

Every value written into the script comes from the inputs and is hostile: each is a
single-quoted PowerShell string (no variable or subexpression expansion), with single quotes
doubled, and the "smart" single quotes PowerShell also accepts as quote characters replaced by
a plain one first, so no value can end its string.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from ..analysis.next_evidence import SECONDS_PER_LOOKUP
from ..analysis.results import Results

DETAILS_CSV = "next-evidence-details.csv"
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'"})


def ps_quote(value: str) -> str:
    """A PowerShell single-quoted string literal of ``value`` (control characters dropped)."""
    text = "".join(ch for ch in str(value) if ch >= " " and ch != "\x7f").translate(_QUOTES)
    return "'" + text.replace("'", "''") + "'"


def script(results: Results) -> str:
    entries = results.next_evidence
    _, end = results.period
    lines = [
        "# next-evidence.ps1, written by o365tls: trace detail of the latest traced message of",
        "# each sender o365tls cannot tell apart, appended to " + DETAILS_CSV + ".",
        "# Run it in an Exchange Online PowerShell session (Connect-ExchangeOnline), in the",
        "# folder of your exports; then run o365tls again with that folder.",
        "$ErrorActionPreference = 'Stop'",
        f"$out = Join-Path (Get-Location) {ps_quote(DETAILS_CSV)}",
    ]
    lookups = [(e, s) for e in entries for s in e["senders"]]
    if not lookups:
        lines.append("Write-Host 'Nothing to look up: every sender was pinned or observed.'")
        return "\r\n".join(lines) + "\r\n"
    last = (end or results.generated_at)
    start_s = f"{(last - timedelta(days=10)):%Y-%m-%d}"
    end_s = f"{(last + timedelta(days=1)):%Y-%m-%d}"
    lines += [
        f"$start = [datetime]{ps_quote(start_s)}; $end = [datetime]{ps_quote(end_s)}",
        f"$total = {len(lookups)}; $done = 0",
        "function Get-Latest([string]$sender) {",
        "  # Get-MessageTraceV2 lists the newest message first.",
        "  Get-MessageTraceV2 -SenderAddress $sender -StartDate $start -EndDate $end "
        "-ResultSize 1",
        "}",
    ]
    for entry, sender in lookups:
        lines += [
            f"# {entry['connector']!s}".replace("\r", " ").replace("\n", " "),
            f"$m = Get-Latest {ps_quote(sender)}",
            "if ($m) { Get-MessageTraceDetailV2 -MessageTraceId $m.MessageTraceId "
            "-RecipientAddress $m.RecipientAddress | Export-Csv -Path $out -Append "
            "-NoTypeInformation -Encoding UTF8 }",
            "$done++; Write-Progress -Activity 'o365tls next evidence' "
            "-Status \"$done of $total\" -PercentComplete (100 * $done / $total)",
            f"Start-Sleep -Seconds {SECONDS_PER_LOOKUP}  # 100 requests per 5 minutes",
        ]
    lines.append("Write-Host \"Done: $done lookups in $out. Now run o365tls again on the "
                 "folder with your exports and this file.\"")
    return "\r\n".join(lines) + "\r\n"


def write_next_evidence(results: Results, path: Path) -> None:
    path.write_bytes(("\ufeff" + script(results)).encode("utf-8"))
