"""The ``custom-data`` field of Exchange tracking logs and historical-search extended reports.

Agents write it as a ``;``-separated list of typed items, ``S:key=value;S:key2=value``. Keys may
carry a namespace (``S:Microsoft.Exchange.Transport.MailRecipient.EffectiveTlsAuthLevel=...``),
values may contain ``=`` (``S:InboundConnectorData=Name=Scanners``), and the spam filter agent
packs its verdict into one item of ``|``-separated sub-fields::

    S:SFA=SUM|SFV=NSPM|...|H=mail.example.com|PTR=mail.example.com|CIP=203.0.113.5|...;

(``H`` is the HELO name, ``PTR`` the reverse DNS of the client, ``CIP`` the client IP; see the
Exchange Online "Run a message trace and view results" page, custom_data values.)

``Get-MessageTrackingLog`` shows the same data as ``EventData``; when an admin flattens it
with ``-join`` it reads ``[key, value]`` pairs, which are accepted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

# Items start at the beginning or after ";", with a one-letter type prefix ("S:", "I:").
_ITEM_SPLIT = re.compile(r";\s*(?=[A-Za-z]:[A-Za-z])")
_TYPE_PREFIX = re.compile(r"^[A-Za-z]:(?=[A-Za-z])")
# Key and value are stripped by the caller: no \s* around the lazy groups, which would make
# "[a   b]" (no comma) backtrack quadratically.
_PAIR = re.compile(r"\[([^,\[\]]+),([^\[\]]*)\]")
_NAME = re.compile(r"(?:^|[;|,])\s*Name=([^;|]*)", re.IGNORECASE)

SPAM_AGENT = "SFA"


@dataclass(frozen=True)
class CustomData:
    """Parsed items, in file order; look-ups are case-insensitive."""

    items: tuple[tuple[str, str], ...] = ()
    spam: tuple[tuple[str, str], ...] = ()  # sub-fields of every S:SFA item

    def get(self, name: str) -> str:
        """The first non-empty value whose key is ``name`` or ends with ``.name``."""
        wanted = name.lower()
        for key, value in self.items:
            low = key.lower()
            if (low == wanted or low.endswith("." + wanted)) and value:
                return value
        return ""

    def spam_field(self, name: str) -> str:
        """A sub-field of the spam filter agent's verdict: ``H``, ``PTR``, ``CIP``..."""
        return self._spam_fields.get(name.lower(), "")

    @cached_property
    def _spam_fields(self) -> dict[str, str]:
        """The first non-empty value of each sub-field, by lower-case name (parsed values are
        shared, so each is indexed once however many rows ask)."""
        fields: dict[str, str] = {}
        for key, value in self.spam:
            if value:
                fields.setdefault(key.lower(), value)
        return fields

    def connector_name(self, name: str) -> str:
        """``Name=`` inside an item such as ``InboundConnectorData=Name=Scanners;...``."""
        match = _NAME.search(self.get(name))
        return match.group(1).strip() if match else ""


EMPTY = CustomData()


def parse(text: object) -> CustomData:
    """Parse one custom-data value; anything unreadable gives fewer items, never an error."""
    if not isinstance(text, str):
        return EMPTY
    text = text.strip()
    if not text:
        return EMPTY
    if text.startswith(("{", "[")):
        pairs = tuple((k.strip(), v.strip()) for k, v in _PAIR.findall(text))
        if pairs:
            return CustomData(pairs, ())
    items: list[tuple[str, str]] = []
    spam: list[tuple[str, str]] = []
    for part in _ITEM_SPLIT.split(text):
        part = _TYPE_PREFIX.sub("", part.strip().rstrip(";").strip())
        if not part:
            continue
        key, _, value = part.partition("=")
        key, value = key.strip(), value.strip()
        items.append((key, value))
        if key.upper() == SPAM_AGENT:
            spam.extend(_sub_fields(value))
    return CustomData(tuple(items), tuple(spam))


def _sub_fields(value: str) -> list[tuple[str, str]]:
    out = []
    for field in value.split("|"):
        key, sep, sub = field.partition("=")
        if sep:
            out.append((key.strip(), sub.strip()))
    return out
