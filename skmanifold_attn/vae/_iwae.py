"""Importance-weighted log-likelihood bound (IWAE) with common random numbers.

For a row ``x`` with posterior ``q(z|x) = N(mu, diag sigma^2)`` and ``K`` draws
``z_k = mu + sigma * eps_k``,

    log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x)   (IWAE bound)
             >= (1/K) sum_k log [p(x|z_k) p(z_k) / q(z_k|x)]  (ELBO estimate)

(Burda et al., 2016). The standard-normal draws ``eps`` are fixed once (at
fit time) and shared by every row, so a row's score is deterministic and does
not depend on which other rows are scored with it.

A log weight that cannot be computed (a row so far from the training data
that its likelihood overflows, giving inf - inf = NaN) counts as ``-inf``:
the draw explains the row not at all, never NaN.
"""

import numpy as np
from scipy.special import logsumexp

from ._losses import LOG_2PI

# Rows per chunk: bounds the (n_draws * rows, n_features) decoder batch.
_CHUNK_ELEMENTS = 1 << 21


def log_importance_weights(X, encode, decode_log_likelihood, noise, width=None):
    """Log importance weights ``log p(x|z_k) + log p(z_k) - log q(z_k|x)``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Rows in the model's (internal) scale.
    encode : callable
        ``encode(X) -> (mean, log_var)``, each (n_samples, n_components).
    decode_log_likelihood : callable
        ``decode_log_likelihood(X, Z) -> log p(X | Z)`` per row, where ``Z``
        has shape (n_draws, n_samples, n_components) and the result has shape
        (n_draws, n_samples).
    noise : ndarray of shape (n_draws, n_components)
        Fixed standard-normal draws shared by every row.
    width : int or None, default=None
        Widest layer of the decoder (``n_features`` when None): sizes the
        chunks of rows so the decoder's activations stay ~2M values.

    Returns
    -------
    log_weights : ndarray of shape (n_draws, n_samples), float64
        ``-inf`` where overflow left no finite value.
    """
    n_draws = noise.shape[0]
    n_samples, n_features = X.shape
    width = max(n_features, width or 0, 1)
    chunk = max(1, _CHUNK_ELEMENTS // (n_draws * width))
    out = np.empty((n_draws, n_samples), dtype=np.float64)
    noise = noise.astype(X.dtype, copy=False)
    # log q(z|x) - log p(z) needs only eps and log_var: the (z - mu)/sigma of
    # the posterior density is eps itself.
    eps_sq = (noise.astype(np.float64) ** 2).sum(axis=1)[:, None]
    for start in range(0, n_samples, chunk):
        rows = slice(start, min(start + chunk, n_samples))
        # Overflow on outlying rows is expected and handled below.
        with np.errstate(over="ignore", invalid="ignore"):
            mean, log_var = encode(X[rows])
            std = np.exp(0.5 * log_var)
            Z = mean[None, :, :] + std[None, :, :] * noise[:, None, :]
            log_lik = decode_log_likelihood(X[rows], Z)
            Z64 = Z.astype(np.float64)
            log_prior = -0.5 * ((Z64 * Z64).sum(axis=2) + LOG_2PI * Z.shape[2])
            log_post = (
                -0.5 * (eps_sq + log_var.astype(np.float64).sum(axis=1)[None, :])
                - 0.5 * LOG_2PI * Z.shape[2]
            )
            out[:, rows] = log_lik + log_prior - log_post
    out[np.isnan(out)] = -np.inf
    return out


def iwae_and_elbo(log_weights):
    """IWAE bound and ELBO estimate per row from :func:`log_importance_weights`.

    A row whose every log weight is ``-inf`` gets ``-inf`` for both.
    """
    n_draws = log_weights.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        iwae = logsumexp(log_weights, axis=0) - np.log(n_draws)
    elbo = log_weights.mean(axis=0)
    return iwae, elbo
