"""Writes the onprem-server-report fixtures next to this file (run it, then commit the output).

* ``cmdlet_export_en_gb.csv``: ``Get-OnPremServerReportInfo | Export-Csv -NoTypeInformation``
  from PowerShell 7 in an en-GB session (UTF-8 without BOM, every field quoted, CRLF, dates
  dd/MM/yyyy HH:mm:ss), with the remote-session columns PSComputerName, RunspaceId and
  PSShowComputerName. An Exchange 2010 server that is blocked, an Exchange 2016 server that is
  throttled, an Exchange 2019 server whose throttling has not started, and a row without a
  server (rejected).
* ``eac_download.csv``: the EAC report's download (UTF-8 with BOM, CRLF) with the column names
  the report shows on screen: server name, IP, build, status and dates. The download's exact
  header spelling is not published; these are the tolerant path.
* ``hostile.csv``: formula-looking and markup values, an unreadable build and date.
Names and addresses are made up (documentation ranges, *.example).
"""

from __future__ import annotations

import codecs
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNSPACE = "0b8e2f4c-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
RECOMMENDED = "15.1.2507.39,15.1.2507.37,15.01.2507.039,15.01.2507.037"


def write(name: str, lines: list[str], bom: bool = False) -> None:
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    (HERE / name).write_bytes((codecs.BOM_UTF8 if bom else b"") + data)


def quoted(*fields: str) -> str:
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields)


def main() -> None:
    header = quoted(
        "ServerFQDN",
        "Build",
        "ExchangeServer",
        "FirstDetectedDate",
        "RecommendedBuildVersions",
        "ThrottleEnabledDate",
        "BlockingEnabledDate",
        "NextStageThrottleRate",
        "NextStageBlockRate",
        "NextStageStartDate",
        "PSComputerName",
        "RunspaceId",
        "PSShowComputerName",
    )
    write(
        "cmdlet_export_en_gb.csv",
        [
            header,
            quoted(
                "EXCH10.corp.contoso.example",
                "14.3.513.0",
                "ExchangeServer2010",
                "02/09/2026 00:15:08",
                "",
                "02/10/2026 00:15:08",
                "01/11/2026 00:15:08",
                "0",
                "100",
                "01/11/2026 00:15:08",
                "outlook.office365.com",
                RUNSPACE,
                "False",
            ),
            quoted(
                "EXCH16.corp.contoso.example",
                "15.1.2507.16",
                "ExchangeServer2016",
                "28/10/2026 00:15:08",
                RECOMMENDED,
                "27/11/2026 00:15:08",
                "27/12/2026 00:15:08",
                "20",
                "0",
                "23/12/2026 00:15:08",
                "outlook.office365.com",
                RUNSPACE,
                "False",
            ),
            quoted(
                "",
                "15.1.2507.16",
                "ExchangeServer2016",
                "28/10/2026 00:15:08",
                "",
                "27/11/2026 00:15:08",
                "27/12/2026 00:15:08",
                "20",
                "0",
                "23/12/2026 00:15:08",
                "outlook.office365.com",
                RUNSPACE,
                "False",
            ),
            quoted(
                "EX19.corp.contoso.example",
                "15.2.1544.4",
                "ExchangeServer2019",
                "20/11/2026 00:15:08",
                "15.2.1748.39",
                "20/12/2026 00:15:08",
                "19/01/2027 00:15:08",
                "10",
                "0",
                "20/12/2026 00:15:08",
                "outlook.office365.com",
                RUNSPACE,
                "False",
            ),
        ],
    )
    write(
        "eac_download.csv",
        [
            quoted(
                "Server name",
                "Server IP",
                "Build number",
                "Status",
                "First detected",
                "Throttling start date",
                "Blocking start date",
            ),
            quoted(
                "EXCH10.corp.contoso.example",
                "198.51.100.30",
                "14.3.513.0",
                "Blocked",
                "2026-09-02T00:15:08Z",
                "2026-10-02T00:15:08Z",
                "2026-11-01T00:15:08Z",
            ),
            quoted(
                "EXCH16.corp.contoso.example",
                "198.51.100.31",
                "15.01.2507.016",
                "Throttled",
                "2026-10-28T00:15:08Z",
                "2026-11-27T00:15:08Z",
                "2026-12-27T00:15:08Z",
            ),
        ],
        bom=True,
    )
    write(
        "hostile.csv",
        [
            quoted(
                "ServerFQDN",
                "Build",
                "ExchangeServer",
                "FirstDetectedDate",
                "ThrottleEnabledDate",
                "BlockingEnabledDate",
            ),
            quoted(
                '=HYPERLINK("http://evil.example","x")',
                "15.1.2507.16",
                "ExchangeServer2016",
                "28/10/2026 00:15:08",
                "27/11/2026 00:15:08",
                "27/12/2026 00:15:08",
            ),
            quoted(
                "<script>alert(1)</script>.example",
                "not-a-build",
                "ExchangeServer2013",
                "yesterday",
                "27/11/2026 00:15:08",
                "27/12/2026 00:15:08",
            ),
        ],
    )


if __name__ == "__main__":
    main()
