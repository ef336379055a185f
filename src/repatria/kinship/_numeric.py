"""Small numerical helpers that the kinship core shares: one home for each.

- :func:`safe_exp` turns a natural-log value into a float without an ``OverflowError``;
  :func:`safe_exp_array` does it elementwise, without an overflow warning.
- :func:`logsumexp` sums values given in natural log, stably.
- :class:`DisjointSet` groups keys into connected components (union-find).
- :class:`BoundedCache` is a least-recently-used dictionary with a size limit.

No I/O, no state beyond what a caller creates.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "LOG_FLOAT_MAX",
    "safe_exp",
    "safe_exp_array",
    "logsumexp",
    "DisjointSet",
    "BoundedCache",
]

#: ``math.log(sys.float_info.max)``: above it ``math.exp`` overflows.
LOG_FLOAT_MAX = 709.782712893384

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def safe_exp(x: float) -> float:
    """``exp(x)`` that gives ``inf`` instead of raising, and keeps ``nan``.

    >>> safe_exp(0.0), safe_exp(1000.0), safe_exp(-1000.0)
    (1.0, inf, 0.0)
    """
    if math.isnan(x):
        return math.nan
    return math.exp(x) if x < LOG_FLOAT_MAX else math.inf


def safe_exp_array(x: ArrayLike) -> np.ndarray:
    """Elementwise ``exp(x)`` of natural-log values: ``inf`` where it overflows, with no warning.

    Parameters
    ----------
    x : array_like of float, any shape.

    Returns
    -------
    ndarray of float64, the shape of ``x``; ``nan`` stays ``nan``.

    >>> safe_exp_array([0.0, 1000.0, -1000.0]).tolist()
    [1.0, inf, 0.0]
    """
    with np.errstate(over="ignore"):
        out: np.ndarray = np.exp(np.asarray(x, dtype=float))
    return out


def logsumexp(values: ArrayLike) -> float:
    """``log(sum(exp(values)))`` in natural log; ``-inf`` for no values or all ``-inf``.

    >>> round(logsumexp([math.log(2.0), math.log(3.0)]), 12) == round(math.log(5.0), 12)
    True
    >>> logsumexp([])
    -inf
    """
    a = np.asarray(values, dtype=float).ravel()
    if a.size == 0:
        return -math.inf
    m = float(np.max(a))
    if m == -math.inf:
        return -math.inf
    if m == math.inf:
        return math.inf
    return m + math.log(float(np.sum(np.exp(a - m))))


class DisjointSet(Generic[K]):
    """Union-find over hashable keys, with path halving.

    >>> ds = DisjointSet[str]()
    >>> for a, b in [("a", "b"), ("c", "d"), ("b", "d")]:
    ...     _ = ds.union(a, b)
    >>> ds.find("a") == ds.find("c")
    True
    >>> sorted(sorted(g) for g in ds.groups())
    [['a', 'b', 'c', 'd']]
    """

    def __init__(self, keys: Iterable[K] = ()) -> None:
        self._parent: dict[K, K] = {}
        for k in keys:
            self.add(k)

    def add(self, key: K) -> None:
        """Add ``key`` as a group of its own (no-op when present)."""
        self._parent.setdefault(key, key)

    def __contains__(self, key: object) -> bool:
        return key in self._parent

    def find(self, key: K) -> K:
        """The root of ``key``'s group (``key`` is added when new)."""
        parent = self._parent
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(self, a: K, b: K) -> K:
        """Join the groups of ``a`` and ``b``; return the root (``a``'s root is kept)."""
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self._parent[rb] = ra
        return ra

    def groups(self) -> list[list[K]]:
        """The groups, each in the order its keys were first added; groups in order of first key."""
        out: dict[K, list[K]] = {}
        for k in self._parent:
            out.setdefault(self.find(k), []).append(k)
        return list(out.values())


class BoundedCache(Generic[K, V]):
    """A least-recently-used mapping that holds at most ``max_items`` entries (and, if given,
    at most ``max_weight`` of ``weight(value)`` in total).

    Kinship tables are expensive to build and are asked for again by later steps of a workflow;
    a bound keeps a long session from growing without limit.

    >>> c = BoundedCache[str, int](max_items=2)
    >>> c.put("a", 1); c.put("b", 2); c.get("a"); c.put("c", 3)
    1
    >>> c.get("b") is None, len(c)
    (True, 2)
    """

    def __init__(
        self,
        max_items: int,
        max_weight: float = math.inf,
        weight: Callable[[V], float] | None = None,
    ) -> None:
        self.max_items = max_items
        self.max_weight = max_weight
        self._weight = weight
        self._items: OrderedDict[K, V] = OrderedDict()
        self._total = 0.0

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: K) -> V | None:
        """The value for ``key`` (now the most recently used), or ``None``."""
        hit = self._items.get(key)
        if hit is not None:
            self._items.move_to_end(key)
        return hit

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the least recently used entries beyond the limits."""
        if key in self._items:
            self._drop(key)
        self._items[key] = value
        self._total += self._weight(value) if self._weight else 0.0
        while self._items and (len(self._items) > self.max_items or self._total > self.max_weight):
            self._drop(next(iter(self._items)))

    def clear(self) -> None:
        """Drop every entry."""
        self._items.clear()
        self._total = 0.0

    def _drop(self, key: K) -> None:
        value = self._items.pop(key)
        self._total -= self._weight(value) if self._weight else 0.0
