"""Mixed-type tables: which columns are categorical, their categories, codes.

The one place where a table (ndarray, pandas or polars DataFrame) becomes the
float matrix the networks consume, and back. Numeric columns keep their
values, with NaN where a cell is missing (NaN, ``None``, ``pd.NA``);
categorical columns become the code of their category, ``0 ..
n_categories - 1``, NaN where missing and ``n_categories`` for a category
unseen at fit (the "unknown" code). Columns are selected as categorical the
way :class:`~sklearn.ensemble.HistGradientBoostingClassifier` selects them.
"""

from __future__ import annotations

import math
from numbers import Number

import numpy as np
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_array,
    validate_data,
)

__all__ = [
    "CATEGORICAL_FEATURES_CONSTRAINT",
    "MAX_CATEGORIES",
    "TableSchema",
    "decode_table",
    "fit_table",
    "transform_table",
]

CATEGORICAL_FEATURES_CONSTRAINT = ["array-like", StrOptions({"from_dtype"}), None]

# An embedding table or a softmax per category: beyond this a column is an
# identifier rather than a category, and the model would be mostly that table.
MAX_CATEGORIES = 10_000


# -- which kind of container ------------------------------------------------
def _library(X):
    module = type(X).__module__.split(".")[0]
    if module == "pandas" and hasattr(X, "iloc"):
        return "pandas"
    if module == "polars" and hasattr(X, "get_column"):
        return "polars"
    return None


def _column_names(X, library):
    return [str(name) for name in X.columns] if library else None


def _column(X, j, library):
    if library == "pandas":
        return X.iloc[:, j]
    return X.to_series(j)


def _is_categorical_dtype(column, library):
    """Whether "from_dtype" makes this DataFrame column categorical."""
    if library == "pandas":
        import pandas as pd

        dtype = column.dtype
        return (
            isinstance(dtype, pd.CategoricalDtype)
            or pd.api.types.is_object_dtype(dtype)
            or pd.api.types.is_string_dtype(dtype)
        )
    import polars as pl

    dtype = column.dtype
    return dtype in (pl.Categorical, pl.String, pl.Object) or isinstance(
        dtype, (pl.Categorical, pl.Enum)
    )


# -- categorical_features ---------------------------------------------------
def _categorical_mask(X, categorical_features, n_features, names, library):
    if categorical_features is None:
        return np.zeros(n_features, dtype=bool)
    if isinstance(categorical_features, str):  # "from_dtype"
        if library is None:
            return np.zeros(n_features, dtype=bool)
        return np.array(
            [
                _is_categorical_dtype(_column(X, j, library), library)
                for j in range(n_features)
            ],
            dtype=bool,
        )
    selection = np.asarray(categorical_features)
    if selection.ndim != 1:
        raise ValueError(
            "categorical_features must be 'from_dtype', None, or a 1-D boolean "
            "mask, integer indices or column names; got an array of shape "
            f"{selection.shape}."
        )
    mask = np.zeros(n_features, dtype=bool)
    if selection.size == 0:
        return mask
    if selection.dtype.kind == "b":
        if selection.shape[0] != n_features:
            raise ValueError(
                "categorical_features as a boolean mask must have shape "
                f"(n_features,)=({n_features},); got {selection.shape}."
            )
        return selection.copy()
    if selection.dtype.kind in "iu":
        if selection.min() < -n_features or selection.max() >= n_features:
            raise ValueError(
                "categorical_features indices must be in [0, n_features - 1] = "
                f"[0, {n_features - 1}]; got {selection.tolist()}."
            )
        mask[selection] = True
        return mask
    if selection.dtype.kind in "UO" and all(isinstance(s, str) for s in selection):
        if names is None:
            raise ValueError(
                "categorical_features names columns "
                f"({selection.tolist()}) but X has no column names; pass a "
                "DataFrame, or a boolean mask or integer indices."
            )
        position = {name: j for j, name in enumerate(names)}
        unknown = [s for s in selection if s not in position]
        if unknown:
            raise ValueError(
                f"categorical_features names columns that X does not have: {unknown}."
            )
        mask[[position[s] for s in selection]] = True
        return mask
    raise ValueError(
        "categorical_features must be 'from_dtype', None, a boolean mask, integer "
        f"indices or column names; got values of dtype {selection.dtype}."
    )


# -- one column -------------------------------------------------------------
def _values_and_missing(column, library):
    """The column as an object (or numeric) ndarray and its missing mask."""
    if library == "pandas":
        import pandas as pd

        missing = np.asarray(pd.isna(column), dtype=bool)
        if isinstance(column.dtype, pd.CategoricalDtype):
            values = np.asarray(column.astype(object), dtype=object)
        else:
            values = column.to_numpy(dtype=object)
        return values, missing
    if library == "polars":
        missing = column.is_null().to_numpy()
        values = np.asarray(column.to_list(), dtype=object)
        if column.dtype.is_float():
            missing |= column.is_nan().fill_null(False).to_numpy()
        return values, missing
    values = np.asarray(column, dtype=object)
    return values, np.array([_is_missing(v) for v in values], dtype=bool)


def _is_missing(value):
    if value is None:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    return type(value).__name__ in ("NAType", "NaTType")


def _kind(value):
    if isinstance(value, str | np.str_):
        return "str"
    if isinstance(value, Number | np.number | np.bool_):
        return "number"
    return type(value).__name__


def _value_kind(present, name):
    kinds = {_kind(v) for v in present}
    if len(kinds) > 1:
        raise ValueError(
            f"Categorical column {name!r} mixes values of types {sorted(kinds)}; "
            "its categories must be all strings or all numbers. Convert the column "
            "to one type first, e.g. df[col].astype(str)."
        )
    return kinds.pop() if kinds else "str"


def _dtype_categories(column, library):
    """The categories a categorical dtype declares, in its order, or None."""
    if library == "pandas":
        import pandas as pd

        if isinstance(column.dtype, pd.CategoricalDtype):
            return np.asarray(column.dtype.categories.to_numpy(), dtype=object)
    elif library == "polars":
        import polars as pl

        if isinstance(column.dtype, pl.Enum):
            return np.asarray(column.dtype.categories.to_list(), dtype=object)
    return None


def _as_sortable(values, kind):
    if kind == "str":
        return np.asarray([str(v) for v in values], dtype=object)
    return np.asarray(values, dtype=np.float64)


def _fit_categories(values, missing, name, column, library):
    present = values[~missing]
    kind = _value_kind(present, name)
    declared = _dtype_categories(column, library)
    if declared is not None:
        _value_kind(declared, name)
        categories = declared
    else:
        categories = np.asarray(sorted(set(present.tolist())), dtype=object)
    if len(categories) > MAX_CATEGORIES:
        raise ValueError(
            f"Categorical column {name!r} has {len(categories)} distinct values; at "
            f"most {MAX_CATEGORIES} are supported (one learned vector per category). "
            "Group rare categories, treat the column as numeric, or drop it."
        )
    return categories, kind


def _encode_categories(values, missing, categories, kind, name):
    codes = np.full(values.shape[0], np.nan)
    present = ~missing
    if not present.any():
        return codes
    observed = values[present]
    if len(categories) == 0:
        codes[present] = 0.0  # all unknown: the unknown code is n_categories = 0
        return codes
    now = _value_kind(observed, name)
    if now != kind:
        raise ValueError(
            f"Categorical column {name!r} held {kind} categories at fit but "
            f"{now} values now; pass the column with the dtype it had at fit."
        )
    reference = _as_sortable(categories, kind)
    order = np.argsort(reference, kind="stable")
    ordered = reference[order]
    queries = _as_sortable(observed, kind)
    position = np.clip(np.searchsorted(ordered, queries), 0, len(ordered) - 1)
    found = ordered[position] == queries
    codes[present] = np.where(found, order[position], len(categories))
    return codes


def _encode_numeric(values, missing, name):
    numeric = np.full(values.shape[0], np.nan)
    present = ~missing
    try:
        numeric[present] = np.asarray(values[present], dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Column {name!r} is numeric (it is not in categorical_features) but "
            f"holds non-numeric values ({error}). Declare it categorical through "
            "categorical_features, or convert it to numbers."
        ) from error
    if np.isinf(numeric).any():
        raise ValueError(
            "Input X contains infinity or a value too large for dtype('float64')."
        )
    return numeric


# -- the fitted description -------------------------------------------------
class TableSchema:
    """What fit learned of a table: column kinds, categories and dtypes.

    Attributes
    ----------
    categorical : ndarray of bool, shape (n_features,)
        Whether each column is categorical.
    categories : list of (ndarray or None)
        The categories of each categorical column (their code is their
        position); ``None`` for numeric columns.
    """

    def __init__(self, categorical, categories, kinds, names, library, dtypes):
        self.categorical = categorical
        self.categories = categories
        self.kinds = kinds
        self.names = names
        self.library = library
        self.dtypes = dtypes

    @property
    def n_categories(self):
        """Number of categories per column (0 for numeric columns)."""
        return np.array(
            [0 if c is None else len(c) for c in self.categories], dtype=np.intp
        )

    @property
    def has_categorical(self):
        return bool(self.categorical.any())


def _as_table(X):
    library = _library(X)
    if library is None and not hasattr(X, "shape"):
        X = np.asarray(X, dtype=object)
    return X, library


def _numeric_path(estimator, X, reset, dtype, ensure_min_samples):
    return validate_data(
        estimator,
        X,
        reset=reset,
        dtype=dtype,
        ensure_all_finite="allow-nan",
        ensure_min_samples=ensure_min_samples,
    )


def fit_table(
    estimator,
    X,
    categorical_features="from_dtype",
    *,
    dtype=np.float64,
    ensure_min_samples=1,
):
    """Learn the table's column kinds and categories; return codes and schema.

    Sets ``n_features_in_`` (and ``feature_names_in_``) on ``estimator`` as
    ``validate_data(reset=True)`` does. With no categorical column the
    encoded matrix is exactly ``validate_data(..., ensure_all_finite=
    "allow-nan")``'s.
    """
    X_table, library = _as_table(X)
    if getattr(X_table, "ndim", 2) != 2:
        return _numeric_path(estimator, X, True, dtype, ensure_min_samples), None
    n_features = X_table.shape[1]
    names = _column_names(X_table, library)
    categorical = _categorical_mask(
        X_table, categorical_features, n_features, names, library
    )
    if not categorical.any():
        X_enc = _numeric_path(estimator, X, True, dtype, ensure_min_samples)
        dtypes = _dtypes(X_table, library, n_features)
        schema = TableSchema(
            categorical,
            [None] * n_features,
            [None] * n_features,
            names,
            library,
            dtypes,
        )
        return X_enc, schema
    _check_feature_names(estimator, X_table, reset=True)
    _check_n_features(estimator, X_table, reset=True)
    _check_rows(X_table, ensure_min_samples)
    labels = names or [str(j) for j in range(n_features)]
    X_enc = np.empty((X_table.shape[0], n_features), dtype=np.float64)
    categories, kinds = [], []
    for j in range(n_features):
        column = _column(X_table, j, library) if library else X_table[:, j]
        values, missing = _values_and_missing(column, library)
        if categorical[j]:
            cats, kind = _fit_categories(values, missing, labels[j], column, library)
            X_enc[:, j] = _encode_categories(values, missing, cats, kind, labels[j])
        else:
            cats, kind = None, None
            X_enc[:, j] = _encode_numeric(values, missing, labels[j])
        categories.append(cats)
        kinds.append(kind)
    schema = TableSchema(
        categorical,
        categories,
        kinds,
        names,
        library,
        _dtypes(X_table, library, n_features),
    )
    return _as_dtype(X_enc, dtype), schema


def transform_table(estimator, schema, X, *, dtype=np.float64):
    """Encode new rows with the fitted schema (unknown categories get code n)."""
    if schema is None or not schema.has_categorical:
        return _numeric_path(estimator, X, False, dtype, 1)
    X_table, library = _as_table(X)
    if getattr(X_table, "ndim", 2) != 2:
        return _numeric_path(estimator, X, False, dtype, 1)
    _check_feature_names(estimator, X_table, reset=False)
    _check_n_features(estimator, X_table, reset=False)
    _check_rows(X_table, 1)
    labels = schema.names or [str(j) for j in range(len(schema.categorical))]
    X_enc = np.empty((X_table.shape[0], len(schema.categorical)), dtype=np.float64)
    for j, cats in enumerate(schema.categories):
        column = _column(X_table, j, library) if library else X_table[:, j]
        values, missing = _values_and_missing(column, library)
        if cats is None:
            X_enc[:, j] = _encode_numeric(values, missing, labels[j])
        else:
            X_enc[:, j] = _encode_categories(
                values, missing, cats, schema.kinds[j], labels[j]
            )
    return _as_dtype(X_enc, dtype)


def _check_rows(X, ensure_min_samples):
    n_samples = X.shape[0]
    if n_samples < ensure_min_samples:
        raise ValueError(
            f"Found array with {n_samples} sample(s) (shape={tuple(X.shape)}) while a "
            f"minimum of {ensure_min_samples} is required."
        )
    if X.shape[1] < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={tuple(X.shape)}) while a minimum "
            "of 1 is required."
        )


def _as_dtype(X_enc, dtype):
    target = dtype[0] if isinstance(dtype, list | tuple) else dtype
    return X_enc if target is None else X_enc.astype(target, copy=False)


def _dtypes(X, library, n_features):
    if library == "pandas":
        return list(X.dtypes)
    if library == "polars":
        return list(X.dtypes)
    return [getattr(X, "dtype", None)] * n_features


# -- back to a table --------------------------------------------------------
def _decode_codes(codes, categories):
    values = np.empty(codes.shape[0], dtype=object)
    missing = np.isnan(codes)
    if len(categories):
        index = np.clip(np.rint(np.where(missing, 0, codes)), 0, len(categories) - 1)
        values[:] = categories[index.astype(np.intp)]
    values[missing] = None
    return values, missing


def _integer_like(dtype, library):
    if dtype is None:
        return False
    if library == "polars":
        return dtype.is_integer()
    kind = getattr(
        np.dtype(dtype) if isinstance(dtype, np.dtype) else dtype, "kind", ""
    )
    return kind in "iub"


def decode_table(schema, X_enc):
    """Rebuild rows of the fitted kind of table from an encoded matrix.

    Categorical codes (rounded, clipped to the known categories) become the
    categories; integer and boolean columns are rounded back. A pandas or
    polars fit gives a DataFrame of the same columns and dtypes, a numpy fit
    an ndarray (object dtype when some column is categorical).
    """
    X_enc = check_array(X_enc, dtype=np.float64, ensure_all_finite="allow-nan")
    n_features = len(schema.categorical)
    if X_enc.shape[1] != n_features:
        raise ValueError(
            f"X has {X_enc.shape[1]} features, but the table has {n_features}."
        )
    columns = []
    for j, cats in enumerate(schema.categories):
        if cats is None:
            columns.append((X_enc[:, j], np.isnan(X_enc[:, j])))
        else:
            columns.append(_decode_codes(X_enc[:, j], cats))
    if schema.library == "pandas":
        return _pandas_frame(schema, columns)
    if schema.library == "polars":
        return _polars_frame(schema, columns)
    if not schema.has_categorical:
        return (
            X_enc.astype(schema.dtypes[0], copy=False)
            if _float_dtype(schema)
            else X_enc
        )
    out = np.empty(X_enc.shape, dtype=object)
    for j, (values, _) in enumerate(columns):
        out[:, j] = values
    return out


def _float_dtype(schema):
    dtype = schema.dtypes[0] if schema.dtypes else None
    return dtype is not None and np.dtype(dtype).kind == "f"


def _pandas_frame(schema, columns):
    import pandas as pd

    data = {}
    for name, dtype, cats, (values, missing) in zip(
        schema.names, schema.dtypes, schema.categories, columns, strict=True
    ):
        if cats is None and _integer_like(dtype, "pandas"):
            values = np.rint(values)
            if missing.any() and isinstance(dtype, np.dtype):
                data[name] = pd.Series(values)  # NaN cannot live in an int column
                continue
        series = pd.Series(values, dtype=object if cats is not None else None)
        try:
            data[name] = series.astype(dtype)
        except (TypeError, ValueError):
            data[name] = series
    return pd.DataFrame(data, columns=schema.names)


def _polars_frame(schema, columns):
    import polars as pl

    series = []
    for name, dtype, cats, (values, missing) in zip(
        schema.names, schema.dtypes, schema.categories, columns, strict=True
    ):
        if cats is None:
            if dtype.is_integer():
                values = np.rint(values)
            data = [
                None if m else v for v, m in zip(values.tolist(), missing, strict=True)
            ]
        else:
            data = values.tolist()
        series.append(pl.Series(name, data).cast(dtype, strict=False))
    return pl.DataFrame(series)
