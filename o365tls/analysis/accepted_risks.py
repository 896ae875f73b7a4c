"""Accepted risks (``--exceptions FILE``): findings someone decided to live with, for a reason,
until a date.

The file is YAML or TOML, a list of entries under ``exception`` (TOML ``[[exception]]``)::

    [[exception]]
    connector = "Partner - Contoso*"      # glob on the connector name
    ip = "203.0.113.0/24"                 # an IP or a CIDR
    sender = "*@contoso-logistics.example"  # glob on the sender address
    device_type = "partner-mta"
    id = "f-0123456789ab"                 # one finding
    reason = "Partner cannot do TLS before their Q1 migration"
    owner = "j.doe@northwindtraders.example"
    expires = 2027-03-31

Every given match field must hold (they are ANDed); at least one is required, and so are
``reason`` and ``expires``. Accepted findings stay in every report, marked; once ``expires`` has
passed they count again and a note says which exception expired.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from ..errors import UsageError
from .model import DEVICE_TYPES
from .results import Acceptance, Finding, Results

MATCH_FIELDS = ("connector", "ip", "sender", "device_type", "id")
FIELDS = (*MATCH_FIELDS, "reason", "owner", "expires")


@dataclass(frozen=True)
class AcceptedRisk:
    index: int  # 1-based position in the file
    line: int | None
    reason: str
    expires: date
    owner: str = ""
    connector: str = ""
    ip: str = ""
    sender: str = ""
    device_type: str = ""
    id: str = ""

    def matches(self, f: Finding) -> bool:
        """Whether it accepts a finding: by the finding's own identity, or, for a root cause,
        by the identity of every flow behind it (an exception written for a flow before root
        causes existed still accepts a root cause that is that flow alone)."""
        flow = f.flow
        if self.matches_identity(
            f.id, flow.connector, flow.sender_address, flow.sender_ip, f.device.device_type
        ):
            return True
        return bool(f.members) and all(self.matches(m) for m in f.members)

    def matches_own(self, f: Finding) -> bool:
        """Whether it accepts a finding by the finding's own identity alone (an unverified
        finding, read back from the history, is judged as it was stored)."""
        flow = f.flow
        return self.matches_identity(
            f.id, flow.connector, flow.sender_address, flow.sender_ip, f.device.device_type
        )

    def matches_identity(
        self, fid: str, connector: str, sender: str, ip: str, device_type: str
    ) -> bool:
        if self.id and fid != self.id:
            return False
        if self.connector and not fnmatch.fnmatchcase(connector.lower(), self.connector.lower()):
            return False
        if self.sender and not fnmatch.fnmatchcase(sender.lower(), self.sender.lower()):
            return False
        if self.device_type and device_type != self.device_type:
            return False
        if self.ip:
            try:
                if ipaddress.ip_address(ip) not in ipaddress.ip_network(self.ip, strict=False):
                    return False
            except ValueError:
                return False
        return True

    def acceptance(self, expired: bool) -> Acceptance:
        """What a finding it matches carries of it."""
        return Acceptance(
            self.index,
            self.line,
            self.reason,
            self.owner,
            self.expires.isoformat(),
            tuple((k, getattr(self, k)) for k in MATCH_FIELDS if getattr(self, k)),
            expired,
        )


def load_exceptions(path: str | Path) -> list[AcceptedRisk]:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"{file}: cannot read the exceptions file ({exc})",
            hint="--exceptions takes a UTF-8 YAML or TOML file",
        ) from exc
    entries, lines = _parse(file, text)
    return [
        _entry(file, i + 1, lines[i] if i < len(lines) else None, e) for i, e in enumerate(entries)
    ]


def _parse(file: Path, text: str) -> tuple[list, list[int | None]]:
    if file.suffix.lower() == ".toml" or re.search(r"^\s*\[\[exception", text, re.M):
        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(
                f"{file}: not valid TOML ({exc})", hint="see the exceptions example in README.md"
            ) from exc
        lines: list[int | None] = [
            n + 1
            for n, ln in enumerate(text.splitlines())
            if re.match(r"\s*\[\[\s*exceptions?\s*\]\]", ln)
        ]
        entries = doc.get("exception", doc.get("exceptions", []))
    else:
        import yaml  # only for a YAML exceptions file: most runs have none

        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            doc = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UsageError(
                f"{file}: not valid YAML ({exc})".replace("\n", " "),
                hint="see the exceptions example in README.md",
            ) from exc
        items = _yaml_items(node)
        lines = [item.start_mark.line + 1 for item in items]
        entries = doc.get("exceptions", doc.get("exception", [])) if isinstance(doc, dict) else doc
    if entries is None:
        entries = []
    if not isinstance(entries, list):
        raise UsageError(
            f"{file}: expected a list of exceptions",
            hint="write them under `exceptions:` (YAML) or [[exception]] (TOML)",
        )
    return entries, lines


def _yaml_items(node) -> list:
    import yaml

    if node is None:
        return []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value in ("exceptions", "exception") and isinstance(value, yaml.SequenceNode):
                return list(value.value)
        return []
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _entry(file: Path, index: int, line: int | None, raw) -> AcceptedRisk:
    where = f"{file}: exception #{index}" + (f" (line {line})" if line else "")

    def bad(message: str) -> UsageError:
        return UsageError(f"{where}: {message}", hint="see the exceptions example in README.md")

    if not isinstance(raw, dict):
        raise bad("is not a table of fields")
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise bad(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(FIELDS)}")
    values = {k: str(raw[k]).strip() for k in MATCH_FIELDS if raw.get(k) not in (None, "")}
    if not values:
        raise bad(f"needs at least one of {', '.join(MATCH_FIELDS)} to say what it accepts")
    if not str(raw.get("reason") or "").strip():
        raise bad("needs a reason")
    expires = _date(raw.get("expires"))
    if expires is None:
        raise bad("needs an expiry date (expires = YYYY-MM-DD)")
    if "device_type" in values and values["device_type"] not in DEVICE_TYPES:
        raise bad(f"device_type {values['device_type']!r} is not one of {', '.join(DEVICE_TYPES)}")
    if "ip" in values:
        try:
            ipaddress.ip_network(values["ip"], strict=False)
        except ValueError:
            raise bad(f"ip {values['ip']!r} is neither an IP address nor a CIDR") from None
    return AcceptedRisk(
        index=index,
        line=line,
        reason=str(raw["reason"]).strip(),
        expires=expires,
        owner=str(raw.get("owner") or "").strip(),
        **values,
    )


def _date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def apply_exceptions(results: Results, risks: list[AcceptedRisk], today: date) -> Results:
    """Mark the findings that an exception accepts; expired exceptions mark nothing and leave
    a note (and the finding's ``exception`` says which one expired)."""
    if not risks:
        return results
    flows = []
    expired_hits: dict[int, int] = {}
    for f in results.all_findings:
        if not f.at_risk:
            flows.append(f)
            continue
        risk = next((r for r in risks if r.matches(f)), None)
        if risk is None:
            flows.append(f)
        elif risk.expires < today:
            expired_hits[risk.index] = expired_hits.get(risk.index, 0) + 1
            flows.append(replace(f, accepted=False, exception=risk.acceptance(expired=True)))
        else:
            flows.append(replace(f, accepted=True, exception=risk.acceptance(expired=False)))
    unverified = []
    for f in results.unverified:
        risk = next((r for r in risks if r.matches_own(f)), None)
        if risk is None:
            unverified.append(replace(f, accepted=False, exception=None))
        elif risk.expires < today:
            expired_hits[risk.index] = expired_hits.get(risk.index, 0) + 1
            unverified.append(replace(f, accepted=False, exception=risk.acceptance(expired=True)))
        else:
            unverified.append(replace(f, accepted=True, exception=risk.acceptance(expired=False)))
    notes = list(results.notes)
    for risk in risks:
        if risk.index in expired_hits:
            notes.append(
                f"warning: exception #{risk.index} ({risk.reason}) expired on "
                f"{risk.expires.isoformat()}; its {expired_hits[risk.index]} finding(s) "
                "count again"
            )
    return replace(
        results, all_findings=tuple(flows), unverified=tuple(unverified), notes=tuple(notes)
    )
