"""Connector configuration exports: Get-InboundConnector | ConvertTo-Json (an array) and
Get-OutboundConnector | Export-Csv from Exchange Online, Get-ReceiveConnector | Export-Csv
from the Exchange 2010 Management Shell on EXCH01."""

from __future__ import annotations

from datetime import datetime

from . import story as s
from .encode import CRLF, Raw, ms_json_date, ps51_json, ps_date, quoted_csv


def _common(name: str, guid: str, created: datetime, changed: datetime) -> dict:
    dn = ("CN=" + name + ",CN=Transport Settings,CN=northwindtraders.onmicrosoft.com,"
          "CN=ConfigurationUnits,DC=EURPR02A011,DC=PROD,DC=OUTLOOK,DC=COM")
    return {
        "AdminDisplayName": "",
        "ExchangeVersion": "0.1 (8.0.535.0)",
        "Name": name,
        "DistinguishedName": dn,
        "Identity": name,
        "ObjectCategory": "EURPR02A011.PROD.OUTLOOK.COM/Configuration/Schema/"
                          "ms-Exch-SMTP-Inbound-Connector",
        "ObjectClass": ["top", "msExchSMTPInboundConnector"],
        "WhenChanged": Raw(ms_json_date(changed)),
        "WhenCreated": Raw(ms_json_date(created)),
        "WhenChangedUTC": Raw(ms_json_date(changed)),
        "WhenCreatedUTC": Raw(ms_json_date(created)),
        "ExchangeObjectId": guid,
        "OrganizationId": "EURPR02A011.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/"
                          "northwindtraders.onmicrosoft.com - EURPR02A011.PROD.OUTLOOK.COM/"
                          "ConfigurationUnits/northwindtraders.onmicrosoft.com/Configuration",
        "Id": name,
        "Guid": guid,
        "IsValid": True,
        "ObjectState": "Unchanged",
    }


RUNSPACE = "8e2f4b7a-3c19-4d5e-a6b0-1f7c9d2e5a43"  # the admin's Exchange Online session


def _inbound(name, kind, ips, domains, require_tls, cert, comment, guid, created, changed,
             restrict_cert=False, cloud=False):
    connector = {
        "PSComputerName": "outlook.office365.com",
        "RunspaceId": RUNSPACE,
        "PSShowComputerName": False,
        "Enabled": True,
        "ConnectorType": kind,
        "ConnectorSource": "HybridWizard" if cloud else "Default",
        "Comment": comment,
        "SenderIPAddresses": ips,
        "SenderDomains": domains,
        "TrustedOrganizations": [],
        "AssociatedAcceptedDomains": [],
        "RequireTls": require_tls,
        "RestrictDomainsToIPAddresses": bool(ips),
        "RestrictDomainsToCertificate": restrict_cert,
        "CloudServicesMailEnabled": cloud,
        "TreatMessagesAsInternal": False,
        "TlsSenderCertificateName": cert,
        "EFTestMode": False,
        "ScanAndDropRecipients": [],
        "EFSkipLastIP": False,
        "EFSkipIPs": [],
        "EFSkipMailGateway": [],
        "EFUsers": [],
    }
    connector.update(_common(name, guid, created, changed))
    return connector


def inbound_connectors() -> bytes:
    """Windows PowerShell 5.1: Get-InboundConnector | ConvertTo-Json | Out-File, which writes
    UTF-16LE with a BOM."""
    items = [
        _inbound(s.SCANNER_RELAY, "OnPremises", [s.RELAY_IP], ["smtp:*;1"], False, None,
                 "Postfix relay01 (CentOS 6) for the KM C258 MFPs and the HP scanner",
                 "3c1f5e2a-8d47-4b6e-9a10-2f5c7d9e4b11", datetime(2019, 3, 14, 10, 2, 51),
                 datetime(2024, 6, 3, 15, 40, 9)),
        _inbound(s.HYBRID_IN, "OnPremises", [s.EXCH01_IP], ["smtp:*;1"], True,
                 "mail.northwindtraders.example", "", "b8e0d4f6-27c3-4a95-8e6d-0c1a9f3b5d72",
                 datetime(2021, 9, 22, 8, 15, 33), datetime(2025, 2, 11, 9, 1, 47), cloud=True),
        _inbound(s.WOODGROVE_IN, "Partner", [], ["smtp:woodgrovebank.example;1"], True,
                 "mail.woodgrovebank.example", "Woodgrove Bank payment advices; TLS required",
                 "e4a7c2d9-5b18-4f3e-b6a0-91d8e7c5f324", datetime(2023, 1, 18, 13, 27, 5),
                 datetime(2023, 1, 18, 13, 27, 5), restrict_cert=True),
    ]
    text = ps51_json(items) + CRLF
    return b"\xff\xfe" + text.encode("utf-16-le")


OUTBOUND_HEADER = ["PSComputerName", "RunspaceId", "PSShowComputerName", "Enabled", "UseMXRecord",
                   "Comment", "ConnectorType", "ConnectorSource", "RecipientDomains", "SmartHosts",
                   "TlsDomain", "TlsSettings", "IsTransportRuleScoped",
                   "RouteAllMessagesViaOnPremises", "CloudServicesMailEnabled",
                   "AllAcceptedDomains", "SenderRewritingEnabled", "TestMode",
                   "LinkForModifiedConnector", "ValidationRecipients", "IsValidated",
                   "LastValidationTimestamp", "AdminDisplayName", "ExchangeVersion", "Name",
                   "DistinguishedName", "Identity", "ObjectCategory", "ObjectClass",
                   "WhenChanged", "WhenCreated", "WhenChangedUTC", "WhenCreatedUTC",
                   "ExchangeObjectId", "OrganizationalUnitRoot", "OrganizationId", "Id", "Guid",
                   "OriginatingServer", "IsValid", "ObjectState"]


def outbound_connectors(runspace: str = RUNSPACE) -> bytes:
    """Windows PowerShell 5.1, with the multi-valued properties joined as o365tls's README
    advises (plain Export-Csv writes their type name, System.Collections.ArrayList):
    Get-OutboundConnector | Select-Object *,
      @{n='RecipientDomains';e={$_.RecipientDomains -join ';'}},
      @{n='SmartHosts';e={$_.SmartHosts -join ';'}} -ExcludeProperty RecipientDomains,SmartHosts |
    Export-Csv outbound.csv  (type line, ASCII)."""
    rows = []
    for name, kind, use_mx, tls_domain, comment, cloud, guid, created, changed, domains, hosts in [
        (s.WOODGROVE_OUT, "Partner", "True", "mail.woodgrovebank.example",
         "Payment files to Woodgrove Bank, TLS with domain validation", "False",
         "7d2e9b41-c5a8-4f06-8e3b-5a1c0f9d6e28", datetime(2023, 1, 18, 13, 31, 44),
         datetime(2023, 1, 18, 13, 31, 44), "woodgrovebank.example", ""),
        (s.HYBRID_OUT, "OnPremises", "False", "mail.northwindtraders.example", "", "True",
         "a9f3c6e0-1d72-4b58-93e4-6c8b2d0f7a15", datetime(2021, 9, 22, 8, 15, 41),
         datetime(2025, 2, 11, 9, 1, 52), "northwindtraders.example",
         "mail.northwindtraders.example"),
    ]:
        dn = (f"CN={name},CN=Transport Settings,CN=northwindtraders.onmicrosoft.com,"
              "CN=ConfigurationUnits,DC=EURPR02A011,DC=PROD,DC=OUTLOOK,DC=COM")
        rows.append(["outlook.office365.com", runspace, "False", "True", use_mx, comment, kind,
                     "HybridWizard" if cloud == "True" else "Default", domains, hosts,
                     tls_domain, "DomainValidation", "False", "False", cloud, "False", "False",
                     "False", "", "", "False", "", "", "0.1 (8.0.535.0)", name, dn, name,
                     "EURPR02A011.PROD.OUTLOOK.COM/Configuration/Schema/ms-Exch-SMTP-Outbound-Connector",
                     "top msExchSMTPOutboundConnector", ps_date(changed), ps_date(created),
                     ps_date(changed), ps_date(created), guid, "northwindtraders.onmicrosoft.com",
                     "EURPR02A011.PROD.OUTLOOK.COM/Microsoft Exchange Hosted Organizations/"
                     "northwindtraders.onmicrosoft.com - EURPR02A011.PROD.OUTLOOK.COM/"
                     "ConfigurationUnits/northwindtraders.onmicrosoft.com/Configuration",
                     name, guid, "DB8PR02A11DC003.EURPR02A011.PROD.OUTLOOK.COM", "True",
                     "Unchanged"])
    text = "#TYPE Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration." \
           "TenantOutboundConnector" + CRLF + quoted_csv(OUTBOUND_HEADER, rows)
    return text.encode("ascii", errors="replace")


def receive_connectors() -> bytes:
    """Exchange 2010 Management Shell (PowerShell 2.0) on EXCH01:
    Get-ReceiveConnector | Select-Object Identity,Name,Server,Enabled,
      @{n='Bindings';e={$_.Bindings -join ';'}},
      @{n='RemoteIPRanges';e={$_.RemoteIPRanges -join ';'}},
      AuthMechanism,PermissionGroups,RequireTLS,Fqdn,MaxMessageSize,ProtocolLoggingLevel |
    Export-Csv -NoTypeInformation -Encoding UTF8 (UTF-8 with BOM, for the accented name)."""
    header = ["Identity", "Name", "Server", "Enabled", "Bindings", "RemoteIPRanges",
              "AuthMechanism", "PermissionGroups", "RequireTLS", "Fqdn", "MaxMessageSize",
              "ProtocolLoggingLevel"]
    anon = s.ANON_RELAY.split("\\", 1)[1]
    lan = [s.LAN_SENDERS[k][2] for k in ("label", "veeam", "app")]
    rows = [
        [s.DEFAULT_CONN, "Default EXCH01", "EXCH01", "True", "0.0.0.0:25;[::]:25",
         "0.0.0.0-255.255.255.255;::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
         "AnonymousUsers, ExchangeUsers, ExchangeServers, ExchangeLegacyServers", "False",
         "mail.northwindtraders.example", "35 MB (36,700,160 bytes)", "Verbose"],
        [s.CLIENT_CONN, "Client EXCH01", "EXCH01", "True", "0.0.0.0:587;[::]:587",
         "0.0.0.0-255.255.255.255;::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
         "Tls, Integrated, BasicAuth, BasicAuthRequireTLS", "ExchangeUsers", "False",
         "EXCH01.northwind.local", "10 MB (10,485,760 bytes)", "Verbose"],
        [s.ANON_RELAY, anon, "EXCH01", "True", "0.0.0.0:25", ";".join(lan), "Tls",
         "AnonymousUsers", "False", "EXCH01.northwind.local", "10 MB (10,485,760 bytes)",
         "Verbose"],
    ]
    return b"\xef\xbb\xbf" + quoted_csv(header, rows).encode("utf-8")
