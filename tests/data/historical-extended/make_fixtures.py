"""Writes the historical-search Extended report fixtures next to this script.

The EAC / Start-HistoricalSearch CSV is UTF-16LE, usually without BOM, every field quoted,
CRLF, one row per event with the 27 snake_case tracking fields; timestamps carry 7 fractional
digits and Z. The spam agent's custom_data follows the example on Microsoft's "Run a message
trace and view results" page (S:SFA=SUM|SFV=...|H=...|PTR=...|CIP=...). README.md names the
public source of each file's shape.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
HEADER = [
    "date_time_utc",
    "client_ip",
    "client_hostname",
    "server_ip",
    "server_hostname",
    "source_context",
    "connector_id",
    "source",
    "event_id",
    "internal_message_id",
    "message_id",
    "network_message_id",
    "recipient_address",
    "recipient_status",
    "total_bytes",
    "recipient_count",
    "related_recipient_address",
    "reference",
    "message_subject",
    "sender_address",
    "return_path",
    "message_info",
    "directionality",
    "tenant_id",
    "original_client_ip",
    "original_server_ip",
    "custom_data",
]
TENANT = "39238e87-b5ab-4ef6-a559-af54c6b07b42"
HUB = "AM0PR04MB6789.eurprd04.prod.outlook.com"
EDGE = "AM6PEPF0000ABCD.eurprd04.prod.outlook.com"


def sfa(helo: str, ptr: str, cip: str) -> str:
    return (
        f"S:SFA=SUM|SFV=NSPM|IPV=NLI|SFS=470454002|SCL=1|SCORE=-1|LIST=0|DI=SN|RD={ptr}|"
        f"H={helo}|PTR={ptr}|CIP={cip}|SFP=1501|ASF=1|CTRY=DE|CLTCTRY=|LANG=de|LAT=287|"
        "LAT=260|LAT=18;"
    )


def row(
    when,
    event,
    source,
    *,
    cip="",
    chost="",
    sip="",
    shost=HUB,
    conn="",
    mid,
    nid,
    rcpt,
    status="",
    size="",
    count="",
    subject,
    sender,
    direction,
    original="",
    custom="",
    ctx="",
):
    return {
        "date_time_utc": f"2024-05-06T{when}Z",
        "client_ip": cip,
        "client_hostname": chost,
        "server_ip": sip,
        "server_hostname": shost,
        "source_context": ctx,
        "connector_id": conn,
        "source": source,
        "event_id": event,
        "internal_message_id": "1099511627776",
        "message_id": mid,
        "network_message_id": nid,
        "recipient_address": rcpt,
        "recipient_status": status,
        "total_bytes": size,
        "recipient_count": count,
        "related_recipient_address": "",
        "reference": "",
        "message_subject": subject,
        "sender_address": sender,
        "return_path": sender,
        "message_info": "",
        "directionality": direction,
        "tenant_id": TENANT,
        "original_client_ip": original,
        "original_server_ip": "",
        "custom_data": custom,
    }


INVOICE = 'Invoice 4711, March "final"'
M1 = dict(
    mid="<inv-4711@partner.example>",
    nid="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    subject=INVOICE,
    sender="Billing@Partner.example",
    direction="Incoming",
)
SCAN = "Scan from NPI3A5F21\r\nPage 2 of 2"
M2 = dict(
    mid="<NPI3A5F21-1714983400@contoso.com>",
    nid="5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
    subject=SCAN,
    sender="scan@contoso.com",
    direction="Originating",
)
M3 = dict(
    mid="<m-42@contoso.com>",
    nid="7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f",
    subject="Quarterly figures",
    sender="Alice@Contoso.com",
    direction="Originating",
)

NO_BOM_ROWS = [
    row(
        "08:15:30.1234567",
        "RECEIVE",
        "SMTP",
        cip="203.0.113.50",
        chost="mail.partner.example",
        shost=EDGE,
        conn="AM6PEPF0000ABCD\\Default AM6PEPF0000ABCD",
        rcpt="ap@contoso.com;CFO@contoso.com",
        size="20480",
        count="2",
        original="203.0.113.50",
        custom="S:InboundConnectorData=Name=Partner Fabrikam;S:DeliveryPriority=Normal",
        ctx="08DC6D9A1B2C3D4E;2024-05-06T08:15:29.998Z;0",
        **M1,
    ),
    row(
        "08:15:30.5210000",
        "RECEIVE",
        "SMTP",
        cip="2603:10a6:208:ab::15",
        chost=EDGE,
        conn="AM0PR04MB6789\\Default AM0PR04MB6789",
        rcpt="ap@contoso.com;CFO@contoso.com",
        size="20480",
        count="2",
        **M1,
    ),
    row(
        "08:15:31.0000000",
        "RECEIVE",
        "SMTP",
        cip="2603:10a6:20b:1a::15",
        chost="DB8EUR05FT011.eop-eur05.prod.protection.outlook.com",
        conn="AM0PR04MB6789\\Default AM0PR04MB6789",
        rcpt="j.doe@contoso.com",
        size="1834211",
        count="1",
        original="198.51.100.23",
        custom="S:InboundConnectorData=Name=MFP Relay Connector",
        **M2,
    ),
    row(
        "08:15:31.2000000",
        "AGENTINFO",
        "AGENT",
        rcpt="ap@contoso.com;CFO@contoso.com",
        custom=sfa("mail.partner.example", "mail.partner.example", "203.0.113.50"),
        ctx="Spam Filter Agent",
        **M1,
    ),
    row(
        "08:15:31.3000000",
        "AGENTINFO",
        "AGENT",
        rcpt="j.doe@contoso.com",
        custom=sfa("NPI3A5F21", "", "198.51.100.23"),
        ctx="Spam Filter Agent",
        **M2,
    ),
    row(
        "08:15:32.0000000",
        "DELIVER",
        "STOREDRIVER",
        rcpt="ap@contoso.com",
        status="250 2.1.5 RESOLVER.MSGTYPE.AF; handled AutoForward addressed to external recipient",
        **M1,
    ),
    row(
        "08:15:32.1000000",
        "FAIL",
        "ROUTING",
        rcpt="CFO@contoso.com",
        status="550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP "
        "address lookup",
        **M1,
    ),
    row("08:15:32.4000000", "DELIVER", "STOREDRIVER", rcpt="j.doe@contoso.com", **M2),
    row(
        "09:00:00.0000001",
        "RECEIVE",
        "STOREDRIVER",
        cip="2603:10a6:20b:2c::4",
        chost="AM0PR04MB1111.eurprd04.prod.outlook.com",
        rcpt="bob@fabrikam.example",
        size="2048",
        count="1",
        original="192.0.2.10",
        **M3,
    ),
    row(
        "09:00:01.5000000",
        "SEND",
        "SMTP",
        cip="2603:10a6:20b:2c::4",
        chost="AM0PR04MB1111.eurprd04.prod.outlook.com",
        sip="203.0.113.25",
        shost="mx.fabrikam.example",
        conn="Outbound to Fabrikam",
        rcpt="bob@fabrikam.example",
        status="250 2.0.0 Ok: queued as 4F2D1",
        size="2048",
        count="1",
        custom="S:Microsoft.Exchange.Hygiene.TenantOutboundConnectorCustomData=Name=Outbound to "
        "Fabrikam;S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel="
        "EncryptionOnly",
        **M3,
    ),
]

M4 = dict(
    mid="<report-9@erp.contoso.com>",
    nid="",
    subject="Daily report, plant 2\r\n(ERP)",
    sender="sap-noreply@contoso.com",
    direction="Incoming",
)
BOM_ROWS = [
    row(
        "23:59:59.9999999",
        "RECEIVE",
        "SMTP",
        cip="192.0.2.77",
        chost="erp01.contoso.com",
        shost=EDGE,
        conn="AM6PEPF0000ABCD\\Default AM6PEPF0000ABCD",
        rcpt="ops@contoso.com",
        size="4096",
        count="1",
        **M4,
    ),
    row(
        "24:00:00.0000000",
        "AGENTINFO",
        "AGENT",
        rcpt="ops@contoso.com",
        custom=sfa("erp01", "erp01.contoso.com", "192.0.2.77"),
        **M4,
    ),
    row(
        "23:59:59.9999999",
        "AGENTINFO",
        "AGENT",
        rcpt="ops@contoso.com",
        custom=sfa("erp01", "erp01.contoso.com", "192.0.2.77"),
        **M4,
    ),
    row("23:59:59.9999999", "DELIVER", "STOREDRIVER", rcpt="ops@contoso.com", **M4),
]


# A report whose time column is date_time (not date_time_utc), directionality as Microsoft Learn
# documents it (1 inbound, 2 outbound), and Learn's capitalized Recipient_status.
M5 = dict(
    mid="<erp-77@contoso.com>",
    nid="9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b",
    subject="Payment run 77",
    sender="erp@contoso.com",
    direction="2",
)
DATE_TIME_ROWS = [
    row(
        "10:00:00.0000000",
        "RECEIVE",
        "SMTP",
        cip="203.0.113.60",
        chost="erp01.contoso.com",
        shost=EDGE,
        conn="AM6PEPF0000ABCD\\Default AM6PEPF0000ABCD",
        rcpt="bank@fabrikam.example",
        size="8192",
        count="1",
        original="203.0.113.60",
        custom="S:InboundConnectorData=Name=ERP Relay",
        **M5,
    ),
    row(
        "10:00:02.0000000",
        "SEND",
        "SMTP",
        cip="2603:10a6:20b:2c::4",
        chost=HUB,
        sip="198.51.100.40",
        shost="mx.fabrikam.example",
        conn="To Fabrikam",
        rcpt="bank@fabrikam.example",
        status="250 2.0.0 OK",
        size="8192",
        count="1",
        **M5,
    ),
]
DATE_TIME_HEADER = [
    "date_time" if h == "date_time_utc" else "Recipient_status" if h == "recipient_status" else h
    for h in HEADER
]


def write(name: str, rows: list[dict], bom: bool, header: list[str] = HEADER) -> None:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    out.write(",".join(f'"{h}"' for h in header) + "\r\n")
    writer.writerows(rows)
    data = out.getvalue().encode("utf-16-le")
    (HERE / name).write_bytes((codecs.BOM_UTF16_LE if bom else b"") + data)


if __name__ == "__main__":
    write("extended-no-bom.csv", NO_BOM_ROWS, bom=False)
    write("extended-bom.csv", BOM_ROWS, bom=True)
    write("extended-date-time-no-bom.csv", DATE_TIME_ROWS, bom=False, header=DATE_TIME_HEADER)
