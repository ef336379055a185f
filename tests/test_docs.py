"""Every file the README, the docs, the CLI's help or the code's docstrings cite exists.

A path is recognised by its first folder: one of the project's (``src/``, ``tests/``, ``docs/``,
``benchmarks/``, ``.ci/``) or ``repatria/`` (the package, under ``src/``). Paths beside the
project (``../shared``) and files the programs create (``test-artifacts/``) are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer.core
import typer.main

from repatria.cli.main import app
from shared_data import PROJECT

CITED = re.compile(r"(?<![\w./-])((?:src|tests|docs|benchmarks|\.ci|repatria)/[\w./*-]*)")
DOCUMENTS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]


def _exists(cited: str) -> bool:
    path = cited.rstrip(".,:;")
    if path.startswith("repatria/"):
        path = "src/" + path
    if "*" in path:
        return any(PROJECT.glob(path))
    return (PROJECT / path).exists()


def _help_texts() -> Iterator[tuple[str, str]]:
    """``(command words, text)`` for the help of every command, option and argument."""

    def walk(command: typer.core.TyperCommand | typer.core.TyperGroup, words: str) -> Iterator:
        yield words, command.help or ""
        for param in command.params:
            yield f"{words} {param.name}", getattr(param, "help", None) or ""
        if isinstance(command, typer.core.TyperGroup):
            context = command.make_context(words, [], resilient_parsing=True)
            for name in command.list_commands(context):
                sub = command.get_command(context, name)
                if sub is not None:
                    yield from walk(sub, f"{words} {name}")

    yield from walk(typer.main.get_command(app), "repatria")


def _missing(text: str) -> list[str]:
    return sorted({c for c in CITED.findall(text) if not _exists(c)})


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.relative_to(PROJECT).as_posix())
def test_paths_cited_by_the_documents_exist(document: Path) -> None:
    assert _missing(document.read_text(encoding="utf-8")) == []


def test_paths_cited_by_cli_help_exist() -> None:
    missing = {where: m for where, text in _help_texts() if (m := _missing(text))}
    assert missing == {}


def test_paths_cited_by_the_code_exist() -> None:
    missing = {}
    for path in sorted((PROJECT / "src").rglob("*.py")):
        found = [c for c in _missing(path.read_text(encoding="utf-8")) if c.startswith("docs/")]
        if found:
            missing[path.relative_to(PROJECT).as_posix()] = found
    assert missing == {}


def test_the_registry_doc_is_cited_where_users_look() -> None:
    """The README and ``repatria import --help`` point at ``docs/registry.md``; it exists."""
    assert (PROJECT / "docs" / "registry.md").is_file()
    assert "docs/registry.md" in (PROJECT / "README.md").read_text(encoding="utf-8")
    assert any("docs/registry.md" in text for words, text in _help_texts() if " import " in words)


def test_the_pattern_finds_paths() -> None:
    text = "see `docs/dvi.md`, src/repatria/kinship/ and repatria/formats/fam.py; not ../shared/x"
    assert CITED.findall(text) == [
        "docs/dvi.md",
        "src/repatria/kinship/",
        "repatria/formats/fam.py",
    ]
    assert _missing("docs/nowhere.md and docs/dvi.md.") == ["docs/nowhere.md"]
