"""Creating and upgrading the registry database (``repatria db init``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repatria.errors import RegistryError
from repatria.registry.backup import BackupResult
from repatria.registry.backup import backup as _backup
from repatria.registry.backup import restore as _restore
from repatria.registry.db import (
    display_url,
    head_revision,
    migrate,
    require_application_role,
    schema_revision,
    write_reads_in_background,
)
from repatria.registry.db import require_guards as _require_guards

__all__ = [
    "InitResult",
    "init_database",
    "require_current_schema",
    "require_guards",
    "prepare_server",
    "backup_database",
    "restore_database",
]


@dataclass(frozen=True)
class InitResult:
    """The database, the schema revision before (``None``: new) and after."""

    database: str
    before: str | None
    after: str

    @property
    def message(self) -> str:
        if self.before == self.after:
            return f"{self.database} is already at schema {self.after}; nothing to do"
        if self.before is None:
            return f"initialised {self.database} at schema {self.after}"
        return f"upgraded {self.database} from schema {self.before} to {self.after}"


def init_database(db: str | None, migrate_url: str | None = None) -> InitResult:
    """Run every pending migration (alembic upgrade head) on ``db``, creating it if needed.

    On PostgreSQL with ``migrate_url`` (or ``$REPATRIA_MIGRATE_URL``): as that role, which then
    grants the application role of ``db`` its rights."""
    before, after = migrate(db, migrate_url=migrate_url)
    return InitResult(display_url(db), before, after)


def require_current_schema(db: str | None) -> str:
    """The database's display URL, if its schema is the newest; else a RegistryError saying what
    to run."""
    rev = schema_revision(db)
    if rev != head_revision():
        raise RegistryError(
            f"database {display_url(db)} is "
            f"{'not initialised' if rev is None else f'at schema {rev}'}; "
            "run `repatria db init` first"
        )
    return display_url(db)


def require_guards(db: str | None) -> None:
    """Refuse (one line) when the database's guards are missing: the two-person and append-only
    triggers, or SQLite's foreign keys. ``repatria serve`` runs it before it listens."""
    _require_guards(db)


def prepare_server(db: str | None) -> str:
    """Everything ``repatria serve`` checks and sets before it listens: the schema, the guards,
    on PostgreSQL a role that cannot change the schema, and reads' audit entries written by a
    background writer (readers never wait for a long
    import's write lock). Returns the database's display URL."""
    where = require_current_schema(db)
    require_guards(db)
    require_application_role(db)
    write_reads_in_background(True)
    return where


def backup_database(db: str | None, out: Path) -> BackupResult:
    """A consistent copy of the registry in ``out`` (SQLite backup API, or pg_dump)."""
    return _backup(db, out)


def restore_database(db: str | None, file: Path) -> BackupResult:
    """Replace the registry with the backup ``file`` (SQLite, or pg_restore)."""
    return _restore(db, file)
