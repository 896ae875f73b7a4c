"""The history store for weekly reviews: one snapshot per tenant and week, in SQLite.

A snapshot keeps the period, the totals, the groups and every flow with its stable id, so that
the next run can say which findings are new, still open, resolved, or back again. Writes are one
``BEGIN IMMEDIATE`` transaction: two runs writing at once queue behind SQLite's lock (with a
generous busy timeout) instead of interleaving, and a run killed mid-write leaves the earlier
snapshots exactly as they were (SQLite rolls the journal back on the next open). Re-running the
same week replaces that week's snapshot instead of adding a second one.

The schema carries a version (``PRAGMA user_version``); :data:`MIGRATIONS` brings any older
file up to date when it is opened.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from .errors import InputError, OutputError
from .plan import PlanEntry

BUSY_TIMEOUT_S = 60.0

# Migration N brings a file from user_version N to N + 1. Never edit a shipped entry: add one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        week TEXT NOT NULL,              -- ISO week of the period's end, e.g. 2026-W47
        period_start TEXT,
        period_end TEXT,
        created_at TEXT NOT NULL,
        tool_version TEXT NOT NULL,
        messages INTEGER NOT NULL,
        at_risk INTEGER NOT NULL,
        legacy INTEGER NOT NULL,
        plaintext INTEGER NOT NULL,
        totals_json TEXT NOT NULL,
        UNIQUE (tenant, week)
    );
    CREATE TABLE findings (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        finding_id TEXT NOT NULL,
        at_risk INTEGER NOT NULL,        -- 1 for findings, 0 for clean flows
        priority TEXT,
        accepted INTEGER NOT NULL,
        messages INTEGER NOT NULL,
        legacy INTEGER NOT NULL,
        plaintext INTEGER NOT NULL,
        first_seen TEXT,
        last_seen TEXT,
        data_json TEXT NOT NULL,         -- the finding as in findings.json
        PRIMARY KEY (snapshot_id, finding_id)
    );
    CREATE TABLE groups (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        grouping TEXT NOT NULL,
        key_json TEXT NOT NULL,
        messages INTEGER NOT NULL,
        legacy INTEGER NOT NULL,
        plaintext INTEGER NOT NULL
    );
    CREATE INDEX findings_by_id ON findings(finding_id);
    """,
    """
    CREATE TABLE plan (
        tenant TEXT NOT NULL,
        finding_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        status TEXT NOT NULL,
        due TEXT NOT NULL,               -- ISO date, or the text as typed
        notes TEXT NOT NULL,
        updated_week TEXT NOT NULL,      -- the snapshot week that last stored it
        PRIMARY KEY (tenant, finding_id)
    );
    -- unverified: at risk before, no evidence either way in this snapshot (at_risk 0)
    ALTER TABLE findings ADD COLUMN status TEXT;
    -- what the week adds to the trend, each message once across weeks (NULL: as its totals)
    ALTER TABLE snapshots ADD COLUMN trend_at_risk INTEGER;
    ALTER TABLE snapshots ADD COLUMN trend_messages INTEGER;
    -- JSON {deadline: [at-risk messages, left out as counted in an earlier week]}
    ALTER TABLE snapshots ADD COLUMN trend_deadlines TEXT;
    -- the remediation workbook the run wrote: the next run reads what people typed into it
    ALTER TABLE snapshots ADD COLUMN workbook TEXT;
    CREATE TABLE undated_inputs (
        snapshot_id INTEGER NOT NULL REFERENCES snapshots(id) ON DELETE CASCADE,
        fingerprint TEXT NOT NULL,       -- SHA-256 of the file: the same export read again
        format TEXT NOT NULL,
        path TEXT NOT NULL,
        counted INTEGER NOT NULL         -- 1 when this snapshot's trend counted it
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Snapshot:
    id: int
    tenant: str
    week: str
    period_start: str | None
    period_end: str | None
    created_at: str
    messages: int
    at_risk: int
    legacy: int
    plaintext: int
    findings: int = 0
    by_priority: dict | None = None
    trend_at_risk: int | None = None  # what the week adds to the trend (o365tls.trend)
    trend_messages: int | None = None


@dataclass(frozen=True)
class PastFinding:
    """What the history knows of one flow id, across the earlier snapshots."""

    finding_id: str
    last_week: str  # the latest earlier snapshot that had this id
    at_risk_then: bool  # at risk in the previous snapshot
    ever_at_risk: bool  # at risk in any earlier snapshot
    first_at_risk: str | None  # period start of the first snapshot where it was at risk
    data: dict | None  # its last at-risk record, for resolved findings
    unverified_then: bool = False  # left unverified (still open) by the previous snapshot


def week_of(day: date | datetime | None) -> str:
    if day is None:
        return "undated"
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


@contextmanager
def connect(path: str | Path, *, create: bool = True) -> Iterator[sqlite3.Connection]:
    """An open, migrated history database."""
    db = Path(path)
    if not create and not db.exists():
        raise InputError(
            f"{db}: no such history database",
            hint="create one with `o365tls analyze ... --history DB`",
        )
    try:
        conn = sqlite3.connect(db, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise OutputError(
            f"{db}: cannot open the history database ({exc})",
            hint="check the path and its permissions",
        ) from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        _migrate(conn, db)
        yield conn
    except sqlite3.DatabaseError as exc:
        raise InputError(
            f"{db}: not a usable o365tls history database ({exc})",
            hint="pass another --history file",
        ) from exc
    finally:
        conn.close()


def _migrate(conn: sqlite3.Connection, db: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise InputError(
            f"{db}: history written by a newer o365tls (schema {version})", hint="upgrade o365tls"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]  # another run may have won
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def store(
    conn: sqlite3.Connection,
    tenant: str,
    findings_json: dict,
    flows: list[dict],
    week: str | None = None,
    plan: Iterable[PlanEntry] = (),
    unverified: Iterable[dict] = (),
    trend: tuple[int, int, dict[str, list[int]]] | None = None,
    undated: Iterable[tuple[str, str, str, bool]] = (),
    workbook: str | None = None,
) -> int:
    """Store one run (``findings_json`` as written to findings.json, ``flows`` every flow as a
    dict of the same shape) as the tenant's snapshot for its week, replacing an earlier one of
    the same week, and its remediation ``plan`` entries (kept per tenant, not per week: an
    entry outlives the finding's disappearance). ``unverified`` records (at risk before, no
    evidence now) are kept so that the next run still has to settle them. ``trend`` is what
    the week adds to the trend (at risk, messages, at risk per deadline); ``undated`` the
    (fingerprint, format, path, counted) of its undated inputs; ``workbook`` the path of the
    remediation workbook the run wrote. Returns the snapshot id."""
    period = findings_json.get("period") or {}
    end = period.get("end")
    week = week or week_of(datetime.fromisoformat(end.replace("Z", "+00:00")) if end else None)
    totals = findings_json["totals"]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DELETE FROM snapshots WHERE tenant = ? AND week = ?", (tenant, week))
        cur = conn.execute(
            "INSERT INTO snapshots (tenant, week, period_start, period_end, created_at, "
            "tool_version, messages, at_risk, legacy, plaintext, totals_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                tenant,
                week,
                period.get("start"),
                end,
                datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                findings_json["tool_version"],
                totals["messages"],
                totals["legacy_messages"] + totals["plaintext_messages"],
                totals["legacy_messages"],
                totals["plaintext_messages"],
                json.dumps(totals),
            ),
        )
        snapshot = cur.lastrowid
        assert snapshot is not None  # the row just inserted
        conn.execute("UPDATE snapshots SET workbook = ? WHERE id = ?", (workbook, snapshot))
        if trend is not None:
            conn.execute(
                "UPDATE snapshots SET trend_at_risk = ?, trend_messages = ?, "
                "trend_deadlines = ? WHERE id = ?",
                (trend[0], trend[1], json.dumps(trend[2], sort_keys=True), snapshot),
            )
        conn.executemany(
            "INSERT INTO undated_inputs VALUES (?, ?, ?, ?, ?)",
            [(snapshot, fp, fmt, path, int(counted)) for fp, fmt, path, counted in undated],
        )
        conn.executemany(
            "INSERT INTO findings (snapshot_id, finding_id, at_risk, priority, accepted, "
            "messages, legacy, plaintext, first_seen, last_seen, data_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    snapshot,
                    f["id"],
                    int(f["legacy_messages"] + f["plaintext_messages"] > 0),
                    f.get("priority"),
                    int(bool(f.get("accepted"))),
                    f["messages"],
                    f["legacy_messages"],
                    f["plaintext_messages"],
                    f.get("first_seen"),
                    f.get("last_seen"),
                    json.dumps(f, ensure_ascii=False),
                )
                for f in flows
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO findings (snapshot_id, finding_id, at_risk, priority, accepted, "
            "messages, legacy, plaintext, first_seen, last_seen, data_json, status) "
            "VALUES (?, ?, 0, ?, ?, 0, 0, 0, ?, ?, ?, 'unverified')",
            [
                (
                    snapshot,
                    f["id"],
                    f.get("priority"),
                    int(bool(f.get("accepted"))),
                    f.get("first_seen"),
                    f.get("last_seen"),
                    json.dumps(f, ensure_ascii=False),
                )
                for f in unverified
            ],
        )
        rows = []
        for grouping in ("by_connector", "by_sender_ip", "by_sender_address", "by_device_type"):
            for g in findings_json.get(grouping, []):
                key = {
                    k: v
                    for k, v in g.items()
                    if k
                    in (
                        "connector",
                        "direction",
                        "scope",
                        "sender_ip",
                        "sender_address",
                        "device_type",
                    )
                }
                rows.append(
                    (
                        snapshot,
                        grouping,
                        json.dumps(key, sort_keys=True),
                        g["messages"],
                        g["legacy_messages"],
                        g["plaintext_messages"],
                    )
                )
        conn.executemany("INSERT INTO groups VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.executemany(
            "INSERT OR REPLACE INTO plan (tenant, finding_id, owner, status, due, notes, "
            "updated_week) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(tenant, e.finding_id, e.owner, e.status, e.due, e.notes, week) for e in plan],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return int(snapshot)


def snapshots(conn: sqlite3.Connection, tenant: str | None = None) -> list[Snapshot]:
    query = (
        "SELECT s.*, (SELECT COUNT(*) FROM findings f WHERE f.snapshot_id = s.id "
        "AND f.at_risk = 1) AS n_findings FROM snapshots s"
    )
    args: tuple = ()
    if tenant is not None:
        query += " WHERE tenant = ?"
        args = (tenant,)
    out = []
    for row in conn.execute(query + " ORDER BY tenant, week", args):
        prio = {
            p: n
            for p, n in conn.execute(
                "SELECT priority, COUNT(*) FROM findings WHERE snapshot_id = ? AND at_risk = 1 "
                "GROUP BY priority",
                (row["id"],),
            )
        }
        out.append(
            Snapshot(
                row["id"],
                row["tenant"],
                row["week"],
                row["period_start"],
                row["period_end"],
                row["created_at"],
                row["messages"],
                row["at_risk"],
                row["legacy"],
                row["plaintext"],
                row["n_findings"],
                prio,
                _or(row["trend_at_risk"], row["at_risk"]),
                _or(row["trend_messages"], row["messages"]),
            )
        )
    return out


def plan(conn: sqlite3.Connection, tenant: str) -> dict[str, PlanEntry]:
    """The tenant's remediation plan entries, by finding id."""
    return {
        r["finding_id"]: PlanEntry(r["finding_id"], r["owner"], r["status"], r["due"], r["notes"])
        for r in conn.execute("SELECT * FROM plan WHERE tenant = ? ORDER BY finding_id", (tenant,))
    }


def _or(value, default):
    return default if value is None else value


def tenants(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT DISTINCT tenant FROM snapshots ORDER BY tenant")]


def past(conn: sqlite3.Connection, tenant: str, before_week: str) -> dict[str, PastFinding]:
    """Every flow id the tenant's snapshots before ``before_week`` know, with its history."""
    weeks = [
        r[0]
        for r in conn.execute(
            "SELECT week FROM snapshots WHERE tenant = ? AND week < ? ORDER BY week",
            (tenant, before_week),
        )
    ]
    if not weeks:
        return {}
    previous = weeks[-1]
    out: dict[str, PastFinding] = {}
    rows = conn.execute(
        "SELECT s.week, s.period_start, f.finding_id, f.at_risk, f.data_json, f.status "
        "FROM findings f JOIN snapshots s ON s.id = f.snapshot_id "
        "WHERE s.tenant = ? AND s.week < ? ORDER BY s.week",
        (tenant, before_week),
    )
    for week, start, fid, at_risk, data, status in rows:
        seen = out.get(fid)
        first = seen.first_at_risk if seen else None
        if at_risk and first is None:
            first = start
        unverified = status == "unverified"
        if at_risk:
            last = json.loads(data)
        elif unverified:  # its record from the last week it was at risk, as stored then
            last = {
                k: v for k, v in json.loads(data).items() if k not in ("status", "status_reason")
            }
        else:
            last = seen.data if seen else None
        out[fid] = PastFinding(
            finding_id=fid,
            last_week=week,
            at_risk_then=bool(at_risk) and week == previous,
            ever_at_risk=bool(at_risk) or unverified or bool(seen and seen.ever_at_risk),
            first_at_risk=first,
            data=last,
            unverified_then=unverified and week == previous,
        )
    return out


def previous_week(conn: sqlite3.Connection, tenant: str, before_week: str) -> str | None:
    row = conn.execute(
        "SELECT MAX(week) FROM snapshots WHERE tenant = ? AND week < ?", (tenant, before_week)
    ).fetchone()
    return row[0] if row else None


def trend(
    conn: sqlite3.Connection, tenant: str
) -> list[tuple[str, int, int, dict[str, list[int]]]]:
    """(week, at-risk messages, messages, {deadline: [at-risk messages, left out]}) for each
    stored week of the tenant, each message counted in one week only (see
    :mod:`o365tls.trend`)."""
    out = []
    for r in conn.execute(
        "SELECT id, week, COALESCE(trend_at_risk, at_risk), "
        "COALESCE(trend_messages, messages), trend_deadlines FROM snapshots "
        "WHERE tenant = ? ORDER BY week",
        (tenant,),
    ):
        deadlines = json.loads(r[4]) if r[4] else _deadlines_of(conn, r[0])
        out.append((r[1], r[2], r[3], deadlines))
    return out


def _deadlines_of(conn: sqlite3.Connection, snapshot: int) -> dict[str, list[int]]:
    """At-risk messages per deadline from a snapshot's findings (snapshots stored before the
    trend kept them)."""
    out: dict[str, list[int]] = {}
    for (data,) in conn.execute(
        "SELECT data_json FROM findings WHERE snapshot_id = ? AND at_risk = 1", (snapshot,)
    ):
        d = json.loads(data)
        deadline = (d.get("remediation") or {}).get("deadline")
        if deadline:
            counts = out.setdefault(deadline, [0, 0])
            counts[0] += int(d.get("legacy_messages", 0)) + int(d.get("plaintext_messages", 0))
    return out


def last_workbook(conn: sqlite3.Connection, tenant: str, week: str) -> tuple[str, str] | None:
    """(week, path) of the workbook written by the tenant's latest snapshot up to ``week`` (a
    re-run of the same week reads the workbook it is about to replace)."""
    row = conn.execute(
        "SELECT week, workbook FROM snapshots WHERE tenant = ? AND week <= ? "
        "AND workbook IS NOT NULL ORDER BY week DESC LIMIT 1",
        (tenant, week),
    ).fetchone()
    return (row[0], row[1]) if row else None


def earlier_periods(
    conn: sqlite3.Connection, tenant: str, before_week: str
) -> list[tuple[str | None, str | None]]:
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT period_start, period_end FROM snapshots WHERE tenant = ? AND week < ?",
            (tenant, before_week),
        )
    ]


def undated_seen(conn: sqlite3.Connection, tenant: str, before_week: str) -> dict[str, str]:
    """Fingerprints of undated inputs that an earlier snapshot's trend counted, with its week."""
    return {
        r[0]: r[1]
        for r in conn.execute(
            "SELECT u.fingerprint, MIN(s.week) FROM undated_inputs u JOIN snapshots s "
            "ON s.id = u.snapshot_id WHERE s.tenant = ? AND s.week < ? AND u.counted = 1 "
            "GROUP BY u.fingerprint",
            (tenant, before_week),
        )
    }
