"""AttentionPoolingClassifier and AttentionPoolingRegressor: AttentionPooling's
network and training, predicting with the trained head."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.metrics import r2_score

from skmanifold_attn import (
    AttentionPooling,
    AttentionPoolingClassifier,
    AttentionPoolingRegressor,
)
from skmanifold_attn._demo import make_mixed_table

# The small configurations stop at max_iter on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(embed_dim=8, n_heads=2, max_iter=20, random_state=0)


def _regression(n=200, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, X[:, 0] * X[:, 1] + 0.5 * X[:, 2]


def test_classifier_is_attention_pooling_with_its_head():
    X, y = load_iris(return_X_y=True)
    clf = AttentionPoolingClassifier(alpha=0.1, **SMALL).fit(X, y)
    pool = AttentionPooling(task="classification", alpha=0.1, **SMALL).fit(X, y)
    # The same network, the same training loop: the same pooled vectors.
    np.testing.assert_allclose(clf.transform(X), pool.transform(X), rtol=1e-6)
    assert clf.loss_curve_ == pool.loss_curve_
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-5)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, y) == np.mean(clf.predict(X) == y)


def test_classifier_on_a_mixed_table_with_string_labels():
    X, y = make_mixed_table(600)
    labels = np.where(y == 1, "buy", "leave")
    clf = AttentionPoolingClassifier(random_state=0).fit(X[:400], labels[:400])
    assert list(clf.classes_) == ["buy", "leave"]
    assert set(clf.predict(X[400:])) <= {"buy", "leave"}
    assert clf.score(X[400:], labels[400:]) > 0.75
    # Categories unseen at fit and missing entries are no error.
    X_new = X[400:].copy()
    X_new["colour"] = X_new["colour"].replace("red", "purple")
    assert clf.predict(X_new).shape == (200,)


def test_regressor_predicts_in_the_units_of_y():
    X, y = _regression()
    reg = AttentionPoolingRegressor(**SMALL).fit(X, y)
    # Targets are standardised internally: grams train like kilograms.
    grams = AttentionPoolingRegressor(**SMALL).fit(X, 1000 * y + 5000)
    np.testing.assert_allclose(
        grams.predict(X), 1000 * reg.predict(X) + 5000, rtol=1e-4, atol=1e-2
    )
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) == pytest.approx(r2_score(y, reg.predict(X)))


def test_regressor_several_targets():
    X, y = _regression()
    Y = np.column_stack([y, -3 * y])
    reg = AttentionPoolingRegressor(**SMALL).fit(X, Y)
    assert reg.n_outputs_ == 2
    assert reg.predict(X).shape == (200, 2)


@pytest.mark.parametrize(
    "estimator", [AttentionPoolingClassifier(), AttentionPoolingRegressor()]
)
def test_fit_needs_y_and_task_is_not_a_parameter(estimator):
    params = estimator.get_params()
    assert "task" not in params and "mask_fraction" not in params
    with pytest.raises(ValueError, match="requires y to be passed"):
        clone(estimator).fit(np.ones((5, 2)), None)


def test_classifier_refuses_continuous_labels():
    X, y = _regression()
    with pytest.raises(ValueError, match="Unknown label type"):
        AttentionPoolingClassifier(**SMALL).fit(X, y)


def test_classifier_partial_fit_with_classes():
    X, y = load_iris(return_X_y=True)
    clf = AttentionPoolingClassifier(**SMALL)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    for _ in range(5):
        clf.partial_fit(X, y)
    assert list(clf.classes_) == [0, 1, 2]
    assert clf.n_iter_ == 6


def test_regressor_on_a_dataframe_with_missing_values():
    X, _ = make_mixed_table(300)
    target = 2.0 * X["price"].fillna(0).to_numpy() + (X["shop"] == "a").to_numpy()
    reg = AttentionPoolingRegressor(random_state=0).fit(X, target)
    assert list(reg.feature_names_in_) == list(X.columns)
    assert reg.score(X, target) > 0.8
    empty = pd.DataFrame({name: [np.nan] for name in X.columns}).astype(X.dtypes)
    assert np.isfinite(reg.predict(empty)).all()
