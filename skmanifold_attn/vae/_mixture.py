"""A mixture of Gaussians per column: multi-modal real values.

For each column the decoder outputs ``K`` mode logits and ``K`` means (in
standardised units); each (column, mode) has a learned variance above the
floor, shared by every row:

    p(x | z) = sum_k softmax(a(z))_k N(x; m_k(z), s_k^2).

It plays the role of the mode-specific normalisation of TVAE (Xu et al.,
2019) inside the likelihood: a column whose values cluster in separate modes
that the latent code does not explain is still modelled (and sampled) with
its modes, where a single Gaussian would fill the gap between them.
"""

import numpy as np
from scipy.special import logsumexp

from .._nn._preprocessing import fit_standardisation
from ._likelihoods import VARIANCE_FLOOR, Likelihood
from ._losses import LOG_2PI

#: Modes per column.
MIXTURE_MODES = 5

# Initial variance of each mode, in standardised units: modes start narrower
# than the column, at its quantiles.
_INITIAL_VARIANCE = 0.1


class GaussianMixture(Likelihood):
    """Standardised real values: a mixture of ``n_modes`` Gaussians per column."""

    name = "gaussian_mixture"
    real_valued = True
    standardises = True

    def __init__(self, columns, dtype, n_modes=MIXTURE_MODES):
        super().__init__(columns, dtype)
        self.n_modes = int(n_modes)
        shape = (self.n_columns, self.n_modes)
        self.log_variance = np.full(
            shape, np.log(_INITIAL_VARIANCE - VARIANCE_FLOOR), dtype=self.dtype
        )
        self.params = [self.log_variance]
        self.grads = [np.zeros_like(self.log_variance)]
        self._initial_means = np.zeros(shape, dtype=self.dtype)

    @property
    def width(self):
        return 2 * self.n_columns * self.n_modes

    def fit(self, X):
        self.loc, self.scale = fit_standardisation(X.astype(self.dtype, copy=False))
        standardised = (X - self.loc) / self.scale
        levels = (np.arange(self.n_modes) + 0.5) / self.n_modes
        for j in range(self.n_columns):
            column = standardised[:, j]
            column = column[~np.isnan(column)]
            if column.size:
                self._initial_means[j] = np.quantile(column, levels)
        return self

    def initial_output_bias(self):
        """Decoder output bias at initialisation: equal modes at the quantiles."""
        return np.concatenate(
            [np.zeros(self.n_columns * self.n_modes), self._initial_means.ravel()]
        ).astype(self.dtype)

    def variance(self):
        """Variance per column and mode, in model units."""
        return (VARIANCE_FLOOR + np.exp(self.log_variance)).astype(self.dtype)

    def _split(self, out):
        shape = out.shape[:-1] + (self.n_columns, self.n_modes)
        half = self.n_columns * self.n_modes
        return out[..., :half].reshape(shape), out[..., half:].reshape(shape)

    def _joint(self, X, out):
        # log pi_k + log N(x; m_k, s_k^2) per (row, column, mode).
        logits, means = self._split(out)
        variance = self.variance()
        log_pi = logits - logsumexp(logits, axis=-1, keepdims=True)
        residual = X[..., None] - means
        log_normal = -0.5 * (residual**2 / variance + np.log(variance) + LOG_2PI)
        return log_pi, residual, variance, log_pi + log_normal

    def log_prob_cells(self, X, out):
        return logsumexp(self._joint(X, out)[3], axis=-1)

    def nll_and_grad(self, X, out, observed):
        log_pi, residual, variance, joint = self._joint(X, out)
        cells = logsumexp(joint, axis=-1, keepdims=True)
        weight = observed[..., None]
        responsibility = np.exp(joint - cells) * weight
        nll = -(cells[..., 0] * observed).sum(axis=1)
        d_logits = np.exp(log_pi) * weight - responsibility
        d_means = -responsibility * residual / variance
        d_variance = (
            0.5 * (responsibility * (1.0 / variance - residual**2 / variance**2))
        ).sum(axis=0)
        self.grads[0][:] = d_variance * (variance - VARIANCE_FLOOR)
        n = X.shape[0]
        grad = np.concatenate([d_logits.reshape(n, -1), d_means.reshape(n, -1)], axis=1)
        return nll.astype(self.dtype, copy=False), grad.astype(self.dtype, copy=False)

    def mean(self, out):
        logits, means = self._split(out)
        pi = np.exp(logits - logsumexp(logits, axis=-1, keepdims=True))
        return (pi * means).sum(axis=-1).astype(self.dtype, copy=False)

    def sample(self, out, rng):
        logits, means = self._split(out)
        pi = np.exp(logits - logsumexp(logits, axis=-1, keepdims=True))
        cumulative = np.cumsum(pi, axis=-1)
        u = rng.uniform(size=pi.shape[:-1] + (1,)) * cumulative[..., -1:]
        mode = np.minimum((cumulative < u).sum(axis=-1), self.n_modes - 1)
        chosen = np.take_along_axis(means, mode[..., None], axis=-1)[..., 0]
        std = np.sqrt(self.variance())
        spread = np.take_along_axis(
            np.broadcast_to(std, means.shape), mode[..., None], axis=-1
        )[..., 0]
        noise = rng.standard_normal(chosen.shape)
        return (chosen + noise * spread).astype(self.dtype)
