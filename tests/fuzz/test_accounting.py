"""Property: over generated tenants (connector reports, SMTP AUTH reports and protocol logs with
random rows, some of them bad), every file accounts for every row exactly, and the analysis
counts exactly the messages of the TLS-bearing records.

The generated files never overlap (each connector-day, SMTP AUTH sender and SMTP session is
in one file only, and the three sources are different hops), so the documented de-duplication
keeps every record and totals must equal the plain sum of ``messages`` in
``load().observations`` - and the sum the generator knows it wrote. Both the loaded Dataset
and the streamed gathering of :func:`o365tls.gather` are analysed.

Run longer with O365TLS_FUZZ_EXAMPLES (a tenth of it is used here; see tests/fuzz/__init__.py).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import o365tls
from o365tls.frames.arrow import largest_remainder
from o365tls.inputs import gather
from o365tls.tls import TLS_VERSIONS
from tests.fuzz.harness import check_reports, fuzz_settings

REPORT_TLS = (
    ("No TLS", "none"),
    ("TLS 1.0", "TLS1.0"),
    ("TLS 1.1", "TLS1.1"),
    ("TLS 1.2", "TLS1.2"),
)
AUTH_TLS = (
    ("TLS 1.0 (percentage)", "TLS1.0"),
    ("TLS 1.1 (percentage)", "TLS1.1"),
    ("TLS 1.2 (percentage)", "TLS1.2"),
)
LOG_TLS = {
    "SP_PROT_TLS1_0_SERVER": "TLS1.0",
    "SP_PROT_TLS1_1_SERVER": "TLS1.1",
    "SP_PROT_TLS1_2_SERVER": "TLS1.2",
    "SP_PROT_SSL3_SERVER": "SSL3",
    "SP_PROT-TLS1_3_SERVER": "TLS1.3",
}
FIELDS = (
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
    "remote-endpoint,event,data,context"
)
START = date(2024, 3, 1)


@dataclass
class Expected:
    """What the generator wrote: rows per file and messages per TLS version."""

    rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # file -> (used, rejected)
    tls: Counter = field(default_factory=Counter)

    def report_row(self, name: str, bad: str | None, counts: Counter) -> None:
        """One row of an aggregate report: rejected, or used with its TLS counts."""
        used, rejected = self.rows.get(name, (0, 0))
        if bad:
            rejected += 1
        else:
            used += 1
            self.tls.update(counts)
        self.rows[name] = (used, rejected)


def _csv(rows: list[list[str]], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return out.getvalue()


@st.composite
def split(draw, volume: int, versions: list[str]) -> tuple[list[str], dict[str, int]]:
    """TLS cells for one row: counts, or percentages with two decimals (as the EAC writes
    them), and the messages per version they stand for."""
    parts = len(versions)
    if draw(st.booleans()):
        cuts = sorted(
            draw(st.lists(st.integers(0, volume), min_size=parts - 1, max_size=parts - 1))
        )
        counts = [b - a for a, b in zip([0, *cuts], [*cuts, volume], strict=True)]
        return [str(c) for c in counts], dict(zip(versions, counts, strict=True))
    cuts = sorted(draw(st.lists(st.integers(0, 10_000), min_size=parts - 1, max_size=parts - 1)))
    points = [b - a for a, b in zip([0, *cuts], [*cuts, 10_000], strict=True)]
    percent = dict(zip(versions, (p / 100 for p in points), strict=True))
    suffix = draw(st.sampled_from(("", "", "%")))
    # Largest remainder, ties to the version first in the vocabulary (values.largest_remainder).
    order = [v for v in TLS_VERSIONS if v in percent]
    counts = largest_remainder(volume, [percent[v] for v in order])
    return [f"{percent[v]:.2f}{suffix}" for v in versions], dict(zip(order, counts, strict=True))


BAD_ROW = st.sampled_from(("bad-date", "bad-volume", "tls-sum", "short"))


@st.composite
def connector_report(draw, name: str, first_connector: int, expected: Expected) -> str:
    rows = [
        [
            "Date",
            "Connector direction and name",
            "Connector type",
            "Forced TLS?",
            *(h for h, _ in REPORT_TLS),
            "Volume",
        ]
    ]
    expected.rows[name] = (0, 0)
    for i in range(draw(st.integers(0, 12))):
        day = START + timedelta(days=draw(st.integers(0, 27)))
        connector = f"{draw(st.sampled_from(('Inbound', 'Outbound')))} - C{first_connector + i}"
        kind = draw(st.sampled_from(("OnPremises", "Partner", "")))
        volume = draw(st.integers(0, 5000))
        bad = draw(st.one_of(st.none(), st.none(), BAD_ROW))
        cells, counts = draw(split(volume, [v for _, v in REPORT_TLS]))
        row = [
            day.isoformat(),
            connector,
            kind,
            draw(st.sampled_from(("True", "False"))),
            *cells,
            str(volume),
        ]
        if bad == "bad-date":
            row[0] = "31/31/2024"
        elif bad == "bad-volume":
            row[-1] = draw(st.sampled_from(("many", "-3", "1.5")))
        elif bad == "tls-sum" and volume:  # a row of volume 0 is used and yields nothing
            # Neither the volume nor 100 +- 1 (which would read as percentages).
            last = volume + 7 if not 99 <= volume + 37 <= 101 else volume + 107
            row[4:8] = ["10", "10", "10", str(last)]
        elif bad == "tls-sum":
            bad = None
        elif bad == "short":
            row = row[:5]
        expected.report_row(name, bad, counts)
        rows.append(row)
        if draw(st.booleans()):
            rows.append([])  # blank lines are not rows
    return _csv(rows)


@st.composite
def smtp_auth_report(draw, name: str, expected: Expected) -> str:
    rows = [["Sender address", "Domain", *(h for h, _ in AUTH_TLS), "Messages sent"]]
    expected.rows[name] = (0, 0)
    for i in range(draw(st.integers(0, 10))):
        sent = draw(st.integers(0, 3000))
        cells, counts = draw(split(sent, [v for _, v in AUTH_TLS]))
        row = [f"device{i}@contoso.example", "contoso.example", *cells, str(sent)]
        bad = draw(st.sampled_from((None, None, None, "bad-count", "tls-sum")))
        if bad == "bad-count":
            row[-1] = "x"
        elif bad == "tls-sum" and sent:
            last = sent + 3 if not 99 <= sent + 23 <= 101 else sent + 103
            row[2:5] = ["10", "10", str(last)]
        else:
            bad = None
        expected.report_row(name, bad, counts)
        rows.append(row)
    return "\ufeff" + _csv(rows)


class _Session:
    """Lines of one SMTP session, as a receive protocol log writes them."""

    def __init__(self, clock: list[int], hour: int, connector: str, sid: str, remote: str):
        self.clock, self.hour = clock, hour
        self.connector, self.sid, self.remote = connector, sid, remote
        self.lines: list[list[str]] = []

    def stamp(self) -> str:
        self.clock[0] += 1  # strictly increasing: no two MAIL FROMs look alike
        tick = self.clock[0]
        return (
            f"2024-03-15T{self.hour:02d}:{tick // 60000 % 60:02d}:{tick // 1000 % 60:02d}."
            f"{tick % 1000:03d}Z"
        )

    def add(self, event: str, data: str = "", context: str = "") -> None:
        self.lines.append(
            [
                self.stamp(),
                self.connector,
                self.sid,
                str(len(self.lines)),
                "10.0.0.10:25",
                self.remote,
                event,
                data,
                context,
            ]
        )


@st.composite
def protocol_log(draw, name: str, first_session: int, hour: int, expected: Expected) -> str:
    """A receive log: sessions with or without TLS and MAIL FROMs, and damaged lines."""
    lines: list[list[str]] = []
    clock = [0]
    used = rejected = 0
    for s in range(draw(st.integers(0, 8))):
        session = _Session(
            clock,
            hour,
            draw(st.sampled_from(("EX01\\Default EX01", "EX01\\Relay", "EX02\\Scan"))),
            f"08DC{first_session + s:012X}",
            f"192.0.2.{draw(st.integers(1, 254))}:{draw(st.integers(1024, 65535))}",
        )
        session.add("+")
        session.add("<", f"EHLO host{s}.example")
        tls = "none"
        for _ in range(draw(st.integers(0, 3))):
            if draw(st.booleans()) and tls == "none":
                token = draw(st.sampled_from(sorted(LOG_TLS)))
                session.add(
                    "*",
                    "",
                    f"TLS protocol {token} negotiation succeeded using bulk "
                    "encryption algorithm CALG_AES_256",
                )
                tls = LOG_TLS[token]
            session.add("<", f"MAIL FROM:<app{s}@contoso.example> SIZE=1024")
            expected.tls[tls] += 1
        if draw(st.booleans()):
            session.add("-", "", "Local")
        lines.extend(session.lines)
        used += len(session.lines)
    for _ in range(draw(st.integers(0, 4))):  # damaged lines, each rejected
        damaged = _Session(clock, hour, "EX01\\Default EX01", "08DCFFFFFFFFFFFF", "192.0.2.1:1")
        damaged.add("<", "MAIL FROM:<x@y>")
        line = damaged.lines[0]
        kind = draw(st.sampled_from(("date", "session", "event", "fields")))
        if kind == "date":
            line[0] = "2024-03-15 garbage"
        elif kind == "session":
            line[2] = ""
        elif kind == "event":
            line[6] = "?"
        else:
            line = line[:4]
        lines.insert(draw(st.integers(0, len(lines))), line)
        rejected += 1
    expected.rows[name] = (used, rejected)
    head = [
        "#Software: Microsoft Exchange Server",
        "#Version: 15.02.1544.004",
        "#Log-type: SMTP Receive Protocol Log",
        f"#Date: 2024-03-15T{hour:02d}:00:00.000Z",
        FIELDS,
    ]
    return "\r\n".join(head) + "\r\n" + _csv(lines)


@st.composite
def tenants(draw) -> tuple[dict[str, str], Expected]:
    expected = Expected()
    files: dict[str, str] = {}
    for n in range(draw(st.integers(0, 2))):
        name = f"connector-report-{n}.csv"
        files[name] = draw(connector_report(name, 100 * n, expected))
    if draw(st.booleans()):
        files["smtp-auth.csv"] = draw(smtp_auth_report("smtp-auth.csv", expected))
    for n in range(draw(st.integers(0, 2))):
        name = f"RECV202403150{9 + n}-1.LOG"
        files[name] = draw(protocol_log(name, 1000 * n, 9 + n, expected))
    return files, expected


@pytest.mark.slow
@fuzz_settings(15, deadline_s=20, share=0.1)
@given(tenant=tenants())
def test_rows_and_messages_add_up(tenant):
    files, expected = tenant
    with tempfile.TemporaryDirectory() as folder:
        for name, text in files.items():
            Path(folder, name).write_text(text, encoding="utf-8", newline="")
        data = o365tls.load([folder])
        check_reports(data.inputs)
        got = {Path(r.path).name: (r.rows_used, r.rows_rejected) for r in data.inputs}
        assert got == expected.rows
        assert all(r.rows_read == sum(expected.rows[Path(r.path).name]) for r in data.inputs)

        observed = data.observations.groupby("tls")["messages"].sum()
        observed = {tls: int(n) for tls, n in observed.items() if n}
        wanted = {tls: n for tls, n in expected.tls.items() if n}
        assert observed == wanted
        assert dict(o365tls.analyze(gather([folder])).totals.counts) == wanted
