"""findings.json on protocol logs as admins share them: an hour's excerpt whose server-to-server
sessions began in the hour before is no evidence of plaintext, and hosts that negotiate legacy
TLS without sending mail still show up, as sessions."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema

import o365tls

SHARED = Path(__file__).resolve().parents[1] / "data" / "exchange-protocol-log-shared"


def findings_json(tmp_path, *paths) -> dict:
    results = o365tls.analyze(o365tls.gather(list(paths)))
    o365tls.write_outputs(results, tmp_path)
    data = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    schema = json.loads(
        resources.files("o365tls.data").joinpath("findings.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft202012Validator(schema).validate(data)
    return data


def test_sessions_begun_before_the_excerpt_are_tls_unknown_not_plaintext_findings(tmp_path):
    data = findings_json(tmp_path, SHARED / "hub")
    totals = data["totals"]
    assert totals["messages"] == 6
    assert totals["by_tls"]["unknown"] == 3 and totals["by_tls"]["TLS1.2"] == 3
    assert totals["plaintext_messages"] == 0
    # No "mail server without TLS" finding, observed with likelihood 1.0, for the other server.
    assert data["findings"] == []
    inputs = {Path(i["path"]).name: i for i in data["inputs"]}
    for name in ("RECV2024031612-1.LOG", "SEND2024031612-1.LOG"):
        codes = [i["code"] for i in inputs[name]["issues"]]
        assert "session-began-before" in codes, (name, codes)


def test_legacy_sessions_without_mail_are_listed_per_host_and_add_no_message(tmp_path):
    data = findings_json(tmp_path, SHARED / "frontend")
    assert data["totals"]["messages"] == 1 and data["totals"]["legacy_messages"] == 0
    assert [
        (s["sender_ip"], s["hostname"], s["connector"], s["tls"], s["sessions"])
        for s in data["legacy_sessions_without_mail"]
    ] == [
        ("198.51.100.40", "nagios.contoso.example", "EX01\\Default Frontend EX01", "TLS1.0", 3),
        ("198.51.100.41", "MFP-3F-COPIER", "EX01\\Client Frontend EX01", "TLS1.1", 1),
    ]
    first = data["legacy_sessions_without_mail"][0]
    assert (first["first_seen"], first["last_seen"]) == (
        "2024-03-16T13:00:00Z",
        "2024-03-16T13:30:00Z",
    )
    assert any(
        "198.51.100.40 (EHLO nagios.contoso.example)" in n and "TLS1.0" in n for n in data["notes"]
    )
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "nagios.contoso.example" in page and "legacy-session-without-mail" in page


def test_an_outbound_legacy_session_without_mail_is_listed_with_this_servers_name(tmp_path):
    data = findings_json(tmp_path, SHARED / "intra-org")
    assert data["totals"]["messages"] == 0 and data["findings"] == []
    (entry,) = data["legacy_sessions_without_mail"]
    assert (
        entry["direction"],
        entry["connector"],
        entry["tls"],
        entry["sessions"],
        entry["hostname"],
        entry["destination_ip"],
    ) == ("outbound", "组织内 SMTP 发送连接器", "TLS1.0", 1, "HQ-MBX01.corp.contoso.example", "")
    assert any("this server and the remote host speak legacy TLS" in n for n in data["notes"])


def test_logs_without_such_sessions_list_none(tmp_path):
    data = findings_json(tmp_path, SHARED / "masked")
    assert data["legacy_sessions_without_mail"] == []
