"""Marginal calibration of samples: each real column's draws matched to the data.

A VAE's samples follow its own marginal ``G_j`` in each column ``j``, which
is close to the data's but not the same (the decoder's fit, and the
smoothness of a continuous density on a few hundred rows). The calibration
is the monotone map of quantile matching,

    c_j(u) = T_j^-1(G_j(u)),

with ``T_j`` the training column's distribution made continuous (linear
interpolation between its order statistics; for a column on a grid, each
value spread uniformly over its grid cell, so that values rounded back to
the grid have exactly the column's frequencies). Applied to every draw of
column ``j`` independently, it gives the samples the data's marginal while
keeping the model's dependence between columns (the ranks of the draws are
unchanged): the marginals of a Gaussian copula, the joint structure of the
VAE.

``G_j`` is estimated from a batch of the sampler's own draws (a fixed seed)
and stored as their quantiles at ``CALIBRATION_LEVELS + 1`` evenly spaced
levels (``G_j`` is linear between them); ``T_j^-1`` is stored exactly, as
the knots of its piecewise-linear quantile function (for a column of many
values, at the same evenly spaced levels), in model units. Draws beyond the
extreme quantiles are clamped to the column's range.
"""

import numpy as np

#: Intervals of the quantile levels of the map (its knots number one more).
CALIBRATION_LEVELS = 1024

#: Sampler draws that estimate the model's marginals: at most this many ...
MAX_CALIBRATION_DRAWS = 100_000
#: ... at least this many ...
MIN_CALIBRATION_DRAWS = 20_000
#: ... and no more than this many cells (draws times calibrated columns).
MAX_CALIBRATION_CELLS = 2_000_000


def n_calibration_draws(n_columns):
    """Sampler draws used to estimate ``n_columns`` model marginals."""
    budget = MAX_CALIBRATION_CELLS // max(n_columns, 1)
    return int(min(MAX_CALIBRATION_DRAWS, max(MIN_CALIBRATION_DRAWS, budget)))


def _levels():
    return np.linspace(0.0, 1.0, CALIBRATION_LEVELS + 1)


def data_quantile_knots(values, step=0.0):
    """Knots ``(p, x)`` of a column's quantile function, made continuous.

    Parameters
    ----------
    values : ndarray of shape (n,)
        The column's observed values (no NaN), data units.
    step : float, default=0.0
        The column's grid step, or 0 when it is not on a grid.

    Returns
    -------
    p, x : ndarray of shape (n_knots,), float64
        Strictly increasing levels in [0, 1] and non-decreasing quantiles;
        ``x`` is linear in ``p`` between knots. Without a grid, the quantile
        function that interpolates linearly between the order statistics
        (``numpy.quantile``'s ``"linear"`` method), at ``CALIBRATION_LEVELS +
        1`` evenly spaced levels. On a grid, that of each value ``v`` spread
        uniformly over its cell ``[v - step / 2, v + step / 2]``, with a knot
        at both ends of every cell, so that quantiles round back to the
        column's values with exactly their frequencies (empty cells between
        them get no mass); a column of more than ``CALIBRATION_LEVELS / 2``
        values gets the evenly spaced levels instead.
    """
    values = np.sort(np.asarray(values, dtype=np.float64))
    n = values.size
    levels = _levels()
    if step <= 0:
        return levels, np.quantile(values, levels, method="linear")
    distinct, counts = np.unique(values, return_counts=True)
    upto = np.cumsum(counts)
    if 2 * distinct.size > CALIBRATION_LEVELS:
        rank = levels * n
        cell = np.minimum(np.searchsorted(upto, rank, side="right"), distinct.size - 1)
        below = upto[cell] - counts[cell]
        fraction = np.clip((rank - below) / counts[cell], 0.0, 1.0)
        return levels, distinct[cell] + step * (fraction - 0.5)
    p = np.empty(2 * distinct.size)
    p[0::2], p[1::2] = (upto - counts) / n, upto / n
    x = np.empty_like(p)
    x[0::2], x[1::2] = distinct - step / 2, distinct + step / 2
    # Between adjacent cells the quantile function is continuous (drop the
    # repeated knot); across empty cells it jumps (the second knot a hair
    # later, so that p increases strictly).
    gaps = np.rint(np.diff(distinct) / step)
    adjacent = np.concatenate([[False], gaps == 1])
    keep = np.ones(p.size, dtype=bool)
    keep[0::2] = ~adjacent
    p[0::2] = np.where(adjacent, p[0::2], np.nextafter(p[0::2], 2.0))
    p[0] = 0.0
    return p[keep], x[keep]


class MarginalCalibration:
    """Per-column quantile maps from the sampler's marginals to the data's.

    Parameters
    ----------
    columns : ndarray of int
        The calibrated columns of the table.
    model_knots : list of (levels, quantiles)
        Per column, the sampler's quantiles (strictly increasing) at the
        levels (model units); None leaves the column as drawn.
    data_knots : list of (levels, quantiles)
        Per column, :func:`data_quantile_knots` in model units.
    """

    def __init__(self, columns, model_knots, data_knots):
        self.columns = np.asarray(columns, dtype=np.intp)
        self.model_knots = model_knots
        self.data_knots = data_knots

    @classmethod
    def fit(cls, columns, draws, data_knots):
        """Estimate each column's marginal from the sampler's draws.

        Parameters
        ----------
        columns : ndarray of int
            The calibrated columns of the table.
        draws : ndarray of shape (n_draws, n_columns)
            The sampler's draws of those columns, model units.
        data_knots : list of (levels, quantiles)
            The data's quantile functions, model units.
        """
        levels = _levels()
        model_knots = []
        if len(columns):
            with np.errstate(invalid="ignore"):  # non-finite draws: NaN knots
                draws = np.asarray(draws, np.float64)
                quantiles = np.quantile(draws, levels, axis=0).T
        for j in range(len(columns)):
            knots = quantiles[j]
            if not np.all(np.isfinite(knots)):
                model_knots.append(None)
                continue
            # Tied draws (a decoder that puts mass on one value) would make
            # G multi-valued there: keep the first knot of each tie.
            keep = np.concatenate([[True], np.diff(knots) > 0])
            model_knots.append((levels[keep], knots[keep]))
        return cls(columns, model_knots, data_knots)

    def apply(self, X_model):
        """Map the calibrated columns of model-unit draws ``X_model`` (in place)."""
        for column, model, data in zip(
            self.columns, self.model_knots, self.data_knots, strict=True
        ):
            if model is None:
                continue
            values = X_model[:, column].astype(np.float64)
            level = np.interp(values, model[1], model[0])
            mapped = np.interp(level, data[0], data[1])
            X_model[:, column] = np.where(np.isnan(values), values, mapped)
        return X_model


def calibration_targets(likelihood, X_data):
    """The real-valued columns and their data quantile functions, model units.

    Parameters
    ----------
    likelihood : TableLikelihood
        The fitted likelihood; its real-valued blocks are calibrated.
    X_data : ndarray of shape (n_samples, n_features)
        Training rows in data units (the table seam's encoding), NaN where
        missing.

    Returns
    -------
    columns : ndarray of int
        The calibrated columns (those of real-valued blocks).
    data_knots : list of (levels, quantiles)
        :func:`data_quantile_knots` of each, the quantiles in model units.
    """
    columns = np.array(
        sorted(c for b in likelihood.blocks if b.real_valued for c in b.columns),
        dtype=np.intp,
    )
    steps = dict(likelihood.grid_columns())
    knots = []
    for column in columns:
        values = X_data[:, column].astype(np.float64)
        knots.append(
            data_quantile_knots(values[~np.isnan(values)], steps.get(column, 0.0))
        )
    if not knots:
        return columns, []
    # One pass through the likelihood's units: every column's quantiles in
    # one matrix, NaN-padded.
    longest = max(p.size for p, _ in knots)
    padded = np.full((longest, likelihood.n_features), np.nan)
    for column, (p, x) in zip(columns, knots, strict=True):
        padded[: p.size, column] = x
    padded = likelihood.to_model(padded, np.float64)
    return columns, [
        (p, np.ascontiguousarray(padded[: p.size, column]))
        for column, (p, _) in zip(columns, knots, strict=True)
    ]
