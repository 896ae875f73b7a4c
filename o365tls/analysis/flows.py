"""Flows: every TLS-evidenced mail flow identity with its message counts.

A flow is one identity (hop, direction, connector, sender IP, sender, HELO name, as far as the
evidence reaches) with messages per TLS version. The flows partition the counted messages:
their counts add up exactly to the totals. Three builders, one per kind of evidence:

* :func:`from_aggregates` – connector-day aggregates, split among the senders seen on the
  connector by :mod:`.attribution` (what no sender explains stays on the connector itself);
* :func:`from_submissions` – the SMTP AUTH report, one flow per mailbox;
* :func:`from_messages` – message-grained records (protocol logs, trace detail) that count.
"""

from __future__ import annotations

import hashlib
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ..frames.groupby import Groups
from ..inputs.scopes import is_on_prem
from ..schema import (
    AUTH_PROTOCOL,
    AUTH_USER,
    CONNECTOR,
    CONNECTOR_TYPE,
    DIRECTION,
    FORCED_TLS,
    GRAIN,
    GRAIN_DAY,
    GRAIN_MESSAGE,
    GRAIN_PERIOD,
    HOSTNAME,
    LOCAL_PORT,
    MESSAGES,
    SENDER_ADDRESS,
    SENDER_IP,
    SOURCE,
    SUBJECT,
    TIMESTAMP,
    TLS,
)
from ..tls import TLS_VERSIONS
from .attribution import OBSERVED, attribute_all, weeks_of
from .merging import code_type, pair_counts
from .model import TlsCounts
from .observations import COUNTED, DAY

ATTRIBUTED = "attributed"


@dataclass(frozen=True)
class Verdict:
    """What the attribution says of a flow whose counts it shares out: a sender's verdict
    with its at-risk shares (0..1), or, for the connector's rest that no sender explains,
    ``unattributed`` with the senders it cannot tell apart (``cannot_tell``)."""

    verdict: str
    why: str
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    at_risk_at_end: float | None = None  # in the period's last week
    fixed_on: str | None = None  # first day of the week its at-risk share fell and stayed down
    days: int | None = None
    alone_days: int | None = None
    moves_with: str = ""  # the sender its volume moves with, which the fit cannot part
    cannot_tell: tuple[str, ...] | None = None  # the connector's rest only


@dataclass(frozen=True)
class Flow:
    """One flow identity and what is known about it (before classification)."""

    scope: str
    direction: str
    connector: str
    sender_key: str  # what identifies the sender for ids: address, ip:..., or ""
    tls: TlsCounts
    evidence: str  # observed / attributed
    legacy_likelihood: float
    connector_type: str = ""
    sender_ip: str = ""
    sender_address: str = ""
    hostname: str = ""
    ptr: str = ""
    auth_user: str = ""
    auth_protocol: str = ""
    local_port: int = 0
    forced_tls: bool | None = None
    first_seen: pd.Timestamp | None = None
    last_seen: pd.Timestamp | None = None
    sources: tuple[str, ...] = ()
    attribution: Verdict | None = None
    subjects: tuple[tuple[str, int], ...] = ()
    message_id_hosts: tuple[tuple[str, int], ...] = ()
    hours: tuple[int, ...] = ()
    weekdays: tuple[int, ...] = ()
    sighted_messages: int = 0
    internal_messages: int = 0  # sighted messages to the tenant's own recipients only
    external_messages: int = 0  # sighted messages with a recipient outside
    extra: dict = field(default_factory=dict)
    #: SMTP AUTH flows: the client IPs its submissions came from, with their message counts.
    client_ips: tuple[tuple[str, int], ...] = ()
    #: The id a flow read back from findings.json was stored under (its sender key is not
    #: stored); empty for a flow built from records.
    stored_id: str = ""

    @property
    def id(self) -> str:
        """Stable across runs for the same identity."""
        return self.stored_id or flow_id(
            self.scope, self.direction, self.connector, self.sender_key
        )


def flow_id(scope: str, direction: str, connector: str, key: str) -> str:
    """The stable id of a flow identity (an attribution row names the same four parts)."""
    parts = [scope, direction, connector.lower(), key.lower()]
    digest = hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()
    return f"f-{digest[:12]}"


def sender_key(address: str, ip: str) -> str:
    if address:
        return address.lower()
    return f"ip:{ip}" if ip else ""


def _ranked(values: pd.Series) -> list[tuple[str, int]]:
    """Non-empty values by count, most frequent first; ties in text order (stable runs)."""
    codes = values.cat.codes.to_numpy() if isinstance(values.dtype, pd.CategoricalDtype) else None
    if codes is not None and not (codes < 0).any():
        # Counted per category code: a million rows never become a million strings, and only
        # the categories present are spelled out.
        counts = np.bincount(codes, minlength=len(values.cat.categories))
        present = np.flatnonzero(counts)
        pairs = [
            (str(v), int(c))
            for v, c in zip(values.cat.categories[present], counts[present], strict=True)
        ]
        pairs = [(v, c) for v, c in pairs if v != ""]
    else:
        counts = values.astype(str).value_counts()
        pairs = [(v, int(c)) for v, c in counts.items() if c > 0 and v != ""]
    return sorted(pairs, key=lambda p: (-p[1], p[0]))


def _mode(values: pd.Series) -> str:
    ranked = _ranked(values) if len(values) else []
    return ranked[0][0] if ranked else ""


def _top(values: pd.Series, n: int = 5) -> tuple[tuple[str, int], ...]:
    return tuple(_ranked(values)[:n])


def enrich(
    flow: Flow, msgs: pd.DataFrame, times: pd.Series | None = None, fill_sender: bool = True
) -> Flow:
    """Fill identity details and the classifier's signals from the flow's sighted messages.
    ``fill_sender=False`` keeps the sender address empty where no single sender is the flow's
    identity (a server's send hop, outbound mail judged by its recipients)."""
    # First and last seen over the sighted messages and the flow's own records: min and max
    # skip missing times (dropping them and joining the two would copy both per flow).
    spans = [
        (s.min(), s.max())
        for s in (msgs[TIMESTAMP] if len(msgs) else None, times)
        if s is not None and len(s)
    ]
    spans = [(first, last) for first, last in spans if not pd.isna(first)]
    first_seen = min(first for first, _ in spans) if spans else flow.first_seen
    last_seen = max(last for _, last in spans) if spans else flow.last_seen
    sources = set(flow.sources)
    if not len(msgs):
        return replace(
            flow, first_seen=first_seen, last_seen=last_seen, sources=tuple(sorted(sources))
        )
    for files in pd.unique(msgs["sources"]):
        sources.update(f for f in str(files).split("\0") if f)
    hours: tuple[int, ...] = ()
    weekdays: tuple[int, ...] = ()
    t = msgs[TIMESTAMP].dropna()
    if len(t):
        hours = tuple(int(x) for x in np.bincount(t.dt.hour, minlength=24))
        weekdays = tuple(int(x) for x in np.bincount(t.dt.day_of_week, minlength=7))
    internal = int(np.asarray(msgs["to_tenant"], dtype=bool).sum())
    return replace(
        flow,
        sender_ip=flow.sender_ip or _mode(msgs[SENDER_IP]),
        sender_address=flow.sender_address or (_mode(msgs[SENDER_ADDRESS]) if fill_sender else ""),
        hostname=flow.hostname or _mode(msgs[HOSTNAME]),
        ptr=flow.ptr or _mode(msgs["ptr"]),
        first_seen=first_seen,
        last_seen=last_seen,
        sources=tuple(sorted(sources)),
        subjects=_top(msgs[SUBJECT]),
        message_id_hosts=_top(msgs["msgid_host"]),
        hours=hours or flow.hours,
        weekdays=weekdays or flow.weekdays,
        sighted_messages=len(msgs),
        internal_messages=internal,
        external_messages=len(msgs) - internal,
    )


def same_text(values: pd.Series, text: str) -> pd.Series:
    """``values == text`` ignoring case, without spelling out every row of a categorical."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return _of_categories(
            values, [str(c).lower() == text.lower() for c in values.cat.categories]
        )
    return values.astype(str).str.lower() == text.lower()


def _of_categories(values: pd.Series, chosen: list[bool]) -> pd.Series:
    """Rows of a categorical whose category is chosen (a missing value never is), looked up
    by code: ``isin`` would widen ten million one-byte codes to 64 bits first."""
    lookup = np.array([*chosen, False], dtype=bool)  # code -1 (missing) reads the last
    return pd.Series(lookup[values.cat.codes.to_numpy()], index=values.index)


def _counts(frame: pd.DataFrame) -> TlsCounts:
    sums = frame.groupby(TLS)[MESSAGES].sum()
    return TlsCounts.of({k: int(v) for k, v in sums.items()})


def _forced(frame: pd.DataFrame) -> bool | None:
    values = frame[FORCED_TLS].dropna()  # None and NaN: not known
    return bool(values.astype(bool).any()) if len(values) else None


def _sources(records: pd.DataFrame) -> tuple[str, ...]:
    return tuple(sorted(str(s) for s in pd.unique(records[SOURCE])))


def units(msgs: pd.DataFrame, direction: str, connector: str) -> pd.Series:
    """Who a connector's TLS mix is attributed to, per message. Outbound TLS is negotiated by
    the receiving server, so outbound mail is attributed to the recipient domain; inbound mail
    without a connector comes from other organizations' servers, one IP each; behind a tenant
    connector every device relays through the same IP, so the sender address tells them
    apart. Labels: ``to:<domain>``, ``ip:<address>`` or the sender address. Computed on the
    categorical codes, in their own narrow types, so that millions of messages never become
    millions of strings or of 64-bit numbers."""
    columns = (msgs[SENDER_ADDRESS], msgs[SENDER_IP], msgs["recipient_domain"])
    address, ip, domain = (c.cat.codes.to_numpy() for c in columns)
    has_address = address != _empty_code(columns[0])
    has_ip = ip != _empty_code(columns[1])
    # kind 0: nobody, 1: address, 2: ip, 3: recipient domain
    kind = np.where(has_address, np.int8(1), np.where(has_ip, np.int8(2), np.int8(0)))
    if direction == "outbound":
        kind[domain != _empty_code(columns[2])] = 3
    elif not connector:
        kind[has_ip] = 2
    del has_address, has_ip
    # One number per unit: 0 for nobody, then the address, IP and domain codes after another.
    books = [c.cat.categories for c in columns]
    offsets = np.cumsum([1] + [len(b) for b in books])
    number = np.int16 if offsets[-1] <= np.iinfo(np.int16).max else np.int32
    offsets = offsets.astype(number)
    unit = np.zeros(len(kind), dtype=number)
    for k, codes in enumerate((address, ip, domain), start=1):
        hit = kind == k
        unit[hit] = np.add(codes[hit], offsets[k - 1], dtype=number)
    uniques = pd.unique(unit)  # in order of appearance, as pd.factorize would number them
    lookup = np.zeros(offsets[-1], dtype=code_type(len(uniques)))
    lookup[uniques] = np.arange(len(uniques))
    prefix = ("", "ip:", "to:")
    labels = []
    for u in uniques.tolist():
        k = int(np.searchsorted(offsets, u, side="right"))  # 0: nobody
        labels.append(prefix[k - 1] + str(books[k - 1][u - offsets[k - 1]]) if k else "")
    return pd.Series(pd.Categorical.from_codes(lookup[unit], categories=labels), index=msgs.index)


def _empty_code(values: pd.Series) -> int:
    categories = list(values.cat.categories)
    return categories.index("") if "" in categories else -2


# What attribution reads of each message (and the keys, when trace detail needs them);
# enrichment reads whole rows of one sender only.
_ATTRIBUTION_COLUMNS = ["day", SENDER_ADDRESS, SENDER_IP, "recipient_domain"]


def from_aggregates(
    obs: pd.DataFrame, msgs: pd.DataFrame, jobs: int = 1
) -> tuple[list[Flow], list[dict]]:
    """Flows from counted connector-day aggregates, attributed to the senders sighted on the
    same connector, direction and days; and one attribution row per sender judged. With
    ``jobs`` > 1 and many traced messages, connectors are fitted on that many processes."""
    agg = obs[obs[COUNTED] & (obs[GRAIN] == GRAIN_DAY)]
    detail = obs[~obs[COUNTED] & (obs[GRAIN] == GRAIN_MESSAGE)]
    # Masks, not copies: at ten million messages every copy of the table costs half a GB.
    usable = ((msgs["realm"] == "exo") & ~msgs["submission"]).to_numpy() if len(msgs) else None
    # The days the sightings cover: a connector's TLS mix is fitted on those of its days only.
    # On a day no trace covers, every message is "other senders", which would pin their mix
    # to the whole connector's (the traced senders' mail included).
    traced = (
        pd.DatetimeIndex(pd.unique(msgs["day"][usable].dropna())) if usable is not None else None
    )
    flows: list[Flow] = []
    rows: list[dict] = []
    waiting: deque[_Connector] = deque()  # prepared, in connector order, awaiting their fit

    def problems():
        for prepared in _connectors(agg, detail, msgs, usable, traced):
            waiting.append(prepared)
            yield prepared.args

    many = usable is not None and int(usable.sum()) >= PARALLEL_MESSAGES
    for result in attribute_all(problems(), jobs if many else 1):
        c = waiting.popleft()
        base, records = c.base, c.records
        if result is None:
            counts = _counts(records)
            flows.append(replace(base, tls=counts, legacy_likelihood=counts.at_risk_share))
            continue
        scope, direction, connector = base.scope, base.direction, base.connector
        on_connector, volumes, untraced = c.on_connector, c.volumes, c.untraced
        day_dates, weeks, days, report_days = c.day_dates, c.weeks, c.days, c.report_days
        # A connector with a fit was prepared with all of them (see _connectors).
        assert (
            on_connector is not None
            and volumes is not None
            and untraced is not None
            and day_dates is not None
            and weeks is not None
        )
        undecided = []
        for est in result.senders:
            verdict: dict[str, Any] = {
                "verdict": est.verdict,
                "estimate": round(est.at_risk, 4),
                "low": round(est.low, 4),
                "high": round(est.high, 4),
                "at_risk_at_end": round(est.at_risk_now, 4),
                "fixed_on": _week_start(day_dates, weeks, est.fixed_week),
                "days": est.days,
                "alone_days": est.alone_days,
                "why": est.why,
            }
            if est.partner:
                verdict["moves_with"] = est.partner
            if verdict["fixed_on"] and est.verdict != OBSERVED:
                verdict["why"] = (
                    f"moved to TLS 1.2 around {verdict['fixed_on']} (its at-risk "
                    f"share fell that week and stayed down); " + est.why
                )
            rows.append(
                {
                    "scope": scope,
                    "connector": connector,
                    "direction": direction,
                    "sender": est.sender,
                    "messages": int(volumes[est.sender].sum()),
                    **verdict,
                }
            )
            judged = Verdict(**verdict)
            counts = TlsCounts.of(zip(TLS_VERSIONS, est.counts, strict=True))
            if counts.messages == 0:
                if est.verdict == "cannot-tell":
                    undecided.append(est.sender)
                continue
            mine = msgs.loc[on_connector.index[(on_connector["_sender"] == est.sender).to_numpy()]]
            flow = replace(
                base,
                sender_key=est.sender,
                sender_address=est.sender if "@" in est.sender and ":" not in est.sender else "",
                sender_ip=est.sender[3:] if est.sender.startswith("ip:") else "",
                tls=counts,
                evidence="observed" if est.verdict == OBSERVED else ATTRIBUTED,
                legacy_likelihood=round(est.at_risk, 4),
                attribution=judged
                if est.verdict == OBSERVED
                else replace(
                    judged,
                    why="estimated counts (the connector's daily TLS counts shared out "
                    "by the fit, not counted message by message): " + judged.why,
                ),
                extra={"recipient_domain": est.sender[3:]} if est.sender.startswith("to:") else {},
            )
            flows.append(enrich(flow, mine, fill_sender=not est.sender.startswith("to:")))
        other = TlsCounts.of(zip(TLS_VERSIONS, np.add(result.other, untraced), strict=True))
        if other.messages:
            why = (
                "messages the sighted senders do not explain (mail not in the trace, or "
                "small senders)"
            )
            if untraced.any():
                gap = len(report_days) - len(days)
                why += (
                    f"; includes {int(untraced.sum())} messages of {gap} "
                    f"day{'s' if gap != 1 else ''} the message trace does not cover"
                )
            if undecided:
                shown = ", ".join(undecided[:5]) + (
                    f" and {len(undecided) - 5} more" if len(undecided) > 5 else ""
                )
                why += f"; includes the mail of senders the data cannot tell apart: {shown}"
            flows.append(
                replace(
                    base,
                    tls=other,
                    legacy_likelihood=round(other.at_risk_share, 4),
                    attribution=Verdict("unattributed", why, cannot_tell=tuple(undecided)),
                )
            )
    return flows, rows


#: Traced messages from which connectors are fitted on several processes (with ``jobs``):
#: below it, starting the processes costs more than the fits.
PARALLEL_MESSAGES = 100_000


@dataclass(frozen=True)
class _Connector:
    """One connector's aggregates and sightings, and the arguments of its fit (None: no
    sighted sender to attribute its mail to)."""

    base: Flow
    records: pd.DataFrame
    args: tuple | None
    days: list = field(default_factory=list)
    report_days: list = field(default_factory=list)
    untraced: np.ndarray | None = None
    on_connector: pd.DataFrame | None = None
    volumes: pd.DataFrame | None = None
    day_dates: pd.DatetimeIndex | None = None
    weeks: np.ndarray | None = None


def _connectors(agg: pd.DataFrame, detail: pd.DataFrame, msgs: pd.DataFrame, usable, traced):
    """Each connector of the aggregates, prepared for its fit."""
    for (scope, direction, connector), records in agg.groupby(
        ["scope", DIRECTION, CONNECTOR], sort=True
    ):
        days = report_days = sorted(records[DAY].unique())
        table = (
            records.groupby([DAY, TLS])[MESSAGES]
            .sum()
            .unstack(fill_value=0)
            .reindex(index=days, columns=list(TLS_VERSIONS), fill_value=0)
        )
        untraced = np.zeros(len(TLS_VERSIONS), dtype=np.int64)
        if usable is not None:
            covered = pd.DatetimeIndex(days).isin(traced)
            untraced = table[~covered].sum(axis=0).to_numpy(dtype=np.int64)
            days = [d for d, c in zip(days, covered, strict=True) if c]
            table = table[covered]
            hit = (
                usable
                & (msgs[DIRECTION] == direction).to_numpy()
                & same_text(msgs[CONNECTOR], connector).to_numpy()
                & _of_categories(
                    msgs["day"], list(msgs["day"].cat.categories.isin(days))
                ).to_numpy()
            )
            on_connector = msgs.loc[hit, _ATTRIBUTION_COLUMNS]
        else:
            hit, on_connector = None, msgs
        base = Flow(
            scope=scope,
            direction=direction,
            connector=connector,
            sender_key="",
            tls=TlsCounts(),
            evidence="observed",
            legacy_likelihood=0.0,
            connector_type=_mode(records[CONNECTOR_TYPE]),
            forced_tls=_forced(records),
            sources=_sources(records),
            first_seen=min(report_days),
            last_seen=max(report_days) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1),
        )
        if len(on_connector) == 0:
            yield _Connector(base, records, None)
            continue
        on_connector = on_connector.assign(_sender=units(on_connector, direction, connector))
        senders = sorted(pd.unique(on_connector["_sender"]))
        day, unit = on_connector["day"], on_connector["_sender"]
        counts = pair_counts(
            day.cat.codes.to_numpy(),
            unit.cat.codes.to_numpy(),
            (len(day.cat.categories), len(unit.cat.categories)),
        )
        volumes = pd.DataFrame(
            counts, index=day.cat.categories, columns=unit.cat.categories
        ).reindex(index=days, columns=senders, fill_value=0)
        observed, observed_day = (
            _observed_by_sender(
                detail, on_connector, msgs["key"].to_numpy()[hit], scope, direction, connector, days
            )
            if len(detail)
            else ({}, {})
        )
        day_dates = pd.DatetimeIndex(days)
        weeks = weeks_of(day_dates.to_numpy(dtype="datetime64[D]"))
        # Only the column the flows read: the rows of every connector awaiting its fit stay
        # in memory meanwhile.
        on_connector = on_connector[["_sender"]]
        yield _Connector(
            base,
            records,
            (table.to_numpy(), volumes.to_numpy(), senders, observed, weeks, observed_day),
            days,
            report_days,
            untraced,
            on_connector,
            volumes,
            day_dates,
            weeks,
        )


def _week_start(days: pd.DatetimeIndex, weeks: np.ndarray, week: int | None) -> str | None:
    """The first covered day of ``week`` (ISO date), or None."""
    if week is None:
        return None
    hit = np.flatnonzero(weeks == week)
    return f"{days[hit[0]]:%Y-%m-%d}" if len(hit) else None


def _observed_by_sender(
    detail: pd.DataFrame,
    on_connector: pd.DataFrame,
    keys: np.ndarray,
    scope: str,
    direction: str,
    connector: str,
    days: list,
) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """TLS seen message by message (trace detail) for senders on this connector, and the index
    in ``days`` of each one's latest observed message; ``keys``: the message keys of
    ``on_connector``'s rows."""
    if detail.empty:
        return {}, {}
    mine = detail[
        (detail["scope"] == scope)
        & (detail[DIRECTION] == direction)
        & same_text(detail[CONNECTOR], connector)
        & (detail[TLS] != "unknown")
    ]
    if mine.empty:
        return {}, {}
    # Only the messages that trace detail names: the connector may carry millions.
    named = pd.Series(keys).isin(mine["key"]).to_numpy()
    sightings = pd.DataFrame(
        {
            "key": keys[named],
            "_sender": on_connector["_sender"].array[named],
            "_day": on_connector["day"].array[named],
        }
    )
    joined = mine.merge(sightings, on="key", how="inner")
    position = {pd.Timestamp(d): i for i, d in enumerate(days)}
    out: dict[str, np.ndarray] = {}
    latest: dict[str, int] = {}
    for sender, rows in joined.groupby("_sender", observed=True):
        vec = np.zeros(len(TLS_VERSIONS))
        for tls, n in rows.groupby(TLS)[MESSAGES].sum().items():
            vec[TLS_VERSIONS.index(tls)] += n
        out[sender] = vec
        seen = [position[pd.Timestamp(d)] for d in rows["_day"] if pd.Timestamp(d) in position]
        if seen:
            latest[sender] = max(seen)
    return out, latest


def from_submissions(
    obs: pd.DataFrame, msgs: pd.DataFrame, senders: Senders | None = None
) -> list[Flow]:
    """One flow per mailbox in the SMTP AUTH report (``senders``: the index of ``msgs``)."""
    rows = obs[obs[COUNTED] & (obs[GRAIN] == GRAIN_PERIOD)]
    senders = senders or Senders(msgs)
    flows = []
    for (scope, address), records in rows.groupby(["scope", SENDER_ADDRESS], sort=True):
        counts = _counts(records)
        flow = Flow(
            scope=scope,
            direction="outbound",
            connector="",
            sender_key=address,
            tls=counts,
            evidence="observed",
            legacy_likelihood=round(counts.at_risk_share, 4),
            sender_address=address,
            auth_user=_mode(records[AUTH_USER]) or address,
            auth_protocol=_mode(records[AUTH_PROTOCOL]),
            local_port=587,
            sources=_sources(records),
        )
        mine = senders.of(True, address=address)
        submitted = client_submitted(mine)
        flow = enrich(flow, submitted)
        flows.append(replace(flow, client_ips=_top(submitted[SENDER_IP], 10)))
    return flows


#: Message-ID hosts of messages that Exchange Online itself created (Outlook, Outlook on the
#: web, mobile apps through Exchange ActiveSync): they were not submitted with SMTP AUTH.
_EXO_MESSAGE_ID_HOSTS = (".prod.outlook.com", ".outlook.office365.com")


def client_submitted(msgs: pd.DataFrame) -> pd.DataFrame:
    """A mailbox's sighted messages that an SMTP client submitted: not those whose Message-ID
    Exchange Online wrote (mail sent from Outlook or Outlook on the web comes from the
    user's office IP, not from the SMTP AUTH client)."""
    if msgs.empty:
        return msgs
    hosts = msgs["msgid_host"].astype(str).str.lower()
    return msgs[~hosts.str.endswith(_EXO_MESSAGE_ID_HOSTS).to_numpy()]


def from_messages(
    obs: pd.DataFrame, msgs: pd.DataFrame, senders: Senders | None = None
) -> list[Flow]:
    """Flows from message-grained records that count (no aggregate covers them;
    ``senders``: the index of ``msgs``)."""
    keys = ["scope", DIRECTION, CONNECTOR, SENDER_IP, SENDER_ADDRESS, HOSTNAME, AUTH_USER]
    # Only the columns a flow reads: a week of logs is a million records.
    columns = [
        *keys,
        TLS,
        MESSAGES,
        CONNECTOR_TYPE,
        AUTH_PROTOCOL,
        LOCAL_PORT,
        FORCED_TLS,
        SOURCE,
        TIMESTAMP,
    ]
    rows = obs.loc[obs[COUNTED] & (obs[GRAIN] == GRAIN_MESSAGE), [*columns, "key"]]
    if rows.empty:
        return []
    if len(msgs):  # trace detail names the message; the trace names its sender
        wanted = ((msgs["realm"] == "exo") & msgs["key"].isin(rows["key"])).to_numpy()
        ident = msgs.loc[wanted, ["key", SENDER_ADDRESS, SENDER_IP]].drop_duplicates("key")
        ident = ident.assign(**{c: ident[c].astype(str) for c in (SENDER_ADDRESS, SENDER_IP)})
        rows = rows.merge(ident, on="key", how="left", suffixes=("", "_trace"))
        for col in (SENDER_ADDRESS, SENDER_IP):
            rows[col] = rows[col].where(rows[col] != "", rows[f"{col}_trace"].fillna(""))
    # An Exchange server's send hop is the server's own TLS, whoever the envelope sender is.
    send_hop = _on_prem(rows["scope"]) & (rows[DIRECTION] == "outbound")
    rows.loc[send_hop, SENDER_ADDRESS] = ""
    # Every flow's counts, modes and files at once: iterating the groupby would copy each
    # group's rows out of a million-record frame, once per flow.
    groups = Groups(rows, keys)
    counts_of = groups.sums(TLS, MESSAGES)
    connector_types, auth_protocols = groups.modes(CONNECTOR_TYPE), groups.modes(AUTH_PROTOCOL)
    ports, forced = groups.smallest_modes(LOCAL_PORT), groups.any_true(FORCED_TLS)
    sources, times = groups.distinct(SOURCE), groups.values(TIMESTAMP)
    senders = senders or Senders(msgs)
    flows = []
    for i, key in enumerate(groups.keys):
        scope, direction, connector, ip, address, hostname, auth_user = key
        counts = TlsCounts.of(counts_of[i])
        # Message-grained evidence reaches the device: address, IP and HELO name together.
        skey = "|".join(
            p
            for p in (
                address.lower(),
                f"ip:{ip}" if ip else "",
                f"helo:{hostname.lower()}" if hostname else "",
            )
            if p
        )
        flow = Flow(
            scope=scope,
            direction=direction,
            connector=connector,
            sender_key=skey,
            tls=counts,
            evidence="observed",
            legacy_likelihood=round(counts.at_risk_share, 4),
            connector_type=connector_types[i],
            sender_ip=ip,
            sender_address=address,
            hostname=hostname,
            auth_user=auth_user,
            auth_protocol=auth_protocols[i],
            local_port=int(ports[i]),
            forced_tls=forced[i],
            sources=sources[i],
        )
        same = senders.same_sender(scope, address, ip)
        send_hop = is_on_prem(scope) and direction == "outbound"
        flows.append(enrich(flow, same, times[i], fill_sender=not send_hop))
    return flows


def _on_prem(scopes: pd.Series) -> pd.Series:
    """:func:`o365tls.inputs.scopes.is_on_prem` of each record, tested once per distinct scope."""
    return scopes.isin([s for s in pd.unique(scopes) if is_on_prem(str(s))])


class Senders:
    """The sighted messages of one sender (its address, its IP, or both) on Exchange Online's
    side or the on-prem side, found through an index built once: a mask over every message
    per flow would scan a trace of millions of messages once for each of hundreds of
    flows."""

    def __init__(self, msgs: pd.DataFrame) -> None:
        self.msgs = msgs
        self.empty = np.zeros(0, dtype=np.int64)
        self.built = False

    def _build(self) -> None:
        """The index, at the first question: most runs ask none of one kind of flow."""
        self.built = True
        msgs = self.msgs
        exo = (msgs["realm"] == "exo").to_numpy()
        address, ip = msgs[SENDER_ADDRESS].astype("category"), msgs[SENDER_IP].astype("category")
        # Addresses compare case-insensitively (as same_text does): one id per lower-cased text.
        lowered = pd.Index([str(c).lower() for c in address.cat.categories])
        ids, texts = pd.factorize(lowered)
        self.address_id = {t: i for i, t in enumerate(texts)}
        codes = address.cat.codes.to_numpy()
        row_ids = np.where(codes >= 0, np.append(ids, -1)[codes], -1)
        self.ip_code = {str(c): i for i, c in enumerate(ip.cat.categories)}
        self.ip_codes = ip.cat.codes.to_numpy()
        self.by_address = _positions(exo, row_ids)
        self.by_ip = _positions(exo, self.ip_codes)

    def of(self, exo: bool, address: str | None = None, ip: str | None = None) -> pd.DataFrame:
        """The messages (in table order) from ``address`` (any case) and ``ip``; None: any."""
        if self.msgs.empty or (address is None and ip is None):
            return self.msgs.iloc[0:0]
        if not self.built:
            self._build()
        if address is not None:
            found = self.by_address.get((exo, self.address_id.get(address.lower(), -2)), self.empty)
            if ip is not None:
                found = found[self.ip_codes[found] == self.ip_code.get(ip, -2)]
        else:
            assert ip is not None  # without either, no messages (above)
            found = self.by_ip.get((exo, self.ip_code.get(ip, -2)), self.empty)
        return self.msgs.take(found)

    def same_sender(self, scope: str, address: str, ip: str) -> pd.DataFrame:
        """What a message-grained flow of ``scope`` shares its sender with (nothing when the
        flow names neither an address nor an IP)."""
        return self.of(not is_on_prem(scope), address or None, ip or None)


def _positions(exo: np.ndarray, ids: np.ndarray) -> dict[tuple[bool, int], np.ndarray]:
    """Row positions (ascending) per (side, id); rows without an id (-1) in none."""
    has = ids >= 0
    rows = np.flatnonzero(has)
    groups = pd.DataFrame({"exo": exo[has], "id": ids[has]}).groupby(["exo", "id"]).indices
    return {(bool(e), int(i)): rows[found] for (e, i), found in groups.items()}
