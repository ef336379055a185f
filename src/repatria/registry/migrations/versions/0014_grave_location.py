"""graves: coordinates, so that graves can be shown on the map beside the recovery sites

Revision ID: 0014_grave_location
Revises: 0013_jobs
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_grave_location"
down_revision = "0013_jobs"
branch_labels = None
depends_on = None


_CHECKS = {
    "lat": "lat IS NULL OR (lat >= -90 AND lat <= 90)",
    "lon": "lon IS NULL OR (lon >= -180 AND lon <= 180)",
}


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: SQLite's batch mode would copy the table, which
    # dispositions reference. SQLite takes the check with the column, PostgreSQL by name.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column, check in _CHECKS.items():
        if sqlite:
            op.execute(f"ALTER TABLE graves ADD COLUMN {column} FLOAT CHECK ({check})")
        else:
            op.add_column("graves", sa.Column(column, sa.Float(), nullable=True))
            op.create_check_constraint(column, "graves", check)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in reversed(list(_CHECKS)):
        if not sqlite:
            op.drop_constraint(op.f(f"ck_graves_{column}"), "graves", type_="check")
        op.drop_column("graves", column)
