"""The numeric rows NeighborAttention's network and retrieval see.

The table seam (:mod:`skmanifold_attn._table`) turns a table into float codes:
numeric columns with NaN where missing, categorical columns as category codes
(``n_categories`` for a category unseen in ``fit``, NaN where missing). From
these codes :class:`RowFeatures` builds, in this order:

- every numeric column standardised (NaN-aware statistics of the training
  rows); a missing value becomes 0, the column's mean;
- one indicator per numeric column that had missing values in ``fit`` (1
  where missing), so that "missing" is information, not only the mean;
- every categorical column one-hot encoded with entries ``sqrt(1/2)``, so that
  two rows differing in one category are at distance 1 (a standardised unit);
  a missing or unseen category is all zeros.

With ``scale_retrieval=False`` the retrieval space is the same with the
numeric columns as given (missing values at their mean) instead of
standardised. A table of numeric columns without missing values gives the
standardised columns alone (and the columns as given).
"""

import numpy as np

from .._nn._preprocessing import fit_standardisation

ONE_HOT = np.sqrt(0.5)


class RowFeatures:
    """Fitted encoding of the seam's codes into network and retrieval rows.

    Parameters
    ----------
    codes : ndarray of shape (n_samples, n_features)
        The training rows' codes from ``fit_table``.
    schema : TableSchema or None
        The table's schema (None: every column numeric).
    """

    def __init__(self, codes, schema):
        n_features = codes.shape[1]
        if schema is None:
            categorical = np.zeros(n_features, dtype=bool)
            n_categories = np.zeros(n_features, dtype=np.intp)
        else:
            categorical = np.asarray(schema.categorical, dtype=bool)
            n_categories = schema.n_categories
        self.numeric = np.flatnonzero(~categorical)
        self.categorical = np.flatnonzero(categorical)
        self.n_categories = n_categories[self.categorical]
        numeric = codes[:, self.numeric]
        if numeric.shape[1] and np.all(np.isnan(numeric), axis=0).any():
            column = self.numeric[np.all(np.isnan(numeric), axis=0)][0]
            raise ValueError(
                f"Column {column} of X has no value (all missing): drop it or "
                "impute it first."
            )
        self.mean, self.scale = fit_standardisation(numeric)
        self.indicated = self.numeric[np.isnan(numeric).any(axis=0)]
        self.n_columns = (
            len(self.numeric) + len(self.indicated) + int(self.n_categories.sum())
        )

    def transform(self, codes, *, scaled=True):
        """Rows of ``n_columns`` values, in ``codes``' dtype.

        ``scaled=False`` leaves the numeric columns as given (the retrieval
        space of ``scale_retrieval=False``).
        """
        dtype = codes.dtype
        out = np.zeros((codes.shape[0], self.n_columns), dtype=dtype)
        numeric = codes[:, self.numeric]
        if scaled:
            numeric = (numeric - self.mean) / self.scale
            fill = 0
        else:
            fill = self.mean
        n_numeric = len(self.numeric)
        out[:, :n_numeric] = np.where(np.isnan(numeric), fill, numeric)
        start = n_numeric
        if len(self.indicated):
            stop = start + len(self.indicated)
            out[:, start:stop] = np.isnan(codes[:, self.indicated])
            start = stop
        rows = np.arange(codes.shape[0])
        for column, width in zip(self.categorical, self.n_categories, strict=True):
            code = codes[:, column]
            known = np.isfinite(code) & (code < width)
            out[rows[known], start + code[known].astype(np.intp)] = ONE_HOT
            start += width
        return out
