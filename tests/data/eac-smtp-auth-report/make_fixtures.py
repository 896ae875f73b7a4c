"""Writes the eac-smtp-auth-report fixtures next to this file (run it, then commit the output).

Columns of the "Messages sent using SMTP Auth" table on Microsoft Learn (Sender address, Domain,
TLS 1.0/1.1/1.2 (percentage), Messages sent), with and without the Authentication Protocol
column added in Oct 2024. CRLF, UTF-8 with BOM. Addresses are made up.
"""

from __future__ import annotations

import codecs
from pathlib import Path

HERE = Path(__file__).resolve().parent


def write(name: str, lines: list[str]) -> None:
    data = ("\r\n".join(lines) + "\r\n").encode("utf-8")
    (HERE / name).write_bytes(codecs.BOM_UTF8 + data)


def main() -> None:
    write(
        "smtp_auth.csv",
        [
            '"Sender address","Domain","TLS 1.0 (percentage)","TLS 1.1 (percentage)",'
            '"TLS 1.2 (percentage)","Messages sent"',
            '"Scanner@Contoso.com","contoso.com","100","0","0","12"',
            '"app@contoso.com","contoso.com","33.33","33.33","33.34","7"',
            '"user@contoso.com","contoso.com","0","0","100","0"',
            '"bad@contoso.com","contoso.com","10","10","10","5"',  # adds up to 30: rejected
        ],
    )
    write(
        "smtp_auth_protocol.csv",
        [
            "Sender address,Domain,Authentication Protocol,TLS 1.0,TLS 1.1,TLS 1.2,Messages sent",
            "mfp01@fabrikam.com,fabrikam.com,Basic,50%,0%,50%,3",
            "mfp01@fabrikam.com,fabrikam.com,OAuth,0%,0%,100%,9",
            'erp@fabrikam.com,fabrikam.com,Basic,0%,25%,75%,"1,000"',
        ],
    )
    # A per-day variant (unverified that the EAC exports one; handled in case it does).
    write(
        "smtp_auth_dated.csv",
        [
            "Date,Sender address,Domain,TLS 1.0,TLS 1.1,TLS 1.2,Messages sent",
            "2024-03-04,Printer@Contoso.com,contoso.com,0,0,100,4",
        ],
    )


if __name__ == "__main__":
    main()
