"""The remediation knowledge file (``o365tls/data/remediation.toml``): its types, loading
and validation.

Knowledge is data: guidance, deadlines and priority thresholds live in the TOML file, and this
module proves the file is complete and consistent before anything uses it. Every problem is a
:class:`~o365tls.errors.UsageError` naming the file and the entry. The matching rule is
documented in :mod:`o365tls.analysis.remediation`.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import product
from pathlib import Path

from ..errors import UsageError
from .model import DEVICE_TYPES, PATHS, PRIORITIES, TLS_STATES

ANY = "*"
#: Facts about a flow that a step, command or check may depend on (``when = {fact = [...]}``);
#: :mod:`.remediation` derives them from the evidence.
FACTS = {
    "recipients": ("internal", "external", "mixed", "unknown"),
    "runtime": ("windows", "java", "appliance", "unknown"),
    "public_ip": ("yes", "no"),
    "auth": ("basic", "oauth", "unknown"),
    "direction": ("inbound", "outbound", "unknown"),
    "relay": ("yes", "no"),
    # The kind of host that negotiates the hop, when a root cause names it (see .hops).
    "host": ("exchange", "relay", "unknown"),
    "sender_known": ("yes", "no"),  # the evidence names the sender's address or IP
    "device_type": DEVICE_TYPES,
}
#: Placeholders a text may hold (``{sender_ip}``), filled with the finding's own values, and
#: the words a step says instead when the evidence lacks the value. A command or a check
#: whose value is missing is left out rather than shown with a hole in it.
PLACEHOLDERS = {
    "sender": "the sender address",
    "sender_ip": "the sender's IP address",
    "sender_domain": "the sender's domain",
    "connector": "the connector",
    "host": "the sending host",
    "tenant_domain": "your domain",
    "mx_host": "your domain's MX host",
    "on_prem_server": "your Exchange server",
}
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
BUILTIN = "o365tls/data/remediation.toml"
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_HINT = "fix the knowledge file; its header comment describes every field"


@dataclass(frozen=True)
class Match:
    device_types: tuple[str, ...]
    paths: tuple[str, ...]
    tls_states: tuple[str, ...]

    def hits(self, device_type: str, path: str | None, state: str) -> bool:
        """Does this match cover the situation? ``path=None``: unknown, only "*" covers it."""
        return (
            _covers(self.device_types, device_type)
            and _covers(self.paths, path)
            and _covers(self.tls_states, state)
        )

    @property
    def specificity(self) -> tuple[bool, bool, bool]:
        """Compared as a tuple: device type beats path beats TLS state."""
        return (ANY not in self.device_types, ANY not in self.paths, ANY not in self.tls_states)


def _covers(values: tuple[str, ...], value: str | None) -> bool:
    return ANY in values or (value is not None and value in values)


@dataclass(frozen=True)
class Link:
    """A public source: its title and address."""

    title: str
    url: str

    def as_dict(self) -> dict:
        return {"title": self.title, "url": self.url}


@dataclass(frozen=True)
class Item:
    """A step, command or check; shown only where every ``when`` fact holds."""

    text: str
    when: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def applies(self, facts: dict[str, str]) -> bool:
        return all(facts.get(name) in values for name, values in self.when)


@dataclass(frozen=True)
class Deadline:
    key: str
    date: dt.date | None  # None: no date (the admin's choice, or none announced)
    when: str
    source: str
    note: str
    sources: tuple[Link, ...] = ()
    checked: dt.date | None = None
    after: str = ""  # the note once the date has passed ("" = the note holds either way)

    def note_on(self, today: dt.date | None) -> str:
        """The note as it reads on ``today``: a date that has passed is history, not a
        countdown."""
        if self.after and self.date and today and today > self.date:
            return self.after
        return self.note

    def description(self, today: dt.date | None = None) -> str:
        return f"{self.when}: {self.note_on(today)} ({self.source})"


@dataclass(frozen=True)
class Entry:
    id: str
    match: Match
    title: str
    steps: tuple[Item, ...]
    sources: tuple[Link, ...]
    checked: dt.date
    powershell: tuple[Item, ...] = ()
    verify: tuple[Item, ...] = ()
    stopgap: str = ""
    what_you_will_see: str = ""
    draft_message: tuple[Item, ...] = ()  # paragraphs of a message to the other organization
    deadline: str = ""  # key of Knowledge.deadlines


@dataclass(frozen=True)
class LevelRule:
    """A floor or ceiling on the priority of the situations it matches."""

    match: Match
    level: str
    reason: str


@dataclass(frozen=True)
class DeadlineRule:
    deadline: str
    paths: tuple[str, ...]
    critical_within_days: int
    level: str


@dataclass(frozen=True)
class PriorityRules:
    high_messages: int
    high_share: float
    medium_messages: int
    medium_share: float
    tiny_messages: int
    low_likelihood: float
    forced_tls_level: str
    deadlines: tuple[DeadlineRule, ...] = ()
    floors: tuple[LevelRule, ...] = ()
    ceilings: tuple[LevelRule, ...] = ()


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    deadlines: dict[str, Deadline]
    priority: PriorityRules
    source: str
    runtime: dict[str, tuple[re.Pattern, ...]] = field(default_factory=dict)

    @property
    def checked(self) -> dt.date:
        """The newest date on which an entry or deadline was checked against its sources."""
        dates = [e.checked for e in self.entries] + [
            d.checked for d in self.deadlines.values() if d.checked
        ]
        return max(dates)

    def entry_for(self, device_type: str, path: str | None, state: str) -> Entry:
        """The most specific entry for a situation (rule: see o365tls.analysis.remediation)."""
        candidates = [e for e in self.entries if e.match.hits(device_type, path, state)]
        if not candidates:  # load_knowledge proves coverage; this guards hand-built objects
            raise LookupError(f"{self.source}: no entry for {device_type} / {path} / {state}")
        return max(candidates, key=lambda e: e.match.specificity)


def load_knowledge(path: str | Path | None = None) -> Knowledge:
    """Parse and validate a knowledge file (the built-in one, cached, when ``path`` is None).

    Any problem is a :class:`UsageError` naming the file and the entry."""
    if path is None:
        return _builtin()
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{path}: cannot read the knowledge file: {exc.strerror or exc}", hint="check the path"
        ) from None
    return _parse(raw, str(path))


@lru_cache(maxsize=1)
def _builtin() -> Knowledge:
    return _parse(
        resources.files("o365tls.data").joinpath("remediation.toml").read_bytes(), BUILTIN
    )


def _parse(raw: bytes, source: str) -> Knowledge:
    try:
        doc = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(f"{source}: not UTF-8 text", hint=_HINT) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{source}: not valid TOML: {exc}", hint=_HINT) from None
    return _Reader(source).knowledge(doc)


class _Reader:
    """Turns the TOML document into :class:`Knowledge`, failing on the first problem."""

    def __init__(self, source: str):
        self.source = source
        self.shared: dict = {}
        self.links: dict[str, Link] = {}

    def fail(self, where: str, message: str) -> UsageError:
        return UsageError(f"{self.source}: {where}: {message}", hint=_HINT)

    def fields(
        self, table: object, where: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict:
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table")
        missing = [k for k in required if k not in table]
        if missing:
            raise self.fail(where, f"missing field {missing[0]!r}")
        unknown = sorted(set(table) - set(required) - set(optional))
        if unknown:
            raise self.fail(
                where, f"unknown field {unknown[0]!r} (known: {', '.join(required + optional)})"
            )
        return table

    def mapping(self, table: object, where: str) -> dict:
        """A table whose keys are names chosen by the file (deadlines, shared)."""
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table")
        return table

    def knowledge(self, doc: dict) -> Knowledge:
        self.fields(
            doc,
            "top level",
            ("schema", "links", "deadlines", "priority", "entry"),
            ("shared", "runtime"),
        )
        if doc["schema"] != 1:
            raise self.fail("schema", f"unsupported schema {doc['schema']!r} (expected 1)")
        self.links = {
            key: self.link(key, value) for key, value in self.mapping(doc["links"], "links").items()
        }
        self.shared = self.mapping(doc.get("shared", {}), "shared")
        for key, value in self.shared.items():
            if not isinstance(value, str) and not (
                isinstance(value, list) and all(isinstance(v, str | dict) for v in value)
            ):
                raise self.fail(f"shared.{key}", "expected text or a list of texts")
        deadlines = {
            key: self.deadline(key, value)
            for key, value in self.mapping(doc["deadlines"], "deadlines").items()
        }
        if not isinstance(doc["entry"], list) or not doc["entry"]:
            raise self.fail("entry", "expected at least one [[entry]]")
        entries: list[Entry] = []
        for n, table in enumerate(doc["entry"], 1):
            entry = self.entry(table, n, deadlines)
            if any(e.id == entry.id for e in entries):
                raise self.fail(f"entry {entry.id!r}", "duplicate id")
            entries.append(entry)
        rules = self.priority(doc["priority"], deadlines)
        self.check_coverage(entries)
        return Knowledge(
            tuple(entries), deadlines, rules, self.source, self.runtime(doc.get("runtime", {}))
        )

    def link(self, key: str, table: object) -> Link:
        where = f"links.{key}"
        t = self.fields(table, where, ("title", "url"))
        url = self.text(t["url"], where, "url")
        if not url.startswith("https://"):
            raise self.fail(where, f"url {url!r} must start with https://")
        return Link(self.text(t["title"], where, "title"), url)

    def sources(self, value: object, where: str) -> tuple[Link, ...]:
        """A non-empty list of keys of [links]: every fact names where it comes from."""
        if not isinstance(value, list) or not value:
            raise self.fail(where, "sources must be a non-empty list of [links] keys")
        unknown = [v for v in value if not isinstance(v, str) or v not in self.links]
        if unknown:
            raise self.fail(where, f"source {unknown[0]!r} is not in [links]")
        return tuple(self.links[v] for v in value)

    def checked(self, value: object, where: str) -> dt.date:
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            raise self.fail(
                where,
                "checked must be a date (YYYY-MM-DD, unquoted): the day its sources were last read",
            )
        return value

    def runtime(self, table: object) -> dict[str, tuple[re.Pattern, ...]]:
        out = {}
        for name, patterns in self.mapping(table, "runtime").items():
            if name not in FACTS["runtime"] or name == "unknown":
                raise self.fail(
                    f"runtime.{name}",
                    "unknown runtime (known: "
                    f"{', '.join(v for v in FACTS['runtime'] if v != 'unknown')})",
                )
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                raise self.fail(f"runtime.{name}", "expected a list of patterns")
            try:
                out[name] = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
            except re.error as exc:
                raise self.fail(f"runtime.{name}", f"bad pattern: {exc}") from None
        return out

    def deadline(self, key: str, table: object) -> Deadline:
        where = f"deadline {key!r}"
        t = self.fields(
            table, where, ("date", "when", "source", "note", "sources", "checked"), ("after",)
        )
        date = None
        if t["date"]:
            try:
                date = dt.date.fromisoformat(str(t["date"]))
            except ValueError:
                raise self.fail(where, f"date {t['date']!r} is not YYYY-MM-DD") from None
        return Deadline(
            key,
            date,
            self.text(t["when"], where, "when"),
            self.text(t["source"], where, "source"),
            self.placeholders(self.text(t["note"], where, "note"), where),
            self.sources(t["sources"], where),
            self.checked(t["checked"], where),
            self.text(t.get("after", ""), where, "after", empty=True),
        )

    def entry(self, table: object, n: int, deadlines: dict[str, Deadline]) -> Entry:
        ident = table.get("id") if isinstance(table, dict) else None
        where = f"entry {ident!r}" if isinstance(ident, str) else f"entry #{n}"
        t = self.fields(
            table,
            where,
            ("id", "match", "title", "steps", "sources", "checked"),
            ("powershell", "verify", "stopgap", "what_you_will_see", "draft_message", "deadline"),
        )
        if not isinstance(t["id"], str) or not _SLUG.match(t["id"]):
            raise self.fail(where, "id must be a lower-case slug like 'mfp-connector-relay-legacy'")
        deadline = t.get("deadline", "")
        if not isinstance(deadline, str) or (deadline and deadline not in deadlines):
            raise self.fail(
                where,
                f"deadline {deadline!r} is not in [deadlines] (known: {', '.join(deadlines)})",
            )
        steps = self.items(t["steps"], where, "steps")
        if not steps:
            raise self.fail(where, "steps is empty")
        return Entry(
            id=t["id"],
            match=self.match(t["match"], where),
            title=self.text(t["title"], where, "title"),
            steps=steps,
            sources=self.sources(t["sources"], where),
            checked=self.checked(t["checked"], where),
            powershell=self.items(t.get("powershell", []), where, "powershell"),
            verify=self.items(t.get("verify", []), where, "verify"),
            stopgap=self.text(t.get("stopgap", ""), where, "stopgap", empty=True),
            what_you_will_see=self.text(
                t.get("what_you_will_see", ""), where, "what_you_will_see", empty=True
            ),
            draft_message=self.items(t.get("draft_message", []), where, "draft_message"),
            deadline=deadline,
        )

    def match(self, table: object, where: str) -> Match:
        t = self.fields(table, f"{where} match", ("device_types", "paths", "tls_states"))
        out = []
        for name, known in (
            ("device_types", DEVICE_TYPES),
            ("paths", PATHS),
            ("tls_states", TLS_STATES),
        ):
            values = t[name]
            if not isinstance(values, list) or not values:
                raise self.fail(where, f"match.{name} must be a non-empty list")
            for value in values:
                if value != ANY and value not in known:
                    raise self.fail(
                        where,
                        f"unknown {name[:-1].replace('_', ' ')} {value!r}"
                        f' (known: {", ".join(known)}, or "*")',
                    )
            if ANY in values and len(values) > 1:
                raise self.fail(where, f'match.{name}: "*" must stand alone')
            out.append(tuple(values))
        return Match(*out)

    def include(self, value: dict, where: str) -> str | list:
        key = self.fields(value, f"{where} include", ("include",))["include"]
        if not isinstance(key, str) or key not in self.shared:
            raise self.fail(where, f"include {key!r} is not in [shared]")
        return self.shared[key]

    def text(self, value: object, where: str, name: str, empty: bool = False) -> str:
        if isinstance(value, dict):
            value = self.include(value, f"{where} {name}")
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.fail(where, f"{name} must be {'' if empty else 'non-empty '}text")
        return value.strip()

    def placeholders(self, text: str, where: str) -> str:
        for name in _PLACEHOLDER.findall(text):
            if name not in PLACEHOLDERS:
                raise self.fail(
                    where, f"unknown placeholder {{{name}}} (known: {', '.join(PLACEHOLDERS)})"
                )
        return text

    def condition(self, value: object, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
        if not isinstance(value, dict) or not value:
            raise self.fail(
                where, 'when must be a table of facts, e.g. when = { recipients = ["internal"] }'
            )
        out = []
        for name, values in value.items():
            if name not in FACTS:
                raise self.fail(where, f"unknown fact {name!r} (known: {', '.join(FACTS)})")
            if (
                not isinstance(values, list)
                or not values
                or any(v not in FACTS[name] for v in values)
            ):
                raise self.fail(where, f"when.{name} must list values of {', '.join(FACTS[name])}")
            out.append((name, tuple(values)))
        return tuple(out)

    def items(self, value: object, where: str, name: str, when: tuple = ()) -> tuple[Item, ...]:
        """A list of texts, includes and ``{ text|include = ..., when = {...} }`` items; an
        included list may itself hold conditional items."""
        if not isinstance(value, list):
            raise self.fail(where, f"{name} must be a list")
        out: list[Item] = []
        for item in value:
            cond = when
            if isinstance(item, dict) and "when" in item:
                cond = when + self.condition(item["when"], f"{where} {name}")
                rest = {k: v for k, v in item.items() if k != "when"}
                if "text" in rest:
                    item = self.fields(rest, f"{where} {name}", ("text",))["text"]
                else:
                    item = rest
            if isinstance(item, dict):
                included = self.include(item, f"{where} {name}")
                out.extend(
                    self.items(
                        included if isinstance(included, list) else [included], where, name, cond
                    )
                )
                continue
            if not isinstance(item, str) or not item.strip():
                raise self.fail(where, f"{name} has an empty or non-text item")
            out.append(Item(self.placeholders(item.strip(), where), cond))
        return tuple(out)

    def level(self, value: object, where: str) -> str:
        if value not in PRIORITIES:
            raise self.fail(where, f"level {value!r} is not one of {', '.join(PRIORITIES)}")
        return value

    def number(self, t: dict, key: str, share: bool = False) -> float:
        value = t[key]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or value < 0
            or (share and value > 1)
        ):
            raise self.fail(
                f"priority.{key}", f"expected a {'share 0..1' if share else 'count'}, got {value!r}"
            )
        return value

    def priority(self, table: object, deadlines: dict[str, Deadline]) -> PriorityRules:
        counts = ("high_messages", "medium_messages", "tiny_messages")
        shares = ("high_share", "medium_share", "low_likelihood")
        t = self.fields(
            table,
            "priority",
            counts + shares + ("forced_tls_level",),
            ("deadline", "floor", "ceiling"),
        )
        whole = {k: int(self.number(t, k)) for k in counts}
        share = {k: float(self.number(t, k, share=True)) for k in shares}
        if whole["medium_messages"] > whole["high_messages"] or (
            share["medium_share"] > share["high_share"]
        ):
            raise self.fail("priority", "medium thresholds must not exceed the high ones")
        rules = []
        for n, d in enumerate(t.get("deadline", []), 1):
            where = f"priority.deadline #{n}"
            d = self.fields(d, where, ("deadline", "paths", "critical_within_days", "level"))
            known = deadlines.get(d["deadline"]) if isinstance(d["deadline"], str) else None
            if known is None or known.date is None:
                raise self.fail(
                    where, f"deadline {d['deadline']!r} is not a dated [deadlines] entry"
                )
            paths = self.match(
                {"device_types": [ANY], "paths": d["paths"], "tls_states": [ANY]}, where
            ).paths
            days = d["critical_within_days"]
            if isinstance(days, bool) or not isinstance(days, int) or days < 0:
                raise self.fail(where, "critical_within_days must be a whole number of days")
            rules.append(DeadlineRule(d["deadline"], paths, days, self.level(d["level"], where)))
        return PriorityRules(
            high_messages=whole["high_messages"],
            high_share=share["high_share"],
            medium_messages=whole["medium_messages"],
            medium_share=share["medium_share"],
            tiny_messages=whole["tiny_messages"],
            low_likelihood=share["low_likelihood"],
            forced_tls_level=self.level(t["forced_tls_level"], "priority.forced_tls_level"),
            deadlines=tuple(rules),
            floors=self.level_rules(t, "floor"),
            ceilings=self.level_rules(t, "ceiling"),
        )

    def level_rules(self, t: dict, kind: str) -> tuple[LevelRule, ...]:
        out = []
        for n, r in enumerate(t.get(kind, []), 1):
            where = f"priority.{kind} #{n}"
            r = self.fields(r, where, ("device_types", "paths", "tls_states", "level", "reason"))
            match = self.match({k: r[k] for k in ("device_types", "paths", "tls_states")}, where)
            out.append(
                LevelRule(
                    match, self.level(r["level"], where), self.text(r["reason"], where, "reason")
                )
            )
        return tuple(out)

    def check_coverage(self, entries: list[Entry]) -> None:
        """Every situation, and every device/state with an unknown path, has exactly one most
        specific entry."""
        for device_type, path, state in product(DEVICE_TYPES, (*PATHS, None), TLS_STATES):
            hits = [e for e in entries if e.match.hits(device_type, path, state)]
            label = f"{device_type} / {path or 'unknown path'} / {state}"
            if not hits:
                raise self.fail("entries", f"no entry covers {label}")
            best = max(e.match.specificity for e in hits)
            tied = [e.id for e in hits if e.match.specificity == best]
            if len(tied) > 1:
                raise self.fail(
                    f"entry {tied[1]!r}",
                    f"as specific as {tied[0]!r} for {label}; make one of them narrower",
                )
