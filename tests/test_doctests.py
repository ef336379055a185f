"""Docstring examples are tests: every example in every module of ``repatria`` runs here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import repatria

# Migration scripts and the demo generator run only as scripts (alembic's context, argv).
SKIP = ("repatria.registry.migrations", "repatria.data")

MODULES = sorted(
    m.name
    for m in pkgutil.walk_packages(repatria.__path__, "repatria.")
    if not m.name.startswith(SKIP)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"


def test_examples_are_collected() -> None:
    finder = doctest.DocTestFinder()
    n = sum(len(t.examples) for name in MODULES for t in finder.find(importlib.import_module(name)))
    assert n >= 4
