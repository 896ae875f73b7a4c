"""PowerShell ``Export-Clixml`` files of connectors and message tracking events.

Clixml is PowerShell's object serialization (the [MS-PSRP] serialization format): an ``<Objs>``
root in the ``http://schemas.microsoft.com/powershell/2004/04`` namespace holding one ``<Obj>``
per exported object, each with its type names (``<TN>``, or ``<TNRef>`` to an earlier list),
its properties under ``<Props>`` and ``<MS>`` (``<S N="Name">``, ``<B>``, ``<I32>``, ``<DT>``,
``<Nil N=..>``...), nested objects, collections (``<LST>``, ``<IE>``, ``<DCT>``) and ``<Ref>``
back-references to objects written before. ``Export-Clixml`` writes UTF-16 with a BOM.

Each object becomes a row of its property names and is handed to the converter of the format
it belongs to, so that Clixml, CSV and JSON exports give the same records:

* connectors (``Deserialized.Microsoft.Exchange.Data.Directory.SystemConfiguration.
  TenantInboundConnector``, ``...TenantOutboundConnector``, ``...ReceiveConnector``) through
  :func:`.connector_config.convert`; multi-valued properties arrive as real lists;
* message tracking events (``Microsoft.Exchange.Management.TransportLogSearchTasks.
  MessageTrackingEvent``, ``Deserialized.`` or not) through :func:`.tracking_log.convert`
  with ``Get-MessageTrackingLog``'s property names; ``EventData``, a list of key/value pairs,
  is written ``S:key=value;S:key2=value2`` as the log's custom-data is; ``Timestamp`` is a
  ``<DT>`` with its UTC offset, so the times are exact.

Any other object type is a rejected row naming the type. The file is read as a stream, one
object at a time; a document type declaration (the door to entity expansion) refuses the file.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast
from xml.etree import ElementTree

import pandas as pd

from ..quality import FileReport
from ..schema import CONNECTORS, SIGHTINGS
from . import connector_config, tracking_log
from .base import Batch, Format, LoadContext
from .sample import BINARY, EMPTY, Sample
from .table import ROW_COLUMN

NAMESPACE = "http://schemas.microsoft.com/powershell/2004/04"
_NS = "{" + NAMESPACE + "}"
#: Objects per converted chunk.
CHUNK_OBJECTS = 5_000
#: Text decoded per parser feed.
READ_CHARS = 1 << 20
#: Elements in one top-level object beyond which it is rejected (a connector has ~300).
MAX_OBJECT_ELEMENTS = 200_000
#: Nesting below a top-level object beyond which values are not followed.
MAX_DEPTH = 24
#: Objects remembered for <Ref RefId=..> back-references.
MAX_REFS = 100_000
# Markup first, then an <Objs> root (a document type before it is refused when read).
_MARKUP = re.compile(r"^\s*<")
_ROOT = re.compile(r"<Objs\b")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_COLLECTIONS = ("LST", "IE", "STK", "QUE")
CONNECTOR = "connector"
TRACKING = "tracking"
# Type names -> which converter reads the object ("Deserialized." stripped first).
_KINDS = (
    (
        re.compile(r"(?:Tenant)?InboundConnector$|ReceiveConnector$|(?:Tenant)?OutboundConnector$"),
        CONNECTOR,
    ),
    (re.compile(r"TransportLogSearchTasks\.MessageTrackingEvent$"), TRACKING),
)


def detect(sample: Sample) -> bool:
    if sample.kind in (EMPTY, BINARY):
        return False
    head = sample.text.lstrip("\ufeff")[:4096]
    return bool(_MARKUP.match(head) and _ROOT.search(head)) and NAMESPACE in head


@dataclass
class _PSObject:
    """A nested object: its ToString and its properties."""

    text: str = ""
    props: dict = field(default_factory=dict)


@dataclass
class _State:
    types: dict[str, tuple[str, ...]] = field(default_factory=dict)  # TN RefId -> type names
    refs: dict[str, object] = field(default_factory=dict)  # Obj RefId -> value
    noted: set[str] = field(default_factory=set)


def read(sample: Sample, report: FileReport, context: LoadContext) -> Iterator[Batch]:
    state = _State()
    pending: dict[str, list[dict]] = {CONNECTOR: [], TRACKING: []}
    connector_kinds: list[str] = []
    tally = tracking_log.Tally()
    culture: str | None = None
    counts = {CONNECTOR: 0, TRACKING: 0}
    row = 0
    for element in _objects(sample, report):
        row += 1
        report.read()
        names = _type_names(element, state)
        kind = _kind_of(names)
        if kind is None:
            shown = names[0] if names else "an object without a type name"
            report.reject(
                row,
                "unknown-type",
                f"a {shown} object: o365tls reads connectors (Get-InboundConnector, "
                "Get-OutboundConnector, Get-ReceiveConnector) and message tracking "
                "events (Get-MessageTrackingLog) from Clixml",
                value=shown,
            )
            continue
        if sum(1 for _ in element.iter()) > MAX_OBJECT_ELEMENTS:
            report.reject(
                row,
                "too-large",
                f"the object has more than {MAX_OBJECT_ELEMENTS} "
                "elements; no connector or event has that many",
            )
            continue
        values = _properties(element, state, 0)
        # Lists as a joined export has them: JSON arrays for connectors (SenderDomains hold
        # ";"), ";"-joined for tracking events (Get-MessageTrackingLog's -join ';').
        joined = kind == TRACKING
        cells: dict[str, object] = {name: _cell(value, joined) for name, value in values.items()}
        cells[ROW_COLUMN] = row
        counts[kind] += 1
        pending[kind].append(cells)
        if kind == CONNECTOR:
            connector_kinds.append(connector_config.kind_of(cells.keys(), names[0]))
        if len(pending[kind]) >= CHUNK_OBJECTS:
            batch, culture = _flush(kind, pending, connector_kinds, report, state, tally, culture)
            if batch is not None:
                yield batch
    for kind in (CONNECTOR, TRACKING):
        if pending[kind]:
            batch, culture = _flush(kind, pending, connector_kinds, report, state, tally, culture)
            if batch is not None:
                yield batch
    tally.report(report)
    if row:
        report.note(
            None,
            "clixml-objects",
            f"{row} objects: {counts[CONNECTOR]} connectors, {counts[TRACKING]} "
            f"message tracking events, {row - counts[CONNECTOR] - counts[TRACKING]} of "
            "other types",
        )


def _flush(
    kind: str,
    pending: dict[str, list[dict]],
    connector_kinds: list[str],
    report: FileReport,
    state: _State,
    tally,
    culture: str | None,
):
    raw = _frame(pending[kind])
    pending[kind] = []
    if kind == CONNECTOR:
        kinds = connector_kinds[:]
        connector_kinds.clear()
        frame = connector_config.convert(raw, kinds, report, state.noted)
        return (Batch(CONNECTORS, frame) if len(frame) else None), culture
    frame, culture = tracking_log.convert(raw, report, culture, tally)
    return (Batch(SIGHTINGS, frame) if len(frame) else None), culture


def _frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, dtype=object)
    numbers = frame.pop(ROW_COLUMN).astype("int64")
    frame = frame.fillna("")
    frame[ROW_COLUMN] = numbers
    return frame


def _objects(sample: Sample, report: FileReport) -> Iterator[ElementTree.Element]:
    """The top-level ``<Obj>`` elements, one at a time, each dropped once handed over."""
    parser: ElementTree.XMLPullParser[ElementTree.Element] = ElementTree.XMLPullParser(
        events=("start", "end")
    )
    depth = 0
    root = ElementTree.Element("Objs")
    prolog = ""
    started = False
    decoder = codecs.getincrementaldecoder(sample.encoding)(errors="strict")
    try:
        with sample.source.open() as fh:
            while True:
                chunk = fh.read(READ_CHARS)
                text = decoder.decode(chunk, final=not chunk)
                if not started:
                    prolog += text
                    at = prolog.find("<Objs")
                    if at < 0 and len(prolog) < 65536 and chunk:
                        continue
                    if "<!" in prolog[: at if at >= 0 else len(prolog)]:
                        report.fail(
                            "doctype",
                            "the XML declares a document type (<!DOCTYPE> "
                            "or <!ENTITY>), which Export-Clixml never "
                            "writes; not read",
                        )
                        return
                    # From the root on: a BOM or an XML declaration before it says nothing
                    # the decoded text does not (a declared encoding would contradict it).
                    started, text = True, prolog[max(at, 0) :]
                    prolog = ""
                if text:
                    parser.feed(text)
                # Only start and end events are asked for: each carries an element.
                events = cast("Iterator[tuple[str, ElementTree.Element]]", parser.read_events())
                for event, element in events:
                    if event == "start":
                        depth += 1
                        root = element if depth == 1 else root
                        continue
                    depth -= 1
                    if depth != 1:
                        continue
                    if element.tag == _NS + "Obj":
                        yield element
                    root.remove(element)  # the root keeps no object read
                if not chunk:
                    parser.close()
                    return
    except ElementTree.ParseError as exc:
        report.note(
            None, "bad-xml", f"the XML is damaged ({exc}); the objects after it were not read"
        )
    except UnicodeDecodeError:
        report.note(
            None,
            "decode-error",
            f"bytes that are not {sample.encoding_label}; the "
            "rest of the file was not read (try --encoding)",
        )


def _local(tag: str) -> str:
    return tag[len(_NS) :] if tag.startswith(_NS) else tag


def _type_names(element: ElementTree.Element, state: _State) -> tuple[str, ...]:
    for child in element:
        tag = _local(child.tag)
        if tag == "TN":
            names = tuple(_text(t) for t in child if _local(t.tag) == "T")
            ref = child.get("RefId")
            if ref is not None and len(state.types) < MAX_REFS:
                state.types[ref] = names
            return names
        if tag == "TNRef":
            return state.types.get(child.get("RefId") or "", ())
    return ()


def _kind_of(names: tuple[str, ...]) -> str | None:
    for name in names[:1]:  # the object's own type, not its base classes
        bare = name.removeprefix("Deserialized.")
        for pattern, kind in _KINDS:
            if pattern.search(bare):
                return kind
    return None


def _properties(element: ElementTree.Element, state: _State, depth: int) -> dict[str, object]:
    """Property name -> value of an ``<Obj>``: ``<Props>`` (adapted) then ``<MS>`` (extended:
    PSComputerName, RunspaceId of a remote session)."""
    out: dict[str, object] = {}
    for child in element:
        if _local(child.tag) in ("Props", "MS"):
            for prop in child:
                name = prop.get("N")
                if name is not None and name not in out:
                    out[name] = _value(prop, state, depth + 1)
    return out


def _value(element: ElementTree.Element, state: _State, depth: int) -> object:
    tag = _local(element.tag)
    if tag == "Nil":
        return None
    if tag == "B":
        return "True" if _text(element).strip().lower() == "true" else "False"
    if tag == "Ref":
        return state.refs.get(element.get("RefId") or "")
    if tag == "SS":  # a SecureString: never shown
        return None
    if tag != "Obj":
        return _text(element)
    if depth > MAX_DEPTH:
        return None
    _type_names(element, state)
    value: object = None
    text = ""
    for child in element:
        inner = _local(child.tag)
        if inner in _COLLECTIONS:
            value = [_value(item, state, depth + 1) for item in child]
        elif inner == "DCT":
            value = [
                _PSObject(
                    props={_local(p.get("N") or ""): _value(p, state, depth + 1) for p in entry}
                )
                for entry in child
            ]
        elif inner == "ToString":
            text = _text(child)
    if value is None:
        props = _properties(element, state, depth)
        if props:
            value = _PSObject(text, props)
        elif text:
            value = text  # an enum: <ToString>OnPremises</ToString><I32>1</I32>
        else:
            primitive = [c for c in element if _local(c.tag) not in ("TN", "TNRef", "ToString")]
            value = _value(primitive[0], state, depth + 1) if primitive else ""
    ref = element.get("RefId")
    if ref is not None and len(state.refs) < MAX_REFS:
        state.refs[ref] = value
    return value


def _text(element: ElementTree.Element) -> str:
    """Element text with PowerShell's ``_xHHHH_`` escapes of XML-invalid characters undone."""
    text = element.text or ""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda m: _char(int(m.group(1), 16)), text)


def _char(code: int) -> str:
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else chr(code)


def _cell(value: object, joined: bool = False) -> str:
    """One value as the text a CSV export would hold: lists as JSON arrays, or ``;``-joined
    with ``joined``; key/value lists as custom-data; objects as their ToString."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, _PSObject):
        return value.text
    if isinstance(value, list):
        pairs = [v for v in value if isinstance(v, _PSObject) and "Key" in v.props]
        if pairs and len(pairs) == len(value):
            return ";".join(
                f"S:{_cell(p.props['Key'])}={_cell(p.props.get('Value'))}" for p in pairs
            )
        items = [_cell(v) for v in value if v is not None]
        return ";".join(items) if joined else json.dumps(items, ensure_ascii=False)
    return str(value)


FORMAT = Format(
    name="clixml",
    description="Export-Clixml of connectors (Get-InboundConnector / Get-OutboundConnector / "
    "Get-ReceiveConnector) and message tracking events (Get-MessageTrackingLog)",
    kind=CONNECTORS,
    carries_tls=False,
    signature=(),
    detect=detect,
    read=read,
    recognised_by="an <Objs> root in the http://schemas.microsoft.com/powershell/2004/04 "
    "namespace (PowerShell's Export-Clixml, UTF-16 with BOM)",
)
