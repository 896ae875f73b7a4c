"""Device classification: built-in rules as data, user rules, the inventory, and safety."""

from __future__ import annotations

import re
import tomllib
from importlib import resources

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from o365tls.analysis.devices import classify, load_inventory, load_rules, volume_pattern
from o365tls.analysis.model import DEVICE_TYPES, FlowEvidence
from o365tls.errors import UsageError

RULES = load_rules()
OFFICE_HOURS = (0,) * 7 + (5, 10, 12, 10, 8, 12, 9, 6, 3) + (0,) * 8  # 75 msgs, 07-15 UTC
WORKWEEK = (15, 16, 14, 15, 15, 0, 0)
FLAT = (4,) * 24  # 96 msgs, every hour
NIGHTLY = (30, 20, 0) + (0,) * 21  # 50 msgs at 00-02 UTC
EVERY_DAY = (7, 7, 7, 7, 7, 7, 8)


def ev(**kw) -> FlowEvidence:
    return FlowEvidence(**kw)


def test_builtin_rules_are_data_with_unique_ids_and_cover_every_type():
    raw = tomllib.loads(
        resources.files("o365tls.data").joinpath("device_rules.toml").read_text("utf-8")
    )
    ids = [r["id"] for r in raw["rule"]]
    assert len(RULES) == len(ids) == len(set(ids)) >= 50
    assert {r.device_type for r in RULES} == set(DEVICE_TYPES) - {"unknown"}
    assert all(0 < r.weight < 0.9 for r in RULES)
    assert {r.source for r in RULES} == {"heuristic"}


# One case per signal family: evidence, expected type, expected first evidence line.
CASES = [
    (
        "connector-mfp",
        ev(connector="Scanner Floor2"),
        "mfp",
        "connector name 'Scanner Floor2' matches printer/scanner naming [connector-mfp, weight 0.70]",
    ),
    (
        "connector-brand",
        ev(connector="Ricoh devices"),
        "mfp",
        "connector name 'Ricoh devices' names a printer/MFP brand [connector-mfp-brand, weight 0.60]",
    ),
    (
        "connector-app",
        ev(connector="App relay"),
        "application",
        "connector name 'App relay' matches application/relay naming "
        "[connector-application, weight 0.45]",
    ),
    (
        "connector-erp",
        ev(connector="SAP S4 outbound"),
        "erp",
        "connector name 'SAP S4 outbound' names an ERP system [connector-erp, weight 0.60]",
    ),
    (
        "connector-hybrid",
        ev(connector="Hybrid mail flow"),
        "mail-server",
        "connector name 'Hybrid mail flow' matches hybrid/on-premises Exchange naming "
        "[connector-mail-server, weight 0.60]",
    ),
    (
        "connector-hcw",
        ev(connector="Inbound from 6a5fc4e3-1234-4abc-9def-0123456789ab"),
        "mail-server",
        "connector name 'Inbound from 6a5fc4e3-1234-4abc-9def-0123456789ab' looks "
        "like a Hybrid Configuration Wizard connector (name + GUID; unverified) "
        "[connector-hybrid-wizard, weight 0.70]",
    ),
    (
        "connector-exchange-internal",
        ev(connector="Default MBX01", path="on-prem"),
        "mail-server",
        "connector 'Default MBX01' is an Exchange Server built-in connector "
        "between Exchange servers [connector-exchange-internal, weight 0.55]",
    ),
    (
        "connector-vendor",
        ev(connector="Inbound from Mimecast"),
        "third-party-service",
        "connector name 'Inbound from Mimecast' names a mail security, signature or sending "
        "service [connector-third-party, weight 0.80]",
    ),
    (
        "subject-xerox",
        ev(subjects=(("Scanned from a Xerox Multifunction Device", 40),), messages=40),
        "mfp",
        "subject 'Scanned from a Xerox Multifunction Device' is the Xerox scan-to-email default "
        "(on 40 of 40 messages) [subject-xerox, weight 0.85]",
    ),
    (
        "subject-konica",
        ev(subjects=(("Message from KM_C258", 9),), messages=9),
        "mfp",
        "subject 'Message from KM_C258' is the Konica Minolta scan-to-email default (KM_/KMBT_) "
        "(on 9 of 9 messages) [subject-konica-minolta, weight 0.80]",
    ),
    (
        "subject-sharp",
        ev(subjects=(("Scanned image from MX-M365N", 5),), messages=5),
        "mfp",
        "subject 'Scanned image from MX-M365N' is the Sharp MX scan-to-email default "
        "(on 5 of 5 messages) [subject-sharp, weight 0.85]",
    ),
    (
        "subject-canon",
        ev(subjects=(("Attached Image", 5),), messages=5),
        "mfp",
        "subject 'Attached Image' matches the Canon scan-to-email default (unverified) "
        "(on 5 of 5 messages) [subject-canon, weight 0.50]",
    ),
    (
        "subject-scan",
        ev(subjects=(("Scan 2024-03-01", 5),), messages=5),
        "mfp",
        "subject 'Scan 2024-03-01' starts with 'Scan' (on 5 of 5 messages) "
        "[subject-scan, weight 0.45]",
    ),
    (
        "subject-image",
        ev(subjects=(("image2024030112", 5),), messages=5),
        "mfp",
        "subject 'image2024030112' is a numbered image name (on 5 of 5 messages) "
        "[subject-image-number, weight 0.40]",
    ),
    (
        "subject-empty",
        ev(subjects=(("", 5),), messages=5),
        "mfp",
        "empty subject (scanners often send none) (on 5 of 5 messages) "
        "[subject-empty, weight 0.20]",
    ),
    (
        "helo-hp",
        ev(hostname="NPI3A5F1C"),
        "mfp",
        "host name 'NPI3A5F1C' is an HP Jetdirect default (NPI + MAC digits) [host-hp, weight 0.70]",
    ),
    (
        "helo-brother",
        ev(hostname="BRN008077310107"),
        "mfp",
        "host name 'BRN008077310107' is a Brother default node name (BRN/BRW + MAC) "
        "[host-brother, weight 0.70]",
    ),
    (
        "ptr-xerox",
        ev(ptr="XRX0000AAB1C2D3.contoso.local"),
        "mfp",
        "host name 'XRX0000AAB1C2D3.contoso.local' matches the Xerox default XRX + MAC "
        "(unverified) [host-xerox, weight 0.60]",
    ),
    (
        "helo-ricoh",
        ev(hostname="RNP0026735A1B2C"),
        "mfp",
        "host name 'RNP0026735A1B2C' matches the Ricoh default RNP + MAC (unverified) "
        "[host-ricoh, weight 0.60]",
    ),
    (
        "helo-konica",
        ev(hostname="KM5A1B2C"),
        "mfp",
        "host name 'KM5A1B2C' matches the Konica Minolta default KM + MAC (unverified) "
        "[host-konica-minolta, weight 0.50]",
    ),
    (
        "helo-epson",
        ev(hostname="EPSON1A2B3C"),
        "mfp",
        "host name 'EPSON1A2B3C' matches the Epson default EPSON + MAC (unverified) "
        "[host-epson, weight 0.60]",
    ),
    (
        "helo-lexmark",
        ev(hostname="ET0021B7C5A8F2"),
        "mfp",
        "host name 'ET0021B7C5A8F2' matches the Lexmark default ET + MAC (unverified) "
        "[host-lexmark, weight 0.55]",
    ),
    (
        "helo-windows",
        ev(hostname="WIN-8K2J4H5G6F1"),
        "application",
        "host name 'WIN-8K2J4H5G6F1' is a default Windows host name (WIN-...): a server app or "
        "script [host-windows-default, weight 0.40]",
    ),
    (
        "ptr-exo-relay",
        ev(ptr="mail-db8eur05on2100.outbound.protection.outlook.com", path="connector-relay"),
        "mail-server",
        "host name 'mail-db8eur05on2100.outbound.protection.outlook.com' is Exchange Online "
        "itself (Microsoft's MTA, not a device) [host-exchange-online, weight 0.50]",
    ),
    (
        "ptr-exo-internet",
        ev(ptr="mail-db8eur05on2100.outbound.protection.outlook.com", path="internet"),
        "partner-mta",
        "host name 'mail-db8eur05on2100.outbound.protection.outlook.com' is Exchange Online "
        "sending from the internet: another Microsoft 365 organization "
        "[host-exchange-online-internet, weight 0.60]",
    ),
    (
        "sender-mfp",
        ev(sender_address="scanner.hq@contoso.com"),
        "mfp",
        "sender local part 'scanner.hq' is named like a scanner/printer mailbox "
        "[sender-mfp, weight 0.60]",
    ),
    (
        "sender-noreply",
        ev(sender_address="no-reply@contoso.com"),
        "application",
        "sender local part 'no-reply' is a no-reply address: an application or appliance "
        "[sender-noreply, weight 0.35]",
    ),
    (
        "sender-app",
        ev(sender_address="veeam@contoso.com"),
        "application",
        "sender local part 'veeam' is named like an application, backup or monitoring mailbox "
        "[sender-application, weight 0.50]",
    ),
    (
        "sender-erp",
        ev(sender_address="Payroll@contoso.com"),
        "erp",
        "sender local part 'Payroll' is named like an ERP/finance mailbox [sender-erp, weight 0.55]",
    ),
    (
        "msgid-localhost",
        ev(message_id_hosts=(("localhost.localdomain", 30),), messages=30),
        "application",
        "Message-ID host 'localhost.localdomain': software that does not know its "
        "host name (script or library) (on 30 of 30 messages) [msgid-localhost, weight 0.30]",
    ),
    (
        "msgid-printer",
        ev(message_id_hosts=(("npi3a5f1c", 30),), messages=30),
        "mfp",
        "Message-ID host 'npi3a5f1c' is a printer default host name (unverified for Message-IDs) "
        "(on 30 of 30 messages) [msgid-mfp, weight 0.45]",
    ),
    (
        "smtp-auth-person",
        ev(
            sender_address="anna.muller@contoso.com",
            auth_protocol="Basic",
            path="client-submission",
        ),
        "user-client",
        "SMTP AUTH from a person-looking mailbox 'anna.muller' (first.last) "
        "[smtp-auth-person, weight 0.55]",
    ),
    (
        "partner-connector",
        ev(
            connector="Fabrikam",
            connector_type="Partner",
            path="internet",
            direction="inbound",
            sender_address="orders@fabrikam.com",
        ),
        "partner-mta",
        "sender domain 'fabrikam.com' reached the tenant from the internet: "
        "another organization's server [internet-sender-domain, weight 0.45]",
    ),
    (
        "outbound-internet",
        ev(direction="outbound", path="internet"),
        "partner-mta",
        "outbound to the internet: TLS is negotiated by the recipients' mail servers "
        "[outbound-internet, weight 0.45]",
    ),
    (
        "onprem-send",
        ev(connector="Outbound to Office 365 - 1a2b", direction="outbound", path="on-prem"),
        "mail-server",
        "connector name 'Outbound to Office 365 - 1a2b' is the on-premises send connector the "
        "Hybrid Configuration Wizard creates [connector-onprem-to-office365, weight 0.70]",
    ),
    (
        "volume-office",
        ev(hours=OFFICE_HOURS, weekdays=WORKWEEK),
        "mfp",
        "volume pattern: office-hours (100% of 75 messages within 10 hours, 0% at weekends); "
        "people scanning during office hours [volume-office-hours, weight 0.15]",
    ),
    (
        "volume-steady",
        ev(hours=FLAT, weekdays=(14, 14, 14, 14, 14, 13, 13)),
        "application",
        "volume pattern: around-the-clock (96 messages over 24 hours of the day, 27% at "
        "weekends); a machine sending steadily [volume-around-the-clock, weight 0.20]",
    ),
    (
        "volume-batch",
        ev(hours=NIGHTLY, weekdays=EVERY_DAY),
        "application",
        "volume pattern: batch (100% of 50 messages within 3 hours, 30% at weekends); a "
        "scheduled job [volume-batch, weight 0.20]",
    ),
]


@pytest.mark.parametrize(
    "evidence, device_type, line", [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_each_signal_family(evidence, device_type, line):
    device = classify(evidence, RULES, None)
    assert device.device_type == device_type
    assert device.evidence[0] == line
    assert device.source == "heuristic"
    assert 0 < device.confidence < 1


def test_weights_combine_per_type():
    device = classify(ev(connector="Printers", sender_address="scan@contoso.com"), RULES)
    assert device.device_type == "mfp"
    assert device.confidence == pytest.approx(1 - 0.3 * 0.4)
    assert [line.rsplit("[", 1)[1] for line in device.evidence] == [
        "connector-mfp, weight 0.70]",
        "sender-mfp, weight 0.60]",
    ]


def test_subject_weight_follows_its_share_of_messages():
    rare = ev(
        subjects=(("Re: lunch", 498), ("Scanned from a Xerox Multifunction Printer", 2)),
        messages=500,
    )
    weak = classify(rare, RULES)
    assert weak.device_type == "unknown" and weak.confidence == 0.0
    assert weak.evidence[0] == "signals too weak to classify (best: mfp 0.01)"
    assert "(on 2 of 500 messages) [subject-xerox, weight 0.01]" in weak.evidence[1]
    common = ev(subjects=(("Scanned from a Xerox Multifunction Printer", 300),), messages=500)
    assert classify(common, RULES).confidence == pytest.approx(1 - 0.15 * 0.55)


def test_subject_share_is_of_the_sighted_messages_not_the_tls_total():
    # 5000 messages counted by the connector report, 40 sighted in the trace, all scans.
    flow = ev(subjects=(("Scanned image from MX-2651", 40),), messages=5000, sighted_messages=40)
    device = classify(flow, RULES)
    assert device.device_type == "mfp" and device.confidence == pytest.approx(1 - 0.15 * 0.55)
    assert "(on 40 of 40 messages)" in device.evidence[0]


def test_competing_strong_evidence_is_listed():
    device = classify(ev(connector="Scanner relay", sender_address="sap@contoso.com"), RULES)
    assert device.device_type == "mfp"
    assert device.evidence == (
        "connector name 'Scanner relay' matches printer/scanner naming "
        "[connector-mfp, weight 0.70]",
        "competing erp (0.55): sender local part 'sap' is named like an ERP/finance mailbox "
        "[sender-erp, weight 0.55]",
        "competing application (0.45): connector name 'Scanner relay' matches application/relay "
        "naming [connector-application, weight 0.45]",
    )


def test_person_rule_skips_service_mailboxes():
    device = classify(
        ev(sender_address="no.reply@contoso.com", auth_protocol="OAuth", path="client-submission"),
        RULES,
    )
    assert device.device_type == "application"
    assert not any("person-looking" in line for line in device.evidence)


def test_exchange_online_message_ids_mean_a_partner_only_when_arriving():
    hosts = (("db9pr02mb7211.eurprd02.prod.outlook.com", 10),)
    inbound = classify(
        ev(message_id_hosts=hosts, messages=10, path="internet", direction="inbound"), RULES
    )
    assert inbound.device_type == "partner-mta"
    assert "[msgid-exchange-online-internet, weight 0.30]" in inbound.evidence[0]
    outbound = classify(
        ev(message_id_hosts=hosts, messages=10, path="internet", direction="outbound"), RULES
    )
    assert [line.rsplit("[", 1)[1] for line in outbound.evidence] == [
        "outbound-internet, weight 0.45]"
    ]


def test_nothing_matched_is_unknown():
    device = classify(ev(sender_ip="192.0.2.7", connector="Inbound 7"), RULES, None)
    assert device.device_type == "unknown" and device.confidence == 0.0
    assert device.evidence == ("no classification signal",)


def test_volume_pattern_needs_enough_messages_and_shape():
    assert volume_pattern((0,) * 9 + (2,) * 5 + (0,) * 10, WORKWEEK) == ""  # 10 messages
    assert volume_pattern((1, 2, 3), WORKWEEK) == ""  # not 24 hours
    assert volume_pattern(OFFICE_HOURS, EVERY_DAY) == ""  # office hours but busy weekends


# ------------------------------------------------------------------------------ evidence safety


def test_hostile_values_are_clipped_and_never_formatted(tmp_path):
    name = "Scan {0} {value.__class__} %s\r\nInjected: " + "x" * 200
    device = classify(ev(connector=name), RULES)
    first = device.evidence[0]
    assert "\n" not in first and "\r" not in first
    assert "'Scan {0} {value.__class__} %s Injected: xxx" in first
    quoted = re.search(r"'(.*)'", first).group(1)
    assert len(quoted) == 80 and quoted.endswith("...")
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nid = "mine"\ndevice_type = "mfp"\nfield = "connector"\n'
        'pattern = "scan"\nweight = 0.95\n'
        'evidence = "{0} {value!r} {value} {__class__}"\n',
        encoding="utf-8",
    )
    device = classify(ev(connector="Scan {x}"), load_rules(rules))
    assert device.evidence[0] == "{0} {value!r} Scan {x} {__class__} [mine, weight 0.95]"


# ------------------------------------------------------------------------------ user rules


def test_user_rule_overrides_heuristics(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text(
        '[[rule]]\nid = "site-relay"\ndevice_type = "erp"\nfield = "sender_ip"\n'
        "pattern = '^10\\.20\\.'\nweight = 1.0\n"
        "evidence = \"sender IP '{value}' is the SAP subnet\"\n",
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert len(rules) == len(RULES) + 1
    flow = ev(sender_ip="10.20.0.4", connector="Scanner relay", hostname="NPI3A5F1C")
    device = classify(flow, rules)
    assert (device.device_type, device.confidence, device.source) == ("erp", 1.0, "rules")
    assert device.evidence[0] == "sender IP '10.20.0.4' is the SAP subnet [site-relay, weight 1.00]"
    assert device.evidence[1].startswith("competing mfp (0.91): ")


def test_user_rule_can_reweight_or_disable_a_builtin_by_id(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text(
        "rules:\n  - id: subject-canon\n    weight: 0.8\n"
        "  - id: connector-mfp\n    enabled: false\n",
        encoding="utf-8",
    )
    rules = load_rules(path)
    assert len(rules) == len(RULES) - 1 and rules.get("connector-mfp") is None
    canon = rules.get("subject-canon")
    assert (canon.weight, canon.source, canon.device_type) == (0.8, "rules", "mfp")
    device = classify(ev(subjects=(("Attached Image", 3),), messages=3), rules)
    assert (device.confidence, device.source) == (0.8, "rules")
    assert classify(ev(connector="Scanner Floor2"), rules).device_type == "unknown"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '[[rule]]\nid = "a"\ndevice_type = "mfp"\nfield = connector\npattern = "x"\nweight = 1\n',
            r"rules\.toml: not valid TOML: Invalid value \(at line 4, column 9\) "
            r"\(hint: fix the TOML syntax at that line",
        ),
        (
            '[[rule]]\nid = "a"\ndevice_type = "printer"\nfield = "connector"\npattern = "x"\n'
            "weight = 0.5\n",
            r"rules\.toml: rule #1 \(id 'a'\): unknown device_type 'printer' \(hint: use one of mfp, "
            r"erp, application, mail-server, third-party-service, partner-mta, user-client\)",
        ),
        (
            '[[rule]]\nid = "ok"\ndevice_type = "mfp"\nfield = "connector"\npattern = "x"\nweight = 1\n'
            '[[rule]]\nid = "b"\ndevice_type = "mfp"\nfield = "connector"\npattern = "scan(("\n'
            "weight = 0.5\n",
            r"rules\.toml: rule #2 \(id 'b'\): pattern 'scan\(\(' is not a valid regex: missing \), "
            r"unterminated subpattern at position 5 \(hint: fix the regex",
        ),
        (
            '[[rule]]\nid = "c"\ndevice_type = "mfp"\nfield = "helo"\npattern = "x"\nweight = 0.5\n',
            r"rule #1 \(id 'c'\): unknown field 'helo' \(hint: field is one of \(or a list of\) "
            r"connector, connector_type",
        ),
        (
            '[[rule]]\nid = "d"\ndevice_type = "mfp"\nfield = "connector"\npattern = "x"\nweight = 5\n',
            r"rule #1 \(id 'd'\): weight must be a number from 0 to 1 \(got 5\)",
        ),
        (
            '[[rule]]\nid = "e"\ndevice_type = "mfp"\nfield = "connector"\npattern = "x"\nweight = 1\n'
            "wieght = 1\n",
            r"rule #1 \(id 'e'\): unknown key\(s\) wieght",
        ),
        (
            '[[rule]]\nid = "f"\ndevice_type = "mfp"\nfield = "connector"\npattern = "x"\nweight = 1\n'
            '[[rule]]\nid = "f"\n',
            r"rule #2 \(id 'f'\): the id is used twice",
        ),
        ('[[rule]]\ndevice_type = "mfp"\n', r"rule #1: 'id' must be a short name"),
        ('title = "mine"\n', r"unknown top-level key\(s\) title"),
        (
            '[[rule]]\nid = "g"\ndevice_type = "mfp"\nfield = "connector"\npattern = "x"\nweight = 1\n'
            'require = { path = "[" }\n',
            r"rule #1 \(id 'g'\): require\.path '\[' is not a valid regex",
        ),
    ],
)
def test_bad_rules_file(tmp_path, text, message):
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError) as err:
        load_rules(path)
    assert re.search(message, str(err.value)), str(err.value)
    assert "\n" not in str(err.value)


def test_bad_yaml_rules_file_names_the_line(tmp_path):
    path = tmp_path / "rules.yml"
    path.write_text("rules:\n  - id: a\n    pattern: [unclosed\n    weight: 1\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"rules\.yml: not valid YAML at line 4, column 11: "):
        load_rules(path)


def test_missing_rules_file(tmp_path):
    with pytest.raises(
        UsageError,
        match=r"nope\.toml: cannot read the rules file: .*"
        r"\(hint: check the --rules path\)",
    ):
        load_rules(tmp_path / "nope.toml")


# ------------------------------------------------------------------------------ inventory

INVENTORY = (
    "IP,CIDR,Hostname,Sender,Name,Type,Owner,Site\r\n"
    "10.1.2.3,,,,Xerox 2nd floor,printer,Facilities,HQ\r\n"
    ",10.9.0.0/16,,,Lab network,app,Lab IT,Lab\r\n"
    ",,app-*.contoso.local,,App farm,ERP,Finance IT,DC1\r\n"
    ",,,*@ops.contoso.com,Ops scripts,application,Ops,\r\n"
    "10.9.8.7,,,,Backup NAS,application,Storage,Lab\r\n"
    ",,legacy-host,,Unlabelled box,,Someone,HQ\r\n"
)


@pytest.fixture
def inventory(tmp_path):
    path = tmp_path / "devices.csv"
    path.write_bytes(INVENTORY.encode("utf-8-sig"))
    return load_inventory(path)


@pytest.mark.parametrize(
    "flow, name, line",
    [
        (
            ev(sender_ip="10.1.2.3", sender_address="noreply@contoso.com", connector="App relay"),
            "Xerox 2nd floor",
            "inventory devices.csv row 2 'Xerox 2nd floor': ip '10.1.2.3' matches '10.1.2.3'",
        ),
        (
            ev(sender_ip="10.9.44.1", hostname="NPI3A5F1C"),
            "Lab network",
            "inventory devices.csv row 3 'Lab network': cidr '10.9.0.0/16' matches '10.9.44.1'",
        ),
        (
            ev(
                ptr="APP-07.contoso.local.",
                subjects=(("Scanned from a Xerox Multifunction Printer", 9),),
                messages=9,
            ),
            "App farm",
            "inventory devices.csv row 4 'App farm': hostname 'app-*.contoso.local' "
            "matches 'APP-07.contoso.local.'",
        ),
        (
            ev(auth_user="Scanner@OPS.contoso.com", auth_protocol="Basic"),
            "Ops scripts",
            "inventory devices.csv row 5 'Ops scripts': sender '*@ops.contoso.com' "
            "matches 'Scanner@OPS.contoso.com'",
        ),
    ],
)
def test_inventory_beats_strong_heuristics(inventory, flow, name, line):
    device = classify(flow, RULES, inventory)
    assert (device.name, device.confidence, device.source) == (name, 1.0, "inventory")
    assert device.evidence == (line,)
    assert (
        device.device_type
        == {
            "Xerox 2nd floor": "mfp",
            "Lab network": "application",
            "App farm": "erp",
            "Ops scripts": "application",
        }[name]
    )
    assert (device.owner, device.site) == {
        "Xerox 2nd floor": ("Facilities", "HQ"),
        "Lab network": ("Lab IT", "Lab"),
        "App farm": ("Finance IT", "DC1"),
        "Ops scripts": ("Ops", ""),
    }[name]


def test_inventory_exact_ip_beats_a_network(inventory):
    device = classify(ev(sender_ip="10.9.8.7"), RULES, inventory)
    assert (device.name, device.owner, device.site) == ("Backup NAS", "Storage", "Lab")


def test_inventory_row_without_type_names_the_device_and_rules_decide(inventory):
    device = classify(
        ev(hostname="legacy-host", sender_address="scan@contoso.com"), RULES, inventory
    )
    assert (device.device_type, device.name, device.source) == (
        "mfp",
        "Unlabelled box",
        "heuristic",
    )
    assert device.evidence[0] == (
        "inventory devices.csv row 7 'Unlabelled box': hostname "
        "'legacy-host' matches 'legacy-host' (no type given: type "
        "from the rules below)"
    )
    assert device.confidence == 0.6


def test_inventory_match_column_semicolons_and_utf16(tmp_path):
    path = tmp_path / "inv.csv"
    text = (
        "match;Device name;Device type;Owner;Location\r\n"
        "192.0.2.10 | 192.0.2.11;Kyocera Empfang;Drucker;Empfang;Köln\r\n"
        "2001:db8::/32;v6 lab;server;Net;Köln\r\n"
        "*@scan.contoso.com;Scan mailboxes;MFP;IT;Köln\r\n"
    )
    path.write_bytes(text.encode("utf-16"))
    inv = load_inventory(path)
    assert len(inv) == 3
    d = classify(ev(sender_ip="192.0.2.11"), RULES, inv)
    assert (d.device_type, d.name, d.site) == ("mfp", "Kyocera Empfang", "Köln")
    assert classify(ev(sender_ip="2001:db8::25"), RULES, inv).device_type == "mail-server"
    assert classify(ev(sender_address="a@scan.contoso.com"), RULES, inv).name == "Scan mailboxes"
    assert classify(ev(sender_ip="not an ip"), RULES, inv).device_type == "unknown"


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "ip,name,type\r\n10.0.0.1,ok,mfp\r\n10.0.0.300,bad,mfp\r\n",
            r"inv\.csv: row 3, column 'ip': '10\.0\.0\.300' is not an IP address "
            r"\(hint: write e\.g\. 10\.0\.0\.5",
        ),
        (
            "cidr,name,type\r\n10.0.0.0/33,bad,mfp\r\n",
            r"row 2, column 'cidr': '10\.0\.0\.0/33' is not an IP network \(CIDR\)",
        ),
        (
            "ip,name,type\r\n10.0.0.1,bad,toaster\r\n",
            r"row 2, column 'type': unknown device type 'toaster' \(hint: use one of mfp, erp",
        ),
        (
            "device,owner\r\nx,y\r\n",
            r"inv\.csv: row 1: no ip, cidr, hostname, sender or match column \(columns seen: "
            r"device, owner\)",
        ),
        (
            "ip,hostname,name,type\r\n,,lonely,mfp\r\n",
            r"row 2: no ip, cidr, hostname or sender value",
        ),
        ("ip,name,type\r\n", r"the inventory has a header but no device rows"),
        ("", r"the inventory is empty"),
    ],
)
def test_bad_inventory(tmp_path, text, message):
    path = tmp_path / "inv.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with pytest.raises(UsageError) as err:
        load_inventory(path)
    assert re.search(message, str(err.value)), str(err.value)


# ------------------------------------------------------------------------------ property

text = st.text(max_size=300)
counted = st.lists(st.tuples(text, st.integers(-5, 10**6)), max_size=6).map(tuple)
evidence = st.builds(
    FlowEvidence,
    connector=text,
    connector_type=text,
    direction=text,
    sender_ip=text,
    sender_address=text,
    hostname=text,
    ptr=text,
    auth_user=text,
    auth_protocol=text,
    local_port=st.integers(-(2**40), 2**40),
    path=text,
    subjects=counted,
    message_id_hosts=counted,
    hours=st.one_of(
        st.lists(st.integers(-3, 10**6), min_size=24, max_size=24),
        st.lists(st.integers(0, 50), max_size=30),
    ).map(tuple),
    weekdays=st.lists(st.integers(-3, 10**6), max_size=8).map(tuple),
    messages=st.integers(-10, 10**9),
    forced_tls=st.sampled_from([None, True, False]),
    scope=text,
    sighted_messages=st.integers(-10, 10**9),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evidence)
@pytest.mark.slow
def test_classify_never_raises_and_stays_in_range(flow):
    for inv in (None, PROPERTY_INVENTORY):
        device = classify(flow, RULES, inv)
        assert device.device_type in DEVICE_TYPES
        assert 0.0 <= device.confidence <= 1.0
        assert device.evidence and all(isinstance(line, str) for line in device.evidence)
        assert not any(re.search("[\r\n\u2028\u2029\u202e]", line) for line in device.evidence)


def _property_inventory():
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inv.csv"
        path.write_text(
            "match,name,type\n10.0.0.0/8,net,mfp\n*scan*,glob,erp\n"
            "*@*,any sender,user\n::1,v6,server\n",
            encoding="utf-8",
        )
        return load_inventory(path)


PROPERTY_INVENTORY = _property_inventory()
