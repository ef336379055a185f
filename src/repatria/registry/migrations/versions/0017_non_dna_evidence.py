"""remains and effects: anthropology, unit and document numbers, as non-DNA evidence (issue 13)

Revision ID: 0017_non_dna_evidence
Revises: 0016_lineage
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_non_dna_evidence"
down_revision = "0016_lineage"
branch_labels = None
depends_on = None

_SEX = "sex_estimate IS NULL OR sex_estimate IN ('male', 'female', 'unknown')"
_REL = "reliability IS NULL OR (reliability >= 0 AND reliability <= 1)"
# (table, column, SQL type, check or None)
_COLUMNS = (
    ("remains", "sex_estimate", "VARCHAR(8)", _SEX),
    ("remains", "sex_method", "VARCHAR(24)", None),
    ("remains", "age_min", "FLOAT", None),
    ("remains", "age_max", "FLOAT", None),
    ("remains", "unit", "VARCHAR(200)", None),
    ("effects", "number", "VARCHAR(128)", None),
    ("effects", "reliability", "FLOAT", _REL),
    ("effects", "recognised_as", "VARCHAR(64)", None),
)
_TYPES = {"VARCHAR(8)": sa.String(8), "VARCHAR(24)": sa.String(24), "FLOAT": sa.Float()}


def _type(sql: str) -> sa.types.TypeEngine[object]:
    if sql in _TYPES:
        return _TYPES[sql]
    return sa.String(int(sql[len("VARCHAR(") : -1]))


def upgrade() -> None:
    # Plain ALTER TABLE (as 0014, 0015): SQLite takes the check with the column, PostgreSQL by
    # name.
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, sql, check in _COLUMNS:
        if sqlite:
            tail = f" CHECK ({check})" if check else ""
            op.execute(f"ALTER TABLE {table} ADD COLUMN {column} {sql}{tail}")
        else:
            op.add_column(table, sa.Column(column, _type(sql), nullable=True))
            if check:
                op.create_check_constraint(column, table, check)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, column, _sql, check in reversed(_COLUMNS):
        if check and not sqlite:
            op.drop_constraint(op.f(f"ck_{table}_{column}"), table, type_="check")
        op.drop_column(table, column)
