"""lineage markers: Y-STR and mtDNA profiles of samples, and haplotype databases by version

``lineage_profiles`` holds the haplotype typed from a PM or reference sample (canonical text,
superseded by a retyping, never overwritten); ``haplotype_databases`` the Y-STR and mtDNA
population databases that weigh a lineage match, versioned under their name.

Revision ID: 0016_lineage
Revises: 0015_profile_dropout
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_lineage"
down_revision = "0015_profile_dropout"
branch_labels = None
depends_on = None

_KIND = "kind IN ('y_str', 'mtdna')"


def upgrade() -> None:
    op.create_table(
        "lineage_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("haplotype", sa.Text(), nullable=False),
        sa.Column("loci", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_KIND, name=op.f("ck_lineage_profiles_kind")),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_lineage_profiles_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["lineage_profiles.id"],
            name=op.f("fk_lineage_profiles_supersedes_id_lineage_profiles"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_batches.id"],
            name=op.f("fk_lineage_profiles_import_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lineage_profiles")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_lineage_profiles_supersedes_id")),
    )
    op.create_index(
        op.f("ix_lineage_profiles_sample_id"), "lineage_profiles", ["sample_id"], unique=False
    )
    op.create_table(
        "haplotype_databases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("haplotypes", sa.Integer(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=True),
        sa.Column("file_sha256", sa.String(length=64), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(_KIND, name=op.f("ck_haplotype_databases_kind")),
        sa.ForeignKeyConstraint(
            ["supersedes_id"],
            ["haplotype_databases.id"],
            name=op.f("fk_haplotype_databases_supersedes_id_haplotype_databases"),
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
            name=op.f("fk_haplotype_databases_imported_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_haplotype_databases")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_haplotype_databases_name_version")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_haplotype_databases_supersedes_id")),
    )


def downgrade() -> None:
    op.drop_table("haplotype_databases")
    op.drop_index(op.f("ix_lineage_profiles_sample_id"), table_name="lineage_profiles")
    op.drop_table("lineage_profiles")
