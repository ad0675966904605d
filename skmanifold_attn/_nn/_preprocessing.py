"""Column standardisation statistics shared by the neural estimators."""

import numpy as np


def fit_standardisation(X):
    """Mean and scale of every column of ``X``, ignoring NaN entries.

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
        at ``X``'s precision (below ``10 * eps * max(|mean|, 1)``, ``eps`` of
        ``X``'s dtype), gets 1, so that constant columns standardise to 0
        rather than to noise or infinity.

    Raises
    ------
    ValueError
        If the values are too large in magnitude for their squares (or sums)
        to be finite.
    """
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D array, got an array of shape {X.shape}.")
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.dtype(np.float64)
    missing = np.isnan(X)
    with np.errstate(over="ignore", invalid="ignore"):
        if missing.any():
            counts = np.count_nonzero(~missing, axis=0)
            values = np.where(missing, 0.0, X.astype(np.float64, copy=False))
            divisor = np.maximum(counts, 1)
            mean = values.sum(axis=0) / divisor
            values -= mean
            values[missing] = 0.0
            scale = np.sqrt(np.einsum("ij,ij->j", values, values) / divisor)
            empty = counts == 0
            mean[empty] = 0.0
            scale[empty] = 1.0
        else:
            mean = X.mean(axis=0, dtype=np.float64)
            scale = X.std(axis=0, dtype=np.float64)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise ValueError(
            "Input X has values too large in magnitude to standardise "
            "(their squares overflow); rescale X first."
        )
    noise = 10 * np.finfo(dtype).eps * np.maximum(np.abs(mean), 1.0)
    scale[scale < noise] = 1.0
    return mean.astype(dtype), scale.astype(dtype)
