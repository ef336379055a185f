"""Every command and sub-command of ``repatria`` has help, and ``--help`` works on each.

The commands are found by walking the Typer app, not listed by hand, so a new command is checked
the day it is added (as sqlite-utils' ``tests/test_docs.py`` does for its CLI).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner

from repatria.cli.main import app

runner = CliRunner()
ROOT = typer.main.get_command(app)


Words = tuple[str, ...]
Command = typer.core.TyperCommand | typer.core.TyperGroup


def _walk(command: Command, path: Words) -> Iterator[tuple[Words, Command]]:
    """Every command under ``command`` (itself included), with the words that invoke it."""
    yield path, command
    if isinstance(command, typer.core.TyperGroup):
        context = command.make_context(" ".join(path), [], resilient_parsing=True)
        for name in command.list_commands(context):
            sub = command.get_command(context, name)
            assert sub is not None, (path, name)
            yield from _walk(sub, (*path, name))


COMMANDS = dict(_walk(ROOT, ()))


def test_the_walk_finds_the_commands() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"", "dvi analyse", "screen", "import case", "review confirm", "audit verify"} <= names
    assert len(COMMANDS) > 30


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: " ".join(p) or "repatria")
def test_help_exits_0_and_documents_every_option(path: Words) -> None:
    command = COMMANDS[path]
    assert (command.help or command.short_help or "").strip(), f"{path}: no help text"
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output
    for param in command.params:
        help_text = (getattr(param, "help", None) or "").strip()
        assert help_text, f"{' '.join(path)}: {param.name} has no help"
        if param.param_type_name == "option":
            long_names = [o for o in param.opts if o.startswith("--")] or param.opts
            assert long_names[0] in result.output, f"{long_names[0]} not in {path} --help"
