"""Writes the historical-summary fixtures next to this file (run it, then commit the output).

Historical search CSVs are UTF-16LE, often without a BOM, every field quoted, CRLF line ends,
timestamps ISO 8601 with 7 fractional digits and Z. Addresses, IPs (documentation ranges) and
ids are made up; README.md names the public source of each shape.
"""

from __future__ import annotations

import codecs
from pathlib import Path

HERE = Path(__file__).resolve().parent

HEADER = [
    "origin_timestamp_utc",
    "sender_address",
    "recipient_status",
    "message_subject",
    "total_bytes",
    "message_id",
    "network_message_id",
    "original_client_ip",
    "directionality",
    "connector_id",
    "delivery_priority",
]

ROWS = [
    # 1. A scanner through its connector, two recipients.
    [
        "2025-10-13T08:15:03.1234567Z",
        "Scanner@Contoso.com",
        "anna@contoso.com##Receive, Deliver;ben@contoso.com##Receive, Deliver",
        "Scanned from a Xerox Multifunction Printer",
        "48211",
        "<20251013081503.1@mfp-3f.contoso.local>",
        "5d6e7f80-91a2-4b3c-8d4e-08de0b2c3d4e",
        "203.0.113.45",
        "Originating",
        "Inbound from Scanners",
        "Normal",
    ],
    # 2. From the internet: a subject with quotes, commas and a line break; one failed recipient.
    [
        "2025-10-13T09:00:00.0000000Z",
        "billing@fabrikam.com",
        "carl@contoso.com##Receive, Fail",
        'Invoice "Q3", final,\r\nsecond line',
        "10240",
        "<inv-q3@fabrikam.com>",
        "6e7f8091-a2b3-4c4d-9e5f-08de0b2c3d4f",
        "198.51.100.20",
        "Incoming",
        "",
        "Normal",
    ],
    # 3. A timestamp that is not one: rejected.
    [
        "2025-13-45T99:00:00.0000000Z",
        "app@contoso.com",
        "dana@contoso.com##Receive, Deliver",
        "Nightly report",
        "2048",
        "<nightly@app.contoso.com>",
        "7f8091a2-b3c4-4d5e-8f60-08de0b2c3d50",
        "203.0.113.60",
        "Originating",
        "",
        "Normal",
    ],
    # 4. recipient_status without addresses: kept once, no recipient, with a note. No message_id:
    #    the network message id stands in.
    [
        "2025-10-13T10:30:00.5000000Z",
        "printer@contoso.com",
        "Receive, Deliver",
        "",
        "512",
        "",
        "8091a2b3-c4d5-4e6f-9071-08de0b2c3d51",
        "2001:db8::99",
        "Originating",
        "",
        "Low",
    ],
]


# The columns as Microsoft Learn's message trace page documents them: origin_timestamp (no
# _utc), Recipient_status with a capital R, directionality 1 (inbound) / 2 (outbound).
LEARN_HEADER = [
    "origin_timestamp",
    "sender_address",
    "Recipient_status",
    "message_subject",
    "total_bytes",
    "message_id",
    "network_message_id",
    "original_client_ip",
    "directionality",
    "connector_id",
    "delivery_priority",
]
LEARN_ROWS = [
    [
        "2025-10-14T07:05:11.2500000Z",
        "scan@contoso.com",
        "ops@contoso.com##Receive, Deliver",
        "Message from KM_C258",
        "301822",
        "<KM_C258-20251014@contoso.com>",
        "1341ac7b-13fb-42ab-4d44-08de0c3d4e5f",
        "203.0.113.45",
        "2",
        "Inbound from Scanners",
        "Normal",
    ],
    [
        "2025-10-14T07:30:00.0000000Z",
        "orders@partner.example",
        "sales@contoso.com##Receive, Deliver;cfo@contoso.com##Receive, Fail",
        "PO 4712",
        "51200",
        "<po-4712@partner.example>",
        "2452bd8c-24ac-43bc-5e55-08de0c3d4e60",
        "198.51.100.20",
        "1",
        "",
        "High",
    ],
]


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    lines = [",".join('"' + v.replace('"', '""') + '"' for v in row) for row in [header, *rows]]
    return "\r\n".join(lines) + "\r\n"


def main() -> None:
    text = csv_text(HEADER, ROWS)
    (HERE / "summary_utf16le_nobom.csv").write_bytes(text.encode("utf-16-le"))
    # Same data with a BOM, columns in another order and one extra column: positions must not
    # matter.
    order = [2, 0, 10, 1, 9, 8, 7, 6, 5, 4, 3]
    header = [HEADER[i] for i in order] + ["return_path"]
    rows = [[row[i] for i in order] + [row[1]] for row in ROWS]
    (HERE / "summary_utf16le_bom.csv").write_bytes(
        codecs.BOM_UTF16_LE + csv_text(header, rows).encode("utf-16-le")
    )
    (HERE / "summary_learn_columns_nobom.csv").write_bytes(
        csv_text(LEARN_HEADER, LEARN_ROWS).encode("utf-16-le")
    )


if __name__ == "__main__":
    main()
