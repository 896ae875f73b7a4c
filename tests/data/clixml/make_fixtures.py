"""Writes the clixml fixtures next to this file (run it, then commit the output).

Every file is written as ``Export-Clixml`` writes: UTF-16LE with a BOM, no XML declaration,
CRLF line ends, two spaces of indent per level, an ``<Objs Version="1.1.0.1">`` root in the
PowerShell namespace, type-name lists written once (``<TN RefId>``) and referred to after
(``<TNRef>``), objects from a remote Exchange session typed ``Deserialized.``.

* ``inbound_connectors.xml``: ``Get-InboundConnector | Export-Clixml`` (Exchange Online): an
  OnPremises connector whose SenderIPAddresses is a real list, and a partner connector with an
  empty list, a ``<Nil>``, a certificate name and a ``<Ref>`` back to a list written before.
* ``mixed_objects.xml``: an outbound connector, an Exchange Server receive connector, and a
  mailbox (a type o365tls does not read: rejected, named).
* ``tracking_events.xml``: ``Get-MessageTrackingLog | Export-Clixml`` in the Exchange
  Management Shell: RECEIVE with EventData (ProxiedClientIPAddress, EffectiveTlsAuthLevel),
  DELIVER and SEND events, Recipients as lists, Timestamp with its UTC offset.
* ``sample_inbound_connectors.xml``: the sample tenant's ``inbound-connectors.json``
  (sample_reports/exo) as Clixml, property for property.
* ``hostile_values.xml``: formula-looking names, markup, ``_x001B_``-escaped control
  characters, a property nested deeper than any export.
* ``hostile_doctype.xml``: a document type with nested entities (entity expansion): refused.
Names and addresses are made up (documentation ranges, *.example).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).resolve().parent
SAMPLE_JSON = HERE.parents[2] / "sample_reports" / "exo" / "inbound-connectors.json"
NS = "http://schemas.microsoft.com/powershell/2004/04"
RUNSPACE = "0b8e2f4c-1d2a-4c3b-9e8f-7a6b5c4d3e2f"
EXO = "outlook.office365.com"
INBOUND = (
    "Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.TenantInboundConnector",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADConfigurationObject",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADObject",
    "Deserialized.Microsoft.Exchange.Data.Directory.ADRawEntry",
    "Deserialized.Microsoft.Exchange.Data.ConfigurableObject",
    "Deserialized.System.Object",
)
OUTBOUND = (INBOUND[0].replace("TenantInbound", "TenantOutbound"), *INBOUND[1:])
RECEIVE = (INBOUND[0].replace("TenantInboundConnector", "ReceiveConnector"), *INBOUND[1:])
MAILBOX = (
    "Deserialized.Microsoft.Exchange.Data.Directory.Management.Mailbox",
    "Deserialized.Microsoft.Exchange.Data.Directory.Management.MailEnabledOrgPerson",
    "Deserialized.System.Object",
)
TRACKING = (
    "Deserialized.Microsoft.Exchange.Management.TransportLogSearchTasks.MessageTrackingEvent",
    "Deserialized.System.Object",
)


def mvp(kind: str) -> tuple[str, ...]:
    return (
        f"Deserialized.Microsoft.Exchange.Data.MultiValuedProperty`1[[{kind}, "
        "Microsoft.Exchange.Data, Version=15.20.0.0, Culture=neutral, "
        "PublicKeyToken=31bf3856ad364e35]]",
        "Deserialized.Microsoft.Exchange.Data.MultiValuedPropertyBase",
        "Deserialized.System.Object",
    )


class Writer:
    """Export-Clixml's layout: RefIds counted per file, type-name lists written once."""

    def __init__(self) -> None:
        self.lines = [f'<Objs Version="1.1.0.1" xmlns="{NS}">']
        self.obj_ids = 0
        self.type_ids: dict[tuple[str, ...], int] = {}

    def types(self, names: tuple[str, ...], indent: str) -> None:
        if names in self.type_ids:
            self.lines.append(f'{indent}<TNRef RefId="{self.type_ids[names]}" />')
            return
        self.type_ids[names] = len(self.type_ids)
        self.lines.append(f'{indent}<TN RefId="{self.type_ids[names]}">')
        self.lines += [f"{indent}  <T>{escape(n)}</T>" for n in names]
        self.lines.append(f"{indent}</TN>")

    def value(self, name: str | None, value, indent: str) -> int | None:
        """Write one value; returns the RefId of an object written."""
        n = "" if name is None else f" N={quoteattr(name)}"
        if value is None:
            self.lines.append(f"{indent}<Nil{n} />")
        elif isinstance(value, bool):
            self.lines.append(f"{indent}<B{n}>{str(value).lower()}</B>")
        elif isinstance(value, int):
            self.lines.append(f"{indent}<I32{n}>{value}</I32>")
        elif isinstance(value, tuple) and value and value[0] == "DT":
            self.lines.append(f"{indent}<DT{n}>{value[1]}</DT>")
        elif isinstance(value, tuple) and value and value[0] == "Ref":
            self.lines.append(f'{indent}<Ref{n} RefId="{value[1]}" />')
        elif isinstance(value, tuple) and value and value[0] == "Obj":
            return self.obj(name, value[1], value[2], indent, value[3] if len(value) > 3 else "")
        elif isinstance(value, list):
            return self.collection(name, value, indent)
        else:
            self.lines.append(f"{indent}<S{n}>{escape(str(value))}</S>")
        return None

    def collection(
        self,
        name: str | None,
        items: list,
        indent: str,
        types: tuple[str, ...] = mvp("System.String"),
    ) -> int:
        ref = self.obj_ids
        self.obj_ids += 1
        n = "" if name is None else f" N={quoteattr(name)}"
        self.lines.append(f'{indent}<Obj{n} RefId="{ref}">')
        self.types(types, indent + "  ")
        if items:
            self.lines.append(f"{indent}  <LST>")
            for item in items:
                self.value(None, item, indent + "    ")
            self.lines.append(f"{indent}  </LST>")
        else:
            self.lines.append(f"{indent}  <LST />")
        self.lines.append(f"{indent}</Obj>")
        return ref

    def obj(
        self,
        name: str | None,
        types: tuple[str, ...],
        props: dict,
        indent: str = "  ",
        text: str = "",
        extended: dict | None = None,
    ) -> int:
        ref = self.obj_ids
        self.obj_ids += 1
        n = "" if name is None else f" N={quoteattr(name)}"
        self.lines.append(f'{indent}<Obj{n} RefId="{ref}">')
        self.types(types, indent + "  ")
        if text:
            self.lines.append(f"{indent}  <ToString>{escape(text)}</ToString>")
        for tag, members in (("Props", props), ("MS", extended or {})):
            if not members:
                continue
            self.lines.append(f"{indent}  <{tag}>")
            for key, value in members.items():
                self.value(key, value, indent + "    ")
            self.lines.append(f"{indent}  </{tag}>")
        self.lines.append(f"{indent}</Obj>")
        return ref

    def save(self, name: str) -> None:
        text = "\r\n".join([*self.lines, "</Objs>"])
        (HERE / name).write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))


REMOTE = {"PSComputerName": EXO, "RunspaceId": RUNSPACE, "PSShowComputerName": False}


def inbound(
    name: str, connector_type: str, ips: list, require_tls: bool, certificate=None, domains=None
) -> dict:
    return {
        "Enabled": True,
        "ConnectorType": connector_type,
        "ConnectorSource": "Default",
        "Comment": "",
        "SenderIPAddresses": ips,
        "SenderDomains": domains or ["smtp:*;1"],
        "AssociatedAcceptedDomains": [],
        "RequireTls": require_tls,
        "RestrictDomainsToIPAddresses": bool(ips),
        "RestrictDomainsToCertificate": False,
        "CloudServicesMailEnabled": connector_type == "OnPremises",
        "TreatMessagesAsInternal": False,
        "TlsSenderCertificateName": certificate,
        "Name": name,
        "Identity": name,
        "WhenChanged": ("DT", "2026-11-02T10:15:00+01:00"),
    }


def main() -> None:
    w = Writer()
    w.obj(
        None,
        INBOUND,
        inbound(
            "Inbound from on-premises",
            "OnPremises",
            ["198.51.100.30", "198.51.100.31"],
            True,
            "mail.contoso.example",
        ),
        text="Inbound from on-premises",
        extended=REMOTE,
    )
    partner = inbound("Partner inbound", "Partner", [], True, None, ["smtp:partner.example;1"])
    # The same AssociatedAcceptedDomains list as the first connector's (RefId 3): a back
    # reference, as Export-Clixml writes for one object met twice.
    partner["AssociatedAcceptedDomains"] = ("Ref", 3)
    w.obj(None, INBOUND, partner, text="Partner inbound", extended=REMOTE)
    w.save("inbound_connectors.xml")

    w = Writer()
    w.obj(
        None,
        OUTBOUND,
        {
            "Enabled": True,
            "ConnectorType": "OnPremises",
            "ConnectorSource": "Default",
            "RecipientDomains": ["contoso.example", "corp.contoso.example"],
            "SmartHosts": ["mail.contoso.example"],
            "TlsDomain": "mail.contoso.example",
            "TlsSettings": "DomainValidation",
            "UseMXRecord": False,
            "Name": "Outbound to on-premises",
            "Identity": "Outbound to on-premises",
        },
        text="Outbound to on-premises",
        extended=REMOTE,
    )
    w.obj(
        None,
        RECEIVE,
        {
            "AuthMechanism": "Tls",
            "Bindings": ["0.0.0.0:25", "[::]:25"],
            "Enabled": True,
            "Fqdn": "EXCH16.corp.contoso.example",
            "PermissionGroups": "AnonymousUsers",
            "RemoteIPRanges": ["192.0.2.0/24", "192.0.2.200-192.0.2.220"],
            "RequireTLS": False,
            "TransportRole": "FrontendTransport",
            "Name": "Scanner relay",
            "Identity": "EXCH16\\Scanner relay",
        },
        text="EXCH16\\Scanner relay",
        extended={
            "PSComputerName": "exch16.corp.contoso.example",
            "RunspaceId": RUNSPACE,
            "PSShowComputerName": False,
        },
    )
    w.obj(
        None,
        MAILBOX,
        {
            "Alias": "scanner",
            "DisplayName": "Scanner mailbox",
            "PrimarySmtpAddress": "scanner@contoso.example",
        },
        text="Scanner mailbox",
        extended=REMOTE,
    )
    w.save("mixed_objects.xml")

    w = Writer()
    pairs = (
        "Deserialized.System.Collections.Generic.KeyValuePair`2[[System.String, mscorlib, "
        "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089],"
        "[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, "
        "PublicKeyToken=b77a5c561934e089]]",
        "Deserialized.System.ValueType",
        "Deserialized.System.Object",
    )
    array = (
        "Deserialized.System.Collections.Generic.KeyValuePair`2[[System.String, mscorlib, "
        "Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089],"
        "[System.Object, mscorlib, Version=4.0.0.0, Culture=neutral, "
        "PublicKeyToken=b77a5c561934e089]][]",
        "Deserialized.System.Array",
        "Deserialized.System.Object",
    )
    strings = (
        "Deserialized.System.String[]",
        "Deserialized.System.Array",
        "Deserialized.System.Object",
    )

    def event(
        stamp: str,
        event_id: str,
        source: str,
        client_ip: str,
        client_host: str,
        server_ip: str,
        server_host: str,
        connector: str,
        recipients: list[str],
        sender: str,
        subject: str,
        data: list[tuple[str, str]],
        directionality: str,
        message: str,
    ) -> None:
        props = {
            "RunspaceId": RUNSPACE,
            "Timestamp": ("DT", stamp),
            "ClientIp": client_ip,
            "ClientHostname": client_host,
            "ServerIp": server_ip,
            "ServerHostname": server_host,
            "SourceContext": "08DCF1A2B3C4D5E6;2026-12-01T08:12:44.000Z;0",
            "ConnectorId": connector,
            "Source": source,
            "EventId": event_id,
            "InternalMessageId": "1234567",
            "MessageId": message,
            "NetworkMessageId": "5c7e3a52-1b2d-4c8e-9f0a-2e3d4c5b6a79",
        }
        ref = w.obj_ids
        w.obj_ids += 1
        w.lines.append(f'  <Obj RefId="{ref}">')
        w.types(TRACKING, "    ")
        w.lines.append("    <Props>")
        for key, value in props.items():
            w.value(key, value, "      ")
        w.collection("Recipients", recipients, "      ", strings)
        w.collection(
            "RecipientStatus", ["250 2.1.5 Recipient OK"] * len(recipients), "      ", strings
        )
        for key, value in (
            ("TotalBytes", 48213),
            ("RecipientCount", len(recipients)),
            ("RelatedRecipientAddress", None),
            ("Reference", None),
            ("MessageSubject", subject),
            ("Sender", sender),
            ("ReturnPath", sender),
            ("Directionality", directionality),
            ("TenantId", ""),
            ("OriginalClientIp", ""),
            ("MessageInfo", ""),
            ("MessageLatency", None),
            ("MessageLatencyType", "None"),
        ):
            w.value(key, value, "      ")
        items = [("Obj", pairs, {"Key": k, "Value": v}) for k, v in data]
        w.collection("EventData", items, "      ", array)
        w.lines.append("    </Props>")
        w.lines.append("  </Obj>")

    mid = "<KMC258-0001@scanner01.corp.contoso.example>"
    event(
        "2026-12-01T09:12:44.1234567+01:00",
        "RECEIVE",
        "SMTP",
        "192.0.2.10",
        "EXCH16.corp.contoso.example",
        "192.0.2.10",
        "EXCH16",
        "EXCH16\\Scanner relay",
        ["ap@contoso.example"],
        "scanner@contoso.example",
        "Message from KM_C258",
        [
            ("FirstForestHop", "EXCH16.corp.contoso.example"),
            ("ProxiedClientIPAddress", "192.0.2.45"),
            ("ProxiedClientHostname", "KMC258-0001"),
            ("DeliveryPriority", "Normal"),
        ],
        "Originating",
        mid,
    )
    event(
        "2026-12-01T09:12:45.0000000+01:00",
        "DELIVER",
        "STOREDRIVER",
        "",
        "",
        "",
        "EXCH16",
        "",
        ["ap@contoso.example"],
        "scanner@contoso.example",
        "Message from KM_C258",
        [("MailboxDatabaseName", "DB01")],
        "Originating",
        mid,
    )
    event(
        "2026-12-01T09:13:02.5000000+01:00",
        "SEND",
        "SMTP",
        "198.51.100.31",
        "EXCH16.corp.contoso.example",
        "203.0.113.25",
        "contoso-example.mail.protection.outlook.com",
        "Outbound to Office 365",
        ["someone@fabrikam.example", "other@fabrikam.example"],
        "scanner@contoso.example",
        "Message from KM_C258",
        [
            ("E2ELatency", "1.2"),
            ("Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel", "EncryptionOnly"),
        ],
        "Originating",
        mid,
    )
    w.save("tracking_events.xml")

    w = Writer()
    records = json.loads(SAMPLE_JSON.read_bytes().decode("utf-16"))
    for record in records:
        props = {
            k: v
            for k, v in record.items()
            if k not in ("PSComputerName", "RunspaceId", "PSShowComputerName")
        }
        w.obj(
            None,
            INBOUND,
            props,
            text=str(record.get("Name", "")),
            extended={
                k: record[k]
                for k in ("PSComputerName", "RunspaceId", "PSShowComputerName")
                if k in record
            },
        )
    w.save("sample_inbound_connectors.xml")

    w = Writer()
    deep: object = "bottom"
    for _ in range(40):
        deep = ("Obj", ("Deserialized.System.Object",), {"Inner": deep})
    w.obj(
        None,
        INBOUND,
        {
            **inbound(
                '=HYPERLINK("http://evil.example","x")', "OnPremises", ["198.51.100.40"], False
            ),
            "Comment": "<script>alert(1)</script> bell_x0007_ esc_x001B_ surrogate_xD800_",
            "Deep": deep,
        },
        text="hostile",
    )
    w.save("hostile_values.xml")

    doctype = (
        '<?xml version="1.0"?>\r\n<!DOCTYPE Objs [\r\n  <!ENTITY a "aaaaaaaaaa">\r\n'
        '  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\r\n'
        '  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\r\n]>\r\n'
        f'<Objs Version="1.1.0.1" xmlns="{NS}">\r\n  <Obj RefId="0">\r\n'
        f'    <TN RefId="0">\r\n      <T>{INBOUND[0]}</T>\r\n    </TN>\r\n'
        '    <Props>\r\n      <S N="Name">&c;</S>\r\n    </Props>\r\n  </Obj>\r\n'
        "</Objs>"
    )
    (HERE / "hostile_doctype.xml").write_bytes(codecs.BOM_UTF16_LE + doctype.encode("utf-16-le"))


if __name__ == "__main__":
    main()
