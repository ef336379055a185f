"""The proven ``--as USER`` of every decision command (review and re-association steps)."""

from __future__ import annotations

import os
import sys

import typer

__all__ = ["prove_actor"]


def prove_actor(actor: str, db: str | None) -> None:
    """A decision's ``--as USER`` must be proven: ``$REPATRIA_TOKEN`` (from ``repatria login``)
    or, at a terminal, the user's password."""
    from repatria.services.access import auth

    token = os.environ.get("REPATRIA_TOKEN") or None
    password = None
    if token is None and sys.stdin.isatty():
        password = typer.prompt(f"password of {actor}", hide_input=True)
    auth.prove_identity(db, actor, token=token, password=password)
