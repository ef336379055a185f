"""Creating and upgrading the registry database (``repatria db init``)."""

from __future__ import annotations

from dataclasses import dataclass

from repatria.errors import RegistryError
from repatria.registry.db import display_url, head_revision, migrate, schema_revision

__all__ = ["InitResult", "init_database", "require_current_schema"]


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


def init_database(db: str | None) -> InitResult:
    """Run every pending migration (alembic upgrade head) on ``db``, creating it if needed."""
    before, after = migrate(db)
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
