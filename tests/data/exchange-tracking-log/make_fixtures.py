"""Writes the tracking-log fixtures next to this script (run it to regenerate them).

* ``MSGTRK2024031509-1.LOG``: a raw Exchange 2019 message tracking log (CRLF, 30 fields).
* ``tracking-export-en-GB.csv``: ``Get-MessageTrackingLog | Select-Object ...,
  @{n='Recipients';e={$_.Recipients -join ';'}}, ... | Export-Csv -NoTypeInformation
  -Encoding UTF8`` from an en-GB session (UTF-8 BOM, every field quoted, local time UTC+1).
* ``tracking-export-string-array.csv``: a plain ``Get-MessageTrackingLog | Export-Csv`` from an
  en-US session: ``#TYPE`` line, remote-PowerShell columns, ``System.String[]`` for Recipients.
* ``MSGTRK2025011409-1.LOG``: a hybrid server's raw log with the events of a real one: NOTIFYMAPI,
  HAREDIRECTFAIL, RECEIVE behind the FrontEnd (``ProxyHop1``, ``ProxiedClientIPAddress`` and
  ``original-client-ip``), HARECEIVE, an intra-organization SEND of another message with only
  ``RequiredTlsAuthLevel``, and a SENDEXTERNAL through "Outbound to Office 365 - <guid>", the only
  row with ``EffectiveTlsAuthLevel``; plus one EventId outside Microsoft's table.
* ``tracking-export-event-data.csv``: the same hops as a plain ``Get-MessageTrackingLog |
  Export-Csv`` from the local Exchange Management Shell (property order from ``RunspaceId`` to
  ``SchemaVersion``): ``EventData`` is a type name, ``OriginalClientIp`` names the device.
* ``MSGTRK2025020310-1.LOG``: one Originating message from a mailbox to a freemail recipient
  (RECEIVE, then SENDEXTERNAL to the internet): nothing in it is the recipient's tenant.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW_FIELDS = (
    "date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
    "connector-id,source,event-id,internal-message-id,message-id,network-message-id,"
    "recipient-address,recipient-status,total-bytes,recipient-count,"
    "related-recipient-address,reference,message-subject,sender-address,return-path,"
    "message-info,directionality,tenant-id,original-client-ip,original-server-ip,"
    "custom-data,transport-traffic-type,log-id,schema-version"
).split(",")
CMDLET_FIELDS = [
    "PSComputerName",
    "RunspaceId",
    "PSShowComputerName",
    "Timestamp",
    "ClientIp",
    "ClientHostname",
    "ServerIp",
    "ServerHostname",
    "SourceContext",
    "ConnectorId",
    "Source",
    "EventId",
    "InternalMessageId",
    "MessageId",
    "NetworkMessageId",
    "Recipients",
    "RecipientStatus",
    "TotalBytes",
    "RecipientCount",
    "RelatedRecipientAddress",
    "Reference",
    "MessageSubject",
    "Sender",
    "ReturnPath",
    "Directionality",
    "TenantId",
    "OriginalClientIp",
    "MessageInfo",
    "MessageLatency",
    "MessageLatencyType",
    "EventData",
    "TransportTrafficType",
    "SchemaVersion",
]
PROXIED = (
    "S:ProxiedClientIPAddress=10.0.30.21;S:ProxiedClientHostname=NPI3A5F21;"
    "S:DeliveryPriority=Normal;S:AccountForest=contoso.com;"
    "S:FirstForestHop=EX01.contoso.com;S:InboundTrustEnabled=False"
)
SEND_DATA = (
    "S:E2ELatency=0.412;S:ExternalSendLatency=0.260;S:ToEntity=Internet;"
    "S:FromEntity=Hosted;"
    "S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=EncryptionOnly;"
    "S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=EncryptionOnly;"
    "S:IsSmtpResponseFromExternalServer=True"
)
KVP = "System.Collections.Generic.KeyValuePair`2[System.String,System.Object][]"

# date-time, client-ip, client-hostname, server-ip, server-hostname, source-context,
# connector-id, source, event-id, internal-id, message-id, network-id, recipients, status,
# bytes, count, subject, sender, return-path, directionality, custom-data
EVENTS = [
    (
        "2024-03-15T09:01:12.345Z",
        "10.0.0.10",
        "EX01.contoso.com",
        "10.0.0.10",
        "EX01",
        "08DC44A1B2C3D102;2024-03-15T09:01:11.900Z;0",
        "EX01\\Default EX01",
        "SMTP",
        "RECEIVE",
        "41231686041602",
        "<NPI3A5F21-1710493201@contoso.com>",
        "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e",
        "j.doe@contoso.com;Team.Scans@contoso.com",
        "",
        "1834211",
        "2",
        "Scanned from a Xerox Multifunction Printer",
        "scan@contoso.com",
        "scan@contoso.com",
        "Originating",
        PROXIED,
    ),
    (
        "2024-03-15T09:01:12.401Z",
        "",
        "",
        "",
        "EX01",
        "TRA",
        "",
        "AGENT",
        "AGENTINFO",
        "41231686041602",
        "<NPI3A5F21-1710493201@contoso.com>",
        "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e",
        "j.doe@contoso.com;Team.Scans@contoso.com",
        "",
        "1834211",
        "2",
        "Scanned from a Xerox Multifunction Printer",
        "scan@contoso.com",
        "scan@contoso.com",
        "Originating",
        "S:TRA=ETR|ruleId=0c1a|st=2024-03-15T09:01:12.400Z",
    ),
    (
        "2024-03-15T09:01:12.900Z",
        "10.0.0.10",
        "EX01",
        "10.0.0.11",
        "EX02.contoso.com",
        "08DC44A1B2C3D103;250 2.0.0 OK",
        "",
        "STOREDRIVER",
        "DELIVER",
        "41231686041602",
        "<NPI3A5F21-1710493201@contoso.com>",
        "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e",
        "j.doe@contoso.com;Team.Scans@contoso.com",
        "",
        "1834211",
        "2",
        "Scanned from a Xerox Multifunction Printer",
        "scan@contoso.com",
        "scan@contoso.com",
        "Originating",
        "S:Mailboxes=7c3e;S:DeliveryLatency=0.412",
    ),
    (
        "2024-03-15T09:05:00.010Z",
        "198.51.100.20",
        "mta.partner.example",
        "10.0.0.10",
        "EX01",
        "08DC44A1B2C3D105;2024-03-15T09:04:59.700Z;0",
        "EX01\\Partner TLS",
        "SMTP",
        "RECEIVE",
        "41231686041603",
        "<inv-4711@partner.example>",
        "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516",
        "ap@contoso.com",
        "",
        "20480",
        "1",
        "Invoice 4711, March",
        "Billing@Partner.example",
        "Billing@Partner.example",
        "Incoming",
        "",
    ),
    (
        "2024-03-15T09:05:00.020Z",
        "",
        "",
        "",
        "EX01",
        "",
        "",
        "SMTP",
        "HAREDIRECT",
        "41231686041603",
        "<inv-4711@partner.example>",
        "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516",
        "ap@contoso.com",
        "",
        "20480",
        "1",
        "Invoice 4711, March",
        "Billing@Partner.example",
        "Billing@Partner.example",
        "Incoming",
        "",
    ),
    (
        "2024-03-15T09:05:00.030Z",
        "",
        "",
        "",
        "EX01",
        "",
        "",
        "ROUTING",
        "RESOLVE",
        "41231686041603",
        "<inv-4711@partner.example>",
        "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516",
        "ap@contoso.com",
        "",
        "20480",
        "1",
        "Invoice 4711, March",
        "Billing@Partner.example",
        "Billing@Partner.example",
        "Incoming",
        "",
    ),
    (
        "0000-00-00T00:00:00.000Z",
        "",
        "",
        "",
        "EX01",
        "",
        "",
        "ROUTING",
        "TRANSFER",
        "41231686041603",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
    (
        "2024-03-15T09:30:00.500Z",
        "10.0.0.10",
        "EX01.contoso.com",
        "203.0.113.25",
        "mx.fabrikam.example",
        "08DC44A1B2C3E001;250 2.0.0 Ok: queued as 4F2D1;ClientSubmitTime:",
        "Outbound to Internet",
        "SMTP",
        "SEND",
        "41231686041604",
        "<m-1@contoso.com>",
        "8a9b0c1d-2e3f-4051-8617-28394a5b6c7d",
        "bob@fabrikam.example",
        "250 2.0.0 Ok: queued as 4F2D1",
        "2048",
        "1",
        "Quarterly figures",
        "Alice@Contoso.com",
        "Alice@Contoso.com",
        "Originating",
        SEND_DATA,
    ),
]


def raw_log() -> None:
    out = io.StringIO()
    for line in (
        "#Software: Microsoft Exchange Server",
        "#Version: 15.02.1544.004",
        "#Log-type: Message Tracking Log",
        "#Date: 2024-03-15T09:00:00.112Z",
        "#Fields: " + ",".join(RAW_FIELDS),
    ):
        out.write(line + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    for n, e in enumerate(EVENTS):
        (
            when,
            cip,
            chost,
            sip,
            shost,
            ctx,
            conn,
            src,
            event,
            iid,
            mid,
            nid,
            rcpt,
            status,
            size,
            count,
            subject,
            sender,
            rpath,
            direction,
            custom,
        ) = e
        writer.writerow(
            [
                when,
                cip,
                chost,
                sip,
                shost,
                ctx,
                conn,
                src,
                event,
                iid,
                mid,
                nid,
                rcpt,
                status,
                size,
                count,
                "",
                "",
                subject,
                sender,
                rpath,
                "",
                direction,
                "",
                "",
                "",
                custom,
                "Email",
                f"0d6f5c7e-1a2b-4c3d-8e9f-{n:012d}",
                "15.02.1544.004",
            ]
        )
    (HERE / "MSGTRK2024031509-1.LOG").write_bytes(out.getvalue().encode("utf-8"))


def _quoted(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def export_en_gb() -> None:
    header = [
        "Timestamp",
        "ClientIp",
        "ClientHostname",
        "ServerIp",
        "ServerHostname",
        "SourceContext",
        "ConnectorId",
        "Source",
        "EventId",
        "InternalMessageId",
        "MessageId",
        "NetworkMessageId",
        "Recipients",
        "RecipientStatus",
        "TotalBytes",
        "RecipientCount",
        "MessageSubject",
        "Sender",
        "ReturnPath",
        "Directionality",
        "OriginalClientIp",
        "EventData",
    ]
    rows = [header]
    local = {
        "2024-03-15T09:01:12.345Z": "15/03/2024 10:01:12",
        "2024-03-15T09:01:12.900Z": "15/03/2024 10:01:12",
        "2024-03-15T09:05:00.010Z": "15/03/2024 10:05:00",
        "2024-03-15T09:30:00.500Z": "15/03/2024 10:30:00",
    }
    for e in EVENTS:
        if e[0] not in local:
            continue
        (
            when,
            cip,
            chost,
            sip,
            shost,
            ctx,
            conn,
            src,
            event,
            iid,
            mid,
            nid,
            rcpt,
            status,
            size,
            count,
            subject,
            sender,
            rpath,
            direction,
            _custom,
        ) = e
        rows.append(
            [
                local[when],
                cip,
                chost,
                sip,
                shost,
                ctx,
                conn,
                src,
                event,
                iid,
                mid,
                nid,
                rcpt,
                status,
                size,
                count,
                subject,
                sender,
                rpath,
                direction,
                "",
                KVP,
            ]
        )
    data = codecs.BOM_UTF8 + _quoted(rows).encode("utf-8")
    (HERE / "tracking-export-en-GB.csv").write_bytes(data)


def export_string_array() -> None:
    rows = [CMDLET_FIELDS]
    local = {
        "2024-03-15T09:05:00.010Z": "3/15/2024 10:05:00 AM",
        "2024-03-15T09:05:00.030Z": "3/15/2024 10:05:00 AM",
        "2024-03-15T09:30:00.500Z": "3/15/2024 10:30:00 AM",
    }
    for e in EVENTS:
        if e[0] not in local:
            continue
        (
            when,
            cip,
            chost,
            sip,
            shost,
            ctx,
            conn,
            src,
            event,
            iid,
            mid,
            nid,
            _rcpt,
            _status,
            size,
            count,
            subject,
            sender,
            rpath,
            direction,
            _custom,
        ) = e
        rows.append(
            [
                "ex01.contoso.com",
                "3f1e2d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
                "False",
                local[when],
                cip,
                chost,
                sip,
                shost,
                ctx,
                conn,
                src,
                event,
                iid,
                mid,
                nid,
                "System.String[]",
                "System.String[]",
                size,
                count,
                "",
                "",
                subject,
                sender,
                rpath,
                direction,
                "",
                "",
                "",
                "",
                "None",
                KVP,
                "Email",
                "15.02.1544.004",
            ]
        )
    text = (
        "#TYPE Deserialized.Microsoft.Exchange.Management.TransportLogSearchTasks."
        "MessageTrackingEvent\r\n" + _quoted(rows)
    )
    (HERE / "tracking-export-string-array.csv").write_bytes(text.encode("ascii"))


LOCAL_FIELDS = CMDLET_FIELDS[1:2] + CMDLET_FIELDS[3:]  # the local shell: no PSComputerName...
O365 = "Outbound to Office 365 - 5d0c7a61-2b3e-4f80-9a1c-6e7d8f901a2b"
HYBRID_SEND = (
    "S:E2ELatency=14.513;S:ExternalSendLatency=0.402;S:ToEntity=Internet;"
    "S:FromEntity=Internet;S:MsgRecipCount=1;S:IncludeInSla=True;"
    "S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel="
    "DomainValidation;"
    "S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel="
    "DomainValidation;S:IsSmtpResponseFromExternalServer=True;"
    "S:DeliveryPriority=Normal;S:OriginalFromAddress=<>;S:AccountForest=fabrikam.example"
)
HYBRID_RECEIVE = (
    "S:ProxyHop1=exhyb01.fabrikam.example(192.0.2.14);S:MessageValue=MediumHigh;"
    "S:Replication=Failed;S:FirstForestHop=exhyb01.fabrikam.example;"
    "S:FromEntity=Internet;S:ProxiedClientIPAddress=192.0.2.51;"
    "S:ProxiedClientHostname=ups01.fabrikam.example;S:DeliveryPriority=Normal;"
    "S:AccountForest=fabrikam.example"
)
INTRA_SEND = (
    "S:E2ELatency=1.928;S:MsgRecipCount=1;S:IncludeInSla=True;"
    "S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=Opportunistic;"
    "S:IsSmtpResponseFromExternalServer=False;S:DeliveryPriority=Normal;"
    "S:AccountForest=fabrikam.example"
)
UPS_ID = "<20250114092839.4F1A2B3C@ups01.fabrikam.example>"
UPS_NET = "3c2b1a09-8f7e-4d6c-5b4a-39281706f5e4"
# date-time, client-ip, client-hostname, server-ip, server-hostname, source-context,
# connector-id, source, event-id, internal-id, message-id, network-id, recipients, status,
# bytes, count, subject, sender, return-path, message-info, directionality,
# original-client-ip, original-server-ip, custom-data
HYBRID = [
    (
        "2025-01-14T09:28:39.334Z",
        "2001:db8:10::25",
        "EXHYB01",
        "",
        "",
        "MDB:6a1f0e2d-3c4b-4a59-8e7d-1f2a3b4c5d6e, Mailbox:0b9a8c7d-6e5f-4a3b-2c1d-0e9f8a7b6c5d, "
        "Event:190620893, MessageClass:IPM.Note, CreationTime:2025-01-14T09:28:39.321Z, "
        "ClientType:MOMT, SubmissionAssistant:MailboxTransportSubmissionEmailAssistant",
        "",
        "STOREDRIVER",
        "NOTIFYMAPI",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "2025-01-14T09:28:39.321Z;LSRV=EXHYB01.fabrikam.example:TOTAL-SUB=0.013|SA=0.013",
        "",
        "",
        "",
        "S:ItemEntryId=00-00-00-00-39-E7-E4-05",
    ),
    (
        "2025-01-14T09:28:50.700Z",
        "",
        "",
        "",
        "exhyb01",
        "No suitable shadow servers",
        "",
        "SMTP",
        "HAREDIRECTFAIL",
        "8774618205227",
        UPS_ID,
        UPS_NET,
        "it-alerts@fabrikam.example",
        "",
        "136349",
        "1",
        "UPS on battery",
        "ups01@fabrikam.example",
        "ups01@fabrikam.example",
        "",
        "Incoming",
        "",
        "",
        "S:DeliveryPriority=Normal;S:AccountForest=fabrikam.example",
    ),
    (
        "2025-01-14T09:28:50.814Z",
        "192.0.2.14",
        "exhyb01.fabrikam.example",
        "192.0.2.14",
        "exhyb01",
        "08DD34A1B2C3D4E5;2025-01-14T09:28:50.512Z;0",
        "exhyb01\\Default exhyb01",
        "SMTP",
        "RECEIVE",
        "8774618205228",
        UPS_ID,
        UPS_NET,
        "it-alerts@fabrikam.example",
        "",
        "136349",
        "1",
        "UPS on battery",
        "ups01@fabrikam.example",
        "ups01@fabrikam.example",
        "0cA: ",
        "Incoming",
        "192.0.2.51",
        "192.0.2.14",
        HYBRID_RECEIVE,
    ),
    (
        "2025-01-14T09:28:50.820Z",
        "192.0.2.15",
        "exhyb02.fabrikam.example",
        "192.0.2.14",
        "exhyb01",
        "08DD34A1B2C3D4E6;2025-01-14T09:28:50.790Z;0",
        "",
        "SMTP",
        "HARECEIVE",
        "8774618205229",
        UPS_ID,
        UPS_NET,
        "it-alerts@fabrikam.example",
        "",
        "136349",
        "1",
        "UPS on battery",
        "ups01@fabrikam.example",
        "ups01@fabrikam.example",
        "",
        "Incoming",
        "",
        "",
        "",
    ),
    (
        "2025-01-14T09:28:52.001Z",
        "192.0.2.14",
        "exhyb01",
        "192.0.2.16",
        "exhyb02.fabrikam.example",
        ";250 2.0.0 OK [Hostname=exhyb02.fabrikam.example];ClientSubmitTime:",
        "Intra-Organization SMTP Send Connector",
        "SMTP",
        "SEND",
        "8774618205230",
        "20250114092851.7C8D9E0F@monitor.fabrikam.example",
        "5e4d3c2b-1a09-4f8e-7d6c-5b4a39281706",
        "ops@fabrikam.example",
        "250 2.1.5 Recipient OK",
        "38663",
        "1",
        "Nightly backup finished",
        "monitor@fabrikam.example",
        "monitor@fabrikam.example",
        "2025-01-14T09:28:51.935Z",
        "Originating",
        "",
        "",
        INTRA_SEND,
    ),
    (
        "2025-01-14T09:29:05.327Z",
        "192.0.2.14",
        "EXHYB01",
        "203.0.113.80",
        "fabrikam-example.mail.protection.outlook.com",
        ";250 2.6.0 " + UPS_ID + " [InternalId=5450313518243, Hostname=AM0PR01MB1234."
        "eurprd01.prod.outlook.com] 141301 bytes in 0.101, 1361.827 KB/sec Queued mail for "
        "delivery;ClientSubmitTime:",
        O365,
        "SMTP",
        "SENDEXTERNAL",
        "8774618205228",
        UPS_ID,
        UPS_NET,
        "it-alerts@fabrikam.example",
        "250 2.1.5 Recipient OK",
        "136349",
        "1",
        "UPS on battery",
        "",
        "<>",
        "2025-01-14T09:28:50.814Z",
        "Incoming",
        "",
        "",
        HYBRID_SEND,
    ),
    (
        "2025-01-14T09:29:05.400Z",
        "",
        "",
        "",
        "exhyb01",
        "",
        "",
        "AGENT",
        "MODIFYMESSAGE",
        "8774618205228",
        UPS_ID,
        UPS_NET,
        "it-alerts@fabrikam.example",
        "",
        "136349",
        "1",
        "UPS on battery",
        "ups01@fabrikam.example",
        "ups01@fabrikam.example",
        "",
        "Incoming",
        "",
        "",
        "",
    ),
]
FREEMAIL = [
    (
        "2025-02-03T10:15:00.120Z",
        "2001:db8:10::25",
        "EXHYB01",
        "2001:db8:10::25",
        "EXHYB01",
        "08DD44B1C2D3E4F5;2025-02-03T10:14:59.980Z;0",
        "",
        "STOREDRIVER",
        "RECEIVE",
        "8774618300001",
        "<a1b2c3d4e5f6@exhyb01.fabrikam.example>",
        "4d3c2b1a-0f9e-4d8c-7b6a-594837261504",
        "pat.lee@freemail.example",
        "",
        "8192",
        "1",
        "Quarterly figures",
        "alex@fabrikam.example",
        "alex@fabrikam.example",
        "",
        "Originating",
        "",
        "",
        "S:DeliveryPriority=Normal;S:AccountForest=fabrikam.example",
    ),
    (
        "2025-02-03T10:15:01.450Z",
        "192.0.2.14",
        "EXHYB01",
        "198.51.100.25",
        "mx1.freemail.example",
        ";250 2.0.0 OK 1738577701 qa1si1234;ClientSubmitTime:",
        "Outbound to Internet",
        "SMTP",
        "SENDEXTERNAL",
        "8774618300001",
        "<a1b2c3d4e5f6@exhyb01.fabrikam.example>",
        "4d3c2b1a-0f9e-4d8c-7b6a-594837261504",
        "pat.lee@freemail.example",
        "250 2.1.5 OK",
        "8192",
        "1",
        "Quarterly figures",
        "alex@fabrikam.example",
        "alex@fabrikam.example",
        "2025-02-03T10:15:00.120Z",
        "Originating",
        "",
        "",
        "S:E2ELatency=1.330;S:ToEntity=Internet;S:FromEntity=Hosted;"
        "S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=Opportunistic;"
        "S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=EncryptionOnly;"
        "S:IsSmtpResponseFromExternalServer=True",
    ),
]


def _raw(name: str, date: str, version: str, events: list[tuple]) -> None:
    """A raw log: LF line ends (as the public sample), 30 fields a line."""
    out = io.StringIO()
    for line in (
        "#Software: Microsoft Exchange Server",
        f"#Version: {version}",
        "#Log-type: Message Tracking Log",
        f"#Date: {date}",
        "#Fields: " + ",".join(RAW_FIELDS),
    ):
        out.write(line + "\n")
    writer = csv.writer(out, lineterminator="\n")
    for n, e in enumerate(events):
        (
            when,
            cip,
            chost,
            sip,
            shost,
            ctx,
            conn,
            src,
            event,
            iid,
            mid,
            nid,
            rcpt,
            status,
            size,
            count,
            subject,
            sender,
            rpath,
            info,
            direction,
            ocip,
            osip,
            custom,
        ) = e
        writer.writerow(
            [
                when,
                cip,
                chost,
                sip,
                shost,
                ctx,
                conn,
                src,
                event,
                iid,
                mid,
                nid,
                rcpt,
                status,
                size,
                count,
                "",
                "",
                subject,
                sender,
                rpath,
                info,
                direction,
                "",
                ocip,
                osip,
                custom,
                "Email" if iid else "",
                f"82f8feae-ef9b-41bf-8500-{n:012d}",
                version,
            ]
        )
    (HERE / name).write_bytes(out.getvalue().encode("utf-8"))


def hybrid_log() -> None:
    _raw("MSGTRK2025011409-1.LOG", "2025-01-14T09:00:00.020Z", "15.01.2507.039", HYBRID)


def freemail_log() -> None:
    _raw("MSGTRK2025020310-1.LOG", "2025-02-03T10:00:00.004Z", "15.02.1544.014", FREEMAIL)


def export_event_data() -> None:
    """Plain Export-Csv in the local shell (en-US, local time UTC+1): type names for
    Recipients, RecipientStatus, Reference and EventData; OriginalClientIp as logged."""
    rows = [LOCAL_FIELDS]
    local = {
        "2025-01-14T09:28:50.814Z": "1/14/2025 10:28:50 AM",
        "2025-01-14T09:28:50.820Z": "1/14/2025 10:28:50 AM",
        "2025-01-14T09:28:52.001Z": "1/14/2025 10:28:52 AM",
        "2025-01-14T09:29:05.327Z": "1/14/2025 10:29:05 AM",
    }
    for e in HYBRID:
        if e[0] not in local:
            continue
        (
            when,
            cip,
            chost,
            sip,
            shost,
            ctx,
            conn,
            src,
            event,
            iid,
            mid,
            nid,
            _rcpt,
            _status,
            size,
            count,
            subject,
            sender,
            rpath,
            info,
            direction,
            ocip,
            _osip,
            _custom,
        ) = e
        rows.append(
            [
                "9d8c7b6a-5f4e-4d3c-2b1a-0f9e8d7c6b5a",
                local[when],
                cip,
                chost,
                sip,
                shost,
                ctx,
                conn,
                src,
                event,
                iid,
                mid,
                nid,
                "System.String[]",
                "System.String[]",
                size,
                count,
                "",
                "System.String[]",
                subject,
                sender,
                rpath,
                direction,
                "",
                ocip,
                info,
                "",
                "None",
                KVP,
                "Email",
                "15.01.2507.039",
            ]
        )
    text = (
        "#TYPE Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent"
        "\r\n" + _quoted(rows)
    )
    (HERE / "tracking-export-event-data.csv").write_bytes(text.encode("ascii"))


if __name__ == "__main__":
    raw_log()
    export_en_gb()
    export_string_array()
    hybrid_log()
    freemail_log()
    export_event_data()
