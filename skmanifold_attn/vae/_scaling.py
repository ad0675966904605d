"""The VAE's units: standardisation of the input and its inverse.

The Gaussian decoder models standardised columns, ``(x - mean) / scale``;
reconstructions, samples, variances and densities go back to the original
units. The Bernoulli decoder models the data as they are (mean 0, scale 1,
and no arithmetic at all, so values in [0, 1] are kept exactly).
"""

import numpy as np

from .._nn._preprocessing import fit_standardisation


def fit_scaling(X, decoder):
    """Per-feature mean and scale of the model's units.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training rows, float32 or float64.
    decoder : {"gaussian", "bernoulli"}
        The estimator's ``decoder``.

    Returns
    -------
    mean, scale : ndarrays of shape (n_features,), in ``X``'s dtype
        The column statistics of :func:`fit_standardisation` for the Gaussian
        decoder; zeros and ones for the Bernoulli decoder.
    """
    if decoder == "bernoulli":
        n_features = X.shape[1]
        return np.zeros(n_features, dtype=X.dtype), np.ones(n_features, dtype=X.dtype)
    return fit_standardisation(X)


def to_model_units(X, mean, scale, decoder, dtype):
    """Rows in the model's dtype and (Gaussian decoder) standardised."""
    X = X.astype(dtype, copy=False)
    if decoder == "bernoulli":
        return X
    return (X - mean) / scale


def to_original_units(X_model, mean, scale, decoder):
    """Undo :func:`to_model_units`'s standardisation, in place of ``X_model``."""
    if decoder == "bernoulli":
        return X_model
    X_model *= scale
    X_model += mean
    return X_model


def log_jacobian(scale):
    """``log prod(scale)``, in float64.

    A density of standardised rows divided by ``prod(scale)`` is the density
    of the raw rows: subtract this from a standardised log-density.
    """
    return float(np.log(scale.astype(np.float64)).sum())


def variance_in_original_units(variance, scale):
    """Gaussian decoder variance per feature in the original units, float64.

    inf (0) where the data's squared scale overflows (underflows).
    """
    with np.errstate(over="ignore", under="ignore"):
        return variance.astype(np.float64) * (scale.astype(np.float64) ** 2)
