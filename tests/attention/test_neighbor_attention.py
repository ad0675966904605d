"""NeighborAttention, NeighborAttentionClassifier and NeighborAttentionRegressor."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
)
from sklearn.neural_network import MLPClassifier, MLPRegressor

from skmanifold_attn import (
    NeighborAttention,
    NeighborAttentionClassifier,
    NeighborAttentionRegressor,
)
from skmanifold_attn.attention._neighbor_features import RowFeatures
from skmanifold_attn.attention._neighbor_kernel import (
    LOG_BANDWIDTHS,
    kernel_vote_losses,
)

FAST = dict(n_neighbors=5, embed_dim=8, max_iter=15, random_state=0)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=Warning)
        yield


def local_table(n_samples=1500, seed=0):
    """A target that is a local (non-additive) function of four of six inputs."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n_samples, 6))
    y = np.sin(2 * X[:, 0]) * X[:, 1] + np.cos(1.5 * X[:, 2] * X[:, 3])
    return X, y + 0.1 * rng.normal(size=n_samples)


def _digits(n=400):
    X, y = load_digits(return_X_y=True)
    return X[:n], y[:n]


def test_transform_of_training_rows_equals_fit_transform():
    X, y = _digits()
    est = NeighborAttention(**FAST)
    Z = est.fit_transform(X, y)
    assert Z.shape == (len(X), 16)
    np.testing.assert_array_equal(est.transform(X), Z)
    # Rows in another order and other chunks: each row gets the same output.
    order = np.random.RandomState(0).permutation(len(X))
    np.testing.assert_allclose(est.transform(X[order]), Z[order], rtol=1e-12)


def test_a_training_row_never_attends_to_itself_or_its_duplicates():
    X, y = _digits()
    X = np.vstack([X, X[:3]])  # rows 0..2 twice
    y = np.concatenate([y, y[:3]])
    est = NeighborAttentionClassifier(**FAST).fit(X, y)
    indices, weights = est.neighbor_weights(X)
    rows = np.arange(len(X))[:, None]
    same = np.all(X[np.maximum(indices, 0)] == X[rows], axis=2)
    assert not np.any(same & (indices >= 0))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    assert np.all(weights >= 0)


def test_neighbor_weights_of_new_rows_are_their_nearest_training_rows():
    X, y = _digits()
    est = NeighborAttentionRegressor(scale_retrieval=False, **FAST).fit(
        X[:300], y[:300]
    )
    indices, weights = est.neighbor_weights(X[300:])
    distances = np.linalg.norm(X[:300][None] - X[300:, None], axis=2)
    expected = np.sort(distances, axis=1)[:, :5]
    np.testing.assert_allclose(
        np.take_along_axis(distances, indices, axis=1), expected, rtol=1e-12
    )
    assert weights.shape == (100, 5)


@pytest.mark.parametrize("weights", ["uniform", "barycentric"])
def test_fixed_weightings(weights):
    X, y = _digits(200)
    est = NeighborAttentionClassifier(weights=weights, **FAST).fit(X, y)
    idx, w = est.neighbor_weights(X[:10])
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
    if weights == "uniform":
        np.testing.assert_allclose(w, 1 / 5)


def test_classifier_predicts_classes_and_probabilities():
    X, y = _digits()
    labels = np.array(list("abcdefghij"))[y]
    clf = NeighborAttentionClassifier(
        n_neighbors=5, learning_rate_init=0.01, max_iter=30, random_state=0
    ).fit(X[:300], labels[:300])
    proba = clf.predict_proba(X[300:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert set(clf.predict(X[300:])) <= set(clf.classes_)
    assert clf.score(X[300:], labels[300:]) > 0.8


def test_float32_is_kept():
    X, y = _digits(200)
    Z = NeighborAttention(**FAST).fit_transform(X.astype(np.float32), y)
    assert Z.dtype == np.float32


def test_transformer_task():
    X, y = _digits(200)
    assert hasattr(NeighborAttention(**FAST).fit(X, y), "classes_")
    reg = NeighborAttention(**FAST).fit(X, y.astype(float))
    assert reg._task == "regression"
    reg = NeighborAttention(task="regression", **FAST).fit(X, y)
    assert reg._task == "regression"


def test_warm_start_continues_and_refuses_a_new_architecture():
    X, y = _digits(200)
    est = NeighborAttentionClassifier(warm_start=True, **FAST).fit(X, y)
    first = est.n_iter_
    est.fit(X, y)
    assert est.n_iter_ > first
    est.set_params(embed_dim=4)
    with pytest.raises(ValueError, match="embed_dim"):
        est.fit(X, y)


def test_early_stopping_keeps_the_best_validation_score():
    X, y = _digits()
    clf = NeighborAttentionClassifier(early_stopping=True, **FAST).fit(X, y)
    assert clf.best_validation_score_ == max(clf.validation_scores_)


# -- bad input -----------------------------------------------------------------
def test_n_neighbors_larger_than_the_training_set():
    X, y = _digits(6)
    with pytest.raises(ValueError, match="n_neighbors < n_samples"):
        NeighborAttentionClassifier(n_neighbors=6).fit(X, y)


def test_single_class():
    X, _ = _digits(20)
    with pytest.raises(ValueError, match="only one class"):
        NeighborAttentionClassifier(n_neighbors=3).fit(X, np.zeros(20))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_regression_targets(bad):
    X, _ = _digits(20)
    y = np.arange(20.0)
    y[3] = bad
    with pytest.raises(ValueError, match="Input y contains"):
        NeighborAttentionRegressor(n_neighbors=3).fit(X, y)


def test_transform_before_fit_and_wrong_number_of_columns():
    X, y = _digits(40)
    with pytest.raises(NotFittedError):
        NeighborAttention().transform(X)
    with pytest.raises(NotFittedError):
        NeighborAttentionClassifier().neighbor_weights(X)
    est = NeighborAttentionRegressor(**FAST).fit(X, y.astype(float))
    with pytest.raises(ValueError, match="X has 10 features"):
        est.predict(X[:, :10])


def test_fit_without_y():
    with pytest.raises(ValueError, match="requires y"):
        NeighborAttention().fit(_digits(20)[0], None)


def test_categorical_columns_and_missing_values():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    n = 300
    colour = rng.choice(["red", "green", "blue"], size=n)
    x = rng.normal(size=n)
    y = np.where(colour == "red", 2.0, 0.0) + x
    x_missing = x.copy()
    x_missing[::7] = np.nan
    df = pd.DataFrame({"x": x_missing, "colour": pd.Categorical(colour)})
    reg = NeighborAttentionRegressor(n_neighbors=8, max_iter=40, random_state=0)
    reg.fit(df[:250], y[:250])
    # One-hot colours (3), the numeric column and its missing indicator.
    assert reg._features.n_columns == 5
    prediction = reg.predict(df[250:])
    assert np.all(np.isfinite(prediction))
    assert reg.score(df[250:], y[250:]) > 0.5
    # A colour unseen in fit is all zeros, not an error.
    new = pd.DataFrame({"x": [0.1], "colour": pd.Categorical(["purple"])})
    assert np.isfinite(reg.predict(new)).all()
    # transform(X_train) == fit_transform(X_train) with categories and NaN.
    est = NeighborAttention(**FAST)
    np.testing.assert_array_equal(est.fit_transform(df, y), est.transform(df))


def test_a_column_without_values_is_refused():
    X, y = _digits(40)
    X = X.copy()
    X[:, 3] = np.nan
    with pytest.raises(ValueError, match="no value"):
        NeighborAttentionRegressor(n_neighbors=3).fit(X, y.astype(float))


# -- scale_retrieval="auto" and the classifier's initial bandwidth --------------
def test_auto_retrieval_space_is_the_one_where_neighbours_predict_better():
    # Digits: standardising weighs the rarely inked pixels as much as the
    # others, and the pixels' own space gives the better neighbours.
    X, y = _digits()
    auto = NeighborAttentionClassifier(scale_retrieval="auto", **FAST)
    auto.fit(X[:300], y[:300])
    assert auto.scale_retrieval_ is False
    raw = NeighborAttentionClassifier(scale_retrieval=False, **FAST)
    raw.fit(X[:300], y[:300])
    np.testing.assert_array_equal(
        auto.neighbor_weights(X[300:])[0], raw.neighbor_weights(X[300:])[0]
    )
    # A table where a noise column in large units hides the signal unless
    # the columns are standardised.
    rng = np.random.RandomState(0)
    X = np.c_[rng.uniform(-2, 2, size=(300, 2)), 1000 * rng.normal(size=300)]
    y = np.sin(2 * X[:, 0]) + X[:, 1]
    reg = NeighborAttentionRegressor(scale_retrieval="auto", **FAST).fit(X, y)
    assert reg.scale_retrieval_ is True
    fixed = NeighborAttentionRegressor(scale_retrieval=False, **FAST).fit(X, y)
    assert fixed.scale_retrieval_ is False
    assert NeighborAttentionRegressor(**FAST).fit(X, y).scale_retrieval_ is True


@pytest.mark.parametrize("factor", [1e-300, 1e150])
def test_space_as_given_has_one_common_factor_and_ignores_a_global_scale(factor):
    # The columns keep their relative units (one power of two divides them
    # all), the mean squared spread per column is about 1 as in the
    # standardised space, and a global scale of the data, where squared raw
    # distances would underflow (1e-300) or grow huge, finds the same
    # neighbours and the same predictions.
    rng = np.random.RandomState(0)
    units = np.array([1.0, 10.0, 0.1])
    X = rng.normal(size=(80, 3)) * units + 5
    y = X[:, 1] + X[:, 0] * X[:, 2] + 0.1 * rng.normal(size=80)
    features = RowFeatures(X, None)
    Z = features.transform(X, scaled=False)
    assert np.log2(features.common) == np.round(np.log2(features.common))
    np.testing.assert_allclose(Z * features.common + features.mean, X, rtol=1e-12)
    spread = Z.std(axis=0)
    np.testing.assert_allclose(spread / spread[0], units, rtol=0.3)
    assert 0.5 < np.mean(spread**2) < 2
    scaled = RowFeatures(X * factor, None).transform(X * factor, scaled=False)
    ratio = scaled / np.where(Z == 0, 1, Z)
    np.testing.assert_allclose(ratio[Z != 0], np.median(ratio), rtol=1e-9)
    fits = [
        NeighborAttentionRegressor(scale_retrieval=False, **FAST).fit(X * f, y)
        for f in (1.0, factor)
    ]
    X_new = X[:10] + 0.3
    np.testing.assert_array_equal(
        fits[0].neighbor_weights(X_new)[0], fits[1].neighbor_weights(X_new * factor)[0]
    )
    np.testing.assert_allclose(
        fits[0].predict(X_new), fits[1].predict(X_new * factor), rtol=1e-6, atol=1e-9
    )


def test_classifier_starts_at_the_best_leave_one_out_kernel_bandwidth():
    X, y = _digits()
    clf = NeighborAttentionClassifier(scale_retrieval=False, **FAST).fit(X, y)
    # The same losses from scikit-learn's neighbours (each row leaves itself out).
    distances, neighbors = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X)
    distances, neighbors = distances[:, 1:], neighbors[:, 1:]
    table = np.eye(10)[y]
    losses = kernel_vote_losses(
        distances,
        np.ones(distances.shape, dtype=bool),
        lambda rows: table[neighbors[rows]],
        table,
        classification=True,
    )
    assert clf._kernel_log_bandwidth == LOG_BANDWIDTHS[np.argmin(losses)]
    assert np.argmin(losses) > 0  # not the smoothest kernel tried
    # Not with the learned space (its context is not the one judged), nor
    # for the regressor: both start at g = 0.
    learned = NeighborAttentionClassifier(retrieval="learned", **FAST).fit(X, y)
    assert learned._kernel_log_bandwidth is None
    assert learned._model.log_bandwidth[0] != clf._model.log_bandwidth[0]
    reg = NeighborAttentionRegressor(**FAST).fit(X, y.astype(float))
    assert reg._kernel_log_bandwidth is None


# -- evidence (small; the benchmark has the full comparison) --------------------
def test_digits_at_defaults_beat_the_mlp_and_match_tuned_knn():
    # Measured with the benchmark's folds: 0.9866 at this seed (0.9865 over
    # seeds 0, 1, 2) against 0.9861 for k-nearest neighbours with k tuned by
    # an inner grid search and 0.972 for the MLP: a tie with kNN to about one
    # test row per fold, hence the margin below (two rows per fold). The
    # default scale_retrieval="auto" keeps the pixels' own space here; with
    # the standardised space (scale_retrieval=True) the classifier scores
    # 0.977 (0.979 over the three seeds): standardised pixels make worse
    # neighbours.
    X, y = load_digits(return_X_y=True)
    cv = StratifiedKFold(3, shuffle=True, random_state=0)
    clf = NeighborAttentionClassifier(random_state=0)
    ours = cross_val_score(clf, X, y, cv=cv)
    knn = GridSearchCV(KNeighborsClassifier(), {"n_neighbors": [1, 3, 5, 10, 20]})
    knn_score = cross_val_score(knn, X, y, cv=cv).mean()
    mlp_score = cross_val_score(MLPClassifier(random_state=0), X, y, cv=cv).mean()
    assert ours.mean() > mlp_score + 0.005
    assert ours.mean() > knn_score - 2 / 600


def test_local_regression_beats_tuned_knn_and_mlp():
    X, y = local_table(1200)
    cv = KFold(3, shuffle=True, random_state=0)
    ours = cross_val_score(
        NeighborAttentionRegressor(max_iter=60, random_state=0), X, y, cv=cv
    ).mean()
    knn = GridSearchCV(KNeighborsRegressor(), {"n_neighbors": [3, 5, 10, 20]})
    knn_score = cross_val_score(knn, X, y, cv=cv).mean()
    mlp_score = cross_val_score(MLPRegressor(random_state=0), X, y, cv=cv).mean()
    assert ours > knn_score + 0.05
    assert ours > mlp_score


# -- retrieval in the learned space ------------------------------------------------
LEARNED = dict(FAST, retrieval="learned", retrieval_refresh=3)


def _key_neighbors(keys, queries, n_neighbors, exclude_self):
    distances = np.linalg.norm(queries[:, None] - keys[None], axis=2)
    if exclude_self:
        np.fill_diagonal(distances, np.inf)
    return np.sort(distances, axis=1)[:, :n_neighbors], distances


@pytest.mark.parametrize("bad", [dict(retrieval="keys"), dict(retrieval_refresh=0)])
def test_learned_retrieval_parameters_are_validated(bad):
    X, y = _digits(40)
    with pytest.raises(ValueError, match="retrieval"):
        NeighborAttentionClassifier(**bad).fit(X, y)


def test_learned_retrieval_is_refreshed_on_the_current_keys(monkeypatch):
    X, y = local_table(200)
    calls = []
    learned_context = NeighborAttentionRegressor._learned_context

    def spy(self, model, space):
        result = learned_context(self, model, space)
        # The refreshed context: the nearest other rows by the current keys.
        keys = model.keys(model.memory[0]).astype(np.float64)
        expected, distances = _key_neighbors(keys, keys, 5, exclude_self=True)
        got = np.take_along_axis(distances, result[0], axis=1)
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
        calls.append(result[0])
        return result

    monkeypatch.setattr(NeighborAttentionRegressor, "_learned_context", spy)
    params = dict(LEARNED, max_iter=7, tol=0, n_iter_no_change=100)
    reg = NeighborAttentionRegressor(**params).fit(X, y)
    assert len(calls) == 2  # before epochs 4 and 7
    inputs = NeighborAttentionRegressor(**dict(params, retrieval="input")).fit(X, y)
    initial = inputs._model.memory[2]
    assert np.mean(np.sort(calls[-1], 1) != np.sort(initial, 1)) > 0.2
    np.testing.assert_array_equal(reg._model.memory[2], calls[-1])
    # New rows: their nearest training rows by the final keys.
    new = local_table(30, seed=1)[0]
    indices, weights = reg.neighbor_weights(new)
    queries = reg._model.keys(reg._features.transform(new))
    expected, distances = _key_neighbors(reg._model.memory_keys, queries, 5, False)
    got = np.take_along_axis(distances, indices, axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    # A warm-started fit starts from the learned space at once.
    calls.clear()
    reg.set_params(warm_start=True, max_iter=2).fit(X, y)
    assert len(calls) == 1


def test_learned_retrieval_transform_of_training_rows_and_self_exclusion():
    X, y = _digits(300)
    X = np.vstack([X, X[:3]])  # rows 0..2 twice
    y = np.concatenate([y, y[:3]])
    est = NeighborAttention(**LEARNED)
    Z = est.fit_transform(X, y)
    np.testing.assert_array_equal(est.transform(X), Z)
    order = np.random.RandomState(0).permutation(len(X))
    np.testing.assert_allclose(est.transform(X[order]), Z[order], rtol=1e-12)
    indices, weights = est.neighbor_weights(X)
    rows = np.arange(len(X))[:, None]
    same = np.all(X[np.maximum(indices, 0)] == X[rows], axis=2)
    assert not np.any(same & (indices >= 0))
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
