"""The ``--match-prior`` of ``repatria identify``: a number, or taken from the accounting.

``P`` (0 < P <= 1) is the open-population prior's probability that a body is one of the missing
persons of the analysis (:func:`repatria.kinship.priors.open_population_prior`); ``accounting``
takes it from the registry's counts
(:func:`repatria.services.workflows.accounting.bodies_expected_share`: persons unaccounted for
over bodies not yet identified, capped at 1). Without it, dvir's flat prior. The value and how it
was derived go in the run's parameters (``match_prior``).
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy.orm import Session

from repatria.errors import ServiceError
from repatria.services.workflows.accounting import bodies_expected_share

__all__ = ["ACCOUNTING", "MatchPriorSetting", "resolve_match_prior"]

ACCOUNTING = "accounting"

#: A command's ``--match-prior``: a probability, :data:`ACCOUNTING`, text of either, or ``None``.
MatchPriorSetting = float | str | None


def resolve_match_prior(
    session: Session, setting: MatchPriorSetting
) -> tuple[float | None, dict[str, Any] | None]:
    """``(p, record)``: the prior's ``p`` (``None``: flat) and how it was derived."""
    if setting is None:
        return None, None
    if isinstance(setting, str) and setting.strip().lower() == ACCOUNTING:
        fig = bodies_expected_share(session)
        if fig["p"] is None:
            raise ServiceError(
                "the accounting holds no body recovered and not identified; "
                "give the share of bodies expected among the missing (a number) instead"
            )
        if fig["p"] <= 0:
            raise ServiceError(
                "the accounting lists no person unaccounted for, so p would be 0; "
                "give the share of bodies expected among the missing (a number) instead"
            )
        return float(fig["p"]), {"from": ACCOUNTING, **fig}
    try:
        p = float(setting)
    except ValueError:
        raise ServiceError(
            f"the match prior must be a number in (0, 1] or 'accounting', got {setting!r}"
        ) from None
    if math.isnan(p) or not 0 < p <= 1:
        raise ServiceError(f"the match prior must be in (0, 1], got {p:g}")
    return p, {"from": "given", "p": p}
