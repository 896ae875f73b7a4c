"""Connectors exported with Export-Clixml place messages exactly as the same connectors
exported with ConvertTo-Json do: the sample tenant gives the same findings either way."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import o365tls
from o365tls.analysis import Options
from o365tls.render.serialize import findings_document
from tests.conftest import DATA

SAMPLES = Path(__file__).resolve().parents[2] / "sample_reports"
CONNECTORS = Path("exo") / "inbound-connectors.json"


def _results(folder: Path) -> dict:
    out = findings_document(o365tls.analyze(o365tls.gather([folder]), Options()))
    for finding in out["findings"]:
        finding["sources"] = sorted(
            Path(s).relative_to(folder).as_posix() for s in finding["sources"]
        )
    return {
        "findings": out["findings"],
        "notes": out["notes"],
        "formats": sorted(Path(i["path"]).name + "=" + i["format"] for i in out["inputs"]),
    }


@pytest.mark.slow
def test_clixml_connectors_place_messages_like_the_json_ones(tmp_path):
    tenants = {}
    for name in ("json", "clixml", "none"):
        tenants[name] = tmp_path / name
        shutil.copytree(SAMPLES, tenants[name])
    (tenants["clixml"] / CONNECTORS).unlink()
    shutil.copyfile(
        DATA / "clixml" / "sample_inbound_connectors.xml",
        tenants["clixml"] / "exo" / "inbound-connectors.xml",
    )
    (tenants["none"] / CONNECTORS).unlink()

    expected, got, without = (_results(tenants[n]) for n in ("json", "clixml", "none"))
    assert "inbound-connectors.xml=clixml" in got["formats"]
    assert got["findings"] == expected["findings"]
    assert got["notes"] == expected["notes"]
    # The connectors matter to this tenant: without them the results differ.
    assert (without["findings"], without["notes"]) != (expected["findings"], expected["notes"])
