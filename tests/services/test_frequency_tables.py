"""Frequency tables imported and versioned in the registry; runs record the version they read.

On SQLite and PostgreSQL (issue 17, deliver 4).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from exchange_case import ALLELES, MARKERS, write_case
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from repatria.errors import FormatError, NotFoundError, PermissionDeniedError, ServiceError
from repatria.formats.frequency_resource import parse_frequency_resource
from repatria.registry.db import session_scope
from repatria.registry.models import AuditEvent, FrequencyTable, IdentificationRun
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.frequency_tables import (
    import_frequencies,
    list_frequency_tables,
    show_frequency_table,
    stored_rows,
)
from repatria.services.workflows.identify import identify

LAB = Path(__file__).resolve().parents[1] / "formats" / "data" / "lab"


def _table_file(path: Path, skew: float) -> Path:
    """The case's twelve markers with non-uniform frequencies (``skew`` 0: the case's own)."""
    rows = ["marker\tallele\tfrequency"]
    weights = [1 + skew * k for k in range(len(ALLELES))]
    for m in MARKERS:
        for a, w in zip(ALLELES, weights, strict=True):
            rows.append(f"{m}\t{a}\t{w / sum(weights):.6f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def _run(db: str, run: int) -> IdentificationRun:
    with session_scope(db) as s:
        r = s.get(IdentificationRun, run)
        assert r is not None
        return r


def _table(db: str, table_id: int | None) -> FrequencyTable:
    with session_scope(db) as s:
        t = s.get(FrequencyTable, table_id)
        assert t is not None
        return t


def test_import_version_and_no_op(db: str, tmp_path: Path) -> None:
    first = import_frequencies(
        db, LAB / "freq_famlinkx_long.csv", name="south", source="made up, N=100", actor="ana"
    )
    t = first.table
    assert not first.unchanged and (t.name, t.version, t.origin) == ("south", 1, "import")
    assert (t.markers, t.alleles, t.supersedes, t.imported_by) == (2, 5, None, "ana")
    assert t.layout == "long" and t.filename == "freq_famlinkx_long.csv" and t.source
    assert first.renamed_markers == {"PentaD": "Penta D"}
    # The same content again, and in Familias' and the ladder layouts: no-ops.
    for f in ("freq_famlinkx_long.csv", "freq_familias_list.txt", "freq_ladder.txt"):
        again = import_frequencies(db, LAB / f, name="south", source="again", actor="cas")
        assert again.unchanged and again.table.version == 1 and again.table.sha256 == t.sha256
        assert "already holds this content" in again.message
    # Changed content: version 2, superseding version 1, which stays.
    changed = tmp_path / "south2.csv"
    changed.write_text(
        (LAB / "freq_famlinkx_long.csv").read_text().replace("0.35", "0.30").replace("0.5", "0.55")
    )
    second = import_frequencies(db, changed, name="south", source="2026 update", actor="ana")
    assert not second.unchanged and second.table.version == 2
    assert second.table.supersedes == t.id and second.table.sha256 != t.sha256
    listed = [(x.name, x.version, x.current) for x in list_frequency_tables(db)]
    assert listed == [("south", 1, False), ("south", 2, True)]
    assert show_frequency_table(db, "south").frequencies == {
        "D8S1179": {"12": 0.15, "13": 0.3, "14": 0.55},
        "Penta D": {"9": 0.2, "12": 0.8},
    }
    old = show_frequency_table(db, "south", 1)
    assert old.version == 1 and old.frequencies is not None
    assert old.frequencies["D8S1179"]["13"] == 0.35
    with session_scope(db) as s:
        events = s.execute(
            select(AuditEvent).where(AuditEvent.action == "frequencies.import")
        ).scalars()
        assert [(e.user_name, e.detail["version"]) for e in events] == [("ana", 1), ("ana", 2)]


def test_refusals(db: str, tmp_path: Path) -> None:
    f = LAB / "freq_famlinkx_long.csv"
    with pytest.raises(PermissionDeniedError):
        import_frequencies(db, f, name="x", source="s", actor="rev")
    with pytest.raises(ServiceError, match="--source"):
        import_frequencies(db, f, name="x", source=" ", actor="ana")
    with pytest.raises(ServiceError, match="without @"):
        import_frequencies(db, f, name="x@2", source="s", actor="ana")
    bad = tmp_path / "bad.tsv"
    bad.write_text("marker\tallele\tfrequency\nvWA\t16\t0.5\nvWA\t17\tnone\n")
    with pytest.raises(FormatError) as e:
        import_frequencies(db, bad, name="x", source="s", actor="ana")
    assert (e.value.line, e.value.field) == (3, "frequency")
    with pytest.raises(NotFoundError):
        show_frequency_table(db, "x")
    with session_scope(db) as s:
        assert s.execute(select(func.count()).select_from(FrequencyTable)).scalar_one() == 0


def test_runs_record_the_table_version_and_identify_takes_a_named_table(
    db: str, tmp_path: Path
) -> None:
    import_case(db, write_case(tmp_path / "case"), actor="ana")
    default = identify(db, actor="ana")
    case_table = _run(db, default.run).frequency_table_id
    assert _table(db, case_table).origin == "case"
    # A table imported on its own does not change a run that does not ask for it.
    import_frequencies(
        db, _table_file(tmp_path / "t1.tsv", 0.5), name="pop", source="test", actor="ana"
    )
    again = identify(db, actor="ana")
    assert _run(db, again.run).frequency_table_id == case_table
    assert [(c.body, c.person, c.lr) for c in again.candidates] == [
        (c.body, c.person, c.lr) for c in default.candidates
    ]
    assert again.changes == []
    # The same frequencies as the case's, as a named table: the same numbers.
    import_frequencies(
        db, _table_file(tmp_path / "flat.tsv", 0.0), name="flat", source="test", actor="ana"
    )
    flat = identify(db, actor="ana", frequency_table="flat")
    for c, d in zip(flat.candidates, default.candidates, strict=True):
        assert (c.body, c.person) == (d.body, d.person) and math.isclose(c.lr, d.lr, rel_tol=1e-9)
    # Another table: its version on record, other LRs, and the change says why.
    named = identify(db, actor="ana", frequency_table="pop")
    run = _run(db, named.run)
    t1 = _table(db, run.frequency_table_id)
    assert (t1.name, t1.version) == ("pop", 1)
    assert run.parameters["frequency_table"] == {
        "id": t1.id,
        "name": "pop",
        "version": 1,
        "label": "pop@1",
        "origin": "import",
        "sha256": t1.sha256,
    }
    assert named.frequency_table == "pop"
    assert [c.lr for c in named.candidates] != [c.lr for c in default.candidates]
    assert named.changes and all(
        any(w.startswith("other frequency table: pop version 1 (was flat") for w in ch["why"])
        for ch in named.changes
    )
    # Version 2 of the table: the newest by default, version 1 on request.
    import_frequencies(
        db, _table_file(tmp_path / "t2.tsv", 0.9), name="pop", source="test v2", actor="ana"
    )
    v2 = identify(db, actor="ana", frequency_table="pop")
    assert _table(db, _run(db, v2.run).frequency_table_id).version == 2
    assert v2.changes and all(
        "other frequency table: pop version 2 (was pop version 1)" in ch["why"] for ch in v2.changes
    )
    v1 = identify(db, actor="ana", frequency_table="pop@1")
    assert _run(db, v1.run).frequency_table_id == t1.id
    assert [c.lr for c in v1.candidates] == [c.lr for c in named.candidates]
    with pytest.raises(NotFoundError, match="version 7"):
        identify(db, actor="ana", frequency_table="pop@7")
    listed = {(x.name, x.version): x.runs for x in list_frequency_tables(db)}
    assert listed[("pop", 1)] == 2 and listed[("pop", 2)] == 1 and listed[("flat", 1)] == 1


def test_a_case_table_name_cannot_be_taken(db: str, tmp_path: Path) -> None:
    import_case(db, write_case(tmp_path / "case"), actor="ana")
    (case_table,) = list_frequency_tables(db)
    assert case_table.origin == "case" and case_table.label == case_table.name
    with pytest.raises(ServiceError, match="a case's own markers"):
        import_frequencies(
            db, _table_file(tmp_path / "t.tsv", 0.1), name=case_table.name, source="s", actor="ana"
        )


@settings(max_examples=40, deadline=None)
@given(
    tables=st.dictionaries(
        st.sampled_from(["D8S1179", "vWA", "TH01", "FGA", "D21S11"]),
        st.lists(st.integers(min_value=1, max_value=50), min_size=1, max_size=6),
        min_size=1,
    ),
    seed=st.randoms(use_true_random=False),
)
def test_the_content_digest_is_the_content_not_the_layout_or_order(tables, seed) -> None:
    # Property: the same frequencies written long or as Familias' list, markers and alleles in
    # any order, give one digest; changing one frequency changes it.
    freqs = {}
    for m, weights in tables.items():
        total = sum(weights)
        freqs[m] = {str(8 + k): w / total for k, w in enumerate(weights)}

    def long_text(order: list[str]) -> bytes:
        rows = ["marker\tallele\tfrequency"]
        for m in order:
            items = list(freqs[m].items())
            seed.shuffle(items)
            rows += [f"{m}\t{a}\t{f!r}" for a, f in items]
        return ("\n".join(rows) + "\n").encode()

    def list_text(order: list[str]) -> bytes:
        blocks = ["\n".join([m] + [f"{a}\t{f!r}" for a, f in freqs[m].items()]) for m in order]
        return ("\n\n".join(blocks) + "\n").encode()

    order = list(freqs)
    shuffled = order[:]
    seed.shuffle(shuffled)
    digests = {
        stored_rows(parse_frequency_resource(text, "t.txt", layout=layout))[1]
        for text, layout in (
            (long_text(order), "long"),
            (long_text(shuffled), "long"),
            (list_text(shuffled), "list"),
        )
    }
    assert len(digests) == 1
    m = order[0]
    if len(freqs[m]) > 1:
        a, b = list(freqs[m])[:2]
        fa, fb = freqs[m][a], freqs[m][b]
        if abs(fa - fb) > 1e-3:
            freqs[m][a], freqs[m][b] = fb, fa
            changed = stored_rows(parse_frequency_resource(long_text(order), "t.txt"))[1]
            assert changed not in digests
