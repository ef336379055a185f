"""Review state has one home (registry.review_state): every service reads it the same way."""

from __future__ import annotations

from pathlib import Path

import pytest
from registry_samples import setup_case

from repatria.errors import ServiceError
from repatria.registry.db import session_scope
from repatria.registry.evidence import CandidateEvidence
from repatria.registry.models import CandidateMatch
from repatria.registry.review_state import (
    candidate_status,
    decision_kinds,
    identified_ids,
    live_confirmation,
    live_confirmations,
    open_candidates,
)
from repatria.services import views
from repatria.services.workflows import review
from repatria.services.workflows.runs import CandidateInput, record_candidates
from repatria.vocabulary import CANDIDATE_STATUSES


@pytest.mark.parametrize(
    ("kinds", "status"),
    [
        ((), "open"),
        (("propose",), "proposed"),
        (("propose", "reject"), "rejected"),
        (("propose", "confirm"), "confirmed"),
        (("confirm", "propose", "revoke"), "revoked"),
    ],
)
def test_candidate_status_is_the_latest_step(kinds: tuple[str, ...], status: str) -> None:
    assert candidate_status(kinds) == status
    assert status in CANDIDATE_STATUSES


def test_live_confirmations_leave_out_revoked_ones_everywhere(db: str, tmp_path: Path) -> None:
    c1, c2, c3 = setup_case(db, tmp_path)
    for cid in (c1, c2):
        review.propose(db, cid, actor="ana", override="test: accepted below the policy")
        review.confirm(
            db, cid, actor="rev", reason="strong LR", override="test: accepted below the policy"
        )
    review.revoke(db, c2, actor="cas", reason="sample mix-up")
    review.revoke(db, c2, actor="rita", reason="sample mix-up confirmed")
    review.propose(db, c3, actor="ana", override="test: accepted below the policy")

    with session_scope(db) as s:
        assert [c.id for _d, c in s.execute(live_confirmations()).all()] == [c1]
        p1, r1 = s.get(CandidateMatch, c1).person_id, s.get(CandidateMatch, c1).remains_id
        p2 = s.get(CandidateMatch, c2).person_id
        assert live_confirmation(s, person_id=p2) is None
        live = live_confirmation(s, remains_id=r1)
        assert live is not None and live[1].id == c1
        assert identified_ids(s) == ({p1}, {r1})
        assert decision_kinds(s)[c2] == {"propose", "confirm", "revoke"}
        to_propose, to_review = open_candidates(s)
        assert (to_propose, [c.id for c in to_review]) == ([], [c3])

    # The views, the queue and the case summary read the same state.
    assert [i["candidate_id"] for i in views.identifications(db, actor="aud")] == [c1]
    eligible = views.repatriations_view(db, actor="cas").eligible
    assert [e["remains_ref"] for e in eligible] == ["R-0001"]
    assert [q.candidate_id for q in views.review_queue(db, actor="ana").to_review] == [c3]
    assert views.match_detail(db, c2, actor="rev").status == "revoked"

    # A new candidate for the reopened person can identify him again.
    (c4,) = record_candidates(
        db, None, [CandidateInput("P-0002", "R-0002", log10_lr=9.0)], actor="ana"
    )
    review.propose(db, c4, actor="ana", override="test: accepted below the policy")
    review.confirm(
        db, c4, actor="rev", reason="new sample", override="test: accepted below the policy"
    )
    with session_scope(db) as s:
        live = live_confirmation(s, person_id=p2)
        assert live is not None and live[1].id == c4


def test_evidence_is_one_record_in_and_out(db: str, tmp_path: Path) -> None:
    setup_case(db, tmp_path, n=1)
    evidence = CandidateEvidence(
        log_lr=4.6,
        family="F-01",
        exclusions=1,
        per_marker_log10_lr={"vWA": float("-inf"), "TH01": 2.0},
    )
    (cid,) = record_candidates(
        db, None, [CandidateInput("P-0001", "R-0001", log10_lr=2.0, evidence=evidence)], actor="ana"
    )
    m = views.match_detail(db, cid, actor="rev")
    assert [(r.marker, r.lr) for r in m.markers] == [("vWA", 0.0), ("TH01", 100.0)]
    assert m.zero_markers == ["vWA"]
    assert m.exclusions == [{"markers inconsistent without mutation": 1, "which": "vWA"}]
    with session_scope(db) as s:
        assert CandidateEvidence.from_json(s.get(CandidateMatch, cid).evidence) == evidence
    with pytest.raises(ServiceError, match="candidate evidence has no field markers"):
        record_candidates(
            db,
            None,
            [CandidateInput("P-0001", "R-0001", evidence={"markers": [{"marker": "vWA"}]})],
            actor="ana",
        )
