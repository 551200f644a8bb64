"""Reliability, validity and aggregation statistics of the readiness instrument.

One public function per statistic; each takes a DataFrame (item scores, one row per agency,
columns item ids) and returns a tidy DataFrame, in the manner of pingouin. ``items`` is the
codebook's :meth:`~analysis.instrument.codebook.Codebook.items_table` (only its ``item`` and ``pillar``
columns are used, so any table with those two columns will do).

Missing answers: every statistic uses listwise complete cases over the items it needs (per
pillar for alpha, omega and item analysis; over all items for the whole-instrument analyses)
and reports the ``n`` it used. With too few cases for a statistic (an interim export, a handful
of provinces) its table says so in a ``note`` column instead of failing: a factor model of k
items needs more than k complete cases (a positive definite correlation matrix); a between-
province statistic needs two provinces.

Same numbers on every CPU: iterative fits are converged far below the precision the tables are
stored at (:data:`analysis.stats.run.DECIMALS`), with analytic gradients where the library would difference
numerically, so that last-bit differences between BLAS kernels cannot reach a stored digit.

Thresholds and their sources are in one table, :mod:`analysis.stats.thresholds`
(``params/thresholds.yaml``).
"""

__all__ = ["common", "consistency", "correlations", "dwls", "factor", "missing", "mlcfa", "multilevel", "ordinal",
           "run", "structure", "thresholds"]
