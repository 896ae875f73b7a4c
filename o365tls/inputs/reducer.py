"""Identity-only sightings, reduced as they stream in: the per-chunk half of the message table.

A tenant's message trace can have tens of millions of rows; keeping them as text would not fit
in memory. :class:`SightingReducer` keeps, per row, a 64-bit hash of the message id and small
integer codes into shared code books (sender, IP, HELO, reverse DNS, connector, recipient
domain, subject, Message-ID host, source file), collapsing the recipients of a message within
each chunk. Reducers merge exactly (:meth:`SightingReducer.absorb`), so files can be read in
parallel and combined; :func:`o365tls.analysis.sightings.messages` then merges the sightings of
one message across chunks and files into one row per message.

Subjects are the one field kept only in part: their text is kept when a subject recurs in a
chunk or is among a sender's most frequent ones there, which is what device classification
looks at (a scanner's default subject); one-off subjects count as "no subject kept".
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames.arrow import after_first_at, arrow_text, domain_of, domain_part, map_unique
from ..importers.tracking_log import SEND_EVENTS
from ..schema import (
    CONNECTOR,
    DIRECTION,
    EVENT,
    HOSTNAME,
    INBOUND,
    MESSAGE_ID,
    OUTBOUND,
    PTR,
    RECIPIENT_ADDRESS,
    ROW,
    SENDER_ADDRESS,
    SENDER_IP,
    SOURCE,
    SUBJECT,
    TIMESTAMP,
)

# Which export's value wins when two disagree: the message trace is the most complete.
# Clixml's sightings are Get-MessageTrackingLog events: ranked and scoped as tracking logs.
FORMAT_RANK = {
    "message-trace": 0,
    "historical-summary": 1,
    "historical-extended": 2,
    "exchange-tracking-log": 3,
    "clixml": 3,
}
ON_PREM_FORMATS = frozenset({"exchange-tracking-log", "clixml"})


class Realm(IntEnum):
    """The hop a sighting describes, as the code the message table's ``realm`` column holds
    (its label in :data:`REALM_LABELS`)."""

    EXO = 0  # Exchange Online (message trace, historical search)
    ON_PREM = 1  # an on-prem server receiving the message
    ON_PREM_SEND = 2  # an on-prem server sending it on (inbound mail relayed too)


REALM_LABELS = ("exo", "on-prem", "on-prem-send")


class Direction(IntEnum):
    """A message's direction as a code (its label in :data:`DIRECTION_LABELS`)."""

    UNKNOWN = 0  # the export does not say
    INBOUND = 1
    OUTBOUND = 2


DIRECTION_LABELS = ("", INBOUND, OUTBOUND)
DIRECTION_CODES = {label: code for code, label in enumerate(DIRECTION_LABELS)}
_TEXT_FIELDS = ("sender", "ip", "host", "ptr", "conn", "rdom", "subject", "mhost", "source")
_NAT = np.iinfo(np.int64).min
_SUBJECTS_PER_CHUNK = 500
_SUBJECTS_PER_SENDER = 3


class Codebook:
    """Text <-> small integer codes, shared by every chunk; code 0 is the empty string."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {"": 0}
        self.values: list[str] = [""]

    def code(self, text: str) -> int:
        found = self.index.get(text)
        if found is None:
            found = self.index[text] = len(self.values)
            self.values.append(text)
        return found

    def encode(self, values: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        lookup = np.fromiter(
            (self.code("" if u is None else str(u)) for u in uniques),
            dtype=np.int32,
            count=len(uniques),
        )
        out = np.zeros(len(values), dtype=np.int32)
        valid = codes >= 0
        out[valid] = lookup[codes[valid]]
        return out

    def remap(self, other: Codebook) -> np.ndarray:
        """Codes of ``other`` translated into this book (adding what is new)."""
        return np.fromiter(
            (self.code(v) for v in other.values), dtype=np.int32, count=len(other.values)
        )

    def categorical(self, codes: np.ndarray) -> pd.Categorical:
        return pd.Categorical.from_codes(codes, categories=pd.Index(self.values, dtype=object))


def _hash(values: pd.Series) -> np.ndarray:
    return pd.util.hash_pandas_object(values.astype(str), index=False).to_numpy(
        np.uint64, copy=True
    )


def message_keys(message_ids: pd.Series, sources: pd.Series, rows: pd.Series) -> np.ndarray:
    """The merge key of a message: its id, or (file, row) when it has none. Records and
    sightings are keyed by the same numbers: both go through :class:`_MessageIds`."""
    if not message_ids.hasnans:
        return _MessageIds(message_ids).keys(sources, rows)
    keys = _hash(message_ids)
    missing = (message_ids == "").to_numpy()
    if missing.any():
        keys[missing] = _row_keys(sources[missing], rows[missing])
    return keys


def _row_keys(sources: pd.Series, rows: pd.Series) -> np.ndarray:
    """Keys of records without a message id: their file and row."""
    # Each file's name hashed once, mixed with the row number: a "file#row" text per record
    # would take more memory than the records themselves on a week of protocol logs.
    codes, files = pd.factorize(sources)
    per_file = _hash(pd.Series(files, dtype=object))
    numbers = rows.to_numpy().astype(np.uint64)
    return _mix(per_file[codes] ^ (numbers * np.uint64(0x9E3779B97F4A7C15)))


class _MessageIds:
    """A chunk's message ids encoded once: the distinct ids (in order of first appearance)
    and each row's index into them. Keys and Message-ID hosts are worked out per distinct id
    and taken for the rows that need them, so that hashing and the host's domain part do not
    each encode the column again."""

    def __init__(self, message_ids: pd.Series) -> None:
        encoded = pc.dictionary_encode(arrow_text(message_ids))
        self.codes = encoded.indices.to_numpy()
        self.distinct = pd.Series(encoded.dictionary, dtype="str")
        empty = pc.index(encoded.dictionary, "").as_py()
        self.missing = self.codes == empty if empty >= 0 else np.zeros(len(self.codes), bool)

    def keys(self, sources: pd.Series, rows: pd.Series) -> np.ndarray:
        """Per record, its id hashed as pandas hashes text (the same numbers as
        ``hash_pandas_object``, which :func:`message_keys` uses for ids with gaps), per distinct
        id; the (file, row) key where it has none."""
        # As UTF-8 bytes: pandas hashes a text by its UTF-8 bytes, so bytes objects give the
        # same numbers and are made without decoding to Python strings.
        distinct = arrow_text(self.distinct).cast(pa.binary()).to_numpy(zero_copy_only=False)
        keys = pd.util.hash_array(distinct, categorize=False)[self.codes]
        if self.missing.any():
            keys[self.missing] = _row_keys(sources[self.missing], rows[self.missing])
        return keys

    def hosts(self, book: Codebook, keep: np.ndarray) -> np.ndarray:
        """Message-ID host codes of the rows ``keep``, which must hold the first row of every
        distinct id: the book then gains new hosts in the order the kept rows show them."""
        # The ids are distinct already: domain_part's per-distinct encoding would only find
        # every value once again.
        # Hosts repeat (a few hundred among tens of thousands of ids): lower-cased, stripped
        # and coded per distinct host text. The distinct texts come in order of first
        # appearance, so the book gains hosts in the same order as coding every id.
        after = pc.dictionary_encode(after_first_at(self.distinct))  # in order of appearance
        per_host = book.encode(
            pd.Series(pc.utf8_lower(after.dictionary), dtype="str").str.strip("<> ")
        )
        return per_host[after.indices.to_numpy()][self.codes[keep]]


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finalizer: spreads every input bit over the 64-bit key (wraps modulo 2**64)."""
    with np.errstate(over="ignore"):
        values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


class SightingReducer:
    def __init__(self) -> None:
        self.books = {name: Codebook() for name in _TEXT_FIELDS}
        self.parts: dict[str, list[np.ndarray]] = {}
        # What shows the tenant's own domains: rows per recipient-domain code of mail not
        # known to be outbound, and rows per sender code of outbound (Originating) mail as it
        # entered, not on an on-prem server's send hop (which relays inbound mail too).
        self.rdom_rows = np.zeros(1, dtype=np.int64)
        self.origin_rows = np.zeros(1, dtype=np.int64)
        self.rows = 0

    # -- streaming ------------------------------------------------------------------------
    def add(self, frame: pd.DataFrame, fmt: str) -> None:
        """Reduce one chunk of canonical sightings from a file of format ``fmt``."""
        if frame.empty:
            return
        n = len(frame)
        self.rows += n
        books = self.books
        mid = frame[MESSAGE_ID].astype("str")
        ids = _MessageIds(mid) if not mid.hasnans else None
        key = (
            ids.keys(frame[SOURCE], frame[ROW])
            if ids is not None
            else message_keys(mid, frame[SOURCE], frame[ROW])
        )
        # An on-prem server's receive and send hops are different hops of one message.
        realm = (
            np.where(
                frame[EVENT].astype(str).str.upper().isin(list(SEND_EVENTS)),
                Realm.ON_PREM_SEND,
                Realm.ON_PREM,
            )
            if fmt in ON_PREM_FORMATS
            else np.full(n, Realm.EXO)
        ).astype(np.int8)
        rdom = _domain_codes(books["rdom"], frame[RECIPIENT_ADDRESS])
        outbound = (frame[DIRECTION] == OUTBOUND).to_numpy(dtype=bool, na_value=False)
        self.rdom_rows = _added(
            self.rdom_rows, np.bincount(rdom[~outbound], minlength=len(books["rdom"].values))
        )
        senders = books["sender"].encode(frame[SENDER_ADDRESS])
        self.origin_rows = _added(
            self.origin_rows,
            np.bincount(
                senders[outbound & (realm != Realm.ON_PREM_SEND)],
                minlength=len(books["sender"].values),
            ),
        )
        subjects, chosen = self._subjects(frame[SUBJECT], senders)
        # One row per message, hop and recipient domain within the chunk: the rest of the
        # work is done on those rows only (a trace has a row per recipient).
        keep = np.flatnonzero(
            ~pd.DataFrame({"k": key, "r": rdom, "h": realm}).duplicated().to_numpy()
        )
        cols = {
            "key": key[keep],
            "realm": realm[keep],
            "rank": np.full(len(keep), FORMAT_RANK.get(fmt, 9), dtype=np.int8),
            "ts": _nanos(frame[TIMESTAMP].take(keep)),
            "sender": senders[keep],
            "ip": _encode_kept(books["ip"], frame[SENDER_IP], keep),
            "host": _encode_kept(books["host"], frame[HOSTNAME], keep),
            "ptr": _encode_kept(books["ptr"], frame[PTR], keep),
            "conn": _encode_kept(books["conn"], frame[CONNECTOR], keep),
            "direction": _directions(frame[DIRECTION], keep),
            "rdom": rdom[keep],
            "mhost": (
                ids.hosts(books["mhost"], keep)
                if ids is not None
                else books["mhost"].encode(domain_part(mid.take(keep)).str.strip("<> "))
            ),
            "source": _encode_kept(books["source"], frame[SOURCE], keep),
            "subject": chosen[subjects[keep]],
        }
        for name, values in cols.items():
            self.parts.setdefault(name, []).append(_narrow(values, name, self.books))

    def _subjects(self, subjects: pd.Series, senders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The chunk's subjects as codes into its distinct texts, and those codes translated
        into the subject book: 0 for a subject not kept. Kept: subjects that recur in the
        chunk (the most frequent ones) and each sender's most frequent ones; ties go to the
        subject seen first in the chunk."""
        encoded = pc.dictionary_encode(arrow_text(subjects.fillna("")))
        codes = encoded.indices.to_numpy().astype(np.int64)
        texts = encoded.dictionary
        size = len(texts)
        pairs, counts = np.unique(senders.astype(np.int64) * size + codes, return_counts=True)
        pair_sender, pair_text = pairs // size, pairs % size
        empty = pc.index(texts, "").as_py()
        real = pair_text != empty
        pair_sender, pair_text, counts = pair_sender[real], pair_text[real], counts[real]
        per_text = np.bincount(pair_text, weights=counts, minlength=size)
        recurring = np.flatnonzero(per_text >= 2)
        recurring = recurring[np.lexsort((recurring, -per_text[recurring]))]
        kept = set(recurring[:_SUBJECTS_PER_CHUNK].tolist())
        order = np.lexsort((pair_text, -counts, pair_sender))
        rank = np.arange(len(order)) - np.searchsorted(pair_sender[order], pair_sender[order])
        kept.update(pair_text[order][rank < _SUBJECTS_PER_SENDER].tolist())
        chosen = np.zeros(size, dtype=np.int32)
        book = self.books["subject"]
        for code in sorted(kept):
            chosen[code] = book.code(texts[code].as_py())
        return codes, chosen

    def absorb(self, other: SightingReducer) -> None:
        """Merge another reducer's rows (files read elsewhere) into this one, exactly."""
        maps = {name: self.books[name].remap(other.books[name]) for name in _TEXT_FIELDS}
        for name, pieces in other.parts.items():
            for values in pieces:
                self.parts.setdefault(name, []).append(
                    _narrow(maps[name][values], name, self.books) if name in maps else values
                )
        for name, counts in (("rdom", "rdom_rows"), ("sender", "origin_rows")):
            theirs = getattr(other, counts)
            remapped = np.zeros(len(self.books[name].values), dtype=np.int64)
            np.add.at(remapped, maps[name][: len(theirs)], theirs)
            setattr(self, counts, _added(getattr(self, counts), remapped))
        self.rows += other.rows

    # -- the tenant's domains ----------------------------------------------------------------
    def recipient_domains(self) -> pd.Series:
        """Rows per recipient domain of mail not known to be outbound, largest first (for
        guessing the tenant's own domains: recipients of outbound mail are anyone's)."""
        values = self.books["rdom"].values
        counts = pd.Series(self.rdom_rows[: len(values)], index=values[: len(self.rdom_rows)])
        return counts[(counts.index != "") & (counts > 0)].sort_values(ascending=False)

    def originating_domains(self) -> pd.Series:
        """Rows per sender domain of outbound (Originating) mail, largest first."""
        values = self.books["sender"].values
        counts = pd.Series(
            self.origin_rows[: len(values)],
            index=[domain_of(v) for v in values[: len(self.origin_rows)]],
        )
        counts = counts[(counts.index != "") & (counts > 0)]
        return counts.groupby(level=0).sum().sort_values(ascending=False)


def _one_value(column: pd.Series) -> str | None:
    """The column's only value when every row holds the same text (a trace has no HELO, PTR,
    connector or direction, and one file a chunk); None otherwise."""
    if not len(column) or column.hasnans:
        return None
    first = column.iloc[0]
    return first if isinstance(first, str) and bool((column == first).all()) else None


def _encode_kept(book: Codebook, column: pd.Series, keep: np.ndarray) -> np.ndarray:
    """``book.encode(column.take(keep))``, the same codes; a column of one value without
    taking and factorizing its rows."""
    value = _one_value(column)
    if value is None:
        return book.encode(column.take(keep))
    return np.full(len(keep), book.code(value), dtype=np.int32)


def _added(total: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``total + counts`` per code, grown to the longer of the two."""
    if len(counts) > len(total):
        grown = np.zeros(len(counts), dtype=np.int64)
        grown[: len(total)] = total
        total = grown
    total[: len(counts)] += counts
    return total


def _directions(column: pd.Series, keep: np.ndarray) -> np.ndarray:
    """Direction codes of the rows ``keep`` (0: not known)."""
    value = _one_value(column)
    if value is None:
        return (
            map_unique(column.take(keep), DIRECTION_CODES)
            .fillna(Direction.UNKNOWN)
            .to_numpy(np.int8)
        )
    return np.full(len(keep), DIRECTION_CODES.get(value, Direction.UNKNOWN), dtype=np.int8)


def _domain_codes(book: Codebook, addresses: pd.Series) -> np.ndarray:
    """``book.encode(domain_part(addresses))``, the same codes in the same order, worked out
    once per distinct address: a trace repeats a few thousand recipients, so the domain
    column is not factorized again row by row."""
    if addresses.hasnans:
        return book.encode(domain_part(addresses))
    encoded = pc.dictionary_encode(arrow_text(addresses))
    # Distinct addresses come in order of first appearance, so new domains reach the book in
    # the order the rows show them.
    per_address = book.encode(domain_part(pd.Series(encoded.dictionary, dtype="str")))
    return per_address[encoded.indices.to_numpy()]


def _narrow(values: np.ndarray, name: str, books: dict[str, Codebook]) -> np.ndarray:
    """Code arrays in the smallest integer type the code book needs so far (concatenation
    widens them again): most books hold a few thousand texts, and every byte counts at ten
    million rows."""
    if name not in books:
        return values
    size = len(books[name].values)
    for dtype in (np.int8, np.int16):
        if size <= np.iinfo(dtype).max:
            return values.astype(dtype)
    return values


def _nanos(stamps: pd.Series) -> np.ndarray:
    values = pd.to_datetime(stamps, utc=True)
    out = values.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    out[values.isna().to_numpy()] = _NAT
    return out
