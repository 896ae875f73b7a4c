"""Writes the probe-results fixtures next to this file (run it, then commit the output).

* ``probe_results.json``: what ``o365tls probe -o`` writes (UTF-8, LF, indent 2) for five
  servers: a partner MTA on Exchange that accepts TLS 1.0 to 1.2, an on-prem Postfix relay
  without STARTTLS, a server that never sent a banner (timeout), a name that does not resolve,
  and a refused port.
* ``probe_results_notepad.json``: the same file after someone opened and saved it in Windows
  Notepad as "UTF-8 with BOM" (BOM, CRLF) and typed into it: one result's outcome misspelt.
The banners copy the greeting shapes of Exchange ("<fqdn> Microsoft ESMTP MAIL service ready
at <date>") and Postfix ("<fqdn> ESMTP Postfix (Debian/GNU)"); names and addresses are made up
(documentation ranges, .example domains).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from o365tls.certinfo import CertificateInfo
from o365tls.probe import (
    ACCEPTED,
    DNS_FAILED,
    NO_STARTTLS,
    NOT_TRIED,
    OK,
    REFUSED,
    TIMEOUT,
    VERSION_REFUSED,
    VERSIONS,
    ProbeResult,
    VersionResult,
    document,
)

HERE = Path(__file__).resolve().parent
AT = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)


def every(result: str) -> tuple[VersionResult, ...]:
    return tuple(VersionResult(v, result) for v in VERSIONS)


RESULTS = [
    ProbeResult(
        "mail.contoso-logistics.example",
        25,
        AT,
        OK,
        address="203.0.113.45",
        banner="mail.contoso-logistics.example Microsoft ESMTP MAIL service ready at Tue, 8 "
        "Dec 2026 01:30:02 +0000",
        starttls=True,
        extensions=("SIZE", "PIPELINING", "DSN", "STARTTLS", "8BITMIME"),
        versions=(
            VersionResult("TLS1.0", ACCEPTED, "ECDHE-RSA-AES256-SHA"),
            VersionResult("TLS1.1", ACCEPTED, "ECDHE-RSA-AES256-SHA"),
            VersionResult("TLS1.2", ACCEPTED, "ECDHE-RSA-AES256-GCM-SHA384"),
            VersionResult("TLS1.3", VERSION_REFUSED, "TLSV1_ALERT_PROTOCOL_VERSION"),
        ),
        certificate=CertificateInfo(
            "CN=mail.contoso-logistics.example, O=Contoso Logistics",
            "mail.contoso-logistics.example",
            ("mail.contoso-logistics.example", "autodiscover.contoso-logistics.example"),
            "CN=Example Issuing CA 2, O=Example Trust",
            datetime(2026, 1, 2, tzinfo=UTC),
            datetime(2027, 1, 2, 23, 59, 59, tzinfo=UTC),
            False,
        ),
    ),
    ProbeResult(
        "relay01.northwindtraders.example",
        25,
        AT,
        OK,
        address="198.51.100.25",
        banner="relay01.northwindtraders.example ESMTP Postfix (Debian/GNU)",
        starttls=False,
        extensions=("PIPELINING", "SIZE", "VRFY", "ETRN", "8BITMIME", "DSN"),
        versions=every(NO_STARTTLS),
    ),
    ProbeResult(
        "10.20.0.30",
        25,
        AT,
        TIMEOUT,
        "no SMTP banner within 10 s",
        address="10.20.0.30",
        versions=every(NOT_TRIED),
    ),
    ProbeResult(
        "mx.gone.example",
        25,
        AT,
        DNS_FAILED,
        "DNS lookup of mx.gone.example failed: Name or service not known",
        versions=every(NOT_TRIED),
    ),
    ProbeResult(
        "192.0.2.10",
        2525,
        AT,
        REFUSED,
        "port 2525 refused the connection",
        address="192.0.2.10",
        versions=every(NOT_TRIED),
    ),
]


def main() -> None:
    doc = document(RESULTS, "0.1.0")
    (HERE / "probe_results.json").write_text(
        json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8", newline="\n"
    )
    doc["results"][2]["outcome"] = "time out"
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    (HERE / "probe_results_notepad.json").write_bytes(
        "\ufeff".encode() + text.replace("\n", "\r\n").encode("utf-8")
    )


if __name__ == "__main__":
    main()
