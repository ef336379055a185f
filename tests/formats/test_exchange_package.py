"""The exchange package format on its own: bytes built, signed, chained and checked (no database).

Every byte of a small package is changed in turn and each change refused; reordered, dropped,
added and spliced records are refused even when the package is signed again with the trusted
key; and every line validates against docs/exchange-package.schema.json.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from repatria.errors import FormatError
from repatria.formats import exchange_package as fmt
from shared_data import PROJECT

SCHEMA = json.loads((PROJECT / "docs" / "exchange-package.schema.json").read_text("utf-8"))

KEY = fmt.generate_key("Agency A")
TRUSTED = {"Agency A": fmt.public_key_hex(KEY.public)}
RECORDS: list[tuple[str, dict[str, object]]] = [
    ("grave", {"ref": "grave-1", "cemetery": "Hill 7", "plot": "B", "number": "12"}),
    ("remains", {"ref": "R-01", "condition": "burned", "status": "recovered", "notes": "ü\nß"}),
    ("custody", {"ref": "custody-1", "event": "received", "remains": "R-01"}),
    (
        "body",
        {"ref": "R-01", "status": "recovered", "parts": [{"remains": "R-01", "sample": None}]},
    ),
]


def _package(records: list[tuple[str, dict[str, object]]] = RECORDS) -> bytes:
    return fmt.build_package(
        records, key=KEY, recipient="ICRC", software={"name": "repatria", "version": "test"}
    )


def _lines(data: bytes) -> list[bytes]:
    return data[:-1].split(b"\n")


def _resign(lines: list[bytes]) -> bytes:
    """Lines (header and records) signed again with the trusted key, as an insider could."""
    return fmt.sign_lines(lines, KEY)


def test_a_package_reads_back_with_its_header_counts_and_chain() -> None:
    pkg = fmt.parse_package(_package(), TRUSTED)
    assert pkg.sender == "Agency A" and pkg.header["recipient"] == "ICRC"
    assert pkg.header["counts"]["grave"] == 1 and pkg.header["records"] == 4
    assert [r["index"] for r in pkg.records] == [0, 1, 2, 3]
    assert pkg.records[0]["prev"] == fmt.genesis(pkg.package_id)
    for before, rec in zip(pkg.hashes, pkg.records[1:], strict=False):
        assert rec["prev"] == before
    assert pkg.hashes[-1] == pkg.header["chain_head"]
    assert pkg.records[1]["data"]["notes"] == "ü\nß"


def test_every_changed_byte_is_refused() -> None:
    data = _package()
    for i in range(len(data)):
        for new in {data[i] ^ 0x01, data[i] ^ 0x20, ord("0")} - {data[i]}:
            changed = bytearray(data)
            changed[i] = new
            with pytest.raises(FormatError):
                fmt.parse_package(bytes(changed), TRUSTED)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_inserted_or_deleted_bytes_are_refused(draw: st.DataObject) -> None:
    data = _package()
    i = draw.draw(st.integers(0, len(data)))
    if draw.draw(st.booleans()) and i < len(data):
        changed = data[:i] + data[i + 1 :]
    else:
        changed = data[:i] + draw.draw(st.binary(min_size=1, max_size=3)) + data[i:]
    with pytest.raises(FormatError):
        fmt.parse_package(changed, TRUSTED)


def test_an_untrusted_signer_or_another_key_is_refused() -> None:
    data = _package()
    with pytest.raises(FormatError, match="not a trusted party"):
        fmt.parse_package(data, {})
    other = fmt.public_key_hex(fmt.generate_key("Agency A").public)
    with pytest.raises(FormatError, match="not the trusted key"):
        fmt.parse_package(data, {"Agency A": other})
    impostor = fmt.generate_key("Agency A")
    forged = fmt.sign_lines(_lines(data)[:-1], impostor)
    with pytest.raises(FormatError, match="not the trusted key"):
        fmt.parse_package(forged, TRUSTED)


def test_reordered_dropped_added_or_spliced_records_are_refused_even_when_signed_again() -> None:
    lines = _lines(_package())
    header, records = lines[0], lines[1:-1]
    assert fmt.parse_package(_resign([header, *records]), TRUSTED)
    swapped = [header, records[1], records[0], *records[2:]]
    with pytest.raises(FormatError, match="reordered"):
        fmt.parse_package(_resign(swapped), TRUSTED)
    with pytest.raises(FormatError, match="reordered, dropped"):
        fmt.parse_package(_resign([header, records[0], *records[2:]]), TRUSTED)
    with pytest.raises(FormatError, match="dropped or added"):
        fmt.parse_package(_resign([header, *records[:-1]]), TRUSTED)
    with pytest.raises(FormatError, match="dropped or added"):
        fmt.parse_package(_resign([header, *records, records[-1]]), TRUSTED)
    # A record of another package, at the right index, breaks the chain.
    other = _lines(_package())
    with pytest.raises(FormatError, match="chain is broken"):
        fmt.parse_package(_resign([header, other[1], *records[1:]]), TRUSTED)
    # A record whose data was edited and the header left alone.
    edited = records[1].replace(b"burned", b"intact")
    with pytest.raises(FormatError, match="chain is broken|not at the header's head"):
        fmt.parse_package(_resign([header, records[0], edited, *records[2:]]), TRUSTED)


def test_a_cut_file_or_a_missing_field_names_the_line() -> None:
    data = _package()
    with pytest.raises(FormatError, match="cut short"):
        fmt.parse_package(data[:-1], TRUSTED)
    lines = _lines(data)
    rec = json.loads(lines[1])
    del rec["data"]["cemetery"]
    bad = json.dumps(rec).encode()
    with pytest.raises(FormatError, match=r"line 2 field `data.cemetery`"):
        fmt.parse_package(_resign([lines[0], bad, *lines[2:-1]]), TRUSTED)


def test_every_line_validates_against_the_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(SCHEMA)
    lines = [json.loads(line) for line in _lines(_package())]
    for obj in lines:
        validator.validate(obj)
    assert lines[0]["kind"] == "header" and lines[-1]["kind"] == "signature"


def test_the_schema_refuses_a_name_beside_a_profile() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    profile = {
        "kind": "record",
        "index": 0,
        "type": "profile",
        "prev": "0" * 64,
        "data": {
            "ref": "ref-" + "a" * 20,
            "kind": "reference",
            "family": "fam-" + "b" * 20,
            "relationship_to_mp": "mother",
            "kit": None,
            "quality": None,
            "genotypes": {"TH01": ["6", "9.3"]},
        },
    }
    validator.validate(profile)
    profile["data"]["donor_name"] = "Kim Young-hee"  # type: ignore[index]
    assert not validator.is_valid(profile)


def test_keys_are_written_0600_read_back_and_never_overwritten(tmp_path: Path) -> None:
    private, public = fmt.write_key_pair(KEY, tmp_path)
    assert private.name == "Agency-A.key" and os.stat(private).st_mode & 0o777 == 0o600
    assert fmt.read_private_key(private).party == "Agency A"
    assert fmt.public_key_hex(fmt.read_public_key(public).public) == TRUSTED["Agency A"]
    with pytest.raises(FormatError, match="never overwritten"):
        fmt.write_key_pair(KEY, tmp_path)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_the_signature_verifies_by_hand_with_openssl(tmp_path: Path) -> None:
    """docs/exchange.md: the signed bytes are the file before its last line."""
    _, public = fmt.write_key_pair(KEY, tmp_path)
    data = _package()
    last = data[:-1].rsplit(b"\n", 1)[1]
    (tmp_path / "signed.bin").write_bytes(data[: len(data) - len(last) - 1])
    (tmp_path / "sig.bin").write_bytes(bytes.fromhex(json.loads(last)["value"]))
    argv = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", str(public), "-rawin"]
    argv += ["-in", str(tmp_path / "signed.bin"), "-sigfile", str(tmp_path / "sig.bin")]
    ok = subprocess.run(argv, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    (tmp_path / "signed.bin").write_bytes(data[:10] + b"X" + data[11 : len(data) - len(last) - 1])
    assert subprocess.run(argv, capture_output=True).returncode != 0


_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(fmt.RECORD_TYPES),
            st.dictionaries(st.sampled_from(["notes", "site", "x"]), _text, max_size=3),
        ),
        max_size=6,
    ),
    st.one_of(st.none(), _text.filter(bool)),
)
def test_any_records_read_back_as_written(
    records: list[tuple[str, dict[str, str]]], recipient: str | None
) -> None:
    full = [
        (kind, {**{f: "v" for f in fmt.REQUIRED_FIELDS[kind]}, **data, "ref": f"r{i}"})
        for i, (kind, data) in enumerate(records)
    ]
    data = fmt.build_package(full, key=KEY, recipient=recipient, software={"name": "t"})
    pkg = fmt.parse_package(data, TRUSTED)
    assert [(r["type"], r["data"]) for r in pkg.records] == full
    assert pkg.header["recipient"] == recipient and pkg.header["records"] == len(full)
