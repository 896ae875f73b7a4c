"""Exchange SMTP Receive/Send protocol logs: one observation per MAIL FROM (or per session
without one), the session's TLS at that moment, sessions stitched across hourly files.

Fixtures are written by tests/data/exchange-protocol-log/make_fixtures.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import o365tls
from o365tls.importers import identify, protocol_log
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import Source
from o365tls.schema import OBSERVATIONS, column_names
from tests.helpers import codes, load_one

DATA = Path(__file__).resolve().parents[1] / "data" / "exchange-protocol-log"
RECV09 = DATA / "RECV2024031509-1.LOG"
RECV10 = DATA / "RECV2024031510-1.LOG"
SEND09 = DATA / "SEND2024031509-1.LOG"
# Columns a protocol log never fills (recipient_address: a message may have several RCPT TO).
CONSTANT = {name: value for name, value in {
    "grain": "message", "forced_tls": None, "connector_type": "", "message_id": "",
    "recipient_address": ""}.items() if name in column_names(OBSERVATIONS)}


def obs(source, row, when, connector, session, sender_ip, sender_port, local_port, sender="",
        tls="none", cipher="", messages=1, hostname="", auth_user="", auth_protocol="",
        destination_ip="", direction="inbound", server="EX01"):
    return {"source": source, "row": row, "timestamp": f"2024-03-15T{when}+00:00",
            "connector": connector, "direction": direction, "sender_ip": sender_ip,
            "sender_port": sender_port, "destination_ip": destination_ip,
            "local_port": local_port, "sender_address": sender, "auth_user": auth_user,
            "auth_protocol": auth_protocol, "hostname": hostname, "session_id": session,
            "tls": tls, "cipher": cipher, "messages": messages, "server": server}


def records(frame):
    assert list(frame.columns) == column_names(OBSERVATIONS)
    for column, value in CONSTANT.items():
        assert frame[column].tolist() == [value] * len(frame), column
    out = frame.drop(columns=list(CONSTANT)).copy()
    out["source"] = out["source"].map(lambda s: Path(s).name)
    out["timestamp"] = out["timestamp"].map(lambda t: t.isoformat())
    return out.to_dict("records")


R09, R10, S09 = RECV09.name, RECV10.name, SEND09.name
A = obs(R09, 19, "09:00:01.200000", "EX01\\Client Frontend EX01", "08DC44A1B2C3D001",
        "10.0.20.15", 50123, 587, "reports@contoso.com", "TLS1.2", "CALG_AES_256",
        hostname="app01.contoso.local", auth_user="CONTOSO\\svc-app", auth_protocol="Basic")
B = obs(R09, 35, "09:00:01.470000", "EX01\\Relais Geräte Büro", "08DC44A1B2C3D002",
        "10.0.30.21", 1031, 25, "scan@contoso.com", "TLS1.0", "CALG_AES_128",
        hostname="NPI3A5F21")
C1 = obs(R09, 47, "09:03:00.020000", "EX01\\Anonymous Relay", "08DC44A1B2C3D003", "10.0.40.7",
         49877, 25, "dbmail@contoso.com", hostname="SQL01")
C2 = obs(R09, 54, "09:03:00.400000", "EX01\\Anonymous Relay", "08DC44A1B2C3D003", "10.0.40.7",
         49877, 25, "alerts@contoso.com", hostname="SQL01")
# A failed AUTH LOGIN leaves no user.
D = obs(R09, 60, "09:10:00", "EX01\\Default Frontend EX01", "08DC44A1B2C3D004", "192.0.2.99",
        61234, 25, messages=0, hostname="scanner.example")
# MAIL FROM before STARTTLS counts as a plaintext message; the retry after TLS as TLS 1.2.
F1 = obs(R09, 70, "09:20:00.020000", "EX01\\Partner TLS", "08DC44A1B2C3D005", "198.51.100.20",
         40404, 25, "billing@partner.example", hostname="mta.partner.example")
F2 = obs(R09, 76, "09:20:00.080000", "EX01\\Partner TLS", "08DC44A1B2C3D005", "198.51.100.20",
         40404, 25, "billing@partner.example", "TLS1.2", "CALG_AES_128",
         hostname="mta.partner.example")
# Session H: connect, EHLO and TLS in the 09 file, MAIL FROM in the 10 file.
H = obs(R09, 80, "10:00:00.100000", "EX01\\Default Frontend EX01", "08DC44A1B2C3D006",
        "203.0.113.77", 55000, 25, "orders@fabrikam.example", "TLS1.2", "CALG_AES_256",
        hostname="mail.fabrikam.example")
I_ = obs(R10, 9, "10:05:00.020000", "EX01\\Anonymous Relay", "08DC44A1B2C3D007", "10.0.40.8",
        50001, 25, "veeam@contoso.com", hostname="backup01")
J = obs(R10, 13, "10:59:59", "EX01\\Default Frontend EX01", "08DC44A1B2C3D008", "192.0.2.140",
        33000, 25, messages=0, hostname="[192.0.2.140]")


def test_receive_log_one_observation_per_message_and_damaged_lines_rejected():
    data, report = load_one(RECV09)
    assert report.format == "exchange-protocol-log"
    assert report.encoding == "UTF-8"
    assert len(data.sightings) == 0
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (86, 84, 2)
    assert [(i.code, i.row, i.rejected) for i in report.issues] == [
        ("field-count", 50, True), ("bad-date", 53, True), ("open-session", None, False)]
    assert report.issues[1].value == "2024-13-45T99:03:00.310Z"
    # Loaded alone, session H never sends MAIL FROM: one session record at its start.
    h_alone = {**H, "timestamp": "2024-03-15T09:59:58+00:00", "sender_address": "",
               "messages": 0}
    assert records(data.observations) == [A, B, C1, C2, D, F1, F2, h_alone]


def test_session_split_across_hourly_files_is_one_message_with_its_tls():
    data = o365tls.load([RECV09, RECV10])
    reports = {Path(r.path).name: r for r in data.inputs}
    for report in reports.values():
        assert report.rows_read == report.rows_used + report.rows_rejected
    assert (reports[R09].records, reports[R10].records) == (8, 2)
    assert codes(reports[R09]) == ["field-count", "bad-date"]
    assert codes(reports[R10]) == ["open-session"]  # session J has no disconnect yet
    assert records(data.observations) == [A, B, C1, C2, D, F1, F2, I_, H, J]
    assert data.observations["messages"].sum() == 8


def test_continuation_without_its_first_file_starts_a_fresh_session():
    data, _report = load_one(RECV10)
    h = records(data.observations)[0]
    assert (h["source"], h["row"], h["session_id"], h["tls"], h["hostname"]) == (
        R10, 1, "08DC44A1B2C3D006", "none", "")


def test_send_log_tls_1_0_client_and_hyphenated_spelling():
    data, report = load_one(SEND09)
    assert report.encoding == "UTF-8 (BOM)"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (34, 34, 0)
    assert report.issues == []
    out = dict(direction="outbound", server="")
    assert records(data.observations) == [
        obs(S09, 12, "09:30:00.140000", "Outbound to Internet", "08DC44A1B2C3E001", "10.0.0.10",
            51234, 25, "alice@contoso.com", "TLS1.2", "CALG_AES_256",
            hostname="EX01.contoso.com", destination_ip="203.0.113.25", **out),
        # Non-ASCII connector, SP_PROT_TLS1_0_CLIENT, null sender "<>".
        obs(S09, 29, "09:40:00.090000", "组织内 SMTP 发送连接器", "08DC44A1B2C3E002", "10.0.0.31",
            37964, 25, "", "TLS1.0", "CALG_AES_256", hostname="M10-HQ-MLCEN01.cnc.intra",
            destination_ip="10.0.1.168", **out),
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
        ("outbound", "10.0.0.31", "10.0.1.168", "TLS1.0")]


@pytest.mark.parametrize(("token", "expected"), [
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
])
def test_protocol_names_and_numbers(token, expected):
    assert protocol_log.protocol_tls(token) == expected


def test_recognised_from_content_only():
    for path in (RECV09, RECV10, SEND09):
        sample = take_sample(Source(path.name, path))
        assert identify(sample).name == "exchange-protocol-log"
    tracking = DATA.parent / "exchange-tracking-log" / "MSGTRK2024031509-1.LOG"
    assert identify(take_sample(Source("x.log", tracking))).name == "exchange-tracking-log"
