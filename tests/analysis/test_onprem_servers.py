"""Out-of-date on-premises Exchange servers that Exchange Online reports: a finding on an
OnPremises connector names them with version, support status and enforcement; a throttled or
blocked server raises its priority; findings.json lists them."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import jsonschema
import pytest

import o365tls
from o365tls.analysis import Options
from o365tls.analysis.onprem_servers import version_of
from tests.conftest import DATA

SERVERS = DATA / "onprem-server-report"
TODAY = dt.date(2026, 12, 8)


def connector_report(folder, volume_tls10: int = 3, volume: int = 400):
    """One day of an OnPremises connector with a little TLS 1.0 (volume alone: low)."""
    path = folder / "connector_report.csv"
    path.write_text(
        '"Date","Connector direction and name","Connector type","Forced TLS?","No TLS",'
        '"TLS 1.0","TLS 1.1","TLS 1.2","Volume"\r\n'
        f'"2026-12-01","Inbound - Inbound from on-premises","OnPremises","False","0",'
        f'"{volume_tls10}","0","{volume - volume_tls10}","{volume}"\r\n'
        '"2026-12-01","From the internet without a connector","","False","0","0","0",'
        '"5000","5000"\r\n',
        encoding="utf-8",
    )
    return path


def findings_of(paths, tmp_path) -> dict:
    results = o365tls.analyze(o365tls.gather(paths), Options(today=TODAY))
    out = tmp_path / "out"
    o365tls.write_outputs(results, out)
    return json.loads((out / "findings.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("build", "version", "supported"),
    [
        ("14.3.513.0", "Exchange Server 2010", False),
        ("15.0.1497.48", "Exchange Server 2013", False),
        ("15.01.2507.039", "Exchange Server 2016", False),
        ("15.2.1748.39", "Exchange Server 2019", False),
        ("15.2.2562.17", "Exchange Server Subscription Edition", True),
        ("8.3.517.0", "Exchange Server 2007", False),
    ],
)
def test_build_numbers_name_their_version_and_support(build, version, supported):
    found = version_of(build)
    assert (found.name, found.supported) == (version, supported)


def test_unreadable_builds_have_no_version():
    assert version_of("") is None and version_of("n/a") is None and version_of("6.5") is None


def test_finding_on_the_onprem_connector_names_the_servers_and_is_raised(tmp_path):
    report = connector_report(tmp_path)
    without = findings_of([report], tmp_path / "a")
    before = next(f for f in without["findings"] if f["connector"] == "Inbound from on-premises")
    assert before["priority"] != "critical"

    found = findings_of([report, SERVERS / "cmdlet_export_en_gb.csv"], tmp_path / "b")
    finding = next(f for f in found["findings"] if f["connector"] == "Inbound from on-premises")
    lines = [e for e in finding["device_evidence"] if e.startswith("Exchange Online reports")]
    assert lines[0] == (
        "Exchange Online reports EXCH10.corp.contoso.example as an out-of-date Exchange Server "
        "2010 (build 14.3.513.0; out of support since October 2020) connecting over "
        "'Inbound from on-premises': blocked (550 5.7.230) since 2026-11-01"
    )
    assert "throttled (450 4.7.230) since 2026-11-27" in lines[1]
    assert "reported, not throttled yet; throttling from 2026-12-20" in lines[2]
    assert finding["priority"] == "critical"
    assert any("Exchange Online has blocked EXCH10" in r for r in finding["priority_reasons"])
    # The internet's mail is not the on-prem servers'.
    internet = [f for f in found["findings"] if f["connector"] == ""]
    assert all("Exchange Online reports" not in " ".join(f["device_evidence"]) for f in internet)


def test_findings_json_lists_the_servers_merged_across_exports(tmp_path):
    found = findings_of(
        [
            connector_report(tmp_path),
            SERVERS / "cmdlet_export_en_gb.csv",
            SERVERS / "eac_download.csv",
        ],
        tmp_path,
    )
    schema = json.loads(
        resources.files("o365tls.data").joinpath("findings.schema.json").read_text(encoding="utf-8")
    )
    jsonschema.Draft202012Validator(schema).validate(found)
    servers = found["onprem_servers"]
    assert [(s["name"], s["status"], s["version"]) for s in servers] == [
        ("EXCH10.corp.contoso.example", "blocked", "Exchange Server 2010"),
        ("EXCH16.corp.contoso.example", "throttled", "Exchange Server 2016"),
        ("EX19.corp.contoso.example", "reported", "Exchange Server 2019"),
    ]
    # The cmdlet names no IP; the EAC download does: the server keeps both files' facts.
    assert servers[0]["ip"] == "198.51.100.30"
    assert servers[0]["first_detected"] == "2026-09-02T00:15:08Z"
    assert len(servers[0]["sources"]) == 2
    assert servers[0]["supported"] is False


def test_a_finding_from_the_servers_ip_is_the_mail_server_itself():
    from o365tls.analysis.model import Device, FlowEvidence
    from o365tls.analysis.onprem_servers import annotate, from_frame

    data = o365tls.load([SERVERS / "eac_download.csv"])
    servers = from_frame(data.connectors, TODAY)
    evidence = FlowEvidence(
        connector="Hybrid",
        connector_type="OnPremises",
        direction="inbound",
        sender_ip="198.51.100.31",
    )
    reasons: list[str] = []
    device, priority = annotate(evidence, Device(), "low", reasons, servers)
    assert device.device_type == "mail-server" and device.confidence >= 0.95
    assert device.evidence[0].startswith(
        "Exchange Online reports EXCH16.corp.contoso.example (198.51.100.31) as an out-of-date "
        "Exchange Server 2016 (build 15.01.2507.016;"
    )
    assert len(device.evidence) == 1  # only the server the flow names
    assert priority == "high" and "throttled" in reasons[0]
