"""next-evidence.ps1: the trace-detail lookups that settle the senders attribution cannot pin.

Every value written into the script comes from the inputs and is hostile: each is a
single-quoted PowerShell string (no variable or subexpression expansion), with single quotes
doubled, and the "smart" single quotes PowerShell also accepts as quote characters replaced by
a plain one first, so no value can end its string.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from ..analysis.next_evidence import SECONDS_PER_LOOKUP
from ..analysis.results import Results

DETAILS_CSV = "next-evidence-details.csv"
TRACE_CSV = "next-evidence-trace.csv"
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'"})


def ps_quote(value: str) -> str:
    """A PowerShell single-quoted string literal of ``value`` (control characters dropped)."""
    text = "".join(ch for ch in str(value) if ch >= " " and ch != "\x7f").translate(_QUOTES)
    return "'" + text.replace("'", "''") + "'"


def script(results: Results) -> str:
    entries = results.next_evidence
    _, end = results.period
    lines = [
        "# next-evidence.ps1, written by o365tls. It exports the days the connector report",
        "# covers and the message trace does not, then the trace detail of the latest message",
        "# of each sender o365tls cannot tell apart. Run it in an Exchange Online PowerShell",
        "# session (Connect-ExchangeOnline) in the folder of your exports; then run o365tls",
        "# again on that folder: it reads the files this script writes like any other export.",
        "$ErrorActionPreference = 'Stop'",
        f"$details = Join-Path (Get-Location) {ps_quote(DETAILS_CSV)}",
        f"$trace = Join-Path (Get-Location) {ps_quote(TRACE_CSV)}",
    ]
    lookups = [(e, s) for e in entries for s in e.senders]
    missing = sorted({d for e in entries for d in e.missing_days})
    if not lookups:
        lines.append("Write-Host 'Nothing to look up: every sender was pinned or observed.'")
        return "\r\n".join(lines) + "\r\n"
    lines += _missing_days(missing, results.generated_at)
    last = end or results.generated_at
    start_s = f"{(last - timedelta(days=9)):%Y-%m-%d}"  # 10 days: the most one query takes
    end_s = f"{(last + timedelta(days=1)):%Y-%m-%d}"
    lines += [
        f"$start = [datetime]{ps_quote(start_s)}; $end = [datetime]{ps_quote(end_s)}",
        f"$total = {len(lookups)}; $done = 0",
        "function Get-Latest([string]$sender) {",
        "  # The sender's newest message: its TLS is the sender's now.",
        "  Get-MessageTraceV2 -SenderAddress $sender -StartDate $start -EndDate $end "
        "-ResultSize 1000 | Sort-Object Received -Descending | Select-Object -First 1",
        "}",
    ]
    for entry, sender in lookups:
        lines += [
            "# " + _comment(entry.connector),
            f"$m = Get-Latest {ps_quote(sender)}",
            "if ($m) { Get-MessageTraceDetailV2 -MessageTraceId $m.MessageTraceId "
            "-RecipientAddress $m.RecipientAddress -StartDate $m.Received.AddDays(-1) "
            "-EndDate $m.Received.AddDays(1) | Export-Csv -Path $details -Append "
            "-NoTypeInformation -Encoding UTF8 }",
            "$done++; Write-Progress -Activity 'o365tls next evidence' "
            '-Status "$done of $total" -PercentComplete (100 * $done / $total)',
            f"Start-Sleep -Seconds {SECONDS_PER_LOOKUP}  # 100 requests per 5 minutes",
        ]
    lines.append(
        'Write-Host "Done: $done lookups in $details. Now run o365tls again on the '
        'folder with your exports and this file."'
    )
    return "\r\n".join(lines) + "\r\n"


def _missing_days(days: list[str], now) -> list[str]:
    """Export the days the trace misses, in windows of up to 10 consecutive days: with
    Get-MessageTraceV2 for the last 90 days, with Start-HistoricalSearch before them."""
    if not days:
        return []
    windows: list[list[date]] = []
    for day in (date.fromisoformat(d) for d in days):
        if windows and (day - windows[-1][-1]).days == 1 and len(windows[-1]) < 10:
            windows[-1].append(day)
        else:
            windows.append([day])
    today = now.date() if hasattr(now, "date") else now
    lines = ["Write-Host 'Exporting the days the message trace does not cover yet...'"]
    for window in windows:
        first, after = window[0], window[-1] + timedelta(days=1)
        span = f"{ps_quote(f'{first:%Y-%m-%d}')} -EndDate {ps_quote(f'{after:%Y-%m-%d}')}"
        if (today - first).days >= 89:
            title = ps_quote(f"o365tls trace {first:%Y-%m-%d}")
            lines += [
                f"Start-HistoricalSearch -ReportType MessageTrace -ReportTitle {title} "
                f"-StartDate {span}",
                "Write-Host 'Older than 90 days: a historical search was started. "
                "Download its CSV from the Exchange admin center when it is done and "
                "put it next to your other exports.'",
            ]
            continue
        lines += [
            f"$rows = @(Get-MessageTraceV2 -StartDate {span} -ResultSize 5000)",
            "$rows | Export-Csv -Path $trace -Append -NoTypeInformation -Encoding UTF8",
            "if ($rows.Count -ge 5000) { Write-Warning 'More than 5000 messages in "
            "this window: export it in smaller windows.' }",
            f"Start-Sleep -Seconds {SECONDS_PER_LOOKUP}",
        ]
    return lines


def _comment(text: str) -> str:
    """A comment line: no line break can end it (PowerShell comments run to the line end)."""
    return "".join(ch if ch >= " " and ch not in "\u2028\u2029\x85" else " " for ch in text)


def write_next_evidence(results: Results, path: Path) -> None:
    path.write_bytes(("\ufeff" + script(results)).encode("utf-8"))
