"""Exchange SMTP Receive/Send protocol logs: one observation per MAIL FROM (or per session
without one), the session's TLS at that moment, sessions stitched across hourly files.

Fixtures are written by tests/data/exchange-protocol-log/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import o365tls
from o365tls.frames.arrow import first_bytes
from o365tls.importers import fastcsv, identify, protocol_log
from o365tls.importers.protocol_log_classify import protocol_tls
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import OBSERVATIONS, column_names
from tests.helpers import codes, load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "exchange-protocol-log"
RECV09 = DATA / "RECV2024031509-1.LOG"
RECV10 = DATA / "RECV2024031510-1.LOG"
SEND09 = DATA / "SEND2024031509-1.LOG"
# Columns a protocol log never fills (recipient_address: a message may have several RCPT TO).
CONSTANT = {
    name: value
    for name, value in {
        "grain": "message",
        "forced_tls": None,
        "connector_type": "",
        "message_id": "",
        "recipient_address": "",
    }.items()
    if name in column_names(OBSERVATIONS)
}


def obs(
    source,
    row,
    when,
    connector,
    session,
    sender_ip,
    sender_port,
    local_port,
    sender="",
    tls="none",
    cipher="",
    messages=1,
    hostname="",
    auth_user="",
    auth_protocol="",
    destination_ip="",
    direction="inbound",
    server="EX01",
):
    return {
        "source": source,
        "row": row,
        "timestamp": f"2024-03-15T{when}+00:00",
        "connector": connector,
        "direction": direction,
        "sender_ip": sender_ip,
        "sender_port": sender_port,
        "destination_ip": destination_ip,
        "local_port": local_port,
        "sender_address": sender,
        "auth_user": auth_user,
        "auth_protocol": auth_protocol,
        "hostname": hostname,
        "session_id": session,
        "tls": tls,
        "cipher": cipher,
        "messages": messages,
        "server": server,
    }


def records(frame):
    assert list(frame.columns) == column_names(OBSERVATIONS)
    for column, value in CONSTANT.items():
        assert frame[column].tolist() == [value] * len(frame), column
    out = frame.drop(columns=list(CONSTANT)).copy()
    out["source"] = out["source"].map(lambda s: Path(s).name)
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records")


R09, R10, S09 = RECV09.name, RECV10.name, SEND09.name
A = obs(
    R09,
    19,
    "09:00:01.200000",
    "EX01\\Client Frontend EX01",
    "08DC44A1B2C3D001",
    "10.0.20.15",
    50123,
    587,
    "reports@contoso.com",
    "TLS1.2",
    "CALG_AES_256",
    hostname="app01.contoso.local",
    auth_user="CONTOSO\\svc-app",
    auth_protocol="Basic",
)
B = obs(
    R09,
    35,
    "09:00:01.470000",
    "EX01\\Relais Geräte Büro",
    "08DC44A1B2C3D002",
    "10.0.30.21",
    1031,
    25,
    "scan@contoso.com",
    "TLS1.0",
    "CALG_AES_128",
    hostname="NPI3A5F21",
)
C1 = obs(
    R09,
    47,
    "09:03:00.020000",
    "EX01\\Anonymous Relay",
    "08DC44A1B2C3D003",
    "10.0.40.7",
    49877,
    25,
    "dbmail@contoso.com",
    hostname="SQL01",
)
C2 = obs(
    R09,
    54,
    "09:03:00.400000",
    "EX01\\Anonymous Relay",
    "08DC44A1B2C3D003",
    "10.0.40.7",
    49877,
    25,
    "alerts@contoso.com",
    hostname="SQL01",
)
# A failed AUTH LOGIN leaves no user.
D = obs(
    R09,
    60,
    "09:10:00",
    "EX01\\Default Frontend EX01",
    "08DC44A1B2C3D004",
    "192.0.2.99",
    61234,
    25,
    messages=0,
    hostname="scanner.example",
)
# MAIL FROM before STARTTLS counts as a plaintext message; the retry after TLS as TLS 1.2.
F1 = obs(
    R09,
    70,
    "09:20:00.020000",
    "EX01\\Partner TLS",
    "08DC44A1B2C3D005",
    "198.51.100.20",
    40404,
    25,
    "billing@partner.example",
    hostname="mta.partner.example",
)
F2 = obs(
    R09,
    76,
    "09:20:00.080000",
    "EX01\\Partner TLS",
    "08DC44A1B2C3D005",
    "198.51.100.20",
    40404,
    25,
    "billing@partner.example",
    "TLS1.2",
    "CALG_AES_128",
    hostname="mta.partner.example",
)
# Session H: connect, EHLO and TLS in the 09 file, MAIL FROM in the 10 file.
H = obs(
    R09,
    80,
    "10:00:00.100000",
    "EX01\\Default Frontend EX01",
    "08DC44A1B2C3D006",
    "203.0.113.77",
    55000,
    25,
    "orders@fabrikam.example",
    "TLS1.2",
    "CALG_AES_256",
    hostname="mail.fabrikam.example",
)
I_ = obs(
    R10,
    9,
    "10:05:00.020000",
    "EX01\\Anonymous Relay",
    "08DC44A1B2C3D007",
    "10.0.40.8",
    50001,
    25,
    "veeam@contoso.com",
    hostname="backup01",
)
J = obs(
    R10,
    13,
    "10:59:59",
    "EX01\\Default Frontend EX01",
    "08DC44A1B2C3D008",
    "192.0.2.140",
    33000,
    25,
    messages=0,
    hostname="[192.0.2.140]",
)


def test_receive_log_one_observation_per_message_and_damaged_lines_rejected():
    data, report = load_one(RECV09)
    assert report.format == "exchange-protocol-log"
    assert report.encoding == "UTF-8"
    assert len(data.sightings) == 0
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (86, 84, 2)
    assert [(i.code, i.row, i.rejected) for i in report.issues] == [
        ("field-count", 50, True),
        ("bad-date", 53, True),
        ("open-session", None, False),
    ]
    assert report.issues[1].value == "2024-13-45T99:03:00.310Z"
    # Loaded alone, session H never sends MAIL FROM: one session record at its start.
    h_alone = {**H, "timestamp": "2024-03-15T09:59:58+00:00", "sender_address": "", "messages": 0}
    assert records(data.observations) == [A, B, C1, C2, D, F1, F2, h_alone]


def test_session_split_across_hourly_files_is_one_message_with_its_tls():
    data = o365tls.load([RECV09, RECV10])
    reports = {Path(r.path).name: r for r in data.inputs}
    for report in reports.values():
        assert report.rows_read == report.rows_used + report.rows_rejected
    assert (reports[R09].records, reports[R10].records) == (8, 2)
    assert codes(reports[R09]) == ["field-count", "bad-date"]
    assert codes(reports[R10]) == ["open-session"]  # session J has no disconnect yet
    # In input order (file, then row): H, of the 09 file, before the 10 file's records.
    assert records(data.observations) == [A, B, C1, C2, D, F1, F2, H, I_, J]
    assert data.observations["messages"].sum() == 8


def test_continuation_without_its_first_file_is_tls_unknown_not_plaintext():
    # Its connect and STARTTLS are in the 09:00 file, which is not read: its TLS is unknown.
    data, report = load_one(RECV10)
    h = records(data.observations)[0]
    assert (h["source"], h["row"], h["session_id"], h["tls"], h["hostname"]) == (
        R10,
        1,
        "08DC44A1B2C3D006",
        "unknown",
        "",
    )
    began = [i for i in report.issues if i.code == "session-began-before"]
    assert len(began) == 1 and began[0].message.startswith("1 session(s) began before")
    assert "previous hour's log" in began[0].message


def test_send_log_tls_1_0_client_and_hyphenated_spelling():
    data, report = load_one(SEND09)
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (34, 34, 0)
    assert report.issues == []
    out = dict(direction="outbound", server="")
    assert records(data.observations) == [
        obs(
            S09,
            12,
            "09:30:00.140000",
            "Outbound to Internet",
            "08DC44A1B2C3E001",
            "10.0.0.10",
            51234,
            25,
            "alice@contoso.com",
            "TLS1.2",
            "CALG_AES_256",
            hostname="EX01.contoso.com",
            destination_ip="203.0.113.25",
            **out,
        ),
        # Non-ASCII connector, SP_PROT_TLS1_0_CLIENT, null sender "<>".
        obs(
            S09,
            29,
            "09:40:00.090000",
            "组织内 SMTP 发送连接器",
            "08DC44A1B2C3E002",
            "10.0.0.31",
            37964,
            25,
            "",
            "TLS1.0",
            "CALG_AES_256",
            hostname="M10-HQ-MLCEN01.cnc.intra",
            destination_ip="10.0.1.168",
            **out,
        ),
    ]


def test_small_chunks_give_the_same_records(monkeypatch):
    expected = records(o365tls.load([RECV09, RECV10, SEND09]).observations)
    monkeypatch.setattr(protocol_log, "CHUNK_ROWS", 4)
    assert records(o365tls.load([RECV09, RECV10, SEND09]).observations) == expected


def test_without_log_type_the_direction_comes_from_who_sends_commands(tmp_path):
    text = SEND09.read_bytes().replace(b"#Log-type: SMTP Send Protocol Log\r\n", b"")
    path = tmp_path / "SEND2024031509-1.LOG"
    path.write_bytes(text)
    data, report = load_one(path)
    assert report.format == "exchange-protocol-log"
    assert codes(report) == ["no-log-type"]
    got = records(data.observations)
    assert [(r["direction"], r["sender_ip"], r["destination_ip"], r["tls"]) for r in got] == [
        ("outbound", "10.0.0.10", "203.0.113.25", "TLS1.2"),
        ("outbound", "10.0.0.31", "10.0.1.168", "TLS1.0"),
    ]


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("SP_PROT_TLS1_2_SERVER", "TLS1.2"),
        ("SP_PROT-TLS1_0_CLIENT", "TLS1.0"),
        ("SP_PROT_TLS1_1_CLIENT", "TLS1.1"),
        ("SP_PROT_TLS1_SERVER", "TLS1.0"),
        ("SP_PROT_SSL3_SERVER", "SSL3"),
        ("SP_PROT_TLS1_3_SERVER", "TLS1.3"),
        ("3072", "TLS1.2"),  # the SchannelProtocols number when the name is unknown
        ("8192", "TLS1.3"),
        ("64", "TLS1.0"),
        ("0", "unknown"),
    ],
)
def test_protocol_names_and_numbers(token, expected):
    assert protocol_tls(token) == expected


def test_recognised_from_content_only():
    for path in (RECV09, RECV10, SEND09):
        sample = take_sample(Source(path.name, path))
        assert identify(sample).name == "exchange-protocol-log"
    tracking = DATA.parent / "exchange-tracking-log" / "MSGTRK2024031509-1.LOG"
    assert identify(take_sample(Source("x.log", tracking))).name == "exchange-tracking-log"


# Interleaved sessions written line by line (CRLF, as Exchange writes), for the state at each
# MAIL FROM and for chunk boundaries falling anywhere.
HEADER = (
    "#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
    "#Log-type: SMTP Receive Protocol Log\r\n#Date: 2024-03-15T11:00:00.000Z\r\n"
    "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
    "remote-endpoint,event,data,context\r\n"
)
TLS_INFO = (
    "TLS protocol {} negotiation succeeded using bulk encryption algorithm {} with "
    "strength 256 bits"
)
FRONT = "EX01\\Default Frontend EX01"
S1, S2 = "08DC44A1B2C3F001", "08DC44A1B2C3F002"
INTERLEAVED = [  # (second, session, remote, event, data, context); row = index + 1
    (0, S1, "192.0.2.1:40001", "+", "", ""),
    (1, S2, "192.0.2.2:40002", "+", "", ""),
    (2, S1, "192.0.2.1:40001", "<", "EHLO one.example", ""),
    (3, S2, "192.0.2.2:40002", "<", "helo two.example", ""),
    (4, S1, "192.0.2.1:40001", ">", "250-AUTH LOGIN MAIL FROM STARTTLS", ""),  # server side
    (5, S2, "192.0.2.2:40002", "<", "MAIL FROM:<Early@Two.Example> SIZE=10", ""),
    (6, S1, "192.0.2.1:40001", "*", "", TLS_INFO.format("SP_PROT-TLS1_2_SERVER", "CALG_AES_256")),
    (7, S2, "192.0.2.2:40002", "*", "", TLS_INFO.format("768", "CALG_3DES")),  # 0x300: TLS 1.1
    (8, S2, "192.0.2.2:40002", "<", "AUTH XOAUTH2 dG9rZW4=", ""),
    (9, S2, "192.0.2.2:40002", "*", "app@two.example", "authenticated"),
    (10, S1, "192.0.2.1:40001", "<", "MAIL FROM:<a@one.example>", ""),
    (11, S2, "192.0.2.2:40002", "<", "MAIL FROM: bare@two.example", ""),
    (12, S1, "192.0.2.1:40001", "-", "", "Local"),
    # The same id after its disconnect is a new session; U+2003 is whitespace to Python's \s.
    (13, S1, "192.0.2.9:40009", "+", "", ""),
    (14, S1, "192.0.2.9:40009", "<", "\u2003EHLO trois.exemple", ""),
    (15, S2, "192.0.2.2:40002", "-", "", "Remote"),
    (16, S1, "192.0.2.9:40009", "-", "", "Local"),
]


def write_log(path: Path, lines) -> Path:
    out = [HEADER]
    for seq, (second, session, remote, event, data, context) in enumerate(lines):
        fields = [
            f"2024-03-15T11:00:{second:02d}.000Z",
            FRONT,
            session,
            str(seq),
            "10.0.0.10:25",
            remote,
            event,
            data,
            context,
        ]
        out.append(",".join(f'"{f}"' if "," in f else f for f in fields) + "\r\n")
    path.write_bytes("".join(out).encode("utf-8"))
    return path


def test_interleaved_sessions_each_message_with_its_own_state(tmp_path):
    path = write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED)
    data, report = load_one(path)
    assert (report.rows_read, report.rows_used, report.issues) == (17, 17, [])
    name = path.name

    def at(row, second, session, ip, port, **kw):
        return obs(name, row, f"11:00:{second:02d}", FRONT, session, ip, port, 25, **kw)

    assert records(data.observations) == [
        at(6, 5, S2, "192.0.2.2", 40002, sender="early@two.example", hostname="two.example"),
        at(
            11,
            10,
            S1,
            "192.0.2.1",
            40001,
            sender="a@one.example",
            tls="TLS1.2",
            cipher="CALG_AES_256",
            hostname="one.example",
        ),
        at(
            12,
            11,
            S2,
            "192.0.2.2",
            40002,
            sender="bare@two.example",
            tls="TLS1.1",
            cipher="CALG_3DES",
            hostname="two.example",
            auth_user="app@two.example",
            auth_protocol="OAuth",
        ),
        at(14, 13, S1, "192.0.2.9", 40009, messages=0, hostname="trois.exemple"),
    ]


@pytest.mark.parametrize("rows", [1, 2, 3, 5, 8])
def test_chunk_boundaries_anywhere_give_the_same_records(monkeypatch, tmp_path, rows):
    path = write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED)
    inputs = [RECV09, RECV10, path, SEND09]
    expected = records(o365tls.load(inputs).observations)
    monkeypatch.setattr(protocol_log, "CHUNK_ROWS", rows)
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", 512)  # the fast reader's frames, cut small too
    data = o365tls.load(inputs)
    assert records(data.observations) == expected
    assert [codes(r) for r in data.inputs] == [
        ["field-count", "bad-date"],
        ["open-session"],
        [],
        [],
    ]


def test_session_crossing_files_and_chunks_keeps_its_start(monkeypatch, tmp_path):
    # S2 opens, says EHLO and gets TLS in the first file; AUTH, login and MAIL FROM come in
    # the second, which is read a line per chunk.
    first = write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED[:8])
    second = write_log(tmp_path / "RECV2024031511-2.LOG", INTERLEAVED[8:])
    monkeypatch.setattr(protocol_log, "CHUNK_ROWS", 1)
    data = o365tls.load([first, second])
    reports = {Path(r.path).name: r for r in data.inputs}
    assert {n: (r.rows_read, r.rows_used, r.records, codes(r)) for n, r in reports.items()} == {
        first.name: (8, 8, 3, []),
        second.name: (9, 9, 1, []),
    }
    got = records(data.observations)
    assert [
        (
            r["source"],
            r["row"],
            r["session_id"],
            r["sender_address"],
            r["tls"],
            r["auth_protocol"],
            r["messages"],
        )
        for r in got
    ] == [
        # Sessions begun in the first file complete in the second: theirs, with the first
        # file's rows (where each session started), in row order...
        (first.name, 1, S1, "a@one.example", "TLS1.2", "", 1),
        (first.name, 2, S2, "bare@two.example", "TLS1.1", "OAuth", 1),
        (first.name, 6, S2, "early@two.example", "none", "", 1),
        # ...then the new S1, started in the second file.
        (second.name, 6, S1, "", "none", "", 0),
    ]


def _running_on(tmp_path):
    """Three hourly logs whose sessions run on: S1 and S2 open in the first, s3 and s4 in
    the second; MAIL FROM comes a file or two later, and s3, s4 and S1 never disconnect."""
    s3, s4 = "08DC44A1B2C3F003", "08DC44A1B2C3F004"
    one = write_log(
        tmp_path / "RECV2024031511-1.LOG",
        [(0, S1, "192.0.2.1:40001", "+", "", ""), (1, S2, "192.0.2.2:40002", "+", "", "")],
    )
    two = write_log(
        tmp_path / "RECV2024031512-1.LOG",
        [
            (2, s3, "192.0.2.3:40003", "+", "", ""),
            (3, S2, "192.0.2.2:40002", "<", "MAIL FROM:<x@two.example>", ""),
            (4, s4, "192.0.2.4:40004", "+", "", ""),
        ],
    )
    three = write_log(
        tmp_path / "RECV2024031513-1.LOG",
        [
            (5, s3, "192.0.2.3:40003", "<", "MAIL FROM:<y@three.example>", ""),
            (6, S1, "192.0.2.1:40001", "<", "MAIL FROM:<z@one.example>", ""),
            (7, S2, "192.0.2.2:40002", "-", "", "Remote"),
        ],
    )
    return [one, two, three], [
        (one.name, 1, S1, "z@one.example", "192.0.2.1", 1),
        (one.name, 2, S2, "x@two.example", "192.0.2.2", 1),
        (two.name, 1, s3, "y@three.example", "192.0.2.3", 1),
        (two.name, 3, s4, "", "192.0.2.4", 0),
    ]


def _records_of(data):
    return [
        (r["source"], r["row"], r["session_id"], r["sender_address"], r["sender_ip"], r["messages"])
        for r in records(data.observations)
    ]


def test_records_of_sessions_that_run_on_come_with_their_file_in_row_order(tmp_path):
    """A file's records wait until its sessions end in a later file, then come together,
    in row order, counted in its own report: the whole load is in input order."""
    paths, expected = _running_on(tmp_path)
    data = o365tls.load(paths)
    assert [(Path(r.path).name, r.records, codes(r)) for r in data.inputs] == [
        (paths[0].name, 2, ["open-session"]),
        (paths[1].name, 2, ["open-session"]),
        (paths[2].name, 0, []),
    ]
    assert _records_of(data) == expected


def test_a_file_keeps_its_place_when_its_records_come_only_later(tmp_path):
    """A file whose sessions all end in later files (or never) has no records until then;
    it still goes first: its place is the order it was read in."""
    one = write_log(tmp_path / "RECV2024031511-1.LOG", [(0, S1, "192.0.2.1:40001", "+", "", "")])
    two = write_log(
        tmp_path / "RECV2024031512-1.LOG",
        [
            (1, S2, "192.0.2.2:40002", "+", "", ""),
            (2, S2, "192.0.2.2:40002", "<", "MAIL FROM:<b@two.example>", ""),
            (3, S2, "192.0.2.2:40002", "-", "", "Remote"),
            (4, S1, "192.0.2.1:40001", "<", "MAIL FROM:<a@one.example>", ""),
            (5, S1, "192.0.2.1:40001", "-", "", "Remote"),
        ],
    )
    assert _records_of(o365tls.load([one, two])) == [
        (one.name, 1, S1, "a@one.example", "192.0.2.1", 1),
        (two.name, 2, S2, "b@two.example", "192.0.2.2", 1),
    ]
    # S1 never ends, S2 is still open after its message: S1's session record comes at the
    # end of the load, still before the second file's records.
    two = write_log(
        tmp_path / "RECV2024031512-1.LOG",
        [
            (1, S2, "192.0.2.2:40002", "+", "", ""),
            (2, S2, "192.0.2.2:40002", "<", "MAIL FROM:<b@two.example>", ""),
        ],
    )
    data = o365tls.load([one, two])
    assert _records_of(data) == [
        (one.name, 1, S1, "", "192.0.2.1", 0),
        (two.name, 2, S2, "b@two.example", "192.0.2.2", 1),
    ]
    assert [codes(r) for r in data.inputs] == [["open-session"], ["open-session"]]


def test_records_that_cannot_wait_any_longer_come_out_of_order_but_all_of_them(
    monkeypatch, tmp_path
):
    """Past WAIT_RECORDS (a session open for hours), the oldest file's records go out as they
    are: the same records, each counted in its own file's report, in another order."""
    monkeypatch.setattr(protocol_log, "WAIT_RECORDS", 0)
    paths, expected = _running_on(tmp_path)
    data = o365tls.load(paths)
    assert [(Path(r.path).name, r.records) for r in data.inputs] == [
        (paths[0].name, 2),
        (paths[1].name, 2),
        (paths[2].name, 0),
    ]
    got = _records_of(data)
    assert got != expected and sorted(got) == sorted(expected)


def test_header_row_repeated_inside_a_log_is_rejected_not_read_as_a_line(tmp_path):
    # Concatenated logs can carry the field names as a data row, in any case and spacing.
    path = write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED)
    text = path.read_bytes().splitlines(keepends=True)
    repeated = (
        b"DATE-Time, Connector-ID,session-id,sequence-number,local-endpoint,"
        b"remote-endpoint,event,data,context\r\n"
    )
    path.write_bytes(b"".join([*text[:8], repeated, *text[8:]]))
    data, report = load_one(path)
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (18, 17, 1)
    assert [(i.code, i.row) for i in report.issues] == [("repeated-header", 4)]
    assert len(data.observations) == 4


def test_frame_is_what_canonical_builds():
    """_frame builds its frame directly; it must be exactly canonical()'s, dtypes included."""
    import numpy as np
    import pandas as pd

    from o365tls.importers.base import canonical

    records = {
        "row": np.array([3, 9], np.int64),
        "when": np.array([0, 10**18], np.int64),
        "connector": np.array(["EX01\\Default Frontend EX01", "Outbound"], object),
        "direction": np.array(["inbound", "outbound"], object),
        "lip": np.array(["10.0.0.10", "10.0.0.10"], object),
        "lport": np.array([25, 1234]),
        "rip": np.array(["192.0.2.1", "198.51.100.7"], object),
        "rport": np.array([5000, 25]),
        "sender": np.array(["a@contoso.com", "None"], object),
        "auth_user": np.array(["CONTOSO\\app", ""], object),
        "auth_protocol": np.array(["Basic", ""], object),
        "hostname": np.array(["mx.contoso.com", ""], object),
        "session_id": np.array(["08DC1", "08DC2"], object),
        "tls": np.array(["TLS1.0", "none"], object),
        "cipher": np.array(["AES256", ""], object),
        "messages": np.array([1, 0], np.int64),
    }
    got = protocol_log._frame([records], "RECV.LOG")
    outbound = records["direction"] == "outbound"
    want = canonical(
        OBSERVATIONS,
        {
            "source": "RECV.LOG",
            "grain": "message",
            "connector": list(records["connector"]),
            "direction": list(records["direction"]),
            "sender_ip": list(np.where(outbound, records["lip"], records["rip"])),
            "destination_ip": list(np.where(outbound, records["rip"], "")),
            "sender_address": list(records["sender"]),
            "auth_user": list(records["auth_user"]),
            "auth_protocol": list(records["auth_protocol"]),
            "hostname": list(records["hostname"]),
            "session_id": list(records["session_id"]),
            "tls": list(records["tls"]),
            "cipher": list(records["cipher"]),
            "server": ["EX01", ""],
            "row": [3, 9],
            "timestamp": pd.Series(pd.to_datetime([0, 10**18], utc=True)),
            "sender_port": [5000, 1234],
            "local_port": [25, 25],
            "messages": [1, 0],
        },
        2,
        "RECV.LOG",
    )
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    pd.testing.assert_frame_equal(
        protocol_log._frame([{k: v[:0] for k, v in records.items()}], "RECV.LOG"),
        canonical(OBSERVATIONS, {}, 0, "RECV.LOG"),
        check_exact=True,
    )


@pytest.mark.parametrize("damage", ["none", "repeated-header", "short-row"])
def test_read_arrow_gives_read_tables_rows_and_issues(tmp_path, damage):
    """The importer reads Arrow tables (table.read_arrow); they hold the rows, row numbers and
    issues of read_table, on the fast path, with header rows dropped, and after the tolerant
    reader takes over."""
    import pyarrow as pa

    from o365tls.importers.table import read_arrow, read_table
    from o365tls.quality import FileReport

    path = write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED)
    text = path.read_bytes().splitlines(keepends=True)
    extra = {
        "none": [],
        "short-row": [b"2024-03-15T11:00:09.000Z,EX01\\Default,08DC\r\n"],
        "repeated-header": [
            b"date-time,connector-id,session-id,sequence-number,"
            b"local-endpoint,remote-endpoint,event,data,context\r\n"
        ],
    }
    path.write_bytes(b"".join([*text[:8], *extra[damage], *text[8:]]))
    sample = take_sample(Source(str(path), path))
    columns = [c for c in sample.header if c != "sequence-number"]
    by_table, by_arrow = FileReport(str(path)), FileReport(str(path))
    frames = list(read_table(sample, by_table, 4, columns=columns))
    tables = list(read_arrow(sample, by_arrow, 4, columns=columns))
    want = {name: [v for f in frames for v in f[name].tolist()] for name in columns}
    want["__row__"] = [int(v) for f in frames for v in f["__row__"]]
    got = pa.concat_tables(
        [
            t.select([*columns, "__row__"]).cast(tables[0].select([*columns, "__row__"]).schema)
            for t in tables
        ]
    ).to_pydict()
    assert got == want and len(want["__row__"]) == 17
    assert all(t.column(c).type == pa.string() for t in tables for c in columns)
    assert (
        [(i.code, i.row) for i in by_arrow.issues]
        == [(i.code, i.row) for i in by_table.issues]
        == {
            "none": [],
            "repeated-header": [("repeated-header", 4)],
            "short-row": [("field-count", 4)],
        }[damage]
    )
    assert (by_arrow.rows_read, by_arrow.rows_rejected) == (
        by_table.rows_read,
        by_table.rows_rejected,
    )


def test_command_prefilter_never_drops_a_command():
    """may_be_command looks at the first character only; whatever COMMAND matches passes."""
    import pyarrow as pa

    from o365tls.importers import protocol_log_lines as lines

    texts = [
        "EHLO a",
        " ehlo a",
        "\tMAIL FROM:<a@b>",
        "\x1cAUTH LOGIN",
        "x-exps GSSAPI",
        "StartTLS",
        "\u017fTARTTLS",
        "\xa0HELO x",
        "250 OK",
        "RCPT TO:<a@b>",
        "DATA",
        "",
        "QUIT",
        "354 Start",
        "MAILFROM",
        "ÉHLO x",
    ]
    keep = lines.may_be_command(pa.array(texts))
    matched = [lines.COMMAND.match(t) is not None for t in texts]
    assert all(k for k, m in zip(keep, matched, strict=True) if m)
    assert sum(matched) == 8  # the ſ (long s) and no-break-space lines match in Python's re
    assert list(keep) == [True] * 8 + [False] * 6 + [True, True]


def test_session_column_helpers_on_numpy_and_arrow():
    """The in-order step's columns are numpy (numbers, codes) or Arrow large_string (text)."""
    import numpy as np
    import pyarrow as pa

    from o365tls.importers import protocol_log_sessions as ps

    words = ps.text(np.array(["None", "", "TLS1.0"], dtype=object))
    assert words.type == pa.large_string() and words.to_pylist() == ["None", "", "TLS1.0"]
    assert ps.text(pa.chunked_array([["a"], ["b"]])).to_pylist() == ["a", "b"]
    assert ps.is_value(words, "").tolist() == [False, True, False]
    assert ps.is_value(words, "none").tolist() == [False, False, False]  # "None" is not ""
    mask, at = np.array([True, False, True]), np.array([2, 2, 0])
    assert ps.subset(words, mask).to_pylist() == ["None", "TLS1.0"]
    assert ps.subset(words, at).to_pylist() == ["TLS1.0", "TLS1.0", "None"]
    assert ps.subset(np.array([5, 6, 7]), at).tolist() == [7, 7, 5]
    assert ps.concat([words, words.slice(1)]).to_pylist() == ["None", "", "TLS1.0", "", "TLS1.0"]
    assert ps.concat([np.array([1]), np.array([2, 3])]).tolist() == [1, 2, 3]


def test_session_ids_holding_the_key_separator_read_as_plain_ones(tmp_path):
    """Keys are (id, connector) codes unless an id or connector holds \\x1f, the separator of
    the key's text: then the text decides. Both give the same sessions."""
    plain = load_one(write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED))[0]
    odd = [(sec, sid.replace("F00", "F\x1f0"), *rest) for sec, sid, *rest in INTERLEAVED]
    data, report = load_one(write_log(tmp_path / "RECV2024031512-1.LOG", odd))
    assert (report.rows_read, report.rows_used) == (17, 17)
    expected = records(plain.observations)
    for record in expected:
        record["source"] = "RECV2024031512-1.LOG"
        record["session_id"] = record["session_id"].replace("F00", "F\x1f0")
    assert records(data.observations) == expected


def test_endpoints_are_what_split_endpoint_says():
    import pyarrow as pa

    from o365tls.frames.arrow import split_endpoint
    from o365tls.importers import protocol_log_lines as lines

    texts = [
        "10.0.0.1:25",
        " 10.0.0.1:25 ",
        "256.1.1.1:25",
        "01.2.3.4:25",
        "0.0.0.0:0",
        "1.2.3.4:00025",
        "1.2.3.4:99999",
        "[2001:db8::1]:25",
        "2001:db8::1",
        "",
        "  ",
        "abc",
        "1.2.3.4",
        "1.2.3.4:",
        "255.255.255.255:65535",
        "1.2.3.04:1",
        "١.2.3.4:25",
        "1.2.3.4:٢5",
        "10.0.0.10:587",
        "10.0.0.1:25",
    ]
    codes, ips, ports, _odd = lines.endpoints(pa.array(texts))
    assert [(ips[c].as_py(), p) for c, p in zip(codes, ports, strict=True)] == [
        split_endpoint(t) for t in texts
    ]
    assert ips.type == pa.large_string() and len(set(ips.to_pylist())) == len(ips)


def test_commands_in_one_pass_are_what_the_three_patterns_say():
    import pyarrow as pa

    from o365tls.importers import protocol_log_lines as lines

    texts = [
        "EHLO a",
        " ehlo  b.example",
        "HELO",
        "EHLOx y",
        "MAIL FROM:<>",
        "MAIL FROM: <A@B>",
        "mail from:bare@x SIZE=1",
        "MAIL FROM:",
        "MAIL FROM:<open",
        "AUTH LOGIN",
        "x-exps GSSAPI",
        "AUTH",
        "STARTTLS",
        "250 OK",
        "\u2003EHLO trois",
        "EHLO\u00a0x",
        "MAIL FROM:\u2003<ü@x>",
        "\x1cAUTH NTLM",
        "RCPT TO:<a@b>",
        "",
    ]
    got = {
        k: v.to_pylist() if isinstance(v, pa.Array) else list(v)
        for k, v in lines.commands(pa.array(texts)).items()
    }
    for i, text in enumerate(texts):
        helo, mail, auth = (
            lines.HELO.match(text),
            lines.MAIL_FROM.match(text),
            lines.AUTH.match(text),
        )
        assert (got["helo"][i], got["mail"][i], got["auth"][i]) == (
            bool(helo),
            bool(mail) and not helo,
            bool(auth) and not helo and not mail,
        ), text
        if helo:
            assert got["host"][i] == helo.group(1)
        elif mail:
            assert got["address"][i] == (mail.group(1) or mail.group(2) or "").strip().lower()
        elif auth:
            assert got["mechanism"][i] == auth.group(1).upper()
    assert list(got["helo"]).count(True) == 4 and list(got["mail"]).count(True) == 6


def test_a_log_read_in_one_block_is_handed_over_whole(monkeypatch):
    """An hourly log fits one block: it goes to pyarrow without the header, uncopied, and
    marked whole (parsed on one thread); cut into blocks it gives the same bytes."""
    sample = take_sample(Source(str(RECV09), RECV09), None)
    body = RECV09.read_bytes().split(b"\r\n", 5)[5]  # after the five '#' lines
    blocks = list(fastcsv._utf8_blocks(sample))
    assert [(bytes(b), whole) for b, whole in blocks] == [(body, True)]
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", 512)
    blocks = list(fastcsv._utf8_blocks(sample))
    assert len(blocks) > 3 and not any(whole for _, whole in blocks)
    assert b"".join(bytes(b) for b, _ in blocks) == body


def test_padded_session_ids_are_the_trimmed_ones(tmp_path):
    """Ids and connectors are trimmed per distinct text: a padded id is the same session."""
    plain = load_one(write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED))[0]
    padded = [(sec, f" {sid}\t" if sec % 2 else sid, *rest) for sec, sid, *rest in INTERLEAVED]
    data, report = load_one(write_log(tmp_path / "RECV2024031512-1.LOG", padded))
    assert (report.rows_read, report.rows_used) == (17, 17)
    expected = records(plain.observations)
    for record in expected:
        record["source"] = "RECV2024031512-1.LOG"
    assert records(data.observations) == expected


def test_padded_events_are_the_trimmed_ones_and_a_bad_one_is_shown_trimmed(tmp_path):
    """Events are matched as written first; padding is trimmed only when some do not match,
    and the bad-event rejection shows the trimmed text."""
    plain = load_one(write_log(tmp_path / "RECV2024031511-1.LOG", INTERLEAVED))[0]
    padded = [
        (sec, sid, remote, f" {event}\t" if sec % 3 == 0 else event, *rest)
        for sec, sid, remote, event, *rest in INTERLEAVED
    ]
    padded.insert(5, (4, S1, "192.0.2.1:40001", " ?? ", "", ""))  # row 6
    data, report = load_one(write_log(tmp_path / "RECV2024031512-1.LOG", padded))
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (18, 17, 1)
    assert [(i.row, i.code, i.column, i.value) for i in report.issues] == [
        (6, "bad-event", "event", "??")
    ]
    want = records(plain.observations)
    for record in want:
        record["source"] = "RECV2024031512-1.LOG"
        record["row"] += record["row"] >= 6  # the inserted line comes before them
    assert records(data.observations) == want


def test_columns_cut_in_chunks_by_the_parser_give_the_same_records_and_issues(
    tmp_path, monkeypatch
):
    """pyarrow cuts a block of a file read in several into PARSE_BYTES chunks (a file read in
    one block is parsed as one unit); the lines are classified over the chunks as they are,
    joined only where taken."""
    lines = [
        *INTERLEAVED[:4],
        (4, S1, "192.0.2.1:40001", "?", "", ""),
        *INTERLEAVED[4:12],
        (12, S2, "192.0.2.2:40002", " < ", "NOOP", ""),
        *INTERLEAVED[12:],
    ]
    path = write_log(tmp_path / "RECV2024031511-1.LOG", lines)
    text = path.read_bytes().replace(b"2024-03-15T11:00:03.000Z", b"2024-03-15 nonsense")
    path.write_bytes(text)

    def issues(report):
        return [(i.row, i.code, i.value) for i in report.issues]

    data, report = load_one(path)
    assert issues(report) == [(4, "bad-date", "2024-03-15 nonsense"), (5, "bad-event", "?")]
    monkeypatch.setattr(fastcsv, "PARSE_BYTES", 300)
    sample = take_sample(Source(str(path), path, None, path.stat().st_size))
    tables = list(fastcsv.read_arrow(sample, protocol_log.FileReport(str(path))))
    assert len(tables) == 1 and tables[0].column("data").num_chunks == 1
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", 1200)
    tables = list(fastcsv.read_arrow(sample, protocol_log.FileReport(str(path))))
    assert len(tables) > 1 and tables[0].column("data").num_chunks > 2
    chunked, chunked_report = load_one(path)
    assert issues(chunked_report) == issues(report)
    assert records(chunked.observations) == records(data.observations)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet="EhM <+-*>2\x1c\u00e9\u017f", max_size=4), max_size=8),
        min_size=1,
        max_size=3,
    ),
    st.booleans(),
    st.integers(0, 3),
)
def test_first_bytes_and_the_command_prefilter_read_the_buffers_right(chunks, large, cut):
    """first_bytes reads each value's first byte and length from the buffers (chunks, slices,
    both offset widths); may_be_command is the per-character test it replaced."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from o365tls.importers import protocol_log_lines as lines

    kind = pa.large_string() if large else pa.string()
    arrays = [pa.array(c, kind) for c in chunks]
    arrays[-1] = arrays[-1].slice(min(cut, len(arrays[-1])))
    column = pa.chunked_array(arrays, kind)
    values = column.to_pylist()
    first, length = first_bytes(column)
    assert first.tolist() == [v.encode()[0] if v else 0 for v in values]
    assert length.tolist() == [len(v.encode()) for v in values]
    starts = pc.utf8_slice_codeunits(column, 0, 1)
    old = pc.or_(
        pc.is_in(starts, value_set=pa.array(list(lines._COMMAND_STARTS), kind)),
        pc.invert(pc.string_is_ascii(starts)),
    ).to_numpy(zero_copy_only=False)
    assert lines.may_be_command(column).tolist() == list(old)
    single = pa.array(values, kind)
    assert lines.may_be_command(single).tolist() == list(old)


@pytest.mark.slow
def test_a_log_damaged_partway_keeps_the_records_read_before_the_damage(tmp_path):
    """A zip member whose damage shows only at its end (its CRC): the lines of the first
    16 MB block were read and used, so their records are kept and counted in that file's
    report, and the next file is read as usual. (Until a file's records went out together,
    the records read before the damage were lost.)"""
    import io
    import zipfile

    sessions = 60_000  # about 22 MB of log: more than one 16 MB block
    lines = []
    for n in range(sessions):
        sid, remote = f"08DC44A1B2{n:06X}", f"192.0.2.{n % 250 + 1}:{40000 + n % 20000}"
        for event, data in (
            ("+", ""),
            ("<", "EHLO host.example"),
            ("<", f"MAIL FROM:<user{n}@sender.example>"),
            ("-", ""),
        ):
            lines.append(
                f"2024-03-15T11:00:00.000Z,{FRONT},{sid},0,10.0.0.10:25,{remote},"
                f"{event},{data},\r\n"
            )
    body = (HEADER + "".join(lines)).encode()
    assert len(body) > fastcsv.BLOCK_BYTES + (1 << 20)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("RECV2024031511-1.LOG", body)
    data = buffer.getvalue()
    at = data.index(b"PK\x01\x02") + 16  # the directory's CRC of the member: damaged
    (tmp_path / "a.zip").write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :])
    after = write_log(tmp_path / "RECV2024031512-1.LOG", INTERLEAVED)

    loaded = o365tls.load([tmp_path / "a.zip", after])
    damaged, fine = loaded.inputs
    # The session cut by the damage has no disconnect line: it is noted as still open.
    assert codes(damaged) == ["bad-archive", "open-session"] and codes(fine) == []
    assert damaged.rows_read == damaged.rows_used + damaged.rows_rejected
    kept = loaded.observations["source"] == damaged.path
    assert damaged.records == kept.sum() and 0.5 * sessions < damaged.records < sessions
    assert fine.records == (loaded.observations["source"] == fine.path).sum() == 4


def test_a_line_after_a_disconnect_begins_a_session_wherever_the_chunks_are_cut(
    monkeypatch, tmp_path
):
    # The id's session connects and ends; a server reply with the same id follows: a new
    # session whose start is not in the file (TLS unknown), whether or not a chunk starts there.
    remote = "192.0.2.1:40001"
    path = write_log(
        tmp_path / "RECV2024031511-1.LOG",
        [
            (0, S1, remote, "+", "", ""),
            (1, S1, remote, "<", "EHLO one.example", ""),
            (2, S1, remote, "-", "", "Remote"),
            (3, S1, remote, ">", "220 2.0.0 Service ready", ""),
        ],
    )
    for rows in (protocol_log.CHUNK_ROWS, 3, 2):
        monkeypatch.setattr(protocol_log, "CHUNK_ROWS", rows)
        data, report = load_one(path)
        assert [
            (r["row"], r["tls"], r["messages"], r["hostname"])
            for r in data.observations.to_dict("records")
        ] == [(1, "none", 0, "one.example"), (4, "unknown", 0, "")], rows
        assert codes(report) == ["session-began-before", "open-session"], rows
