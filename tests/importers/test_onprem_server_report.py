"""The out-of-date connecting on-premises Exchange servers report (Get-OnPremServerReportInfo
| Export-Csv, or the EAC download): one exchange-server record per server, detected from its
columns, dates in the exporting culture, hostile values kept as inert text."""

from __future__ import annotations

import pandas as pd

from o365tls.importers import identify
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import expand_paths
from tests.conftest import DATA
from tests.helpers import codes, load_one

HERE = DATA / "onprem-server-report"


def load(name: str):
    data, report = load_one(HERE / name)
    assert report.format == "onprem-server-report"
    assert len(data.observations) == 0 and len(data.sightings) == 0
    return data.connectors, report


def test_cmdlet_export_reads_each_server_with_its_build_and_dates_in_en_gb():
    frame, report = load("cmdlet_export_en_gb.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 3, 1)
    assert list(frame["name"]) == [
        "EXCH10.corp.contoso.example",
        "EXCH16.corp.contoso.example",
        "EX19.corp.contoso.example",
    ]
    assert set(frame["kind"]) == {"exchange-server"}
    assert set(frame["connector_type"]) == {"OnPremises"}
    assert list(frame["build"]) == ["14.3.513.0", "15.1.2507.16", "15.2.1544.4"]
    assert list(frame["product"]) == [
        "ExchangeServer2010",
        "ExchangeServer2016",
        "ExchangeServer2019",
    ]
    # 02/09/2026 is 2 September: the column's 28/10/2026 tells the culture.
    assert frame["first_detected"].iloc[0] == pd.Timestamp("2026-09-02 00:15:08", tz="UTC")
    assert frame["throttled_from"].iloc[1] == pd.Timestamp("2026-11-27 00:15:08", tz="UTC")
    assert frame["blocked_from"].iloc[1] == pd.Timestamp("2026-12-27 00:15:08", tz="UTC")
    rejected = [i for i in report.issues if i.rejected]
    assert [(i.code, i.row) for i in rejected] == [("no-server", 3)]
    assert "out-of-date-servers" in codes(report)


def test_eac_download_with_ip_and_status_columns():
    frame, report = load("eac_download.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert list(frame["sender_ip_ranges"]) == [("198.51.100.30",), ("198.51.100.31",)]
    assert list(frame["enforcement"]) == ["Blocked", "Throttled"]
    assert list(frame["build"]) == ["14.3.513.0", "15.01.2507.016"]


def test_hostile_values_stay_text_and_unreadable_ones_are_noted():
    frame, report = load("hostile.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 2, 0)
    assert frame["name"].iloc[0].startswith("=HYPERLINK(")
    assert frame["name"].iloc[1] == "<script>alert(1)</script>.example"
    assert frame["build"].iloc[1] == ""  # "not-a-build" is no version
    assert pd.isna(frame["first_detected"].iloc[1])
    assert {"bad-build", "bad-date"} <= set(codes(report))


def test_detected_from_content_and_not_confused_with_connector_config(tmp_path):
    for path in HERE.glob("*.csv"):
        renamed = tmp_path / "connectors.csv"  # the name says nothing
        renamed.write_bytes(path.read_bytes())
        source = expand_paths([renamed])[0][0]
        assert identify(take_sample(source)).name == "onprem-server-report", path.name
    connector = expand_paths([DATA / "connector-config" / "inbound_export_csv.csv"])[0][0]
    assert identify(take_sample(connector)).name == "connector-config"
