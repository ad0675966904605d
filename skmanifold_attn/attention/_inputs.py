"""Input checks of AttentionPooling: token layouts, tables, standardisation.

Tables go through the package's table seam (:mod:`skmanifold_attn._table`):
column kinds and category codes are decided there. Here the encoded table
is checked against the token layout and standardised column by column;
category codes are left as they are (they index embedding tables).
"""

import numpy as np

from .._nn._preprocessing import fit_standardisation
from .._table import fit_table, transform_table


def refuse_token_arrays(estimator, X, current, reset):
    """Raise the exact reshape to make when ``X`` is a 3-D array of tokens.

    2-D ``X`` keeps the estimator a plain scikit-learn transformer
    (pipelines, column transformers, feature names): a 3-D array of tokens
    gets this advice instead of scikit-learn's generic "Found array with dim
    3". ``current`` is the token_dim in force (the fitted one after fit).
    """
    shape = getattr(X, "shape", None)
    if shape is None and isinstance(X, (list, tuple)):
        try:
            shape = np.shape(X)
        except ValueError:  # ragged: left to the validation
            return
    if shape is None or len(shape) != 3:
        return
    n, n_tokens, token_dim = shape
    message = (
        f"{type(estimator).__name__} takes 2-D X of shape (n_samples, n_tokens * "
        "token_dim), each token a block of token_dim contiguous columns; got "
        f"a 3-D array of shape {tuple(shape)}. Pass "
        f"X.reshape({n}, {n_tokens * token_dim}), i.e. X.reshape(len(X), -1), "
    )
    if reset:
        message += f"with token_dim={token_dim}"
        if current != token_dim:
            message += f" (it is {current} now)"
    else:
        message += f"as in fit (this model has token_dim={current})"
    raise ValueError(message + ".")


def _check_table_layout(schema, token_dim, embedding):
    names = np.flatnonzero(schema.categorical)
    if token_dim != 1:
        raise ValueError(
            f"X has categorical columns (at positions {names.tolist()}), which "
            f"are one token each: token_dim must be 1, got token_dim={token_dim}. "
            "Pass token_dim=1, or encode the categories as numbers yourself and "
            "pass categorical_features=None."
        )
    if embedding != "per_token":
        raise ValueError(
            "X has categorical columns, each embedded by its own table of "
            "categories: embedding must be 'per_token', got "
            f"embedding={embedding!r} (a shared embedding treats tokens as "
            "interchangeable elements of a set)."
        )


def validate_tokens(estimator, X, *, reset, token_dim, embedding):
    """Encode ``X`` through the table seam; return a float array.

    On ``reset`` the schema is fitted and stored as ``estimator._schema``;
    otherwise ``X`` is encoded with it. Numeric NaN and missing categories
    stay NaN (masked tokens); a category unseen at fit gets the unknown code.
    """
    refuse_token_arrays(estimator, X, token_dim, reset)
    if reset:
        X, schema = fit_table(
            estimator,
            X,
            estimator.categorical_features,
            dtype=[np.float64, np.float32],
            ensure_min_samples=1,
        )
        estimator._schema = schema
        if schema is not None and schema.has_categorical:
            _check_table_layout(schema, token_dim, embedding)
    else:
        X = transform_table(
            estimator, estimator._schema, X, dtype=[np.float64, np.float32]
        )
    n_features = X.shape[1]
    if reset and n_features % token_dim:
        raise ValueError(
            f"X has {n_features} features, which is not a multiple of "
            f"token_dim={token_dim}: every token must have token_dim "
            "contiguous columns."
        )
    if token_dim > 1:
        nan = np.isnan(X).reshape(X.shape[0], -1, token_dim)
        if np.any(nan.any(axis=2) & ~nan.all(axis=2)):
            raise ValueError(
                "Input X contains NaN in some but not all columns of a token; "
                "a token is padding only when all its token_dim columns are "
                "NaN. Impute partially missing tokens first."
            )
    return X


def fit_column_standardisation(X, categorical, token_dim, embedding):
    """Mean and scale of every column; codes of categorical columns are kept.

    With ``embedding="shared"`` every within-token column has one mean and
    scale for all positions, so that a permutation of the tokens stays one.
    """
    if np.all(np.isnan(X)):
        raise ValueError("Input X has no tokens: every token is padding (all NaN).")
    if embedding == "shared":
        mean, scale = fit_standardisation(X.reshape(-1, token_dim))
        n_tokens = X.shape[1] // token_dim
        return np.tile(mean, n_tokens), np.tile(scale, n_tokens)
    mean = np.zeros(X.shape[1], dtype=X.dtype)
    scale = np.ones(X.shape[1], dtype=X.dtype)
    if categorical is None:
        categorical = np.zeros(X.shape[1], dtype=bool)
    numeric = ~np.asarray(categorical, dtype=bool)
    if numeric.any():
        mean[numeric], scale[numeric] = fit_standardisation(X[:, numeric])
    return mean, scale


def standardise(X, mean, scale, ignored=None):
    """``(X - mean) / scale`` in a new array; ``ignored`` columns become NaN."""
    X_std = X - mean
    X_std /= scale
    if ignored is not None and ignored.size:
        X_std[:, ignored] = np.nan
    return X_std


def _rows_without_tokens(X_std):
    """Indices of the rows whose every entry is NaN (no real token)."""
    # Only rows whose first entry is NaN can qualify: a cheap first filter.
    candidates = np.flatnonzero(np.isnan(X_std[:, 0]))
    return candidates[np.isnan(X_std[candidates]).all(axis=1)]


def fit_output_standardisation(Z, X_std):
    """Mean and scale of each pooled column over the rows that have a token.

    Rows without any real token (all of ``X_std`` NaN) pool to zeros by
    construction; they are left out of the statistics.
    """
    empty = _rows_without_tokens(X_std)
    if empty.size:
        Z = Z.copy()
        Z[empty] = np.nan
    return fit_standardisation(Z)


def standardise_output(Z, X_std, mean, scale):
    """Standardise pooled vectors in place; rows without tokens become 0."""
    Z -= mean
    Z *= 1 / scale
    Z[_rows_without_tokens(X_std)] = 0
    return Z
