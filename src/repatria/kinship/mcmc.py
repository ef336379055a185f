"""Posterior pairing probabilities estimated by MCMC over assignments, where bounds are wide.

:mod:`repatria.kinship.bounds` proves an interval for every posterior pairing
probability; where that interval is wide (weak families tying a large part of the case
together), this module estimates the value by Metropolis-Hastings over assignments, under the
same model and prior (flat over assignments as dvir's, or the prior whose odds the
:class:`~repatria.kinship.bounds.FactorModel` carries).

Chain
-----
The state is an assignment: each PM an MP or ``*``, no MP twice, only pairings allowed and
possible (weight ``W(a) = ∏_f W_f(a_f) > 0``, the family factors of
:class:`~repatria.kinship.bounds.FactorModel`, natural logs). One step picks a PM ``v``
uniformly and proposes a column ``y`` by ``q_v``: half uniform over ``v``'s allowed columns, half
in proportion to its pairwise LR (capped; 1 for ``*``); ``y = x``, the current one, is a null
step. Then:

- *move*: ``y`` is ``*`` or a free MP: ``v`` goes to ``y`` (``v → *`` is the *unassign* move);
- *swap*: ``y`` is held by ``u``: ``v`` takes ``y`` and ``u`` takes ``x`` (when ``x`` is ``*``,
  ``u`` is unassigned), rejected when ``u`` may not take ``x``.

Hastings factors: a move, ``q_v(x) / q_v(y)``; a swap of two MPs, proposed from either side,
``(q_v(x) + q_u(y)) / (q_v(y) + q_u(x))``; a swap that unassigns ``u``, reversed only from ``u``'s
side, ``q_u(y) / q_v(y)``. The chain is irreducible whenever removing a PM from a possible
sub-assignment leaves a possible one (true in a DVI problem: it marginalises that PM), since
every assignment reaches the null one by unassign moves.

Diagnostics
-----------
Several chains start from dispersed assignments (nobody identified; the greedy best; random
ones). For every marginal, the indicator series of the kept draws gives the estimate, the split
R-hat (each chain halved; Gelman et al., BDA3 §11.4) and the effective sample size (Geyer's
initial monotone sequence over the averaged autocorrelations, as in Stan), and the Monte Carlo
standard error ``sqrt(p (1 − p) / ESS)``. A marginal constant in every draw has R-hat and ESS
``nan`` (undefined; its error is then reported as 0).

Everything is driven by one seeded :class:`numpy.random.Generator` per run.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from repatria import __version__
from repatria.kinship.bounds import FactorModel, PosteriorBounds
from repatria.kinship.errors import KinshipError

__all__ = ["MCMCResult", "mcmc_marginals", "mcmc_where_wide", "split_rhat_ess"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
#: Proposal weights use the pairwise LR capped at e^18 (about 6.6e7).
_LOG_CAP = 18.0


@dataclass(frozen=True, eq=False)
class MCMCResult:
    """Posterior pairing probabilities estimated by MCMC, with how they were made.

    Attributes
    ----------
    pm, missing : row and column ids; column ``len(missing)`` is ``"*"``.
    marginals : estimates, shape ``(n_pm, n_mp + 1)``; ``nan`` on rows not sampled.
    mc_error : Monte Carlo standard error of each estimate, same shape.
    rhat : split R-hat of each marginal (``nan`` when constant in every draw), same shape.
    ess : effective sample size of each marginal (``nan`` when constant), same shape.
    sampled_rows : bool, shape ``(n_pm,)``: rows the chains covered.
    chains, steps, burn_in, thin, seed : the run: ``steps`` proposals per chain after
        ``burn_in`` proposals, a draw kept every ``thin`` proposals.
    starts : how each chain started.
    acceptance : share of accepted proposals per chain (after burn-in).
    draws : kept draws, int, shape ``(chains, n_draws, n_sampled)``: the column index of each
        sampled PM (``n_mp`` for ``*``), PMs in the order of ``sampled_rows``.
    """

    pm: tuple[str, ...]
    missing: tuple[str, ...]
    marginals: FloatArray
    mc_error: FloatArray
    rhat: FloatArray
    ess: FloatArray
    sampled_rows: NDArray[np.bool_]
    chains: int
    steps: int
    burn_in: int
    thin: int
    seed: int
    starts: tuple[str, ...]
    acceptance: tuple[float, ...]
    draws: IntArray
    method: str = (
        "Metropolis-Hastings over assignments: move, swap and unassign proposals; split R-hat "
        "and ESS per marginal"
    )
    prior: str = "flat over all assignments"
    version: str = __version__
    parameters: Mapping[str, float] = field(default_factory=dict)

    @property
    def max_rhat(self) -> float:
        """The largest R-hat over the marginals where it is defined (1.0 if none is)."""
        r = self.rhat[~np.isnan(self.rhat)]
        return float(np.max(r)) if r.size else 1.0

    @property
    def min_ess(self) -> float:
        """The smallest ESS over the marginals where it is defined (``inf`` if none is)."""
        e = self.ess[~np.isnan(self.ess)]
        return float(np.min(e)) if e.size else math.inf


# --------------------------------------------------------------------------------------------
# the chain


class _Chain:
    """The state of one chain and its moves, over a :class:`FactorModel`."""

    def __init__(self, model: FactorModel) -> None:
        self.n, self.k = model.n_pm, model.n_mp
        self.model = model
        lr = model.log_lr()
        self.lr: list[list[float]] = lr.tolist()
        valid = model.valid()
        self.allowed: list[list[int]] = [
            [int(m) for m in np.flatnonzero(valid[v])] + ([self.k] if model.nobody[v] else [])
            for v in range(self.n)
        ]
        self.can: list[set[int]] = [set(a) for a in self.allowed]
        # Proposal per PM: half uniform over its columns, half by its (capped) pairwise LR.
        self.q: list[dict[int, float]] = []
        self.cum: list[list[float]] = []
        for v, cols in enumerate(self.allowed):
            w = np.array([1.0 if c == self.k else math.exp(min(lr[v, c], _LOG_CAP)) for c in cols])
            q = 0.5 / len(cols) + 0.5 * w / w.sum()
            self.q.append(dict(zip(cols, q.tolist(), strict=True)))
            cum = np.cumsum(q)
            self.cum.append((cum / cum[-1]).tolist())
        self.fam: list[int] = [int(f) for f in model.family]
        self.fam_mps: list[list[int]] = [[] for _ in model.options]
        for m, f in enumerate(self.fam):
            self.fam_mps[f].append(m)
        self.a: list[int] = [self.k] * self.n
        self.holder: list[int] = [-1] * self.k

    def set_state(self, a: list[int]) -> None:
        self.a = list(a)
        self.holder = [-1] * self.k
        for v, m in enumerate(a):
            if m < self.k:
                self.holder[m] = v

    def fam_logw(self, f: int) -> float:
        mps = self.fam_mps[f]
        if len(mps) == 1:
            u = self.holder[mps[0]]
            return 0.0 if u < 0 else self.lr[u][mps[0]]
        key = frozenset((self.holder[m], m) for m in mps if self.holder[m] >= 0)
        return self.model.options[f].get(key, -math.inf)

    def step(self, v: int, up: float, u01: float) -> bool:
        """Propose a column for PM ``v`` by the uniform ``up``; accept by the uniform ``u01``."""
        k, a, holder = self.k, self.a, self.holder
        opts = self.allowed[v]
        x = a[v]
        y = opts[min(bisect.bisect_right(self.cum[v], up), len(opts) - 1)]
        if y == x:
            return False
        u = holder[y] if y < k else -1
        qv = self.q[v]
        if u < 0:
            log_q = math.log(qv[x] / qv[y])
        elif x not in self.can[u]:
            return False
        elif x == k:
            log_q = math.log(self.q[u][y] / qv[y])
        else:
            qu = self.q[u]
            log_q = math.log((qv[x] + qu[y]) / (qv[y] + qu[x]))
        fams = {self.fam[z] for z in (x, y) if z < k}
        old = sum(self.fam_logw(f) for f in fams)
        self._apply(v, x, y, u)
        new = sum(self.fam_logw(f) for f in fams)
        delta = new - old + log_q
        if delta >= 0.0 or (new > -math.inf and u01 < math.exp(delta)):
            return True
        self._apply(v, y, x, u)  # undo: v back to x, u back to y
        return False

    def _apply(self, v: int, x: int, y: int, u: int) -> None:
        """``v`` from ``x`` to ``y``; ``u`` (if any) from ``y`` to ``x``."""
        k = self.k
        if x < k:
            self.holder[x] = -1
        if u >= 0:
            self.a[u] = x
            if x < k:
                self.holder[x] = u
        self.a[v] = y
        if y < k:
            self.holder[y] = v


def _starts(
    model: FactorModel, chains: int, rng: np.random.Generator
) -> list[tuple[str, list[int]]]:
    """Dispersed starting assignments: nobody, the greedy best, then random ones."""
    n, k = model.n_pm, model.n_mp
    lr = model.log_lr()
    out: list[tuple[str, list[int]]] = []

    def ok(a: list[int]) -> bool:
        return model.log_weight(np.array(a, dtype=np.int64)) > -math.inf

    null = [k] * n
    greedy = [k] * n
    taken: set[int] = set()
    for idx in np.argsort(-lr, axis=None, kind="stable").tolist():
        v, m = divmod(int(idx), k)
        if lr[v, m] == -math.inf:
            break
        if greedy[v] != k or m in taken or (lr[v, m] <= 0 and model.nobody[v]):
            continue
        trial = list(greedy)
        trial[v] = m
        if ok(trial) or not model.nobody[v]:
            greedy = trial
            taken.add(m)
    fixed = [("nobody", null)] if ok(null) else []
    if ok(greedy):
        fixed.append(("greedy", greedy))
    if not fixed:
        raise KinshipError("MCMC: no possible starting assignment found (PMs that must be someone)")
    out.extend(fixed)
    chain = _Chain(model)
    while len(out) < chains:
        base = fixed[len(out) % len(fixed)][1]
        chain.set_state(base)
        for _ in range(20 * max(n, 1)):  # a random walk from a fixed start, all accepted moves
            v = int(rng.integers(n))
            if len(chain.allowed[v]) > 1:
                chain.step(v, float(rng.random()), 0.0)
        a = list(chain.a)
        out.append((f"random walk from {fixed[len(out) % len(fixed)][0]}", a))
    return out[:chains]


def _run_chain(
    model: FactorModel,
    start: list[int],
    steps: int,
    burn_in: int,
    thin: int,
    rows: list[int],
    rng: np.random.Generator,
) -> tuple[IntArray, float]:
    """One chain: its kept draws ``(n_draws, len(rows))`` and its acceptance rate."""
    chain = _Chain(model)
    chain.set_state(start)
    n = model.n_pm
    movable = [len(a) > 1 for a in chain.allowed]
    n_draws = steps // thin
    draws = np.empty((n_draws, len(rows)), dtype=np.int64)
    accepted = 0
    block = 65536
    total = burn_in + steps
    done = 0
    kept = 0
    while done < total:
        size = min(block, total - done)
        vs = rng.integers(n, size=size)
        us = rng.random(size)
        ups = rng.random(size)
        for t, (v, up, u01) in enumerate(zip(vs.tolist(), ups.tolist(), us.tolist(), strict=True)):
            acc = chain.step(v, up, u01) if movable[v] else False
            i = done + t
            if i >= burn_in:
                accepted += acc
                if (i - burn_in + 1) % thin == 0 and kept < n_draws:
                    draws[kept] = [chain.a[r] for r in rows]
                    kept += 1
        done += size
    return draws, accepted / max(steps, 1)


# --------------------------------------------------------------------------------------------
# diagnostics


def _split(x: FloatArray) -> FloatArray:
    """``(cells, chains, n)`` → ``(cells, 2·chains, n // 2)``: each chain halved."""
    half = x.shape[-1] // 2
    return np.concatenate([x[..., :half], x[..., half : 2 * half]], axis=1)


def split_rhat_ess(x: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Split R-hat and ESS of series ``x``, shape ``(cells, chains, n)`` → ``(cells,)`` each.

    ``nan`` for both where a series is constant in every chain; R-hat ``inf`` where every chain
    is constant but they disagree.

    >>> rng = np.random.default_rng(0)
    >>> r, e = split_rhat_ess(rng.normal(size=(1, 4, 1000)))
    >>> bool(abs(r[0] - 1) < 0.01), bool(3000 < e[0] < 5000)
    (True, True)
    """
    s = _split(x)
    c, m = s.shape[1], s.shape[2]
    means = s.mean(axis=2)
    var = s.var(axis=2, ddof=1)
    w = var.mean(axis=1)
    b = m * means.var(axis=1, ddof=1)
    var_plus = (m - 1) / m * w + b / m
    with np.errstate(divide="ignore", invalid="ignore"):
        rhat = np.sqrt(var_plus / w)
    rhat = np.where(w > 0, rhat, np.where(b > 0, np.inf, np.nan))
    # Autocovariances by FFT, averaged over chains (Stan's ESS).
    centred = s - means[..., None]
    nfft = 1 << int(math.ceil(math.log2(2 * m)))
    f = np.fft.rfft(centred, n=nfft, axis=2)
    acov = np.fft.irfft(f * np.conj(f), n=nfft, axis=2)[..., :m] / m
    mean_acov = acov.mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (w[:, None] - mean_acov) / var_plus[:, None]
    rho[:, 0] = 1.0
    ess = np.full(len(w), np.nan)
    for i in np.flatnonzero(w > 0):
        tau = _geyer_tau(rho[i])
        ess[i] = c * m / tau
    return rhat, ess


def _geyer_tau(rho: FloatArray) -> float:
    """Integrated autocorrelation time by Geyer's initial positive, monotone sequence."""
    n = len(rho) - len(rho) % 2
    pairs = rho[:n:2] + rho[1:n:2]
    total = 0.0
    last = math.inf
    for p in pairs.tolist():
        if p <= 0:
            break
        p = min(p, last)
        total += p
        last = p
    return max(-1.0 + 2.0 * total, 1.0 / math.log10(max(n, 10)))


# --------------------------------------------------------------------------------------------
# the runs


def mcmc_marginals(
    model: FactorModel,
    *,
    chains: int = 4,
    steps: int = 20_000,
    burn_in: int | None = None,
    thin: int | None = None,
    seed: int = 0,
    rows: list[int] | None = None,
) -> MCMCResult:
    """Posterior pairing probabilities by MCMC over assignments (see the module docstring).

    Parameters
    ----------
    model : the assignment space and its factors.
    chains : number of chains, from dispersed starts.
    steps : proposals per chain after burn-in.
    burn_in : proposals per chain discarded first (default ``steps // 4``).
    thin : keep a draw every ``thin`` proposals (default: the number of PMs, one sweep).
    seed : seeds the one :class:`numpy.random.Generator` of the run.
    rows : PM indices whose marginals are reported (default all); the chain always moves every
        PM of ``model``.

    Returns
    -------
    MCMCResult
    """
    if chains < 2:
        raise KinshipError("MCMC needs at least 2 chains to report R-hat")
    n, k = model.n_pm, model.n_mp
    burn = steps // 4 if burn_in is None else burn_in
    th = max(1, n) if thin is None else max(1, thin)
    if steps // th < 4:
        raise KinshipError(f"MCMC: {steps} steps thinned by {th} keep fewer than 4 draws")
    report = list(range(n)) if rows is None else list(rows)
    rng = np.random.default_rng(seed)
    starts = _starts(model, chains, rng)
    runs = [_run_chain(model, a, steps, burn, th, report, rng) for _, a in starts]
    draws = np.stack([d for d, _ in runs])  # (chains, n_draws, len(report))
    est = np.full((n, k + 1), np.nan)
    err, rh, es = est.copy(), est.copy(), est.copy()
    for i, v in enumerate(report):
        series = draws[:, :, i]
        vals = np.unique(series)
        ind = (series[None, :, :] == vals[:, None, None]).astype(float)
        r, e = split_rhat_ess(ind)
        p = ind.mean(axis=(1, 2))
        est[v] = 0.0
        err[v] = 0.0
        rh[v] = np.nan
        es[v] = np.nan
        est[v, vals] = p
        rh[v, vals] = r
        es[v, vals] = e
        with np.errstate(invalid="ignore", divide="ignore"):
            se = np.sqrt(p * (1.0 - p) / e)
        err[v, vals] = np.where(np.isnan(e), 0.0, se)
    sampled = np.zeros(n, dtype=bool)
    sampled[report] = True
    return MCMCResult(
        model.pm,
        model.missing,
        est,
        err,
        rh,
        es,
        sampled,
        chains,
        steps,
        burn,
        th,
        seed,
        tuple(name for name, _ in starts),
        tuple(acc for _, acc in runs),
        draws,
        prior=model.prior,
    )


def mcmc_where_wide(
    model: FactorModel,
    bounds: PosteriorBounds,
    *,
    width: float = 0.01,
    chains: int = 4,
    steps: int = 20_000,
    burn_in: int | None = None,
    thin: int | None = None,
    seed: int = 0,
) -> MCMCResult:
    """MCMC on the parts of the case whose posterior intervals are wider than ``width``.

    The independent parts (components of :meth:`FactorModel.components`) holding a PM with an
    interval wider than ``width`` are sampled together; other rows are not (``nan``, and
    ``sampled_rows`` False). ``chains`` to ``seed`` are those of :func:`mcmc_marginals`.
    """
    wide_rows = set(np.flatnonzero(np.any(bounds.width > width, axis=1)).tolist())
    pms: list[int] = []
    fams: list[int] = []
    for c_pms, c_fams in model.components():
        if wide_rows.intersection(c_pms):
            pms.extend(c_pms)
            fams.extend(c_fams)
    n, k = model.n_pm, model.n_mp
    if not pms:
        nan = np.full((n, k + 1), np.nan)
        return MCMCResult(
            model.pm,
            model.missing,
            nan,
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros(n, dtype=bool),
            0,
            0,
            0,
            0,
            seed,
            (),
            (),
            np.zeros((0, 0, 0), dtype=np.int64),
            prior=model.prior,
            parameters={"width": width},
        )
    pms, fams = sorted(pms), sorted(fams)
    sub, mps = model.restrict(pms, fams)
    res = mcmc_marginals(sub, chains=chains, steps=steps, burn_in=burn_in, thin=thin, seed=seed)
    cols = [*mps, k]
    out = {}
    for name in ("marginals", "mc_error", "rhat", "ess"):
        full = np.full((n, k + 1), np.nan)
        full[np.ix_(np.array(pms), np.array(cols))] = getattr(res, name)
        # Columns outside the sampled part are impossible for its PMs.
        rest = np.setdiff1d(np.arange(k + 1), cols)
        full[np.ix_(np.array(pms), rest)] = 0.0 if name in ("marginals", "mc_error") else np.nan
        out[name] = full
    sampled = np.zeros(n, dtype=bool)
    sampled[pms] = True
    return MCMCResult(
        model.pm,
        model.missing,
        out["marginals"],
        out["mc_error"],
        out["rhat"],
        out["ess"],
        sampled,
        res.chains,
        res.steps,
        res.burn_in,
        res.thin,
        res.seed,
        res.starts,
        res.acceptance,
        res.draws,
        prior=model.prior,
        parameters={"width": width},
    )
