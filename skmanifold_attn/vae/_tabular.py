"""Tables for the VAE: column types, conditions, conditional draws, imputation.

Rows here are the table seam's encoded matrices (:mod:`skmanifold_attn._table`:
numeric values, category codes, NaN where missing) or the model units of
:class:`~skmanifold_attn.vae._table_likelihood.TableLikelihood`.
"""

import warnings
from numbers import Integral, Real

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_random_state
from sklearn.utils._set_output import _get_output_config
from sklearn.utils.validation import check_is_fitted

from .._table import decode_table, fit_table, transform_table
from ._calibration import MarginalCalibration, n_calibration_draws
from ._impute import impute
from ._likelihoods import Bernoulli, Categorical
from ._table_likelihood import build_likelihood

# Conditional sampling draws this many latent proposals per requested row
# (and at least MIN_PROPOSALS), weighs them by p(conditions | z) and
# resamples: one pass, no rejection loop.
PROPOSALS_PER_ROW = 20
MIN_PROPOSALS = 4096

# Rows decoded at a time to estimate the sampler's marginals (bounds the
# memory of the decoder's outputs).
CALIBRATION_CHUNK = 8192

# Below this effective sample size of the weighted proposals, conditional
# samples rest on few latent codes: sample warns.
MIN_EFFECTIVE_SAMPLE_SIZE = 50


def column_types(X_enc, categorical, decoder):
    """One column type name per column by the documented rule.

    Categorical columns (from the seam) are ``"categorical"``. Numeric
    columns follow ``decoder``: ``"auto"`` makes a column with exactly two
    distinct observed values ``"bernoulli"``, one with more
    ``"quantile_gaussian"`` and a constant one ``"gaussian"``;
    the other values of ``decoder`` name the numeric columns' type.
    """
    kinds = []
    for j in range(X_enc.shape[1]):
        if categorical[j]:
            kinds.append("categorical")
        elif decoder == "auto":
            values = X_enc[:, j]
            distinct = np.unique(values[~np.isnan(values)])
            if distinct.size == 2:
                kinds.append("bernoulli")
            elif distinct.size > 2:
                kinds.append("quantile_gaussian")
            else:
                kinds.append("gaussian")
        else:
            kinds.append(decoder)
    return kinds


def make_likelihood(X_enc, schema, decoder, decoder_variance, dtype, labels):
    """The fitted :class:`TableLikelihood` of a training table.

    Raises a ValueError for a column without any observed value (its
    likelihood could not be learned: drop the column).
    """
    empty = np.flatnonzero(np.isnan(X_enc).all(axis=0))
    if empty.size:
        names = [labels[j] for j in empty]
        raise ValueError(
            f"Columns {names} have no observed value: the VAE cannot model a "
            "column it never sees. Drop them (or impute them) before fitting."
        )
    categorical = (
        np.zeros(X_enc.shape[1], bool) if schema is None else schema.categorical
    )
    n_categories = None if schema is None else schema.n_categories
    likelihood = build_likelihood(
        column_types(X_enc, categorical, decoder),
        dtype,
        n_categories=n_categories,
        variance=decoder_variance,
        two_values=decoder == "auto",
        missing_indicators=bool(np.isnan(X_enc).any()),
    )
    likelihood.check(X_enc, decoder)
    return likelihood.fit(X_enc)


def parse_conditions(conditions, likelihood, schema, labels):
    """Column indices and encoded values of ``sample``'s ``conditions``.

    Parameters
    ----------
    conditions : dict
        ``{column: value}``; a column is a feature name (fitted on a
        DataFrame) or an int index.
    likelihood : TableLikelihood
        The fitted likelihood (its blocks say each column's type).
    schema : TableSchema or None
        The seam's schema (categories of categorical columns).
    labels : list of str
        Column names, or None without feature names.

    Returns
    -------
    columns : ndarray of int
    values : ndarray of float64
        Encoded values (category codes for categorical columns).
    """
    if not isinstance(conditions, dict) or not conditions:
        raise TypeError(
            "conditions must be a non-empty dict {column: value}, got "
            f"{conditions!r}."
        )
    n_features = likelihood.n_features
    block_of = {}
    for block in likelihood.blocks:
        for column in block.columns:
            block_of[int(column)] = block
    columns, values = [], []
    for key, value in conditions.items():
        j = _column_index(key, labels, n_features)
        if j in columns:
            raise ValueError(f"conditions name column {key!r} twice.")
        columns.append(j)
        values.append(_encoded_value(key, value, block_of[j], schema, j))
    return np.array(columns, dtype=np.intp), np.array(values, dtype=np.float64)


def _column_index(key, labels, n_features):
    if isinstance(key, str) and labels is not None and key in labels:
        return labels.index(key)
    if (
        isinstance(key, Integral)
        and not isinstance(key, (bool, np.bool_))
        and -n_features <= key < n_features
    ):
        return int(key) % n_features
    known = labels if labels is not None else f"indices 0..{n_features - 1}"
    raise ValueError(
        f"conditions name column {key!r}, which the estimator was not fitted "
        f"on; known columns: {known}."
    )


def _encoded_value(key, value, block, schema, j):
    if isinstance(block, Categorical):
        categories = schema.categories[j]
        matches = [i for i, c in enumerate(categories) if _same(c, value)]
        if not matches:
            shown = list(categories[:20]) + (["..."] if len(categories) > 20 else [])
            raise ValueError(
                f"conditions[{key!r}] = {value!r} is not a category seen at fit; "
                f"the categories are {shown}."
            )
        return float(matches[0])
    if not isinstance(value, (Real, np.bool_)) or not np.isfinite(value):
        raise ValueError(
            f"conditions[{key!r}] must be a finite number (column {key!r} is "
            f"numeric), got {value!r}."
        )
    value = float(value)
    if isinstance(block, Bernoulli) and block.two_values:
        position = list(block.columns).index(j)
        low = float(block.loc[position])
        high = low + float(block.scale[position])
        if value not in (low, high):
            raise ValueError(
                f"conditions[{key!r}] = {value!r}, but column {key!r} is binary "
                f"with values {low:g} and {high:g}."
            )
    elif block.name in ("bernoulli", "continuous_bernoulli") and not 0 <= value <= 1:
        raise ValueError(
            f"conditions[{key!r}] = {value!r} is outside [0, 1], the range of "
            f"column {key!r}."
        )
    return value


def _same(category, value):
    if isinstance(value, (bool, np.bool_)) != isinstance(category, (bool, np.bool_)):
        return False
    try:
        return bool(category == value)
    except (TypeError, ValueError):
        return False


def conditional_latents(model, X_condition, n_samples, rng):
    """Latent codes drawn from ``p(z | conditions)`` by importance resampling.

    ``z_m ~ N(0, I)`` for ``M = max(MIN_PROPOSALS, PROPOSALS_PER_ROW *
    n_samples)`` proposals, weighted by ``p(conditions | z_m)`` (the decoder's
    likelihood of the conditioned cells alone), then ``n_samples`` of them
    resampled with probability proportional to the weights.

    Parameters
    ----------
    model : VAENetwork
    X_condition : ndarray of shape (1, n_features)
        Model units, the conditioned cells set and NaN elsewhere.
    n_samples : int
    rng : numpy.random.RandomState

    Returns
    -------
    Z : ndarray of shape (n_samples, n_components)
    effective_sample_size : float
        ``(sum w)^2 / sum w^2`` of the proposals' weights.
    """
    n_proposals = max(MIN_PROPOSALS, PROPOSALS_PER_ROW * n_samples)
    Z = rng.standard_normal((n_proposals, model.n_components)).astype(model.dtype)

    def log_weight(rows):
        X = np.broadcast_to(X_condition, (rows.shape[0], X_condition.shape[1]))
        return model.log_likelihood(np.ascontiguousarray(X), rows)[:, None]

    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        log_w = model.map_rows(log_weight, Z, 1)[:, 0].astype(np.float64)
    log_w[np.isnan(log_w)] = -np.inf
    if not np.isfinite(log_w).any():
        raise ValueError(
            "The model gives the conditions no probability at any of "
            f"{n_proposals} latent draws; they are too improbable to sample."
        )
    w = np.exp(log_w - logsumexp(log_w))
    ess = float(1.0 / np.sum(w * w))
    if ess < MIN_EFFECTIVE_SAMPLE_SIZE:
        warnings.warn(
            f"The conditions are improbable under the model: the {n_proposals} "
            f"latent proposals have an effective sample size of {ess:.1f} "
            f"(below {MIN_EFFECTIVE_SAMPLE_SIZE}), so the conditional samples "
            "rest on few latent codes and may be poor.",
            UserWarning,
            stacklevel=3,
        )
    chosen = rng.choice(n_proposals, size=n_samples, p=w)
    return Z[chosen], ess


def importance_impute(model, X_model, n_draws, rng):
    """Fill the missing cells of model-unit rows by importance weighting.

    For each row, ``n_draws`` codes ``z_k ~ q(z | x_observed)`` get the
    self-normalised weights ``w_k`` of ``p(x_observed | z_k) p(z_k) /
    q(z_k | x_observed)`` (MIWAE, Mattei & Frellsen, 2019). A missing numeric
    cell becomes ``sum_k w_k E[x | z_k]``; a missing categorical or binary
    cell the value of highest ``sum_k w_k p(x | z_k)``. The standard-normal
    draws come from ``rng`` once and serve every row (see
    :func:`._impute.impute`).

    Returns a copy of ``X_model`` (model units) with no NaN.
    """
    noise = rng.standard_normal((n_draws, model.n_components))
    return impute(model, X_model, noise.astype(model.dtype))


def _float32_table(schema):
    """Whether a table with categorical columns has only float32 numeric ones."""
    if schema is None or not schema.has_categorical:
        return False
    numeric = [
        dtype
        for dtype, cats in zip(schema.dtypes, schema.categories, strict=True)
        if cats is None
    ]
    return bool(numeric) and all(_is_float32(dtype) for dtype in numeric)


def _is_float32(dtype):
    # numpy and pandas dtypes convert to numpy's; polars' (and pandas'
    # nullable Float32) name themselves "Float32".
    try:
        return np.dtype(dtype) == np.float32
    except TypeError:
        return str(dtype) == "Float32"


class TableMixin:
    """The VAE estimator's way between tables and the model's units.

    Needs ``_model`` (a fitted :class:`VAENetwork`), ``_schema`` (the table
    seam's schema), ``categorical_features`` and ``decoder``. The methods
    :meth:`_to_model_units`, :meth:`_from_model_units` and
    :meth:`_impute_model_units` are the private API of imputers built on the
    fitted VAE.
    """

    def _labels(self):
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else [str(name) for name in names]

    def _encode_input(self, X, first):
        """The seam's encoded matrix of ``X`` (a new schema when ``first``).

        A table with categorical columns computes in float32 when every
        numeric column is float32 (category codes are exact in float32), as
        a float32 array does; otherwise in float64.
        """
        if first:
            X_enc, self._schema = fit_table(
                self,
                X,
                self.categorical_features,
                dtype=[np.float64, np.float32],
                ensure_min_samples=2,
            )
            if _float32_table(self._schema):
                X_enc = X_enc.astype(np.float32)
            return X_enc
        X_enc = transform_table(self, self._schema, X, dtype=[np.float64, np.float32])
        if _float32_table(self._schema):
            X_enc = X_enc.astype(np.float32)
        return X_enc

    def _variance_in_original_units(self):
        gaussian = self._model._gaussian
        if gaussian is None:
            return None
        out = np.full(self._model.n_features, np.nan)
        scale = gaussian.scale.astype(np.float64)
        with np.errstate(over="ignore", under="ignore"):
            out[gaussian.columns] = gaussian.variance().astype(np.float64) * scale**2
        return out

    def _to_model_units(self, X):
        """Rows of a table in model units, NaN where missing (private API).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Rows like the training rows (checked as ``transform`` checks
            them); a category unseen at fit counts as missing.

        Returns
        -------
        X_model : ndarray of shape (n_samples, n_features)
            In the model's dtype: Gaussian columns standardised, binary
            columns mapped to {0, 1}, categorical columns as codes, NaN in
            missing cells. The input of ``_model.encode``,
            ``_model.log_weights`` and :meth:`_impute_model_units`.
        """
        check_is_fitted(self)
        X_enc = self._encode_input(X, first=False)
        likelihood = self._model.likelihood
        likelihood.check(X_enc, self.decoder)
        return likelihood.to_model(X_enc, self._model.dtype)

    def _from_model_units(self, X_model):
        """Model-unit rows back to a table of the fitted kind (private API).

        Parameters
        ----------
        X_model : ndarray of shape (n_samples, n_features)
            Model units (overwritten).

        Returns
        -------
        X : ndarray or DataFrame
            Of the kind ``fit`` saw (pandas or polars DataFrame with the same
            columns, dtypes and categories; an ndarray otherwise), unless
            ``set_output`` asks for pandas or polars.
        """
        return self._from_data_units(self._model.likelihood.to_data(X_model))

    def _from_data_units(self, X_data):
        """The seam's encoded rows as a table of the fitted kind."""
        out = decode_table(self._schema, X_data)
        if isinstance(out, np.ndarray) and out.dtype != object:
            out = out.astype(self._model.dtype, copy=False)
        return _as_output(out, _get_output_config("transform", self)["dense"], self)

    def _impute_model_units(self, X_model, n_draws=100, random_state=None):
        """Fill missing cells by importance-weighted draws (private API).

        For each incomplete row, ``n_draws`` codes from ``q(z | x_observed)``
        are weighted by ``p(x_observed | z) p(z) / q(z | x_observed)``
        (MIWAE); a missing numeric cell gets the weighted mean of the
        decoder means, a missing categorical or binary cell the value of
        highest weighted probability.

        Parameters
        ----------
        X_model : ndarray of shape (n_samples, n_features)
            Model units with NaN where missing (see :meth:`_to_model_units`).
        n_draws : int, default=100
            Importance draws per row.
        random_state : int, RandomState instance or None, default=None
            Seed of the draws.

        Returns
        -------
        X_filled : ndarray of shape (n_samples, n_features)
            A copy in model units without NaN; pass it to
            :meth:`_from_model_units` for a table, or to
            ``_model.likelihood.to_data`` for the seam's encoded matrix.
        """
        check_is_fitted(self)
        rng = check_random_state(random_state)
        return importance_impute(self._model, X_model, n_draws, rng)

    def _latent_codes(self, n_samples, rng, latent):
        """Unconditional latent codes from the prior or the aggregate posterior."""
        model = self._model
        Z = rng.standard_normal((n_samples, model.n_components))
        if latent == "aggregate_posterior":
            mean, log_var = self._posterior
            rows = rng.randint(mean.shape[0], size=n_samples)
            Z = mean[rows] + np.exp(0.5 * log_var[rows]) * Z
        return Z.astype(model.dtype)

    def _calibration(self, latent):
        """The :class:`MarginalCalibration` of ``latent``'s draws (made once).

        Fitted on the first call after each fit, from the seed fit fixed: the
        sampler's draws of :func:`n_calibration_draws` rows, matched to the
        training columns' quantiles.
        """
        if latent not in self._calibrations:
            model = self._model
            columns, targets = self._calibration_targets
            rng = np.random.RandomState(self._calibration_seed)
            n_draws = n_calibration_draws(columns.size) if columns.size else 0
            draws = np.empty((n_draws, columns.size))
            for start in range(0, n_draws, CALIBRATION_CHUNK):
                rows = slice(start, min(start + CALIBRATION_CHUNK, n_draws))
                Z = self._latent_codes(rows.stop - rows.start, rng, latent)
                draws[rows] = model.decode_sample(Z, rng)[:, columns]
            self._calibrations[latent] = MarginalCalibration.fit(
                columns, draws, targets
            )
        return self._calibrations[latent]

    def _sample_table(self, n_samples, rng, conditions, latent, calibrate=True):
        """Rows drawn as ``sample`` documents, as a table of the fitted kind."""
        model = self._model
        if latent not in ("aggregate_posterior", "prior"):
            raise ValueError(
                f"latent must be 'aggregate_posterior' or 'prior', got {latent!r}."
            )
        if conditions is None:
            X_model = model.decode_sample(
                self._latent_codes(n_samples, rng, latent), rng
            )
            if calibrate:
                self._calibration(latent).apply(X_model)
            return self._from_model_units(X_model)
        columns, values = parse_conditions(
            conditions, model.likelihood, self._schema, self._labels()
        )
        X_condition = np.full((1, model.n_features), np.nan)
        X_condition[0, columns] = values
        X_condition = model.likelihood.to_model(X_condition, model.dtype)
        Z, _ = conditional_latents(model, X_condition, n_samples, rng)
        X_data = model.likelihood.to_data(model.decode_sample(Z, rng))
        # The conditioned cells hold the given values exactly (set in the
        # data's units: the way back from model units may round them, e.g.
        # to a column's grid).
        X_data[:, columns] = values
        return self._from_data_units(X_data)

    def _bounds(self, X):
        X_model = self._to_model_units(X)
        iwae, elbo = self._model.bounds(X_model, self._model.score_noise)
        # Densities in model units, back to the original units: the Jacobian
        # of each row's observed cells.
        jacobian = self._model.likelihood.log_jacobian_rows(X_model)
        return iwae + jacobian, elbo + jacobian


def _as_output(out, dense, estimator):
    """``out`` as the container ``set_output`` asks for (``dense``)."""
    library = type(out).__module__.split(".")[0]
    if dense == "default" or library == dense:
        return out
    if dense == "pandas":
        return out.to_pandas() if library == "polars" else _pandas(out, estimator)
    import polars as pl

    if library == "pandas":
        return pl.from_pandas(out)
    return pl.from_pandas(_pandas(out, estimator))


def _pandas(array, estimator):
    import pandas as pd

    names = estimator._labels() or [f"x{j}" for j in range(array.shape[1])]
    return pd.DataFrame(array, columns=names)
