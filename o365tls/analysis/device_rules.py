"""Device classification rules: load and validate ``o365tls/data/device_rules.toml`` and the
user's ``--rules FILE`` (TOML or YAML, same shape). Knowledge is data: the rules say what a
signal means; :mod:`o365tls.analysis.devices` only evaluates them.

Patterns are compiled (case-insensitive) and checked at load, never eval'd. Every problem is a
one-line UsageError naming the file, the entry (``rule #N (id 'x')``), the line for syntax
errors, and the fix.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..errors import UsageError
from .inventory import clip
from .model import DEVICE_TYPES, UNKNOWN_DEVICE

BUILTIN = "built-in"
FIELDS: tuple[str, ...] = (
    "connector",
    "connector_type",
    "direction",
    "path",
    "scope",
    "sender_ip",
    "hostname",
    "ptr",
    "auth_user",
    "auth_protocol",
    "local_port",
    "forced_tls",
    "sender_address",
    "sender_local",
    "sender_domain",
    "subject",
    "message_id_host",
    "volume_pattern",
)
COUNTED = frozenset({"subject", "message_id_host"})  # (value, messages) pairs
RULE_TYPES = tuple(t for t in DEVICE_TYPES if t != UNKNOWN_DEVICE)
_KEYS = frozenset(
    {
        "id",
        "device_type",
        "field",
        "pattern",
        "weight",
        "evidence",
        "require",
        "unless",
        "enabled",
        "note",
    }
)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


@dataclass(frozen=True)
class Condition:
    fields: tuple[str, ...]
    pattern: re.Pattern


@dataclass(frozen=True)
class Rule:
    id: str
    device_type: str
    fields: tuple[str, ...]
    pattern: re.Pattern
    weight: float
    evidence: str
    require: tuple[Condition, ...] = ()
    unless: tuple[Condition, ...] = ()
    source: str = "heuristic"  # "rules" when it comes from the user's --rules file


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    sources: tuple[str, ...] = (BUILTIN,)

    def __len__(self) -> int:
        return len(self.rules)

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


# ------------------------------------------------------------------------------ loading rules


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The built-in rules, plus the user's rules file (TOML or YAML) when ``path`` is given.

    A user entry with a built-in id replaces that rule (keys it leaves out are kept); ``enabled
    = false`` removes it. Problems raise UsageError naming the file, the entry and the fix."""
    builtin = _builtin_entries()
    if path is None:
        return _builtin_ruleset()
    label = str(path)
    # rule id -> (entry, index in the user's file or 0 for a built-in), in built-in order first
    merged: dict[str, tuple[dict, int]] = {entry["id"]: (entry, 0) for entry in builtin}
    for index, entry in _user_entries(label):
        base = merged.get(entry["id"], ({}, 0))[0]
        merged[entry["id"]] = ({**base, **entry}, index)
    rules = []
    for rule_id, (entry, index) in merged.items():
        if entry.get("enabled", True) is False:
            continue
        if index == 0:
            known = _builtin_ruleset().get(rule_id)
            assert known is not None  # index 0: merged from the built-in rules
            rules.append(known)
        else:
            rules.append(_rule(entry, label, index, source="rules"))
    return RuleSet(tuple(rules), (BUILTIN, label))


@lru_cache(maxsize=1)
def _builtin_entries() -> tuple[dict, ...]:
    text = resources.files("o365tls.data").joinpath("device_rules.toml").read_text("utf-8")
    return tuple(_entries(tomllib.loads(text), "device_rules.toml (built-in)"))


@lru_cache(maxsize=1)
def _builtin_ruleset() -> RuleSet:
    label = "device_rules.toml (built-in)"
    entries = _builtin_entries()
    return RuleSet(
        tuple(
            _rule(e, label, i)
            for i, e in enumerate(entries, 1)
            if e.get("enabled", True) is not False
        )
    )


def _user_entries(label: str) -> list[tuple[int, dict]]:
    try:
        raw = Path(label).read_bytes()
    except OSError as exc:
        raise UsageError(
            f"{label}: cannot read the rules file: {exc.strerror or exc}",
            hint="check the --rules path",
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(
            f"{label}: the rules file is not UTF-8 text", hint="save it as UTF-8"
        ) from None
    data = _parse(label, text)
    entries = _entries(data, label)
    if not entries:
        raise UsageError(
            f"{label}: no rules found",
            hint="write one [[rule]] table (TOML) or a 'rules:' list (YAML) per rule",
        )
    seen: set[str] = set()
    out = []
    for index, entry in enumerate(entries, 1):
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            raise UsageError(
                f"{label}: rule #{index}: 'id' must be a short name of letters, "
                f"digits, '-', '_' or '.' (got {clip(repr(rule_id), 40)})",
                hint='give every rule an id such as id = "my-scanners"',
            )
        if rule_id in seen:
            raise UsageError(
                f"{label}: rule #{index} (id '{rule_id}'): the id is used twice",
                hint="give each rule its own id",
            )
        seen.add(rule_id)
        out.append((index, entry))
    return out


def _parse(label: str, text: str) -> object:
    """TOML, or YAML: the suffix says which to try first; content decides."""
    yaml_first = Path(label).suffix.lower() in (".yaml", ".yml")
    attempts = (_parse_yaml, _parse_toml) if yaml_first else (_parse_toml, _parse_yaml)
    first_error: UsageError | None = None
    for attempt in attempts:
        try:
            data = attempt(label, text)
        except UsageError as exc:
            first_error = first_error or exc
            continue
        if isinstance(data, (dict, list)):
            return data
    raise first_error or UsageError(
        f"{label}: not a TOML or YAML rules file", hint="write one [[rule]] table per rule"
    )


def _parse_toml(label: str, text: str) -> object:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # the message carries "(at line N, column M)"
        raise UsageError(
            f"{label}: not valid TOML: {exc}",
            hint="fix the TOML syntax at that line (strings in quotes; regexes "
            "best in 'single quotes')",
        ) from None


def _parse_yaml(label: str, text: str) -> object:
    import yaml  # only for a YAML rules file: most runs have none

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise UsageError(
            f"{label}: not valid YAML{where}: {problem}",
            hint="fix the YAML syntax at that line (regexes best in 'single quotes')",
        ) from None


def _entries(data: object, label: str) -> list[dict]:
    entries: object
    if isinstance(data, list):
        entries = data
    elif isinstance(data, dict):
        extra = sorted(str(k) for k in data if k not in ("rule", "rules"))
        if extra:
            raise UsageError(
                f"{label}: unknown top-level key(s) {', '.join(extra)}",
                hint="put every rule in a [[rule]] table (TOML) or under 'rules:'",
            )
        entries = data.get("rule", data.get("rules", []))
    else:
        entries = None
    if not isinstance(entries, list):
        raise UsageError(
            f"{label}: expected a list of rules",
            hint="write one [[rule]] table (TOML) or a 'rules:' list (YAML)",
        )
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise UsageError(
                f"{label}: rule #{index}: expected a table of keys, got {type(entry).__name__}",
                hint="each rule needs id, device_type, field, pattern, weight",
            )
    return entries


def _rule(entry: dict, label: str, index: int, source: str = "heuristic") -> Rule:
    rule_id = entry.get("id")
    where = f"{label}: rule #{index} (id '{clip(rule_id, 40)}')"

    def bad(problem: str, hint: str) -> UsageError:
        return UsageError(f"{where}: {problem}", hint=hint)

    unknown = sorted(str(k) for k in entry if k not in _KEYS)
    if unknown:
        raise bad(f"unknown key(s) {', '.join(unknown)}", "use only " + ", ".join(sorted(_KEYS)))
    if not isinstance(rule_id, str) or not _ID.match(rule_id):
        raise bad("'id' is missing or not a short name", "give the rule an id such as my-rule")
    device_type = entry.get("device_type")
    if device_type not in RULE_TYPES:
        raise bad(
            f"unknown device_type {clip(repr(device_type), 40)}",
            "use one of " + ", ".join(RULE_TYPES),
        )
    fields = _fields(entry.get("field"), bad)
    pattern = _regex(entry.get("pattern"), "pattern", bad)
    weight = entry.get("weight")
    if (
        isinstance(weight, bool)
        or not isinstance(weight, (int, float))
        or not 0.0 <= float(weight) <= 1.0
        or math.isnan(float(weight))
    ):
        raise bad(
            f"weight must be a number from 0 to 1 (got {clip(repr(weight), 40)})",
            "e.g. weight = 0.6; 1 means certain",
        )
    text = entry.get("evidence", f"{'/'.join(fields)} '{{value}}' matches rule {rule_id}")
    if not isinstance(text, str) or not text.strip():
        raise bad(
            "'evidence' must be a non-empty text",
            "e.g. evidence = \"sender '{value}' is our scanner mailbox\"",
        )
    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise bad("'enabled' must be true or false", "write enabled = false to switch it off")
    # clip: one line, control characters out (the template may come from the user)
    return Rule(
        rule_id,
        device_type,
        fields,
        pattern,
        float(weight),
        clip(text, 400),
        _conditions(entry.get("require"), "require", bad),
        _conditions(entry.get("unless"), "unless", bad),
        source,
    )


def _fields(value: object, bad) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if (
        not isinstance(names, list)
        or not names
        or any(not isinstance(n, str) or n not in FIELDS for n in names)
    ):
        raise bad(
            f"unknown field {clip(repr(value), 60)}",
            "field is one of (or a list of) " + ", ".join(FIELDS),
        )
    return tuple(names)


def _regex(value: object, key: str, bad) -> re.Pattern:
    if not isinstance(value, str):
        raise bad(
            f"'{key}' must be a regex text (got {clip(repr(value), 40)})", "e.g. pattern = '^scan'"
        )
    try:
        return re.compile(value, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise bad(
            f"{key} {clip(repr(value), 60)} is not a valid regex: {exc}",
            "fix the regex (Python syntax; escape literal . ( ) [ with a backslash)",
        ) from None


def _conditions(value: object, key: str, bad) -> tuple[Condition, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not value:
        raise bad(
            f"'{key}' must be a table of field = regex", f"e.g. {key} = {{ path = '^internet$' }}"
        )
    out = []
    for name, regex in value.items():
        fields = _fields(name, bad)
        out.append(Condition(fields, _regex(regex, f"{key}.{name}", bad)))
    return tuple(out)
