"""The protocol-log importer agrees with a plain line-by-line reading of the same logs
(:mod:`tests.importers.protocol_log_reference`) on every message: its session, sender and TLS.

Random receive or send logs: sessions interleaved, some without their connect, some cut at
the end of the files, STARTTLS repeated, several MAIL FROMs, server replies that quote a
command, every spelling of the negotiated protocol, the lines cut into one to three hourly
files and read in chunks of any size.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import o365tls
from o365tls.importers import protocol_log
from o365tls.tls import SSL3, TLS10, TLS11, TLS12, TLS13
from tests.importers import protocol_log_reference as reference

# Each spelling of the negotiated protocol a log can give, and the version it names.
SPELLINGS = {
    "SP_PROT_SSL3_SERVER": SSL3,
    "SP_PROT_TLS1_0_SERVER": TLS10,
    "SP_PROT-TLS1_0_SERVER": TLS10,
    "SP_PROT_TLS1_1_SERVER": TLS11,
    "SP_PROT_TLS1_2_SERVER": TLS12,
    "SP_PROT_TLS1_3_SERVER": TLS13,
    "SP_PROT_TLS1_0_CLIENT": TLS10,
    "SP_PROT-TLS1_1_CLIENT": TLS11,
    "SP_PROT_TLS1_2_CLIENT": TLS12,
    "48": SSL3,
    "192": TLS10,
    "768": TLS11,
    "3072": TLS12,
    "12288": TLS13,
    "TLS1.2": TLS12,
    "Tls11": TLS11,
    "TLSv1.0": TLS10,
    "TLS1_3": TLS13,
    "SSLv3": SSL3,
}
TLS_INFO = (
    "TLS protocol {} negotiation succeeded using bulk encryption algorithm {} with "
    "strength 256 bits"
)
SESSION_IDS = [f"08DC44A1B2C3E00{i}" for i in range(4)]
CONNECTORS = ["EX01\\Default Frontend EX01", "EX01\\Relais Geräte Büro"]
SENDERS = ["scan@contoso.com", "Alerts@Contoso.COM", "billing@partner.example", ""]
LOG_TYPES = {"<": "SMTP Receive Protocol Log", ">": "SMTP Send Protocol Log"}


@pytest.mark.parametrize(("spelling", "version"), SPELLINGS.items())
def test_the_reference_reads_each_protocol_spelling(spelling, version):
    assert reference.version(spelling) == version


@st.composite
def session(draw, client: str):
    """One session's lines: (event, data, context), the client's commands as ``client``."""
    server = ">" if client == "<" else "<"
    lines = []
    if draw(st.integers(0, 4)):  # now and then a session that began before the files
        if client == ">" and draw(st.booleans()):
            lines.append(("*", "", "attempting to connect"))
        lines.append(("+", "", ""))
    for step in draw(
        st.lists(
            st.sampled_from(["ehlo", "starttls", "tls", "mail", "reply", "quoted", "rcpt", "auth"]),
            max_size=8,
        )
    ):
        if step == "ehlo":
            lines.append((client, "EHLO host.example", ""))
        elif step == "starttls":
            lines += [(client, "STARTTLS", ""), (server, "220 2.0.0 SMTP server ready", "")]
        elif step == "tls":
            lines.append(
                ("*", "", TLS_INFO.format(draw(st.sampled_from(sorted(SPELLINGS))), "CALG_AES_256"))
            )
        elif step == "mail":
            sender = draw(st.sampled_from(SENDERS))
            lines.append(
                (
                    client,
                    draw(
                        st.sampled_from([f"MAIL FROM:<{sender}> SIZE=1024", f"MAIL FROM: {sender}"])
                    ),
                    "",
                )
            )
        elif step == "reply":
            lines.append((server, "250 2.1.0 Sender OK", ""))
        elif step == "quoted":  # the server's side, quoting a command: not a message
            lines.append((server, "MAIL FROM:<echo@server.example>", ""))
        elif step == "rcpt":
            lines.append((client, "RCPT TO:<someone@contoso.com>", ""))
        else:
            lines += [(client, "AUTH LOGIN", ""), ("*", "CONTOSO\\svc-app", "authenticated")]
    if draw(st.integers(0, 4)):  # now and then cut at the end of the files
        lines.append(("-", "", "Remote"))
    return draw(st.sampled_from(SESSION_IDS)), draw(st.sampled_from(CONNECTORS)), lines


@st.composite
def logs(draw):
    """(the files' lines in order, cut into files: a list of lists; the client's event)."""
    client = draw(st.sampled_from(sorted(LOG_TYPES)))
    sessions = draw(st.lists(session(client), min_size=1, max_size=6))
    turns = draw(st.permutations([i for i, (_, _, lines) in enumerate(sessions) for _ in lines]))
    at = [0] * len(sessions)
    merged = []
    for i in turns:  # each session's lines in their order, the sessions interleaved
        sid, connector, lines = sessions[i]
        merged.append((sid, connector, *lines[at[i]]))
        at[i] += 1
    cuts = sorted(draw(st.lists(st.integers(0, len(merged)), max_size=2)))
    bounds = [0, *cuts, len(merged)]
    return [merged[a:b] for a, b in zip(bounds, bounds[1:], strict=False)], client


def write(folder: Path, files: list[list[tuple]], client: str) -> list[Path]:
    paths, second = [], 0
    prefix = "RECV" if client == "<" else "SEND"
    for hour, lines in enumerate(files, start=9):
        out = [
            f"#Software: Microsoft Exchange Server\r\n#Version: 15.02.1544.004\r\n"
            f"#Log-type: {LOG_TYPES[client]}\r\n#Date: 2024-03-15T{hour:02d}:00:00.000Z\r\n"
            "#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
            "remote-endpoint,event,data,context\r\n"
        ]
        for seq, (sid, connector, event, data, context) in enumerate(lines):
            second += 1
            stamp = f"2024-03-15T{hour:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000Z"
            fields = [
                stamp,
                connector,
                sid,
                str(seq),
                "10.0.0.10:25",
                "192.0.2.7:40001",
                event,
                data,
                context,
            ]
            out.append(",".join(f'"{f}"' if "," in f else f for f in fields) + "\r\n")
        path = folder / f"{prefix}20240315{hour:02d}-1.LOG"
        path.write_bytes("".join(out).encode("utf-8"))
        paths.append(path)
    return paths


def importer(paths: list[Path]) -> list[reference.Record]:
    frame = o365tls.load(paths).observations
    return [
        reference.Record(
            Path(r["source"]).name,
            r["row"],
            r["session_id"],
            r["sender_address"],
            r["tls"],
            r["messages"],
        )
        for r in frame.to_dict("records")
    ]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(logs(), st.sampled_from([2, 3, 7, protocol_log.CHUNK_ROWS]))
def test_importer_agrees_with_the_line_by_line_reading(log, chunk_rows):
    files, client = log
    default = protocol_log.CHUNK_ROWS
    with tempfile.TemporaryDirectory() as folder:
        paths = write(Path(folder), files, client)
        expected = reference.read(paths)
        protocol_log.CHUNK_ROWS = chunk_rows
        try:
            found = importer(paths)
        finally:
            protocol_log.CHUNK_ROWS = default
    assert Counter(found) == Counter(expected)
