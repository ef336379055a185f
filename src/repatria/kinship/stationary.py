"""Making a mutation model stationary: frequencies unchanged by mutation.

A mutation matrix ``M`` (shape ``(n, n)``, rows summing to 1) is stationary for the allele
frequencies ``p`` when ``p @ M == p``. Stepwise models usually are not; Familias's
"step-stationary" model (code 3) is the stepwise matrix made stationary by Simonsson & Mostad's
"PM" method (2016), as pedmut's ``stabilize(method = "PM")``:

    M* = D (M - I) + I,   D = diag(d),   d_i = (1 - sum_j p_j M_jj) v_i / ((1 - sum_j v_j M_jj) p_i)

where ``v`` is the stationary distribution of ``M`` (``v @ M = v``, ``sum(v) = 1``). ``M*`` keeps
the overall mutation rate ``sum_i p_i (1 - M*_ii)`` of ``M``. It exists when every diagonal entry
``1 - d_i (1 - M_ii)`` stays >= 0.

Examples
--------
>>> import numpy as np
>>> m = np.array([[0.9, 0.1], [0.3, 0.7]])
>>> p = np.array([0.5, 0.5])
>>> s = stabilize_pm(m, p)
>>> bool(np.allclose(p @ s, p))
True
"""

from __future__ import annotations

import numpy as np

from repatria.kinship.errors import KinshipError
from repatria.kinship.markers import MutationModel

__all__ = ["stabilize_pm", "stationary_model"]


def stabilize_pm(matrix: np.ndarray, afreq: np.ndarray) -> np.ndarray:
    """The "PM" stationary version of ``matrix`` for frequencies ``afreq`` (module notes).

    Parameters
    ----------
    matrix : shape ``(n, n)``, rows summing to 1.
    afreq : shape ``(n,)``, summing to 1, all > 0.

    Returns
    -------
    ndarray, shape ``(n, n)``: stationary for ``afreq``, with the same overall mutation rate.

    Raises
    ------
    KinshipError : when the stationary version does not exist.
    """
    m = np.asarray(matrix, dtype=float)
    p = np.asarray(afreq, dtype=float)
    n = len(p)
    diag = np.diag(m)
    total = 1 - float(np.sum(diag * p))
    x = m.T - np.eye(n)
    x[n - 1, :] = 1.0
    rhs = np.zeros(n)
    rhs[n - 1] = 1.0
    try:
        v = np.linalg.solve(x, rhs)
    except np.linalg.LinAlgError:
        raise KinshipError(
            "the stationary ('PM') version of this mutation model does not exist: its stationary "
            "distribution is not unique"
        ) from None
    d = total * v / ((1 - float(np.sum(diag * v))) * p)
    if np.any(d * (1 - diag) > 1):
        raise KinshipError("the stationary ('PM') version of this stepwise model does not exist")
    out: np.ndarray = np.diag(d) @ (m - np.eye(n)) + np.eye(n)
    return out


def stationary_model(model: MutationModel, afreq: np.ndarray) -> MutationModel:
    """``model`` made stationary by :func:`stabilize_pm`; ``params`` record it (``stationary``)."""
    params = {**model.params, "model": "custom", "stationary": True}
    return MutationModel(stabilize_pm(model.matrix, afreq), params)
