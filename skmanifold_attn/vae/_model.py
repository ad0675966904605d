"""The VAE network: encoder and decoder MLPs, reparameterisation, loss, backward.

The encoder maps a row ``x`` to ``[mu, log_var]`` (one Dense output of width
``2 * n_components``, ``log_var`` clipped to ``[-LOG_VAR_BOUND,
LOG_VAR_BOUND]``); ``z = mu + exp(log_var / 2) * eps`` with
``eps ~ N(0, I)``; the decoder mirrors the encoder and outputs the parameters
of the column likelihoods of :mod:`._likelihoods` (Gaussian means, Bernoulli
and continuous-Bernoulli logits, categorical logits). Missing cells are left
out of the likelihood. The training loss of a batch is

    mean_i NLL(x_i | z_i) + kl_weight * sum_j max(free_bits, mean_i KL_ij)

(the negative ELBO when ``kl_weight == 1`` and ``free_bits == 0``), and
:class:`VAENetwork` follows the model protocol of the shared training loop in
:mod:`skmanifold_attn._nn`.
"""

import numpy as np

from .._nn._layers import mlp
from ._iwae import iwae_and_elbo, log_importance_weights
from ._likelihoods import VARIANCE_FLOOR, Gaussian
from ._losses import free_bits_mask, kl_standard_normal
from ._table_likelihood import build_likelihood

__all__ = ["LOG_VAR_BOUND", "VARIANCE_FLOOR", "VAENetwork"]

# Bound of the encoder's log-variance, in training and scoring alike: rows far
# outside the training range otherwise drive it to thousands, exp overflows
# and the decoder sees inf (then NaN). exp(+-15) standard deviations are far
# beyond anything a fitted posterior uses, so the clip never binds in normal
# training; where it binds, its gradient is zero.
LOG_VAR_BOUND = 30.0

# Inference runs on chunks of rows whose widest layer holds about this many
# values, so transform and inverse_transform need memory for their output
# only, whatever the number of rows.
_CHUNK_ELEMENTS = 1 << 20


class VAENetwork:
    """Encoder, decoder and the column likelihoods' parameters.

    Parameters
    ----------
    n_features : int
        Columns of the table.
    n_components : int
        Latent dimensions.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths; the decoder uses them in reverse order.
    activation : str
        Hidden activation.
    decoder : str
        The estimator's ``decoder``; with ``likelihood=None`` every column gets
        that column type (``"gaussian"``, ``"bernoulli"`` or
        ``"continuous_bernoulli"``).
    decoder_variance : "learned" or float
        Gaussian columns: learned per-column variance (floored at
        ``VARIANCE_FLOOR``) or this fixed variance.
    rng : numpy.random.RandomState
        Source of the initial weights.
    dtype : numpy dtype
        Computation dtype.
    score_noise : ndarray of shape (n_draws, n_components) or None
        Fixed standard-normal draws of the importance-weighted bound used by
        :meth:`validation_score` (and the estimator's ``score_samples``).
    likelihood : TableLikelihood or None, default=None
        The column likelihoods (see :mod:`._likelihoods`); built from
        ``decoder`` when None.

    Attributes
    ----------
    params, grads, penalized : list
        Aligned lists over every trainable array (encoder, decoder, then the
        likelihoods' own parameters, e.g. the Gaussian log-variances).
    kl_weight : float
        Weight of the KL term in the training loss (beta times the warm-up
        factor); set by the estimator before each epoch.
    free_bits : float
        KL allowance per latent dimension (nats).
    beta, kl_warmup : float, int
        Target KL weight and the number of epochs of its linear warm-up,
        applied by :meth:`start_epoch`.

    Notes
    -----
    Every method takes rows in *model units* (see
    :meth:`TableLikelihood.to_model`) with NaN where a cell is missing.
    """

    # The matrices of a VAE are small: BLAS threading costs more than it gives.
    blas_threads = 1

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes,
        *,
        activation,
        decoder,
        decoder_variance,
        rng,
        dtype,
        score_noise=None,
        likelihood=None,
    ):
        hidden = list(hidden_layer_sizes)
        if likelihood is None:
            likelihood = build_likelihood(
                [decoder] * n_features, dtype, variance=decoder_variance
            )
        self.likelihood = likelihood
        self.n_features = n_features
        self.n_components = n_components
        self.decoder = decoder
        self.dtype = np.dtype(dtype)
        self.encoder_net = mlp(
            [likelihood.input_width, *hidden, 2 * n_components],
            activation=activation,
            rng=rng,
            dtype=dtype,
        )
        self.decoder_net = mlp(
            [n_components, *hidden[::-1], likelihood.width],
            activation=activation,
            rng=rng,
            dtype=dtype,
        )
        bias = likelihood.initial_output_bias()
        if bias is not None:
            self.decoder_net.params[-1][:] = bias
        self.params = self.encoder_net.params + self.decoder_net.params
        self.grads = self.encoder_net.grads + self.decoder_net.grads
        self.penalized = self.encoder_net.penalized + self.decoder_net.penalized
        self.params += likelihood.params
        self.grads += likelihood.grads
        self.penalized += [False] * len(likelihood.params)
        # The block of plain Gaussian columns (decoder_variance_ reports its
        # variance); any Gaussian-family block makes decoder_variance matter.
        self._gaussian = next(
            (b for b in likelihood.blocks if type(b) is Gaussian), None
        )
        gaussian_family = any(isinstance(b, Gaussian) for b in likelihood.blocks)
        self.learn_variance = self._gaussian is not None and self._gaussian.learned
        self.kl_weight = 1.0
        self.free_bits = 0.0
        self.beta = 1.0
        self.kl_warmup = 0
        self.score_noise = score_noise
        # Kept to tell whether a warm-started fit still matches the network.
        self.architecture = {
            "n_components": n_components,
            "hidden_layer_sizes": tuple(int(size) for size in hidden),
            "activation": activation,
            "decoder": decoder,
            "decoder_variance": decoder_variance if gaussian_family else None,
        }
        self._max_width = max(
            [likelihood.input_width, likelihood.width, n_features, *hidden]
        )

    # -- pieces -----------------------------------------------------------

    @property
    def log_variance(self):
        """The Gaussian columns' learned log-variance parameter."""
        return self._gaussian.log_variance

    def variance(self):
        """Decoder variance per Gaussian column, in model units."""
        return self._gaussian.variance()

    def encode(self, X):
        """Posterior mean and log-variance, without remembering anything."""
        out = self.encoder_net.predict(self.likelihood.encoder_input(X))
        k = self.n_components
        log_var = out[..., k:]
        np.clip(log_var, -LOG_VAR_BOUND, LOG_VAR_BOUND, out=log_var)
        return out[..., :k], log_var

    def decode(self, Z):
        """Decoder output: the likelihoods' parameters (means, logits)."""
        return self.decoder_net.predict(Z)

    def decode_mean(self, Z):
        """Point value of p(x | z) per column in model units (modes of categories)."""
        return self.likelihood.mean(self.decode(Z))

    def decode_sample(self, Z, rng):
        """One draw of ``x ~ p(x | z)`` per row of ``Z``, in model units."""
        return self.likelihood.sample(self.decode(Z), rng)

    def map_rows(self, function, X, n_out):
        """Stack ``function(X[rows])`` over chunks of rows of ``X``.

        ``function`` maps ``(n_rows, ...)`` to ``(n_rows, n_out)``; the chunks
        are small enough that its intermediate activations stay ~1M values.
        """
        n_samples = X.shape[0]
        chunk = max(1, _CHUNK_ELEMENTS // max(self._max_width, n_out, 1))
        out = np.empty((n_samples, n_out), dtype=self.dtype)
        for start in range(0, n_samples, chunk):
            rows = slice(start, min(start + chunk, n_samples))
            out[rows] = function(X[rows])
        return out

    def log_likelihood(self, X, Z):
        """log p(x_observed | Z) per row; ``Z`` may carry leading draw axes."""
        return self.likelihood.log_prob(X, self.decode(Z))

    # -- training ---------------------------------------------------------

    def loss_and_grads(self, X, y, rng):
        """Training loss of a batch and the gradients (filled into ``grads``).

        ``y`` is ignored (the VAE is unsupervised).
        """
        n = X.shape[0]
        k = self.n_components
        enc = self.encoder_net.forward(self.likelihood.encoder_input(X))
        mean = enc[:, :k]
        log_var = np.clip(enc[:, k:], -LOG_VAR_BOUND, LOG_VAR_BOUND)
        # Where the clip binds, log_var no longer depends on the encoder.
        unclipped = log_var == enc[:, k:]
        eps = rng.standard_normal((n, k)).astype(self.dtype, copy=False)
        std = np.exp(0.5 * log_var)
        Z = std * eps
        Z += mean
        out = self.decoder_net.forward(Z)

        nll, d_out = self.likelihood.nll_and_grad(X, out)
        for grad in self.likelihood.grads:
            grad /= n
        d_out /= n
        kl, d_mean_kl, d_log_var_kl = kl_standard_normal(mean, log_var)
        kl_penalty, active = free_bits_mask(kl, self.free_bits)
        loss = float(nll.mean()) + self.kl_weight * kl_penalty

        d_Z = self.decoder_net.backward(d_out)
        scale = (self.kl_weight / n) * active
        d_enc = np.empty_like(enc)
        # d/d mu: decoder path plus KL; d/d log_var: decoder path through
        # z = mu + exp(log_var / 2) * eps, plus KL.
        np.multiply(d_mean_kl, scale, out=d_enc[:, :k])
        d_enc[:, :k] += d_Z
        np.multiply(d_log_var_kl, scale, out=d_enc[:, k:])
        d_Z *= eps
        d_Z *= std
        d_Z *= 0.5
        d_enc[:, k:] += d_Z
        if not unclipped.all():
            d_enc[:, k:] *= unclipped
        self.encoder_net.backward(d_enc, input_grad=False)
        return loss, self.grads

    @property
    def loss_name(self):
        """What the training loss is (for the verbose lines)."""
        if self.kl_weight == 1.0 and not self.free_bits:
            return "negative ELBO in nats per row"
        name = f"negative ELBO in nats per row with KL weight {self.kl_weight:g}"
        if self.free_bits:
            name += f" and free bits {self.free_bits:g}"
        return name

    #: What ``validation_score`` is (for the verbose lines).
    validation_name = "IWAE bound in nats per row"

    def start_epoch(self, epoch):
        """Set the KL weight for ``epoch`` (1-based) by the linear warm-up.

        Returns True while the weight changes (the loss is then not
        comparable with earlier epochs').
        """
        if self.kl_warmup and epoch <= self.kl_warmup:
            self.kl_weight = self.beta * epoch / self.kl_warmup
            return True
        changed = self.kl_weight != self.beta
        self.kl_weight = self.beta
        return changed

    def validation_score(self, X_val, y_val=None):
        """Mean importance-weighted bound with the fixed draws (higher is better)."""
        return float(self.bounds(X_val, self.score_noise)[0].mean())

    # -- evaluation -------------------------------------------------------

    def log_weights(self, X, noise):
        """IWAE log importance weights (n_draws, n_samples) for fixed noise."""
        return log_importance_weights(
            X, self.encode, self.log_likelihood, noise, width=self._max_width
        )

    def bounds(self, X, noise):
        """Per-row IWAE bound and ELBO estimate (float64) for fixed noise."""
        return iwae_and_elbo(self.log_weights(X, noise))
