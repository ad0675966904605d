"""Importance-weighted imputation of missing cells from a fitted VAE (MIWAE).

For a row with observed cells ``x_o`` and missing cells ``x_m``, the
encoder's posterior ``q(z | x_o)`` proposes ``K`` codes ``z_k`` and the
self-normalised importance weights

    w_k ∝ p(x_o | z_k) p(z_k) / q(z_k | x_o)

turn them into draws from ``p(z | x_o)``. Then (Mattei & Frellsen, 2019)

    E[x_m | x_o] ≈ sum_k w_k E[x_m | z_k]

is the imputation of a continuous cell (the conditional mean, which
minimises the expected squared error), and for a discrete cell (categorical,
binary) the category of highest mixture probability ``sum_k w_k p(c | z_k)``
(the conditional mode, which maximises the expected accuracy). The draws are
standard-normal noise fixed at fit and shared by every row, so the result is
deterministic and does not depend on the other rows.
"""

import numpy as np
from scipy.special import softmax

from ._likelihoods import Bernoulli, Categorical

# Rows per chunk: bounds the (n_draws * rows, width) decoder batch.
_CHUNK_ELEMENTS = 1 << 21


def _weights_and_outputs(model, X, noise):
    """Normalised importance weights (n_draws, n_rows) and decoder outputs.

    A row whose every log weight is ``-inf`` or NaN (its likelihood
    overflows) gets equal weights.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean, log_var = model.encode(X)
        Z = mean[None] + np.exp(0.5 * log_var)[None] * noise[:, None, :]
        out = model.decode(Z)
        log_lik = model.likelihood.log_prob(X, out).astype(np.float64)
        Z64 = Z.astype(np.float64)
        # log p(z) - log q(z | x): the posterior's standardised draw is eps.
        log_prior = -0.5 * (Z64 * Z64).sum(axis=2)
        log_post = -0.5 * (
            (noise.astype(np.float64) ** 2).sum(axis=1)[:, None]
            + log_var.astype(np.float64).sum(axis=1)[None, :]
        )
        log_w = log_lik + log_prior - log_post
    log_w[np.isnan(log_w)] = -np.inf
    dead = ~np.isfinite(log_w).any(axis=0)
    log_w[:, dead] = 0.0
    return softmax(log_w, axis=0), out


def _fill_chunk(model, X, noise):
    missing = np.isnan(X)
    weights, out = _weights_and_outputs(model, X, noise)
    likelihood = model.likelihood
    filled = X.copy()
    for block, cols in zip(likelihood.blocks, likelihood.slices, strict=True):
        columns = block.columns
        rows = missing[:, columns].any(axis=1)
        if not rows.any():
            continue
        part = out[:, rows, cols]
        w = weights[:, rows, None]
        if isinstance(block, Categorical):
            probs = np.exp(block.log_softmax(part).astype(np.float64))
            value = (w * probs).sum(axis=0).argmax(axis=1)[:, None]
        elif isinstance(block, Bernoulli) and block.two_values:
            probs = block.probability(part).astype(np.float64)
            value = ((w * probs).sum(axis=0) > 0.5).astype(np.float64)
        else:
            value = (w * block.mean(part).astype(np.float64)).sum(axis=0)
        target = filled[np.ix_(rows, columns)]
        holes = np.isnan(target)
        target[holes] = value.astype(X.dtype, copy=False)[holes]
        filled[np.ix_(rows, columns)] = target
    return filled


def impute(model, X, noise):
    """``X`` (model units, NaN where missing) with every NaN cell filled.

    Parameters
    ----------
    model : VAENetwork
        The fitted network (its ``likelihood`` names the column types).
    X : ndarray of shape (n_samples, n_features)
        Rows in model units; NaN marks a missing cell.
    noise : ndarray of shape (n_draws, n_components)
        Fixed standard-normal draws shared by every row.

    Returns
    -------
    X_filled : ndarray of shape (n_samples, n_features)
        A new array: observed cells unchanged, missing ones imputed in
        model units (category codes for categorical columns).
    """
    width = max(model._max_width, 1)
    chunk = max(1, _CHUNK_ELEMENTS // (noise.shape[0] * width))
    noise = noise.astype(X.dtype, copy=False)
    out = np.empty_like(X)
    for start in range(0, X.shape[0], chunk):
        rows = slice(start, min(start + chunk, X.shape[0]))
        block = X[rows]
        out[rows] = _fill_chunk(model, block, noise) if np.isnan(block).any() else block
    return out
