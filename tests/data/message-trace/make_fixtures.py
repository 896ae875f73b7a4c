"""Writes the message-trace fixtures next to this file (run it, then commit the output).

Shaped like ``Get-MessageTraceV2 | Export-Csv`` in several session cultures (every field quoted,
CRLF line ends), Graph ``exchangeMessageTrace`` JSON, and Windows PowerShell 5.1
``ConvertTo-Json > file`` (UTF-16LE with BOM, dates as ``\\/Date(ms)\\/``), and the Office 365
Reporting Web Service's ``MessageTrace`` report as SIEM connectors save it: OData verbose JSON
(``{"d": {"results": [...], "__next": ...}}`` and the older ``{"d": [...]}``) and the Atom XML
feed. Addresses, IPs (documentation ranges) and GUIDs are made up; README.md names the public
source of each shape.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent

PS_COLS = ["PSComputerName", "RunspaceId", "PSShowComputerName"]
PS = ["outlook.office365.com", "5b1e2f0a-7c3d-4e8f-9a1b-2c3d4e5f6a7b", "False"]
TRACE = [
    "Organization",
    "MessageId",
    "Received",
    "SenderAddress",
    "RecipientAddress",
    "Subject",
    "Status",
    "ToIP",
    "FromIP",
    "Size",
    "MessageTraceId",
    "StartDate",
    "EndDate",
    "Index",
]


def ps_csv(rows: list[list[str]], *, delimiter: str = ",", type_line: str | None = None) -> str:
    lines = [type_line] if type_line else []
    for row in rows:
        lines.append(delimiter.join('"' + v.replace('"', '""') + '"' for v in row))
    return "\r\n".join(lines) + "\r\n"


def trace(received, sender, recipient, subject, status, to_ip, from_ip, size, mid, tid, rng, index):
    return [
        "contoso.onmicrosoft.com",
        mid,
        received,
        sender,
        recipient,
        subject,
        status,
        to_ip,
        from_ip,
        size,
        tid,
        *rng,
        str(index),
    ]


US = ["10/11/2025 12:00:00 AM", "10/14/2025 12:00:00 AM"]
GB = ["11/10/2025 00:00:00", "14/10/2025 00:00:00"]
DE = ["11.10.2025 00:00:00", "14.10.2025 00:00:00"]

# en-US, remote session: #TYPE line and PS* columns. A subject with quotes, commas and a line
# break; a bad date.
EN_US = [
    PS_COLS + TRACE,
    PS
    + trace(
        "10/13/2025 8:15:03 AM",
        "Scanner@Contoso.com",
        "anna@contoso.com",
        "Scanned from a Xerox Multifunction Printer",
        "Delivered",
        "",
        "203.0.113.45",
        "48211",
        "<20251013081503.1@mfp-3f.contoso.local>",
        "9f8e7d6c-5b4a-4392-8170-08de0b2c3d4e",
        US,
        0,
    ),
    PS
    + trace(
        "10/13/2025 2:40:11 PM",
        "billing@fabrikam.com",
        "carl@contoso.com",
        'Invoice "Q3", final,\r\nsecond line',
        "Failed",
        "",
        "198.51.100.20",
        "10240",
        "<inv-q3@fabrikam.com>",
        "6e7f8091-a2b3-4c4d-9e5f-08de0b2c3d4f",
        US,
        1,
    ),
    PS
    + trace(
        "13/10/2025 14:40:11",
        "app@contoso.com",
        "dana@contoso.com",
        "Nightly report",
        "Delivered",
        "",
        "203.0.113.60",
        "2048",
        "<nightly@app.contoso.com>",
        "7f8091a2-b3c4-4d5e-8f60-08de0b2c3d50",
        US,
        2,
    ),
]

# en-GB, no PS* columns (Export-Csv -NoTypeInformation from PowerShell 7). A "None" sender.
EN_GB = [
    TRACE,
    trace(
        "13/10/2025 09:15:03",
        "None",
        "ben@contoso.com",
        "Undeliverable: Hello",
        "Delivered",
        "",
        "",
        "3120",
        "<ndr-1@contoso.com>",
        "1a2b3c4d-5e6f-4081-9203-08de0b2c3d4f",
        GB,
        0,
    ),
    trace(
        "05/10/2025 18:00:00",
        "dana@contoso.com",
        "orders@partner.example",
        "PO 4711",
        "Delivered",
        "192.0.2.25",
        "",
        "51200",
        "<po-4711@contoso.com>",
        "2b3c4d5e-6f70-4192-8a3b-08de0b2c3d50",
        GB,
        1,
    ),
]

# de-DE, Export-Csv -UseCulture -Encoding UTF8 (";" and a BOM), remote session.
DE_DE = [
    PS_COLS + TRACE,
    PS
    + trace(
        "13.10.2025 10:15:03",
        "scanner@contoso.com",
        "jörg@contoso.com",
        "Gescanntes Dokument; Seite 1",
        "Zugestellt",
        "",
        "203.0.113.77",
        "1.234",
        "<scan-0042@kyocera.contoso.local>",
        "6f708192-a3b4-45d6-8e7f-08de0c3d4e61",
        DE,
        0,
    ),
]

# ISO dates with an offset (a script that formatted Received with -Format o).
ISO = [
    TRACE[:11],
    [
        "contoso.onmicrosoft.com",
        "<iso-1@contoso.com>",
        "2025-10-13T10:15:03.0000000+02:00",
        "erp@contoso.com",
        "ap@contoso.com",
        "Invoice run",
        "Delivered",
        "",
        "203.0.113.60",
        "777",
        "3c4d5e6f-7081-42a3-9b4c-08de0b2c3d51",
    ],
]

GRAPH = {
    "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#admin/exchange/tracing/"
    "messageTraces",
    "value": [
        {
            "id": "8192a3b4-c5d6-47e8-9f90-08de0d4e5f70",
            "messageId": "<g1@mfp.contoso.com>",
            "receivedDateTime": "2025-10-13T06:00:01Z",
            "senderAddress": "mfp@contoso.com",
            "recipientAddress": "Erin@Contoso.com",
            "subject": "Scan to mail",
            "status": "delivered",
            "fromIP": "203.0.113.10",
            "toIP": None,
            "size": 20480,
        },
        {
            "id": "92a3b4c5-d6e7-48f9-8001-08de0d4e5f71",
            "messageId": "<g2@contoso.com>",
            "receivedDateTime": "2025-10-13T07:30:00Z",
            "senderAddress": "frank@contoso.com",
            "recipientAddress": "someone@fabrikam.com",
            "subject": "Hi",
            "status": "delivered",
            "fromIP": "2001:db8::5",
            "toIP": "104.47.1.33",
            "size": 4096,
        },
    ],
}

# Windows PowerShell 5.1: Get-MessageTraceV2 | ConvertTo-Json > trace.json
PS51 = [
    {
        "PSComputerName": "outlook.office365.com",
        "RunspaceId": PS[1],
        "PSShowComputerName": False,
        "Organization": "contoso.onmicrosoft.com",
        "MessageId": "<ps51-1@contoso.com>",
        "Received": "/Date(1760343303000)/",
        "SenderAddress": "backup@contoso.com",
        "RecipientAddress": "it@contoso.com",
        "Subject": "Backup OK",
        "Status": "Delivered",
        "ToIP": None,
        "FromIP": "203.0.113.61",
        "Size": 9000,
        "MessageTraceId": "4d5e6f70-8192-43b4-8c5d-08de0c3d4e5f",
        "StartDate": "/Date(1760140800000)/",
        "EndDate": "/Date(1760400000000)/",
        "Index": 0,
    },
]


RWS = "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/"


def rws_row(index, mid, received, sender, recipient, subject, status, to_ip, from_ip, size, tid):
    """One MessageTrace entity of the Reporting Web Service, in its field order."""
    return {
        "__metadata": {
            "id": f"{RWS}MessageTrace({index})",
            "uri": f"{RWS}MessageTrace({index})",
            "type": "TenantReporting.MessageTrace",
        },
        "Organization": "contoso.onmicrosoft.com",
        "MessageId": mid,
        "Received": received,
        "SenderAddress": sender,
        "RecipientAddress": recipient,
        "Subject": subject,
        "Status": status,
        "ToIP": to_ip,
        "FromIP": from_ip,
        "Size": size,
        "MessageTraceId": tid,
        "StartDate": "/Date(1760140800000)/",
        "EndDate": "/Date(1760400000000)/",
        "Index": index,
    }


# $format=json, first page of a longer answer: /Date(ms)/ with and without an offset, null
# MessageId and ToIP, and a row without a time (Received null).
RWS_PAGE = {
    "d": {
        "results": [
            rws_row(
                0,
                "<scan-0815@mfp-2f.contoso.local>",
                "/Date(1760343303000)/",
                "scanner@contoso.com",
                "anna@contoso.com",
                "Scanned from a Xerox Multifunction Printer",
                "Delivered",
                None,
                "203.0.113.45",
                48211,
                "0a1b2c3d-4e5f-4061-8293-08de0b2c3d60",
            ),
            rws_row(
                1,
                None,
                "/Date(1760362811000+0200)/",
                "erp@contoso.com",
                "ap@fabrikam.example",
                "Invoice 4711",
                "Delivered",
                "198.51.100.7",
                "203.0.113.60",
                10240,
                "1b2c3d4e-5f60-4172-83a4-08de0b2c3d61",
            ),
            rws_row(
                2,
                "<nodate@contoso.com>",
                None,
                "app@contoso.com",
                "dana@contoso.com",
                "Nightly report",
                "GettingStatus",
                None,
                "203.0.113.61",
                2048,
                "2c3d4e5f-6071-4283-94b5-08de0b2c3d62",
            ),
        ],
        "__next": f"{RWS}MessageTrace?$skiptoken=2",
    }
}

# An older service answer: "d" is the array itself, no paging.
RWS_ARRAY = {
    "d": [
        rws_row(
            0,
            "<ps-1@contoso.com>",
            "/Date(1760346000000)/",
            "backup@contoso.com",
            "it@contoso.com",
            "Backup OK",
            "Delivered",
            None,
            "203.0.113.62",
            9000,
            "3d4e5f60-7182-4394-a5c6-08de0b2c3d63",
        ),
        rws_row(
            1,
            "<ps-2@contoso.com>",
            "/Date(1760349600000)/",
            "backup@contoso.com",
            "ops@contoso.com",
            "Backup OK",
            "Delivered",
            None,
            "203.0.113.62",
            9000,
            "4e5f6071-8293-44a5-b6d7-08de0b2c3d64",
        ),
    ]
}


def atom_entry(index, fields):
    props = []
    for name, edm, value in fields:
        typed = f' m:type="{edm}"' if edm else ""
        if value is None:
            props.append(f'<d:{name}{typed} m:null="true" />')
        else:
            text = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            props.append(f"<d:{name}{typed}>{text}</d:{name}>")
    return (
        f"<entry><id>{RWS}MessageTrace({index})</id>"
        '<category term="TenantReporting.MessageTrace" '
        'scheme="http://schemas.microsoft.com/ado/2007/08/dataservices/scheme" />'
        f'<link rel="edit" title="MessageTrace" href="MessageTrace({index})" /><title />'
        "<updated>2025-10-14T06:00:00Z</updated><author><name /></author>"
        '<content type="application/xml"><m:properties>'
        + "".join(props)
        + "</m:properties></content></entry>"
    )


def atom_trace(index, mid, received, sender, recipient, subject, status, to_ip, from_ip, size, tid):
    return atom_entry(
        index,
        [
            ("Organization", "", "contoso.onmicrosoft.com"),
            ("MessageId", "", mid),
            ("Received", "Edm.DateTime", received),
            ("SenderAddress", "", sender),
            ("RecipientAddress", "", recipient),
            ("Subject", "", subject),
            ("Status", "", status),
            ("ToIP", "", to_ip),
            ("FromIP", "", from_ip),
            ("Size", "Edm.Int32", size),
            ("MessageTraceId", "Edm.Guid", tid),
            ("StartDate", "Edm.DateTime", "2025-10-11T00:00:00"),
            ("EndDate", "Edm.DateTime", "2025-10-14T00:00:00"),
            ("Index", "Edm.Int64", str(index)),
        ],
    )


# Atom (no $format): Edm.DateTime without a zone (UTC), m:null fields, a next-page link.
ATOM = (
    '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\r\n'
    f'<feed xml:base="{RWS}" xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:d="http://schemas.microsoft.com/ado/2007/08/dataservices" '
    'xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata">'
    f'<id>{RWS.lower()}MessageTrace</id><title type="text">MessageTrace</title>'
    "<updated>2025-10-14T06:00:00Z</updated>"
    '<link rel="self" title="MessageTrace" href="MessageTrace" />'
    + atom_trace(
        0,
        "<scan-0816@mfp-2f.contoso.local>",
        "2025-10-13T08:15:03.1234567",
        "scanner@contoso.com",
        "anna@contoso.com",
        "Scan <A4> & more",
        "Delivered",
        None,
        "203.0.113.45",
        "48211",
        "5f607182-93a4-45b6-87e8-08de0b2c3d65",
    )
    + atom_trace(
        1,
        None,
        "2025-10-13T14:40:11",
        "billing@fabrikam.example",
        "carl@contoso.com",
        "Invoice",
        "Failed",
        None,
        "198.51.100.20",
        "10240",
        "60718293-a4b5-46c7-98f9-08de0b2c3d66",
    )
    + f'<link rel="next" href="{RWS}MessageTrace?$skiptoken=1999" /></feed>'
)


# 2026-11-01..11-10, after the connector report ../eac-connector-report/
# inbound_2026-10_before_the_trace.csv: a scanner (one or two scans a day, no connector named
# by the trace) and a partner's server. Nothing in common with the report's days.
NOV = ["11/1/2026 12:00:00 AM", "11/11/2026 12:00:00 AM"]
NOVEMBER = [PS_COLS + TRACE]
for _day in range(1, 11):
    for _n in range(1 + _day % 2):
        NOVEMBER.append(
            PS
            + trace(
                f"11/{_day}/2026 {9 + 2 * _n}:0{_n}:17 AM",
                "scanner@contoso.com",
                "anna@contoso.com",
                "Scanned from a Xerox Multifunction Printer",
                "Delivered",
                "",
                "192.0.2.25",
                "51200",
                f"<202611{_day:02d}09{_n}.1@mfp-2b.contoso.local>",
                f"1a2b3c4d-0000-4000-8000-0000000{_day:02d}{_n:03d}",
                NOV,
                len(NOVEMBER) - 1,
            )
        )
    NOVEMBER.append(
        PS
        + trace(
            f"11/{_day}/2026 3:1{_day % 10}:00 PM",
            "orders@fabrikam.example",
            "carl@contoso.com",
            f"Order {4100 + _day}",
            "Delivered",
            "",
            "198.51.100.20",
            "20480",
            f"<order-{4100 + _day}@fabrikam.example>",
            f"6e7f8091-0000-4000-8000-0000000{_day:02d}999",
            NOV,
            len(NOVEMBER) - 1,
        )
    )


# 2026-11-01..11-10 through an on-prem relay (one IP): a scanner and an application, with the
# day counts that ../eac-connector-report/inbound_2026-10-22_half_traced.csv adds up. That
# report starts ten days before this trace.
SCANS = [4, 7, 2, 9, 5, 3, 8, 6, 1, 7]
APP_MAILS = [12, 10, 15, 11, 14, 13, 9, 16, 12, 10]
RELAYED = [PS_COLS + TRACE]
for _day, (_scans, _apps) in enumerate(zip(SCANS, APP_MAILS, strict=True), start=1):
    for _sender, _count, _subject in (
        ("scanner@contoso.com", _scans, "Scan to email"),
        ("erp@contoso.com", _apps, "Invoice run"),
    ):
        for _n in range(_count):
            RELAYED.append(
                PS
                + trace(
                    f"11/{_day}/2026 {1 + _n % 9}:{_n:02d}:{len(RELAYED) % 60:02d} PM",
                    _sender,
                    "ap@contoso.com",
                    _subject,
                    "Delivered",
                    "",
                    "192.0.2.30",
                    "30720",
                    f"<{_sender[:3]}{_day:02d}{_n:02d}@relay.contoso.example>",
                    f"2b3c4d5e-0000-4000-8000-00{_day:02d}{_n:02d}{len(RELAYED):06d}",
                    NOV,
                    len(RELAYED) - 1,
                )
            )


def main() -> None:
    (HERE / "v2_pssession_en-US.csv").write_text(
        ps_csv(
            EN_US,
            type_line="#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace",
        ),
        encoding="ascii",
        newline="",
    )
    (HERE / "v2_en-GB.csv").write_text(ps_csv(EN_GB), encoding="utf-8", newline="")
    (HERE / "v2_2026-11_relay_half_the_report.csv").write_text(
        ps_csv(
            RELAYED,
            type_line="#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace",
        ),
        encoding="utf-8",
        newline="",
    )
    (HERE / "v2_2026-11_after_the_report.csv").write_text(
        ps_csv(
            NOVEMBER,
            type_line="#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace",
        ),
        encoding="utf-8",
        newline="",
    )
    (HERE / "v2_de-DE_useculture.csv").write_text(
        ps_csv(
            DE_DE,
            delimiter=";",
            type_line="#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace",
        ),
        encoding="utf-8-sig",
        newline="",
    )
    (HERE / "v2_iso.csv").write_text(ps_csv(ISO), encoding="utf-8", newline="")
    (HERE / "graph_traces.json").write_text(json.dumps(GRAPH, indent=2), encoding="utf-8")
    # ConvertTo-Json in 5.1 escapes "/" as "\/"; "> file" writes UTF-16LE with a BOM and CRLF.
    text = json.dumps(PS51, indent=4).replace("/", "\\/").replace("\n", "\r\n")
    (HERE / "ps51_convertto-json.json").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    # The service escapes "/" as "\\/" (so the dates read "\\/Date(...)\\/"), compact.
    for name, doc in (("rws_page_verbose.json", RWS_PAGE), ("rws_d_array.json", RWS_ARRAY)):
        text = json.dumps(doc, separators=(",", ":")).replace("/", "\\/")
        (HERE / name).write_text(text, encoding="utf-8", newline="")
    (HERE / "rws_atom.xml").write_text(ATOM, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
