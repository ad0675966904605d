"""VAETransformer: a variational autoencoder as a scikit-learn transformer."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from .._docstrings import fill_doc
from .._nn._layers import ACTIVATIONS
from .._nn._training import NeuralTrainingMixin
from .._table import CATEGORICAL_FEATURES_CONSTRAINT
from ._calibration import calibration_targets
from ._docs import VAE_DOC_PIECES  # noqa: F401 (registers the pieces)
from ._losses import kl_standard_normal
from ._model import VAENetwork
from ._tabular import TableMixin, make_likelihood
from ._validation import (
    check_architecture,
    check_continued_features,
    check_hidden_sizes,
    check_latent_width,
    check_n_samples,
    warn_if_wider_than_data,
)

if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from pandas import DataFrame
    from typing_extensions import Self

# Latent units whose posterior mean varies less than this across the data
# are counted inactive (Burda et al., 2016, section 5.2).
ACTIVE_UNIT_THRESHOLD = 1e-2

# n_iter_no_change="auto" (see its docstring): enough epochs for
# PATIENCE_STEPS optimiser steps, within [MIN_PATIENCE, MAX_PATIENCE]. At
# most 40: one-batch tables (iris, wine) ran into max_iter with 80.
PATIENCE_STEPS = 80
MIN_PATIENCE = 10
MAX_PATIENCE = 40

# score_samples of a row whose bound overflows (a row so far from the
# training data that its likelihood is not representable). Finite, so that
# roc_auc_score and GridSearchCV accept it, and low enough to rank such rows
# below any computable score; a mean of fewer than ~1e8 of them stays finite.
SCORE_FLOOR = -1e300


@fill_doc
class VAETransformer(
    TableMixin,
    ClassNamePrefixFeaturesOutMixin,
    NeuralTrainingMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Variational autoencoder as a transformer: latent features, samples, scores.

    An encoder MLP maps each row to a diagonal Gaussian posterior
    ``q(z|x) = N(mu(x), diag sigma(x)^2)`` over ``n_components`` latent
    dimensions; a decoder MLP mirroring it maps ``z`` to the parameters of
    ``p(x|z)``: one likelihood per column (Gaussian for real values,
    standardised internally; Bernoulli for binary columns; continuous
    Bernoulli for values in [0, 1]; categorical softmax for categories).
    Both are trained jointly with Adam on
    the β-weighted evidence lower bound (ELBO), with reparameterised sampling,
    a closed-form KL term, optional linear KL warm-up and free bits.

    :meth:`transform` returns the posterior mean, :meth:`inverse_transform`
    decodes latent codes, :meth:`sample` generates new rows and
    :meth:`score_samples` returns each row's importance-weighted lower bound
    on ``log p(x)``, whose mean :meth:`score` lets model selection tools pick
    settings by held-out likelihood.

    Parameters
    ----------
    n_components : int, default=2
        Number of latent dimensions. More than ``n_features`` is accepted with
        a warning: a latent space wider than the data gains nothing (the KL
        term pushes the dimensions the decoder does not need to the prior,
        see ``active_units_``) and costs time.

    hidden_layer_sizes : array-like of int, default=(64,)
        Widths of the encoder's hidden layers; the decoder uses them in
        reverse order.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.

    {vae_decoder}

    categorical_features : "from_dtype", array-like of int, bool or str, \
            or None, default="from_dtype"
        Which columns are categorical, as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
        ``"from_dtype"`` takes the category, string and object columns of a
        pandas or polars DataFrame (a numpy array has none); or a boolean
        mask, integer indices or column names; None for none.

    decoder_variance : "learned" or float, default="learned"
        Gaussian columns: a learned variance per column (in standardised
        units, floored at 1e-3) or this fixed variance.

    beta : float, default=1.0
        Weight of the KL term (β-VAE); 1 is the ELBO.

    kl_warmup : int, default=0
        Number of epochs over which the KL weight grows linearly from
        ``beta / kl_warmup`` to ``beta``; 0 disables the warm-up.

    free_bits : float, default=0.0
        KL allowance per latent dimension, in nats: a dimension whose
        batch-mean KL is below it is not pushed further toward the prior
        (counters posterior collapse).

    n_mc_samples : int, default=16
        Importance samples per row of :meth:`score_samples` (the IWAE bound).

    alpha : float, default=1e-4
        L2 penalty on the weights, scaled as in
        :class:`~sklearn.neural_network.MLPRegressor`.

    {learning_rate_init}

    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.

    max_iter : int, default=1000
        Maximum number of epochs. Training usually stops earlier, when the
        loss stops improving by ``tol`` (on the digits, after 500 to 750
        epochs; on the penguins table, 350 to 700).

    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score) that
        resets the ``n_iter_no_change`` count.

    n_iter_no_change : int or "auto", default="auto"
        Epochs without improvement by ``tol`` before training stops.
        ``"auto"``: enough epochs for 80 optimiser steps, from 10 to 40
        (``min(40, max(10, ceil(80 / n_batches)))``): 10 from 1600 rows up
        with the automatic batch size, 40 up to 400 rows, where an epoch is
        one or two noisy steps and 10 of them stop training far from its
        plateau (see the user guide).

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when their mean
        importance-weighted bound stops improving, and keep the best weights.

    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``.

    shuffle : bool, default=True
        Shuffle the rows at every epoch.

    warm_start : bool, default=False
        Continue from the previous fit's weights (and standardisation). The
        parameters that shape the network (``n_components``,
        ``hidden_layer_sizes``, ``activation``, ``decoder``,
        ``decoder_variance``) must not change in between: a continued fit (or
        :meth:`partial_fit`) raises ValueError if they did.

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the reparameterisation noise
        and the fixed draws of :meth:`score_samples`. Pass an int for
        reproducible results.

    verbose : bool, default=False
        Print one line per epoch (loss, validation score, seconds).

    Attributes
    ----------
    {vae_table_attributes}

    {vae_fit_attributes}

    {vae_notes}

    See Also
    --------
    sklearn.decomposition.PCA : Linear latent features; probabilistic PCA is
        a VAE with linear maps.
    sklearn.decomposition.FactorAnalysis : Linear Gaussian latent model with a
        per-feature noise variance.
    sklearn.neural_network.BernoulliRBM : Another generative model of [0, 1]
        data with latent features.
    skmanifold_attn.AttentionPooling : Trainable pooling on the same numpy
        neural-network core.

    {vae_references}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import VAETransformer
    >>> X, _ = load_digits(return_X_y=True)
    >>> X = X[:300] / 16.0
    >>> vae = VAETransformer(n_components=4, decoder="bernoulli", max_iter=20,
    ...                      random_state=0)
    >>> Z = vae.fit_transform(X)
    >>> Z.shape
    (300, 4)
    >>> vae.inverse_transform(Z).shape
    (300, 64)
    >>> vae.sample(5, random_state=0).shape
    (5, 64)
    >>> bool(vae.score(X) < 0)
    True
    """

    _parameter_constraints = {
        **NeuralTrainingMixin._parameter_constraints,
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "decoder": [
            StrOptions(
                {
                    "auto",
                    "gaussian",
                    "gaussian_mixture",
                    "quantile_gaussian",
                    "bernoulli",
                    "continuous_bernoulli",
                }
            )
        ],
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "decoder_variance": [
            StrOptions({"learned"}),
            Interval(Real, 0, None, closed="neither"),
        ],
        "beta": [Interval(Real, 0, None, closed="left")],
        "kl_warmup": [Interval(Integral, 0, None, closed="left")],
        "free_bits": [Interval(Real, 0, None, closed="left")],
        "n_mc_samples": [Interval(Integral, 1, None, closed="left")],
        "n_iter_no_change": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
    }

    def __init__(
        self,
        *,
        n_components=2,
        hidden_layer_sizes=(64,),
        activation="relu",
        decoder="auto",
        categorical_features="from_dtype",
        decoder_variance="learned",
        beta=1.0,
        kl_warmup=0,
        free_bits=0.0,
        n_mc_samples=16,
        alpha=1e-4,
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=1000,
        tol=1e-4,
        n_iter_no_change="auto",
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.decoder = decoder
        self.categorical_features = categorical_features
        self.decoder_variance = decoder_variance
        self.beta = beta
        self.kl_warmup = kl_warmup
        self.free_bits = free_bits
        self.n_mc_samples = n_mc_samples
        self.alpha = alpha
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- fitting ----------------------------------------------------------

    def _patience(self, n_batches):
        if self.n_iter_no_change == "auto":
            steps = -(-PATIENCE_STEPS // n_batches)
            return min(MAX_PATIENCE, max(MIN_PATIENCE, steps))
        return self.n_iter_no_change

    def _init_model(self, X, y, rng):
        # Fixed draws of score_samples, from their own stream so that
        # n_mc_samples does not change the training trajectory.
        noise_seed = rng.randint(np.iinfo(np.int32).max)
        noise = np.random.RandomState(noise_seed).standard_normal(
            (self.n_mc_samples, self.n_components)
        )
        model = VAENetwork(
            X.shape[1],
            self.n_components,
            check_hidden_sizes(self.hidden_layer_sizes),
            activation=self.activation,
            decoder=self.decoder,
            decoder_variance=self.decoder_variance,
            rng=rng,
            dtype=X.dtype,
            score_noise=noise.astype(X.dtype),
            likelihood=self._new_likelihood,
        )
        return self._configure(model)

    def _configure(self, model):
        # Applied before every fit, so that set_params(beta=...) followed by a
        # warm-started fit or partial_fit takes effect.
        model.beta = float(self.beta)
        model.kl_warmup = int(self.kl_warmup)
        model.free_bits = float(self.free_bits)
        return model

    def _train_vae(self, X, incremental):
        first = self._is_first_pass(incremental)
        X_enc = self._encode_input(X, first)
        if first:
            warn_if_wider_than_data(self.n_components, X_enc.shape[1])
            labels = self._labels() or [str(j) for j in range(X_enc.shape[1])]
            self._new_likelihood = make_likelihood(
                X_enc,
                self._schema,
                self.decoder,
                self.decoder_variance,
                X_enc.dtype,
                labels,
            )
            likelihood, dtype = self._new_likelihood, X_enc.dtype
        else:
            check_architecture(self._model.architecture, self.get_params())
            check_continued_features(X_enc, self._model.n_features)
            self._configure(self._model)
            likelihood, dtype = self._model.likelihood, self._model.dtype
            likelihood.check(X_enc, self.decoder)
        X_model = likelihood.to_model(X_enc, dtype)
        X_train = X_model  # grid columns train dequantised, see TableLikelihood
        if likelihood.has_grid:
            rng = check_random_state(self.random_state)
            X_train = likelihood.to_model(likelihood.dequantise(X_enc, rng), dtype)
        try:
            self._train(X_train, None, incremental=incremental)
        finally:
            self.__dict__.pop("_new_likelihood", None)

        model = self._model
        self.mean_ = likelihood.loc.astype(dtype)
        self.scale_ = likelihood.scale.astype(dtype)
        self.column_types_ = np.array(likelihood.kinds, dtype=object)
        mean, log_var = model.encode(X_model)
        # The aggregate posterior of these rows, where sample draws codes.
        self._posterior = (mean.copy(), log_var.copy())
        # What sample's marginal calibration matches: these rows' quantiles
        # now, the sampler's own on the first call to sample (a fixed seed).
        self._calibration_targets = calibration_targets(likelihood, X_enc)
        self._calibration_seed = int(self._rng.randint(np.iinfo(np.int32).max))
        self._calibrations = {}
        mean, log_var = mean.astype(np.float64), log_var.astype(np.float64)
        self.kl_per_dim_ = kl_standard_normal(mean, log_var)[0].mean(axis=0)
        variance = np.var(mean, axis=0)
        self.active_units_ = np.flatnonzero(variance > ACTIVE_UNIT_THRESHOLD)
        self.decoder_variance_ = self._variance_in_original_units()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
        """Train the VAE on ``X``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows; NaN (or None, ``pd.NA``) marks missing cells.
        y : None
            Ignored.

        Returns
        -------
        self : VAETransformer
            The fitted estimator.
        """
        return self._train_vae(X, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
        """Train for one epoch on ``X``, starting a model on the first call.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training rows. The first call fixes the column types, categories
            and standardisation.
        y : None
            Ignored.

        Returns
        -------
        self : VAETransformer
            The updated estimator.
        """
        return self._train_vae(X, incremental=True)

    # -- using the fitted model -------------------------------------------

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Posterior mean of the latent code of each row.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to encode; missing cells (NaN) are left out of the encoder's
            input, and a category unseen at fit counts as missing.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            ``E[z | x]``, deterministic and computed row by row (in chunks of
            rows, so memory does not grow with the hidden layers' widths).
        """
        X_model = self._to_model_units(X)
        model = self._model
        return model.map_rows(
            lambda rows: model.encode(rows)[0], X_model, model.n_components
        )

    def inverse_transform(self, X: ArrayLike) -> np.ndarray | DataFrame:
        """Decode latent codes to rows of the fitted kind of table.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Latent codes.

        Returns
        -------
        X_original : ndarray or DataFrame of shape (n_samples, n_features)
            Mean of ``p(x | z)`` per column in the original units
            (probabilities for the Bernoulli decoder, the most probable
            category for a categorical column), decoded in chunks of rows; a
            DataFrame of the fitted columns and dtypes when ``fit`` saw one.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32])
        check_latent_width(Z, self._model.n_components, type(self).__name__)
        model = self._model
        X_model = model.map_rows(
            lambda rows: model.decode_mean(rows.astype(model.dtype, copy=False)),
            Z,
            model.n_features,
        )
        return self._from_model_units(X_model)

    def sample(
        self,
        n_samples: int = 1,
        random_state: int | np.random.RandomState | None = None,
        conditions: dict | None = None,
        latent: str = "aggregate_posterior",
        calibrate: bool = True,
    ) -> np.ndarray | DataFrame:
        """Generate new rows: a latent code ``z``, then ``x ~ p(x | z)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to generate.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws; pass an int for reproducible samples.
        conditions : dict or None, default=None
            ``{column: value}``: draw from ``p(x | column = value, ...)``.
            Columns are named as in ``feature_names_in_`` (or by int index).
            A categorical column takes a category seen at fit, a binary
            column one of its two values, a numeric column any finite number
            (imposed exactly). Latent codes by importance resampling, one
            pass (see Notes).
        latent : {"aggregate_posterior", "prior"}, default="aggregate_posterior"
            Where unconditional codes come from. ``"aggregate_posterior"``:
            ``z ~ q(z | x_i)`` for a training row ``x_i`` drawn at random (the
            rows of the last ``fit`` or ``partial_fit`` call), the mixture the
            decoder was trained on; it draws no codes from the regions of the
            prior that no training row's posterior reaches, and its samples'
            marginals are closer to the data's (on the penguins table, the
            categorical columns' total variation distance 0.009 against
            0.052 with the prior). ``"prior"``: ``z ~ N(0, I)``, the
            generative model itself.
            Unused with ``conditions`` (their proposals come from the prior).
        calibrate : bool, default=True
            Map each real-valued column's draws monotonically onto the
            training column's distribution (quantile matching from this
            ``latent``'s own marginal, estimated on the first call after
            fit from a fixed seed: about half a second on the penguins
            table): the data's marginals, the dependence the model learned
            (see Notes). Binary and categorical columns, draws with
            ``conditions``, and the other methods are not calibrated.
            ``False`` draws from the model alone.

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, n_features)
            Generated rows in the original units and of the fitted kind of
            table (a DataFrame with the same columns, dtypes and categories
            when ``fit`` saw one; 0/1 values for the Bernoulli decoder,
            grey levels for the continuous Bernoulli).
        """
        check_is_fitted(self)
        check_n_samples(n_samples, type(self).__name__)
        rng = check_random_state(random_state)
        if not isinstance(calibrate, (bool, np.bool_)):
            raise TypeError(f"calibrate must be a bool, got {calibrate!r}.")
        return self._sample_table(n_samples, rng, conditions, latent, bool(calibrate))

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Importance-weighted lower bound on ``log p(x)`` of each row.

        The bound (IWAE, ``n_mc_samples`` draws) uses standard-normal draws
        fixed at fit time and shared by every row, so a row's score is
        deterministic and does not depend on the other rows. It is a density
        in the original units of the numeric columns (a probability for the
        binary and categorical ones). Of an incomplete row it bounds the
        likelihood of the observed cells, ``log p(x_observed)``; a category
        unseen at fit counts as missing. A row so far from the training data
        that its bound overflows gets ``-1e300``, below any computable score
        (never NaN or ``-inf``, so that :func:`~sklearn.metrics.roc_auc_score`
        and model selection accept it).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to score.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            Log-likelihood bounds (higher is more typical of the training data).
        """
        return np.fmax(self._bounds(X)[0], SCORE_FLOOR)

    def _elbo(self, X):
        """ELBO estimate of each row with the fixed draws (beta = 1)."""
        return self._bounds(X)[1]

    def score(self, X: ArrayLike, y: ArrayLike | None = None) -> float:
        """Mean importance-weighted log-likelihood bound of the rows.

        Independent of ``beta``, so :class:`~sklearn.model_selection.GridSearchCV`
        with ``scoring=None`` selects settings by held-out likelihood.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows to score.
        y : None
            Ignored.

        Returns
        -------
        score : float
            Mean of :meth:`score_samples`.
        """
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self):
        # The fitted network's latent width: set_params(n_components=...)
        # changes nothing until the next fit.
        return self._model.n_components

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags
