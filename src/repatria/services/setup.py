"""Creating and upgrading the registry database (``repatria db init``)."""

from __future__ import annotations

from dataclasses import dataclass

from repatria.registry.db import display_url, migrate

__all__ = ["InitResult", "init_database"]


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
