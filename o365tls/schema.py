"""Canonical record columns, declared once.

Every importer turns its export into frames with exactly these columns, and every later layer
(analysis, renderers, CSV/xlsx headers) refers to them by the constants below. Three tables:

* **observations**: records that carry TLS (connector report, SMTP AUTH report, protocol logs,
  message trace detail). ``messages`` says how many messages the record counts. Only these add
  to totals.
* **sightings**: identity-only records, one per message and recipient (message trace,
  historical search, tracking logs). They name who sent mail; they never add to totals.
* **connectors**: connector configuration (inbound, outbound and receive connectors), and the
  on-premises Exchange servers that Exchange Online reports as out of date (record ``kind``
  ``exchange-server``): facts about the senders behind OnPremises connectors, no TLS counts.
* **probes**: results of ``o365tls probe`` (a server's STARTTLS, TLS versions, certificate),
  attached to the findings on the same host.
"""

from __future__ import annotations

from dataclasses import dataclass

OBSERVATIONS = "observations"
SIGHTINGS = "sightings"
CONNECTORS = "connectors"
PROBES = "probes"
KINDS: tuple[str, ...] = (OBSERVATIONS, SIGHTINGS, CONNECTORS, PROBES)

# Grain of an observation: one message, one day of a connector, or a whole report period.
GRAIN_MESSAGE = "message"
GRAIN_DAY = "day"
GRAIN_PERIOD = "period"

INBOUND = "inbound"
OUTBOUND = "outbound"

#: The ``kind`` of a connectors record that is an on-premises Exchange server, not a connector.
EXCHANGE_SERVER = "exchange-server"


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str  # "str", "int", "datetime", "bool", "list", "object"
    doc: str


# Shared column names (constants so that a typo is an AttributeError, not a silent new column).
SOURCE = "source"
ROW = "row"
TIMESTAMP = "timestamp"
GRAIN = "grain"
CONNECTOR = "connector"
DIRECTION = "direction"
CONNECTOR_TYPE = "connector_type"
SENDER_IP = "sender_ip"
SENDER_PORT = "sender_port"
LOCAL_PORT = "local_port"
SENDER_ADDRESS = "sender_address"
RECIPIENT_ADDRESS = "recipient_address"
AUTH_USER = "auth_user"
AUTH_PROTOCOL = "auth_protocol"
HOSTNAME = "hostname"
PTR = "ptr"
MESSAGE_ID = "message_id"
SESSION_ID = "session_id"
TLS = "tls"
CIPHER = "cipher"
FORCED_TLS = "forced_tls"
MESSAGES = "messages"
SUBJECT = "subject"
STATUS = "status"
DESTINATION_IP = "destination_ip"
SIZE = "size"
EVENT = "event"
SERVER = "server"
TLS_AUTH_LEVEL = "tls_auth_level"

OBSERVATION_COLUMNS: tuple[Column, ...] = (
    Column(SOURCE, "str", "input file the record came from"),
    Column(ROW, "int", "1-based record number in that file (first data row is 1)"),
    Column(TIMESTAMP, "datetime", "UTC time of the message, or the start of the day/period"),
    Column(GRAIN, "str", "message, day or period: how much time the record covers"),
    Column(CONNECTOR, "str", "connector name, empty when none applies"),
    Column(DIRECTION, "str", "inbound or outbound, empty when unknown"),
    Column(CONNECTOR_TYPE, "str", "Partner, OnPremises, Internet... as exported"),
    Column(SENDER_IP, "str", "the client IP that spoke SMTP"),
    Column(SENDER_PORT, "int", "the client's TCP port, 0 when unknown"),
    Column(DESTINATION_IP, "str", "the IP the message was sent to (send logs), if any"),
    Column(
        LOCAL_PORT, "int", "the server port it connected to (25, 587, 465, 2525), 0 when unknown"
    ),
    Column(SENDER_ADDRESS, "str", "envelope or report sender address, lower case"),
    Column(
        RECIPIENT_ADDRESS,
        "str",
        "one recipient, lower case, for message-grained records "
        "that name it (trace detail); empty otherwise",
    ),
    Column(AUTH_USER, "str", "the account that authenticated (SMTP AUTH), if any"),
    Column(AUTH_PROTOCOL, "str", "Basic, OAuth... as reported"),
    Column(HOSTNAME, "str", "EHLO/HELO name the client gave"),
    Column(MESSAGE_ID, "str", "Internet Message-ID, or the trace id, when known"),
    Column(SESSION_ID, "str", "SMTP session id (protocol logs)"),
    Column(TLS, "str", "SSL3, TLS1.0, TLS1.1, TLS1.2, TLS1.3, none or unknown"),
    Column(CIPHER, "str", "bulk cipher or cipher suite, if reported"),
    Column(FORCED_TLS, "bool", "True when TLS was mandatory for this flow; None when unknown"),
    Column(MESSAGES, "int", "messages this record counts"),
    Column(SERVER, "str", "the Exchange server or endpoint that logged it"),
)

SIGHTING_COLUMNS: tuple[Column, ...] = (
    Column(SOURCE, "str", "input file the record came from"),
    Column(ROW, "int", "1-based record number in that file"),
    Column(TIMESTAMP, "datetime", "UTC time the message was received"),
    Column(MESSAGE_ID, "str", "Internet Message-ID (angle brackets removed), or the trace id"),
    Column(SENDER_ADDRESS, "str", "envelope sender, lower case"),
    Column(RECIPIENT_ADDRESS, "str", "one recipient, lower case"),
    Column(SUBJECT, "str", "subject as exported"),
    Column(STATUS, "str", "delivery status or event as exported"),
    Column(SENDER_IP, "str", "client IP that sent the message to Exchange"),
    Column(DESTINATION_IP, "str", "IP the message was sent on to, if any"),
    Column(HOSTNAME, "str", "HELO/EHLO name, if known"),
    Column(PTR, "str", "reverse DNS of the sender IP, if known"),
    Column(CONNECTOR, "str", "connector name or id, if known"),
    Column(DIRECTION, "str", "inbound, outbound or empty"),
    Column(SIZE, "int", "message size in bytes, 0 when unknown"),
    Column(EVENT, "str", "event id for event-grained sources (RECEIVE, SEND...)"),
    Column(TLS_AUTH_LEVEL, "str", "EffectiveTlsAuthLevel from tracking logs, if any"),
    Column(SERVER, "str", "the server or endpoint that logged it"),
)

CONNECTOR_COLUMNS: tuple[Column, ...] = (
    Column(SOURCE, "str", "input file the record came from"),
    Column(ROW, "int", "1-based record number in that file"),
    Column("name", "str", "connector name"),
    Column(
        "kind",
        "str",
        "inbound, outbound, receive (Exchange Server receive connector), or "
        "exchange-server (an on-premises server Exchange Online reports)",
    ),
    Column(CONNECTOR_TYPE, "str", "Partner, OnPremises, FrontendTransport..."),
    Column("enabled", "bool", "Enabled flag; None when not exported"),
    Column("sender_ip_ranges", "list", "IPs/CIDRs/ranges the connector matches senders on"),
    Column(
        "sender_domains",
        "list",
        "sender domains the connector matches (``*`` for all; "
        "the address-space form ``smtp:*;1`` is read as ``*``)",
    ),
    Column("smart_hosts", "list", "outbound smart hosts"),
    Column("recipient_domains", "list", "outbound recipient domains"),
    Column("require_tls", "bool", "RequireTls; None when not exported"),
    Column("tls_settings", "str", "TlsSettings (outbound) or TLS auth level"),
    Column("tls_sender_certificate_name", "str", "certificate name inbound senders must present"),
    Column(
        "restrict_domains_to_certificate",
        "bool",
        "RestrictDomainsToCertificate: mail from the sender domains must present that "
        "certificate (so it arrives over TLS); None when not exported",
    ),
    Column("auth_mechanism", "str", "AuthMechanism (receive connectors)"),
    Column("bindings", "list", "local bindings (receive connectors), e.g. 0.0.0.0:25"),
    Column("problems", "list", "what could not be read from this connector's export"),
    # exchange-server records only (Get-OnPremServerReportInfo, the EAC report of out-of-date
    # connecting on-premises Exchange servers); name is the server's FQDN, sender_ip_ranges
    # its IP when the export has one.
    Column("build", "str", "the server's Exchange build number as reported, e.g. 15.1.2507.16"),
    Column(
        "product", "str", "the Exchange version as Exchange Online names it (ExchangeServer2016)"
    ),
    Column("first_detected", "datetime", "when Exchange Online first saw it out of date"),
    Column("throttled_from", "datetime", "when throttling (450 4.7.230) starts or started"),
    Column("blocked_from", "datetime", "when blocking (550 5.7.230) starts or started"),
    Column("enforcement", "str", "the enforcement status as exported (Throttled, Blocked...)"),
)

PROBE_COLUMNS: tuple[Column, ...] = (
    Column(SOURCE, "str", "input file the record came from"),
    Column(ROW, "int", "1-based result number in that file"),
    Column("host", "str", "the host name or IP that was probed, lower case"),
    Column("port", "int", "the TCP port that was probed"),
    Column("address", "str", "the IP the probe connected to; empty when DNS failed"),
    Column("probed_at", "datetime", "UTC time of the probe"),
    Column("result", "object", "the whole result, an o365tls.probe.ProbeResult"),
)

COLUMNS: dict[str, tuple[Column, ...]] = {
    OBSERVATIONS: OBSERVATION_COLUMNS,
    SIGHTINGS: SIGHTING_COLUMNS,
    CONNECTORS: CONNECTOR_COLUMNS,
    PROBES: PROBE_COLUMNS,
}


def remote_host(record) -> str:
    """The remote host of a record, as an admin finds it: its IP, and the EHLO name the
    client gave (a send log's client is this server, so that name is its own)."""
    if record[DIRECTION] == OUTBOUND:
        name = f" (this server's EHLO {record[HOSTNAME]})" if record[HOSTNAME] else ""
        return f"{record[DESTINATION_IP] or 'an unknown IP'}{name}"
    name = f" (EHLO {record[HOSTNAME]})" if record[HOSTNAME] else ""
    return f"{record[SENDER_IP] or 'an unknown IP'}{name}"


def column_names(kind: str) -> list[str]:
    return [c.name for c in COLUMNS[kind]]
