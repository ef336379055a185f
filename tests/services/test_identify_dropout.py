"""identify with the dropout stored with each profile, ``--dropout P|estimate`` for samples with
none, and ``--match-prior P|accounting`` (issue 13), on SQLite and PostgreSQL.

The burned body: V1's profile failed at a third of the markers and lost one allele of every
heterozygote, written ``a/a`` as many labs export a single peak.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from repatria.errors import ServiceError
from repatria.formats.casefolder import write_case_folder
from repatria.kinship.simulate import simulate_dvi
from repatria.registry.db import session_scope
from repatria.registry.models import IdentificationRun
from repatria.services.pipelines.simulation import standard_markers
from repatria.services.workflows.case_import import import_case
from repatria.services.workflows.identify import identify, problem_from_registry
from repatria.services.workflows.problem import problem_sha256

N_VICTIMS, N_FAMILIES = 5, 4


def _case(tmp_path: Path, cells: dict[str, str] | None) -> tuple[Path, str, str]:
    """A case whose V1 is burned; ``cells``: a dropout column (per PM), or none. Returns the
    folder, the burned PM and its true missing person."""
    sim = simulate_dvi(
        standard_markers(23), N_VICTIMS, N_FAMILIES, np.random.default_rng(3), unrelated_victims=0
    )
    truth = next(v for v, m in sim.truth.items() if m != "*")
    out = tmp_path / "case"
    write_case_folder(sim.problem, out, pairings=False)
    rows = [r.split("\t") for r in (out / "pm.tsv").read_text().splitlines()]
    burned = next(r for r in rows if r[0] == truth)
    for k in range(2, len(burned)):
        if "/" not in burned[k]:
            continue
        a, b = burned[k].split("/")
        if k % 3 == 0:
            burned[k] = ""
        elif a != b:
            burned[k] = f"{a}/{a}"
    if cells is not None:
        rows = [
            [r[0], r[1], "dropout" if i == 0 else cells.get(r[0], ""), *r[2:]]
            for i, r in enumerate(rows)
        ]
    (out / "pm.tsv").write_text("\n".join("\t".join(r) for r in rows) + "\n")
    return out, truth, sim.truth[truth]


def _pair(result: Any, pm: str, mp: str) -> tuple[float, int, bool]:
    """(LR, exclusions, candidate?) of ``pm`` x ``mp`` in a run."""
    p, pw = result.analysis.problem, result.analysis.pairwise
    i, k = p.pm.index(pm), p.missing.index(mp)
    raised = any(c.body == pm and c.person == mp for c in result.candidates)
    return float(pw.lr[i, k]), int(pw.exclusions[i, k]), raised


def _parameters(db: str, run: int) -> dict[str, Any]:
    with session_scope(db, read=True) as s:
        return dict(s.execute(select(IdentificationRun).where(IdentificationRun.id == run))
                    .scalar_one().parameters)  # fmt: skip


def test_burned_body_excluded_without_dropout_is_a_candidate_with_dropout(
    db: str, tmp_path: Path
) -> None:
    folder, v1, mp = _case(tmp_path, None)
    import_case(db, folder, actor="ana")
    plain = identify(db, actor="ana")
    lr, excl, raised = _pair(plain, v1, mp)
    assert excl > 2 and lr < 1 and not raised
    # the degraded body read exactly is warned about, in one line naming it
    (warning,) = _parameters(db, plain.run)["dropout"]["warnings"]
    assert warning.startswith(f"1 PM sample ({v1})") and "--dropout" in warning
    # the same registry, a dropout given for the samples with none stored
    modelled = identify(db, actor="ana", dropout=0.3)
    lr, excl, raised = _pair(modelled, v1, mp)
    assert excl == 0 and lr > 1e3 and raised
    d = _parameters(db, modelled.run)["dropout"]
    assert d["bodies"][v1] == {"dropout": 0.3, "from": "--dropout", "samples": {}}
    assert d["bodies_modelled"] == N_VICTIMS and "dropout" in d["model"]
    assert "warnings" not in d
    # the joint and the conclusions follow the model too
    i, k = modelled.analysis.problem.pm.index(v1), modelled.analysis.problem.missing.index(mp)
    assert modelled.analysis.joint.marginals[i, k] > 0.5
    said = {(r["sample"], r["missing"]) for r in modelled.analysis.conclusions["pm"]}
    assert (v1, mp) in said


def test_the_stored_dropout_is_used_without_any_option(db: str, tmp_path: Path) -> None:
    folder, v1, mp = _case(tmp_path, {"V1": "", "V2": "0"})
    rows = (folder / "pm.tsv").read_text().splitlines()
    cells = {r.split("\t")[0]: "" for r in rows[1:]} | {v1: "0.3"}
    folder, _, _ = _case(tmp_path / "again", cells)
    import_case(db, folder, actor="ana")
    result = identify(db, actor="ana")
    lr, excl, raised = _pair(result, v1, mp)
    assert excl == 0 and lr > 1e3 and raised
    d = _parameters(db, result.run)["dropout"]
    assert d["bodies"] == {v1: {"dropout": 0.3, "from": "stored", "samples": {v1: 0.3}}}
    # a stored value wins over --dropout; the others take it
    both = identify(db, actor="ana", dropout=0.1)
    b = _parameters(db, both.run)["dropout"]["bodies"]
    assert b[v1]["dropout"] == 0.3 and all(
        x["dropout"] == 0.1 and x["from"] == "--dropout" for v, x in b.items() if v != v1
    )


def test_stored_dropout_zero_gives_todays_numbers(db: str, tmp_path: Path) -> None:
    folder, _, _ = _case(tmp_path, {f"V{i}": "0" for i in range(1, N_VICTIMS + 1)})
    import_case(db, folder, actor="ana")
    problem = problem_from_registry(db)
    assert dict(problem.pm_dropout) == {}
    zero = identify(db, actor="ana")
    again = identify(db, actor="ana", dropout=0.0)
    assert zero.input_sha256 == again.input_sha256 == problem_sha256(problem)
    np.testing.assert_array_equal(zero.analysis.pairwise.log_lr, again.analysis.pairwise.log_lr)
    np.testing.assert_array_equal(zero.analysis.joint.marginals, again.analysis.joint.marginals)
    assert _parameters(db, zero.run)["dropout"]["bodies_modelled"] == 0
    assert [(c.body, c.person, c.lr) for c in zero.candidates] == [
        (c.body, c.person, c.lr) for c in again.candidates
    ]


def test_estimate_for_bodies_with_none_stored(db: str, tmp_path: Path) -> None:
    folder, v1, mp = _case(tmp_path, None)
    import_case(db, folder, actor="ana")
    result = identify(db, actor="ana", dropout="estimate")
    d = _parameters(db, result.run)["dropout"]
    assert d["default"] == "estimate" and set(d["estimated"]) == set(result.analysis.problem.pm)
    assert d["bodies"][v1]["from"] == "estimated"
    assert d["bodies"][v1]["dropout"] == d["estimated"][v1]["dropout"] > 0.2
    assert _pair(result, v1, mp)[2]


def test_match_prior_from_the_accounting_or_given(db: str, tmp_path: Path) -> None:
    folder, _, _ = _case(tmp_path, None)
    import_case(db, folder, actor="ana")
    result = identify(db, actor="ana", match_prior="accounting")
    mp = _parameters(db, result.run)["match_prior"]
    # four persons unaccounted for, five bodies not identified: p = 4/5
    assert mp["from"] == "accounting" and mp["unaccounted"] == N_FAMILIES
    assert mp["bodies_unidentified"] == N_VICTIMS
    assert mp["p"] == pytest.approx(N_FAMILIES / N_VICTIMS)
    assert "capped at 1" in mp["derivation"]
    assert result.analysis.joint.prior.startswith("open population")
    assert dict(result.analysis.joint.prior_parameters) == {"p": mp["p"]}
    given = identify(db, actor="ana", match_prior="0.3")
    assert _parameters(db, given.run)["match_prior"] == {"from": "given", "p": 0.3}
    flat = identify(db, actor="ana")
    assert "match_prior" not in _parameters(db, flat.run)
    for bad in ("0", "1.5", "some"):
        with pytest.raises(ServiceError, match="match prior"):
            identify(db, actor="ana", match_prior=bad)
    with pytest.raises(ServiceError, match="dropout"):
        identify(db, actor="ana", dropout="lots")


def test_identify_from_a_screen_keeps_each_bodys_dropout() -> None:
    from repatria.kinship.dropout import DropoutModel
    from repatria.services.workflows.screen_run import _subset

    sim = simulate_dvi(standard_markers(6), 3, 2, np.random.default_rng(1))
    p = sim.problem.with_dropout({"V1": DropoutModel(0.3), "V3": DropoutModel(0.1)})
    sub = _subset(p, ["V1", "V2"], list(p.missing), {v: p.pairings[v] for v in ("V1", "V2")})
    assert dict(sub.pm_dropout) == {"V1": DropoutModel(0.3)}
