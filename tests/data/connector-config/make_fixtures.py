"""Writes the connector-config fixtures next to this file (run it, then commit the output).

* ``inbound_export_csv.csv``: ``Get-InboundConnector | Export-Csv`` (Windows PowerShell: #TYPE
  line, every field quoted, CRLF), a subset of the real properties; SenderIPAddresses joined
  with ``|`` on one connector and left as the useless ``System.Collections.ArrayList`` on
  another; a third connector without a name.
* ``receive_export_csv.csv``: ``Get-ReceiveConnector | Export-Csv -NoTypeInformation`` with
  RemoteIPRanges as ``{a, b}`` on one and as the MultiValuedProperty type name on the other.
* ``outbound_array.json``: ``Get-OutboundConnector | ConvertTo-Json`` (PowerShell 7: UTF-8,
  arrays as arrays).
* ``receive_ps51.json``: one receive connector, ``ConvertTo-Json | Out-File`` in Windows
  PowerShell 5.1 (UTF-16LE with BOM, arrays wrapped as {"value": [...], "Count": n}, an enum
  written as a number).
* ``inbound_posh365_select_join.csv``: ``Get-InboundConnector | Select-Object`` with the
  multi-valued properties joined by ``|`` (the property list and order of a public connector
  report script), then ``Export-Csv -NoTypeInformation``: SenderDomains in the address-space
  form ``smtp:*;1``, a disabled connector (``False``) whose single IP lies inside an enabled
  connector's range, two Partner connectors scoped by sender domain with nested ranges, a
  Hybrid wizard connector identified by certificate.
* ``inbound_ps7_enabled_false.json``: ``Get-InboundConnector | ConvertTo-Json -EnumsAsStrings``
  (PowerShell 7): JSON booleans (``"Enabled": false``), SenderDomains as an array of
  ``smtp:...;1`` strings, the Enhanced Filtering properties.
Names and addresses are made up.
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
RUNSPACE = "5f3c1f0e-8d3b-4a55-9e4f-0c1d2e3f4a5b"


def write(name: str, lines: list[str]) -> None:
    (HERE / name).write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def quoted(*fields: str) -> str:
    return ",".join('"' + f.replace('"', '""') + '"' for f in fields)


def main() -> None:
    write(
        "inbound_export_csv.csv",
        [
            "#TYPE Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration."
            "TenantInboundConnector",
            quoted(
                "RunspaceId",
                "Enabled",
                "ConnectorType",
                "ConnectorSource",
                "Comment",
                "SenderIPAddresses",
                "SenderDomains",
                "AssociatedAcceptedDomains",
                "RequireTls",
                "RestrictDomainsToIPAddresses",
                "RestrictDomainsToCertificate",
                "CloudServicesMailEnabled",
                "TreatMessagesAsInternal",
                "TlsSenderCertificateName",
                "Name",
                "Identity",
                "WhenCreated",
            ),
            quoted(
                RUNSPACE,
                "True",
                "OnPremises",
                "Default",
                "MFPs in building A",
                "10.0.0.5|10.0.0.0/24|10.0.1.1-10.0.1.20|2001:db8::/48",
                "*",
                "",
                "False",
                "True",
                "False",
                "False",
                "False",
                "",
                "Scanner relay",
                "Scanner relay",
                "3/1/2024 9:15:02 AM",
            ),
            quoted(
                RUNSPACE,
                "True",
                "Partner",
                "Default",
                "",
                "System.Collections.ArrayList",
                "partner.example",
                "",
                "True",
                "False",
                "True",
                "False",
                "False",
                "mail.partner.example",
                "Partner inbound",
                "Partner inbound",
                "3/2/2024 10:00:00 AM",
            ),
            quoted(
                RUNSPACE,
                "False",
                "OnPremises",
                "Default",
                "",
                "",
                "",
                "",
                "False",
                "False",
                "False",
                "False",
                "False",
                "",
                "",
                "",
                "3/3/2024 10:00:00 AM",
            ),
        ],
    )
    write(
        "receive_export_csv.csv",
        [
            quoted(
                "Name",
                "Identity",
                "Enabled",
                "TransportRole",
                "RemoteIPRanges",
                "Bindings",
                "AuthMechanism",
                "PermissionGroups",
                "RequireTLS",
                "Fqdn",
            ),
            quoted(
                "Default Frontend EX01",
                "EX01\\Default Frontend EX01",
                "True",
                "FrontendTransport",
                "{::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff, 0.0.0.0-255.255.255.255}",
                "0.0.0.0:25;[::]:25",
                "Tls, Integrated, BasicAuth, BasicAuthRequireTLS, ExchangeServer",
                "AnonymousUsers, ExchangeServers, ExchangeLegacyServers",
                "False",
                "EX01.contoso.local",
            ),
            quoted(
                "Scanner relay EX01",
                "EX01\\Scanner relay EX01",
                "True",
                "FrontendTransport",
                "Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]",
                "[::]:25;0.0.0.0:25",
                "None",
                "AnonymousUsers",
                "False",
                "EX01.contoso.local",
            ),
        ],
    )
    outbound = [
        {
            "Enabled": True,
            "UseMXRecord": False,
            "Comment": None,
            "ConnectorType": "Partner",
            "ConnectorSource": "Default",
            "RecipientDomains": ["partner.example", "*.partner.example"],
            "SmartHosts": ["mx1.partner.example", "[192.0.2.10]"],
            "TlsDomain": "mx1.partner.example",
            "TlsSettings": "DomainValidation",
            "IsTransportRuleScoped": False,
            "Name": "To partner",
            "Identity": "To partner",
            "WhenCreated": "2024-02-01T08:00:00",
        },
        {
            "Enabled": False,
            "UseMXRecord": True,
            "Comment": None,
            "ConnectorType": "OnPremises",
            "ConnectorSource": "HybridWizard",
            "RecipientDomains": [],
            "SmartHosts": [],
            "TlsDomain": None,
            "TlsSettings": None,
            "IsTransportRuleScoped": False,
            "Name": "Outbound to Contoso on-premises",
            "Identity": "Outbound to Contoso on-premises",
            "WhenCreated": "2023-05-04T11:12:13",
        },
    ]
    text = json.dumps(outbound, indent=2).replace("\n", "\r\n")
    (HERE / "outbound_array.json").write_bytes(text.encode("utf-8"))
    receive = {
        "Name": "Anonymous relay",
        "Identity": "EX01\\Anonymous relay",
        "Enabled": True,
        "TransportRole": "FrontendTransport",
        "RemoteIPRanges": {"value": ["192.168.10.0/24", "192.168.20.5"], "Count": 2},
        "Bindings": {"value": ["0.0.0.0:25"], "Count": 1},
        "AuthMechanism": 1,
        "PermissionGroups": "AnonymousUsers",
        "RequireTLS": False,
        "Fqdn": "relay.contoso.local",
    }
    text = json.dumps(receive, indent=4).replace("\n", "\r\n")
    (HERE / "receive_ps51.json").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))

    posh365_inbound()
    ps7_inbound()


POSH365 = (
    "Name",
    "Enabled",
    "RequireTls",
    "AssociatedAcceptedDomains",
    "DetectSenderIPBySkippingTheseIPs",
    "DetectSenderIPBySkippingTheseProviders",
    "DetectSenderIPRecipientList",
    "EFSkipIPs",
    "EFSkipMailGateway",
    "EFUsers",
    "ScanAndDropRecipients",
    "SenderDomains",
    "SenderIPAddresses",
    "CloudServicesMailEnabled",
    "Comment",
    "ConnectorSource",
    "ConnectorType",
    "RestrictDomainsToCertificate",
    "RestrictDomainsToIPAddresses",
    "TlsSenderCertificateName",
    "TreatMessagesAsInternal",
    "WhenChangedUTC",
    "WhenCreatedUTC",
    "Identity",
    "IsValid",
    "DetectSenderIPBySkippingLastIP",
    "EFSkipLastIP",
    "EFTestMode",
)


def posh365_inbound() -> None:
    def row(
        name,
        enabled,
        require_tls,
        domains,
        ips,
        source,
        ctype,
        by_cert,
        by_ip,
        cert,
        comment="",
        cloud="False",
        ef_skip="",
        created="10/2/2025 7:41:09 AM",
    ):
        values = {
            "Name": name,
            "Enabled": enabled,
            "RequireTls": require_tls,
            "SenderDomains": domains,
            "SenderIPAddresses": ips,
            "CloudServicesMailEnabled": cloud,
            "Comment": comment,
            "ConnectorSource": source,
            "ConnectorType": ctype,
            "RestrictDomainsToCertificate": by_cert,
            "RestrictDomainsToIPAddresses": by_ip,
            "TlsSenderCertificateName": cert,
            "TreatMessagesAsInternal": "False",
            "WhenChangedUTC": "11/4/2026 4:02:55 PM",
            "WhenCreatedUTC": created,
            "Identity": name,
            "IsValid": "True",
            "DetectSenderIPBySkippingLastIP": "False",
            "EFSkipIPs": ef_skip,
            "EFSkipLastIP": "False",
            "EFTestMode": "False",
        }
        return quoted(*(values.get(p, "") for p in POSH365))

    write(
        "inbound_posh365_select_join.csv",
        [
            quoted(*POSH365),
            # Switched off on 2026-11-04 when the scanners moved to the new relay.
            row(
                "Scanner relay (old)",
                "False",
                "False",
                "smtp:*;1",
                "192.0.2.25",
                "AdminUI",
                "OnPremises",
                "False",
                "False",
                "",
                comment="replaced by Scanner relay",
            ),
            row(
                "Scanner relay",
                "True",
                "False",
                "smtp:*;1",
                "192.0.2.0/24|203.0.113.7",
                "AdminUI",
                "OnPremises",
                "False",
                "False",
                "",
            ),
            row(
                "Partner - Woodgrove",
                "True",
                "True",
                "smtp:woodgrove.example;1",
                "198.51.100.20",
                "AdminUI",
                "Partner",
                "False",
                "True",
                "",
            ),
            row(
                "Partner - Fabrikam",
                "True",
                "True",
                "smtp:fabrikam.example;1|smtp:*.fabrikam.example;1",
                "198.51.100.0/24",
                "Default",
                "Partner",
                "False",
                "True",
                "",
            ),
            row(
                "Inbound from 6c1d4a8e-3b2f-4e5d-9a0b-1c2d3e4f5a6b",
                "True",
                "False",
                "smtp:*;1",
                "",
                "HybridWizard",
                "OnPremises",
                "True",
                "False",
                "mail.contoso.example",
                cloud="True",
                created="5/4/2023 11:12:13 AM",
            ),
        ],
    )


def ps7_inbound() -> None:
    common = {
        "AssociatedAcceptedDomains": [],
        "ClientHostNames": [],
        "CloudServicesMailEnabled": False,
        "Comment": None,
        "ConnectorSource": "Default",
        "EFSkipIPs": [],
        "EFSkipLastIP": False,
        "EFSkipMailGateway": [],
        "EFTestMode": False,
        "EFUsers": [],
        "RestrictDomainsToCertificate": False,
        "ScanAndDropRecipients": [],
        "TreatMessagesAsInternal": False,
        "TrustedOrganizations": [],
        "AdminDisplayName": "",
        "ExchangeVersion": "0.1 (8.0.535.0)",
        "WhenChangedUTC": "2026-11-04T16:02:55Z",
        "WhenCreatedUTC": "2025-10-02T07:41:09Z",
        "IsValid": True,
        "ObjectState": "Unchanged",
    }
    inbound = [
        {
            **common,
            "Enabled": False,
            "ConnectorType": "Partner",
            "SenderDomains": ["smtp:*;1"],
            "SenderIPAddresses": ["203.0.113.64/27"],
            "RequireTls": True,
            "RestrictDomainsToIPAddresses": True,
            "TlsSenderCertificateName": None,
            "EFSkipIPs": ["203.0.113.64/27"],
            "Name": "Mail gateway (standby)",
            "Identity": "Mail gateway (standby)",
        },
        {
            **common,
            "Enabled": True,
            "ConnectorType": "Partner",
            "SenderDomains": ["smtp:*;1"],
            "SenderIPAddresses": ["203.0.113.0/27"],
            "RequireTls": True,
            "RestrictDomainsToIPAddresses": True,
            "TlsSenderCertificateName": None,
            "EFSkipIPs": ["203.0.113.0/27"],
            "Name": "Mail gateway",
            "Identity": "Mail gateway",
        },
    ]
    text = json.dumps(inbound, indent=2).replace("\n", "\r\n")
    (HERE / "inbound_ps7_enabled_false.json").write_bytes(text.encode("utf-8"))


if __name__ == "__main__":
    main()
