"""The registry commands' contract (issue 6), on SQLite and PostgreSQL: names, options, JSON keys,
exit codes, and a refused action as one sentence on stderr."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from repatria.cli.main import app
from repatria.registry.db import get_engine

runner = CliRunner()

USERS = (
    ("ada", "admin"),
    ("ana", "analyst"),
    ("rev", "reviewer"),
    ("rita", "reviewer"),
    ("cas", "case_manager"),
    ("lia", "liaison_officer"),
    ("aud", "auditor"),
)

CLAIMS = (
    "claim_id\treported_on\treported_by\tattributed_to\tsubject\tmeasure\tlow\thigh\tas_of\tbasis"
    "\tverification\n"
    "t1\t2025-01-01\tTest Gazette\tMinistry\tsoldiers\tkilled\t30\t\t2024-12\tbriefing\testimate\n"
    "t2\t2025-02-01\tTest Gazette\tState media\tcoffins shown\trepatriated\t6\t6\t2025\tfootage"
    "\timages\n"
)


#: The decision commands, whose ``--as USER`` must be proven: review and re-association steps.
DECISIONS = {
    "review": ("propose", "confirm", "reject", "revoke", "propose-batch"),
    "bodies": ("propose", "split", "search", "confirm", "reject", "revoke"),
    "policy": ("set",),
}
_tokens: dict[tuple[str, str], str] = {}


def token_of(db: str, name: str) -> str:
    """``name``'s API token from `repatria login NAME --password-stdin` (a password set first)."""
    if (db, name) not in _tokens:
        pw = f"password-of-{name}"
        r = runner.invoke(app, ["users", "password", name, "--password", pw, "--db", db])
        assert r.exit_code == 0, r.stderr
        r = runner.invoke(app, ["login", name, "--password-stdin", "--db", db], input=pw + "\n")
        assert r.exit_code == 0, r.stderr
        _tokens[(db, name)] = r.stdout.strip()
    return _tokens[(db, name)]


def run(db: str, *args: str) -> tuple[int, str, str]:
    """Run a command; a decision's ``--as USER`` carries USER's token (REPATRIA_TOKEN)."""
    env = {}
    if args[1:2] and args[1] in DECISIONS.get(args[0], ()) and "--as" in args:
        env["REPATRIA_TOKEN"] = token_of(db, args[args.index("--as") + 1])
    r = runner.invoke(app, [*args, "--db", db], env=env)
    return r.exit_code, r.stdout, r.stderr


def ok(db: str, *args: str) -> str:
    code, out, err = run(db, *args)
    assert code == 0, (args, out, err)
    return out


def refused(db: str, *args: str, match: str) -> str:
    """A refused action: non-zero exit, nothing on stdout, one sentence on stderr."""
    code, out, err = run(db, *args)
    assert code != 0, (args, out)
    assert out.strip() == ""
    line = " ".join(err.split())
    assert line.startswith("error: ") and match in line, line
    assert "Traceback" not in err
    return line


@pytest.fixture
def cli_db(registry_db: str) -> str:
    for name, role in USERS:
        ok(registry_db, "users", "add", name, "--role", role)
    return registry_db


def test_db_init_is_repeatable_and_users_add_checks_roles(registry_db: str) -> None:
    out = json.loads(ok(registry_db, "db", "init", "--json"))
    assert out["before"] == out["after"]
    assert "already at schema" in ok(registry_db, "db", "init")
    out = json.loads(ok(registry_db, "users", "add", "ada", "--role", "admin", "--json"))
    assert out == {"id": out["id"], "name": "ada", "role": "admin"}
    refused(registry_db, "users", "add", "bob", "--role", "wizard", match="unknown role 'wizard'")
    refused(registry_db, "users", "add", "ada", "--role", "admin", match="already exists")
    ok(registry_db, "users", "add", "ana", "--role", "analyst", "--as", "ada")
    refused(
        registry_db,
        "users",
        "add",
        "eve",
        "--role",
        "admin",
        "--as",
        "ana",
        match="ana is an analyst and may not add users",
    )
    users = json.loads(ok(registry_db, "users", "list", "--json"))["users"]
    assert [u["name"] for u in users] == ["ada", "ana"]


def test_full_path_through_the_commands(cli_db: str, reference_cases: Path, tmp_path: Path) -> None:
    db = cli_db
    # import case: the first time stores, the second says it is a no-op
    case = reference_cases / "example2"
    first = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--json"))
    assert first["already_imported"] is False and first["counts"]["pm_samples"] == 3
    second = json.loads(ok(db, "import", "case", str(case), "--as", "ana", "--json"))
    assert second["already_imported"] is True and second["import_id"] == first["import_id"]
    assert "already imported" in ok(db, "import", "case", str(case), "--as", "ana")
    claims = tmp_path / "claims.tsv"
    claims.write_text(CLAIMS, encoding="utf-8")
    assert "imported 2 claims" in ok(db, "import", "claims", str(claims), "--as", "cas")

    # identify --json: {"run", "candidates": [{"id", "body", "samples", "person", "lr",
    # "posterior", "status", "pm", "missing", "non_dna", "non_dna_log10_lr"}], "changes",
    # "superseded", "conflicts"}
    refused(db, "identify", "--json", match="say who you are with --as USER")
    refused(db, "identify", "--json", "--as", "rev", match="rev is a reviewer and may not")
    result = json.loads(ok(db, "identify", "--json", "--as", "ana"))
    assert set(result) == {"run", "candidates", "changes", "superseded", "conflicts", "rereview"}
    assert isinstance(result["run"], int) and result["superseded"] == 0
    cands = result["candidates"]
    keys = {"id", "body", "samples", "person", "lr", "posterior", "status", "pm", "missing"}
    keys |= {"non_dna", "non_dna_log10_lr"}  # issue 13
    assert cands and all(set(c) == keys and c["status"] == "open" for c in cands)
    assert all(c["why"] == ["the first identification run"] for c in result["changes"])
    best = cands[0]
    other = next(c for c in cands if c["pm"] != best["pm"] and c["missing"] != best["missing"])

    # review: propose, two-person rule, confirm, reject, revoke (the sample families have too
    # few close relatives for the default policy: the analyst and the reviewer override it)
    why = "test data: one close relative; LR beyond doubt"
    ok(db, "review", "propose", str(best["id"]), "--as", "ana", "--override", why)
    refused(db, "review", "confirm", str(best["id"]), "--as", "ana", match="ana is an analyst")
    out = json.loads(
        ok(
            db,
            "review",
            "confirm",
            str(best["id"]),
            "--as",
            "rev",
            "--reason",
            "LR and dental",
            "--override",
            why,
            "--json",
        )
    )
    assert out["kind"] == "confirm" and out["person_status"] == "identified"
    refused(
        db,
        "review",
        "reject",
        str(best["id"]),
        "--as",
        "rita",
        "--reason",
        "late",
        match=f"candidate {best['id']} was already confirmed",
    )
    ok(db, "review", "propose", str(other["id"]), "--as", "ana", "--override", why)
    refused(db, "review", "reject", str(other["id"]), "--as", "rita", match="give the reason")
    ok(
        db,
        "review",
        "reject",
        str(other["id"]),
        "--as",
        "rita",
        "--reason",
        "conflicting dental record",
    )
    refused(
        db,
        "review",
        "revoke",
        str(other["id"]),
        "--as",
        "rev",
        "--reason",
        "x",
        match="no confirmed identification to revoke",
    )

    # custody, notify, repatriate
    remains, person = best["pm"], best["missing"]
    out = json.loads(
        ok(
            db,
            "custody",
            "--event",
            "stored",
            "--remains",
            remains,
            "--to",
            "morgue 2",
            "--location",
            "Kyiv",
            "--on",
            "2025-03-01",
            "--as",
            "cas",
            "--json",
        )
    )
    assert out["event"] == "stored" and len(out["row_hash"]) == 64
    refused(
        db,
        "custody",
        "--event",
        "stored",
        "--remains",
        remains,
        "--as",
        "lia",
        match="may not record custody events",
    )
    refused(
        db,
        "repatriate",
        "--remains",
        remains,
        "--kind",
        "handover",
        "--counterpart",
        "family",
        "--on",
        "2025-04-01",
        "--as",
        "lia",
        match="may not record repatriations",
    )
    out = json.loads(
        ok(
            db,
            "notify",
            person,
            "--recipient",
            "mother",
            "--method",
            "in_person",
            "--on",
            "2025-03-10",
            "--notes",
            "asked for the tag",
            "--as",
            "lia",
            "--json",
        )
    )
    assert out["person_ref"] == person and out["method"] == "in_person"
    refused(
        db,
        "notify",
        other["missing"],
        "--recipient",
        "x",
        "--method",
        "phone",
        "--on",
        "2025-03-10",
        "--as",
        "lia",
        match="no confirmed identification",
    )
    out = json.loads(
        ok(
            db,
            "repatriate",
            "--remains",
            remains,
            "--kind",
            "exchange",
            "--counterpart",
            "Ministry of Defence",
            "--on",
            "2025-04-01",
            "--place",
            "border crossing",
            "--coffin",
            "1",
            "--as",
            "cas",
            "--json",
        )
    )
    assert out["items"] == [[remains, person, "1"]]
    refused(
        db,
        "review",
        "revoke",
        str(best["id"]),
        "--as",
        "rev",
        "--reason",
        "new evidence",
        match="already repatriated",
    )

    # account --json: counts, claims, tables
    acc = json.loads(ok(db, "account", "--json"))
    assert set(acc) == {"individuals", "counts", "claims", "tables"}
    assert set(acc["individuals"]) == {"recovered", "identified", "returned", "buried", "held"}
    assert acc["counts"]["repatriated"] == 1 and acc["counts"]["identified"] == 1
    assert acc["counts"]["notified"] == 1 and acc["counts"]["recovered"] == 3
    assert {c["claim_id"] for c in acc["claims"]} == {"t1", "t2"}
    t2 = next(c for c in acc["claims"] if c["claim_id"] == "t2")
    assert t2["difference"].startswith("not comparable: the claim counts 'coffins shown'")
    assert acc["tables"]["candidate_matches"] == len(cands)
    assert "registry counts" in ok(db, "account")

    # audit verify: intact, then a tampered custody row is named
    out = json.loads(ok(db, "audit", "verify", "--json", "--as", "aud"))
    assert out["ok"] is True and out["first_break"] is None
    refused(db, "audit", "verify", "--as", "ana", match="may not verify the audit chains")
    with get_engine(db).begin() as conn:
        row_id = conn.execute(
            text("SELECT id FROM custody_events WHERE event = 'stored'")
        ).scalar_one()
        # an insider first takes the append-only trigger out of the way
        if conn.dialect.name == "sqlite":
            conn.execute(text("DROP TRIGGER trg_custody_events_append_only_UPDATE"))
        else:
            conn.execute(
                text("ALTER TABLE custody_events DISABLE TRIGGER trg_custody_events_append_only")
            )
        conn.execute(
            text("UPDATE custody_events SET location = 'elsewhere' WHERE id = :i"), {"i": row_id}
        )
    code, out, err = run(db, "audit", "verify", "--as", "aud")
    assert code == 1
    assert f"custody chain broken at custody_events row id {row_id}" in " ".join(err.split())
    assert "BROKEN" in out


def test_import_persons_and_remains_commands(cli_db: str, tmp_path: Path) -> None:
    persons = tmp_path / "persons.tsv"
    persons.write_text(
        "person_ref\tname\tname_script\tname_transliteration\taliases\tsex\tdocuments\n"
        "P-1\t김철수\tHang\tKim Chol-su\tИван Петров|false|Cyrl|Ivan Petrov\tmale\t"
        "military id|RU-1|Russia|Иван Петров|foreign\n",
        encoding="utf-8",
    )
    remains = tmp_path / "remains.tsv"
    remains.write_text(
        "remains_ref\tsite\tcondition\teffects\n"
        "R-1\tfield 3\tburned\ttag|melted tag;notebook|Korean script\n"
        "R-2\tfield 3\tsoggy\t\n",
        encoding="utf-8",
    )
    out = json.loads(ok(cli_db, "import", "persons", str(persons), "--as", "cas", "--json"))
    assert (
        out["rows"] == 1
        and out["already_imported"] is False
        and set(out) >= {"sha256", "import_id"}
    )
    assert "nothing changed" in ok(cli_db, "import", "persons", str(persons), "--as", "cas")
    line = refused(
        cli_db, "import", "remains", str(remains), "--as", "cas", match="remains.tsv line 3"
    )
    assert "field `condition`" in line
    refused(
        cli_db, "import", "persons", str(persons), "--as", "lia", match="may not import persons"
    )
    refused(
        cli_db, "import", "case", str(tmp_path / "nope"), "--as", "ana", match="no such case folder"
    )


def test_users_password_sets_a_login(registry_db: str) -> None:
    from repatria.services.access.auth import login

    ok(registry_db, "users", "add", "ada", "--role", "admin")
    ok(registry_db, "users", "add", "ana", "--role", "analyst", "--as", "ada")
    r = runner.invoke(
        app,
        ["users", "password", "ana", "--db", registry_db],
        input="correct horse battery\ncorrect horse battery\n",
    )
    assert r.exit_code == 0, r.stderr
    assert "correct horse" not in r.stdout  # asked for, never echoed
    assert login(registry_db, "ana", "correct horse battery") is not None
    refused(
        registry_db,
        "users",
        "password",
        "ada",
        "--password",
        "x" * 20,
        "--as",
        "ana",
        match="may not",
    )
    refused(registry_db, "users", "password", "ana", "--password", "short", match="at least")


def test_serve_refuses_an_uninitialised_database(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    code, out, err = run(db, "serve", "--port", "8999")
    assert code != 0 and "not initialised" in err and "repatria db init" in err


def test_role_help_lists_the_registry_roles() -> None:
    from repatria.cli.registry_cmd import ROLES_HELP
    from repatria.registry.models import ROLES

    assert ROLES_HELP.split(", ") == list(ROLES)


def test_a_decision_needs_the_named_users_token(cli_db: str) -> None:
    """`--as` alone does not prove who is deciding; another user's token does not either
    (review steps and re-association steps alike)."""
    db = cli_db
    for env, match in (
        ({}, "to decide as rev, prove it: export REPATRIA_TOKEN=$(repatria login rev)"),
        ({"REPATRIA_TOKEN": token_of(db, "rita")}, "REPATRIA_TOKEN is not a live token of rev"),
        ({"REPATRIA_TOKEN": "not-a-token"}, "REPATRIA_TOKEN is not a live token of rev"),
    ):
        for command in (
            ["review", "confirm", "1"],
            ["bodies", "confirm", "1"],
            ["bodies", "revoke", "1", "--reason", "r"],
        ):
            r = runner.invoke(app, [*command, "--as", "rev", "--db", db], env=env)
            assert r.exit_code == 1 and r.stdout.strip() == ""
            line = " ".join(r.stderr.split())
            assert line.startswith("error: ") and match in line, line
    for command in (
        ["bodies", "propose", "S1", "S2", "--reason", "r"],
        ["bodies", "split", "S1", "--reason", "r"],
    ):
        r = runner.invoke(app, [*command, "--as", "ana", "--db", db], env={})
        assert r.exit_code == 1 and "to decide as ana, prove it" in r.stderr, r.stderr
    r = runner.invoke(app, ["login", "rev", "--password-stdin", "--db", db], input="wrong-one\n")
    assert r.exit_code == 1 and "wrong name or password" in r.stderr
