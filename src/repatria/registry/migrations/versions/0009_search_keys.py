"""search keys: ``person_search_keys``, one row per key of every name, alias and paper

Creates the table of :class:`repatria.registry.models.PersonSearchKey` with its indexes (the
key column in binary order: ``COLLATE "C"`` on PostgreSQL, so that prefix ranges use the
index) and fills it for every person already in the registry, with the same
``person_key_rows`` that the flush hook of :mod:`repatria.registry.search_index` uses.

Revision ID: 0009_search_keys
Revises: 0008_notification
Create Date: 2026-12-01
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_search_keys"
down_revision = "0008_notification"
branch_labels = None
depends_on = None

_KEY = sa.String(length=200).with_variant(sa.String(length=200, collation="C"), "postgresql")


def upgrade() -> None:
    op.create_table(
        "person_search_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("key", _KEY, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("keys_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('name', 'document', 'person')", name=op.f("ck_person_search_keys_source")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_search_keys_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_search_keys")),
    )
    op.create_index("ix_person_search_keys_key_person", "person_search_keys", ["key", "person_id"])
    op.create_index(op.f("ix_person_search_keys_person_id"), "person_search_keys", ["person_id"])
    _backfill(op.get_bind())


def _backfill(conn: Any) -> None:
    from repatria.registry.search_index import person_key_rows

    names: dict[int, list[tuple[int, str | None, str | None]]] = {}
    for nid, pid, name, translit in conn.execute(
        sa.text("SELECT id, person_id, name, transliteration FROM person_names")
    ):
        names.setdefault(pid, []).append((nid, name, translit))
    docs: dict[int, list[tuple[int, str | None, str | None]]] = {}
    for did, pid, number, on_doc in conn.execute(
        sa.text("SELECT id, person_id, number, name_on_document FROM person_documents")
    ):
        docs.setdefault(pid, []).append((did, number, on_doc))
    table = sa.table(
        "person_search_keys",
        sa.column("person_id"),
        sa.column("key"),
        sa.column("source"),
        sa.column("source_id"),
        sa.column("keys_version"),
    )
    batch: list[dict[str, Any]] = []
    for pid, ref, number in conn.execute(
        sa.text("SELECT id, ref, service_number FROM persons ORDER BY id")
    ).all():
        batch += person_key_rows(pid, ref, number, names.get(pid, ()), docs.get(pid, ()))
        if len(batch) >= 5000:
            conn.execute(sa.insert(table), batch)
            batch = []
    if batch:
        conn.execute(sa.insert(table), batch)


def downgrade() -> None:
    op.drop_index("ix_person_search_keys_key_person", table_name="person_search_keys")
    op.drop_index(op.f("ix_person_search_keys_person_id"), table_name="person_search_keys")
    op.drop_table("person_search_keys")
