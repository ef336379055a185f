"""One exception tree for the whole project; each surface translates it at its boundary."""

from __future__ import annotations


class RepatriaError(Exception):
    """Root of every error Repatria raises on purpose."""


class KinshipError(RepatriaError):
    """A pedigree, marker or hypothesis that the kinship core cannot evaluate."""


class FormatError(RepatriaError):
    """A file that cannot be read; names the file, the line and the field."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field = file, line, field
        where = []
        if file is not None:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field `{field}`")
        super().__init__((" ".join(where) + ": " if where else "") + message)
        self.reason = message


class RegistryError(RepatriaError):
    """A database record that cannot be stored or found."""


class ServiceError(RepatriaError):
    """A workflow step that is refused (wrong role, wrong state, two-person rule)."""


class NotFoundError(ServiceError):
    """The record asked for is not in the registry."""


class PermissionDeniedError(ServiceError):
    """The acting user's role does not allow the action, or no user was named."""
