"""The reference's relation to the MP, read from the pedigree (services.workflows.relations)."""

from __future__ import annotations

import pytest

from repatria.kinship.pedigree import Individual, Pedigree, Sex
from repatria.services.workflows.relations import relation_to_mp

M, F, U = Sex.MALE, Sex.FEMALE, Sex.UNKNOWN


def _family() -> Pedigree:
    """Father FA and mother MO of the MP and of his brother BR and sister SI; half-brother HB
    (FA with a second wife W2); the MP's son SO and daughter DA with his wife WI; an uncle UN
    (no parents in the pedigree); a sibling of unknown sex SX."""
    return Pedigree(
        [
            Individual("FA", sex=M),
            Individual("MO", sex=F),
            Individual("W2", sex=F),
            Individual("WI", sex=F),
            Individual("UN", sex=M),
            Individual("MP", "FA", "MO", sex=M),
            Individual("BR", "FA", "MO", sex=M),
            Individual("SI", "FA", "MO", sex=F),
            Individual("SX", "FA", "MO", sex=U),
            Individual("HB", "FA", "W2", sex=M),
            Individual("SO", "MP", "WI", sex=M),
            Individual("DA", "MP", "WI", sex=F),
        ]
    )


@pytest.mark.parametrize(
    ("ref", "relation"),
    [
        ("FA", "father"),
        ("MO", "mother"),
        ("BR", "brother"),
        ("SI", "sister"),
        ("SX", "full_sibling"),
        ("HB", "half-brother"),
        ("SO", "son"),
        ("DA", "daughter"),
        ("UN", "relative"),
        ("WI", "relative"),
        ("NOT-IN-PEDIGREE", "relative"),
    ],
)
def test_relation_to_mp(ref: str, relation: str) -> None:
    assert relation_to_mp(_family(), ref, "MP") == relation


def test_an_mp_outside_the_pedigree_has_only_relatives() -> None:
    assert relation_to_mp(_family(), "FA", "NOBODY") == "relative"
