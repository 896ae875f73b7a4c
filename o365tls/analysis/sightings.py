"""The message table: the sightings reduced by :mod:`o365tls.inputs.reducer`, merged into one
row per message.

:func:`messages` merges the sightings of one message across chunks and files (the same message
is in the trace, the historical search and once per recipient), preferring the richest export
for each field, and places each message on a connector and a direction.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..frames.arrow import domain_of
from ..inputs.reducer import (
    DIRECTION_LABELS,
    REALM_LABELS,
    Codebook,
    Direction,
    Realm,
    SightingReducer,
)
from ..schema import (
    CONNECTOR,
    DIRECTION,
    HOSTNAME,
    PTR,
    SENDER_ADDRESS,
    SENDER_IP,
    SUBJECT,
    TIMESTAMP,
)
from . import merging, placement
from .connectors import ConnectorBook

MESSAGE_COLUMNS = [
    "realm",
    "key",
    TIMESTAMP,
    "day",
    SENDER_ADDRESS,
    SENDER_IP,
    HOSTNAME,
    PTR,
    CONNECTOR,
    "connector_type",
    DIRECTION,
    SUBJECT,
    "msgid_host",
    "to_tenant",
    "recipient_domain",
    "source",
    "sources",
    "submission",
]


def messages(
    reducer: SightingReducer,
    tenant: set[str],
    book: ConnectorBook,
    known_connectors: set[str],
    submitters: set[str],
) -> pd.DataFrame:
    """One row per message and realm (columns :data:`MESSAGE_COLUMNS`; text columns are
    categorical), in realm and key order. Consumes the reducer's parts (see :mod:`.merging`)."""
    if not reducer.parts:
        return _empty()
    rdom_tenant = np.array([v in tenant for v in reducer.books["rdom"].values], dtype=bool)
    merging.release_freed_memory()  # what the import freed, before the merge needs more
    out = merging.merge(reducer.parts, rdom_tenant, len(reducer.books["source"].values))
    reducer.parts = {}
    merging.release_freed_memory()  # the parts, now in the merged arrays
    return _frame(reducer.books, out, tenant, book, known_connectors, submitters)


def _frame(
    b: dict[str, Codebook],
    out: dict,
    tenant: set[str],
    book: ConnectorBook,
    known_connectors: set[str],
    submitters: set[str],
) -> pd.DataFrame:
    """The message table from :func:`.merging.merge`'s arrays (changed in place: they are
    the table's columns, and each costs ten MB or more at ten million messages)."""
    exo = out["realm"] == Realm.EXO
    conn_names = b["conn"].values
    conn = out["conn"].astype(np.int32 if len(conn_names) > 2**15 else np.int16)
    placement.drop_unknown_connectors(conn, exo, conn_names, book, known_connectors)
    direction = out.pop("direction")
    in_tenant = placement.per_code(b["sender"].values, lambda v: domain_of(v) in tenant)
    placement.guess_directions(direction, out["sender"], in_tenant, out["to_tenant"])
    types = Codebook()
    conn_type = placement.connector_types(conn, conn_names, book, types)
    loose = exo & (conn == 0) & (direction == Direction.INBOUND) & (out["ip"] > 0)
    placement.place_by_ip_range(
        conn,
        conn_type,
        loose,
        out["ip"],
        out["sender"],
        b["ip"].values,
        b["sender"].values,
        book,
        b["conn"],
        types,
    )
    del loose
    submitter_codes = np.array([v in submitters for v in b["sender"].values], dtype=bool)
    submission = exo & submitter_codes[out["sender"]]
    del exo
    stamps = merging.stamps(out.pop("ts"))
    days = merging.days(out.pop("day"))
    sources = merging.source_sets(out.pop("mask"), b["source"].values)

    def text(name: str, codes: np.ndarray) -> pd.Categorical:
        return b[name].categorical(merging.narrow_codes(codes, len(b[name].values)))

    return pd.DataFrame(
        {
            "realm": pd.Categorical.from_codes(
                merging.narrow_codes(out["realm"], len(Realm)), categories=list(REALM_LABELS)
            ),
            "key": out["key"],
            TIMESTAMP: stamps,
            "day": days,
            SENDER_ADDRESS: text("sender", out["sender"]),
            SENDER_IP: text("ip", out["ip"]),
            HOSTNAME: text("host", out["host"]),
            PTR: text("ptr", out["ptr"]),
            CONNECTOR: text("conn", conn),
            "connector_type": types.categorical(merging.narrow_codes(conn_type, len(types.values))),
            DIRECTION: pd.Categorical.from_codes(
                merging.narrow_codes(direction, len(Direction)), categories=list(DIRECTION_LABELS)
            ),
            SUBJECT: text("subject", out["subject"]),
            "msgid_host": text("mhost", out["mhost"]),
            "to_tenant": out["to_tenant"],
            "recipient_domain": text("rdom", out["outside"]),
            "source": text("source", out["source"]),
            "sources": sources,
            "submission": submission,
        },
        copy=False,
    )


#: The message table's columns that are not text: its merge key, times and flags.
_TYPED_COLUMNS = ("key", TIMESTAMP, "day", "to_tenant", "submission")


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in MESSAGE_COLUMNS})
    frame["key"] = frame["key"].astype(np.uint64)
    frame[TIMESTAMP] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["day"] = pd.Series(dtype="datetime64[ns, UTC]")
    for col in ("to_tenant", "submission"):
        frame[col] = frame[col].astype(bool)
    for col in MESSAGE_COLUMNS:
        if col not in _TYPED_COLUMNS:
            frame[col] = frame[col].astype(str)
    return frame
