"""EAC SMTP AUTH clients report: one observation per sending mailbox and TLS version, counts that
add up exactly to Messages sent, told apart from the connector report."""

from __future__ import annotations

import pandas as pd
import pytest

from o365tls.importers import FORMATS_BY_NAME, identify
from o365tls.importers.sample import take_sample
from o365tls.importers.sources import expand_paths
from tests.conftest import DATA
from tests.helpers import codes, load_one

HERE = DATA / "eac-smtp-auth-report"
FIELDS = ("row", "sender_address", "auth_user", "auth_protocol", "tls", "messages")


def load(name: str):
    data, report = load_one(HERE / name)
    assert report.format == "eac-smtp-auth-report"
    obs = data.observations
    assert set(obs["grain"]) == {"period"}
    assert obs["timestamp"].isna().all()
    assert set(obs["local_port"]) == {587}
    assert (obs["connector"] == "").all() and (obs["sender_ip"] == "").all()
    assert obs["forced_tls"].isna().all()
    return obs, report


def records(frame: pd.DataFrame) -> list[tuple]:
    return [tuple(r) for r in frame[list(FIELDS)].itertuples(index=False)]


def test_report_without_authentication_protocol():
    obs, report = load("smtp_auth.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (4, 3, 1)
    assert records(obs) == [
        (1, "scanner@contoso.com", "scanner@contoso.com", "", "TLS1.0", 12),
        (2, "app@contoso.com", "app@contoso.com", "", "TLS1.0", 2),
        (2, "app@contoso.com", "app@contoso.com", "", "TLS1.1", 2),
        (2, "app@contoso.com", "app@contoso.com", "", "TLS1.2", 3),
        # Row 3 sent nothing: used, no observation.
    ]
    assert codes(report) == ["tls-sum-mismatch"]
    issue = report.issues[0]
    assert issue.row == 4 and issue.rejected
    assert "add up to 30" in issue.message and "Messages sent 5" in issue.message


def test_report_with_authentication_protocol_and_percent_signs():
    obs, report = load("smtp_auth_protocol.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 3, 0)
    assert report.issues == []
    assert records(obs) == [
        # 3 messages at 50/0/50: the tie goes to the earlier version.
        (1, "mfp01@fabrikam.com", "mfp01@fabrikam.com", "Basic", "TLS1.0", 2),
        (1, "mfp01@fabrikam.com", "mfp01@fabrikam.com", "Basic", "TLS1.2", 1),
        (2, "mfp01@fabrikam.com", "mfp01@fabrikam.com", "OAuth", "TLS1.2", 9),
        (3, "erp@fabrikam.com", "erp@fabrikam.com", "Basic", "TLS1.1", 250),
        (3, "erp@fabrikam.com", "erp@fabrikam.com", "Basic", "TLS1.2", 750),
    ]


@pytest.mark.parametrize("name", ["smtp_auth.csv", "smtp_auth_protocol.csv", "smtp_auth_dated.csv"])
def test_recognised_as_smtp_auth_and_not_as_the_connector_report(name):
    sample = take_sample(expand_paths([HERE / name])[0][0])
    assert identify(sample) is FORMATS_BY_NAME["eac-smtp-auth-report"]
    assert not FORMATS_BY_NAME["eac-connector-report"].detect(sample)


def test_the_connector_report_is_not_taken_for_smtp_auth():
    path = DATA / "eac-connector-report" / "percent_sign_bom.csv"
    sample = take_sample(expand_paths([path])[0][0])
    assert not FORMATS_BY_NAME["eac-smtp-auth-report"].detect(sample)


def test_a_dated_export_gets_day_grain():
    data, report = load_one(HERE / "smtp_auth_dated.csv")
    obs = data.observations
    assert report.format == "eac-smtp-auth-report"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)
    assert list(obs["grain"]) == ["day"]
    assert list(obs["timestamp"]) == [pd.Timestamp("2024-03-04", tz="UTC")]
    assert records(obs) == [(1, "printer@contoso.com", "printer@contoso.com", "", "TLS1.2", 4)]
