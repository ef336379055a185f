"""direct references: an item of the missing person's own (toothbrush, razor, blood card), typed

``direct_references`` links a reference sample with no donor to the person it comes from, with
the item's kind and the stated reliability that the item is his alone (issue 13).

Revision ID: 0018_direct_references
Revises: 0017_non_dna_evidence
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_direct_references"
down_revision = "0017_non_dna_evidence"
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the vocabulary of its day.
_ITEM = "item IN ('toothbrush', 'razor', 'hairbrush', 'clothing', 'medical_sample', 'other')"
_RELIABILITY = "reliability > 0 AND reliability <= 1"


def upgrade() -> None:
    t = "direct_references"
    op.create_table(
        t,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=24), nullable=False),
        sa.Column("reliability", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_ITEM, name=op.f(f"ck_{t}_item")),
        sa.CheckConstraint(_RELIABILITY, name=op.f(f"ck_{t}_reliability")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f(f"fk_{t}_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f(f"fk_{t}_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_batches.id"], name=op.f(f"fk_{t}_import_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f(f"fk_{t}_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("ref", name=op.f(f"uq_{t}_ref")),
        sa.UniqueConstraint("sample_id", name=op.f(f"uq_{t}_sample_id")),
    )
    op.create_index(op.f(f"ix_{t}_person_id"), t, ["person_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_direct_references_person_id"), table_name="direct_references")
    op.drop_table("direct_references")
