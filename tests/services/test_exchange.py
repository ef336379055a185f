"""Exchange packages between registries (SQLite and PostgreSQL): the demo scenario exported and
imported into a fresh registry with every count equal; tampered, untrusted, reordered and
repeated packages refused with nothing written; what may and may not leave the registry."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
from sqlalchemy import func, select

from registry_db_fixtures import _pg_admin
from repatria.errors import FormatError, PermissionDeniedError, ServiceError
from repatria.formats import exchange_package as fmt
from repatria.registry.db import dispose_engines, session_scope
from repatria.registry.models import (
    AuditEvent,
    Body,
    BodyPart,
    CustodyEvent,
    Disposition,
    Donor,
    ExchangePackage,
    ExchangeRecord,
    Grave,
    Person,
    Profile,
    Remains,
    Sample,
)
from repatria.registry.review_state import live_confirmations
from repatria.services.access.audit import verify_chains
from repatria.services.access.users import add_user
from repatria.services.workflows import exchange, exchange_import, repatriation
from repatria.services.workflows.consent import withdraw_consent
from repatria.services.workflows.demo_scenario import load_demo
from repatria.services.workflows.setup import init_database
from shared_data import PROJECT


@dataclass(frozen=True)
class Sent:
    db: str
    package: Path
    summary: exchange.ExportSummary
    key: exchange.KeyPair
    shared_donors: tuple[str, ...]
    withheld_donors: tuple[str, ...]


@pytest.fixture
def fresh_db(registry_db: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second, empty registry on the same kind of database, with an admin and a case manager."""
    if registry_db.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "fresh.sqlite")
        cleanup = None
    else:
        server = registry_db.rsplit("/", 1)[0]
        template = request.getfixturevalue("postgres_template")
        name = f"t_{uuid.uuid4().hex[:12]}"
        _pg_admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
        url, cleanup = f"{server}/{name}", (server, name)
    init_database(url)
    add_user(url, "ada", "admin")
    add_user(url, "cas", "case_manager", actor="ada")
    add_user(url, "ana", "analyst", actor="ada")
    yield url
    dispose_engines()
    if cleanup:
        _pg_admin(cleanup[0], f"DROP DATABASE IF EXISTS {cleanup[1]} WITH (FORCE)")


@pytest.fixture
def sent(registry_db: str, tmp_path: Path) -> Sent:
    """The demo scenario, one body buried in a numbered grave, sharing consents, exported."""
    s = load_demo(registry_db)
    remains_ref, _ = s.confirmed[-1]  # identified, not yet notified: buried here
    repatriation.dispose(
        registry_db,
        remains_ref,
        actor="cas",
        kind="burial",
        occurred_on="2025-04-11",
        reason="the family asked for burial here",
        without_notification="the family asked for burial here before the formal notification",
        cemetery="Hill 7 cemetery",
        plot="B",
        grave="12",
    )
    with session_scope(registry_db) as session:
        donors = list(session.execute(select(Donor.ref).order_by(Donor.id)).scalars())
    any_party, icrc_only, other_only, withdrawn = donors[:4]
    exchange.record_sharing_consent(registry_db, any_party, actor="lia", given_on="2025-01-20")
    exchange.record_sharing_consent(
        registry_db, icrc_only, actor="cas", given_on="2025-01-21", party="ICRC"
    )
    exchange.record_sharing_consent(
        registry_db, other_only, actor="cas", given_on="2025-01-21", party="Other Party"
    )
    exchange.record_sharing_consent(registry_db, withdrawn, actor="cas", given_on="2025-01-21")
    withdraw_consent(registry_db, withdrawn, actor="cas", reason="by letter")
    key = exchange.keygen("Agency A", tmp_path / "keys")
    out = tmp_path / "to-icrc.jsonl"
    summary = exchange.export_package(
        registry_db, out, actor="cas", recipient="ICRC", key_file=key.private_key
    )
    return Sent(registry_db, out, summary, key, (any_party, icrc_only), (other_only, withdrawn))


def _expected_counts(db: str, shared_donors: tuple[str, ...]) -> dict[str, int]:
    """The sender's records counted straight from its tables (an oracle, not the exporter)."""
    with session_scope(db) as s:
        live = s.execute(live_confirmations()).all()
        identified = {c.body_id for _, c in live}
        current_parts = select(BodyPart).where(BodyPart.ended_by.is_(None))
        parts = s.execute(current_parts).scalars().all()
        body_of = {p.sample_id: p.body_id for p in parts if p.sample_id}
        pm = [
            p
            for p, smp in s.execute(
                select(Profile, Sample).join(Sample, Sample.id == Profile.sample_id)
            ).all()
            if smp.kind == "pm" and body_of.get(smp.id) not in (None, *identified)
        ]
        refs = s.execute(
            select(func.count())
            .select_from(Profile)
            .join(Sample, Sample.id == Profile.sample_id)
            .join(Donor, Donor.id == Sample.donor_id)
            .where(Donor.ref.in_(shared_donors))
        ).scalar_one()
        pm_ids = select(Sample.id).where(Sample.kind == "pm")
        return {
            "grave": s.execute(select(func.count()).select_from(Grave)).scalar_one(),
            "person": s.execute(select(func.count()).select_from(Person)).scalar_one(),
            "remains": s.execute(select(func.count()).select_from(Remains)).scalar_one(),
            "body": len({p.body_id for p in parts}),
            "custody": s.execute(
                select(func.count())
                .select_from(CustodyEvent)
                .where(CustodyEvent.remains_id.is_not(None) | CustodyEvent.sample_id.in_(pm_ids))
            ).scalar_one(),
            "disposition": s.execute(select(func.count()).select_from(Disposition)).scalar_one(),
            "identification": len(live),
            "profile": len(pm) + refs,
        }


def _written(db: str) -> tuple[int, int, int]:
    with session_scope(db) as s:
        return tuple(  # type: ignore[return-value]
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (ExchangePackage, ExchangeRecord, AuditEvent)
        )


def test_an_export_imports_into_a_fresh_registry_with_every_count_equal(
    sent: Sent, fresh_db: str
) -> None:
    expected = _expected_counts(sent.db, sent.shared_donors)
    assert expected["grave"] == 1 and expected["identification"] >= 1 and expected["profile"] > 2
    assert sent.summary.counts == expected
    exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    got = exchange_import.import_package(fresh_db, sent.package, actor="cas")
    assert got.counts == expected and got.new_versions == 0
    assert exchange_import.received_counts(fresh_db) == expected
    assert exchange_import.received_counts(fresh_db, "Agency A") == expected
    assert exchange_import.received_counts(fresh_db, "Nobody") == dict.fromkeys(expected, 0)
    rows = exchange_import.received_records(fresh_db, actor="cas")
    assert [r["record_index"] for r in rows] == list(range(sum(expected.values())))
    assert {(r["party"], r["package_id"]) for r in rows} == {("Agency A", got.package_id)}
    # The receiving registry's own records and chains are untouched.
    with session_scope(fresh_db) as s:
        assert s.execute(select(func.count()).select_from(Body)).scalar_one() == 0
    assert verify_chains(fresh_db).ok


def test_a_second_import_of_the_same_package_is_refused_and_writes_nothing(
    sent: Sent, fresh_db: str
) -> None:
    exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    exchange_import.import_package(fresh_db, sent.package, actor="cas")
    before = _written(fresh_db)
    with pytest.raises(ServiceError, match="already imported on .* by cas; nothing imported"):
        exchange_import.import_package(fresh_db, sent.package, actor="cas")
    assert _written(fresh_db) == before


@pytest.mark.parametrize("where", ["header", "record", "profile", "signature", "end"])
def test_a_changed_byte_is_refused_and_nothing_is_written(
    sent: Sent, fresh_db: str, tmp_path: Path, where: str
) -> None:
    exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    data = bytearray(sent.package.read_bytes())
    lines = bytes(data).split(b"\n")
    offset = {
        "header": 40,
        "record": len(lines[0]) + 1 + len(lines[1]) // 2,
        "profile": bytes(data).rindex(b'"genotypes"') + 20,
        "signature": len(data) - 30,
        "end": len(data) - 1,
    }[where]
    data[offset] ^= 0x01
    bad = tmp_path / "changed.jsonl"
    bad.write_bytes(bytes(data))
    before = _written(fresh_db)
    with pytest.raises(FormatError):
        exchange_import.import_package(fresh_db, bad, actor="cas")
    assert _written(fresh_db) == before


def test_an_untrusted_signer_is_refused(sent: Sent, fresh_db: str, tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="not a trusted party"):
        exchange_import.import_package(fresh_db, sent.package, actor="cas")
    impostor = exchange.keygen("Agency A", tmp_path / "impostor")
    exchange.trust_party(fresh_db, "Agency A", impostor.public_key, actor="ada")
    with pytest.raises(FormatError, match="not the trusted key of 'Agency A'"):
        exchange_import.import_package(fresh_db, sent.package, actor="cas")
    assert _written(fresh_db)[:2] == (0, 0)


def test_a_reordered_or_dropped_record_is_refused_even_signed_again(
    sent: Sent, fresh_db: str, tmp_path: Path
) -> None:
    exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    key = fmt.read_private_key(sent.key.private_key)
    lines = sent.package.read_bytes()[:-1].split(b"\n")[:-1]
    for name, tampered, why in (
        ("reordered", [lines[0], lines[2], lines[1], *lines[3:]], "reordered"),
        ("dropped", [lines[0], *lines[1:5], *lines[6:]], "dropped"),
        ("dropped-last", lines[:-1], "dropped"),
    ):
        bad = tmp_path / f"{name}.jsonl"
        bad.write_bytes(fmt.sign_lines(tampered, key))
        with pytest.raises(FormatError, match=why):
            exchange_import.import_package(fresh_db, bad, actor="cas")
    assert _written(fresh_db)[:2] == (0, 0)


def test_the_export_validates_against_the_schema(sent: Sent) -> None:
    schema = json.loads((PROJECT / "docs" / "exchange-package.schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    lines = [json.loads(x) for x in sent.package.read_text("utf-8").splitlines()]
    for obj in lines:
        validator.validate(obj)
    assert {obj.get("type") for obj in lines[1:-1]} == set(fmt.RECORD_TYPES)


def test_what_leaves_the_registry_and_what_never_does(sent: Sent) -> None:
    text = sent.package.read_text("utf-8")
    records = [json.loads(x) for x in text.splitlines()[1:-1]]
    profiles = [r["data"] for r in records if r["type"] == "profile"]
    with session_scope(sent.db) as s:
        donors = s.execute(select(Donor)).scalars().all()
        samples = {
            x.ref for x in s.execute(select(Sample).where(Sample.kind == "reference")).scalars()
        }
    # Only persons' records carry names (a missing soldier may share his father's name).
    not_persons = json.dumps([r for r in records if r["type"] != "person"], ensure_ascii=False)
    for d in donors:
        assert d.ref not in text  # donors and their samples are never named
        assert d.name is None or d.name not in not_persons  # nor the families, by name
    assert not any(f'"{ref}"' in text for ref in samples)
    for word in ("argon2", "password", "token", "login", "sensitive_notes"):
        assert word not in text
    references = [p for p in profiles if p["kind"] == "reference"]
    assert len(references) == 2  # the two donors who consented to sharing with the ICRC
    assert all(set(p) >= {"family", "relationship_to_mp"} and "body" not in p for p in references)
    identified = {r["data"]["body"] for r in records if r["type"] == "identification"}
    assert identified and all(p["body"] not in identified for p in profiles if p["kind"] == "pm")
    assert all(p["ref"].startswith(("pm-", "ref-")) for p in profiles)
    ident = next(r["data"] for r in records if r["type"] == "identification")
    assert ident["run"]["software_version"].startswith("repatria")
    assert "inputs" not in ident["run"]["parameters"]
    assert ident["run"]["frequency_table"]["version"] >= 1  # the exact table the run read
    assert {
        "log10_lr",
        "posterior",
        "posterior_lower",
        "conclusion",
        "references",
        "policy_version",
    } <= set(ident["evidence"])
    assert all("donor" not in r for r in ident["evidence"]["references"])


def test_pseudonyms_are_stable_for_one_recipient_and_differ_between_recipients(
    sent: Sent, tmp_path: Path
) -> None:
    def profile_refs(recipient: str | None, name: str) -> set[str]:
        out = tmp_path / name
        exchange.export_package(
            sent.db, out, actor="cas", recipient=recipient, key_file=sent.key.private_key
        )
        return {
            json.loads(x)["data"]["ref"]
            for x in out.read_text("utf-8").splitlines()[1:-1]
            if json.loads(x)["type"] == "profile"
        }

    first = {
        json.loads(x)["data"]["ref"]
        for x in sent.package.read_text("utf-8").splitlines()[1:-1]
        if json.loads(x)["type"] == "profile"
    }
    assert profile_refs("ICRC", "again.jsonl") == first
    assert not profile_refs("Other Party", "other.jsonl") & first
    with pytest.raises(ServiceError, match="never overwritten"):
        profile_refs("ICRC", "again.jsonl")


def test_a_later_package_from_the_same_party_adds_newer_versions(
    sent: Sent, fresh_db: str, tmp_path: Path
) -> None:
    exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    exchange_import.import_package(fresh_db, sent.package, actor="cas")
    later = tmp_path / "later.jsonl"
    exchange.export_package(
        sent.db, later, actor="cas", recipient="ICRC", key_file=sent.key.private_key
    )
    got = exchange_import.import_package(fresh_db, later, actor="cas")
    assert got.new_versions == got.records
    assert exchange_import.received_counts(fresh_db) == sent.summary.counts


def test_keys_parties_and_roles(sent: Sent, fresh_db: str, tmp_path: Path) -> None:
    with pytest.raises(PermissionDeniedError, match="admin"):
        exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="cas")
    first = exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    again = exchange.trust_party(fresh_db, "Agency A", sent.key.public_key, actor="ada")
    assert not first.already and again.already
    impostor = exchange.keygen("Agency A", tmp_path / "impostor")
    with pytest.raises(ServiceError, match="already trusted with another key"):
        exchange.trust_party(fresh_db, "Agency A", impostor.public_key, actor="ada")
    other = exchange.keygen("Partner Lab", tmp_path / "lab")
    with pytest.raises(ServiceError, match="is the key of 'Partner Lab'"):
        exchange.trust_party(fresh_db, "Someone", other.public_key, actor="ada")
    assert [p.name for p in exchange.list_parties(fresh_db)] == ["Agency A"]
    with pytest.raises(PermissionDeniedError):
        exchange_import.import_package(fresh_db, sent.package, actor="ana")
    with pytest.raises(PermissionDeniedError):
        exchange.export_package(
            sent.db, tmp_path / "x.jsonl", actor="ana", key_file=sent.key.private_key
        )
    assert not (tmp_path / "x.jsonl").exists()
    with session_scope(fresh_db) as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert "exchange.trust" in actions
    with session_scope(sent.db) as s:
        actions = set(s.execute(select(AuditEvent.action)).scalars())
    assert {"exchange.export", "exchange.consent"} <= actions


def test_an_export_needs_the_senders_key(sent: Sent, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv(exchange.KEY_ENV, raising=False)
    with pytest.raises(ServiceError, match="REPATRIA_EXCHANGE_KEY"):
        exchange.export_package(sent.db, tmp_path / "y.jsonl", actor="cas")
    monkeypatch.setenv(exchange.KEY_ENV, sent.key.private_key)
    assert exchange.export_package(sent.db, tmp_path / "y.jsonl", actor="cas").recipient is None
