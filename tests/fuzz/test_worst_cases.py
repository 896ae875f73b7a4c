"""The largest hostile inputs, each read in a child process under a memory limit and a timeout
(a hang or a memory bomb fails this test instead of the machine): 20 MB fields, 1 MB lines
without a newline, a million columns, a million-deep JSON, a million blank lines, 300,000
repeated headers, and 1 MB values aimed at regexes that could backtrack quadratically."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.fuzz.harness import (
    DATA,
    DETAIL_HEADER,
    REPORT_HEADER,
    TRACE_HEADER,
    TRACE_ROW,
    run_isolated,
)

pytestmark = pytest.mark.slow  # inputs of tens of megabytes, each read in a child process

MB = 1024 * 1024
#: Per input: generous for a loaded 2-core CI box, where a linear read of each input needs a
#: small fraction of it.
SECONDS_PER_CASE = 15
#: Peak memory growth per input. The 20 MB field needs a few copies of itself, no more.
RSS_GROWTH_MB = 1024
#: The whole child (hard guard).
CHILD_TIMEOUT = 300

TRACKING_LOG = (
    b"#Software: Microsoft Exchange Server\r\n#Log-type: Message Tracking Log\r\n"
    b"#Fields: date-time,client-ip,source-context,source,event-id,"
    b"internal-message-id,message-id,recipient-address,sender-address,custom-data\r\n"
)
PROTOCOL_LOG = (DATA / "exchange-protocol-log" / "RECV2024031509-1.LOG").read_bytes()
GRAPH_TRACES = (DATA / "message-trace" / "graph_traces.json").read_text(encoding="utf-8-sig")


def _trace_row(subject: bytes, quoted: bool = True) -> bytes:
    if quoted:
        return (
            b'"11/20/2026 9:00:00 AM","a@x.example","b@x.example","'
            + subject
            + b'","Delivered","192.0.2.1"\r\n'
        )
    return b"11/20/2026 9:00:00 AM,a@x.example,b@x.example," + subject + b",Delivered,1.2.3.4\r\n"


def _graph_with_subject(subject: str) -> bytes:
    doc = json.loads(GRAPH_TRACES)
    doc["value"][0]["subject"] = subject
    return json.dumps(doc).encode()


def _cases() -> dict[str, tuple[bytes, tuple[str | None, ...]]]:
    """name -> (bytes, formats to read it as: None = detect)."""
    wide = b",".join(b"c%d" % i for i in range(1_000_000))
    log_line = b"2024-03-15T09:00:00.000Z,EX01\\Default,08DC0001,0,10.0.0.1:25,192.0.2.1:1234,+,,"
    return {
        "20 MB quoted field": (
            TRACE_HEADER + TRACE_ROW + _trace_row(b"x" * (20 * MB)) + TRACE_ROW,
            (None, "message-trace", "connector-config"),
        ),
        "20 MB unquoted field": (
            TRACE_HEADER + _trace_row(b"y" * (20 * MB), quoted=False),
            (None, "eac-connector-report"),
        ),
        "20 MB JSON string": (_graph_with_subject("z" * (20 * MB)), (None,)),
        "1 MB line without newline (CSV)": (
            TRACE_HEADER + TRACE_ROW + b"y," * (MB // 2),
            (None, "exchange-protocol-log"),
        ),
        "1 MB line without newline (log)": (
            PROTOCOL_LOG + b"2024-03-15T09:00:00Z," + b"q" * MB,
            (None,),
        ),
        "1 MB line without newline (UTF-16)": (
            (TRACE_HEADER + TRACE_ROW).decode().encode("utf-16-le") + b"w\x00" * MB,
            (None,),
        ),
        "1,000,000-column header": (
            wide + b"\r\n" + wide + b"\r\n" + b"," * 999_999 + b"\r\n",
            (None, "message-trace", "exchange-tracking-log"),
        ),
        "120,000-column header inside the sample": (
            TRACE_HEADER.rstrip()
            + b","
            + b"a," * 120_000
            + b"\r\n"
            + (TRACE_ROW.rstrip() + b"," * 120_001 + b"\r\n") * 3,
            (None, "message-trace"),
        ),
        "#Fields: line with 1,000,000 names mid-log": (
            PROTOCOL_LOG + b"#Fields: date-time,connector-id,session-id,sequence-number,"
            b"local-endpoint,remote-endpoint,event,data,context"
            + b",x" * 1_000_000
            + b"\r\n"
            + (log_line + b"," * 1_000_000 + b"\r\n") * 2,
            (None,),
        ),
        "JSON object with 1,000,000 keys": (
            b'[{"receivedDateTime":"2024-01-01T00:00:00Z","senderAddress":"a@x.example",'
            b'"recipientAddress":"b@x.example",'
            + b",".join(b'"k%d":""' % i for i in range(1_000_000))
            + b"}]",
            (None, "connector-config"),
        ),
        "JSON objects with a key each (sparse)": (
            b"["
            + b",".join(
                b'{"Received":"2024-01-01T00:00:00Z","SenderAddress":"a@x.example",'
                b'"RecipientAddress":"b@x.example","k%d":1}' % i
                for i in range(40_000)
            )
            + b"]",
            (None, "message-trace-detail"),
        ),
        "JSON nested 1,000,000 deep": (
            b"[" * 1_000_000 + b"]" * 1_000_000,
            (None, "connector-config", "message-trace"),
        ),
        "latin-1 byte after a 300 KB UTF-8 sample": (
            TRACE_HEADER
            + TRACE_ROW * 4000
            + TRACE_ROW.replace(b"Hi", b"Gr\xfc\xdfe")
            + TRACE_ROW * 10,
            (None, "message-trace"),
        ),
        "5,000,000 bare CRs": (TRACE_HEADER + TRACE_ROW + b"\r" * (5 * MB) + TRACE_ROW, (None,)),
        "1,000,000 blank lines": (TRACE_HEADER + b"\r\n" * 1_000_000 + TRACE_ROW, (None,)),
        "300,000 header repeats": (TRACE_HEADER * 300_000, (None,)),
        "1 MB S:tlsversion value": (
            DETAIL_HEADER + b'"t1","<a@b>","13/10/2025 09:15:03","Receive","","Message received '
            b'by: X","<root><MEP Name=""CustomData"" String=""S:tlsversion=tls'
            + b" " * MB
            + b'x"" /></root>","s@c.com","r@c.com"\r\n',
            (None,),
        ),
        "1 MB connector name": (
            REPORT_HEADER
            + b"2024-03-01,without connector"
            + b" de a" * (MB // 5)
            + b",,False,0,0,0,100,10\r\n",
            (None,),
        ),
        "1 MB custom-data pair list": (
            TRACKING_LOG + b"2024-03-15T09:01:12.345Z,192.0.2.7,s,SMTP,RECEIVE,1,<m@x>,"
            b"r@x.example,a@x.example,[a" + b" " * MB + b"b]\r\n",
            (None,),
        ),
        "200 KB header of parentheses": (
            b"Date,Connector direction and name,Volume,TLS 1.0,TLS 1.2,x"
            + b"(" * 200_000
            + b"\r\n2024-03-01,Inbound - a,10,0,100,\r\n",
            (None,),
        ),
    }


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> dict[str, dict]:
    folder = tmp_path_factory.mktemp("worst")
    cases, names = [], []
    for i, (name, (data, formats)) in enumerate(_cases().items()):
        path = folder / f"case{i}"
        path.write_bytes(data)
        for fmt in formats:
            label = f"{name} [{fmt or 'detected'}]"
            api = "inspect" if len(cases) % 3 == 2 else "load"
            cases.append({"name": label, "path": str(path), "format": fmt, "api": api})
            names.append(label)
    found = run_isolated(cases, timeout=CHILD_TIMEOUT)
    for case in cases:
        Path(case["path"]).unlink(missing_ok=True)
    return {r["case"]: r for r in found}


def test_worst_cases_are_read_or_refused_in_bounded_time_and_memory(results):
    bad = {
        name: r
        for name, r in results.items()
        if r["problems"] or r["seconds"] > SECONDS_PER_CASE or r["rss_growth_mb"] > RSS_GROWTH_MB
    }
    assert not bad, json.dumps(bad, indent=1)[:6000]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("1,000,000-column header [detected]", ("unrecognised",)),
        ("120,000-column header inside the sample [detected]", ("too-many-columns",)),
        ("#Fields: line with 1,000,000 names mid-log [detected]", ("too-many-columns",)),
        ("JSON object with 1,000,000 keys [detected]", ("too-many-columns",)),
        ("JSON objects with a key each (sparse) [detected]", ("too-many-columns",)),
        ("JSON nested 1,000,000 deep [connector-config]", ("bad-json",)),
        ("20 MB quoted field [detected]", ("parse-error",)),
        ("latin-1 byte after a 300 KB UTF-8 sample [detected]", ("decode-error",)),
    ],
)
def test_worst_cases_say_what_went_wrong(results, name, expected):
    codes = results[name]["reports"][0]["codes"]
    assert set(expected) <= set(codes), codes
