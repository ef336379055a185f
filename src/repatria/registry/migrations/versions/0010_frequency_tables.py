"""frequency tables versioned: imported on their own, by name and version, with who and from what

``frequency_tables`` gains ``version`` (1 for every existing row), ``supersedes_id`` (the
version it replaces), ``origin`` ("case" for a case's own markers, every existing row; "import"
for ``repatria frequencies import``), ``imported_by_id``, ``filename``, ``file_sha256`` and
``layout``. The name is unique per version instead of alone. Batch mode, so SQLite rebuilds the
table and PostgreSQL alters it in place; rows and ids are kept, so past runs still name the
table they read.

Revision ID: 0010_frequency_tables
Revises: 0006_integrity
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_frequency_tables"
down_revision = "0006_integrity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("frequency_tables", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
        )
        batch_op.add_column(sa.Column("supersedes_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("origin", sa.String(length=16), server_default="case", nullable=False)
        )
        batch_op.add_column(sa.Column("imported_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("filename", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("file_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("layout", sa.String(length=16), nullable=True))
        batch_op.drop_constraint(op.f("uq_frequency_tables_name"), type_="unique")
        batch_op.create_unique_constraint(
            op.f("uq_frequency_tables_name_version"), ["name", "version"]
        )
        batch_op.create_unique_constraint(
            op.f("uq_frequency_tables_supersedes_id"), ["supersedes_id"]
        )
        batch_op.create_foreign_key(
            op.f("fk_frequency_tables_supersedes_id_frequency_tables"),
            "frequency_tables",
            ["supersedes_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            op.f("fk_frequency_tables_imported_by_id_users"), "users", ["imported_by_id"], ["id"]
        )
        batch_op.create_check_constraint(
            op.f("ck_frequency_tables_origin"), "origin IN ('case', 'import')"
        )


def downgrade() -> None:
    # Refused rather than lossy: a second version of a name cannot go back under a unique name.
    bind = op.get_bind()
    versions = bind.execute(sa.text("SELECT COUNT(*) FROM frequency_tables WHERE version > 1"))
    n = versions.scalar_one()
    if n:
        raise RuntimeError(
            f"cannot downgrade below 0010: {n} frequency table versions need this schema"
        )
    with op.batch_alter_table("frequency_tables", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_frequency_tables_origin"), type_="check")
        batch_op.drop_constraint(
            op.f("fk_frequency_tables_imported_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            op.f("fk_frequency_tables_supersedes_id_frequency_tables"), type_="foreignkey"
        )
        batch_op.drop_constraint(op.f("uq_frequency_tables_supersedes_id"), type_="unique")
        batch_op.drop_constraint(op.f("uq_frequency_tables_name_version"), type_="unique")
        batch_op.create_unique_constraint(op.f("uq_frequency_tables_name"), ["name"])
        for column in (
            "layout",
            "file_sha256",
            "filename",
            "imported_by_id",
            "origin",
            "supersedes_id",
            "version",
        ):
            batch_op.drop_column(column)
