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
numeric columns in their own units instead of standardised: every numeric
column is centred and divided by one factor common to all of them (missing
values at the mean, 0). That factor, :func:`common_scale`, is the power of
two nearest the root mean square of the columns' standard deviations: the
columns keep their relative units (the point of searching the columns as
given), while the space no longer depends on a global scale of the data
(data times ``1e-300`` or ``1e150`` find the same neighbours, where squared
distances of the raw values would underflow or overflow) and the indicators
and one-hot entries weigh as much against the numeric columns as in the
standardised space (the mean squared spread per numeric column is about 1
in both). Dividing by a power of two adds no rounding of its own. A table of
numeric columns without missing values gives the standardised columns alone
(and the columns as given).
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
        self.common = common_scale(numeric, self.mean)
        self.indicated = self.numeric[np.isnan(numeric).any(axis=0)]
        self.n_columns = (
            len(self.numeric) + len(self.indicated) + int(self.n_categories.sum())
        )

    def transform(self, codes, *, scaled=True):
        """Rows of ``n_columns`` values, in ``codes``' dtype.

        ``scaled=False`` leaves the numeric columns in their own units,
        centred and divided by the one common factor (the retrieval space of
        ``scale_retrieval=False``).
        """
        dtype = codes.dtype
        out = np.zeros((codes.shape[0], self.n_columns), dtype=dtype)
        numeric = codes[:, self.numeric]
        numeric = (numeric - self.mean) / (self.scale if scaled else self.common)
        n_numeric = len(self.numeric)
        out[:, :n_numeric] = np.where(np.isnan(numeric), 0, numeric)
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


def common_scale(numeric, mean):
    """One factor for every numeric column: a power of two near their spread.

    The power of two nearest ``sqrt(mean_j var_j)``, the root mean square of
    the columns' standard deviations (population, missing values left out;
    a column without any value counts 0). It is computed on the centred
    values divided by their largest magnitude, so that neither tiny
    (``1e-300``) nor huge (``1e150``) values underflow or overflow. Data
    without any spread (every column constant, up to rounding) gets 1.

    Parameters
    ----------
    numeric : ndarray of shape (n_samples, n_numeric)
        The numeric columns' values, NaN where missing.
    mean : ndarray of shape (n_numeric,)
        Their means.

    Returns
    -------
    scale : float
        A power of two, in the values' dtype's range.
    """
    if numeric.size == 0:
        return 1.0
    info = np.finfo(numeric.dtype if numeric.dtype.kind == "f" else np.float64)
    centred = np.asarray(numeric - mean, dtype=np.float64)
    present = ~np.isnan(centred)
    largest = np.abs(np.where(present, centred, 0)).max()
    magnitude = np.abs(np.where(present, numeric, 0)).max()
    if not largest > 10 * info.eps * magnitude:
        return 1.0
    unit = np.where(present, centred / largest, 0)
    counts = np.maximum(present.sum(axis=0), 1)
    variance = (np.square(unit).sum(axis=0) / counts).mean()
    exponent = np.round(np.log2(largest) + 0.5 * np.log2(variance))
    exponent = np.clip(exponent, np.log2(info.tiny), np.log2(info.max) - 1)
    return float(2.0**exponent)
