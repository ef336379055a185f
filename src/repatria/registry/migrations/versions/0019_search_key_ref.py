"""search key ref: every row of ``person_search_keys`` carries its person's ref

A search's first page sorts its matches by ref and counts them. Fetching every matched person
for his ref was most of a search's time on PostgreSQL (a query like ``Lee Yong ho`` meets
about 4,000 of 10^5 persons, one random visit to ``persons`` each; issue 15). With the ref in
the key index, ``(key, person_id, ref)``, the matches are sorted and counted from the index
alone and only the page's persons are fetched.

Rows written before this revision get the ref of their person here; the flush hook of
:mod:`repatria.registry.search_index` writes it from now on (and rewrites a person's keys when
his ref changes, as it did already).

Revision ID: 0019_search_key_ref
Revises: 0018_direct_references
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019_search_key_ref"
down_revision = "0018_direct_references"
branch_labels = None
depends_on = None

_T = "person_search_keys"
_INDEX = "ix_person_search_keys_key_person"


def upgrade() -> None:
    op.add_column(_T, sa.Column("ref", sa.String(length=64), nullable=True))
    op.execute(f"UPDATE {_T} SET ref = (SELECT p.ref FROM persons p WHERE p.id = {_T}.person_id)")
    op.drop_index(_INDEX, table_name=_T)
    # SQLite cannot make a column NOT NULL in place: the batch copies the table.
    with op.batch_alter_table(_T) as batch:
        batch.alter_column("ref", existing_type=sa.String(length=64), nullable=False)
    op.create_index(_INDEX, _T, ["key", "person_id", "ref"])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name=_T)
    with op.batch_alter_table(_T) as batch:
        batch.drop_column("ref")
    op.create_index(_INDEX, _T, ["key", "person_id"])
