"""Analysis: canonical records -> results (flows, findings, groups, totals).

:func:`analyze` is the one entry point; see the README's "How it works" for the method.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import __version__
from ..inputs.gathering import Gathered
from ..inputs.reducer import message_keys
from ..inputs.scopes import EXO_SUBMISSION
from ..schema import (
    GRAIN,
    INBOUND,
    MESSAGE_ID,
    MESSAGES,
    ROW,
    SENDER_ADDRESS,
    SOURCE,
    TIMESTAMP,
    TLS,
)
from . import (
    coverage,
    devices,
    next_evidence,
    onprem_servers,
    probes,
    remediation,
    rootcauses,
    sessions,
    sightings,
)
from .connectors import ConnectorBook, disabled_traffic
from .flows import Flow, Senders, from_aggregates, from_messages, from_submissions
from .hops import Host, evidence_of
from .merging import pair_counts, release_freed_memory
from .messages import domain_of, tenant_domains
from .model import DIRECT_SEND, PRIORITIES, Device, TlsCounts
from .observations import COUNTED, DAY, prepare
from .paths import submission_path
from .placement import link_by_volume, with_connector_facts
from .results import GROUPINGS, AttributionRow, Finding, Results
from .rollups import group


@dataclass(frozen=True)
class Options:
    """What shapes an analysis besides the inputs."""

    inventory: str | Path | None = None  # --inventory CSV
    rules: str | Path | None = None  # --rules TOML/YAML
    domains: tuple[str, ...] = ()  # the tenant's own domains, when the guess is not enough
    # --since/--until: :func:`o365tls.gather` keeps only the records inside them.
    since: datetime | None = None
    until: datetime | None = None
    today: date | None = None  # for deadline arithmetic; defaults to the current UTC date


def analyze(gathered: Gathered, options: Options | None = None) -> Results:
    """Join the evidence in ``gathered`` and return the results every output is rendered from.
    ``gathered`` is the streamed :class:`~o365tls.inputs.Gathered` of :func:`o365tls.gather`
    (bounded memory), which the analysis consumes: its records are handed over, not copied."""
    options = options or Options()
    today = options.today or datetime.now(UTC).date()
    book = ConnectorBook.from_frame(gathered.connectors)
    obs = prepare(gathered.take_observations())
    obs["key"] = message_keys(obs[MESSAGE_ID], obs[SOURCE], obs[ROW])
    submitters = obs.loc[obs["scope"] == EXO_SUBMISSION, SENDER_ADDRESS]
    tenant = tenant_domains(
        gathered.sightings.recipient_domains(),
        submitters,
        options.domains,
        gathered.sightings.originating_domains(),
    )
    named = set(obs.loc[obs["format"] == "eac-connector-report", "connector"]) - {""}
    msgs = sightings.messages(gathered.sightings, tenant, book, named, set(submitters))
    day_agg = obs[obs[COUNTED] & (obs[GRAIN] == "day")]
    msgs, link_notes = link_by_volume(
        msgs, day_agg.groupby(["direction", "connector", DAY], as_index=False)[MESSAGES].sum()
    )
    obs = with_connector_facts(obs, book)
    release_freed_memory()  # what building the message table left on the heap

    aggregate_flows, attribution_rows = from_aggregates(obs, msgs, gathered.cores)
    asks = next_evidence.entries(attribution_rows, next_evidence.untraced_days(day_agg, msgs))
    senders = Senders(msgs)  # who sent which sighted message, indexed once for both
    flows = [
        *aggregate_flows,
        *from_submissions(obs, msgs, senders),
        *from_messages(obs, msgs, senders),
    ]
    # The columns the totals, the period and the days read: not a copy of every record.
    counted = obs.loc[obs[COUNTED], [TLS, MESSAGES, DAY, GRAIN, TIMESTAMP]]
    totals = TlsCounts.of(counted.groupby(TLS)[MESSAGES].sum().to_dict())
    legacy_sessions = sessions.without_mail(obs)
    notes = (
        link_notes
        + disabled_traffic(book, obs, msgs)
        + _notes(flows, totals, msgs, obs)
        + sessions.notes(legacy_sessions)
        + next_evidence.notes(asks)
    )

    period = _period(counted, msgs)
    files = coverage.Files(gathered.inputs, period)
    rules = devices.load_rules(options.rules)
    inventory = devices.load_inventory(options.inventory) if options.inventory else None
    knowledge = remediation.load_knowledge()
    notes += _knowledge_age(knowledge, today)
    servers = onprem_servers.from_frame(gathered.connectors, today)

    def judge(flow: Flow, **known) -> Finding:
        """One flow judged against this run's tenant, rules, knowledge and servers, its
        volume compared over the part of the period its evidence covers."""
        return _judge(
            flow,
            tenant,
            rules,
            inventory,
            knowledge,
            totals,
            today,
            servers,
            cover=files.of(flow.sources),
            **known,
        )

    analysed = [judge(f) for f in flows]
    by_flow = tuple(analysed)  # the groupings count flows, whatever root cause holds them

    def judge_card(flow: Flow, path: str, host: Host, device: Device) -> Finding:
        return judge(flow, path=path, host=host, device=device)

    analysed = rootcauses.group(
        analysed,
        book=book,
        inputs=gathered.inputs,
        servers=servers,
        inventory=inventory,
        client_names=rootcauses.client_names(obs),
        judge=judge_card,
    )
    analysed, probe_notes = probes.attach(analysed, gathered.probes)
    notes += probe_notes
    rank = {p: i for i, p in enumerate(PRIORITIES)}
    analysed.sort(
        key=lambda f: (
            not f.at_risk,
            rank.get(f.priority or "", 9),
            -f.flow.tls.at_risk,
            -f.flow.tls.messages,
            f.id,
        )
    )
    flows_t = tuple(analysed)
    return Results(
        generated_at=datetime.now(UTC),
        tool_version=__version__,
        period=period,
        inputs=tuple(gathered.inputs),
        totals=totals,
        all_findings=flows_t,
        groups={name: group(by_flow, name) for name in GROUPINGS},
        daily=_daily(counted),
        tenant_domains=tuple(sorted(tenant)),
        notes=tuple(notes),
        attribution=tuple(_with_finding_ids(attribution_rows, flows_t)),
        next_evidence=tuple(asks),
        onprem_servers=servers,
        legacy_sessions=legacy_sessions,
        gaps=coverage.gaps(
            gathered.inputs,
            files,
            any(
                c.kind == "inbound"
                and c.connector_type.lower() == "onpremises"
                and c.tls_sender_certificate_name
                for c in book.by_name.values()
            ),
        ),
    )


def _judge(
    flow: Flow,
    tenant,
    rules,
    inventory,
    knowledge,
    totals: TlsCounts,
    today: date,
    servers: tuple[onprem_servers.OnPremServer, ...] = (),
    *,
    path: str | None = None,
    host: Host | None = None,
    device: Device | None = None,
    cover: coverage.Coverage | None = None,
) -> Finding:
    """Classify, prescribe and rank one flow; a root cause's merged flow comes with its path,
    host and device already known. ``cover``: the part of the period its evidence covers,
    over which its volume is compared."""
    path = path or submission_path(flow, tenant)
    evidence = evidence_of(flow, path, host)
    device = device or devices.classify(evidence, rules, inventory)
    if flow.tls.at_risk == 0:
        device, _ = onprem_servers.annotate(evidence, device, None, [], servers)
        return Finding(flow, path, device, None, None, coverage=cover)
    fix = remediation.choose(evidence, device, knowledge, today=today, tenant=tenant)
    partial = cover if cover is not None and cover.partial else None
    priority: str | None
    priority, reasons = remediation.priority(
        evidence,
        device,
        flow.legacy_likelihood,
        flow.tls.at_risk,
        totals.messages,
        today,
        attributed=flow.evidence == "attributed",
        covered=partial.day_share if partial else 1.0,
        covered_text=partial.describe() if partial else "",
    )
    device, priority = onprem_servers.annotate(evidence, device, priority, reasons, servers)
    direct = path == DIRECT_SEND and flow.direction == INBOUND
    return Finding(
        flow,
        path,
        device,
        fix,
        priority,
        tuple(reasons),
        breaks_with_reject_direct_send=direct,
        coverage=cover,
    )


#: Days after which the knowledge file's newest check is worth a warning: Microsoft's dates
#: and endpoints move within months.
KNOWLEDGE_MAX_AGE_DAYS = 180


def _knowledge_age(knowledge, today: date) -> list[str]:
    age = (today - knowledge.checked).days
    if age <= KNOWLEDGE_MAX_AGE_DAYS:
        return []
    return [
        f"warning: the remediation guidance was last checked against Microsoft's "
        f"announcements on {knowledge.checked.isoformat()}, {age} days before this run: "
        "dates and endpoints may have moved; check the linked sources, or update o365tls"
    ]


def _period(counted: pd.DataFrame, msgs: pd.DataFrame):
    """First and last moment the evidence covers; a connector-report day covers all of it."""
    day_end = pd.Timedelta(days=1) - pd.Timedelta(seconds=1)
    ends = counted[TIMESTAMP].where(counted[GRAIN] != "day", counted[TIMESTAMP] + day_end)
    starts = [counted[TIMESTAMP].min(), msgs[TIMESTAMP].min() if len(msgs) else pd.NaT]
    finishes = [ends.max(), msgs[TIMESTAMP].max() if len(msgs) else pd.NaT]
    starts = [s for s in starts if pd.notna(s)]
    finishes = [s for s in finishes if pd.notna(s)]
    if not starts:
        return None, None
    return min(starts), max(finishes)


def _daily(counted: pd.DataFrame):
    dated = counted[counted[DAY].notna()]
    # One group-by over day and version: a group per day copied a week of records seven times.
    sums = dated.groupby([DAY, TLS], sort=True)[MESSAGES].sum()
    per_day: dict = {}
    for (day, tls), n in sums.items():
        per_day.setdefault(day, {})[tls] = n
    return tuple((day, TlsCounts.of(per_day.get(day, {}))) for day in sorted(pd.unique(dated[DAY])))


def _notes(flows: list[Flow], totals: TlsCounts, msgs: pd.DataFrame, obs: pd.DataFrame) -> list:
    notes = []
    flowed = sum((f.tls for f in flows), TlsCounts())
    if flowed.as_dict() != totals.as_dict():  # the flows must partition the totals
        notes.append(
            f"internal check: flows add up to {flowed.messages} messages, totals "
            f"to {totals.messages}; please report this"
        )
    not_counted = int((~obs[COUNTED]).sum())
    if not_counted:
        notes.append(
            f"{not_counted} message-level TLS records fall on connector-days that a "
            "connector report already counts; they name senders but add no messages"
        )
    if len(msgs):
        keys = {(f.direction, f.connector.lower()) for f in flows}
        # Messages per direction and connector, counted on the codes: no copy of the table.
        exo = (msgs["realm"] == "exo").to_numpy()
        direction, connector = msgs["direction"], msgs["connector"]
        per = pair_counts(
            direction.cat.codes.to_numpy()[exo],
            connector.cat.codes.to_numpy()[exo],
            (len(direction.cat.categories), len(connector.cat.categories)),
        )
        loose = sum(
            int(per[i, j])
            for i, j in zip(*np.nonzero(per), strict=True)
            if (str(direction.cat.categories[i]), str(connector.cat.categories[j]).lower())
            not in keys
        )
        if loose:
            notes.append(
                f"{loose} traced messages are on connectors without any TLS "
                "record (add the connector report for their days to judge them)"
            )
    return notes


def _with_finding_ids(rows: list[dict], flows: tuple[Finding, ...]) -> list[AttributionRow]:
    """Attribution verdicts per connector and sender, linked to the flow that holds the
    sender's mail (its own flow, or the connector's unattributed rest for "cannot tell")."""
    by_key = {
        (f.flow.scope, f.flow.direction, f.flow.connector, f.flow.sender_key): f.id for f in flows
    }
    out = []
    for row in rows:
        own = by_key.get((row["scope"], row["direction"], row["connector"], row["sender"]))
        rest = by_key.get((row["scope"], row["direction"], row["connector"], ""))
        out.append(AttributionRow(**row, finding_id=own or rest))
    return out


def with_status(results: Results, **changes) -> Results:
    return replace(results, **changes)


__all__ = ["Options", "analyze", "Results", "Finding", "domain_of"]
