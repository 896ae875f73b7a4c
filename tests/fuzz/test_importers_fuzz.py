"""Every importer against mutated, generated and random inputs (see tests/fuzz/__init__.py for
what is asserted and how to run a long exploration)."""

from __future__ import annotations

import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.harness import (
    all_fixtures,
    check_load,
    fixtures,
    format_names,
    fuzz_settings,
)
from tests.fuzz.strategies import (
    FORCED_ENCODINGS,
    generated,
    json_mutated,
    load_fixture,
    mutated,
)

pytestmark = pytest.mark.slow  # hundreds of generated files per test

FORMATS = format_names()
APIS = st.sampled_from(("load", "load", "load", "inspect"))


def test_every_format_has_real_shaped_fixtures():
    missing = [name for name in FORMATS if not fixtures(name)]
    assert not missing, f"formats without fixtures in tests/data/<format>/: {missing}"


@pytest.mark.parametrize("path", all_fixtures(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixtures_themselves_are_sound(path):
    check_load(path)


@pytest.mark.parametrize("name", FORMATS)
@fuzz_settings(20)
@given(data=st.data())
def test_mutated_fixtures(name, data, write_input):
    fixture = load_fixture(data.draw(st.sampled_from(fixtures(name)), label="fixture"))
    path = write_input(data.draw(mutated(fixture), label="bytes"))
    encoding = data.draw(st.sampled_from(FORCED_ENCODINGS), label="encoding")
    api = data.draw(APIS, label="api")
    check_load(path, encoding=encoding, api=api)
    check_load(path, format=name, encoding=encoding, api=api)


@pytest.mark.parametrize("name", FORMATS)
@fuzz_settings(12)
@given(data=st.data())
def test_generated_rows_under_real_headers(name, data, write_input):
    texts = [p for p in fixtures(name) if load_fixture(p).header]
    if not texts:
        pytest.skip(f"{name} has no delimited-text fixture")
    fixture = load_fixture(data.draw(st.sampled_from(texts), label="fixture"))
    path = write_input(data.draw(generated(fixture), label="bytes"))
    check_load(path)
    check_load(path, format=name)


JSON_FIXTURES = [(name, p) for name in FORMATS for p in fixtures(name) if p.suffix == ".json"]


@fuzz_settings(25)
@given(data=st.data())
def test_json_exports_with_random_values(data, write_input):
    name, source = data.draw(st.sampled_from(JSON_FIXTURES), label="fixture")
    path = write_input(data.draw(json_mutated(load_fixture(source)), label="bytes"))
    check_load(path)
    check_load(path, format=name)


@fuzz_settings(60)
@given(
    raw=st.one_of(
        st.binary(max_size=4096),
        st.text(max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.text(max_size=1024).map(lambda t: t.encode("utf-16", "surrogatepass")),
    ),
    name=st.sampled_from([None, *FORMATS]),
    encoding=st.sampled_from(FORCED_ENCODINGS),
)
def test_random_bytes(raw, name, encoding, write_input):
    check_load(write_input(raw), format=name, encoding=encoding)


@fuzz_settings(15)
@given(data=st.data())
def test_several_mutated_files_in_one_load(data, fuzz_dir):
    """Files read together share state (protocol-log sessions span files; formats finish()
    after the last file): hostile neighbours must not break each other's accounting."""
    chosen = data.draw(
        st.lists(st.sampled_from(all_fixtures()), min_size=2, max_size=4), label="fixtures"
    )
    folder = fuzz_dir / "folder"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for i, source in enumerate(chosen):
        fixture = load_fixture(source)
        (folder / f"{i}-{source.name}").write_bytes(data.draw(mutated(fixture, max_run=2000)))
    data_set = check_load(folder)
    assert len(data_set.inputs) == len(chosen)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-le", "utf-16-be", "cp1252"])
@pytest.mark.parametrize("name", FORMATS)
def test_every_fixture_read_in_a_wrong_encoding(name, encoding):
    """UTF-16 read as UTF-8 and the other way round: refused or read, never a crash."""
    for path in fixtures(name):
        check_load(path, encoding=encoding)
        check_load(path, format=name, encoding=encoding)


@fuzz_settings(25)
@given(data=st.data())
def test_damaged_zip_archives(data, write_input):
    """PATH may be a .zip of exports: a damaged download (bad CRC, corrupt deflate stream,
    mangled headers, an 'encrypted' flag, a cut) is refused or read, member by member."""
    import io
    import zipfile

    chosen = data.draw(
        st.lists(st.sampled_from(all_fixtures()), min_size=1, max_size=3, unique=True),
        label="fixtures",
    )
    method = data.draw(st.sampled_from((zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for source in chosen:
            archive.writestr(f"{source.parent.name}/{source.name}", source.read_bytes())
    raw = bytearray(buffer.getvalue())
    for _ in range(data.draw(st.integers(1, 4), label="flips")):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] ^= 1 << data.draw(st.integers(0, 7))
    if data.draw(st.booleans(), label="cut"):
        raw = raw[: data.draw(st.integers(0, len(raw)))]
    check_load(write_input(bytes(raw), "exports.zip"))
