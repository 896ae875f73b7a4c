"""TLS-bearing records: drop what overlapping files repeat, and decide which records count.

Counting rules (the README's "Count, once"):

* The same fact exported twice counts once. A connector-day exported in two connector reports
  is taken from one file (the one with the larger volume for that day, so a partial-day export
  loses to a full one); an SMTP AUTH sender in two reports likewise; a message seen twice in
  trace detail or in a protocol log read twice is one message.
* Within one hop (scope), an aggregate (connector report, SMTP AUTH report) is the authority
  for the connector-days it covers: per-message records of the same connector-day are evidence
  of *who* used which TLS, not extra messages. Where no aggregate covers a connector-day, the
  per-message records are what count.
* A client submission (SMTP AUTH) is one transmission on the submission hop. Trace detail of a
  message sent by a mailbox that an SMTP AUTH report lists (no inbound connector, not the
  outbound hop) describes one of the submissions that report counts: it moves to the
  submission hop and adds no message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..inputs.scopes import AGGREGATE_FORMATS, EXO, EXO_SUBMISSION
from ..schema import (
    CONNECTOR,
    DIRECTION,
    GRAIN,
    GRAIN_DAY,
    GRAIN_MESSAGE,
    GRAIN_PERIOD,
    MESSAGE_ID,
    MESSAGES,
    OUTBOUND,
    SENDER_ADDRESS,
    SESSION_ID,
    SOURCE,
    TIMESTAMP,
    TLS,
)

DAY = "day"
COUNTED = "counted"


def prepare(observations: pd.DataFrame) -> pd.DataFrame:
    """Deduplicated observations with ``day`` and ``counted`` columns (needs ``scope`` and
    ``format`` from :func:`o365tls.inputs.scopes.add_scope`)."""
    obs = observations.copy(deep=False)  # copy-on-write: only new columns are written
    obs[DAY] = obs[TIMESTAMP].dt.floor("D")
    aggregate = obs["format"].isin(AGGREGATE_FORMATS)
    reported = _reported_submitters(obs, aggregate)
    if reported:
        submission = _client_submissions(obs, reported)
        obs["scope"] = obs["scope"].where(~submission, EXO_SUBMISSION)
    parts = [
        _dedupe_aggregates(
            obs[aggregate & (obs[GRAIN] == GRAIN_DAY)], ["scope", DAY, DIRECTION, CONNECTOR]
        ),
        _dedupe_aggregates(
            obs[aggregate & (obs[GRAIN] == GRAIN_PERIOD)], ["scope", SENDER_ADDRESS]
        ),
        _dedupe_aggregates(
            obs[aggregate & ~obs[GRAIN].isin([GRAIN_DAY, GRAIN_PERIOD])],
            ["scope", DAY, DIRECTION, CONNECTOR, SENDER_ADDRESS],
        ),
        # Logs alone are all message records: no copy of them to select them.
        _dedupe_messages(obs[~aggregate] if aggregate.any() else obs),
    ]
    obs = pd.concat([p for p in parts if len(p)] or [obs.iloc[0:0]], ignore_index=True)
    obs[COUNTED] = True
    # Per-message records on a connector-day that an aggregate covers do not count again.
    covered = obs[obs["format"].isin(AGGREGATE_FORMATS) & (obs[GRAIN] == GRAIN_DAY)]
    keys = set(
        zip(covered["scope"], covered[DAY], covered[DIRECTION], covered[CONNECTOR], strict=True)
    )
    per_message = obs[GRAIN] == GRAIN_MESSAGE
    if keys and per_message.any():
        cells = pd.MultiIndex.from_arrays([obs["scope"], obs[DAY], obs[DIRECTION], obs[CONNECTOR]])
        hit = cells.isin(list(keys))
        obs.loc[per_message & pd.Series(hit, index=obs.index), COUNTED] = False
    if reported:
        # Submissions of mailboxes the SMTP AUTH report counts: evidence, not extra messages.
        again = (
            (obs["scope"] == EXO_SUBMISSION)
            & (obs[GRAIN] == GRAIN_MESSAGE)
            & obs[SENDER_ADDRESS].isin(reported)
        )
        obs.loc[again, COUNTED] = False
    return obs


def _reported_submitters(obs: pd.DataFrame, aggregate: pd.Series) -> set[str]:
    """The mailboxes an SMTP AUTH report lists (its period-grained records)."""
    rows = aggregate & (obs[GRAIN] == GRAIN_PERIOD) & (obs["scope"] == EXO_SUBMISSION)
    return set(obs.loc[rows, SENDER_ADDRESS]) - {""}


def _client_submissions(obs: pd.DataFrame, reported: set[str]) -> pd.Series:
    """Per-message Exchange Online records of a client submission: sent by a mailbox an SMTP
    AUTH report lists, with no inbound connector, and not the outbound hop."""
    return (
        (obs["scope"] == EXO)
        & (obs[GRAIN] == GRAIN_MESSAGE)
        & (obs[CONNECTOR] == "")
        & (obs[DIRECTION] != OUTBOUND)
        & obs[SENDER_ADDRESS].isin(reported)
    )


def _dedupe_aggregates(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Keep, for each key, the records of the one source file with the most messages."""
    if frame.empty:
        return frame
    volume = frame.groupby([*key, SOURCE], dropna=False)[MESSAGES].sum().reset_index()
    volume = volume.sort_values(
        [*key, MESSAGES, SOURCE], ascending=[True] * len(key) + [False, True], kind="mergesort"
    )
    best = volume.drop_duplicates(key, keep="first")[[*key, SOURCE]]
    return frame.merge(best, on=[*key, SOURCE], how="inner")


def _dedupe_messages(frame: pd.DataFrame) -> pd.DataFrame:
    """One record per message and hop: trace detail by message id, protocol logs by session
    and MAIL FROM; records without either identity are all kept."""
    if frame.empty:
        return frame
    has_id = (frame[MESSAGE_ID] != "").to_numpy()
    has_session = (frame[SESSION_ID] != "").to_numpy()
    # Positions first, one copy of the records at the end: a week of protocol logs is
    # millions of records, and each intermediate frame would be a copy of all of them.
    # A message to several recipients is one message; where copies disagree, a known TLS
    # version wins over "unknown".
    with_id = np.flatnonzero(has_id)
    unknown = frame[TLS].to_numpy()[with_id] == "unknown"
    with_id = with_id[np.argsort(unknown, kind="stable")]
    by_id = with_id[~_repeated(frame, with_id, ["scope", DIRECTION, MESSAGE_ID], MESSAGE_ID)]
    with_session = np.flatnonzero(~has_id & has_session)
    by_session = with_session[
        ~_repeated(
            frame,
            with_session,
            ["scope", DIRECTION, CONNECTOR, SESSION_ID, TIMESTAMP, SENDER_ADDRESS],
            TIMESTAMP,
        )
    ]
    rest = np.flatnonzero(~has_id & ~has_session)
    return frame.take(np.concatenate([by_id, by_session, rest])).reset_index(drop=True)


def _repeated(
    frame: pd.DataFrame, positions: np.ndarray, key: list[str], selective: str
) -> np.ndarray:
    """Which of the records at ``positions`` repeat an earlier one's ``key``. A record repeats
    one only if it repeats its ``selective`` key column (nearly unique: a message id, a
    time), so the whole key is compared among those records only (of a million protocol-log
    records, a handful repeat their selective key)."""
    out = np.zeros(len(positions), dtype=bool)
    if not len(positions):
        return out
    maybe = np.flatnonzero(frame[selective].take(positions).duplicated(keep=False).to_numpy())
    if len(maybe):
        out[maybe] = frame[key].take(positions[maybe]).duplicated().to_numpy()
    return out
