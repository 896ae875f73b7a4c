"""One minimal input per crash or hang the fuzz tests found, with the outcome it must have.

A hang here is quadratic work, such as regex backtracking: each input is large enough that a
quadratic pattern would run far past the wall-clock guard, and each must finish well inside it.
"""

from __future__ import annotations

import pytest

import o365tls
from o365tls.errors import UsageError
from tests.fuzz.harness import DETAIL_HEADER, REPORT_HEADER, TRACE_HEADER, TRACE_ROW, check_load
from tests.helpers import codes

# Long enough that a quadratic regex would take far longer than the guard.
RUN = 200_000
GUARD = 5

DATA_LOG = (
    b"#Software: Microsoft Exchange Server\r\n#Log-type: SMTP Receive Protocol Log\r\n"
    b"#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,"
    b"remote-endpoint,event,data,context\r\n"
)


def only(data):
    assert len(data.inputs) == 1
    return data.inputs[0]


def counts(report):
    return report.rows_read, report.rows_used, report.rows_rejected


# --- crashes (import-failed) ---------------------------------------------------------------


def test_smtp_auth_report_forced_on_a_file_without_its_columns(write_input):
    """eac_smtp_auth_report, forced by --format on a file without 'Sender address' / 'Messages
    sent': each missing column is an issue, and pick(raw, None) is never reached."""
    path = write_input(b"TLS 1.0,TLS 1.2,Other\r\n0,100,x\r\n100,0,y\r\n")
    report = only(check_load(path, format="eac-smtp-auth-report"))
    assert counts(report) == (2, 0, 2)
    assert codes(report) == ["missing-column", "missing-column", "missing-column"]
    assert "Messages sent" in report.issues[0].message


def test_smtp_auth_report_without_sender_column_counts_the_messages(write_input):
    path = write_input(b"TLS 1.0,TLS 1.2,Messages sent\r\n25,75,4\r\n")
    data = check_load(path, format="eac-smtp-auth-report")
    assert counts(only(data)) == (1, 1, 0)
    obs = data.observations.sort_values("tls")
    assert list(obs["tls"]) == ["TLS1.0", "TLS1.2"] and list(obs["messages"]) == [1, 3]
    assert list(obs["sender_address"]) == ["", ""]


@pytest.mark.parametrize(
    "text",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'[{"Name":"n","SmartHosts":' + b"[" * 5000 + b"]" * 5000 + b"}]",
    ],
)
def test_deeply_nested_json_is_bad_json(write_input, text):
    """jsonfile: json.loads raises RecursionError (not a ValueError) on deep nesting; it is
    bad JSON all the same."""
    for fmt in (None, "connector-config", "message-trace"):
        report = only(check_load(write_input(text), format=fmt))
        assert counts(report) == (0, 0, 0)
        if report.format is not None:
            assert codes(report) == ["bad-json"] and report.fatal


def test_powershell_date_out_of_range_is_kept_as_text(write_input):
    """jsonfile: a /Date(ms)/ beyond pandas' range is a bad date kept as text, not an
    OutOfBoundsDatetime."""
    path = write_input(
        b'[{"Received":"/Date(99999999999999999)/","SenderAddress":"a@x.example",'
        b'"RecipientAddress":"b@x.example"}]'
    )
    report = only(check_load(path))
    assert report.format == "message-trace"
    assert counts(report) == (1, 0, 1) and codes(report) == ["bad-date"]
    assert report.issues[0].value == "/Date(99999999999999999)/"


def test_lone_surrogate_in_json_becomes_a_replacement_character(write_input):
    """jsonfile: '\\ud800' is valid JSON but cannot become a pandas (Arrow) string."""
    path = write_input(b'[{"Name": "relay \\ud800", "SmartHosts": ["a.example"]}]')
    data = check_load(path)
    assert counts(only(data)) == (1, 1, 0)
    assert list(data.connectors["name"]) == ["relay \ufffd"]


def test_deeply_nested_list_in_a_csv_cell(write_input):
    """connector_config.read_multi and values.split_multi: a cell json.loads would recurse
    too deep on is kept as text."""
    path = write_input(
        b'Name,SenderIPAddresses,ConnectorType,RequireTls\r\nx,"'
        + b"[" * 5000
        + b"]" * 5000
        + b'",Partner,True\r\n'
    )
    data = check_load(path)
    assert counts(only(data)) == (1, 1, 0)
    assert data.connectors["sender_ip_ranges"].iloc[0] == ("[" * 5000 + "]" * 5000,)
    log = (
        b"#Software: Microsoft Exchange Server\r\n#Log-type: Message Tracking Log\r\n"
        b"#Fields: date-time,client-ip,source-context,source,event-id,internal-message-id,"
        b"message-id,recipient-address,sender-address,custom-data\r\n"
        b"2024-03-15T09:01:12.345Z,192.0.2.7,s,SMTP,RECEIVE,1,<m@x>,"
        + b"[" * 5000
        + b",a@x.example,\r\n"
    )
    data = check_load(write_input(log))
    assert counts(only(data)) == (1, 1, 0)
    assert list(data.sightings["recipient_address"]) == ["[" * 5000]


def test_forced_encoding_that_does_not_fit(write_input):
    """loader: --encoding utf-16 on a file without BOM is an undecodable file, not a
    UnicodeError from the sample."""
    path = write_input(TRACE_HEADER + TRACE_ROW)
    report = only(check_load(path, encoding="utf-16"))
    assert report.fatal and counts(report) == (0, 0, 0)
    assert codes(report) == ["undecodable"]


def test_unknown_encoding_name_is_a_usage_error(write_input):
    with pytest.raises(UsageError, match="unknown encoding 'utf-99'"):
        o365tls.load([write_input(TRACE_HEADER + TRACE_ROW)], encoding="utf-99")


# --- hangs (quadratic regexes) ---------------------------------------------------------------


def test_long_tls_version_in_trace_detail_data(write_input):
    """tls._TLS/_SSL: 'tls' + a long run of spaces, which a backtracking pattern would take
    quadratic time on (reached through the Data XML's S:tlsversion= of a trace detail
    export)."""
    for word in (b"tls", b"ssl"):
        data_xml = (
            b'<root><MEP Name=""CustomData"" String=""S:tlsversion='
            + word
            + b" " * RUN
            + b'x"" /></root>'
        )
        path = write_input(
            DETAIL_HEADER + b'"t1","<a@b>","13/10/2025 09:15:03","Receive","",'
            b'"Message received by: X","' + data_xml + b'","s@c.com","r@c.com"\r\n'
        )
        data = check_load(path, seconds=GUARD)
        assert counts(only(data)) == (1, 1, 0)
        assert list(data.observations["tls"]) == ["unknown"]


def test_long_connector_name_without_internet(write_input):
    """eac_connector_report._FROM_INTERNET/_TO_INTERNET: a long name of direction words and no
    "internet", on which '\\bde\\b.*internet' would rescan the rest of the name from every
    word."""
    name = b"without connector" + b" de a" * (RUN // 5)
    path = write_input(REPORT_HEADER + b"2024-03-01," + name + b",,False,0,0,0,100,10\r\n")
    data = check_load(path, seconds=GUARD)
    assert counts(only(data)) == (1, 1, 0)
    assert list(data.observations["direction"]) == [""]
    assert list(data.observations["connector_type"]) == ["Internet"]


def test_internet_rows_still_get_their_direction(write_input):
    path = write_input(
        REPORT_HEADER
        + b"2024-03-01,From the internet without a connector,,False,0,0,0,100,10\r\n"
        + b"2024-03-01,Utgaende till internet utan koppling,,False,0,0,0,100,5\r\n"
        + b"2024-03-01,dall'internet senza connettore,,,0,0,0,100,2\r\n"
    )
    data = check_load(path)
    assert list(data.observations["direction"]) == ["inbound", "outbound", "inbound"]


def test_header_with_a_long_run_of_parentheses(write_input):
    """eac_tls._TRAILING_NOTE: a header with a long run of '(', on which
    '\\s*\\([^)]*\\)\\s*$' would rescan from every '(' at detection time, before any importer
    runs."""
    path = write_input(
        b"Date,Connector direction and name,Volume,TLS 1.0,TLS 1.2 (percentage),x"
        + b"(" * RUN
        + b"\r\n2024-03-01,Inbound - a,10,0,100,\r\n"
    )
    data = check_load(path, seconds=GUARD)
    assert only(data).format == "eac-connector-report"
    assert list(data.observations["messages"]) == [10]


def test_custom_data_pair_list_with_long_spaces(write_input):
    """custom_data._PAIR: '[a   ...   b]' (no comma), on which a backtracking pattern would
    take quadratic time."""
    log = (
        b"#Software: Microsoft Exchange Server\r\n#Log-type: Message Tracking Log\r\n"
        b"#Fields: date-time,client-ip,source-context,source,event-id,internal-message-id,"
        b"message-id,recipient-address,sender-address,custom-data\r\n"
        b"2024-03-15T09:01:12.345Z,192.0.2.7,s,SMTP,RECEIVE,1,<m@x>,r@x.example,a@x.example,"
        b"[a" + b" " * RUN + b"b]\r\n"
    )
    data = check_load(write_input(log), seconds=GUARD)
    assert counts(only(data)) == (1, 1, 0)
    assert list(data.sightings["sender_ip"]) == ["192.0.2.7"]


def test_custom_data_pairs_still_parse():
    from o365tls.importers import custom_data

    parsed = custom_data.parse("[ProxiedClientIPAddress, 10.0.0.5] [ a b , c, d ] [,x]")
    assert parsed.items == (("ProxiedClientIPAddress", "10.0.0.5"), ("a b", "c, d"))


@pytest.mark.slow
def test_many_repeated_header_rows(write_input):
    """fastcsv._drop_repeated_headers: the repeated header rows are found with one read of
    their cells, not a pandas lookup per cell, so many repeats stay within the guard."""
    path = write_input(TRACE_HEADER + (TRACE_ROW + TRACE_HEADER) * 60_000)
    data = check_load(path, seconds=GUARD)
    report = only(data)
    assert counts(report) == (120_000, 60_000, 60_000)
    assert report.issue_counts["repeated-header"] == 60_000
    assert len(data.sightings) == 60_000


@pytest.mark.parametrize(
    "when", [b"1/1/0001 12:00:00 AM", b"12/31/9999 11:59:59 PM", b"/1", b"0001-01-01T00:00:00Z"]
)
def test_dates_outside_the_nanosecond_range_are_bad_dates(write_input, when):
    """values.parse_datetimes: pandas 3 parses year 1 and 9999 (PowerShell's DateTime.MinValue
    and MaxValue) at second resolution, outside the nanosecond range: bad dates, not an
    OutOfBoundsDatetime from the cast."""
    row = TRACE_ROW.replace(b"11/20/2026 9:00:00 AM", when)
    report = only(check_load(write_input(TRACE_HEADER + row + TRACE_ROW)))
    assert counts(report) == (2, 1, 1)
    assert codes(report) == ["bad-date"] and report.issues[0].row == 1
    path = write_input(REPORT_HEADER + b"0001-01-01,Inbound - a,,False,0,0,0,100,10\r\n")
    report = only(check_load(path))
    assert counts(report) == (1, 0, 1) and codes(report) == ["bad-date"]


# --- damaged zip archives (sources.py, loader.py, table.py) ----------------------------------


def _zip(members: dict[str, bytes], deflate: bool = False) -> bytes:
    import io
    import zipfile

    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_zip_member_with_a_bad_crc(write_input):
    """A member damaged inside its sample is a bad archive; zipfile.BadZipFile never leaves
    o365tls.load."""
    data = _zip({"trace.csv": TRACE_HEADER + TRACE_ROW}).replace(b"Hi", b"Ho", 1)
    report = only(check_load(write_input(data, "exports.zip")))
    assert report.path.endswith("exports.zip!trace.csv")
    assert report.fatal and counts(report) == (0, 0, 0) and codes(report) == ["bad-archive"]
    assert "CRC" in report.issues[0].message


def _bad_crc(data: bytes) -> bytes:
    """The archive with its directory's CRC of the first member changed: the member's bytes
    read fine, and zipfile raises BadZipFile once the last of them is read."""
    at = data.index(b"PK\x01\x02") + 16
    return data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]


def test_zip_member_damaged_after_its_sample(write_input):
    """The damage surfaces in the reader, not the sample: a note, not an importer crash."""
    data = _bad_crc(_zip({"trace.csv": TRACE_HEADER + TRACE_ROW * 5000}))
    report = only(check_load(write_input(data, "exports.zip")))
    assert report.format == "message-trace"
    assert codes(report) == ["bad-archive", "no-rows"] and counts(report) == (0, 0, 0)


@pytest.mark.slow
def test_large_zip_member_damaged_on_the_tolerant_reader(write_input):
    """table._read_tolerant: the rows read before the damage count, the note names the row.
    (A short first row hands a 17 MB member from the fast reader to the tolerant one.)"""
    rows = 230_000
    body = TRACE_HEADER + b'"11/20/2026 9:00:00 AM"\r\n' + TRACE_ROW * rows
    data = _bad_crc(_zip({"trace.csv": body}, deflate=True))
    report = only(check_load(write_input(data, "exports.zip")))
    assert report.format == "message-trace"
    assert codes(report) == ["field-count", "bad-archive"]
    assert report.rows_rejected == 1 and 200_000 < report.rows_used <= rows
    assert report.issues[1].row == report.rows_read + 1


def test_encrypted_or_mislabelled_zip_members_are_refused(write_input):
    data = bytearray(_zip({"a.csv": TRACE_HEADER + TRACE_ROW, "b.csv": TRACE_HEADER + TRACE_ROW}))
    data[data.index(b"PK\x01\x02") + 8] |= 1  # the directory says the first is encrypted
    second = data.index(b"PK\x03\x04", 4)
    data[second + 30] = ord("x")  # the second's local name does not match the directory
    reports = check_load(write_input(bytes(data), "exports.zip")).inputs
    assert sorted((r.path.rsplit("!", 1)[1], codes(r)) for r in reports) == [
        ("a.csv", ["bad-archive"]),
        ("b.csv", ["bad-archive"]),
    ]
    assert all(r.fatal and counts(r) == (0, 0, 0) for r in reports)


@pytest.mark.parametrize("number", [b"inf", b"1e999", b"-inf", b"99999999999999999999"])
def test_numbers_that_fit_no_integer_column(write_input, number):
    """values.parse_int on numbers no int64 holds: inf would fail canonical's int64 cast
    (IntCastingNaNError) and historical_extended's int() (OverflowError), and 1e20 would wrap
    to a negative size; a size becomes 0 and a volume is rejected."""
    header = TRACE_HEADER.replace(b"\r\n", b',"Size"\r\n')
    data = check_load(write_input(header + TRACE_ROW.replace(b"\r\n", b',"' + number + b'"\r\n')))
    assert counts(only(data)) == (1, 1, 0) and list(data.sightings["size"]) == [0]
    path = write_input(
        REPORT_HEADER + b"2024-03-01,Inbound - a,,False,0,0,0,100," + number + b"\r\n"
    )
    report = only(check_load(path))
    assert counts(report) == (1, 0, 1) and codes(report) == ["bad-volume"]


@pytest.mark.parametrize("when", [b"0001", b"9999-12-31T23:59:59Z", b"0001-01-01T00:00:00Z"])
def test_protocol_log_year_outside_the_nanosecond_range(write_input, when):
    """protocol_log: pd.to_datetime(ISO8601) reads "0001" as year 1 at second resolution,
    outside the nanosecond range: a bad date, and the session's other lines are kept."""
    line = b",EX01\\Relay,08DC01,0,10.0.0.10:25,10.0.40.8:50001,+,,\r\n"
    path = write_input(DATA_LOG + when + line + b"2024-03-15T10:00:00.004Z" + line)
    data = check_load(path)
    report = only(data)
    assert counts(report) == (2, 1, 1) and report.issues[0].code == "bad-date"
    assert [str(t) for t in data.observations["timestamp"]] == ["2024-03-15 10:00:00.004000+00:00"]


def test_date_with_a_twenty_digit_year(write_input):
    """values._strptime: a date whose year has 20 digits is a bad date, not an ArrowInvalid
    from casting its digits to int64."""
    path = write_input(
        REPORT_HEADER + b"11111111111111112024-03-01,Inbound - a,,False,0,0,0,100,"
        b"10\r\n2024-03-02,Inbound - a,,False,0,0,0,100,5\r\n"
    )
    data = check_load(path)
    report = only(data)
    assert counts(report) == (2, 1, 1) and codes(report) == ["bad-date"]
    assert list(data.observations["messages"]) == [5]


def test_zip_member_whose_local_name_is_flagged_utf8_but_is_not(write_input):
    """sources._add_archive: a local name flagged UTF-8 that is not (two bit flips, the local
    header's UTF-8 flag and the first byte of the name): a bad archive, not a
    UnicodeDecodeError from zipfile.open()."""
    data = bytearray(_zip({"empty.csv": b""}))
    data[7] |= 0x08  # general purpose flag bit 11: the name is UTF-8
    data[30] |= 0x80  # "e" -> 0xe5, which does not start a UTF-8 sequence followed by "m"
    reports = check_load(write_input(bytes(data), "exports.zip")).inputs
    assert [(codes(r), r.fatal) for r in reports] == [(["bad-archive"], True)]
