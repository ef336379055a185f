"""initial registry schema: every table, plus the two-person rule as a trigger

The same file runs on SQLite and PostgreSQL; only the trigger differs in dialect.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_name", sa.String(length=120), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=True),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_table(
        "chain_heads",
        sa.Column("chain", sa.String(length=32), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_chain_heads")),
    )
    op.create_table(
        "frequency_tables",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_frequency_tables")),
        sa.UniqueConstraint("name", name=op.f("uq_frequency_tables_name")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "role IN ('analyst', 'reviewer', 'case_manager', 'liaison_officer', 'auditor', "
            "'admin')",
            name=op.f("ck_users_role"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_users_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )
    op.create_table(
        "identification_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_by_id", sa.Integer(), nullable=False),
        sa.Column("software_version", sa.String(length=64), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("frequency_table_id", sa.Integer(), nullable=True),
        sa.Column("input_sha256", sa.String(length=64), nullable=True),
        sa.Column("results", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["frequency_table_id"],
            ["frequency_tables.id"],
            name=op.f("fk_identification_runs_frequency_table_id_frequency_tables"),
        ),
        sa.ForeignKeyConstraint(
            ["run_by_id"], ["users.id"], name=op.f("fk_identification_runs_run_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identification_runs")),
    )
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("filename", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["users.id"], name=op.f("fk_import_batches_imported_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_batches")),
        sa.UniqueConstraint("kind", "sha256", name=op.f("uq_import_batches_kind_sha256")),
    )
    op.create_table(
        "marker_definitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("frequency_table_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("chromosome", sa.String(length=16), nullable=False),
        sa.Column("frequencies", sa.JSON(), nullable=False),
        sa.Column("mutation", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["frequency_table_id"],
            ["frequency_tables.id"],
            name=op.f("fk_marker_definitions_frequency_table_id_frequency_tables"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marker_definitions")),
        sa.UniqueConstraint(
            "frequency_table_id", "name", name=op.f("uq_marker_definitions_frequency_table_id_name")
        ),
    )
    op.create_table(
        "repatriations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("counterpart", sa.String(length=300), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("occurred_on", sa.String(length=32), nullable=False),
        sa.Column("ceremony", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('handover', 'exchange')", name=op.f("ck_repatriations_kind")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_repatriations_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriations")),
    )
    op.create_table(
        "state_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("cause", sa.String(length=64), nullable=True),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("entity IN ('person', 'remains')", name=op.f("ck_state_changes_entity")),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_state_changes_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_state_changes")),
    )
    with op.batch_alter_table("state_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_state_changes_entity_id"), ["entity_id"], unique=False)

    op.create_table(
        "persons",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("birth_date", sa.String(length=32), nullable=True),
        sa.Column("nationality", sa.String(length=64), nullable=True),
        sa.Column("service_number", sa.String(length=64), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("date_missing", sa.String(length=32), nullable=True),
        sa.Column("last_known_place", sa.String(length=300), nullable=True),
        sa.Column("last_known_lat", sa.Float(), nullable=True),
        sa.Column("last_known_lon", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("sex IN ('male', 'female', 'unknown')", name=op.f("ck_persons_sex")),
        sa.CheckConstraint(
            "status IN ('missing', 'presumed_dead', 'identified', 'repatriated', 'disposed')",
            name=op.f("ck_persons_status"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_batches.id"], name=op.f("fk_persons_import_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["persons.id"], name=op.f("fk_persons_supersedes_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_persons")),
        sa.UniqueConstraint("ref", name=op.f("uq_persons_ref")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_persons_supersedes_id")),
    )
    op.create_table(
        "published_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("reported_on", sa.String(length=32), nullable=True),
        sa.Column("reported_by", sa.String(length=300), nullable=True),
        sa.Column("attributed_to", sa.String(length=300), nullable=True),
        sa.Column("subject", sa.Text(), nullable=True),
        sa.Column("measure", sa.String(length=64), nullable=False),
        sa.Column("low", sa.Integer(), nullable=True),
        sa.Column("high", sa.Integer(), nullable=True),
        sa.Column("as_of", sa.String(length=32), nullable=True),
        sa.Column("basis", sa.Text(), nullable=True),
        sa.Column("verification", sa.Text(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_batches.id"],
            name=op.f("fk_published_claims_import_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_claims")),
        sa.UniqueConstraint("claim_id", name=op.f("uq_published_claims_claim_id")),
    )
    op.create_table(
        "reference_families",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("case_ref", sa.String(length=120), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["import_batches.id"],
            name=op.f("fk_reference_families_import_id_import_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_families")),
        sa.UniqueConstraint("ref", name=op.f("uq_reference_families_ref")),
    )
    op.create_table(
        "remains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("site", sa.String(length=300), nullable=True),
        sa.Column("site_lat", sa.Float(), nullable=True),
        sa.Column("site_lon", sa.Float(), nullable=True),
        sa.Column("recovered_on", sa.String(length=32), nullable=True),
        sa.Column("recovered_by", sa.String(length=200), nullable=True),
        sa.Column("condition", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "condition IN ('intact', 'burned', 'fragmentary', 'commingled', "
            "'cremated_or_destroyed')",
            name=op.f("ck_remains_condition"),
        ),
        sa.CheckConstraint(
            "status IN ('recovered', 'sampled', 'identified', 'repatriated', 'disposed')",
            name=op.f("ck_remains_status"),
        ),
        sa.CheckConstraint(
            "site_lat IS NULL OR (site_lat >= -90 AND site_lat <= 90)", name=op.f("ck_remains_lat")
        ),
        sa.CheckConstraint(
            "site_lon IS NULL OR (site_lon >= -180 AND site_lon <= 180)",
            name=op.f("ck_remains_lon"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_batches.id"], name=op.f("fk_remains_import_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["remains.id"], name=op.f("fk_remains_supersedes_id_remains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_remains")),
        sa.UniqueConstraint("ref", name=op.f("uq_remains_ref")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_remains_supersedes_id")),
    )
    op.create_table(
        "dispositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("place", sa.String(length=300), nullable=True),
        sa.Column("occurred_on", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('burial', 'cremation', 'held', 'transferred', 'other')",
            name=op.f("ck_dispositions_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_dispositions_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["remains_id"], ["remains.id"], name=op.f("fk_dispositions_remains_id_remains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispositions")),
        sa.UniqueConstraint("remains_id", name=op.f("uq_dispositions_remains_id")),
    )
    op.create_table(
        "donors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=300), nullable=True),
        sa.Column("relationship_to_mp", sa.String(length=64), nullable=True),
        sa.Column("mp_person_id", sa.Integer(), nullable=True),
        sa.Column("consent_scope", sa.String(length=40), nullable=False),
        sa.Column("consent_given_on", sa.String(length=32), nullable=True),
        sa.Column("consent_withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.Column("withdrawal_recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "consent_scope IN ('identification', 'identification_and_research')",
            name=op.f("ck_donors_consent_scope"),
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["reference_families.id"],
            name=op.f("fk_donors_family_id_reference_families"),
        ),
        sa.ForeignKeyConstraint(
            ["mp_person_id"], ["persons.id"], name=op.f("fk_donors_mp_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["withdrawal_recorded_by_id"],
            ["users.id"],
            name=op.f("fk_donors_withdrawal_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_donors")),
        sa.UniqueConstraint("ref", name=op.f("uq_donors_ref")),
    )
    op.create_table(
        "effects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["remains_id"], ["remains.id"], name=op.f("fk_effects_remains_id_remains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effects")),
    )
    with op.batch_alter_table("effects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_effects_remains_id"), ["remains_id"], unique=False)

    op.create_table(
        "person_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("doc_type", sa.String(length=64), nullable=False),
        sa.Column("number", sa.String(length=128), nullable=True),
        sa.Column("issuer", sa.String(length=128), nullable=True),
        sa.Column("name_on_document", sa.String(length=300), nullable=True),
        sa.Column("authenticity", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "authenticity IN ('genuine', 'false', 'foreign', 'unknown')",
            name=op.f("ck_person_documents_authenticity"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_documents_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_documents")),
    )
    with op.batch_alter_table("person_documents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_person_documents_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "person_names",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("script", sa.String(length=8), nullable=True),
        sa.Column("transliteration", sa.String(length=300), nullable=True),
        sa.CheckConstraint(
            "kind IN ('official', 'alias', 'false', 'transliteration', 'nickname')",
            name=op.f("ck_person_names_kind"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_person_names_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_names")),
    )
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_names_person_id"), ["person_id"], unique=False)

    op.create_table(
        "repatriation_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repatriation_id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("coffin_label", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_repatriation_items_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["remains_id"], ["remains.id"], name=op.f("fk_repatriation_items_remains_id_remains")
        ),
        sa.ForeignKeyConstraint(
            ["repatriation_id"],
            ["repatriations.id"],
            name=op.f("fk_repatriation_items_repatriation_id_repatriations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repatriation_items")),
        sa.UniqueConstraint("remains_id", name=op.f("uq_repatriation_items_remains_id")),
    )
    op.create_table(
        "pedigree_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("family_id", sa.Integer(), nullable=False),
        sa.Column("individual", sa.String(length=64), nullable=False),
        sa.Column("father", sa.String(length=64), nullable=True),
        sa.Column("mother", sa.String(length=64), nullable=True),
        sa.Column("sex", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "sex IN ('male', 'female', 'unknown')", name=op.f("ck_pedigree_members_sex")
        ),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_pedigree_members_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["reference_families.id"],
            name=op.f("fk_pedigree_members_family_id_reference_families"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_pedigree_members_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pedigree_members")),
        sa.UniqueConstraint("donor_id", name=op.f("uq_pedigree_members_donor_id")),
        sa.UniqueConstraint(
            "family_id", "individual", name=op.f("uq_pedigree_members_family_id_individual")
        ),
    )
    with op.batch_alter_table("pedigree_members", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pedigree_members_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "samples",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=True),
        sa.Column("donor_id", sa.Integer(), nullable=True),
        sa.Column("material", sa.String(length=64), nullable=True),
        sa.Column("collected_on", sa.String(length=32), nullable=True),
        sa.Column("lab", sa.String(length=200), nullable=True),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind = 'pm' AND donor_id IS NULL) OR (kind = 'reference' AND remains_id IS NULL)",
            name=op.f("ck_samples_source"),
        ),
        sa.CheckConstraint("kind IN ('pm', 'reference')", name=op.f("ck_samples_kind")),
        sa.ForeignKeyConstraint(
            ["donor_id"], ["donors.id"], name=op.f("fk_samples_donor_id_donors")
        ),
        sa.ForeignKeyConstraint(
            ["import_id"], ["import_batches.id"], name=op.f("fk_samples_import_id_import_batches")
        ),
        sa.ForeignKeyConstraint(
            ["remains_id"], ["remains.id"], name=op.f("fk_samples_remains_id_remains")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_samples")),
        sa.UniqueConstraint("ref", name=op.f("uq_samples_ref")),
    )
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_samples_donor_id"), ["donor_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_samples_remains_id"), ["remains_id"], unique=False)

    op.create_table(
        "candidate_matches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("log10_lr", sa.Float(), nullable=True),
        sa.Column("posterior", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_candidate_matches_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["remains_id"], ["remains.id"], name=op.f("fk_candidate_matches_remains_id_remains")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["identification_runs.id"],
            name=op.f("fk_candidate_matches_run_id_identification_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_candidate_matches_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_candidate_matches")),
    )
    with op.batch_alter_table("candidate_matches", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_candidate_matches_person_id"), ["person_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_candidate_matches_remains_id"), ["remains_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_candidate_matches_run_id"), ["run_id"], unique=False)

    op.create_table(
        "custody_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("remains_id", sa.Integer(), nullable=True),
        sa.Column("sample_id", sa.Integer(), nullable=True),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("from_party", sa.String(length=200), nullable=True),
        sa.Column("to_party", sa.String(length=200), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("occurred_on", sa.String(length=32), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "event IN ('recovered', 'received', 'transferred', 'stored', 'sampled', 'examined', "
            "'released', 'returned')",
            name=op.f("ck_custody_events_event"),
        ),
        sa.CheckConstraint(
            "remains_id IS NOT NULL OR sample_id IS NOT NULL",
            name=op.f("ck_custody_events_subject"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_custody_events_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["remains_id"], ["remains.id"], name=op.f("fk_custody_events_remains_id_remains")
        ),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_custody_events_sample_id_samples")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_custody_events")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_custody_events_row_hash")),
        sa.UniqueConstraint("seq", name=op.f("uq_custody_events_seq")),
    )
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_custody_events_remains_id"), ["remains_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_custody_events_sample_id"), ["sample_id"], unique=False
        )

    op.create_table(
        "profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.Integer(), nullable=False),
        sa.Column("kit", sa.String(length=120), nullable=True),
        sa.Column("quality", sa.Float(), nullable=True),
        sa.Column("quality_notes", sa.Text(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["sample_id"], ["samples.id"], name=op.f("fk_profiles_sample_id_samples")
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["profiles.id"], name=op.f("fk_profiles_supersedes_id_profiles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profiles")),
        sa.UniqueConstraint("supersedes_id", name=op.f("uq_profiles_supersedes_id")),
    )
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profiles_sample_id"), ["sample_id"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("proposer_id", sa.Integer(), nullable=True),
        sa.Column("refers_to", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint(
            "kind <> 'propose' OR (refers_to IS NULL AND proposer_id = actor_id)",
            name=op.f("ck_decisions_propose_shape"),
        ),
        sa.CheckConstraint(
            "kind = 'propose' OR refers_to IS NOT NULL", name=op.f("ck_decisions_refers")
        ),
        sa.CheckConstraint(
            "kind IN ('propose', 'confirm', 'reject', 'revoke')", name=op.f("ck_decisions_kind")
        ),
        sa.CheckConstraint(
            "kind NOT IN ('confirm', 'reject') OR "
            "(proposer_id IS NOT NULL AND actor_id <> proposer_id)",
            name=op.f("ck_decisions_two_person"),
        ),
        sa.CheckConstraint(
            "kind NOT IN ('reject', 'revoke') OR (reason IS NOT NULL AND reason <> '')",
            name=op.f("ck_decisions_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_decisions_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate_matches.id"],
            name=op.f("fk_decisions_candidate_id_candidate_matches"),
        ),
        sa.ForeignKeyConstraint(
            ["proposer_id"], ["users.id"], name=op.f("fk_decisions_proposer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["refers_to", "proposer_id"],
            ["decisions.id", "decisions.actor_id"],
            name="fk_decisions_refers_to_proposer",
        ),
        sa.ForeignKeyConstraint(
            ["refers_to"], ["decisions.id"], name=op.f("fk_decisions_refers_to_decisions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint("id", "actor_id", name=op.f("uq_decisions_id_actor_id")),
        sa.UniqueConstraint("refers_to", name=op.f("uq_decisions_refers_to")),
        sa.UniqueConstraint("row_hash", name=op.f("uq_decisions_row_hash")),
        sa.UniqueConstraint("seq", name=op.f("uq_decisions_seq")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decisions_candidate_id"), ["candidate_id"], unique=False
        )
        batch_op.create_index(
            "uq_decisions_one_proposal",
            ["candidate_id"],
            unique=True,
            sqlite_where=sa.text("kind = 'propose'"),
            postgresql_where=sa.text("kind = 'propose'"),
        )

    op.create_table(
        "genotypes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.Column("marker", sa.String(length=64), nullable=False),
        sa.Column("allele1", sa.String(length=16), nullable=False),
        sa.Column("allele2", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_genotypes_profile_id_profiles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_genotypes")),
        sa.UniqueConstraint("profile_id", "marker", name=op.f("uq_genotypes_profile_id_marker")),
    )
    op.create_table(
        "run_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["profiles.id"], name=op.f("fk_run_profiles_profile_id_profiles")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["identification_runs.id"],
            name=op.f("fk_run_profiles_run_id_identification_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_profiles")),
        sa.UniqueConstraint("run_id", "profile_id", name=op.f("uq_run_profiles_run_id_profile_id")),
    )
    with op.batch_alter_table("run_profiles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_run_profiles_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("notified_by_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=300), nullable=False),
        sa.Column("recipient_relationship", sa.String(length=64), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("notified_on", sa.String(length=32), nullable=False),
        sa.Column("sensitive_notes", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "method IN ('in_person', 'phone', 'letter', 'video', 'via_authority')",
            name=op.f("ck_notifications_method"),
        ),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_notifications_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["notified_by_id"], ["users.id"], name=op.f("fk_notifications_notified_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_notifications_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_person_id"), ["person_id"], unique=False)
    _create_two_person_trigger()
    _seed_chain_heads()


def downgrade() -> None:
    _drop_two_person_trigger()
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_person_id"))

    op.drop_table("notifications")
    with op.batch_alter_table("run_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_profiles_profile_id"))

    op.drop_table("run_profiles")
    op.drop_table("genotypes")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_decisions_one_proposal",
            sqlite_where=sa.text("kind = 'propose'"),
            postgresql_where=sa.text("kind = 'propose'"),
        )
        batch_op.drop_index(batch_op.f("ix_decisions_candidate_id"))

    op.drop_table("decisions")
    with op.batch_alter_table("profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profiles_sample_id"))

    op.drop_table("profiles")
    with op.batch_alter_table("custody_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_events_sample_id"))
        batch_op.drop_index(batch_op.f("ix_custody_events_remains_id"))

    op.drop_table("custody_events")
    with op.batch_alter_table("candidate_matches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_matches_run_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_matches_remains_id"))
        batch_op.drop_index(batch_op.f("ix_candidate_matches_person_id"))

    op.drop_table("candidate_matches")
    with op.batch_alter_table("samples", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_samples_remains_id"))
        batch_op.drop_index(batch_op.f("ix_samples_donor_id"))

    op.drop_table("samples")
    with op.batch_alter_table("pedigree_members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pedigree_members_person_id"))

    op.drop_table("pedigree_members")
    op.drop_table("repatriation_items")
    with op.batch_alter_table("person_names", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_names_person_id"))

    op.drop_table("person_names")
    with op.batch_alter_table("person_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_documents_person_id"))

    op.drop_table("person_documents")
    with op.batch_alter_table("effects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_effects_remains_id"))

    op.drop_table("effects")
    op.drop_table("donors")
    op.drop_table("dispositions")
    op.drop_table("remains")
    op.drop_table("reference_families")
    op.drop_table("published_claims")
    op.drop_table("persons")
    with op.batch_alter_table("state_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_state_changes_entity_id"))

    op.drop_table("state_changes")
    op.drop_table("repatriations")
    op.drop_table("marker_definitions")
    op.drop_table("import_batches")
    op.drop_table("identification_runs")
    op.drop_table("users")
    op.drop_table("frequency_tables")
    op.drop_table("chain_heads")
    op.drop_table("audit_events")


# A confirmation or rejection must act on a proposal and come from someone other than its
# proposer. The CHECK and composite foreign key on `decisions` say this too, but SQLite only
# enforces foreign keys on connections that ask for it; a trigger holds on every connection.
_TWO_PERSON_MESSAGE = "two-person rule: the proposer of a candidate cannot confirm or reject it"

_SQLITE_TRIGGER = """
CREATE TRIGGER trg_decisions_two_person_{event} BEFORE {event} ON decisions
FOR EACH ROW WHEN NEW.kind IN ('confirm', 'reject')
BEGIN
    SELECT RAISE(ABORT, '{message}')
    WHERE NOT EXISTS (SELECT 1 FROM decisions p WHERE p.id = NEW.refers_to
                      AND p.kind = 'propose' AND p.actor_id <> NEW.actor_id);
END
"""

_POSTGRES_FUNCTION = """
CREATE FUNCTION decisions_two_person() RETURNS trigger AS $$
BEGIN
    IF NEW.kind IN ('confirm', 'reject') AND NOT EXISTS (
        SELECT 1 FROM decisions p WHERE p.id = NEW.refers_to
        AND p.kind = 'propose' AND p.actor_id <> NEW.actor_id) THEN
        RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql
"""


def _create_two_person_trigger() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(_SQLITE_TRIGGER.format(event=event, message=_TWO_PERSON_MESSAGE))
    elif dialect == "postgresql":
        op.execute(_POSTGRES_FUNCTION.format(message=_TWO_PERSON_MESSAGE))
        op.execute(
            "CREATE TRIGGER trg_decisions_two_person BEFORE INSERT OR UPDATE ON decisions "
            "FOR EACH ROW EXECUTE FUNCTION decisions_two_person()"
        )
    else:
        raise RuntimeError(f"Repatria supports SQLite and PostgreSQL, not {dialect}")


def _drop_two_person_trigger() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS trg_decisions_two_person_{event}")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_decisions_two_person ON decisions")
        op.execute("DROP FUNCTION IF EXISTS decisions_two_person()")


def _seed_chain_heads() -> None:
    # The heads exist from the start, so the first two concurrent appenders lock a row
    # instead of racing to create it.
    heads = sa.table(
        "chain_heads",
        sa.column("chain", sa.String),
        sa.column("last_seq", sa.Integer),
        sa.column("last_hash", sa.String),
    )
    op.bulk_insert(
        heads,
        [{"chain": c, "last_seq": 0, "last_hash": "0" * 64} for c in ("custody", "decisions")],
    )
