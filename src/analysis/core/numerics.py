"""Arithmetic whose result does not depend on the CPU: fixed-order sums and tie-aware comparisons.

Two machines with the same inputs can disagree in the last bits of a result when a library picks
a different kernel for the CPU it finds: OpenBLAS chooses its matrix-product kernels per CPU
(Haswell, SkylakeX, Zen ...), and LAPACK builds on them. Elementwise IEEE operations (``+``,
``*``, ``/``, ``sqrt``) and numpy's reductions over one axis are correctly rounded and done in a
fixed order, so they give the same bits everywhere. This module therefore

* aggregates with elementwise products and column-by-column sums instead of ``@`` (BLAS), and
* decides every discrete outcome (a bootstrap draw below the estimate, a score in a band, two
  provinces tied) with a stated tolerance, :data:`REL_TOL`, far above last-bit noise (about
  1e-16 relative) and far below any difference the survey can show (0.1 point on a 0-100 scale,
  1e-3 relative).

Hand-written because no library offers tolerance-aware ranking or BLAS-free weighted row sums; the
unit tests check them against scipy's ``rankdata`` and numpy's products on tie-free data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Relative tolerance under which two values count as equal (scaled by ``max(1, |value|)``).
REL_TOL = 1e-9
#: Relative distance from a half-way point under which a value is rounded as if on it: about 4,500
#: ULPs, so that it absorbs arithmetic noise while staying 1e-4 of a stored unit or less at up to
#: 6 decimals on a 0-100 scale (a wider window would move values that are truly off the midpoint).
ROUND_TOL = 1e-12


def weighted_row_sum(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``values @ weights`` for a (rows, columns) array, summed column by column in a fixed order.

    >>> weighted_row_sum(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, 0.25]))
    array([1. , 2.5])
    """
    v = np.asarray(values, dtype=float)
    w = np.asarray(weights, dtype=float)
    acc = np.zeros(v.shape[:-1])
    for j in range(v.shape[-1]):
        acc = acc + v[..., j] * w[j]
    return acc


def group_sum(values: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum of ``values`` per group code ``0 .. n_groups - 1``, rows added in their order.

    ``np.bincount`` accumulates sequentially, so the result does not depend on the CPU (a
    membership-matrix product would go through BLAS).

    >>> group_sum(np.array([1.0, 2.0, 4.0]), np.array([1, 0, 1]), 3)
    array([2., 5., 0.])
    """
    return np.bincount(np.asarray(codes, dtype=np.intp), weights=np.asarray(values, dtype=float),
                       minlength=n_groups)


def tolerance(reference: np.ndarray | float) -> np.ndarray:
    """The absolute tolerance :data:`REL_TOL` ``* max(1, |reference|)``."""
    return REL_TOL * np.maximum(1.0, np.abs(np.asarray(reference, dtype=float)))


def snap(values: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Values within :func:`tolerance` of one of ``targets`` (e.g. band cut-offs) set exactly to it.

    >>> snap(np.array([49.99999999999999, 12.0]), np.array([25.0, 50.0]))
    array([50., 12.])
    """
    v = np.array(values, dtype=float, copy=True)
    for t in np.asarray(targets, dtype=float):
        v = np.where(np.abs(v - t) <= tolerance(t), t, v)
    return v


def round_stable(values: np.ndarray, decimals: int) -> np.ndarray:
    """``np.round(values, decimals)`` (half to even), with values within :data:`ROUND_TOL`
    (relative) of a half-way point rounded as if exactly on it.

    Means of discrete answers often land exactly half-way between two stored decimals (e.g.
    39.5546875 at 6 decimals); last-bit noise would then decide which way the stored digit goes.
    Negative zero is stored as zero.

    >>> round_stable(np.array([39.5546875, 39.55468749999999, 39.55468750000001]), 6).tolist()
    [39.554688, 39.554688, 39.554688]
    """
    x = np.asarray(values, dtype=float)
    scale = 10.0**decimals
    y = x * scale
    mid = np.floor(y) + 0.5
    with np.errstate(invalid="ignore"):
        y = np.where(np.abs(y - mid) <= ROUND_TOL * np.maximum(1.0, np.abs(x)) * scale, mid, y)
    return np.round(y) / scale + 0.0  # + 0.0 turns -0.0 (a tiny negative rounded) into 0.0


def round_frame(df: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """A copy of ``df`` with every float column passed through :func:`round_stable`."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = round_stable(out[col].to_numpy(dtype=float), decimals)
    return out


def share_below(draws: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """Share of each row of ``draws`` below its ``estimate``, ties counted as half.

    A draw within :func:`tolerance` of the estimate is a tie. This is the proportion behind the
    BCa bias correction ``z0``; scipy's ``bootstrap`` also counts exact ties as half. With discrete
    answers many resample means equal the estimate in exact arithmetic, and a strict ``<`` would
    then turn last-bit noise into a different interval.

    >>> share_below(np.array([[1.0, 2.0, 2.0 + 1e-15, 3.0]]), np.array([2.0]))
    array([0.5])
    """
    d = np.asarray(draws, dtype=float)
    est = np.asarray(estimate, dtype=float)[..., None]
    tol = tolerance(est)
    below = np.sum(d < est - tol, axis=-1)
    ties = np.sum(np.abs(d - est) <= tol, axis=-1)
    return (below + ties / 2) / d.shape[-1]


def rank_desc(values: np.ndarray) -> np.ndarray:
    """Ranks along axis 0, 1 = highest; values within :func:`tolerance` of the next share its rank.

    Tied values get the best (lowest) rank of their group (``method="min"``); NaN ranks after
    every number, all NaN tied. A run of values each within the tolerance of the next forms one
    group.

    >>> rank_desc(np.array([50.0, 60.0, 50.0 + 1e-13, np.nan])).tolist()
    [2, 1, 2, 4]
    """
    v = np.asarray(values, dtype=float)
    flat = v.reshape(v.shape[0], -1)
    flat = np.where(np.isnan(flat), -np.inf, flat)
    order = np.argsort(-flat, axis=0, kind="stable")
    s = np.take_along_axis(flat, order, axis=0)
    with np.errstate(invalid="ignore"):
        gap = np.where(s[:-1] == s[1:], 0.0, s[:-1] - s[1:])
    tol = tolerance(np.where(np.isfinite(s[1:]), s[1:], 0.0))
    new_group = np.vstack([np.ones((1, s.shape[1]), dtype=bool), ~(gap <= tol)])
    positions = np.arange(s.shape[0])[:, None]
    first = np.maximum.accumulate(np.where(new_group, positions, 0), axis=0)
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, first + 1, axis=0)
    return ranks.reshape(v.shape)
