"""Writes the tracking-log fixtures next to this script (run it to regenerate them).

* ``MSGTRK2024031509-1.LOG``: a raw Exchange 2019 message tracking log (CRLF, 30 fields).
* ``tracking-export-en-GB.csv``: ``Get-MessageTrackingLog | Select-Object ...,
  @{n='Recipients';e={$_.Recipients -join ';'}}, ... | Export-Csv -NoTypeInformation
  -Encoding UTF8`` from an en-GB session (UTF-8 BOM, every field quoted, local time UTC+1).
* ``tracking-export-string-array.csv``: a plain ``Get-MessageTrackingLog | Export-Csv`` from an
  en-US session: ``#TYPE`` line, remote-PowerShell columns, ``System.String[]`` for Recipients.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

HERE = Path(__file__).resolve().parent
RAW_FIELDS = ("date-time,client-ip,client-hostname,server-ip,server-hostname,source-context,"
              "connector-id,source,event-id,internal-message-id,message-id,network-message-id,"
              "recipient-address,recipient-status,total-bytes,recipient-count,"
              "related-recipient-address,reference,message-subject,sender-address,return-path,"
              "message-info,directionality,tenant-id,original-client-ip,original-server-ip,"
              "custom-data,transport-traffic-type,log-id,schema-version").split(",")
CMDLET_FIELDS = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Timestamp", "ClientIp",
                 "ClientHostname", "ServerIp", "ServerHostname", "SourceContext", "ConnectorId",
                 "Source", "EventId", "InternalMessageId", "MessageId", "NetworkMessageId",
                 "Recipients", "RecipientStatus", "TotalBytes", "RecipientCount",
                 "RelatedRecipientAddress", "Reference", "MessageSubject", "Sender",
                 "ReturnPath", "Directionality", "TenantId", "OriginalClientIp", "MessageInfo",
                 "MessageLatency", "MessageLatencyType", "EventData", "TransportTrafficType",
                 "SchemaVersion"]
PROXIED = ("S:ProxiedClientIPAddress=10.0.30.21;S:ProxiedClientHostname=NPI3A5F21;"
           "S:DeliveryPriority=Normal;S:AccountForest=contoso.com;"
           "S:FirstForestHop=EX01.contoso.com;S:InboundTrustEnabled=False")
SEND_DATA = ("S:E2ELatency=0.412;S:ExternalSendLatency=0.260;S:ToEntity=Internet;"
             "S:FromEntity=Hosted;"
             "S:Microsoft.Exchange.Transport.MailRecipient.RequiredTlsAuthLevel=EncryptionOnly;"
             "S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=EncryptionOnly;"
             "S:IsSmtpResponseFromExternalServer=True")
KVP = "System.Collections.Generic.KeyValuePair`2[System.String,System.Object][]"

# date-time, client-ip, client-hostname, server-ip, server-hostname, source-context,
# connector-id, source, event-id, internal-id, message-id, network-id, recipients, status,
# bytes, count, subject, sender, return-path, directionality, custom-data
EVENTS = [
    ("2024-03-15T09:01:12.345Z", "10.0.0.10", "EX01.contoso.com", "10.0.0.10", "EX01",
     "08DC44A1B2C3D102;2024-03-15T09:01:11.900Z;0", "EX01\\Default EX01", "SMTP", "RECEIVE",
     "41231686041602", "<NPI3A5F21-1710493201@contoso.com>",
     "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e", "j.doe@contoso.com;Team.Scans@contoso.com", "",
     "1834211", "2", "Scanned from a Xerox Multifunction Printer", "scan@contoso.com",
     "scan@contoso.com", "Originating", PROXIED),
    ("2024-03-15T09:01:12.401Z", "", "", "", "EX01", "TRA", "", "AGENT", "AGENTINFO",
     "41231686041602", "<NPI3A5F21-1710493201@contoso.com>",
     "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e", "j.doe@contoso.com;Team.Scans@contoso.com", "",
     "1834211", "2", "Scanned from a Xerox Multifunction Printer", "scan@contoso.com",
     "scan@contoso.com", "Originating", "S:TRA=ETR|ruleId=0c1a|st=2024-03-15T09:01:12.400Z"),
    ("2024-03-15T09:01:12.900Z", "10.0.0.10", "EX01", "10.0.0.11", "EX02.contoso.com",
     "08DC44A1B2C3D103;250 2.0.0 OK", "", "STOREDRIVER", "DELIVER", "41231686041602",
     "<NPI3A5F21-1710493201@contoso.com>", "6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e",
     "j.doe@contoso.com;Team.Scans@contoso.com", "", "1834211", "2",
     "Scanned from a Xerox Multifunction Printer", "scan@contoso.com", "scan@contoso.com",
     "Originating", "S:Mailboxes=7c3e;S:DeliveryLatency=0.412"),
    ("2024-03-15T09:05:00.010Z", "198.51.100.20", "mta.partner.example", "10.0.0.10", "EX01",
     "08DC44A1B2C3D105;2024-03-15T09:04:59.700Z;0", "EX01\\Partner TLS", "SMTP", "RECEIVE",
     "41231686041603", "<inv-4711@partner.example>", "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516",
     "ap@contoso.com", "", "20480", "1", "Invoice 4711, March", "Billing@Partner.example",
     "Billing@Partner.example", "Incoming", ""),
    ("2024-03-15T09:05:00.020Z", "", "", "", "EX01", "", "", "SMTP", "HAREDIRECT",
     "41231686041603", "<inv-4711@partner.example>", "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516",
     "ap@contoso.com", "", "20480", "1", "Invoice 4711, March", "Billing@Partner.example",
     "Billing@Partner.example", "Incoming", ""),
    ("2024-03-15T09:05:00.030Z", "", "", "", "EX01", "", "", "ROUTING", "RESOLVE",
     "41231686041603", "<inv-4711@partner.example>", "1b2c3d4e-5f60-4718-9a0b-c1d2e3f40516",
     "ap@contoso.com", "", "20480", "1", "Invoice 4711, March", "Billing@Partner.example",
     "Billing@Partner.example", "Incoming", ""),
    ("0000-00-00T00:00:00.000Z", "", "", "", "EX01", "", "", "ROUTING", "TRANSFER",
     "41231686041603", "", "", "", "", "", "", "", "", "", "", ""),
    ("2024-03-15T09:30:00.500Z", "10.0.0.10", "EX01.contoso.com", "203.0.113.25",
     "mx.fabrikam.example", "08DC44A1B2C3E001;250 2.0.0 Ok: queued as 4F2D1;ClientSubmitTime:",
     "Outbound to Internet", "SMTP", "SEND", "41231686041604", "<m-1@contoso.com>",
     "8a9b0c1d-2e3f-4051-8617-28394a5b6c7d", "bob@fabrikam.example",
     "250 2.0.0 Ok: queued as 4F2D1", "2048", "1", "Quarterly figures", "Alice@Contoso.com",
     "Alice@Contoso.com", "Originating", SEND_DATA),
]


def raw_log() -> None:
    out = io.StringIO()
    for line in ("#Software: Microsoft Exchange Server", "#Version: 15.02.1544.004",
                 "#Log-type: Message Tracking Log", "#Date: 2024-03-15T09:00:00.112Z",
                 "#Fields: " + ",".join(RAW_FIELDS)):
        out.write(line + "\r\n")
    writer = csv.writer(out, lineterminator="\r\n")
    for n, e in enumerate(EVENTS):
        (when, cip, chost, sip, shost, ctx, conn, src, event, iid, mid, nid, rcpt, status,
         size, count, subject, sender, rpath, direction, custom) = e
        writer.writerow([when, cip, chost, sip, shost, ctx, conn, src, event, iid, mid, nid,
                         rcpt, status, size, count, "", "", subject, sender, rpath, "",
                         direction, "", "", "", custom, "Email",
                         f"0d6f5c7e-1a2b-4c3d-8e9f-{n:012d}", "15.02.1544.004"])
    (HERE / "MSGTRK2024031509-1.LOG").write_bytes(out.getvalue().encode("utf-8"))


def _quoted(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


def export_en_gb() -> None:
    header = ["Timestamp", "ClientIp", "ClientHostname", "ServerIp", "ServerHostname",
              "SourceContext", "ConnectorId", "Source", "EventId", "InternalMessageId",
              "MessageId", "NetworkMessageId", "Recipients", "RecipientStatus", "TotalBytes",
              "RecipientCount", "MessageSubject", "Sender", "ReturnPath", "Directionality",
              "OriginalClientIp", "EventData"]
    rows = [header]
    local = {"2024-03-15T09:01:12.345Z": "15/03/2024 10:01:12",
             "2024-03-15T09:01:12.900Z": "15/03/2024 10:01:12",
             "2024-03-15T09:05:00.010Z": "15/03/2024 10:05:00",
             "2024-03-15T09:30:00.500Z": "15/03/2024 10:30:00"}
    for e in EVENTS:
        if e[0] not in local:
            continue
        (when, cip, chost, sip, shost, ctx, conn, src, event, iid, mid, nid, rcpt, status,
         size, count, subject, sender, rpath, direction, _custom) = e
        rows.append([local[when], cip, chost, sip, shost, ctx, conn, src, event, iid, mid, nid,
                     rcpt, status, size, count, subject, sender, rpath, direction, "", KVP])
    data = codecs.BOM_UTF8 + _quoted(rows).encode("utf-8")
    (HERE / "tracking-export-en-GB.csv").write_bytes(data)


def export_string_array() -> None:
    rows = [CMDLET_FIELDS]
    local = {"2024-03-15T09:05:00.010Z": "3/15/2024 10:05:00 AM",
             "2024-03-15T09:05:00.030Z": "3/15/2024 10:05:00 AM",
             "2024-03-15T09:30:00.500Z": "3/15/2024 10:30:00 AM"}
    for e in EVENTS:
        if e[0] not in local:
            continue
        (when, cip, chost, sip, shost, ctx, conn, src, event, iid, mid, nid, _rcpt, _status,
         size, count, subject, sender, rpath, direction, _custom) = e
        rows.append(["ex01.contoso.com", "3f1e2d4c-5b6a-4798-8a7b-6c5d4e3f2a1b", "False",
                     local[when], cip, chost, sip, shost, ctx, conn, src, event, iid, mid, nid,
                     "System.String[]", "System.String[]", size, count, "", "", subject,
                     sender, rpath, direction, "", "", "", "", "None", KVP, "Email",
                     "15.02.1544.004"])
    text = ("#TYPE Deserialized.Microsoft.Exchange.Management.TransportLogSearchTasks."
            "MessageTrackingEvent\r\n" + _quoted(rows))
    (HERE / "tracking-export-string-array.csv").write_bytes(text.encode("ascii"))


if __name__ == "__main__":
    raw_log()
    export_en_gb()
    export_string_array()
