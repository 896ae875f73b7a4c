"""Exports that hold their rows as objects rather than CSV lines: JSON (:mod:`.jsonfile`) and
the Office 365 Reporting Web Service's Atom XML feed
(``reports.office365.com/ecp/reportingwebservice/reporting.svc/MessageTrace`` and
``.../MessageTraceDetail`` without ``$format=json``), which SIEM connectors and old scripts save.

An Atom feed is ``<feed xmlns="http://www.w3.org/2005/Atom" xmlns:d="...dataservices"
xmlns:m="...dataservices/metadata">`` with one ``<entry>`` per row, its fields in
``<content type="application/xml"><m:properties><d:Received m:type="Edm.DateTime">...``; an
empty field is ``<d:ToIP m:null="true" />``, and a feed cut into pages ends with ``<link
rel="next" href="...$skiptoken=..."/>``. Format modules read both kinds through
:func:`document_records` and detect both through :func:`document_keys`.

The XML is parsed without a DOCTYPE: a file that declares one (or entities) is refused, so no
entity is expanded and nothing external is fetched.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import cast

from ..quality import FileReport
from .jsonfile import json_keys, json_records, note_next_page, whole_file
from .sample import JSON, XML, Sample

ATOM = "http://www.w3.org/2005/Atom"
# The service writes http://; copies of its documentation show https://. Both are accepted.
_DATASERVICES = re.compile(r"^https?://schemas\.microsoft\.com/ado/2007/08/dataservices$")
_METADATA = re.compile(r"^https?://schemas\.microsoft\.com/ado/2007/08/dataservices/metadata$")
_PREFIX = re.compile(
    r"""xmlns:(?P<prefix>[A-Za-z_][\w.-]*)\s*=\s*["']https?://schemas\.microsoft\.com/ado/"""
    r"""2007/08/dataservices["']"""
)
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_DOCTYPE = re.compile(r"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
#: Characters fed to the parser at a time.
_FEED_CHARS = 1 << 20


def document_records(sample: Sample, report: FileReport) -> list[dict] | None:
    """The rows of a JSON or Atom export as objects (property name -> value), or None (with
    an issue) when the file cannot be read."""
    if sample.kind == XML:
        return atom_records(sample, report)
    return json_records(sample, report)


def document_keys(sample: Sample) -> set[str]:
    """Property names (lower case) in a JSON or Atom sample, for detection; empty for other
    samples, and for XML that is not an OData Atom feed."""
    if sample.kind == JSON:
        return json_keys(sample)
    if sample.kind == XML:
        return atom_keys(sample)
    return set()


def atom_keys(sample: Sample) -> set[str]:
    """Property names in an OData Atom sample: the elements in the dataservices namespace."""
    text = sample.text
    if ATOM not in text:
        return set()
    prefixes = {m.group("prefix") for m in _PREFIX.finditer(text)}
    names: set[str] = set()
    for prefix in prefixes:
        names.update(
            m.lower() for m in re.findall(rf"<{re.escape(prefix)}:([A-Za-z_][\w.]*)", text)
        )
    return names


def atom_records(sample: Sample, report: FileReport) -> list[dict] | None:
    """One object per ``<entry>``: its properties, ``None`` where ``m:null="true"``."""
    data = whole_file(sample, report, "XML", "export CSV or JSON instead")
    if data is None:
        return None
    try:
        text = data.decode(sample.encoding).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        report.fail("bad-xml", f"not text in {sample.encoding_label} ({exc}); export it again")
        return None
    if _DOCTYPE.search(text):
        report.fail(
            "bad-xml",
            "the XML declares a DOCTYPE or entities, which no Reporting Web "
            "Service answer has; refused unread (nothing is expanded or "
            "fetched)",
        )
        return None
    # The text is decoded already: the declaration's encoding does not apply to it.
    text = _DECLARATION.sub("", text, count=1)
    records: list[dict] = []
    next_link = ""
    parser: ET.XMLPullParser[ET.Element] = ET.XMLPullParser(events=("end",))
    try:
        for start in range(0, len(text), _FEED_CHARS):
            parser.feed(text[start : start + _FEED_CHARS])
            next_link = _take(parser, records, next_link)
        parser.close()
        next_link = _take(parser, records, next_link)
    except ET.ParseError as exc:
        report.fail(
            "bad-xml", f"not well-formed XML ({exc}); export it again or use JSON ($format=json)"
        )
        return None
    if next_link:
        note_next_page(report, 1, next_link)
    return records


def _take(parser: ET.XMLPullParser[ET.Element], records: list[dict], next_link: str) -> str:
    """Entries the parser has finished, as objects (each entry freed once read); the feed's
    link to a next page, if one has been read."""
    # Only end events are asked for: each carries an element.
    for _event, element in cast("Iterator[tuple[str, ET.Element]]", parser.read_events()):
        namespace, _, local = element.tag.rpartition("}")
        if namespace != "{" + ATOM:
            continue
        if local == "entry":
            records.append(_properties(element))
            element.clear()
        elif local == "link" and element.get("rel") == "next":
            next_link = element.get("href", "")
    return next_link


def _properties(entry: ET.Element) -> dict:
    out: dict = {}
    for node in entry.iter():
        namespace, _, local = node.tag.rpartition("}")
        if local != "properties" or not _METADATA.match(namespace.lstrip("{")):
            continue
        for prop in node:
            prop_ns, _, name = prop.tag.rpartition("}")
            if not _DATASERVICES.match(prop_ns.lstrip("{")):
                continue
            null = next((v for k, v in prop.attrib.items() if k.endswith("}null")), "")
            out[name] = None if null.lower() == "true" else (prop.text or "")
        break
    return out
