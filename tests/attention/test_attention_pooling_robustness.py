"""AttentionPooling never trains to nonsense silently: divergence, scales."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skmanifold_attn import AttentionPooling

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(embed_dim=8, n_heads=2, random_state=0)


def _table(n=120, seed=0):
    return make_classification(n, 6, n_informative=4, random_state=seed)


# -- divergence -----------------------------------------------------------------


@pytest.mark.parametrize("learning_rate_init", [10.0, 1e3, 1e6])
@pytest.mark.parametrize("supervised", [True, False])
def test_too_large_learning_rate_raises(learning_rate_init, supervised):
    # Before: losses of 1e4 to 1e19, "converged", outputs up to 1e14.
    X, y = _table()
    pool = AttentionPooling(learning_rate_init=learning_rate_init, max_iter=20, **SMALL)
    with pytest.raises(ValueError, match="Training diverged.*learning_rate_init"):
        pool.fit(X, y if supervised else None)


@pytest.mark.parametrize(
    "params",
    [
        dict(batch_size=1, max_iter=3),
        dict(batch_size=4, learning_rate_init=1e-2, max_iter=10),
        dict(batch_size=2, early_stopping=True, max_iter=5),
    ],
)
@pytest.mark.parametrize("target", ["classes", "continuous", None])
def test_healthy_noisy_fits_do_not_raise(params, target):
    rng = np.random.RandomState(0)
    X = rng.standard_cauchy(size=(60, 4))  # heavy tails: noisy batches
    y = {
        "classes": (X[:, 0] > 0).astype(int),
        "continuous": X[:, 1] + rng.standard_cauchy(size=60),
        None: None,
    }[target]
    pool = AttentionPooling(**SMALL, **params).fit(X, y)
    assert np.all(np.isfinite(pool.loss_curve_))
    assert max(pool.loss_curve_) < 10 * max(abs(pool.loss_curve_[0]), 1)


# -- feature scales ---------------------------------------------------------------


@pytest.mark.parametrize("factor", [1e-300, 1e-150, 1e-16, 1e150, 1e200])
@pytest.mark.parametrize("embedding", ["per_token", "shared"])
def test_any_feature_scale_gives_the_same_model(factor, embedding):
    # Before: below ~1e-16 every column was "constant" and every row
    # transformed to the same vector.
    X, y = _table()
    pool = AttentionPooling(embedding=embedding, max_iter=3, **SMALL)
    expected = pool.fit(X, y).transform(X)
    Z = pool.fit(X * factor, y).transform(X * factor)
    assert np.ptp(Z, axis=0).max() > 0.1
    np.testing.assert_allclose(Z, expected, rtol=1e-6, atol=1e-8)


def test_float32_microamps_are_not_constant():
    # Before: float32 features with a spread below ~1e-6 were constant.
    X, y = _table()
    currents = 1e-6 + 1e-7 * X
    pool = AttentionPooling(max_iter=3, **SMALL)
    expected = pool.fit(currents, y).transform(currents)
    Z = pool.fit(currents.astype(np.float32), y).transform(currents.astype(np.float32))
    assert Z.dtype == np.float32
    assert np.ptp(Z, axis=0).max() > 0.1
    np.testing.assert_allclose(Z, expected, rtol=1e-3, atol=1e-3)


# -- the task, and continued training -------------------------------------------


def _fitted(y, **params):
    X, _ = _table()
    return X, AttentionPooling(max_iter=2, **SMALL, **params).fit(X, y)


def test_warm_start_refuses_a_changed_architecture():
    # Before: the old architecture was silently kept.
    X, y = _table()
    pool = AttentionPooling(max_iter=2, warm_start=True, **SMALL).fit(X, y)
    pool.set_params(embed_dim=16, n_heads=4)
    with pytest.raises(ValueError, match="embed_dim=8 -> 16, n_heads=2 -> 4"):
        pool.fit(X, y)
    with pytest.raises(ValueError, match="set warm_start=False"):
        pool.partial_fit(X, y)
    pool.set_params(warm_start=False).fit(X, y)
    assert pool.transform(X).shape == (120, 16 * pool.n_seeds)


def test_warm_start_with_a_new_class_says_what_to_do():
    # Before: a message about partial_fit and `classes`, which fit lacks.
    X, y = _table()
    pool = AttentionPooling(max_iter=2, warm_start=True, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="labels \\[2\\] not among the") as error:
        pool.fit(X, np.where(X[:, 0] > 1, 2, y))
    assert "set warm_start=False" in str(error.value)
    assert "partial_fit" not in str(error.value)
    pool = AttentionPooling(max_iter=2, **SMALL).partial_fit(X, y)
    with pytest.raises(ValueError, match="pass every label with `classes`"):
        pool.partial_fit(X, y + 1)


@pytest.mark.parametrize("incremental", [False, True])
def test_switching_between_classification_and_regression_says_what_to_do(
    incremental,
):
    # Before: 200 float targets listed as unseen "labels".
    X, y = _table()
    continuing = "partial_fit" if incremental else "warm_start"
    for first, second in [(y, X[:, 0]), (X[:, 0], y)]:
        pool = AttentionPooling(max_iter=2, warm_start=True, **SMALL)
        pool.partial_fit(X, first) if incremental else pool.fit(X, first)
        with pytest.raises(ValueError, match="head was trained for") as error:
            pool.partial_fit(X, second) if incremental else pool.fit(X, second)
        text = str(error.value)
        assert "task=" in text and len(text) < 500
        assert ("start a new estimator" in text) == (continuing == "partial_fit")


def test_single_class_raises():
    # Before: nothing was trained, silently.
    X, _ = _table()
    with pytest.raises(ValueError, match="at least 2 classes.*only one class"):
        AttentionPooling(max_iter=2, **SMALL).fit(X, np.ones(len(X), dtype=int))


def test_task_decides_whole_number_float_targets():
    # Before: whole-number float targets silently became classes.
    X, _ = _table()
    counts = np.round(4 * np.abs(X[:, 0]))  # 0.0, 1.0, ..., 15 values
    assert len(np.unique(counts)) > 5
    assert AttentionPooling(max_iter=1, **SMALL).fit(X, counts)._task == "regression"
    pool = AttentionPooling(task="classification", max_iter=1, **SMALL).fit(X, counts)
    assert pool._task == "classification"
    np.testing.assert_array_equal(pool._targets.classes_, np.unique(counts))
    labels = counts.astype(int)
    assert AttentionPooling(max_iter=1, **SMALL).fit(X, labels)._task == (
        "classification"
    )
    pool = AttentionPooling(task="regression", max_iter=1, **SMALL).fit(X, labels)
    assert pool._task == "regression"
    with pytest.raises(ValueError, match="task='regression'"):
        AttentionPooling(task="classification", max_iter=1, **SMALL).fit(X, X[:, 0])
    # The same targets as floats continue a classification head when the task
    # says so.
    pool = AttentionPooling(max_iter=1, warm_start=True, **SMALL).fit(X, labels)
    with pytest.raises(ValueError, match="Pass task='classification'"):
        pool.fit(X, counts)
    pool.set_params(task="classification").fit(X, counts)
    assert pool.n_iter_ == 2
