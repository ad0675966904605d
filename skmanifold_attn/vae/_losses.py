"""Per-row log-densities of the VAE and their gradients.

Everything here works row-wise on 2-D arrays in the caller's float dtype and
returns values *per row* (summed over latent dimensions), so the same
functions serve the training loss (averaged over a batch), the ELBO and the
importance-weighted bound of :mod:`._iwae`. The column likelihoods of the
decoder live in :mod:`._likelihoods`.
"""

import numpy as np

LOG_2PI = float(np.log(2.0 * np.pi))


def _softplus(x):
    # log(1 + exp(x)) without overflow for large |x|.
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


def _sigmoid(x):
    # 0.5 * (1 + tanh(x / 2)) never overflows.
    out = np.multiply(x, 0.5)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


def kl_standard_normal(mean, log_var):
    """KL(N(mean, diag exp(log_var)) || N(0, I)) per row and latent dimension.

    Returns
    -------
    kl : ndarray of shape (n_samples, n_components)
        Not yet summed over dimensions, so free bits can act per dimension.
    grad_mean, grad_log_var : ndarray of shape (n_samples, n_components)
        Gradients of ``kl.sum()``.
    """
    var = np.exp(log_var)
    kl = 0.5 * (mean * mean + var - 1.0 - log_var)
    return kl, mean.copy(), 0.5 * (var - 1.0)


def free_bits_mask(kl, free_bits):
    """Which latent dimensions the KL penalty still acts on under free bits.

    Free bits (Kingma et al., 2016) replace the batch-mean KL of each latent
    dimension by ``max(free_bits, KL_j)``: a dimension below the allowance is
    not pushed further toward the prior, which counters posterior collapse.

    Returns
    -------
    penalised_kl : float
        ``sum_j max(free_bits, mean_i kl_ij)``, the penalty per row.
    active : ndarray of shape (n_components,)
        1 where the gradient of the penalty flows (mean KL above the allowance)
        else 0, in ``kl``'s dtype.
    """
    mean_kl = kl.mean(axis=0)
    if free_bits <= 0:
        return float(mean_kl.sum()), np.ones_like(mean_kl)
    active = (mean_kl > free_bits).astype(kl.dtype)
    return float(np.maximum(mean_kl, free_bits).sum()), active


def log_normal(z, mean=None, log_var=None):
    """Log-density of ``z`` under N(mean, diag exp(log_var)), summed on the last axis.

    With ``mean`` and ``log_var`` None it is the standard normal prior.
    """
    if mean is None:
        return -0.5 * ((z * z).sum(axis=-1) + LOG_2PI * z.shape[-1])
    diff = z - mean
    return -0.5 * (
        (diff * diff * np.exp(-log_var) + log_var).sum(axis=-1) + LOG_2PI * z.shape[-1]
    )
