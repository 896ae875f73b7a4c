"""Where a record was seen: which hop of the mail flow it describes.

A message relayed by an on-prem server and then delivered to Exchange Online crosses two hops,
each with its own TLS; records of the same hop describe the same transmissions and must not be
added twice. Scopes name the hops:

* ``exo`` – mail flow into and out of Exchange Online (connector report, trace detail,
  message trace, historical search);
* ``exo-submission`` – SMTP AUTH client submission to smtp.office365.com (SMTP AUTH report);
* ``on-prem`` – your Exchange Servers' own receive/send hops (protocol and tracking logs). One
  scope for all servers: receive connectors carry the server in their name (``EX01\\Relay``),
  and the logs do not name the server consistently enough to split by it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..frames.arrow import map_unique

EXO = "exo"
EXO_SUBMISSION = "exo-submission"
ON_PREM_PREFIX = "on-prem"

# Format names (see o365tls.importers.FORMATS) -> scope family.
_FORMAT_SCOPE = {
    "eac-connector-report": EXO,
    "message-trace-detail": EXO,
    "message-trace": EXO,
    "historical-summary": EXO,
    "historical-extended": EXO,
    "eac-smtp-auth-report": EXO_SUBMISSION,
    "exchange-protocol-log": ON_PREM_PREFIX,
    "exchange-tracking-log": ON_PREM_PREFIX,
    # Its sightings are Get-MessageTrackingLog events (its connectors have no scope).
    "clixml": ON_PREM_PREFIX,
}

#: Formats whose TLS records are aggregates (counts over a day or period), not messages.
AGGREGATE_FORMATS = frozenset({"eac-connector-report", "eac-smtp-auth-report"})


def scope_of(fmt: str | None, server: str = "") -> str:
    family = _FORMAT_SCOPE.get(fmt or "", EXO)
    return family


def is_on_prem(scope: str) -> bool:
    return scope.startswith(ON_PREM_PREFIX)


def add_scope(frame: pd.DataFrame, formats: dict[str, str | None]) -> pd.DataFrame:
    """Add ``format`` and ``scope`` columns from the source file's format."""
    sources = pd.unique(frame["source"])
    if len(sources) == 1:  # one file's records: its format and scope are constants
        return with_scope(frame, [formats.get(sources[0])], [len(frame)])
    # A shallow copy: copy-on-write keeps ``frame`` as it was, without copying its columns.
    out = frame.copy(deep=False)
    names = {src: formats.get(src) or "" for src in sources}
    out["format"] = map_unique(out["source"], names).astype(object)
    out["scope"] = map_unique(out["format"], lambda f: scope_of(f)).astype(object)
    return out


def with_scope(frame: pd.DataFrame, formats: list[str | None], lengths: list[int]) -> pd.DataFrame:
    """:func:`add_scope` for records concatenated from batches of one file each: batch ``i``
    is the next ``lengths[i]`` records, from a file of format ``formats[i]``."""
    names = [name or "" for name in formats]
    out = frame.copy(deep=False)
    for column, values in (("format", names), ("scope", [scope_of(n) for n in names])):
        out[column] = pd.Series(
            np.repeat(np.array(values, dtype=object), lengths), index=out.index, dtype=object
        )
    return out
