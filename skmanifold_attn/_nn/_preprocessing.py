"""Column standardisation statistics shared by the neural estimators."""

import numpy as np

# Spread below this many ulps of a column's largest magnitude is rounding
# noise: such a column is constant.
NOISE_ULPS = 10


def fit_standardisation(X):
    """Mean and scale of every column of ``X``, ignoring NaN entries.

    The statistics are computed on each column divided by its largest
    magnitude, so that they neither underflow (values around ``1e-300``,
    whose squares are 0) nor overflow (values around ``1e200``): a column's
    scale, not its absolute size, decides how it standardises.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Float32 or float64 values (anything else is computed as float64).
        NaN entries (padding, missing values) are left out of their
        column's statistics.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        Column means, accumulated in float64 and returned in ``X``'s dtype.
        A column without any value gets 0.
    scale : ndarray of shape (n_features,)
        Column standard deviations (population, ``ddof=0``), in ``X``'s
        dtype. A column without any value, or whose spread is rounding noise
        relative to its own magnitude (below ``10 * eps * max|x|``, ``eps``
        of ``X``'s dtype, ``max|x|`` over the column), gets 1, so that
        constant columns standardise to 0 rather than to noise or infinity.
        The threshold is relative: a column of values around ``1e-300`` (or
        float32 values around ``1e-6``) with a real spread keeps it.

    Raises
    ------
    ValueError
        If the values are so large in magnitude (above about ``1e307``) that
        differences between them overflow.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array, got an array of shape {X.shape}.")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    missing = np.isnan(X)
    any_missing = missing.any()
    if any_missing:
        magnitude = np.fmax.reduce(np.abs(X), axis=0, initial=0.0)
    else:
        magnitude = np.abs(X).max(axis=0, initial=0.0)
    magnitude = magnitude.astype(np.float64)
    if np.any(magnitude > np.finfo(np.float64).max / 2):
        raise ValueError(
            "Input X has values too large in magnitude to standardise "
            "(differences between them overflow); rescale X first."
        )
    divisor = np.where(magnitude > 0, magnitude, 1.0)
    values = np.divide(X, divisor, dtype=np.float64)  # a new array: X is kept
    if any_missing:
        values[missing] = 0.0
    counts = values.shape[0] - np.count_nonzero(missing, axis=0)
    n = np.maximum(counts, 1)
    mean = values.sum(axis=0) / n
    values -= mean
    if any_missing:
        values[missing] = 0.0
    scale = np.sqrt(np.einsum("ij,ij->j", values, values) / n)
    constant = (counts == 0) | (scale <= NOISE_ULPS * np.finfo(dtype).eps)
    mean *= divisor
    scale *= divisor
    mean[counts == 0] = 0.0
    scale[constant] = 1.0
    return mean.astype(dtype), scale.astype(dtype)
