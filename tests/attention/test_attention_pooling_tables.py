"""AttentionPooling on mixed-type tables: categorical columns, missing values."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skmanifold_attn import AttentionPooling
from skmanifold_attn._demo import make_mixed_table

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def make_interaction_table(n=600, seed=0, missing=0.05):
    # Label: slope[shop] * price + noise > 0; four distractor columns.
    return make_mixed_table(n, missing=missing, random_state=seed)


def _small(**params):
    return AttentionPooling(
        embed_dim=16, n_heads=2, max_iter=30, random_state=0, **params
    )


def test_categorical_columns_from_dtype_are_lookup_tokens():
    X, y = make_interaction_table(200)
    pool = _small().fit(X, y)
    schema = pool._schema
    np.testing.assert_array_equal(
        schema.categorical, [False, True, False, False, True, False]
    )
    assert list(schema.n_categories[[1, 4]]) == [4, 3]
    np.testing.assert_array_equal(pool.feature_names_in_, X.columns)
    Z = pool.transform(X)
    assert Z.shape == (200, 16 * pool.n_seeds) and np.isfinite(Z).all()
    # Codes of a categorical column are table rows: no standardisation.
    assert pool._column_mean[1] == 0 and pool._column_scale[1] == 1


def test_unseen_category_maps_to_the_learned_unknown_embedding():
    X, y = make_interaction_table(200, missing=0)
    pool = _small().fit(X, y)
    rows = X.iloc[:3].copy()
    rows["colour"] = rows["colour"].astype(object)
    rows["colour"] = ["purple", "orange", "teal"]  # never seen at fit
    other = rows.copy()
    other["colour"] = ["black", "white", "pink"]
    Z_unknown = pool.transform(rows)
    np.testing.assert_allclose(pool.transform(other), Z_unknown, rtol=1e-12)
    assert np.isfinite(Z_unknown).all()
    # The unknown embedding is its own row, not any seen category's.
    for seen in ["red", "green", "blue"]:
        known = rows.copy()
        known["colour"] = seen
        assert not np.allclose(pool.transform(known), Z_unknown)
    # ... and it was trained (category dropout), away from its initial value.
    fresh = _small().set_params(max_iter=1).fit(X, y)
    unknown_row = pool._model.embed.offsets[1] + 3
    assert not np.allclose(
        pool._model.embed.table[unknown_row], fresh._model.embed.table[unknown_row]
    )


def test_missing_entries_are_masked_tokens():
    X, y = make_interaction_table(200, missing=0)
    pool = _small().fit(X, y)
    rows = X.iloc[:4].copy()
    rows.loc[rows.index[0], "shop"] = np.nan  # a missing category
    rows.loc[rows.index[1], "price"] = np.nan  # a missing number
    rows.loc[rows.index[2], "colour"] = None
    weights = pool.attention_weights(rows)
    assert np.all(weights[0, ..., 1] == 0) and np.all(weights[1, ..., 3] == 0)
    assert np.all(weights[2, ..., 4] == 0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1)
    # A masked token is left out: the row pools as if the column did not
    # exist, whatever value a masked entry would have had.
    Z = pool.transform(rows)
    assert np.isfinite(Z).all()
    changed = rows.copy()
    changed.loc[changed.index[3], "noise0"] = np.nan
    assert not np.allclose(pool.transform(changed)[3], Z[3])
    np.testing.assert_allclose(pool.transform(changed)[:3], Z[:3], rtol=1e-12)


def test_row_entirely_missing_pools_to_zeros():
    X, y = make_interaction_table(200)
    pool = _small().fit(X, y)
    rows = X.iloc[:3].copy()
    rows.iloc[1] = np.nan
    Z = pool.transform(rows)
    np.testing.assert_array_equal(Z[1], 0)
    assert np.all(np.abs(Z[[0, 2]]).sum(axis=1) > 0)
    np.testing.assert_array_equal(pool.attention_weights(rows)[1], 0)


def test_column_missing_at_fit_is_ignored():
    X, y = make_interaction_table(200)
    X["noise2"] = np.nan
    X["colour"] = pd.Series([None] * len(X), dtype=object)
    pool = _small().fit(X, y)
    assert pool.token_importances_[5] == 0 and pool.token_importances_[4] == 0
    # Values arriving later in the ignored numeric column change nothing.
    filled = X.copy()
    filled["noise2"] = 1.0
    np.testing.assert_allclose(pool.transform(filled), pool.transform(X))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(token_dim=2), "token_dim must be 1"),
        (dict(embedding="shared"), "embedding must be 'per_token'"),
    ],
)
def test_token_layouts_that_do_not_fit_categorical_columns_raise(params, message):
    X, y = make_interaction_table(100)
    X["extra"] = 0.0  # an even number of columns
    with pytest.raises(ValueError, match=message):
        _small(**params).fit(X, y)


def test_categorical_features_by_index_name_mask_and_none():
    X, y = make_interaction_table(150, missing=0)
    X["shop_id"] = X["shop"].cat.codes.astype(np.int64) + 10
    by_name = _small(categorical_features=["shop", "colour", "shop_id"]).fit(X, y)
    assert by_name._schema.categorical[[1, 4, 6]].all()
    assert by_name._schema.categorical.sum() == 3
    numeric = np.column_stack([X["price"], X["shop_id"]])
    by_index = _small(categorical_features=[1]).fit(numeric, y)
    assert list(by_index._schema.n_categories) == [0, 4]
    by_mask = _small(categorical_features=np.array([False, True])).fit(numeric, y)
    np.testing.assert_allclose(by_mask.transform(numeric), by_index.transform(numeric))
    # Without categorical columns, string columns cannot be numbers.
    with pytest.raises(ValueError):
        _small(categorical_features=None).fit(X, y)


def test_bad_tables_get_clear_errors_and_are_not_modified():
    X, y = make_interaction_table(150)
    before = X.copy()
    pool = _small().fit(X, y)
    pd.testing.assert_frame_equal(X, before)
    # Column order changed at transform: scikit-learn's feature-name error.
    with pytest.raises(ValueError, match="order"):
        pool.transform(X[X.columns[::-1]])
    # A numeric column arriving as words, a column of string categories
    # arriving as numbers: the column's kind changed.
    as_words = X.copy()
    as_words["price"] = np.where(X["price"] > 0, "high", "low")
    with pytest.raises(ValueError, match="price"):
        pool.transform(as_words)
    as_numbers = X.copy()
    as_numbers["colour"] = 1.5
    with pytest.raises(ValueError, match="colour"):
        pool.transform(as_numbers)
    # Numbers written as strings are the same numbers (as check_array reads
    # them): the same result.
    as_text = X.copy()
    as_text["price"] = X["price"].astype(object).map(repr)
    np.testing.assert_allclose(pool.transform(as_text), pool.transform(X))
    # Mixed types inside one object column.
    mixed = X.copy()
    mixed["colour"] = mixed["colour"].astype(object)
    mixed.loc[mixed.index[:5], "colour"] = 3
    with pytest.raises((TypeError, ValueError)):
        _small().fit(mixed, y)
    pd.testing.assert_frame_equal(X, before)


def test_too_many_categories_raise():
    from skmanifold_attn._table import MAX_CATEGORIES

    n = MAX_CATEGORIES + 5
    X = pd.DataFrame(
        {"id": [f"user{i}" for i in range(n)], "x": np.arange(n, dtype=float)}
    )
    with pytest.raises(ValueError, match=str(MAX_CATEGORIES)):
        _small().fit(X, np.arange(n) % 2)


def test_pandas_and_polars_in_and_out_pickle_and_clone():
    X, y = make_interaction_table(150)
    pool = _small().set_output(transform="pandas").fit(X, y)
    Z = pool.transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == list(pool.get_feature_names_out())
    restored = pickle.loads(pickle.dumps(pool))
    np.testing.assert_allclose(restored.transform(X).to_numpy(), Z.to_numpy())
    assert clone(pool).get_params() == pool.get_params()
    pl = pytest.importorskip("polars")
    X_pl = pl.from_pandas(X)
    pool_pl = _small().set_output(transform="polars").fit(X_pl, y)
    Z_pl = pool_pl.transform(X_pl)
    assert isinstance(Z_pl, pl.DataFrame)
    np.testing.assert_allclose(Z_pl.to_numpy(), Z.to_numpy(), rtol=1e-6, atol=1e-8)


def test_string_dtype_columns_are_categorical():
    X, y = make_interaction_table(150, missing=0)
    X["colour"] = X["colour"].astype("string")
    pool = _small().fit(X, y)
    assert pool._schema.categorical[4]


def test_warm_start_refuses_changed_categorical_features():
    X, y = make_interaction_table(100)
    pool = _small(warm_start=True).fit(X, y)
    pool.set_params(categorical_features=["shop", "colour"])
    with pytest.raises(ValueError, match="categorical_features"):
        pool.fit(X, y)


def test_self_supervised_fit_on_a_table():
    X, _ = make_interaction_table(200)
    pool = _small().fit(X)
    assert np.isfinite(pool.loss_curve_).all()
    assert pool.loss_curve_[-1] < pool.loss_curve_[0]
    assert np.isfinite(pool.transform(X)).all()


def test_attention_points_at_the_informative_columns():
    X, y = make_interaction_table(1500, missing=0)
    pool = AttentionPooling(random_state=0).fit(X, y)
    importances = pd.Series(pool.token_importances_, index=X.columns)
    informative = importances[["shop", "price"]]
    assert informative.min() > importances.drop(["shop", "price"]).max()
