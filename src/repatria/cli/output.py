"""Shared output helpers for the CLI: JSON for machines, Rich for people, errors as one sentence."""

from __future__ import annotations

import json
import sys
import warnings
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


@contextmanager
def user_warnings() -> Iterator[None]:
    """Print each warning raised inside as one line on stderr (``warning: ...``), in its own words.

    Not Python's warning lines (source path, line, category, code): the readers' warnings already
    name the file and line they are about.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            seen: set[str] = set()
            for w in caught:
                if not issubclass(w.category, UserWarning):
                    warnings.showwarning(w.message, w.category, w.filename, w.lineno)
                    continue
                text = " ".join(str(w.message).split())
                if text not in seen:
                    seen.add(text)
                    err_console.print(
                        f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True
                    )


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run a command body inside :func:`cli_errors` and :func:`user_warnings`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_errors(), user_warnings():
            return fn(*args, **kwargs)

    return wrapper
