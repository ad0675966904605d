"""Column likelihoods of the VAE's decoder: one class per column type.

Each class models a block of columns of a table given the decoder's output
for those columns. It knows

* ``input_width`` and ``width``: how many encoder inputs and decoder outputs
  the block takes;
* ``fit(X)``: its units (``loc``, ``scale``: model units are
  ``(x - loc) / scale``) from the training values, and ``standardises``,
  whether those units are the data's own;
* ``check(X, decoder)``: the values it can model, with a clear error;
* ``encoder_input(X)``: the block's columns of the encoder's input;
* ``nll_and_grad(X, out, observed)``: the negative log-likelihood per row and
  its gradient with respect to ``out`` (and to its own parameters);
* ``log_prob_cells(X, out)``, ``mean(out)`` and ``sample(out, rng)``.

Values ``X`` are in model units with missing cells set to 0 and ``observed``
(1.0 or 0.0 per cell) saying which cells count. :class:`TableLikelihood`
composes blocks over the columns of a table
(:mod:`._table_likelihood`); adding a column type is one new class
registered in its ``LIKELIHOODS``.
"""

import numpy as np

from .._nn._preprocessing import fit_standardisation
from ._losses import LOG_2PI, _sigmoid, _softplus

# Lower bound of the learned decoder variance, in standardised units: keeps
# the likelihood bounded on features the decoder reconstructs exactly.
VARIANCE_FLOOR = 1e-3

# Below this |logit| the continuous Bernoulli's normaliser and mean use their
# Taylor series (the closed forms are 0/0 at 0).
_CB_SERIES = 1e-4

# The continuous Bernoulli's density at 0 (at 1) grows without bound as its
# logit goes to -inf (+inf): on data with many exact 0s or 1s the training
# loss would fall forever. Its logit is held in (-bound, bound) by
# ``l = bound * tanh(out / bound)``, which caps the density at about ``bound``.
# On the digits scaled to [0, 1] (8 latent dimensions), 50 lets training
# converge (~600 epochs, where no bound runs past 1000) and gives the samples'
# pixel correlations closest to the data's (relative error 0.37; 0.45 with a
# bound of 15, 0.50 with 300).
CB_LOGIT_BOUND = 50.0


class Likelihood:
    """A likelihood over a block of columns (base class).

    Parameters
    ----------
    columns : array-like of int
        The table's columns the block models.
    dtype : numpy dtype
        Computation dtype.
    """

    #: Name of the column type (the estimator's ``column_types_`` entries).
    name = "base"
    #: Whether ``fit`` learns units of the data (mean and scale).
    standardises = False
    #: Whether the model units are a nonlinear map of the (affine) units:
    #: then :meth:`to_scores` and :meth:`from_scores` are that map.
    maps_units = False
    #: Whether the column's values are real numbers drawn from a density:
    #: ``sample``'s marginal calibration applies to it (see
    #: :mod:`._calibration`).
    real_valued = False

    def __init__(self, columns, dtype):
        self.columns = np.asarray(columns, dtype=np.intp)
        self.dtype = np.dtype(dtype)
        n = len(self.columns)
        self.loc = np.zeros(n, dtype=self.dtype)
        self.scale = np.ones(n, dtype=self.dtype)
        self.params, self.grads = [], []

    @property
    def n_columns(self):
        return len(self.columns)

    @property
    def width(self):
        """Decoder outputs of the block."""
        return self.n_columns

    @property
    def input_width(self):
        """Encoder inputs of the block."""
        return self.n_columns

    def fit(self, X):
        """Set ``loc`` and ``scale`` from the block's training values (NaN: missing)."""
        return self

    def check(self, X, decoder):
        """Raise a ValueError for values the block cannot model (NaN: missing)."""

    def to_scores(self, X):
        """Nonlinear part of the map to model units (identity here)."""
        return X

    def from_scores(self, U):
        """Inverse of :meth:`to_scores` (identity here)."""
        return U

    def log_jacobian_cells(self, U):
        """``log |d u / d x|`` per cell of model-unit values ``U``.

        Added to a log-likelihood in model units, it gives the density in
        the data's units: ``-log(scale)`` for standardised columns, 0 for
        columns modelled in their own units.
        """
        log_scale = np.log(self.scale.astype(np.float64))
        if not self.standardises:
            log_scale = np.zeros_like(log_scale)
        return np.broadcast_to(-log_scale, U.shape)

    def encoder_input(self, X):
        """The block's encoder inputs from model-unit values (0 where missing)."""
        return X

    def nll_and_grad(self, X, out, observed):
        """Negative log-likelihood per row and its gradient.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_columns)
            Model-unit values, 0 where missing.
        out : ndarray of shape (n_samples, width)
            The decoder's outputs for the block.
        observed : ndarray of shape (n_samples, n_columns)
            1 where a cell counts, 0 where it is missing.

        Returns
        -------
        nll : ndarray of shape (n_samples,)
        grad_out : ndarray of shape (n_samples, width)
            Gradient of ``nll.sum()`` with respect to ``out``. The gradients of
            ``nll.sum()`` with respect to the block's own ``params`` are
            written into ``grads``.
        """
        raise NotImplementedError

    def log_prob_cells(self, X, out):
        """``log p(x_ij | out_i)`` per cell; ``out`` may carry leading draw axes.

        Returns an array of shape ``out.shape[:-1] + (n_columns,)``; cells
        of missing values hold a meaningless finite value (mask them).
        """
        raise NotImplementedError

    def mean(self, out):
        """Point value per column in model units (the mode for categories)."""
        raise NotImplementedError

    def sample(self, out, rng):
        """One draw per row and column from ``p(x | out)``, in model units."""
        raise NotImplementedError

    def initial_output_bias(self):
        """Bias of the block's decoder outputs at initialisation (None: keep)."""
        return None


class Gaussian(Likelihood):
    """Standardised real values: N(out, variance) with a per-column variance.

    The variance is learned (``VARIANCE_FLOOR + exp(s)``, one ``s`` per
    column) or fixed.
    """

    name = "gaussian"
    real_valued = True
    standardises = True

    def __init__(self, columns, dtype, variance="learned"):
        super().__init__(columns, dtype)
        self.learned = isinstance(variance, str)
        if self.learned:
            # floor + exp(0) ~ 1: unit variance, the standardised data's scale.
            self.log_variance = np.zeros(self.n_columns, dtype=self.dtype)
            self.params = [self.log_variance]
            self.grads = [np.zeros_like(self.log_variance)]
        else:
            self.fixed_variance = np.full(self.n_columns, variance, dtype=self.dtype)

    def fit(self, X):
        self.loc, self.scale = fit_standardisation(X.astype(self.dtype, copy=False))
        return self

    def variance(self):
        """Variance per column, in model units."""
        if self.learned:
            return (VARIANCE_FLOOR + np.exp(self.log_variance)).astype(self.dtype)
        return self.fixed_variance

    def nll_and_grad(self, X, out, observed):
        variance = self.variance()
        inv_var = 1.0 / variance
        residual = out - X
        residual *= observed
        sq = residual * residual
        constant = np.log(variance) + LOG_2PI
        nll = 0.5 * (sq @ inv_var + observed @ constant)
        grad = residual * inv_var
        if self.learned:
            d_variance = 0.5 * (
                observed.sum(axis=0) * inv_var - sq.sum(axis=0) * inv_var**2
            )
            # d variance / d s = exp(s) = variance - floor
            self.grads[0][:] = d_variance * (variance - VARIANCE_FLOOR)
        return nll.astype(self.dtype, copy=False), grad

    def log_prob_cells(self, X, out):
        variance = self.variance()
        residual = out - X
        return -0.5 * (residual * residual / variance + (np.log(variance) + LOG_2PI))

    def mean(self, out):
        return out

    def sample(self, out, rng):
        noise = rng.standard_normal(out.shape).astype(self.dtype, copy=False)
        return out + noise * np.sqrt(self.variance())


class Bernoulli(Likelihood):
    """Binary columns: Bernoulli(sigmoid(out)) of the values mapped to {0, 1}.

    With ``two_values=True`` (binary columns found in the data) the column's
    smaller value maps to 0 and the larger to 1; otherwise values must lie in
    [0, 1] as they are (grey levels are accepted: the loss is then the binary
    cross-entropy, and samples are 0 or 1).
    """

    name = "bernoulli"

    def __init__(self, columns, dtype, two_values=False):
        super().__init__(columns, dtype)
        self.two_values = two_values

    def fit(self, X):
        if self.two_values:
            low, high = np.nanmin(X, axis=0), np.nanmax(X, axis=0)
            with np.errstate(over="ignore"):
                spread = (high - low).astype(self.dtype)
            if not np.isfinite(spread).all():
                raise ValueError(
                    "The values of X are too large in magnitude: the difference "
                    "between a binary column's two values overflows. Scale X "
                    "to a moderate range."
                )
            self.loc = low.astype(self.dtype)
            self.scale = np.where(spread > 0, spread, 1).astype(self.dtype)
        return self

    def check(self, X, decoder):
        low, high = np.nanmin(X, initial=np.inf), np.nanmax(X, initial=-np.inf)
        if not (self.two_values or (low >= 0 and high <= 1)):
            raise ValueError(
                f"decoder={decoder!r} needs every value of X in [0, 1]; got values "
                f"in [{low:.4g}, {high:.4g}]. Scale X (e.g. with "
                "MinMaxScaler) or use decoder='gaussian'."
            )

    def nll_and_grad(self, X, out, observed):
        nll = ((_softplus(out) - X * out) * observed).sum(axis=1)
        grad = _sigmoid(out)
        grad -= X
        grad *= observed
        return nll, grad

    def log_prob_cells(self, X, out):
        return X * out - _softplus(out)

    def probability(self, out):
        """Probability of the value 1 (the larger of two values)."""
        return _sigmoid(out)

    def mean(self, out):
        # A column of two values decodes to the more probable one; values in
        # [0, 1] as they are decode to the probability (the mean).
        if self.two_values:
            return (out > 0).astype(self.dtype)
        return _sigmoid(out)

    def sample(self, out, rng):
        p = _sigmoid(out)
        return (rng.uniform(size=p.shape) < p).astype(self.dtype)


def _cb_log_normaliser(logits):
    # log C = log(l / tanh(l / 2)), even in l; log 2 + l^2 / 12 near 0.
    a = np.abs(logits)
    small = a < _CB_SERIES
    safe = np.where(small, 1.0, a)
    with np.errstate(over="ignore"):
        direct = np.log(safe) - (np.log1p(-np.exp(-safe)) - np.log1p(np.exp(-safe)))
    return np.where(small, np.log(2.0) + a * a / 12, direct)


def _cb_log_normaliser_grad(logits):
    # d log C / d l = 1 / l - 1 / sinh(l); l / 6 near 0.
    small = np.abs(logits) < _CB_SERIES
    safe = np.where(small, 1.0, logits)
    with np.errstate(over="ignore"):
        direct = 1.0 / safe - 1.0 / np.sinh(safe)
    return np.where(small, logits / 6, direct)


class ContinuousBernoulli(Likelihood):
    """Values in [0, 1]: the continuous Bernoulli of Loaiza-Ganem & Cunningham.

    ``p(x | l) = C(l) * exp(l * x) / (1 + exp(l))`` on [0, 1], with logit
    ``l`` and normaliser ``C(l) = l / tanh(l / 2)``: a proper density of
    grey levels, whose draws are grey levels too. The logit is the decoder
    output squashed into ``(-CB_LOGIT_BOUND, CB_LOGIT_BOUND)``.
    """

    name = "continuous_bernoulli"
    real_valued = True

    def check(self, X, decoder):
        low, high = np.nanmin(X, initial=np.inf), np.nanmax(X, initial=-np.inf)
        if low < 0 or high > 1:
            raise ValueError(
                f"decoder={decoder!r} needs every value of X in [0, 1]; got values "
                f"in [{low:.4g}, {high:.4g}]. Scale X (e.g. with "
                "MinMaxScaler) or use decoder='gaussian'."
            )

    @staticmethod
    def logit(out):
        """The bounded logit ``l`` of decoder outputs."""
        return CB_LOGIT_BOUND * np.tanh(out / CB_LOGIT_BOUND)

    def nll_and_grad(self, X, out, observed):
        logit = self.logit(out)
        cells = _softplus(logit) - X * logit - _cb_log_normaliser(logit)
        nll = (cells * observed).sum(axis=1)
        grad = _sigmoid(logit) - X - _cb_log_normaliser_grad(logit)
        # d l / d out = 1 - tanh^2 = 1 - (l / bound)^2
        grad *= 1.0 - (logit / CB_LOGIT_BOUND) ** 2
        grad *= observed
        return nll.astype(self.dtype, copy=False), grad.astype(self.dtype, copy=False)

    def log_prob_cells(self, X, out):
        logit = self.logit(out)
        return X * logit - _softplus(logit) + _cb_log_normaliser(logit)

    def mean(self, out):
        out = self.logit(out)
        # E[x] = 1 / (1 - exp(-l)) - 1 / l; 1/2 + l / 12 near 0.
        small = np.abs(out) < _CB_SERIES
        safe = np.where(small, 1.0, out)
        with np.errstate(over="ignore", divide="ignore"):
            direct = 1.0 / -np.expm1(-safe) - 1.0 / safe
        return np.where(small, 0.5 + out / 12, direct).astype(self.dtype, copy=False)

    def sample(self, out, rng):
        # Inverse CDF: x = log(1 + u (exp(l) - 1)) / l, rewritten for l > 0
        # as 1 + log(u + (1 - u) exp(-l)) / l so that nothing overflows.
        out = self.logit(out)
        u = rng.uniform(size=out.shape)
        small = np.abs(out) < 1e-6
        safe = np.where(small, 1.0, out)
        positive = safe > 0
        a = np.where(positive, -safe, safe)  # -|l|
        with np.errstate(divide="ignore"):
            tail = np.where(
                positive,
                1.0 + np.log(u + (1.0 - u) * np.exp(a)) / safe,
                np.log1p(u * np.expm1(a)) / safe,
            )
        return np.clip(np.where(small, u, tail), 0.0, 1.0).astype(self.dtype)


class Categorical(Likelihood):
    """One categorical column: softmax over its ``n_categories`` logits.

    Values are category codes ``0 .. n_categories - 1``; the encoder sees
    them one-hot (all zeros where missing).
    """

    name = "categorical"

    def __init__(self, columns, dtype, n_categories):
        super().__init__(columns, dtype)
        if self.n_columns != 1:
            raise ValueError("A Categorical block models exactly one column.")
        self.n_categories = int(n_categories)

    @property
    def width(self):
        return self.n_categories

    @property
    def input_width(self):
        return self.n_categories

    def check(self, X, decoder):
        codes = X[~np.isnan(X)]
        if codes.size and (codes.min() < 0 or np.any(codes != np.round(codes))):
            raise ValueError("Category codes must be non-negative integers.")

    def _one_hot(self, X, observed=None):
        codes = X[:, 0].astype(np.intp)
        one_hot = np.zeros((X.shape[0], self.n_categories), dtype=self.dtype)
        rows = np.arange(X.shape[0])
        keep = codes < self.n_categories
        if observed is not None:
            keep &= observed[:, 0] > 0
        one_hot[rows[keep], codes[keep]] = 1
        return one_hot

    def encoder_input(self, X):
        # Missing cells are 0 in X: their one-hot row is cleared by the
        # caller's mask of the encoder input (see TableLikelihood).
        return self._one_hot(X)

    def log_softmax(self, out):
        """Log-probabilities of the categories (any leading axes)."""
        shifted = out - out.max(axis=-1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))

    def nll_and_grad(self, X, out, observed):
        log_p = self.log_softmax(out)
        one_hot = self._one_hot(X, observed)
        nll = -(log_p * one_hot).sum(axis=1)
        grad = np.exp(log_p)
        grad -= one_hot
        grad *= observed
        return nll, grad

    def log_prob_cells(self, X, out):
        log_p = self.log_softmax(out)
        codes = np.clip(X[:, 0].astype(np.intp), 0, self.n_categories - 1)
        index = np.broadcast_to(codes[:, None], log_p.shape[:-1] + (1,))
        return np.take_along_axis(log_p, index, axis=-1)

    def mean(self, out):
        return out.argmax(axis=-1)[..., None].astype(self.dtype)

    def sample(self, out, rng):
        p = np.exp(self.log_softmax(out))
        cumulative = np.cumsum(p, axis=-1)
        u = rng.uniform(size=p.shape[:-1] + (1,)) * cumulative[..., -1:]
        codes = (cumulative < u).sum(axis=-1)
        return np.minimum(codes, self.n_categories - 1)[..., None].astype(self.dtype)
