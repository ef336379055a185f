"""Shared output helpers for the CLI: JSON for machines, Rich for people, errors as one sentence."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import typer
from rich.console import Console

from repatria.errors import RepatriaError

console = Console()
err_console = Console(stderr=True)


def json_safe(x: Any) -> Any:
    """Numbers for JSON: non-finite floats become the strings "Inf", "-Inf", "NaN"."""
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return json_safe(x.tolist())
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Inf" if x > 0 else "-Inf"
        return x
    return x


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
