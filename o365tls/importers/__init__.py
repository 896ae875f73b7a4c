"""Importers: bytes of admins' exports -> canonical records (:mod:`o365tls.schema`).

:data:`FORMATS` is the one registry. Order matters only where two formats share columns: the
more specific format comes first, and a file takes the first format whose ``detect`` accepts
its sample.
"""

from __future__ import annotations

from . import (
    clixml,
    connector_config,
    eac_connector_report,
    eac_smtp_auth_report,
    historical_extended,
    historical_summary,
    message_trace,
    message_trace_detail,
    onprem_server_report,
    probe_results,
    protocol_log,
    tracking_log,
)
from .base import Batch, Format, LoadContext
from .loader import Dataset, closest_format, identify, inspect, iter_load, load

FORMATS: tuple[Format, ...] = (
    # o365tls' own probe results and PowerShell Clixml first: the results' top-level marker key
    # is in no export (and their host/port keys could pass looser JSON detectors), and Clixml's
    # XML root in PowerShell's namespace is in no CSV, log or Atom feed.
    probe_results.FORMAT,
    clixml.FORMAT,
    # Exchange Server logs first: their "#Fields:" header is unmistakable, and the two log types
    # are told apart by "#Log-type:" and their field lists.
    protocol_log.FORMAT,
    tracking_log.FORMAT,
    # Historical search CSVs: snake_case columns no other export uses; extended before summary
    # because an extended report also has some summary-like columns.
    historical_extended.FORMAT,
    historical_summary.FORMAT,
    # Trace detail before message trace: detail exports carry the trace columns plus Event/Detail.
    message_trace_detail.FORMAT,
    message_trace.FORMAT,
    # EAC reports: both have "TLS 1.x" columns; the SMTP AUTH report is told apart by its sender
    # address column, so it is tried first.
    eac_smtp_auth_report.FORMAT,
    eac_connector_report.FORMAT,
    # Out-of-date on-prem servers: ServerFQDN/Build with enforcement dates, columns no other
    # export has; before connector configuration, whose Fqdn/Name columns it could share.
    onprem_server_report.FORMAT,
    # Connector configuration last: its columns (Name, RequireTls...) are the least distinctive.
    connector_config.FORMAT,
)

FORMATS_BY_NAME: dict[str, Format] = {f.name: f for f in FORMATS}

__all__ = [
    "FORMATS",
    "FORMATS_BY_NAME",
    "Batch",
    "Dataset",
    "Format",
    "LoadContext",
    "closest_format",
    "identify",
    "inspect",
    "iter_load",
    "load",
]
