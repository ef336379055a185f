"""Shared output helpers for the CLI: JSON for machines, Rich for people, errors as one sentence."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.console import Console

from repatria.errors import RepatriaError
from repatria.formats.jsonsafe import json_safe  # noqa: F401  (re-exported for the commands)

console = Console()
err_console = Console(stderr=True)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(json_safe(obj), allow_nan=False) + "\n")


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn the project's errors into one sentence on stderr and exit code 1; never a traceback."""
    try:
        yield
    except RepatriaError as e:
        err_console.print(f"[bold red]error:[/] {e}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run a command body inside :func:`cli_errors`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_errors():
            return fn(*args, **kwargs)

    return wrapper
