"""The table seam: column kinds, category codes, and the way back."""

import pickle

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from skmanifold_attn._table import (
    MAX_CATEGORIES,
    decode_table,
    fit_table,
    transform_table,
)

pd = pytest.importorskip("pandas")


class _Holder(BaseEstimator):
    """A bare estimator to carry n_features_in_ and feature_names_in_."""


def _frame():
    return pd.DataFrame(
        {
            "colour": pd.Categorical(["red", "blue", None, "red"]),
            "size": [1.5, np.nan, 3.0, 4.0],
            "shape": ["round", "square", "round", None],
            "count": [1, 2, 3, 4],
        }
    )


def test_from_dtype_codes_and_missing():
    X = _frame()
    before = X.copy()
    holder = _Holder()
    X_enc, schema = fit_table(holder, X)
    pd.testing.assert_frame_equal(X, before)
    np.testing.assert_array_equal(schema.categorical, [True, False, True, False])
    np.testing.assert_array_equal(schema.n_categories, [2, 0, 2, 0])
    # A pandas categorical keeps its declared order: blue, red.
    np.testing.assert_array_equal(X_enc[:, 0], [1, 0, np.nan, 1])
    np.testing.assert_array_equal(X_enc[:, 1], [1.5, np.nan, 3.0, 4.0])
    np.testing.assert_array_equal(X_enc[:, 2], [0, 1, 0, np.nan])
    np.testing.assert_array_equal(holder.feature_names_in_, X.columns)


def test_round_trip_keeps_columns_dtypes_and_categories():
    X = _frame()
    X_enc, schema = fit_table(_Holder(), X)
    pd.testing.assert_frame_equal(decode_table(schema, X_enc), X)


def test_unknown_category_gets_its_own_code_and_kind_changes_raise():
    holder = _Holder()
    _, schema = fit_table(holder, _frame())
    new = _frame().assign(shape=["oval", "round", None, "square"])
    X_enc = transform_table(holder, schema, new)
    np.testing.assert_array_equal(X_enc[:, 2], [2, 0, np.nan, 1])
    with pytest.raises(ValueError, match="held str categories at fit but number"):
        transform_table(holder, schema, _frame().assign(shape=[1, 2, 3, 4]))
    with pytest.raises(ValueError, match="'size' is numeric"):
        transform_table(holder, schema, _frame().assign(size=["a", "b", "c", "d"]))


def test_column_order_changed_at_transform_is_sklearns_error():
    holder = _Holder()
    _, schema = fit_table(holder, _frame())
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        transform_table(holder, schema, _frame()[["size", "colour", "shape", "count"]])


@pytest.mark.parametrize(
    "selection",
    [[True, False, False, False], [0], np.array([0]), ["colour"]],
)
def test_selections(selection):
    X = _frame().assign(colour=["a", "b", "c", "a"], shape=[0.1, 0.2, 0.3, 0.4])
    _, schema = fit_table(_Holder(), X, selection)
    np.testing.assert_array_equal(schema.categorical, [True, False, False, False])


@pytest.mark.parametrize(
    "selection, message",
    [
        ([True, False], "boolean mask must have shape"),
        ([7], "indices must be in"),
        (["nope"], "does not have"),
        ([[0]], "1-D"),
    ],
)
def test_bad_selections(selection, message):
    with pytest.raises(ValueError, match=message):
        fit_table(_Holder(), _frame(), selection)


def test_names_need_a_dataframe():
    with pytest.raises(ValueError, match="no column names"):
        fit_table(_Holder(), np.zeros((3, 2)), ["a"])


def test_numpy_without_categories_is_validate_data():
    X = np.random.RandomState(0).normal(size=(20, 3))
    X[2, 1] = np.nan
    X_enc, schema = fit_table(_Holder(), X)
    np.testing.assert_array_equal(
        X_enc, validate_data(_Holder(), X, ensure_all_finite="allow-nan")
    )
    assert not schema.has_categorical


def test_numpy_object_columns_by_index_round_trip():
    X = np.array([[1.0, "a"], [2.0, "b"], [None, "a"], [4.0, None]], dtype=object)
    X_enc, schema = fit_table(_Holder(), X, [1])
    np.testing.assert_array_equal(X_enc, [[1, 0], [2, 1], [np.nan, 0], [4, np.nan]])
    back = decode_table(schema, X_enc)
    assert back[0, 1] == "a" and back[3, 1] is None and np.isnan(back[2, 0])


def test_mixed_types_inside_a_column_raise():
    with pytest.raises(ValueError, match="mixes values of types"):
        fit_table(_Holder(), pd.DataFrame({"a": ["x", 1, "y"]}))


def test_too_many_categories_raise():
    X = pd.DataFrame({"id": [f"u{i}" for i in range(MAX_CATEGORIES + 1)]})
    with pytest.raises(ValueError, match="distinct values; at most"):
        fit_table(_Holder(), X)


def test_infinity_in_a_numeric_column_raises():
    with pytest.raises(ValueError, match="infinity"):
        fit_table(_Holder(), _frame().assign(size=[1.0, np.inf, 2.0, 3.0]))


def test_nullable_integers_and_all_missing_categories():
    X = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "c": pd.Series([None, None, None], dtype="object"),
        }
    )
    holder = _Holder()
    X_enc, schema = fit_table(holder, X, ["c"])
    np.testing.assert_array_equal(X_enc[:, 0], [1, np.nan, 3])
    assert schema.n_categories[1] == 0 and np.isnan(X_enc[:, 1]).all()
    # Every value is unknown to a column that had no category at fit.
    X_new = transform_table(holder, schema, X.assign(c=["a", None, "b"]))
    np.testing.assert_array_equal(X_new[:, 1], [0, np.nan, 0])


def test_schema_pickles():
    holder = _Holder()
    X_enc, schema = fit_table(holder, _frame())
    again = pickle.loads(pickle.dumps(schema))
    np.testing.assert_array_equal(transform_table(holder, again, _frame()), X_enc)


def test_polars_round_trip_with_enum():
    pl = pytest.importorskip("polars")
    X = pl.DataFrame(
        {
            "kind": pl.Series(["b", "a", None, "b"], dtype=pl.Enum(["b", "a"])),
            "word": ["x", "y", "x", None],
            "value": [0.5, None, 2.0, float("nan")],
        }
    )
    holder = _Holder()
    X_enc, schema = fit_table(holder, X)
    np.testing.assert_array_equal(schema.categorical, [True, True, False])
    np.testing.assert_array_equal(X_enc[:, 0], [0, 1, np.nan, 0])
    np.testing.assert_array_equal(X_enc[:, 2], [0.5, np.nan, 2.0, np.nan])
    back = decode_table(schema, X_enc)
    assert back.schema == X.schema
    assert back["kind"].to_list() == X["kind"].to_list()
    assert back["word"].to_list() == X["word"].to_list()
