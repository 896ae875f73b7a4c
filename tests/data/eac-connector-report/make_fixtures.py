"""Writes the eac-connector-report fixtures next to this file (run it, then commit the output).

Shaped like the EAC "Inbound/Outbound messages" report's Export to CSV: the columns of the
details table on Microsoft Learn (Date, Connector direction and name, Connector type, Forced
TLS?, No TLS, TLS 1.0, TLS 1.1, TLS 1.2, Volume), with the localized headers of the de and sv
report pages. Windows line ends (CRLF); some files with a UTF-8 BOM. Names are made up.
"""

from __future__ import annotations

import codecs
from pathlib import Path

HERE = Path(__file__).resolve().parent
EN = (
    "Date,Connector direction and name,Connector type,Forced TLS?,No TLS,TLS 1.0,TLS 1.1,"
    "TLS 1.2,Volume"
)


def write(name: str, lines: list[str], bom: bool = False) -> None:
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    (HERE / name).write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def main() -> None:
    # Percentages with "%", every field quoted; the two rows for mail without a connector.
    write(
        "percent_sign_bom.csv",
        [
            '"Date","Connector direction and name","Connector type","Forced TLS?","No TLS",'
            '"TLS 1.0","TLS 1.1","TLS 1.2","Volume"',
            '"2024-03-01","Inbound - Scanner relay","OnPremises","False","0%","33.33%","33.33%",'
            '"33.34%","7"',
            '"2024-03-01","From the internet without a connector","","False","10.5%","0%","0%",'
            '"89.5%","200"',
            '"2024-03-01","Outbound - To partner","Partner","True","0%","0%","0%","100%","42"',
            '"2024-03-02","To the internet without a connector","","False","50%","0%","0%","50%",'
            '"1"',
            '"2024-03-02","Inbound - Scanner relay","OnPremises","False","0%","0%","0%","0%","0"',
        ],
        bom=True,
    )
    # Excel's "sep=," line; "(percentage)" in the headers; plain numbers; en-US dates.
    write(
        "percentage_header_sep.csv",
        [
            "sep=,",
            "Date,Connector direction and name,Connector type,Forced TLS?,No TLS (percentage),"
            "TLS 1.0 (percentage),TLS 1.1 (percentage),TLS 1.2 (percentage),Volume",
            "3/15/2024,Inbound - Copier Hall B,OnPremises,False,25,25,0,50,3",
            "3/15/2024,Outbound - To partner,Partner,True,0,0,0,100,1234",
        ],
    )
    # A title line before the header; counts, not percentages; a TLS 1.3 column; "None"/"-"
    # in No TLS; thousands separators.
    write(
        "counts_tls13_title.csv",
        [
            "Inbound messages report",
            "",
            EN.replace("TLS 1.2,Volume", "TLS 1.2,TLS 1.3,Volume"),
            "2024-03-01T00:00:00Z,Inbound - Scanner relay,OnPremises,False,None,2,0,5,0,7",
            "2024-03-01T00:00:00Z,From the internet without a connector,Internet,False,3,0,0,"
            '"1,000",197,"1,200"',
            "2024-03-02T00:00:00Z,Inbound - Scanner relay,OnPremises,False,-,,,,,0",
        ],
    )
    # German headers of the de-de report page, ";" as Excel writes it there, decimal commas.
    write(
        "german_semicolon.csv",
        [
            "Datum;Richtung und Name des Connectors;Connectortyp;Erzwungener TLS-Wert?;"
            "Kein TLS (Prozentsatz);TLS 1.0 (Prozentsatz);TLS 1.1 (Prozentsatz);"
            "TLS 1.2 (Prozentsatz);Volume",
            "01.03.2024;Eingehend - Scanner Empfang;OnPremises;Falsch;0;66,67;0;33,33;3",
            "02.03.2024;Inbound - Drucker Büro;OnPremises;Wahr;0;0;0;100;5",
        ],
        bom=True,
    )
    # Swedish headers of the sv-se report page ("TLS 1,0"), Sant/Falskt.
    write(
        "swedish.csv",
        [
            '"Datum","Kopplingens riktning och namn","Kopplings typ","Tvingad TLS?",'
            '"Inget TLS (procent)","TLS 1,0 (procent)","TLS 1,1 (procent)","TLS 1,2 (procent)",'
            '"Volym"',
            '"2024-03-01","Inkommande - Skrivare","OnPremises","Falskt","10","0","0","90","10"',
            '"2024-03-01","Utgående - Partner AB","Partner","Sant","0","0","0","100","4"',
        ],
        bom=True,
    )
    # Rows that cannot be read: numbers that add up to neither 100 nor Volume, a volume that is
    # not a number, a date that is not a date, a TLS cell that is not a number; one good row.
    write(
        "bad_rows.csv",
        [
            EN,
            "2024-03-01,Inbound - Scanner relay,OnPremises,False,50,30,0,10,10",
            "2024-03-01,Inbound - App server,OnPremises,False,0,0,0,100,many",
            "yesterday,Inbound - App server,OnPremises,False,0,0,0,100,5",
            "2024-03-01,Inbound - App server,OnPremises,False,0,abc,0,100,5",
            "2024-03-01,Inbound - App server,OnPremises,False,0,0,0,100,5",
        ],
    )
    # A TLS-looking column that names no version: asked about, never guessed.
    write(
        "unknown_tls_column.csv",
        [
            EN.replace("TLS 1.2,Volume", "TLS 1.2,TLS 1.2 or later,Volume"),
            "2024-03-01,Inbound - Scanner relay,OnPremises,False,0,0,0,100,0,4",
            "2024-03-01,Inbound - App server,OnPremises,False,0,0,0,60,40,5",
        ],
    )
    # Headers in a language o365tls has no synonyms for: TLS columns found, the rest not.
    write(
        "unmapped_headers.csv",
        [
            "日付,コネクタ名,Forced TLS?,No TLS,TLS 1.0,TLS 1.1,TLS 1.2,メッセージ数",
            "2024-03-01,受信 - Scanner relay,False,0,0,0,100,4",
            "2024-03-02,受信 - Scanner relay,False,0,0,0,100,6",
        ],
        bom=True,
    )
    # An inbound report for 2026-10-01..10-20 whose days the message trace
    # ../message-trace/v2_2026-11_after_the_report.csv does not cover: a scanner relay with
    # legacy TLS, and internet mail.
    lines = [EN]
    for day in range(1, 21):
        lines.append(
            f"2026-10-{day:02d},Inbound - Scanner relay,OnPremises,False,0,75,0,25,{30 + day % 7}"
        )
        lines.append(
            f"2026-10-{day:02d},From the internet without a connector,,False,2,0,0,"
            f"98,{400 + 13 * (day % 5)}"
        )
    write("inbound_2026-10_before_the_trace.csv", lines)
    # The same connectors 2026-10-24..11-02: two days in common with that trace, too few to
    # place a sender by volume. The scanner's day volume is what the trace shows for it.
    lines = [EN]
    for day in [*(f"2026-10-{d}" for d in range(24, 32)), "2026-11-01", "2026-11-02"]:
        lines.append(
            f"{day},Inbound - Scanner relay,OnPremises,False,0,100,0,0,{1 + int(day[-1]) % 2}"
        )
        lines.append(f"{day},From the internet without a connector,,False,2,0,0,98,410")
    write("inbound_2026-10-24_two_days_with_the_trace.csv", lines)
    # The days of that trace, for a tenant whose connector configuration
    # (../connector-config/inbound_posh365_select_join.csv) shows "Scanner relay (old)"
    # disabled: it carried the scanner until 2026-11-03, "Scanner relay" from 2026-11-04.
    lines = [EN]
    for day in range(1, 11):
        scans = 1 + day % 2
        relay = "Inbound - Scanner relay (old)" if day <= 3 else "Inbound - Scanner relay"
        lines.append(f"2026-11-{day:02d},{relay},OnPremises,False,0,{scans},0,0,{scans}")
        lines.append(f"2026-11-{day:02d},Inbound - Partner - Fabrikam,Partner,True,0,0,0,1,1")
        lines.append(
            f"2026-11-{day:02d},From the internet without a connector,,False,9,0,0,"
            f"{391 + day},{400 + day}"
        )
    write("inbound_2026-11_disabled_connector_still_named.csv", lines)
    # An on-prem relay 2026-10-22..11-10, counts: a scanner on TLS 1.0, an application and
    # other senders on TLS 1.2. The message trace ../message-trace/
    # v2_2026-11_relay_half_the_report.csv covers the last ten days only.
    scans = [6, 3, 8, 5, 2, 7, 4, 9, 3, 5, 4, 7, 2, 9, 5, 3, 8, 6, 1, 7]
    apps = [11, 14, 9, 13, 12, 10, 15, 11, 13, 12, 12, 10, 15, 11, 14, 13, 9, 16, 12, 10]
    others = [3, 2, 4, 3, 3, 2, 3, 4, 2, 3, 3, 2, 4, 3, 3, 2, 3, 4, 2, 3]
    lines = [EN]
    for i, (scan, app, other) in enumerate(zip(scans, apps, others, strict=True)):
        day = f"2026-10-{22 + i}" if i < 10 else f"2026-11-{i - 9:02d}"
        lines.append(
            f"{day},Inbound - App relay,OnPremises,False,0,{scan},0,{app + other},"
            f"{scan + app + other}"
        )
        lines.append(f"{day},From the internet without a connector,,False,5,0,0,395,400")
    write("inbound_2026-10-22_half_traced.csv", lines)


if __name__ == "__main__":
    main()
