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
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn
from rich.text import Text

from repatria.errors import RepatriaError
from repatria.formats.jsonsafe import json_safe  # noqa: F401  (re-exported for the commands)
from repatria.services.progress import Progress as ProgressCallback
from repatria.services.progress import ProgressTracker, ProgressUpdate

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
    except Exception as e:
        # A database error no workflow turned into a sentence: its one safe line, never the
        # traceback (SQLAlchemy's text of it holds the statement).
        from repatria.services.db_errors import error_line

        line = error_line(e)
        if line is None:
            raise
        err_console.print(f"[bold red]error:[/] {line}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def user_warnings() -> Iterator[None]:
    """Print each warning raised inside as one line on stderr (``warning: ...``), in its own words.

    Not Python's warning lines (source path, line, category, code): the readers' warnings already
    name the file and line they are about.
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as recorded:
            warnings.simplefilter("always", UserWarning)
            try:
                yield
            finally:
                caught = list(recorded)
    finally:
        # Outside the recording block: showing another warning must not record it again (a
        # warning shown while recording was appended to the list being read, without end).
        seen: set[str] = set()
        for w in caught:
            if not issubclass(w.category, UserWarning):
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
                continue
            text = " ".join(str(w.message).split())
            if text not in seen:
                seen.add(text)
                err_console.print(f"[yellow]warning:[/] {text}", highlight=False, soft_wrap=True)


def command(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator: run a command body inside :func:`cli_errors` and :func:`user_warnings`."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with cli_errors(), user_warnings():
            return fn(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------- progress

ProgressJsonOpt = typer.Option(
    False,
    "--progress-json",
    help='Report progress as one JSON line per update on stderr: {"step", "done", "total", '
    '"elapsed_s", "eta_s"} (no bars).',
)

#: Seconds between two reports of one step (its first and last are always shown).
PROGRESS_INTERVAL = 0.2


def _json_line(update: ProgressUpdate) -> None:
    sys.stderr.write(json.dumps(update.to_dict()) + "\n")
    sys.stderr.flush()


class _Eta(ProgressColumn):
    """The estimate of :class:`ProgressTracker`, not Rich's own, so every surface shows one ETA."""

    def render(self, task: Task) -> Text:
        eta = task.fields.get("eta")
        elapsed = task.fields.get("elapsed", 0.0)
        left = "? left" if eta is None else f"{eta:,.0f} s left"
        return Text(f"{elapsed:,.0f} s, {left}", style="progress.remaining")


@contextmanager
def progress_reporter(
    *, json_lines: bool = False, bars: bool = True
) -> Iterator[ProgressCallback | None]:
    """The ``progress`` callback of a long command.

    ``json_lines`` (``--progress-json``): one JSON line per update on stderr. Else with ``bars``
    (not ``--json``): a Rich bar per step on stderr, gone when the command ends. Else ``None``.
    stdout keeps only the result.
    """
    if json_lines:
        yield ProgressTracker(_json_line, min_interval=PROGRESS_INTERVAL)
        return
    if not bars:
        yield None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        _Eta(),
        console=err_console,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def show(u: ProgressUpdate) -> None:
            if u.step not in tasks:
                tasks[u.step] = bar.add_task(u.step, total=u.total)
            bar.update(
                tasks[u.step], completed=u.done, total=u.total, eta=u.eta_s, elapsed=u.elapsed_s
            )

        yield ProgressTracker(show)
