"""Protocol logs as admins share them (tests/data/exchange-protocol-log-shared): an excerpt
of one hour, sessions begun in the hour before, legacy TLS without mail, masked IPs; and the
masked IPs of the other importers."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

import o365tls

DATA = Path(__file__).resolve().parents[1] / "data"
SHARED = DATA / "exchange-protocol-log-shared"
HUB_RECV = SHARED / "hub" / "RECV2024031612-1.LOG"
HUB_SEND = SHARED / "hub" / "SEND2024031612-1.LOG"
FRONTEND = SHARED / "frontend" / "RECV2024031613-1.LOG"
MASKED = SHARED / "masked" / "RECV2024031614-1.LOG"
INTRA_ORG = SHARED / "intra-org" / "SEND2019110406-1.LOG"


def issues(report, code):
    return [i for i in report.issues if i.code == code]


@pytest.mark.parametrize(
    "path, session", [(HUB_RECV, "08DC45B1C2D3E001"), (HUB_SEND, "08DC45B1C2D3F001")]
)
def test_a_session_begun_before_the_file_is_tls_unknown_not_plaintext(path, session):
    data = o365tls.load([path])
    (report,) = data.inputs
    obs = data.observations
    begun = obs[obs["session_id"] == session]
    assert len(begun) and set(begun["tls"]) == {"unknown"} and begun["messages"].sum() >= 1
    assert "none" not in set(obs["tls"])
    (note,) = issues(report, "session-began-before")
    assert note.message.startswith("1 session(s) began before this file's first line")
    assert "previous hour's log" in note.message
    assert (report.rows_read, report.rows_rejected) == (report.rows_used, 0)


def test_the_sessions_whole_in_the_file_keep_their_tls():
    obs = o365tls.load([HUB_RECV, HUB_SEND]).observations
    whole = obs[obs["session_id"].isin(["08DC45B1C2D3E002", "08DC45B1C2D3F002"])]
    assert list(whole["tls"]) == ["TLS1.2", "TLS1.2"]


def test_a_session_cut_at_the_end_keeps_the_tls_it_negotiated():
    # Its TLS came before its MAIL FROM: the message is counted on it; the note says the
    # session has no end in the files read.
    data = o365tls.load([HUB_RECV])
    obs = data.observations
    cut = obs[obs["session_id"] == "08DC45B1C2D3E003"]
    assert (list(cut["tls"]), int(cut["messages"].sum())) == (["TLS1.2"], 1)
    assert issues(data.inputs[0], "open-session")


def test_the_hour_before_settles_the_tls_of_a_continued_session(tmp_path):
    # With the previous hour's file read first, the session begins inside the input.
    before = tmp_path / "RECV2024031611-1.LOG"
    before.write_bytes(
        b"#Software: Microsoft Exchange Server\r\n#Version: 15.0.0.0\r\n"
        b"#Log-type: SMTP Receive Protocol Log\r\n#Date: 2024-03-16T11:00:00.010Z\r\n"
        b"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
        b"remote-endpoint,event,data,context\r\n"
        b"2024-03-16T11:02:00.000Z,EX01\\Default EX01,08DC45B1C2D3E001,0,192.0.2.10:25,"
        b"192.0.2.11:41877,+,,\r\n"
        b"2024-03-16T11:02:00.010Z,EX01\\Default EX01,08DC45B1C2D3E001,1,192.0.2.10:25,"
        b"192.0.2.11:41877,<,X-ANONYMOUSTLS,\r\n"
        b"2024-03-16T11:02:00.040Z,EX01\\Default EX01,08DC45B1C2D3E001,2,192.0.2.10:25,"
        b'192.0.2.11:41877,*,,"TLS protocol SP_PROT_TLS1_2_SERVER negotiation succeeded '
        b"using bulk encryption algorithm CALG_AES_256 with strength 256 bits, MAC hash "
        b"algorithm CALG_SHA_384 with strength 0 bits and key exchange algorithm "
        b'CALG_ECDH_EPHEM with strength 384 bits"\r\n'
    )
    hub = tmp_path / "RECV2024031612-1.LOG"
    hub.write_bytes(HUB_RECV.read_bytes())
    data = o365tls.load([before, hub])
    obs = data.observations
    assert set(obs.loc[obs["session_id"] == "08DC45B1C2D3E001", "tls"]) == {"TLS1.2"}
    assert not any(issues(r, "session-began-before") for r in data.inputs)


def test_legacy_tls_sessions_without_mail_are_noted_per_file_and_add_no_message():
    data = o365tls.load([FRONTEND])
    (report,) = data.inputs
    obs = data.observations
    assert int(obs["messages"].sum()) == 1
    quiet = obs[obs["messages"] == 0]
    assert sorted(quiet["tls"]) == ["TLS1.0", "TLS1.0", "TLS1.0", "TLS1.1"]
    (note,) = issues(report, "legacy-session-without-mail")
    assert note.message.startswith("4 session(s) negotiated legacy TLS and sent no message")
    assert "198.51.100.40 (EHLO nagios.contoso.example) on TLS1.0" in note.message


def test_masked_protocol_log_endpoints_are_counted_and_the_lines_used():
    data = o365tls.load([MASKED])
    (report,) = data.inputs
    assert report.rows_read == report.rows_used == 15
    (note,) = issues(report, "masked-ip")
    assert note.message.startswith("15 rows have a masked IP (e.g. '10.**.**.31:56026')")
    assert "sender IP is unknown" in note.message
    obs = data.observations
    assert len(obs) == 3 and set(obs["sender_ip"]) == {""}


def test_masked_trace_ips_are_counted_once_per_file():
    data = o365tls.load([SHARED / "masked" / "message-trace.csv"])
    (report,) = data.inputs
    (note,) = issues(report, "masked-ip")
    assert note.message.startswith("2 rows have a masked IP (e.g. '10.**.**.31')")
    assert report.rows_used == 3
    assert sorted(data.sightings["sender_ip"]) == ["", "", "203.0.113.9"]


@pytest.mark.parametrize(
    "fixture, encoding, ip, masked",
    [
        ("historical-summary/summary_utf16le_bom.csv", "utf-16", "203.0.113.45", "203.0.x.x"),
        ("historical-extended/extended-bom.csv", "utf-16", "192.0.2.77", "192.0.**.**"),
        ("exchange-tracking-log/MSGTRK2024031509-1.LOG", "utf-8", "10.0.0.10", "[REDACTED]"),
        ("message-trace-detail/v2_en-GB.csv", "utf-8", "203.0.113.45", "203.0.113.**"),
    ],
)
def test_every_importer_that_reads_sender_ips_notes_masked_ones(
    tmp_path, fixture, encoding, ip, masked
):
    text = (DATA / fixture).read_bytes().decode(encoding)
    assert ip in text
    path = tmp_path / Path(fixture).name
    path.write_bytes(text.replace(ip, masked).encode(encoding))
    clean = o365tls.load([DATA / fixture]).inputs[0]
    (report,) = o365tls.load([path]).inputs
    (note,) = issues(report, "masked-ip")
    assert f"(e.g. '{masked}')" in note.message
    assert (report.rows_read, report.rows_used) == (clean.rows_read, clean.rows_used)


def test_masked_ip_shapes():
    from o365tls.frames.arrow import masked_ips

    values = [
        "10.**.**.31",
        "192.168.x.x",
        "x.x.x.x",
        "*.*.*.*",
        "[REDACTED]",
        "192.0.2.x:25",
        "<redacted>",
        "10.0.0.1",
        "",
        "2001:db8::1",
        "999.1.1.1",
        "exchange",
        "max",
        "EX01",
    ]
    assert masked_ips(pa.array(values)) == (7, "10.**.**.31")


def test_a_shared_send_excerpt_keeps_the_tls_it_shows_and_says_all_that_is_missing():
    # Cut at sequence number 27 (the TLS 1.0 line), IPs masked, the login failed: no message.
    data = o365tls.load([INTRA_ORG])
    (report,) = data.inputs
    (record,) = data.observations.to_dict("records")
    assert (
        record["direction"],
        record["tls"],
        record["messages"],
        record["hostname"],
        record["destination_ip"],
    ) == ("outbound", "TLS1.0", 0, "HQ-MBX01.corp.contoso.example", "")
    assert [i.code for i in report.issues] == [
        "session-began-before",
        "masked-ip",
        "open-session",
        "legacy-session-without-mail",
    ]
    (masked,) = issues(report, "masked-ip")
    assert masked.message.startswith(
        "19 rows have a masked IP (e.g. '10.**.**.168:25'); their remote IP is unknown"
    )
    (quiet,) = issues(report, "legacy-session-without-mail")
    assert (
        "an unknown IP (this server's EHLO HQ-MBX01.corp.contoso.example) on TLS1.0"
        in quiet.message
    )
