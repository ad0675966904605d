"""The VAE network: encoder and decoder MLPs, reparameterisation, loss, backward.

The encoder maps a row ``x`` to ``[mu, log_var]`` (one Dense output of width
``2 * n_components``, ``log_var`` clipped to ``[-LOG_VAR_BOUND,
LOG_VAR_BOUND]``); ``z = mu + exp(log_var / 2) * eps`` with
``eps ~ N(0, I)``; the decoder mirrors the encoder and outputs the mean of a
Gaussian (per-feature variance learned above a floor, or fixed) or the logits
of a Bernoulli. The training loss of a batch is

    mean_i NLL(x_i | z_i) + kl_weight * sum_j max(free_bits, mean_i KL_ij)

(the negative ELBO when ``kl_weight == 1`` and ``free_bits == 0``), and
:class:`VAENetwork` follows the model protocol of the shared training loop in
:mod:`skmanifold_attn._nn`.
"""

import numpy as np

from .._nn._layers import mlp
from ._iwae import iwae_and_elbo, log_importance_weights
from ._losses import (
    bernoulli_nll,
    bernoulli_nll_value,
    free_bits_mask,
    gaussian_nll,
    gaussian_nll_value,
    gaussian_variance,
    kl_standard_normal,
)

# Lower bound of the learned decoder variance, in standardised units: keeps
# the likelihood bounded on features the decoder reconstructs exactly.
VARIANCE_FLOOR = 1e-3

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
    """Encoder, decoder and (Gaussian decoder) log-variance parameters.

    Parameters
    ----------
    n_features : int
        Input width.
    n_components : int
        Latent dimensions.
    hidden_layer_sizes : tuple of int
        Encoder hidden widths; the decoder uses them in reverse order.
    activation : str
        Hidden activation.
    decoder : {"gaussian", "bernoulli"}
        Likelihood of a row given its latent code.
    decoder_variance : "learned" or float
        Gaussian decoder only: learned per-feature variance (floored at
        ``VARIANCE_FLOOR``) or this fixed variance.
    rng : numpy.random.RandomState
        Source of the initial weights.
    dtype : numpy dtype
        Computation dtype.

    Attributes
    ----------
    params, grads, penalized : list
        Aligned lists over every trainable array (encoder, decoder, then the
        decoder's log-variance parameter when learned).
    kl_weight : float
        Weight of the KL term in the training loss (beta times the warm-up
        factor); set by the estimator before each epoch.
    free_bits : float
        KL allowance per latent dimension (nats).
    beta, kl_warmup : float, int
        Target KL weight and the number of epochs of its linear warm-up,
        applied by :meth:`start_epoch`.
    score_noise : ndarray of shape (n_draws, n_components) or None
        Fixed standard-normal draws of the importance-weighted bound used by
        :meth:`validation_score` (and the estimator's ``score_samples``).
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
    ):
        hidden = list(hidden_layer_sizes)
        self.n_features = n_features
        self.n_components = n_components
        self.decoder = decoder
        self.dtype = np.dtype(dtype)
        self.encoder_net = mlp(
            [n_features, *hidden, 2 * n_components],
            activation=activation,
            rng=rng,
            dtype=dtype,
        )
        self.decoder_net = mlp(
            [n_components, *hidden[::-1], n_features],
            activation=activation,
            rng=rng,
            dtype=dtype,
        )
        self.params = self.encoder_net.params + self.decoder_net.params
        self.grads = self.encoder_net.grads + self.decoder_net.grads
        self.penalized = self.encoder_net.penalized + self.decoder_net.penalized
        self.learn_variance = decoder == "gaussian" and decoder_variance == "learned"
        if self.learn_variance:
            # floor + exp(0) ~ 1: unit variance, the standardised data's scale.
            self.log_variance = np.zeros(n_features, dtype=dtype)
            self.params.append(self.log_variance)
            self.grads.append(np.zeros_like(self.log_variance))
            self.penalized.append(False)
            self.fixed_variance = None
        elif decoder == "gaussian":
            self.fixed_variance = np.full(n_features, decoder_variance, dtype=dtype)
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
            "decoder_variance": (None if decoder == "bernoulli" else decoder_variance),
        }
        self._max_width = max([n_features, *hidden])

    # -- pieces -----------------------------------------------------------

    def variance(self):
        """Decoder variance per feature (Gaussian decoder)."""
        if self.learn_variance:
            return gaussian_variance(self.log_variance, VARIANCE_FLOOR).astype(
                self.dtype, copy=False
            )
        return self.fixed_variance

    def encode(self, X):
        """Posterior mean and log-variance, without remembering anything."""
        out = self.encoder_net.predict(X)
        k = self.n_components
        log_var = out[..., k:]
        np.clip(log_var, -LOG_VAR_BOUND, LOG_VAR_BOUND, out=log_var)
        return out[..., :k], log_var

    def decode(self, Z):
        """Decoder output: Gaussian mean or Bernoulli logits."""
        return self.decoder_net.predict(Z)

    def decode_mean(self, Z):
        """Mean of p(x | z) in the model's scale."""
        out = self.decode(Z)
        if self.decoder == "bernoulli":
            # sigmoid through tanh: no overflow for large logits.
            np.multiply(out, 0.5, out=out)
            np.tanh(out, out=out)
            out += 1
            out *= 0.5
        return out

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
        """log p(X | Z) per row; ``Z`` may carry leading draw axes."""
        out = self.decode(Z)
        if self.decoder == "bernoulli":
            return -bernoulli_nll_value(X, out)
        return -gaussian_nll_value(X, out, self.variance())

    # -- training ---------------------------------------------------------

    def loss_and_grads(self, X, y, rng):
        """Training loss of a batch and the gradients (filled into ``grads``).

        ``y`` is ignored (the VAE is unsupervised).
        """
        n = X.shape[0]
        k = self.n_components
        enc = self.encoder_net.forward(X)
        mean = enc[:, :k]
        log_var = np.clip(enc[:, k:], -LOG_VAR_BOUND, LOG_VAR_BOUND)
        # Where the clip binds, log_var no longer depends on the encoder.
        unclipped = log_var == enc[:, k:]
        eps = rng.standard_normal((n, k)).astype(self.dtype, copy=False)
        std = np.exp(0.5 * log_var)
        Z = std * eps
        Z += mean
        out = self.decoder_net.forward(Z)

        if self.decoder == "bernoulli":
            nll, d_out = bernoulli_nll(X, out)
        else:
            variance = self.variance()
            nll, d_out, d_variance = gaussian_nll(X, out, variance)
            if self.learn_variance:
                # d variance / d s = exp(s) = variance - floor
                np.multiply(
                    d_variance, (variance - VARIANCE_FLOOR) / n, out=self.grads[-1]
                )
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
