"""The registry's tables as SQLAlchemy 2 typed declarative models.

Rules that every table follows:

- Nothing is overwritten. A correction is a new row whose ``supersedes_id`` points at the
  old one; state changes are rows of ``state_changes``; custody events and decisions are
  append-only logs, hash-chained (``seq``, ``prev_hash``, ``row_hash``).
- Timestamps are UTC and come back timezone-aware on every database (:class:`UTCDateTime`).
- Dates that sources give loosely ("2025 (mid)", "2024-12") are kept as text, as given.
- Vocabularies (states, roles, conditions; :mod:`repatria.vocabulary`) are CHECK
  constraints, so a direct SQL write cannot invent a state either.

The module is longer than most (~700 lines) on purpose: every table sits in one place, beside
the constraints that tie them together, so a migration is written against one file and the
schema drift test compares the migrated database with one ``Base.metadata``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from repatria import field_limits as L

# The vocabularies live in one module without SQLAlchemy; the CHECK constraints below use them.
from repatria.vocabulary import (
    ASSOCIATION_KINDS,
    CANDIDATE_CLOSURES,
    CONDITIONS,
    CONSENT_SCOPES,
    CUSTODY_EVENTS,
    DECISION_KINDS,
    DIRECT_ITEMS,
    DISPOSITION_KINDS,
    DOC_AUTHENTICITY,
    NAME_KINDS,
    NOTIFY_METHODS,
    PERSON_STATES,
    REMAINS_STATES,
    REPATRIATION_KINDS,
    ROLES,
    SAMPLE_KINDS,
    SEXES,
    STATE_ENTITIES,
)

__all__ = [
    "Base",
    "ROLES",
    "PERSON_STATES",
    "REMAINS_STATES",
    "CONDITIONS",
    "DECISION_KINDS",
    "User",
    "ImportBatch",
    "Person",
    "PersonName",
    "PersonDocument",
    "Remains",
    "Effect",
    "Body",
    "BodyPart",
    "Association",
    "AssociationDecision",
    "CandidateScore",
    "CandidateClosure",
    "Grave",
    "FrequencyTable",
    "MarkerDefinition",
    "ReferenceFamily",
    "PedigreeMember",
    "Donor",
    "Sample",
    "PairingExclusion",
    "Profile",
    "Genotype",
    "IdentificationRun",
    "RunProfile",
    "CandidateMatch",
    "Decision",
    "CustodyEvent",
    "StateChange",
    "Notification",
    "Repatriation",
    "RepatriationItem",
    "Disposition",
    "PublishedClaim",
    "AuditEvent",
    "ChainHead",
    "PersonSearchKey",
    "SEARCH_KEY_SOURCES",
    "PolicyVersion",
    "RevocationRequest",
    "utcnow",
]


# Constraint names follow one pattern so Alembic migrations can refer to them on both databases.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utcnow() -> dt.datetime:
    """Now, in UTC, timezone-aware."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored as UTC; SQLite's naive values come back as UTC-aware like PostgreSQL's."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = metadata


# --------------------------------------------------------------------------- people and batches


class User(Base):
    """Someone who acts in the registry, with one role."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(L.USER_NAME), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Set when an admin disables the account (0006): no login, every token refused.
    disabled_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ImportBatch(Base):
    """One imported file: its kind, name, SHA-256 and row count. A file is imported once."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("kind", "sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(L.FILENAME))
    sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


# --------------------------------------------------------------------------- missing persons


class Person(Base):
    """A missing person (MP): who he was, his papers, where he was last known, and his state."""

    __tablename__ = "persons"
    __table_args__ = (
        CheckConstraint(_in("status", PERSON_STATES), name="status"),
        CheckConstraint(_in("sex", SEXES), name="sex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF), unique=True)
    sex: Mapped[str] = mapped_column(String(8), default="unknown")
    birth_date: Mapped[str | None] = mapped_column(String(L.DATE))
    nationality: Mapped[str | None] = mapped_column(String(L.CODE))
    service_number: Mapped[str | None] = mapped_column(String(L.CODE))
    unit: Mapped[str | None] = mapped_column(String(L.PARTY))
    date_missing: Mapped[str | None] = mapped_column(String(L.DATE))
    last_known_place: Mapped[str | None] = mapped_column(String(L.PLACE))
    last_known_lat: Mapped[float | None] = mapped_column(Float)
    last_known_lon: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="missing")
    notes: Mapped[str | None] = mapped_column(Text)
    # A correction is a new row that points at the row it replaces; the old row stays.
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), unique=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    names: Mapped[list[PersonName]] = relationship(
        back_populates="person", order_by="PersonName.id"
    )
    documents: Mapped[list[PersonDocument]] = relationship(
        back_populates="person", order_by="PersonDocument.id"
    )


class PersonName(Base):
    """One name a person was known by, in its script, with its transliteration."""

    __tablename__ = "person_names"
    __table_args__ = (CheckConstraint(_in("kind", NAME_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    name: Mapped[str] = mapped_column(String(L.PERSON_NAME))
    kind: Mapped[str] = mapped_column(String(16), default="official")
    script: Mapped[str | None] = mapped_column(String(L.SCRIPT))  # ISO 15924: Hang, Cyrl, Latn ...
    transliteration: Mapped[str | None] = mapped_column(String(L.PERSON_NAME))
    person: Mapped[Person] = relationship(back_populates="names")


class PersonDocument(Base):
    """A paper a person carried or was issued: genuine, false, or another army's."""

    __tablename__ = "person_documents"
    __table_args__ = (CheckConstraint(_in("authenticity", DOC_AUTHENTICITY), name="authenticity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    doc_type: Mapped[str] = mapped_column(String(L.CODE))
    number: Mapped[str | None] = mapped_column(String(L.DOC_FIELD))
    issuer: Mapped[str | None] = mapped_column(String(L.DOC_FIELD))
    name_on_document: Mapped[str | None] = mapped_column(String(L.PERSON_NAME))
    authenticity: Mapped[str] = mapped_column(String(16), default="unknown")
    person: Mapped[Person] = relationship(back_populates="documents")


# --------------------------------------------------------------------------- remains


class Remains(Base):
    """One recovered body or set of remains: where, when, by whom, in what condition."""

    __tablename__ = "remains"
    __table_args__ = (
        CheckConstraint(_in("status", REMAINS_STATES), name="status"),
        CheckConstraint(_in("condition", CONDITIONS), name="condition"),
        CheckConstraint("site_lat IS NULL OR (site_lat >= -90 AND site_lat <= 90)", name="lat"),
        CheckConstraint("site_lon IS NULL OR (site_lon >= -180 AND site_lon <= 180)", name="lon"),
        CheckConstraint(
            "sex_estimate IS NULL OR sex_estimate IN ('male', 'female', 'unknown')",
            name="sex_estimate",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF), unique=True)
    site: Mapped[str | None] = mapped_column(String(L.PLACE))
    site_lat: Mapped[float | None] = mapped_column(Float)
    site_lon: Mapped[float | None] = mapped_column(Float)
    recovered_on: Mapped[str | None] = mapped_column(String(L.DATE))
    recovered_by: Mapped[str | None] = mapped_column(String(L.PARTY))
    condition: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(16), default="recovered")
    notes: Mapped[str | None] = mapped_column(Text)
    # Anthropology and what was with the remains, as non-DNA evidence (0016, issue 13): the sex
    # read from the skeleton and how ("pelvis", "skull", "poor_condition"), the estimated age
    # range at death, and the unit the remains are tied to (insignia, the grave's unit).
    sex_estimate: Mapped[str | None] = mapped_column(String(8))
    sex_method: Mapped[str | None] = mapped_column(String(24))
    age_min: Mapped[float | None] = mapped_column(Float)
    age_max: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(L.PARTY))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"), unique=True)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    effects: Mapped[list[Effect]] = relationship(back_populates="remains", order_by="Effect.id")


class Effect(Base):
    """Something found with remains: a tag, a notebook, papers."""

    __tablename__ = "effects"
    __table_args__ = (
        CheckConstraint(
            "reliability IS NULL OR (reliability >= 0 AND reliability <= 1)", name="reliability"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remains_id: Mapped[int] = mapped_column(ForeignKey("remains.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    # As non-DNA evidence (0016): a document's or tag's number, the chance that the item is the
    # body's own (papers are false, swapped or taken from the dead), and the person whose family
    # recognised the item as his (a ref, as the family said it).
    number: Mapped[str | None] = mapped_column(String(L.DOC_FIELD))
    reliability: Mapped[float | None] = mapped_column(Float)
    recognised_as: Mapped[str | None] = mapped_column(String(L.REF))
    remains: Mapped[Remains] = relationship(back_populates="effects")


# --------------------------------------------------------------------------- bodies


class Body(Base):
    """One individual's remains: what is identified, handed over and buried.

    A body is made of recovered items (``remains``: bags, fragments) and their samples, through
    its current :class:`BodyPart` rows; one recovered item can hold parts of several bodies. Its
    ``status`` follows the remains state machine. A body left with no current part (merged into
    another by a re-association) is kept, and counted nowhere.
    """

    __tablename__ = "bodies"
    __table_args__ = (CheckConstraint(_in("status", REMAINS_STATES), name="status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="recovered")
    notes: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class BodyPart(Base):
    """A recovered item (and, when known, one of its samples) that is part of a body.

    ``added_by`` and ``ended_by`` say what put the part there and what took it away
    ("migration", "import:3", "association:5", "revocation:9"); a part whose ``ended_by`` is
    NULL is current. Rows are never deleted, so a body's make-up at any time can be read back.
    """

    __tablename__ = "body_parts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body_id: Mapped[int] = mapped_column(ForeignKey("bodies.id"), index=True)
    remains_id: Mapped[int] = mapped_column(ForeignKey("remains.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("samples.id"), index=True)
    added_by: Mapped[str] = mapped_column(String(64))
    ended_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Association(Base):
    """A proposed re-association: these samples are one body, with the evidence for it.

    ``evidence`` holds the fragment LR (``log10_lr``), anthropology and any other notes; the
    review steps are rows of :class:`AssociationDecision`.
    """

    __tablename__ = "associations"
    __table_args__ = (CheckConstraint(_in("kind", ASSOCIATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    sample_ids: Mapped[list[int]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# ------------------------------------------------------------- DNA: markers, families, samples


class FrequencyTable(Base):
    """An allele frequency table used by identification runs, by its id and content hash.

    A case's own markers are one row (``origin`` "case", version 1). A table imported on its own
    (``repatria frequencies import``, origin "import") is versioned under its name: changed
    content is a new row (``version`` + 1, ``supersedes_id`` the old one), so a run's
    ``frequency_table_id`` names the exact version it read (0010).
    """

    __tablename__ = "frequency_tables"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        CheckConstraint("origin IN ('case', 'import')", name="origin"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("frequency_tables.id"), unique=True
    )
    origin: Mapped[str] = mapped_column(String(16), default="case", server_default="case")
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str | None] = mapped_column(String(500))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    layout: Mapped[str | None] = mapped_column(String(16))


class MarkerDefinition(Base):
    """One marker of a frequency table: alleles with frequencies, and its mutation model."""

    __tablename__ = "marker_definitions"
    __table_args__ = (UniqueConstraint("frequency_table_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    frequency_table_id: Mapped[int] = mapped_column(ForeignKey("frequency_tables.id"))
    name: Mapped[str] = mapped_column(String(L.MARKER))
    chromosome: Mapped[str] = mapped_column(String(16), default="autosomal")
    frequencies: Mapped[dict[str, float]] = mapped_column(JSON)
    mutation: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class ReferenceFamily(Base):
    """A reference family at one version: a pedigree holding MPs and the relatives who donated.

    A new donor, a new reference profile or a corrected relationship is a new row (``version``
    + 1, ``supersedes_id`` the old row, ``changed_by_id`` and ``change_reason`` who and why);
    the old version and its members stay as they were. Runs read the current versions.
    """

    __tablename__ = "reference_families"
    __table_args__ = (UniqueConstraint("ref", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("reference_families.id"), unique=True
    )
    change_reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    case_ref: Mapped[str | None] = mapped_column(String(120))
    notes: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    members: Mapped[list[PedigreeMember]] = relationship(
        back_populates="family", order_by="PedigreeMember.id"
    )


class PedigreeMember(Base):
    """One position in a family pedigree; an MP position links to a person, a donor's to a donor."""

    __tablename__ = "pedigree_members"
    __table_args__ = (
        UniqueConstraint("family_id", "individual"),
        UniqueConstraint("family_id", "donor_id"),
        CheckConstraint(_in("sex", SEXES), name="sex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("reference_families.id"))
    individual: Mapped[str] = mapped_column(String(L.REF))
    father: Mapped[str | None] = mapped_column(String(L.REF))  # an `individual` of the same family
    mother: Mapped[str | None] = mapped_column(String(L.REF))
    sex: Mapped[str] = mapped_column(String(8), default="unknown")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    # A donor holds one position in each version of his family (unique per family row).
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    family: Mapped[ReferenceFamily] = relationship(back_populates="members")


class Donor(Base):
    """A relative who gave a reference sample, with the consent given and any withdrawal."""

    __tablename__ = "donors"
    __table_args__ = (CheckConstraint(_in("consent_scope", CONSENT_SCOPES), name="consent_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF), unique=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("reference_families.id"))
    name: Mapped[str | None] = mapped_column(String(L.PERSON_NAME))
    relationship_to_mp: Mapped[str | None] = mapped_column(
        String(L.CODE)
    )  # "mother", "brother" ...
    mp_person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    consent_scope: Mapped[str] = mapped_column(String(40), default="identification")
    consent_given_on: Mapped[str | None] = mapped_column(String(L.DATE))
    consent_withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    withdrawal_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # "Does not want to be contacted" (0008): never offered or accepted as the one to notify.
    contact_declined_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    contact_declined_reason: Mapped[str | None] = mapped_column(Text)
    contact_declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sample(Base):
    """A DNA sample: post mortem (from remains) or reference (from a donor)."""

    __tablename__ = "samples"
    __table_args__ = (
        CheckConstraint(_in("kind", SAMPLE_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'pm' AND donor_id IS NULL) OR (kind = 'reference' AND remains_id IS NULL)",
            name="source",
        ),
        CheckConstraint(_in("sex", SEXES), name="sex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    remains_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"), index=True)
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"), index=True)
    material: Mapped[str | None] = mapped_column(String(L.CODE))  # bone, tooth, buccal swab ...
    collected_on: Mapped[str | None] = mapped_column(String(L.DATE))
    lab: Mapped[str | None] = mapped_column(String(L.PARTY))
    # The sex the lab typed (amelogenin) for a PM sample; DVI pairings and X markers need it.
    sex: Mapped[str | None] = mapped_column(String(8))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Profile(Base):
    """A DNA profile typed from a sample with one kit; its genotypes are rows of ``genotypes``."""

    __tablename__ = "profiles"
    __table_args__ = (
        CheckConstraint("dropout IS NULL OR (dropout >= 0 AND dropout < 1)", name="dropout"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    kit: Mapped[str | None] = mapped_column(String(L.KIT))
    quality: Mapped[float | None] = mapped_column(Float)  # fraction of markers typed, 0..1
    # The sample's allelic dropout probability as the lab or the case gave it (0015): burned
    # samples lose alleles, and the fragment search and the tables weigh single peaks with it.
    dropout: Mapped[float | None] = mapped_column(Float)
    quality_notes: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("profiles.id"), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Genotype(Base):
    """Two alleles at one marker of a profile. Never written to logs or audit entries.

    An allele is NULL when it is unknown (a case file's ``a/-``); an untyped marker has no row.
    """

    __tablename__ = "genotypes"
    __table_args__ = (UniqueConstraint("profile_id", "marker"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"))
    marker: Mapped[str] = mapped_column(String(L.MARKER))
    allele1: Mapped[str | None] = mapped_column(String(L.ALLELE))
    allele2: Mapped[str | None] = mapped_column(String(L.ALLELE))


# --------------------------------------------------------------------------- identification


class IdentificationRun(Base):
    """One identification run: what went in (hash, profiles, frequencies) and what came out."""

    __tablename__ = "identification_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    software_version: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    frequency_table_id: Mapped[int | None] = mapped_column(ForeignKey("frequency_tables.id"))
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    results: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class RunProfile(Base):
    """A profile that went into a run (so a consent withdrawal can name past results)."""

    __tablename__ = "run_profiles"
    __table_args__ = (UniqueConstraint("run_id", "profile_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("identification_runs.id"))
    profile_id: Mapped[int] = mapped_column(ForeignKey("profiles.id"), index=True)


class PairingExclusion(Base):
    """A PM sample that may not be this missing person, for reasons outside the DNA (anthropology,
    circumstances, a case's pairings). Identification runs leave the pairing out."""

    __tablename__ = "pairing_exclusions"
    __table_args__ = (UniqueConstraint("sample_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    reason: Mapped[str] = mapped_column(String(500))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CandidateMatch(Base):
    """A pairing proposed by a run (or by hand): this person may be these remains."""

    __tablename__ = "candidate_matches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("identification_runs.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    remains_id: Mapped[int] = mapped_column(ForeignKey("remains.id"), index=True)
    # The body the candidate is for (its identity across runs is body x person); remains_id
    # and sample_id name the body's first item and sample.
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("samples.id"))
    log10_lr: Mapped[float | None] = mapped_column(Float)
    posterior: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


def _review_step_rules(table: str, subject: str) -> tuple[Any, ...]:
    """The two-person review rules of a decisions log, one definition for every log.

    ``propose`` -> ``confirm`` or ``reject`` (never by the proposer) -> ``revoke``; each row is
    acted on once, each subject proposed once.
    """
    return (
        CheckConstraint(_in("kind", DECISION_KINDS), name="kind"),
        CheckConstraint(
            "kind <> 'propose' OR (refers_to IS NULL AND proposer_id = actor_id)",
            name="propose_shape",
        ),
        CheckConstraint("kind = 'propose' OR refers_to IS NOT NULL", name="refers"),
        CheckConstraint(
            "kind NOT IN ('confirm', 'reject') OR "
            "(proposer_id IS NOT NULL AND actor_id <> proposer_id)",
            name="two_person",
        ),
        CheckConstraint(
            "kind NOT IN ('reject', 'revoke') OR (reason IS NOT NULL AND reason <> '')",
            name="reason",
        ),
        UniqueConstraint("id", "actor_id"),
        ForeignKeyConstraint(
            ["refers_to", "proposer_id"],
            [f"{table}.id", f"{table}.actor_id"],
            name=f"fk_{table}_refers_to_proposer",
        ),
        Index(
            f"uq_{table}_one_proposal",
            subject,
            unique=True,
            sqlite_where=text("kind = 'propose'"),
            postgresql_where=text("kind = 'propose'"),
        ),
    )


class Decision(Base):
    """One step of review, in an append-only, hash-chained log.

    ``propose`` (an analyst) -> ``confirm`` or ``reject`` (a reviewer, never the proposer)
    -> ``revoke`` (of a confirmation). ``refers_to`` is the row acted on; each row can be
    acted on once (UNIQUE), and a candidate can be proposed once (partial UNIQUE index), so
    two reviewers racing end with one decision. The two-person rule is held by the CHECK
    ``actor_id <> proposer_id``, the composite foreign key that makes ``proposer_id`` the
    real proposer, and a trigger (see the migration) that holds even where SQLite's foreign
    keys are off.
    """

    __tablename__ = "decisions"
    __table_args__ = _review_step_rules("decisions", "candidate_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_matches.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refers_to: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"), unique=True)
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the candidate's evidence and the names it rests on (registry.chain, 0006).
    context_digest: Mapped[str | None] = mapped_column(String(64))
    # The identification policy the step was taken under, its verdict, and the override reason
    # when the candidate failed it (0007; sealed through context_digest, never for older rows).
    policy_version: Mapped[int | None] = mapped_column(Integer)
    verdict: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    override_reason: Mapped[str | None] = mapped_column(Text)

    CHAIN = "decisions"
    CHAIN_FIELDS = (
        "seq",
        "candidate_id",
        "kind",
        "actor_id",
        "proposer_id",
        "refers_to",
        "reason",
        "decided_at",
        "context_digest",
    )


class AssociationDecision(Base):
    """One review step of a re-association, in its own append-only, hash-chained log.

    The same rules as :class:`Decision` (``_review_step_rules``, and the same two-person trigger
    of migration 0006: same subject, another user, a role allowed to act); ``refers_to`` is a
    row of this log.
    """

    __tablename__ = "association_decisions"
    __table_args__ = _review_step_rules("association_decisions", "association_id")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("associations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    refers_to: Mapped[int | None] = mapped_column(
        ForeignKey("association_decisions.id"), unique=True
    )
    reason: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the re-association's samples, evidence and the names it rests on
    # (registry.chain, 0006).
    context_digest: Mapped[str | None] = mapped_column(String(64))

    CHAIN = "associations"
    CHAIN_FIELDS = (
        "seq",
        "association_id",
        "kind",
        "actor_id",
        "proposer_id",
        "refers_to",
        "reason",
        "decided_at",
        "context_digest",
    )


class CandidateScore(Base):
    """What one run found for a candidate (body x person): the candidate's history of numbers."""

    __tablename__ = "candidate_scores"
    __table_args__ = (UniqueConstraint("run_id", "candidate_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("identification_runs.id"))
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_matches.id"), index=True)
    log10_lr: Mapped[float | None] = mapped_column(Float)
    posterior: Mapped[float | None] = mapped_column(Float)
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class CandidateClosure(Base):
    """A run closed a candidate: its body or person was identified elsewhere (``pointer``)."""

    __tablename__ = "candidate_closures"
    __table_args__ = (CheckConstraint(_in("reason", CANDIDATE_CLOSURES), name="reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_matches.id"), unique=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("identification_runs.id"))
    reason: Mapped[str] = mapped_column(String(16))
    pointer: Mapped[str] = mapped_column(String(64))  # "decision:12": what identified them
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class CustodyEvent(Base):
    """Remains or a sample moved, changed hands or changed state. Append-only, hash-chained."""

    __tablename__ = "custody_events"
    __table_args__ = (
        CheckConstraint(_in("event", CUSTODY_EVENTS), name="event"),
        CheckConstraint("remains_id IS NOT NULL OR sample_id IS NOT NULL", name="subject"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    remains_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"), index=True)
    sample_id: Mapped[int | None] = mapped_column(ForeignKey("samples.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_party: Mapped[str | None] = mapped_column(String(L.PARTY))
    to_party: Mapped[str | None] = mapped_column(String(L.PARTY))
    location: Mapped[str | None] = mapped_column(String(L.PLACE))
    occurred_on: Mapped[str | None] = mapped_column(String(L.DATE))
    notes: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # SHA-256 of the references and the recorder's name it rests on (registry.chain, 0006).
    context_digest: Mapped[str | None] = mapped_column(String(64))

    CHAIN = "custody"
    CHAIN_FIELDS = (
        "seq",
        "remains_id",
        "sample_id",
        "event",
        "from_party",
        "to_party",
        "location",
        "occurred_on",
        "notes",
        "recorded_by_id",
        "recorded_at",
        "context_digest",
    )


class StateChange(Base):
    """A person or remains moved from one state to another, by whom, why, caused by what."""

    __tablename__ = "state_changes"
    __table_args__ = (CheckConstraint(_in("entity", STATE_ENTITIES), name="entity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(Integer, index=True)
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(String(64))  # "decision:12", "repatriation:3"
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- after identification


class Notification(Base):
    """A family was told: who told them, when, how. ``sensitive_notes`` are shown only by role."""

    __tablename__ = "notifications"
    __table_args__ = (CheckConstraint(_in("method", NOTIFY_METHODS), name="method"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    notified_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recipient: Mapped[str] = mapped_column(String(L.PERSON_NAME))
    recipient_relationship: Mapped[str | None] = mapped_column(String(L.CODE))
    method: Mapped[str] = mapped_column(String(16))
    notified_on: Mapped[str] = mapped_column(String(L.DATE))
    sensitive_notes: Mapped[str | None] = mapped_column(Text)
    # The donor told, when the recipient is one of the reference donors (0008).
    recipient_donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Repatriation(Base):
    """A handover to family or state, or an exchange between parties, often with a ceremony."""

    __tablename__ = "repatriations"
    __table_args__ = (CheckConstraint(_in("kind", REPATRIATION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    counterpart: Mapped[str] = mapped_column(String(L.PERSON_NAME))
    place: Mapped[str | None] = mapped_column(String(L.PLACE))
    occurred_on: Mapped[str] = mapped_column(String(L.DATE))
    ceremony: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    items: Mapped[list[RepatriationItem]] = relationship(order_by="RepatriationItem.id")


class RepatriationItem(Base):
    """One body in a repatriation (one coffin), and the person it was identified as.

    Rows before bodies name ``remains_id`` (and the migration's body); a body's row names the
    body only, and all its items move with it (custody events).
    """

    __tablename__ = "repatriation_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repatriation_id: Mapped[int] = mapped_column(ForeignKey("repatriations.id"))
    remains_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"), unique=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    coffin_label: Mapped[str | None] = mapped_column(String(L.LABEL))


class Disposition(Base):
    """A body not repatriated: buried (in a recorded grave), cremated, held, and why."""

    __tablename__ = "dispositions"
    __table_args__ = (CheckConstraint(_in("kind", DISPOSITION_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    remains_id: Mapped[int | None] = mapped_column(ForeignKey("remains.id"), unique=True)
    body_id: Mapped[int | None] = mapped_column(ForeignKey("bodies.id"), unique=True)
    grave_id: Mapped[int | None] = mapped_column(ForeignKey("graves.id"))
    kind: Mapped[str] = mapped_column(String(16))
    place: Mapped[str | None] = mapped_column(String(L.PLACE))
    occurred_on: Mapped[str] = mapped_column(String(L.DATE))
    reason: Mapped[str] = mapped_column(Text)
    # Why the body went while candidates for it were still open (0008); none: there were none.
    open_candidates_reason: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Grave(Base):
    """A grave as a record (cemetery, plot, number), so a numbered grave can be found again."""

    __tablename__ = "graves"
    __table_args__ = (
        UniqueConstraint("cemetery", "plot", "number"),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cemetery: Mapped[str] = mapped_column(String(L.PLACE))
    plot: Mapped[str] = mapped_column(String(L.CODE), default="")
    number: Mapped[str] = mapped_column(String(L.CODE))
    # Where the grave is, for the map (issue 18); a cemetery's coordinates will do.
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- claims and audit


class PublishedClaim(Base):
    """A published or official figure, with who said it, when, and how it was verified."""

    __tablename__ = "published_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    claim_id: Mapped[str] = mapped_column(String(L.REF), unique=True)
    reported_on: Mapped[str | None] = mapped_column(String(L.DATE))
    reported_by: Mapped[str | None] = mapped_column(String(L.PERSON_NAME))
    attributed_to: Mapped[str | None] = mapped_column(String(L.PERSON_NAME))
    subject: Mapped[str | None] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(L.CODE))
    low: Mapped[int | None] = mapped_column(Integer)
    high: Mapped[int | None] = mapped_column(Integer)
    as_of: Mapped[str | None] = mapped_column(String(L.DATE))
    basis: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))


class AuditEvent(Base):
    """Who saw or changed what, when. ``detail`` never holds genotypes (see services.audit)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    user_name: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str | None] = mapped_column(String(64))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Chained since 0006 (registry.chain): the log of who saw what cannot be edited unseen.
    seq: Mapped[int | None] = mapped_column(Integer, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64), unique=True)

    CHAIN = "audit"
    CHAIN_FIELDS = ("seq", "at", "user_name", "action", "entity", "entity_id", "detail")


class ChainHead(Base):
    """The last link of each hash chain; appenders lock this row, so the chain never forks."""

    __tablename__ = "chain_heads"

    chain: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


# --------------------------------------------------------------------------- jobs (issue 18)


class Job(Base):
    """Long work started from a page or the API (an identification run), and how far it got.

    The row is the job's whole state, so its progress page survives a reload or another
    browser; ``message`` is one line in the user's words (never data from the records).
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    step: Mapped[str] = mapped_column(String(64), default="")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    step_started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    message: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --------------------------------------------------------------------------- notification (0008)


class NotificationException(Base):
    """An identified person's family not told, and why: who decided it, for which identification.

    It takes the family off "Families to tell" without pretending they were told; ``cause``
    names what it let through (``repatriation:12``, ``disposition:3``), or nothing when it was
    recorded on its own.
    """

    __tablename__ = "notification_exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    reason: Mapped[str] = mapped_column(Text)
    cause: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- search keys (0009)

#: What a search key was made from: a name row, a document row, or the person's own ref and
#: service number (``source_id`` is then the person's id).
SEARCH_KEY_SOURCES = ("name", "document", "person")
#: Longest stored key; longer keys (very long names) are cut, queries the same way.
SEARCH_KEY_LENGTH = 200


class PersonSearchKey(Base):
    """One search key of a person (:mod:`repatria.search_keys`), written with the names and
    papers it comes from (:mod:`repatria.registry.search_index`). Searches are index seeks on
    ``key``: equality, or a prefix as a range, compared in binary order (``COLLATE "C"`` on
    PostgreSQL; SQLite's default)."""

    __tablename__ = "person_search_keys"
    __table_args__ = (
        CheckConstraint(_in("source", SEARCH_KEY_SOURCES), name="source"),
        # (key, person_id, ref): a lookup, and the first page of its persons in ref order, are
        # answered from the index alone (no visit to persons per match; issue 15).
        Index("ix_person_search_keys_key_person", "key", "person_id", "ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    key: Mapped[str] = mapped_column(
        String(SEARCH_KEY_LENGTH).with_variant(
            String(SEARCH_KEY_LENGTH, collation="C"), "postgresql"
        )
    )
    source: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    keys_version: Mapped[int] = mapped_column(Integer)
    # The person's ref, copied (written with the keys, rewritten with them when it changes):
    # what a search sorts its matches by, without fetching each matched person.
    ref: Mapped[str] = mapped_column(String(L.REF))


# --------------------------------------------------------------------------- exchange (issue 17)


class ExchangeParty(Base):
    """A party whose signed exchange packages are trusted: its name and Ed25519 public key."""

    __tablename__ = "exchange_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    public_key: Mapped[str] = mapped_column(String(64), unique=True)  # raw key, hex
    fingerprint: Mapped[str] = mapped_column(String(16))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangePackage(Base):
    """A package exported or imported: its id, parties, file hash, counts and chain head."""

    __tablename__ = "exchange_packages"
    __table_args__ = (
        CheckConstraint("direction IN ('export', 'import')", name="direction"),
        UniqueConstraint("direction", "package_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    package_id: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(32))  # as the header gives it
    sha256: Mapped[str] = mapped_column(String(64))
    records: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict[str, int]] = mapped_column(JSON)
    chain_head: Mapped[str] = mapped_column(String(64))
    done_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    done_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExchangeRecord(Base):
    """A record received from another party, kept as received, with where it came from.

    ``(party, record_type, ref)`` is the record's identity in the sender's namespace: a later
    package's record with the same identity is a newer version (``previous_id`` the older).
    """

    __tablename__ = "exchange_records"
    __table_args__ = (
        UniqueConstraint("package_row_id", "record_index"),
        Index("ix_exchange_records_identity", "party", "record_type", "ref"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    package_row_id: Mapped[int] = mapped_column(ForeignKey("exchange_packages.id"))
    party: Mapped[str] = mapped_column(String(200))
    package_id: Mapped[str] = mapped_column(String(64))
    record_index: Mapped[int] = mapped_column(Integer)
    record_type: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(200))
    record_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    previous_id: Mapped[int | None] = mapped_column(ForeignKey("exchange_records.id"), unique=True)


class SharingConsent(Base):
    """A donor's consent to share his reference profile with another party (or any, ``NULL``).

    Separate from the consent to identification: a donor may agree to one and not the other. A
    withdrawal of consent (``donors.consent_withdrawn_at``) ends this one too.
    """

    __tablename__ = "exchange_sharing_consents"
    __table_args__ = (UniqueConstraint("donor_id", "party"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), index=True)
    party: Mapped[str | None] = mapped_column(String(200))
    given_on: Mapped[str] = mapped_column(String(32))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- identification policy


class PolicyVersion(Base):
    """One version of the identification policy (``repatria.policy``), append-only.

    ``document`` is ``IdentificationPolicy.to_json()``; the current policy is the highest
    version, and an empty table means the defaults (version 1). UPDATE and DELETE are refused
    by a trigger (migration 0007).
    """

    __tablename__ = "policy_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(Text)


class RevocationRequest(Base):
    """The first of the two people who revoke an identification: who asked, and why.

    The identification stands until another reviewer or case manager appends the ``revoke``
    decision, which a trigger (migration 0007) refuses without a request of the same
    confirmation by someone else; the revoke decision seals the request (``context_digest``).
    Append-only; one request per confirmation.
    """

    __tablename__ = "revocation_requests"
    __table_args__ = (CheckConstraint("reason <> ''", name="reason"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    candidate_id: Mapped[int] = mapped_column(ForeignKey("candidate_matches.id"), index=True)
    confirmation_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), unique=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- lineage markers


class LineageProfile(Base):
    """A Y-STR or mtDNA haplotype typed from a sample: a PM sample or a donor's reference sample.

    ``haplotype`` is the canonical text of :func:`repatria.formats.lineage_tsv.haplotype_text`
    (``DYS19=14;DYS385=13,15`` or ``16519C 263G@16024-16569``), so the same haplotype is the same
    string. Retyping is a new row superseding the old one; the newest row of a sample and kind
    (the one nothing supersedes) is the one identify reads.
    """

    __tablename__ = "lineage_profiles"
    __table_args__ = (CheckConstraint("kind IN ('y_str', 'mtdna')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    haplotype: Mapped[str] = mapped_column(Text)
    loci: Mapped[int] = mapped_column(Integer)  # loci or positions typed
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("lineage_profiles.id"), unique=True
    )
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class HaplotypeDatabase(Base):
    """A Y-STR or mtDNA haplotype database, versioned under its name like ``frequency_tables``.

    ``content`` is the database file's text as read (``repatria.formats.haplotypes``); ``sha256``
    the digest of its haplotypes in canonical form, so changed content is version + 1.
    """

    __tablename__ = "haplotype_databases"
    __table_args__ = (
        UniqueConstraint("name", "version"),
        CheckConstraint("kind IN ('y_str', 'mtdna')", name="kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int] = mapped_column(Integer)
    supersedes_id: Mapped[int | None] = mapped_column(
        ForeignKey("haplotype_databases.id"), unique=True
    )
    source: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    haplotypes: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(String(500))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    imported_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


# --------------------------------------------------------------------------- direct references


class DirectReference(Base):
    """An item of the missing person's own (a toothbrush, a razor, a stored blood card), typed:
    a direct reference of the MP himself, not a relative (issue 13).

    Its sample is a ``reference`` sample with no donor and no remains; its profiles are the
    sample's ``profiles`` rows, as a donor's are. It is never a donor: no notification, no
    pedigree position, no consent of a relative. ``reliability`` is the stated probability that
    the item carries the MP's DNA alone (a shared razor: less than 1).
    """

    __tablename__ = "direct_references"
    __table_args__ = (
        CheckConstraint(_in("item", DIRECT_ITEMS), name="item"),
        CheckConstraint("reliability > 0 AND reliability <= 1", name="reliability"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(L.REF), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    sample_id: Mapped[int] = mapped_column(ForeignKey("samples.id"), unique=True)
    item: Mapped[str] = mapped_column(String(24))
    reliability: Mapped[float] = mapped_column(Float, default=1.0)
    note: Mapped[str | None] = mapped_column(Text)
    import_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
