"""notification: contact declined, who was told, exceptions recorded, burials with open candidates

- ``donors.contact_declined_at/_reason/_by_id``: a donor who does not want to be contacted is
  never offered or accepted as the person to notify;
- ``notifications.recipient_donor_id``: the donor told, when the recipient is one;
- ``notification_exceptions``: a family not told, with the reason and who recorded it (a
  handover or burial let through without notification records one);
- ``dispositions.open_candidates_reason``: why a body went while candidates were still open.

Revision ID: 0008_notification
Revises: 0014_grave_location
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from repatria.registry.models import UTCDateTime

revision = "0008_notification"
down_revision = "0014_grave_location"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("donors", schema=None) as b:
        b.add_column(sa.Column("contact_declined_at", UTCDateTime(), nullable=True))
        b.add_column(sa.Column("contact_declined_reason", sa.Text(), nullable=True))
        b.add_column(sa.Column("contact_declined_by_id", sa.Integer(), nullable=True))
        b.create_foreign_key(
            b.f("fk_donors_contact_declined_by_id_users"),
            "users",
            ["contact_declined_by_id"],
            ["id"],
        )
    with op.batch_alter_table("notifications", schema=None) as b:
        b.add_column(sa.Column("recipient_donor_id", sa.Integer(), nullable=True))
        b.create_foreign_key(
            b.f("fk_notifications_recipient_donor_id_donors"),
            "donors",
            ["recipient_donor_id"],
            ["id"],
        )
    with op.batch_alter_table("dispositions", schema=None) as b:
        b.add_column(sa.Column("open_candidates_reason", sa.Text(), nullable=True))
    op.create_table(
        "notification_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_notification_exceptions_person_id_persons"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"],
            ["decisions.id"],
            name=op.f("fk_notification_exceptions_decision_id_decisions"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_notification_exceptions_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_exceptions")),
    )
    with op.batch_alter_table("notification_exceptions", schema=None) as b:
        b.create_index(b.f("ix_notification_exceptions_person_id"), ["person_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification_exceptions", schema=None) as b:
        b.drop_index(b.f("ix_notification_exceptions_person_id"))
    op.drop_table("notification_exceptions")
    with op.batch_alter_table("dispositions", schema=None) as b:
        b.drop_column("open_candidates_reason")
    with op.batch_alter_table("notifications", schema=None) as b:
        b.drop_constraint(b.f("fk_notifications_recipient_donor_id_donors"), type_="foreignkey")
        b.drop_column("recipient_donor_id")
    with op.batch_alter_table("donors", schema=None) as b:
        b.drop_constraint(b.f("fk_donors_contact_declined_by_id_users"), type_="foreignkey")
        b.drop_column("contact_declined_by_id")
        b.drop_column("contact_declined_reason")
        b.drop_column("contact_declined_at")
