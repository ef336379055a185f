"""Errors of the kinship core (re-exported from the project's one exception tree)."""

from repatria.errors import KinshipError, RepatriaError

__all__ = ["KinshipError", "RepatriaError"]
