"""Writes the message-trace-detail fixtures next to this file (run it, then commit the output).

The files are shaped like PowerShell's ``Export-Csv`` (every field quoted, CRLF line ends) and
Graph's JSON, and the Reporting Web Service's MessageTraceDetail report. Server names, IPs
(documentation ranges) and GUIDs are made up; README.md names the public source of each shape.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def ps_csv(rows: list[list[str]], *, delimiter: str = ",", type_line: str | None = None) -> str:
    """Export-Csv: every field quoted, quotes doubled, CRLF; optional #TYPE line."""
    lines = [type_line] if type_line else []
    for row in rows:
        lines.append(delimiter.join('"' + v.replace('"', '""') + '"' for v in row))
    return "\r\n".join(lines) + "\r\n"


def mep(*pairs: tuple[str, str, str]) -> str:
    return "<root>" + "".join(f'<MEP Name="{n}" {a}="{v}" />' for n, a, v in pairs) + "</root>"


EXO = "AM6PR04MB5432.eurprd04.prod.outlook.com"

# --- V1: Get-MessageTrace | Get-MessageTraceDetail | Export-Csv (Windows PowerShell 5.1 remote
# session: #TYPE line and PS* columns; en-US dates; SenderAddress/RecipientAddress left empty).
V1_HEADER = [
    "PSComputerName",
    "RunspaceId",
    "PSShowComputerName",
    "Organization",
    "MessageId",
    "MessageTraceId",
    "Date",
    "Event",
    "Action",
    "Detail",
    "Data",
    "SenderAddress",
    "RecipientAddress",
    "StartDate",
    "EndDate",
    "Index",
]
PS = [
    "outlook.office365.com",
    "5b1e2f0a-7c3d-4e8f-9a1b-2c3d4e5f6a7b",
    "False",
    "contoso.onmicrosoft.com",
]
RANGE = ["10/11/2025 12:00:00 AM", "10/14/2025 12:00:00 AM"]


def v1_row(mid, tid, date, event, detail, data, index):
    return [*PS, mid, tid, date, event, "", detail, data, "", "", *RANGE, str(index)]


V1 = [
    V1_HEADER,
    # 1. From the internet, TLS 1.2.
    v1_row(
        "<CAF1x2y3@mail.fabrikam.com>",
        "0d6e8a51-3b2c-4f7e-9a10-08de0a1b2c3d",
        "10/13/2025 8:15:03 AM",
        "Receive",
        f"Message received by: {EXO} using TLS1.2 with AES256",
        mep(
            ("ConnectorId", "String", "AM6PR04MB5432\\Default AM6PR04MB5432"),
            ("ClientIP", "String", "198.51.100.20"),
            ("ServerHostName", "String", "AM6PR04MB5432"),
            (
                "CustomData",
                "Blob",
                "S:ProxyHop1=DB5EUR03FT012.mail.protection.outlook.com"
                "(10.152.20.50);S:OriginalFromAddress=news@fabrikam.com",
            ),
            ("SequenceNumber", "Long", "0"),
        ),
        0,
    ),
    v1_row(
        "<CAF1x2y3@mail.fabrikam.com>",
        "0d6e8a51-3b2c-4f7e-9a10-08de0a1b2c3d",
        "10/13/2025 8:15:05 AM",
        "Deliver",
        "The message was successfully delivered.",
        mep(("MailboxServer", "String", "AM6PR04MB5432.eurprd04.prod.outlook.com")),
        1,
    ),
    # 2. Internal user to the internet: Receive (no TLS clause), Submit, Send external.
    v1_row(
        "<AM6PR04MB5432ABCD@AM6PR04MB5432.eurprd04.prod.outlook.com>",
        "7a1b2c3d-4e5f-4a6b-8c7d-08de0a1b2c3e",
        "10/13/2025 2:40:11 PM",
        "Receive",
        f"Message received by: {EXO}",
        mep(("ServerHostName", "String", "AM6PR04MB5432")),
        0,
    ),
    v1_row(
        "<AM6PR04MB5432ABCD@AM6PR04MB5432.eurprd04.prod.outlook.com>",
        "7a1b2c3d-4e5f-4a6b-8c7d-08de0a1b2c3e",
        "10/13/2025 2:40:12 PM",
        "Submit",
        "The message was submitted.",
        mep(("RcptCount", "Integer", "1")),
        1,
    ),
    v1_row(
        "<AM6PR04MB5432ABCD@AM6PR04MB5432.eurprd04.prod.outlook.com>",
        "7a1b2c3d-4e5f-4a6b-8c7d-08de0a1b2c3e",
        "10/13/2025 2:40:14 PM",
        "Send external",
        "Message sent to fabrikam-com.mail.protection.outlook.com at 104.47.1.33 using "
        "TLS1.2 with AES256",
        mep(("ServerHostName", "String", "AM6PR04MB5432")),
        2,
    ),
    # 3. Internal to internal: no TLS clause anywhere -> unknown.
    v1_row(
        "<AM6PR04MB5432EFGH@AM6PR04MB5432.eurprd04.prod.outlook.com>",
        "c3d4e5f6-a7b8-4c9d-8e0f-08de0a1b2c3f",
        "10/13/2025 11:02:45 PM",
        "Receive",
        f"Message received by: {EXO}",
        "",
        0,
    ),
    v1_row(
        "<AM6PR04MB5432EFGH@AM6PR04MB5432.eurprd04.prod.outlook.com>",
        "c3d4e5f6-a7b8-4c9d-8e0f-08de0a1b2c3f",
        "10/13/2025 11:02:46 PM",
        "Deliver",
        "The message was successfully delivered.",
        "",
        1,
    ),
]

# --- V2: Get-MessageTraceDetailV2 | Export-Csv -NoTypeInformation (PowerShell 7, en-GB).
V2_HEADER = [
    "MessageTraceId",
    "MessageId",
    "Date",
    "Event",
    "Action",
    "Detail",
    "Data",
    "SenderAddress",
    "RecipientAddress",
]
SCAN = "9f8e7d6c-5b4a-4392-8170-08de0b2c3d4e"
SCAN_MID = "<20251013091503.1234@mfp-3f.contoso.local>"
SCAN_DATA = mep(
    ("ConnectorId", "String", "DB9PR04MB8123\\Inbound from Scanners"),
    ("ClientIP", "String", "203.0.113.45"),
    (
        "CustomData",
        "String",
        "S:InboundConnectorData=Name=Inbound from Scanners;"
        "ConnectorType=OnPremises;S:ProxyHop1=DB5EUR03FT012"
        ".mail.protection.outlook.com(10.152.20.50)",
    ),
)
EXO2 = "DB9PR04MB8123.eurprd04.prod.outlook.com"
V2 = [
    V2_HEADER,
    # 4. Scanner through an inbound connector with TLS 1.0, two recipients (two messages).
    [
        SCAN,
        SCAN_MID,
        "13/10/2025 09:15:03",
        "Receive",
        "",
        f"Message received by: {EXO2} using TLS1.0 with AES256",
        SCAN_DATA,
        "scanner@contoso.com",
        "anna@contoso.com",
    ],
    [
        SCAN,
        SCAN_MID,
        "13/10/2025 09:15:04",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "scanner@contoso.com",
        "anna@contoso.com",
    ],
    [
        SCAN,
        SCAN_MID,
        "13/10/2025 09:15:03",
        "Receive",
        "",
        f"Message received by: {EXO2} using TLS1.0 with AES256",
        SCAN_DATA,
        "scanner@contoso.com",
        "Ben@Contoso.com",
    ],
    # 5. Direct Send without a TLS clause: unknown, not none. Its Deliver has a bad date.
    [
        "1a2b3c4d-5e6f-4081-9203-08de0b2c3d4f",
        "<direct-1@printer.contoso.com>",
        "13/10/2025 10:01:00",
        "Receive",
        "",
        f"Message received by: {EXO2}",
        mep(("ClientIP", "String", "203.0.113.99")),
        "printer@contoso.com",
        "carl@contoso.com",
    ],
    [
        "1a2b3c4d-5e6f-4081-9203-08de0b2c3d4f",
        "<direct-1@printer.contoso.com>",
        "31/02/2025 10:01:02",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "printer@contoso.com",
        "carl@contoso.com",
    ],
    # 6. Outbound through a partner connector.
    [
        "2b3c4d5e-6f70-4192-8a3b-08de0b2c3d50",
        "<DB9PR04MB8123X@DB9PR04MB8123.eurprd04.prod.outlook.com>",
        "13/10/2025 11:30:00",
        "Receive",
        "",
        f"Message received by: {EXO2}",
        "",
        "dana@contoso.com",
        "orders@partner.example",
    ],
    [
        "2b3c4d5e-6f70-4192-8a3b-08de0b2c3d50",
        "<DB9PR04MB8123X@DB9PR04MB8123.eurprd04.prod.outlook.com>",
        "13/10/2025 11:30:02",
        "Send external",
        "",
        "Message sent to mail.partner.example at 192.0.2.25 using TLS1.2 with AES256",
        mep(
            (
                "CustomData",
                "Blob",
                "S:Microsoft.Exchange.Hygiene.TenantOutboundConnector"
                "CustomData=Name=Outbound to Partner;ConnectorType=Partner;"
                "S:OutboundIpPoolName=DefaultPool",
            )
        ),
        "dana@contoso.com",
        "orders@partner.example",
    ],
    # 7. Broken Data XML (cut off): the connector is still read from the text, with a note.
    [
        "3c4d5e6f-7081-42a3-9b4c-08de0b2c3d51",
        "<app-77@erp.contoso.local>",
        "13/10/2025 12:00:00",
        "Receive",
        "",
        f"Message received by: {EXO2} using TLS1.1 with AES128",
        '<root><MEP Name="ClientIP" String="203.0.113.60" /><MEP Name="CustomData" '
        'String="S:InboundConnectorData=Name=Legacy App Relay;ConnectorType=OnPremises',
        "erp@contoso.com",
        "ap@contoso.com",
    ],
    # 8. An event that names no message at all.
    [
        "",
        "",
        "13/10/2025 12:05:00",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "",
        "eve@contoso.com",
    ],
]

# --- Edge cases: one message exported with -Event Deliver only; a Data field with an entity
# bomb (must be refused, not expanded); a Receive whose TLS is only in CustomData
# (S:tlsversion=, as third-party trace tools read it; unverified in Microsoft's docs).
BOMB = (
    '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><root><MEP Name="ClientIP" '
    'String="&c;" /></root>'
)
FILTERED = [
    V2_HEADER,
    [
        "a0b1c2d3-e4f5-4617-8293-08de0e5f6071",
        "<only-deliver@contoso.com>",
        "13/10/2025 13:00:00",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "gina@contoso.com",
        "hank@contoso.com",
    ],
    [
        "b1c2d3e4-f5a6-4728-93a4-08de0e5f6072",
        "<bomb@fabrikam.com>",
        "13/10/2025 13:05:00",
        "Receive",
        "",
        f"Message received by: {EXO2} using TLS1.2 with AES256",
        BOMB,
        "x@fabrikam.com",
        "ivy@contoso.com",
    ],
    [
        "c2d3e4f5-a6b7-4839-a4b5-08de0e5f6073",
        "<custom-tls@contoso.com>",
        "13/10/2025 13:10:00",
        "Receive",
        "",
        f"Message received by: {EXO2}",
        mep(
            ("ClientIP", "String", "203.0.113.70"),
            (
                "CustomData",
                "Blob",
                "S:ProxyHop1=EOP01(10.1.1.1);S:tlsversion="
                "SP_PROT_TLS1_0_SERVER;S:tlscipher=CALG_AES_256",
            ),
        ),
        "nas@contoso.com",
        "jack@contoso.com",
    ],
]

# --- German: Windows PowerShell 5.1, de-DE, Export-Csv -UseCulture -Encoding UTF8 (";", BOM).
DE_HEADER = V1_HEADER
DE_RANGE = ["11.10.2025 00:00:00", "14.10.2025 00:00:00"]
EXO3 = "FR2P281MB0123.DEUP281.PROD.OUTLOOK.COM"


def de_row(mid, tid, date, event, detail, data, index):
    return [*PS, mid, tid, date, event, "", detail, data, "", "", *DE_RANGE, str(index)]


DE = [
    DE_HEADER,
    # 9. From the internet, TLS 1.2; German event names.
    de_row(
        "<a1@mail.fabrikam.com>",
        "4d5e6f70-8192-43b4-8c5d-08de0c3d4e5f",
        "13.10.2025 10:15:03",
        "Empfangen",
        f"Message received by: {EXO3} using TLS1.2 with AES256",
        "",
        0,
    ),
    de_row(
        "<a1@mail.fabrikam.com>",
        "4d5e6f70-8192-43b4-8c5d-08de0c3d4e5f",
        "13.10.2025 10:15:04",
        "Transportregel",
        "Transport rule: 'Extern markieren'",
        "",
        1,
    ),
    de_row(
        "<a1@mail.fabrikam.com>",
        "4d5e6f70-8192-43b4-8c5d-08de0c3d4e5f",
        "13.10.2025 10:15:05",
        "Zustellen",
        "The message was successfully delivered.",
        "",
        2,
    ),
    # 10. Out through the SEPPmail connector.
    de_row(
        "<FR2P281MB0123Q@FR2P281MB0123.DEUP281.PROD.OUTLOOK.COM>",
        "5e6f7081-92a3-44c5-9d6e-08de0c3d4e60",
        "13.10.2025 16:45:10",
        "Empfangen",
        f"Message received by: {EXO3}",
        "",
        0,
    ),
    de_row(
        "<FR2P281MB0123Q@FR2P281MB0123.DEUP281.PROD.OUTLOOK.COM>",
        "5e6f7081-92a3-44c5-9d6e-08de0c3d4e60",
        "13.10.2025 16:45:11",
        "Übermitteln",
        "The message was submitted.",
        "",
        1,
    ),
    de_row(
        "<FR2P281MB0123Q@FR2P281MB0123.DEUP281.PROD.OUTLOOK.COM>",
        "5e6f7081-92a3-44c5-9d6e-08de0c3d4e60",
        "13.10.2025 16:45:13",
        "Extern senden",
        "Message sent to seppmail.contoso.de at 192.0.2.80 using TLS1.2 with AES256",
        mep(
            (
                "CustomData",
                "Blob",
                "S:Microsoft.Exchange.Hygiene.TenantOutboundConnector"
                "CustomData=Name=SEPPmail Ausgehend;ConnectorType="
                "OnPremises",
            )
        ),
        2,
    ),
    # 11. A localized Detail (hypothetical wording): found through the event name alone.
    de_row(
        "<scan-0042@kyocera.contoso.local>",
        "6f708192-a3b4-45d6-8e7f-08de0c3d4e61",
        "13.10.2025 07:59:59",
        "Empfangen",
        f"Nachricht empfangen von: {EXO3} mit TLS1.0 mit AES128",
        mep(("ClientIP", "String", "203.0.113.77")),
        0,
    ),
]

# --- Graph: messageTraces/{id}/getDetailsByRecipient, two responses saved as one array.
GRAPH = [
    {
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#Collection("
        "microsoft.graph.exchangeMessageTraceDetail)",
        "value": [
            {
                "id": "8192a3b4-c5d6-47e8-9f90-08de0d4e5f70",
                "messageId": "<g1@mfp.contoso.com>",
                "dateTime": "2025-10-13T06:00:01.123Z",
                "event": "Receive",
                "action": "",
                "description": f"Message received by: {EXO} using TLS1.2 with AES256",
                "data": mep(
                    ("ClientIP", "String", "203.0.113.10"),
                    (
                        "CustomData",
                        "Blob",
                        "S:InboundConnectorData=Name=Printers;ConnectorType=OnPremises",
                    ),
                ),
            },
            {
                "id": "8192a3b4-c5d6-47e8-9f90-08de0d4e5f70",
                "messageId": "<g1@mfp.contoso.com>",
                "dateTime": "2025-10-13T06:00:02.456Z",
                "event": "Deliver",
                "action": "",
                "description": "The message was successfully delivered.",
                "data": None,
            },
        ],
    },
    {
        "value": [
            {
                "id": "92a3b4c5-d6e7-48f9-8001-08de0d4e5f71",
                "messageId": "<g2@contoso.com>",
                "dateTime": "2025-10-13T07:30:00Z",
                "event": "Receive",
                "action": "",
                "description": f"Message received by: {EXO}",
                "data": None,
            },
            {
                "id": "92a3b4c5-d6e7-48f9-8001-08de0d4e5f71",
                "messageId": "<g2@contoso.com>",
                "dateTime": "2025-10-13T07:30:02Z",
                "event": "Send external",
                "action": "",
                "description": "Message sent to mx.fabrikam.com at 2001:db8::25 using TLS1.3 with "
                "AES256",
                "data": mep(
                    (
                        "CustomData",
                        "Blob",
                        "S:Microsoft.Exchange.Hygiene.TenantOutbound"
                        "ConnectorCustomData=Name=To Fabrikam",
                    )
                ),
            },
        ]
    },
]


# --- Receive events between Exchange Online's own servers (Get-MessageTraceDetailV2 |
# Export-Csv -NoTypeInformation, en-US). The first message copies the event sequence of a
# mailbox-originated message in a public trace: Receive (no TLS), Submit, then a Receive by
# another Exchange Online server "using TLS1.2 with AES256".
HUB1 = "MWHPR14MB1808.namprd14.prod.outlook.com"
HUB2 = "CO6PR14MB4402.namprd14.prod.outlook.com"
FE = "BN8NAM12FT061.mail.protection.outlook.com"
OOF = "d4e5f6a7-b8c9-4d0e-8f1a-08de0f607182"
DS = "e5f6a7b8-c9d0-4e1f-9a2b-08de0f607183"
AUTH = "f6a7b8c9-d0e1-4f2a-8b3c-08de0f607184"
T13 = "a7b8c9d0-e1f2-4a3b-9c4d-08de0f607185"
FWD = "b8c9d0e1-f2a3-4b4c-8d5e-08de0f607186"
INTERNAL = [
    V2_HEADER,
    # 12. Mailbox-originated: Receive, Submit, internal Receive with TLS -> unknown.
    [
        OOF,
        "<HUB2-oof-1@CO6PR14MB4402.namprd14.prod.outlook.com>",
        "10/14/2025 3:56:03 AM",
        "Receive",
        "",
        f"Message received by: {HUB2}",
        "",
        "kim@contoso.com",
        "partner@fabrikam.example",
    ],
    [
        OOF,
        "<HUB2-oof-1@CO6PR14MB4402.namprd14.prod.outlook.com>",
        "10/14/2025 3:56:03 AM",
        "Submit",
        "",
        "The message was submitted.",
        "",
        "kim@contoso.com",
        "partner@fabrikam.example",
    ],
    [
        OOF,
        "<HUB2-oof-1@CO6PR14MB4402.namprd14.prod.outlook.com>",
        "10/14/2025 3:56:03 AM",
        "Receive",
        "",
        f"Message received by: {HUB1} using TLS1.2 with AES256",
        mep(("ClientName", "String", HUB2), ("ClientIP", "String", "2603:10b6:303:12::22")),
        "kim@contoso.com",
        "partner@fabrikam.example",
    ],
    [
        OOF,
        "<HUB2-oof-1@CO6PR14MB4402.namprd14.prod.outlook.com>",
        "10/14/2025 3:56:04 AM",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "kim@contoso.com",
        "partner@fabrikam.example",
    ],
    # 13. A device without TLS (no clause), then a hop between Microsoft's servers with
    #     TLS 1.2: the device's TLS stays unknown, not TLS 1.2.
    [
        DS,
        "<direct-7@nas.contoso.com>",
        "10/14/2025 6:00:00 AM",
        "Receive",
        "",
        f"Message received by: {FE}",
        mep(("ClientIP", "String", "203.0.113.99")),
        "nas@contoso.com",
        "it@contoso.com",
    ],
    [
        DS,
        "<direct-7@nas.contoso.com>",
        "10/14/2025 6:00:01 AM",
        "Receive",
        "",
        f"Message received by: {HUB1} using TLS1.2 with AES256",
        mep(("ClientName", "String", FE), ("ClientIP", "String", "2603:10b6:806:3a::9")),
        "nas@contoso.com",
        "it@contoso.com",
    ],
    [
        DS,
        "<direct-7@nas.contoso.com>",
        "10/14/2025 6:00:02 AM",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "nas@contoso.com",
        "it@contoso.com",
    ],
    # 14. SMTP AUTH client submission over the legacy endpoint: the device's TLS 1.0,
    #     then Submit and an internal hop with TLS 1.2.
    [
        AUTH,
        "<KM_C258-1014@contoso.com>",
        "10/14/2025 7:05:11 AM",
        "Receive",
        "",
        f"Message received by: {HUB2} using TLS1.0 with AES256",
        mep(("ClientIP", "String", "203.0.113.30"), ("ClientName", "String", "KM_C258")),
        "scanner@contoso.com",
        "ops@contoso.com",
    ],
    [
        AUTH,
        "<KM_C258-1014@contoso.com>",
        "10/14/2025 7:05:11 AM",
        "Submit",
        "",
        "The message was submitted.",
        "",
        "scanner@contoso.com",
        "ops@contoso.com",
    ],
    [
        AUTH,
        "<KM_C258-1014@contoso.com>",
        "10/14/2025 7:05:12 AM",
        "Receive",
        "",
        f"Message received by: {HUB1} using TLS1.2 with AES256",
        mep(("ClientName", "String", HUB2)),
        "scanner@contoso.com",
        "ops@contoso.com",
    ],
    [
        AUTH,
        "<KM_C258-1014@contoso.com>",
        "10/14/2025 7:05:13 AM",
        "Deliver",
        "",
        "The message was successfully delivered.",
        "",
        "scanner@contoso.com",
        "ops@contoso.com",
    ],
    # 15. From the internet with TLS 1.3.
    [
        T13,
        "<n-1@mail.fabrikam.example>",
        "10/14/2025 8:00:00 AM",
        "Receive",
        "",
        f"Message received by: {FE} using TLS1.3 with AES256",
        mep(("ClientIP", "String", "198.51.100.20")),
        "news@fabrikam.example",
        "anna@contoso.com",
    ],
    # 16. Only a hop from one *.prod.outlook.com host to another: no sender TLS.
    [
        FWD,
        "<fwd-3@contoso.com>",
        "10/14/2025 9:00:00 AM",
        "Receive",
        "",
        f"Message received by: {HUB1} using TLS1.2 with AES256",
        mep(("ClientName", "String", HUB2)),
        "lee@contoso.com",
        "max@contoso.com",
    ],
    # 17. Another organization's Exchange Online (*.outbound.protection.outlook.com)
    #     sending to this one: an external hop, its TLS counts.
    [
        "c9d0e1f2-a3b4-4c5d-8e6f-08de0f607188",
        "<po-9@fabrikam.example>",
        "10/14/2025 9:30:00 AM",
        "Receive",
        "",
        f"Message received by: {FE} using TLS1.2 with AES256",
        mep(
            ("ClientName", "String", "EUR05-DB8-obe.outbound.protection.outlook.com"),
            ("ClientIP", "String", "198.51.100.77"),
        ),
        "orders@fabrikam.example",
        "sales@contoso.com",
    ],
]

# --- The Reporting Web Service's MessageTraceDetail report, $format=json: one Receive with
# TLS 1.1 through an inbound connector. "d" holds the page; __metadata is per entity.
RWS = "https://reports.office365.com/ecp/ReportingWebService/Reporting.svc/"


def rws_event(index, event, detail, data, date):
    return {
        "__metadata": {
            "id": f"{RWS}MessageTraceDetail({index})",
            "uri": f"{RWS}MessageTraceDetail({index})",
            "type": "TenantReporting.MessageTraceDetail",
        },
        "Organization": "contoso.onmicrosoft.com",
        "MessageId": "<app-88@erp.contoso.local>",
        "MessageTraceId": "c9d0e1f2-a3b4-4c5d-9e6f-08de0f607187",
        "Date": date,
        "Event": event,
        "Action": None,
        "Detail": detail,
        "Data": data,
        "StartDate": "/Date(1760140800000)/",
        "EndDate": "/Date(1760400000000)/",
        "SenderAddress": "erp@contoso.com",
        "RecipientAddress": "ap@contoso.com",
        "Index": index,
    }


RWS_DETAIL = {
    "d": {
        "results": [
            rws_event(
                0,
                "Receive",
                f"Message received by: {EXO2} using TLS1.1 with AES128",
                mep(
                    ("ClientIP", "String", "203.0.113.60"),
                    (
                        "CustomData",
                        "String",
                        "S:InboundConnectorData=Name=Legacy App Relay;ConnectorType=OnPremises",
                    ),
                ),
                "/Date(1760432400000)/",
            ),
            rws_event(
                1, "Deliver", "The message was successfully delivered.", "", "/Date(1760432402000)/"
            ),
        ]
    }
}


def main() -> None:
    (HERE / "v1_pssession_en-US.csv").write_text(
        ps_csv(
            V1,
            type_line="#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting"
            ".MessageTraceDetail",
        ),
        encoding="ascii",
        newline="",
    )
    (HERE / "v2_en-GB.csv").write_text(ps_csv(V2), encoding="utf-8", newline="")
    (HERE / "v2_edge_cases.csv").write_text(ps_csv(FILTERED), encoding="utf-8", newline="")
    (HERE / "de-DE_useculture.csv").write_text(
        ps_csv(
            DE,
            delimiter=";",
            type_line="#TYPE Deserialized.Microsoft.Exchange.Management"
            ".FfoReporting.MessageTraceDetail",
        ),
        encoding="utf-8-sig",
        newline="",
    )
    (HERE / "graph_details.json").write_text(
        json.dumps(GRAPH, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    (HERE / "v2_internal_hops.csv").write_text(ps_csv(INTERNAL), encoding="utf-8", newline="")
    text = json.dumps(RWS_DETAIL, separators=(",", ":")).replace("/", "\\/")
    (HERE / "rws_detail_verbose.json").write_text(text, encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
