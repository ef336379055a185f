"""A sample's dropout from pm.tsv is kept with its profile, and the registry's fragment search
weighs that sample with it (issue 14: per-sample dropout), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sqlalchemy import select

from repatria.formats.casefolder import write_case_folder
from repatria.kinship.simulate import simulate_dvi
from repatria.registry.db import session_scope
from repatria.registry.models import Profile, Sample
from repatria.services.access.users import add_user
from repatria.services.pipelines.simulation import standard_markers
from repatria.services.workflows.case_import import import_case


def _case_with_dropout(tmp_path: Path, cells: list[str]) -> Path:
    p = simulate_dvi(standard_markers(6), len(cells), 2, np.random.default_rng(4)).problem
    out = tmp_path / "case"
    write_case_folder(p, out)
    rows = [r.split("\t") for r in (out / "pm.tsv").read_text().splitlines()]
    rows = [[r[0], r[1], "dropout" if i == 0 else cells[i - 1], *r[2:]] for i, r in enumerate(rows)]
    (out / "pm.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n")
    return out


def test_the_dropout_column_is_kept_with_each_profile(registry_db: str, tmp_path: Path) -> None:
    add_user(registry_db, "ana", "analyst")
    folder = _case_with_dropout(tmp_path, ["0.3", "", "0"])
    import_case(registry_db, folder, actor="ana")
    with session_scope(registry_db, read=True) as s:
        got = dict(
            s.execute(
                select(Sample.ref, Profile.dropout)
                .join(Profile, Profile.sample_id == Sample.id)
                .where(Sample.kind == "pm")
            ).all()
        )
    assert got == {"V1": 0.3, "V2": None, "V3": 0.0}


def test_the_fragment_search_records_the_dropout_it_used(registry_db: str, tmp_path: Path) -> None:
    from repatria.services.workflows.fragment_search import propose_fragments

    add_user(registry_db, "ana", "analyst")
    folder = _case_with_dropout(tmp_path, ["0.3", "", "0.1"])
    pm = (folder / "pm.tsv").read_text().splitlines()
    # a fourth sample: V1 again, burned (one peak left at every other marker)
    cells = pm[1].split("\t")
    burned = [
        c if k < 3 or k % 2 else c.split("/")[0] + "/" + c.split("/")[0]
        for k, c in enumerate(cells)
    ]
    burned[0], burned[2] = "V4", "0.4"
    (folder / "pm.tsv").write_text("\n".join([*pm, "\t".join(burned)]) + "\n")
    (folder / "pairings.json").unlink(missing_ok=True)  # default pairings: by sex
    import_case(registry_db, folder, actor="ana")
    result = propose_fragments(registry_db, actor="ana", min_lr=100.0, dropout=0.0)
    assert any({"V1", "V4"} == {a, b} for a, b, _ in result.links)
    from repatria.registry.models import Association

    with session_scope(registry_db, read=True) as s:
        evidence = [a.evidence for a in s.execute(select(Association)).scalars()]
    assert any(
        e and e.get("fragment_search", {}).get("sample_dropout") == {"V1": 0.3, "V4": 0.4}
        for e in evidence
    )
