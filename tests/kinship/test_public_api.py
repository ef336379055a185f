"""`repatria.kinship` is the library's contract: every exported name resolves and is documented."""

from __future__ import annotations

import inspect
import pkgutil
import re
import subprocess
import sys

import pytest

import repatria.kinship as kinship


def test_all_is_explicit_and_unique() -> None:
    assert len(kinship.__all__) == len(set(kinship.__all__))
    helpers = {"annotations", "TYPE_CHECKING"}
    public = {
        n
        for n, v in vars(kinship).items()
        if not n.startswith("_") and not inspect.ismodule(v) and n not in helpers
    }
    # Nothing public in the package namespace that ``__all__`` does not list.
    assert public - set(kinship.__all__) == set()
    # Names loaded on first use are listed too.
    assert set(kinship._LAZY_MODULE) <= set(kinship.__all__)


def _module_sources() -> str:
    return "\n".join(
        inspect.getsource(__import__(f"repatria.kinship.{m.name}", fromlist=["_"]))
        for m in pkgutil.iter_modules(kinship.__path__)
    )


@pytest.mark.parametrize("name", kinship.__all__)
def test_exported_name_resolves_and_has_a_docstring(name: str) -> None:
    obj = getattr(kinship, name)  # AttributeError if the name does not resolve
    if inspect.isclass(obj) or inspect.isfunction(obj):
        doc = obj.__doc__ or ""
        # A dataclass without a docstring gets its signature as one: that does not count.
        assert doc.strip() and not doc.startswith(f"{obj.__name__}("), f"{name} has no docstring"
        assert obj.__module__.startswith("repatria.")
    else:
        # Constants and type aliases are documented by a ``#:`` comment above their definition.
        pattern = rf"^#:.*\n(?:#:.*\n)*{re.escape(name)}\s*[:=]"
        assert re.search(pattern, _module_sources(), re.MULTILINE), f"{name} has no #: comment"


def test_star_import_gives_exactly_all() -> None:
    ns: dict[str, object] = {}
    exec("from repatria.kinship import *", ns)
    assert set(ns) - {"__builtins__"} == set(kinship.__all__)


def test_import_stays_light() -> None:
    # The CLI starts by importing the kinship core: the DVI workflow modules, scipy.sparse and
    # dask wait until a name of theirs is used.
    heavy = sorted({"scipy.sparse", "dask", *kinship._LAZY})
    code = (
        "import sys, repatria.kinship as k; "
        f"print([m for m in {heavy!r} if m in sys.modules]); "
        "k.screen; print('repatria.kinship.screening' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "True"]


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = kinship.no_such_name
