"""The shared reader: encodings, header discovery and row accounting, on awkward inputs."""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import o365tls
from o365tls.encoding import detect_encoding
from o365tls.importers.sample import split_lines, take_sample
from o365tls.importers.sources import Source, expand_paths
from tests.helpers import codes, load_one

AWKWARD = Path(__file__).parent / "data" / "awkward"

TRACE_HEADER = '"Received","SenderAddress","RecipientAddress","Subject","Status","FromIP"'
TRACE_ROW = '"11/20/2026 9:00:00 AM","None","b@x.example","Hello, world","Delivered","192.0.2.1"'


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", bom: bytes = b"") -> Path:
    path = tmp_path / name
    path.write_bytes(bom + text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "encoding, bom, label",
    [
        ("utf-8", b"", "UTF-8"),
        ("utf-8", codecs.BOM_UTF8, "UTF-8 (BOM)"),
        ("utf-16-le", b"", "UTF-16LE (no BOM)"),
        ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16LE (BOM)"),
        ("utf-16-be", b"", "UTF-16BE (no BOM)"),
        ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16BE (BOM)"),
    ],
)
def test_every_encoding_reads_the_same_records(tmp_path, encoding, bom, label):
    text = f"{TRACE_HEADER}\r\n{TRACE_ROW}\r\n"
    data, report = load_one(write(tmp_path, "t.csv", text, encoding, bom))
    assert report.encoding == label
    assert report.format == "message-trace"
    row = data.sightings.iloc[0]
    assert row["sender_address"] == "none"  # the literal text, not NaN, not empty
    assert row["subject"] == "Hello, world"
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (1, 1, 0)


def test_cp1252_is_the_last_resort(tmp_path):
    text = f"{TRACE_HEADER}\r\n" + TRACE_ROW.replace("Hello", "Grüße") + "\r\n"
    data, report = load_one(write(tmp_path, "t.csv", text, "cp1252"))
    assert report.encoding == "Windows-1252 (guessed)"
    assert data.sightings.iloc[0]["subject"] == "Grüße, world"


def test_header_found_past_title_sep_and_type_lines(tmp_path):
    text = (
        "sep=,\r\n#TYPE Deserialized.Microsoft.Exchange.Management.FfoReporting.MessageTrace\r\n"
        "Message trace report\r\n\r\n"
        f"{TRACE_HEADER}\r\n{TRACE_ROW}\r\n\r\n\r\n"
    )
    data, report = load_one(write(tmp_path, "t.csv", text))
    assert report.format == "message-trace"
    assert len(data.sightings) == 1 and report.rows_read == 1


def test_semicolon_delimited_export(tmp_path):
    text = TRACE_HEADER + "\r\n" + TRACE_ROW.replace("Hello, world", "Hallo; Welt") + "\r\n"
    text = text.replace('","', '";"')
    data, _ = load_one(write(tmp_path, "t.csv", text))
    assert data.sightings.iloc[0]["subject"] == "Hallo; Welt"


def test_bom_and_stray_quotes_in_header_names(tmp_path):
    text = (
        '\ufeff"""Received""",SenderAddress ,"RecipientAddress","Status"\r\n'
        "11/20/2026 9:00:00 AM,a@x.example,b@x.example,Delivered\r\n"
    )
    data, report = load_one(write(tmp_path, "t.csv", text))
    assert report.format == "message-trace"
    assert data.sightings.iloc[0]["sender_address"] == "a@x.example"


def test_quoted_newlines_and_repeated_headers(tmp_path):
    multi = TRACE_ROW.replace("Hello, world", 'line one\r\nline "two"'.replace('"', '""'))
    text = f"{TRACE_HEADER}\r\n{multi}\r\n{TRACE_HEADER}\r\n{TRACE_ROW}\r\n"
    data, report = load_one(write(tmp_path, "t.csv", text))
    assert data.sightings["subject"].tolist() == ['line one\r\nline "two"', "Hello, world"]
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (3, 2, 1)
    assert codes(report) == ["repeated-header"]
    assert report.issues[0].row == 2


def test_rows_with_wrong_field_counts_are_rejected_with_their_row(tmp_path):
    short = '"11/20/2026 9:00:00 AM","a@x"'
    text = f'{TRACE_HEADER}\r\n{TRACE_ROW}\r\n{short}\r\n{TRACE_ROW},"",""\r\n'
    data, report = load_one(write(tmp_path, "t.csv", text))
    assert len(data.sightings) == 2  # trailing empty fields are tolerated
    assert [(i.code, i.row) for i in report.issues] == [("field-count", 2)]


def test_truncated_file(data_dir):
    data, report = load_one(AWKWARD / "truncated_trace.csv")
    assert (report.rows_read, report.rows_used, report.rows_rejected) == (2, 1, 1)
    issue = report.issues[0]
    assert issue.code == "field-count" and issue.row == 2 and "truncated" in issue.message


def test_empty_file():
    _, report = load_one(AWKWARD / "empty.csv")
    assert report.fatal and codes(report) == ["empty"]
    assert report.rows_read == 0


def test_header_only_file():
    data, report = load_one(AWKWARD / "header_only_trace.csv")
    assert report.format == "message-trace" and not report.fatal
    assert len(data.sightings) == 0 and codes(report) == ["no-rows"]


def test_unknown_csv_names_the_closest_format_and_what_it_lacks(tmp_path):
    _, report = load_one(AWKWARD / "unknown.csv")
    assert report.fatal and report.format is None
    assert "no export format has these columns (Name, Colour, Weight)" in report.issues[0].message
    near = write(tmp_path, "near.csv", '"Received","SenderAddress","Colour"\r\n"x","y","z"\r\n')
    _, report = load_one(near)
    message = report.issues[0].message
    assert "closest is message-trace" in message and "RecipientAddress" in message


def test_utf16le_without_bom_fixture():
    data, report = load_one(AWKWARD / "trace_utf16le_nobom.csv")
    assert report.encoding == "UTF-16LE (no BOM)"
    assert data.sightings.iloc[0]["recipient_address"] == "b@x.example"


def test_bad_file_in_a_batch_does_not_stop_the_others():
    data = o365tls.load([AWKWARD])
    by_name = {Path(r.path).name: r for r in data.inputs}
    assert by_name["unknown.csv"].fatal and by_name["empty.csv"].fatal
    assert by_name["trace_utf16le_nobom.csv"].rows_used == 1
    assert all(r.balanced for r in data.inputs)


def test_decode_error_names_the_flag(tmp_path):
    # The bad bytes come after the 256 KB sample, so the reader meets them mid-stream.
    rows = f"{TRACE_ROW}\r\n" * 4000
    body = f"{TRACE_HEADER}\r\n{rows}".encode() + b'"\xff\xfe",x\r\n' + rows.encode()
    path = tmp_path / "t.csv"
    path.write_bytes(body)
    _, report = load_one(path)
    assert report.encoding == "UTF-8"
    issue = [i for i in report.issues if i.code == "decode-error"]
    assert issue and "--encoding" in issue[0].message
    assert report.rows_used >= 3900  # what came before the bad bytes is kept


def test_zip_archives_are_opened_in_place(tmp_path):
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("week47/trace.csv", f"{TRACE_HEADER}\r\n{TRACE_ROW}\r\n")
        zf.writestr("README.md", "# notes")
    data, report = load_one(archive)
    assert report.path == f"{archive}!week47/trace.csv"
    assert len(data.sightings) == 1


@pytest.mark.parametrize(
    "member, code",
    [
        ("../evil.csv", "unsafe-path"),
        ("/etc/evil.csv", "unsafe-path"),
        ("inner.zip", "nested-archive"),
    ],
)
def test_unsafe_archive_members_are_refused(tmp_path, member, code):
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as zf:
        zf.writestr("x.csv", "a,b\n1,2\n")
    archive = tmp_path / "exports.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(member, inner.read_bytes() if code == "nested-archive" else "a,b\n1,2\n")
    sources, refusals = expand_paths([archive])
    assert sources == []
    assert [r.code for r in refusals] == [code]


def test_decompression_bomb_is_refused(tmp_path):
    archive = tmp_path / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.csv", b"0" * 50_000_000)
    sources, refusals = expand_paths([archive])
    assert sources == [] and refusals[0].code == "decompression-bomb"


def test_folders_skip_documentation_but_named_files_are_read(tmp_path):
    write(tmp_path, "README.md", "# about these exports")
    write(tmp_path, "t.csv", f"{TRACE_HEADER}\r\n{TRACE_ROW}\r\n")
    sources, _ = expand_paths([tmp_path])
    assert [Path(s.display).name for s in sources] == ["t.csv"]
    sources, _ = expand_paths([tmp_path / "README.md"])
    assert len(sources) == 1


def test_detect_encoding_on_short_inputs_never_raises():
    for raw in (b"", b"a", b"\x00", b"\xff\xfe", b"\xfe\xff\x00", b"\xef\xbb\xbf"):
        codec, label = detect_encoding(raw)
        assert codec and label


def test_sample_reads_zip_member(tmp_path):
    archive = tmp_path / "a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("t.csv", f"{TRACE_HEADER}\r\n")
    sample = take_sample(Source("a.zip!t.csv", archive, "t.csv", 10))
    assert sample.has("Received", "SenderAddress")


def test_fast_reader_blocks_parsed_ahead_hand_over_at_the_right_row(tmp_path, monkeypatch):
    """The fast reader parses the next block on another thread while this one is used; when a
    later block has a short row, the tolerant reader takes over at exactly that record, and
    the file reads the same as with the tolerant reader alone."""
    from o365tls.importers import fastcsv

    rows = [TRACE_ROW.replace("9:00:00", f"9:{i // 60:02d}:{i % 60:02d}") for i in range(300)]
    rows[170] = '"11/20/2026 9:02:50 AM","a@x.example"'  # short: the hand-over
    rows[250] = rows[250].replace("Hello, world", "Hello\r\nagain")  # quoted line break
    path = write(tmp_path, "trace.csv", TRACE_HEADER + "\r\n" + "\r\n".join(rows) + "\r\n")
    monkeypatch.setattr(fastcsv, "BLOCK_BYTES", 1024)  # about ten rows a block

    def read() -> tuple:
        data, report = load_one(path)
        return (
            data.sightings.drop(columns="source").to_dict("records"),
            [(i.code, i.row) for i in report.issues],
            report.rows_read,
        )

    fast = read()
    monkeypatch.setattr(fastcsv, "eligible", lambda sample: False)
    assert fast == read()
    assert fast[1] == [("field-count", 171)] and fast[2] == 300


@given(st.text(alphabet="a,\r\n\x0b\x0c\x1c\x85\u2028", max_size=60))
def test_lines_split_on_cr_lf_and_crlf_only(text):
    """Whatever mix of line ends a file has, lines are cut at \\r\\n, \\n or \\r, as
    readline(newline='') cuts them; form feeds, NEL and the Unicode separators stay inside a
    line (str.splitlines would cut there too)."""
    import io

    lines = split_lines(text)
    read = io.StringIO(text, newline="").readlines()
    expected = [line.removesuffix("\n").removesuffix("\r") for line in read]
    if text == "" or text.endswith(("\r", "\n")):
        expected.append("")
    assert lines == expected
    # With a limit, the first lines the same; the rest of the text, unsplit, after them.
    for limit in (1, 2, 5):
        head = split_lines(text, limit)
        assert head[:limit] == expected[:limit]
        assert len(head) == min(limit + 1, len(expected))
        if len(head) > limit:
            assert head[limit] == "".join(read[limit:])


@pytest.mark.parametrize("count", [39, 40, 41, 300])
@pytest.mark.parametrize("end", ["\r\n", "\n", "\r"])
def test_a_sample_holds_its_first_whole_lines_however_its_bytes_are_cut(tmp_path, count, end):
    """The header is looked for in a sample's first 40 lines: those are the sample's lines,
    whole ones only, wherever the sample's bytes stop (at a line end, inside a line, between
    the two bytes of \\r\\n)."""
    lines = [f"name{i},value{i}" for i in range(count)]
    text = end.join(lines) + end
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    for size in range(len(text) - 2 * len(lines[-1]), len(text) + 2):
        sample = take_sample(Source("t.csv", path, size=len(text)), size=size)
        head = text[:size]
        whole = split_lines(head)[:-1]  # the last piece has no line end (or is empty)
        if size >= len(text):  # the whole file: its last line is whole
            whole = lines
        assert list(sample.lines) == whole[:40], size
