"""VAEImputer: missing numeric and categorical cells filled from a VAE."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.impute import MissingIndicator
from sklearn.utils._param_validation import Interval, MissingValues, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._docstrings import fill_doc
from .._nn._layers import ACTIVATIONS
from .._nn._training import NeuralTrainingMixin
from .._table import (
    CATEGORICAL_FEATURES_CONSTRAINT,
    decode_table,
    fit_table,
    transform_table,
)
from ._docs import VAE_DOC_PIECES  # noqa: F401 (registers the pieces)
from ._impute import impute
from ._model import VAENetwork
from ._table_likelihood import build_likelihood
from ._tabular import column_types
from ._validation import check_hidden_sizes

if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from typing_extensions import Self


def _column_types(X_enc, categorical):
    """VAETransformer's ``decoder="auto"`` types, numeric columns Gaussian.

    A Gaussian in the column's own (standardised) units, not on a quantile
    map: the weighted mean of its decoder means is the conditional mean of
    the cell, the fill of least expected squared error, where the mean of a
    quantile map's normal scores mapped back is not (on penguins it fills
    with a 6% larger error).
    """
    return [
        "gaussian" if kind == "quantile_gaussian" else kind
        for kind in column_types(X_enc, categorical, "auto")
    ]


def _is_nan(value):
    return isinstance(value, float) and np.isnan(value)


@fill_doc
class VAEImputer(NeuralTrainingMixin, TransformerMixin, BaseEstimator):
    """Impute missing numeric and categorical cells with a variational autoencoder.

    A VAE is trained on the incomplete rows, each missing cell left out of
    the likelihood and fed to the encoder as zero (numeric columns are
    standardised, categorical ones one-hot; MIWAE, [1]_) along with one
    missing-cell indicator per column. A categorical column has a softmax
    over its categories, a numeric column of exactly two distinct values a
    Bernoulli likelihood over them (as :class:`VAETransformer`'s
    ``decoder="auto"`` rule), any other numeric column a Gaussian with a
    learned variance in its standardised units. A missing cell is then filled
    with its importance-weighted conditional expectation given the row's
    observed cells: ``n_draws`` latent codes from the encoder's posterior,
    weighted by ``p(x_obs | z) p(z) / q(z | x_obs)``; a Gaussian cell gets
    the weighted mean of the decoder's means, a categorical or binary cell
    the value of highest weighted probability.

    Parameters
    ----------
    missing_values : int, float, str, np.nan, None or pandas.NA, default=np.nan
        The placeholder for missing values. NaN, None and ``pandas.NA`` always
        count as missing; another value is missing wherever it occurs.

    categorical_features : "from_dtype", array-like of bool, int or str, or \
            None, default="from_dtype"
        Which columns are categorical, as
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier` selects
        them: ``"from_dtype"`` takes the category, string and object columns
        of a DataFrame (a numpy array then has none); a boolean mask, indices
        or column names select them; None makes every column numeric.

    add_indicator : bool, default=False
        Append :class:`~sklearn.impute.MissingIndicator` columns (one per
        column that had missing values at fit) to the output.

    keep_empty_features : bool, default=False
        Keep the columns that have no observed value at fit in the output
        (numeric ones filled with 0, categorical ones left missing); by
        default they are dropped, as :class:`~sklearn.impute.KNNImputer`
        drops them.

    n_components : int, default=2
        Number of latent dimensions.

    hidden_layer_sizes : array-like of int, default=(128, 128)
        Widths of the encoder's hidden layers; the decoder uses them in
        reverse order.

    activation : {"relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.

    beta : float, default=1.0
        Weight of the KL term of the training loss; 1 is the ELBO.

    n_draws : int, default=100
        Importance samples per row when imputing.

    alpha : float, default=1e-4
        L2 penalty on the weights, scaled as in
        :class:`~sklearn.neural_network.MLPRegressor`.

    {learning_rate_init}

    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(32, n_samples)`` (small batches:
        tables with holes are often small, and more updates per epoch train
        the model better on them).

    max_iter : int, default=500
        Maximum number of epochs.

    tol : float, default=1e-4
        Minimum improvement of the training loss (or validation score) that
        resets the ``n_iter_no_change`` count.

    n_iter_no_change : int, default=20
        Epochs without improvement by ``tol`` before training stops.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when their mean
        importance-weighted bound stops improving, and keep the best weights.

    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``.

    shuffle : bool, default=True
        Shuffle the rows at every epoch.

    warm_start : bool, default=False
        Continue from the previous fit's network and column encodings (the
        columns and the parameters that shape the network must not change).

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the training noise and the
        fixed importance draws. Pass an int for reproducible results.

    verbose : bool, default=False
        Print one line per epoch.

    Attributes
    ----------
    categorical_ : ndarray of bool of shape (`n_features_in_`,)
        Which input columns are categorical.

    categories_ : list of (ndarray or None)
        The categories of each categorical column (None for numeric ones).

    valid_features_ : ndarray of int
        Indices of the columns with at least one observed value at fit: the
        columns the VAE models.

    indicator_ : MissingIndicator or None
        The indicator of ``add_indicator`` (None otherwise).

    loss_curve_ : list of float
        Training loss (negative ELBO of the observed cells plus L2 penalty)
        per epoch.

    validation_scores_ : list of float or None
        Held-out mean importance-weighted bound per epoch, with
        ``early_stopping``.

    {vae_training_attributes}

    See Also
    --------
    sklearn.impute.IterativeImputer : Round-robin regression of each column
        on the others.
    sklearn.impute.KNNImputer : Means of the nearest complete neighbours.
    sklearn.impute.SimpleImputer : Column means or most frequent values.
    skmanifold_attn.VAETransformer : The VAE as a transformer (latent
        features, samples, likelihoods).

    Notes
    -----
    Output: a numeric table gives a float ndarray, as scikit-learn's imputers
    do. A table with categorical columns comes back in the kind of container
    it was fitted on (a pandas or polars DataFrame with the same columns,
    dtypes and categories; an object ndarray for a numpy array), missing
    categories filled with categories seen at fit.

    A category unseen at fit carries no information the model can use: it
    counts as missing and is imputed like a missing cell.

    References
    ----------
    .. [1] P.-A. Mattei and J. Frellsen, "MIWAE: Deep Generative Modelling
       and Imputation of Incomplete Data Sets", ICML 2019.
    .. [2] A. Nazábal, P. M. Olmos, Z. Ghahramani and I. Valera, "Handling
       Incomplete Heterogeneous Data using VAEs", Pattern Recognition 2020.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn import VAEImputer
    >>> rng = np.random.RandomState(0)
    >>> z = rng.normal(size=(200, 1))
    >>> X = np.hstack([z, 2 * z, -z]) + 0.1 * rng.normal(size=(200, 3))
    >>> X[::4, 1] = np.nan
    >>> imputer = VAEImputer(n_components=1, max_iter=300, random_state=0)
    >>> X_filled = imputer.fit_transform(X)
    >>> bool(np.isnan(X_filled).any())
    False
    >>> X_filled.shape
    (200, 3)
    >>> error = np.abs(X_filled[::4, 1] - 2 * z[::4, 0]).mean()
    >>> bool(error < 0.5)  # the column's mean absolute value is about 1.6
    True
    """

    _parameter_constraints = {
        **NeuralTrainingMixin._parameter_constraints,
        "missing_values": [MissingValues()],
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [
            "array-like",
            Interval(Integral, 1, None, closed="left"),
        ],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "beta": [Interval(Real, 0, None, closed="left")],
        "n_draws": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        categorical_features="from_dtype",
        add_indicator=False,
        keep_empty_features=False,
        n_components=2,
        hidden_layer_sizes=(128, 128),
        activation="relu",
        beta=1.0,
        n_draws=100,
        alpha=1e-4,
        learning_rate_init=1e-3,
        batch_size="auto",
        max_iter=500,
        tol=1e-4,
        n_iter_no_change=20,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.missing_values = missing_values
        self.categorical_features = categorical_features
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.beta = beta
        self.n_draws = n_draws
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

    # -- input ------------------------------------------------------------

    def _placeholder_to_nan(self, X):
        """``X`` with the ``missing_values`` cells as NaN (a copy if any)."""
        value = self.missing_values
        if value is None or _is_nan(value) or type(value).__name__ == "NAType":
            return X
        if hasattr(X, "iloc"):  # pandas
            return X.mask(X == value)
        if hasattr(X, "get_column"):  # polars
            import polars as pl

            return X.with_columns(
                pl.when(pl.col(name) == value)
                .then(None)
                .otherwise(pl.col(name))
                .alias(name)
                for name in X.columns
                if X.schema[name].is_numeric() == isinstance(value, Real)
            )
        array = np.asarray(X)
        if array.dtype.kind in "fiu":
            array = array.astype(np.float64)
            array[array == value] = np.nan
            return array
        array = array.astype(object)
        array[array == value] = np.nan
        return array

    # -- fitting ----------------------------------------------------------

    # Small batches: more updates per epoch on the small tables with holes
    # that imputation usually meets (see the docstring).
    _auto_batch = {"cap": 32, "min_steps": 1, "floor": 1}

    def _init_model(self, X, y, rng):
        noise_seed = rng.randint(np.iinfo(np.int32).max)
        self._noise = np.random.RandomState(noise_seed).standard_normal(
            (self.n_draws, self.n_components)
        )
        model = VAENetwork(
            X.shape[1],
            self.n_components,
            check_hidden_sizes(self.hidden_layer_sizes),
            activation=self.activation,
            decoder="gaussian",
            decoder_variance="learned",
            rng=rng,
            dtype=X.dtype,
            score_noise=self._noise[:16].astype(X.dtype),
            likelihood=self._likelihood,
        )
        model.beta = model.kl_weight = float(self.beta)
        return model

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
        """Train the VAE on the incomplete rows of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with missing cells (``missing_values``).
        y : None
            Ignored.

        Returns
        -------
        self : VAEImputer
            The fitted imputer.
        """
        continued = self.warm_start and hasattr(self, "_model")
        if continued:
            X_enc = self._encode(X)
        else:
            X_enc, schema = fit_table(
                self,
                self._placeholder_to_nan(X),
                self.categorical_features,
                dtype=np.float64,
                ensure_min_samples=2,
            )
            self._schema = schema
            self.categorical_ = schema.categorical.copy()
            self.categories_ = list(schema.categories)
        missing = np.isnan(X_enc)
        if not continued:
            self.valid_features_ = np.flatnonzero(~missing.all(axis=0))
            if self.valid_features_.size == 0:
                raise ValueError(
                    "VAEImputer needs at least one column with an observed "
                    "value; every column of X is entirely missing."
                )
            X_valid = X_enc[:, self.valid_features_]
            self._likelihood = build_likelihood(
                _column_types(X_valid, self.categorical_[self.valid_features_]),
                np.float64,
                n_categories=self._schema.n_categories[self.valid_features_],
                two_values=True,
                missing_indicators=True,
            ).fit(X_valid)
            self.indicator_ = (
                MissingIndicator(error_on_new=False).fit(X_enc)
                if self.add_indicator
                else None
            )
        else:
            self._check_architecture()
        X_model = self._likelihood.to_model(X_enc[:, self.valid_features_], np.float64)
        self._train(X_model, None, incremental=False)
        return self

    def _check_architecture(self):
        built = self._model.architecture
        current = {
            "n_components": self.n_components,
            "hidden_layer_sizes": tuple(check_hidden_sizes(self.hidden_layer_sizes)),
            "activation": self.activation,
        }
        changed = [name for name in current if current[name] != built[name]]
        if changed:
            raise ValueError(
                "warm_start=True continues the fitted network, but parameters "
                f"that define it changed since it was built ({', '.join(changed)}). "
                "Restore them, or set warm_start=False to train a new network."
            )

    # -- imputing ---------------------------------------------------------

    def _encode(self, X):
        return transform_table(
            self, self._schema, self._placeholder_to_nan(X), dtype=np.float64
        )

    def transform(self, X: ArrayLike) -> ArrayLike:
        """Fill the missing cells of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows with missing cells, with the columns seen at fit.

        Returns
        -------
        X_imputed : ndarray or DataFrame of shape (n_samples, n_features_out)
            ``X`` with every missing cell of a modelled column filled (see
            Notes for the container), then the indicator columns with
            ``add_indicator``. Observed cells are returned unchanged. Rows
            are imputed independently of each other, in chunks.
        """
        check_is_fitted(self)
        # A copy: validation may hand back X itself, which is never modified.
        X_enc = np.array(self._encode(X), dtype=np.float64, copy=True)
        missing = np.isnan(X_enc)
        valid = self.valid_features_
        X_valid = X_enc[:, valid]
        X_model = self._likelihood.to_model(X_valid, np.float64)
        holes = np.isnan(X_model)
        if holes.any():
            filled = impute(self._model, X_model, self._noise)
            filled = self._likelihood.to_data(filled)
            X_valid = np.where(holes, filled, X_valid)
        X_enc[:, valid] = X_valid
        kept = self._kept_features()
        empty = np.setdiff1d(kept, valid)
        numeric_empty = empty[~self.categorical_[empty]]
        X_enc[:, numeric_empty] = 0.0
        if self._schema.has_categorical:
            out = self._select(decode_table(self._schema, X_enc), kept)
        else:
            out = X_enc[:, kept]
        if self.indicator_ is None:
            return out
        return self._append_indicator(
            out, self.indicator_.transform(np.where(missing, np.nan, 0.0))
        )

    def _kept_features(self):
        if self.keep_empty_features:
            return np.arange(self.n_features_in_)
        return self.valid_features_

    def _select(self, table, kept):
        if len(kept) == self.n_features_in_:
            return table
        if self._schema.library == "pandas":
            return table.iloc[:, kept]
        if self._schema.library == "polars":
            return table.select([table.columns[j] for j in kept])
        return table[:, kept]

    def _append_indicator(self, out, indicator):
        names = self.indicator_.get_feature_names_out(self._input_names())
        if self._schema.library == "pandas" and hasattr(out, "iloc"):
            import pandas as pd

            extra = pd.DataFrame(indicator, columns=names, index=out.index)
            return pd.concat([out, extra], axis=1)
        if self._schema.library == "polars" and hasattr(out, "get_column"):
            import polars as pl

            return pl.concat(
                [out, pl.DataFrame(indicator, schema=list(names))], how="horizontal"
            )
        if out.dtype == object:
            return np.hstack([out, indicator.astype(object)])
        return np.hstack([out, indicator.astype(out.dtype)])

    def _input_names(self):
        names = getattr(self, "feature_names_in_", None)
        if names is None:
            names = np.asarray([f"x{j}" for j in range(self.n_features_in_)], object)
        return names

    def get_feature_names_out(
        self, input_features: ArrayLike | None = None
    ) -> np.ndarray:
        """Names of the output columns.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; ``feature_names_in_`` (or ``x0, x1, ...``)
            when None.

        Returns
        -------
        feature_names_out : ndarray of str objects
            The kept input columns, then the indicator columns
            (``missingindicator_<name>``) with ``add_indicator``.
        """
        check_is_fitted(self, "n_features_in_")
        from sklearn.utils.validation import _check_feature_names_in

        names = _check_feature_names_in(self, input_features)
        out = names[self._kept_features()]
        if self.indicator_ is None:
            return out
        extra = self.indicator_.get_feature_names_out(names)
        return np.concatenate([out, extra])

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.categorical = True
        tags.non_deterministic = False
        return tags
