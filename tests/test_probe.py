"""``o365tls probe``: what a server offers, told from its own SMTP conversation; every failure
is a result, never a crash. The servers are our own, on 127.0.0.1 (tests/smtp_servers.py)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from o365tls import probe as probing
from o365tls.certinfo import CertificateError, parse_certificate
from o365tls.probe import ProbeResult, Target, VersionResult, probe
from o365tls.render.serialize import findings_document

from .smtp_servers import SmtpServer, make_certificate, refused_port

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "o365tls" / "data" / "findings.schema.json").read_text())
NAME = "mx.probe.test"


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    return make_certificate(tmp_path_factory.mktemp("cert"), NAME)


@pytest.fixture(scope="session")
def expired_certificate(tmp_path_factory):
    return make_certificate(
        tmp_path_factory.mktemp("expired"),
        "old.probe.test",
        start="20200101000000Z",
        end="20210101000000Z",
    )


def expected(version: str, accepted: bool) -> str:
    """What a version should get: the server's answer, unless this machine cannot ask."""
    if probing.local_support()[version]:
        return probing.NOT_TESTABLE
    return probing.ACCEPTED if accepted else probing.VERSION_REFUSED


def cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "o365tls", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )


# --- one server per TLS configuration --------------------------------------------------


def test_server_without_starttls_is_plaintext_and_its_banner_is_kept():
    with SmtpServer() as server:
        result = probe(server.target, timeout=5)
    assert result.outcome == probing.OK
    assert result.starttls is False
    assert "Postfix" in result.banner
    assert {v.result for v in result.versions} == {probing.NO_STARTTLS}
    assert result.legacy
    assert "no STARTTLS" in result.summary()


def test_tls12_only_server_accepts_tls12_and_refuses_the_rest(certificate):
    with SmtpServer(certificate=certificate, versions=("TLSv1_2", "TLSv1_2")) as server:
        result = probe(server.target, timeout=5)
    assert result.starttls is True
    got = {v.version: v.result for v in result.versions}
    assert got == {
        "TLS1.0": expected("TLS1.0", False),
        "TLS1.1": expected("TLS1.1", False),
        "TLS1.2": probing.ACCEPTED,
        "TLS1.3": probing.VERSION_REFUSED,
    }
    assert not result.legacy
    cert = result.certificate
    assert cert.common_name == NAME and NAME in cert.names and "127.0.0.1" in cert.names
    assert cert.self_signed and result.expired is False
    assert result.name_matches  # the SAN names 127.0.0.1, the host probed


def test_server_accepting_tls10_to_13_is_legacy(certificate):
    with SmtpServer(certificate=certificate, versions=("TLSv1", "TLSv1_3")) as server:
        result = probe(server.target, timeout=5)
    got = {v.version: v.result for v in result.versions}
    assert got == {
        "TLS1.0": expected("TLS1.0", True),
        "TLS1.1": expected("TLS1.1", True),
        "TLS1.2": probing.ACCEPTED,
        "TLS1.3": probing.ACCEPTED,
    }
    if got["TLS1.0"] == probing.ACCEPTED:
        assert result.legacy
        assert "accepts TLS1.0, TLS1.1, TLS1.2, TLS1.3" in result.summary()
    # Each version had a connection of its own: the plain one plus four.
    assert server.connections == 5


def test_expired_certificate_is_reported_expired(expired_certificate):
    with SmtpServer(certificate=expired_certificate) as server:
        result = probe(server.target, timeout=5)
    assert result.expired is True
    assert result.certificate.not_after == datetime(2021, 1, 1, tzinfo=UTC)
    assert "certificate old.probe.test expired 2021-01-01" in result.summary()
    assert result.as_dict()["certificate"]["expired"] is True


def test_starttls_offered_but_refused_is_a_failure_per_version_not_a_refusal():
    with SmtpServer(mode="broken-tls") as server:
        result = probe(server.target, timeout=5)
    assert result.outcome == probing.OK and result.starttls is True
    assert {v.result for v in result.versions} == {probing.FAILED}
    assert "454 4.7.0 TLS not available" in result.version("TLS1.2").detail
    assert "could not be tried" in result.summary()
    assert not result.legacy and result.certificate is None


def test_stalling_server_is_a_quick_timeout():
    with SmtpServer(mode="stall") as server:
        started = time.monotonic()
        result = probe(server.target, timeout=0.5)
        took = time.monotonic() - started
    assert result.outcome == probing.TIMEOUT
    assert "no SMTP banner within 0.5 s" in result.reason
    assert {v.result for v in result.versions} == {probing.NOT_TRIED}
    assert took < 3


def test_refused_port_is_a_result():
    result = probe(f"127.0.0.1:{refused_port()}", timeout=2)
    assert result.outcome == probing.REFUSED
    assert "refused" in result.summary()


@pytest.mark.parametrize(
    "banner, outcome",
    [
        (
            b"421 4.3.2 Service not available, closing transmission channel\r\n",
            probing.GREETING_REFUSED,
        ),
        (b"554 5.7.1 No SMTP service here\r\n", probing.GREETING_REFUSED),
        (b"SSH-2.0-OpenSSH_9.6\r\n", probing.NOT_SMTP),
        (b"HTTP/1.1 400 Bad Request\r\n", probing.NOT_SMTP),
    ],
)
def test_servers_that_will_not_speak_smtp_are_results(banner, outcome):
    with SmtpServer(mode="banner", banner=banner) as server:
        result = probe(server.target, timeout=2)
    assert result.outcome == outcome
    assert result.reason


def test_dns_failure_is_a_result(monkeypatch):
    def fail(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    result = probe("mail.nowhere.example", timeout=2)
    assert result.outcome == probing.DNS_FAILED
    assert "mail.nowhere.example" in result.reason


@pytest.mark.parametrize(
    "text, host, port",
    [
        ("mail.Example.com", "mail.example.com", 25),
        ("mail.example.com:587", "mail.example.com", 587),
        ("203.0.113.5:2525", "203.0.113.5", 2525),
        ("[2001:db8::25]:25", "2001:db8::25", 25),
        ("2001:db8::25", "2001:db8::25", 25),
    ],
)
def test_targets_parse(text, host, port):
    assert Target.parse(text) == Target(host, port)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "mail.example.com:0",
        "mail.example.com:http",
        "a b:25",
        "[2001:db8::25",
        "user@mail.example.com",
        "mail..example.com",
        "<script>.example",
        "=cmd|x",
    ],
)
def test_bad_targets_are_refused(text):
    with pytest.raises(ValueError):
        Target.parse(text)


def test_a_version_this_machine_cannot_offer_is_not_testable_not_refused(certificate, monkeypatch):
    real = probing._context

    def without_tls10(version):
        if version == "TLS1.0":
            return None, "the local OpenSSL cannot offer it: NO_PROTOCOLS_AVAILABLE"
        return real(version)

    monkeypatch.setattr(probing, "_context", without_tls10)
    with SmtpServer(certificate=certificate, versions=("TLSv1", "TLSv1_3")) as server:
        result = probe(server.target, timeout=5)
    assert result.version("TLS1.0").result == probing.NOT_TESTABLE
    assert "TLS1.0 not testable from the probing machine" in result.summary()
    assert server.connections == 4  # TLS 1.0 was not tried at all


@pytest.mark.slow
def test_help_lists_probe_and_stays_light():
    code = (
        "import sys, o365tls.cli; "
        "print(any(m in sys.modules for m in ('ssl', 'o365tls.probe', 'pandas')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False"
    assert "probe" in cli("--help").stdout
    text = cli("probe", "--help").stdout
    for option in (
        "--from",
        "--output",
        "--timeout",
        "--json",
        "--fail-on-legacy",
        "--port",
        "--helo",
        "--jobs",
    ):
        assert option in text


# --- certificates ------------------------------------------------------------------------


def test_certificate_names_and_wildcards(certificate):
    import ssl

    der = ssl.PEM_cert_to_DER_cert(certificate.cert.read_text())
    cert = parse_certificate(der)
    assert cert.issuer == cert.subject == f"CN={NAME}, O=Probe Test"
    assert cert.matches(NAME.upper()) and cert.matches("127.0.0.1")
    assert not cert.matches("other.probe.test") and not cert.matches("127.0.0.2")
    wildcard = replace(cert, names=("*.relay.example",))
    assert wildcard.matches("smtp.relay.example")
    assert not wildcard.matches("relay.example") and not wildcard.matches("a.b.relay.example")
    with pytest.raises(CertificateError):
        parse_certificate(der[:200])


# --- the command -------------------------------------------------------------------------


def test_json_output_has_the_documented_shape(certificate, tmp_path):
    with SmtpServer(certificate=certificate) as server, SmtpServer(mode="stall") as stall:
        result = cli(
            "probe",
            server.target,
            stall.target,
            "--timeout",
            "0.5",
            "--json",
            "-o",
            str(tmp_path / "probe.json"),
        )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["o365tls_probe"] == 1
    assert json.loads((tmp_path / "probe.json").read_text()) == doc
    ok, stalled = doc["results"]
    assert ok["outcome"] == "ok" and ok["starttls"] is True
    assert set(ok["tls"]) == {"TLS1.0", "TLS1.1", "TLS1.2", "TLS1.3"}
    assert ok["tls"]["TLS1.2"] == "accepted" and "TLS1.2" in ok["accepted"]
    assert ok["certificate"]["names"] == [NAME, "127.0.0.1"]
    assert stalled["outcome"] == "timeout" and stalled["certificate"] is None
    # Each result is what findings.json carries under "probes".
    import jsonschema

    for item in doc["results"]:
        jsonschema.validate(item, {**SCHEMA["$defs"]["probe"], "$defs": SCHEMA["$defs"]})


@pytest.mark.slow
def test_table_and_exit_codes(certificate):
    with SmtpServer() as plain, SmtpServer(certificate=certificate) as modern:
        table = cli("probe", plain.target, modern.target, "--timeout", "2")
        gate = cli("probe", plain.target, "--timeout", "2", "--fail-on-legacy")
        passing = cli("probe", modern.target, "--timeout", "2", "--fail-on-legacy")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:4] == ["server", "address", "result", "STARTTLS"]
    assert plain.target in table.stdout and "NO" in table.stdout
    assert (
        f"{NAME} (until" in table.stdout and "banner: mx.probe.test ESMTP Postfix" in table.stdout
    )
    assert gate.returncode == 3  # no STARTTLS fails the gate
    assert passing.returncode == 0
    usage = cli("probe", "mail.example.com:99999")
    assert usage.returncode == 2 and "not a TCP port" in usage.stderr
    assert cli("probe").returncode == 2
    assert cli("probe", "mail.example.com", "--helo", "bad name").returncode == 2


def finding(**keys) -> dict:
    base = {
        "id": "f-000000000000",
        "connector": "",
        "direction": "inbound",
        "connector_type": "",
        "sender_ip": "",
        "sender_address": "",
        "hostname": "",
        "ptr": "",
        "device_type": "unknown",
        "path": "internet",
    }
    return {**base, **keys}


def test_from_findings_picks_the_servers():
    doc = {
        "schema_version": 1,
        "findings": [
            finding(
                device_type="partner-mta",
                sender_ip="203.0.113.45",
                hostname="mail.contoso-logistics.example",
            ),
            finding(
                device_type="mail-server", path="on-prem", sender_ip="10.20.0.30", hostname="EXCH01"
            ),  # a NetBIOS HELO name: the IP is probed
            finding(
                device_type="partner-mta",
                sender_ip="198.51.100.7",
                hostname="[198.51.100.7]",
                ptr="smtp7.fabrikam.example.",
            ),
            finding(
                device_type="mfp", path="on-prem", sender_ip="10.20.5.21", hostname="ZT410-WH01"
            ),  # a printer listens for no mail
            finding(device_type="unknown", path="on-prem", sender_ip="10.20.9.9"),
            finding(
                device_type="unknown", connector_type="Partner", hostname="relay.woodgrove.example"
            ),
            finding(device_type="unknown", path="direct-send", sender_ip="198.51.100.40"),
            finding(device_type="mail-server", connector="Hybrid Inbound from EXCH01"),  # no host
            finding(
                device_type="partner-mta",
                sender_ip="203.0.113.45",
                hostname="mail.contoso-logistics.example",
            ),  # the same server twice
        ],
    }
    assert probing.targets_from_findings(doc) == [
        Target("mail.contoso-logistics.example"),
        Target("10.20.0.30"),
        Target("smtp7.fabrikam.example"),
        Target("10.20.9.9"),
        Target("relay.woodgrove.example"),
    ]
    with pytest.raises(ValueError):
        probing.targets_from_findings({"rows": []})


def test_probe_from_findings_json_reaches_the_named_server(certificate, tmp_path):
    findings = tmp_path / "findings.json"
    findings.write_text(
        json.dumps(
            {
                "findings": [
                    finding(device_type="mail-server", path="on-prem", sender_ip="127.0.0.1")
                ]
            }
        )
    )
    with SmtpServer(certificate=certificate) as server:
        result = cli("probe", "--from", str(findings), "--port", str(server.port), "--json")
    assert result.returncode == 0, result.stderr
    (only,) = json.loads(result.stdout)["results"]
    assert only["host"] == "127.0.0.1" and only["outcome"] == "ok"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert cli("probe", "--from", str(bad)).returncode == 2


# --- the results file as an input of analyze -------------------------------------------


def partner_probe(**changes) -> ProbeResult:
    """The sample tenant's partner MTA (mail.contoso-logistics.example, 203.0.113.45) as a
    probe would find it: TLS 1.0 to 1.2."""
    from o365tls.certinfo import CertificateInfo

    result = ProbeResult(
        host="mail.contoso-logistics.example",
        port=25,
        probed_at=datetime(2026, 12, 8, 1, 0, tzinfo=UTC),
        outcome=probing.OK,
        address="203.0.113.45",
        banner="mail.contoso-logistics.example Microsoft ESMTP MAIL "
        "service ready at Tue, 8 Dec 2026 01:00:00 +0000",
        starttls=True,
        extensions=("SIZE", "STARTTLS", "8BITMIME"),
        versions=(
            VersionResult("TLS1.0", probing.ACCEPTED),
            VersionResult("TLS1.1", probing.ACCEPTED),
            VersionResult("TLS1.2", probing.ACCEPTED),
            VersionResult("TLS1.3", probing.VERSION_REFUSED, "TLSV1_ALERT_PROTOCOL_VERSION"),
        ),
        certificate=CertificateInfo(
            subject="CN=mail.contoso-logistics.example",
            common_name="mail.contoso-logistics.example",
            names=("mail.contoso-logistics.example",),
            issuer="CN=Example Issuing CA",
            not_before=datetime(2026, 1, 2, tzinfo=UTC),
            not_after=datetime(2027, 1, 2, tzinfo=UTC),
            self_signed=False,
        ),
    )
    return replace(result, **changes)


@pytest.mark.slow
def test_analyze_attaches_probe_results_to_the_findings_of_that_server(tmp_path):
    import jsonschema

    import o365tls

    older = partner_probe(probed_at=datetime(2026, 11, 1, tzinfo=UTC), starttls=False)
    elsewhere = partner_probe(host="mx.unrelated.example", address="192.0.2.99")
    probing.write_document([older, partner_probe(), elsewhere], tmp_path / "probe.json", "test")
    data = o365tls.gather([ROOT / "sample_reports", tmp_path / "probe.json"])
    (report,) = [r for r in data.inputs if r.format == "probe-results"]
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 3, 0)
    results = o365tls.analyze(data)
    probed = [f for f in results.findings if f.probes]
    assert [f.flow.hostname for f in probed] == ["mail.contoso-logistics.example"]
    doc = findings_document(results)
    jsonschema.validate(doc, SCHEMA)
    (entry,) = [f for f in doc["findings"] if f["probes"]]
    (seen,) = entry["probes"]  # the newest probe of that server only
    assert seen["summary"] == (
        "probed 2026-12-08 (mail.contoso-logistics.example:25): STARTTLS offered, accepts "
        "TLS1.0, TLS1.1, TLS1.2; certificate mail.contoso-logistics.example expires 2027-01-02"
    )
    assert seen["legacy"] is True and seen["certificate"]["name_matches"] is True
    assert any("mx.unrelated.example:25" in n for n in doc["notes"])
    # --from on the sample tenant's findings: its relay, its partner MTA and its on-prem
    # Exchange server (the printers and applications on the on-prem path are not servers).
    assert probing.targets_from_findings(doc) == [
        Target("relay01.northwindtraders.example"),
        Target("mail.northwindtraders.example"),
        Target("mail.contoso-logistics.example"),
    ]
    # The HTML card and the workbook's evidence say it too.
    from o365tls.render.view import build_view
    from o365tls.render.xlsx_columns import evidence_rows

    view = build_view(results)
    rows = [
        (f.id, kind, text)
        for f, kind, text in evidence_rows(view.findings)
        if kind == "Server probe"
    ]
    assert rows == [(entry["id"], "Server probe", seen["summary"])]
    o365tls.write_outputs(results, tmp_path / "out")
    assert seen["summary"] in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_a_damaged_probe_result_is_rejected_with_its_reason(tmp_path):
    import o365tls

    doc = probing.document([partner_probe(), partner_probe()], "test")
    doc["results"][1]["outcome"] = "splendid"
    doc["results"][0]["summary"] = "<script>forged</script>"  # derived keys are recomputed
    third = {**doc["results"][0], "host": '=HYPERLINK("http://x.example")'}
    doc["results"].append(third)
    (tmp_path / "probe.json").write_text(json.dumps(doc))
    (report,) = o365tls.inspect([tmp_path / "probe.json"])
    assert report.format == "probe-results"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 1, 2)
    assert any("splendid" in i.message for i in report.issues)
    assert any("not a host name" in i.message for i in report.issues)
    data = o365tls.load([tmp_path / "probe.json"])
    (kept,) = data.probes["result"].tolist()
    assert "forged" not in kept.summary()
    doc[probing.MARKER] = 2
    (tmp_path / "probe.json").write_text(json.dumps(doc))
    (report,) = o365tls.inspect([tmp_path / "probe.json"])
    assert any(i.code == "probe-file-version" for i in report.issues)


def test_the_fixture_files_read_as_probe_results():
    import o365tls

    folder = ROOT / "tests" / "data" / "probe-results"
    reports = {r.path.rsplit("/", 1)[-1]: r for r in o365tls.inspect([folder])}
    clean, edited = reports["probe_results.json"], reports["probe_results_notepad.json"]
    assert clean.format == edited.format == "probe-results"
    assert (clean.rows_read, clean.rows_used, clean.rows_rejected) == (5, 5, 0)
    assert (edited.rows_read, edited.rows_used, edited.rows_rejected) == (5, 4, 1)
    assert [i.row for i in edited.issues] == [3]
