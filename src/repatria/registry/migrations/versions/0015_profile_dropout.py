"""profiles: the sample's allelic dropout probability, for burned and degraded samples

Revision ID: 0015_profile_dropout
Revises: 0007_policy
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_profile_dropout"
down_revision = "0007_policy"
branch_labels = None
depends_on = None

_CHECK = "dropout IS NULL OR (dropout >= 0 AND dropout < 1)"


def upgrade() -> None:
    # Plain ALTER TABLE (as 0014): SQLite takes the check with the column, PostgreSQL by name.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE profiles ADD COLUMN dropout FLOAT CHECK ({_CHECK})")
    else:
        op.add_column("profiles", sa.Column("dropout", sa.Float(), nullable=True))
        op.create_check_constraint("dropout", "profiles", _CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_profiles_dropout"), "profiles", type_="check")
    op.drop_column("profiles", "dropout")
