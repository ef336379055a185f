"""exchange: trusted parties, packages sent and received, received records, sharing consent

- ``exchange_parties``: the parties whose signed packages are trusted (name, Ed25519 key).
- ``exchange_packages``: every package exported or imported (id, parties, file hash, counts,
  chain head, who and when); a package is imported once.
- ``exchange_records``: each received record as received, with its provenance (party,
  package id, record index, hash); a newer version of a record points at the older.
- ``exchange_sharing_consents``: a donor's consent to share his reference profile with a party.

Revision ID: 0011_exchange
Revises: 0009_search_keys
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_exchange"
down_revision = "0009_search_keys"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _fk(table: str, col: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([col], [f"{target}.id"], name=op.f(f"fk_{table}_{col}_{target}"))


def upgrade() -> None:
    op.create_table(
        "exchange_parties",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=False),
        _ts("added_at"),
        _fk("exchange_parties", "added_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_parties")),
        sa.UniqueConstraint("name", name=op.f("uq_exchange_parties_name")),
        sa.UniqueConstraint("public_key", name=op.f("uq_exchange_parties_public_key")),
    )
    op.create_table(
        "exchange_packages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("sender", sa.String(length=200), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("chain_head", sa.String(length=64), nullable=False),
        sa.Column("done_by_id", sa.Integer(), nullable=False),
        _ts("done_at"),
        sa.CheckConstraint(
            "direction IN ('export', 'import')", name=op.f("ck_exchange_packages_direction")
        ),
        _fk("exchange_packages", "done_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_packages")),
        sa.UniqueConstraint(
            "direction", "package_id", name=op.f("uq_exchange_packages_direction_package_id")
        ),
    )
    op.create_table(
        "exchange_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_row_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=False),
        sa.Column("package_id", sa.String(length=64), nullable=False),
        sa.Column("record_index", sa.Integer(), nullable=False),
        sa.Column("record_type", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=200), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("previous_id", sa.Integer(), nullable=True),
        _fk("exchange_records", "package_row_id", "exchange_packages"),
        _fk("exchange_records", "previous_id", "exchange_records"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_records")),
        sa.UniqueConstraint(
            "package_row_id",
            "record_index",
            name=op.f("uq_exchange_records_package_row_id_record_index"),
        ),
        sa.UniqueConstraint("previous_id", name=op.f("uq_exchange_records_previous_id")),
    )
    op.create_index(
        "ix_exchange_records_identity", "exchange_records", ["party", "record_type", "ref"]
    )
    op.create_table(
        "exchange_sharing_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("donor_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=200), nullable=True),
        sa.Column("given_on", sa.String(length=32), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        _ts("recorded_at"),
        _fk("exchange_sharing_consents", "donor_id", "donors"),
        _fk("exchange_sharing_consents", "recorded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_sharing_consents")),
        sa.UniqueConstraint(
            "donor_id", "party", name=op.f("uq_exchange_sharing_consents_donor_id_party")
        ),
    )
    op.create_index(
        op.f("ix_exchange_sharing_consents_donor_id"), "exchange_sharing_consents", ["donor_id"]
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_exchange_sharing_consents_donor_id"), table_name="exchange_sharing_consents"
    )
    op.drop_table("exchange_sharing_consents")
    op.drop_index("ix_exchange_records_identity", table_name="exchange_records")
    op.drop_table("exchange_records")
    op.drop_table("exchange_packages")
    op.drop_table("exchange_parties")
