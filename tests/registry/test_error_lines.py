"""Issue 16: a database error is one line that never shows the statement or the row written
(a profile's genotypes), on SQLite and PostgreSQL; NUL bytes are refused at the API."""

from __future__ import annotations

import pytest

from repatria.errors import RegistryError
from repatria.registry.db import session_scope
from repatria.registry.models import Genotype, Profile, Remains, Sample


def test_an_overlong_allele_label_is_one_line_without_the_row(registry_db: str) -> None:
    if registry_db.startswith("sqlite"):
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    secret = "17.3" * 20  # 80 characters, over the column's 64
    with pytest.raises(RegistryError) as e:
        with session_scope(registry_db) as s:
            r = Remains(ref="R-x", condition="unknown", status="recovered")
            s.add(r)
            s.flush()
            smp = Sample(ref="S-x", kind="pm", remains_id=r.id)
            s.add(smp)
            s.flush()
            prof = Profile(sample_id=smp.id)
            s.add(prof)
            s.flush()
            s.add_all(
                [
                    Genotype(profile_id=prof.id, marker="TH01", allele1="9", allele2="9.3"),
                    Genotype(profile_id=prof.id, marker="D8S1179", allele1=secret, allele2="13"),
                ]
            )
            s.flush()
    msg = str(e.value)
    assert "\n" not in msg and secret not in msg and "9.3" not in msg and "INSERT" not in msg
    assert "value too long" in msg


def test_nul_bytes_are_refused_by_the_api_schemas() -> None:
    from pydantic import ValidationError

    from repatria.api.schemas import CustodyBody

    with pytest.raises(ValidationError, match="NUL"):
        CustodyBody(event="stored", remains="R-1", notes="a\x00b")
