"""score() of the manifold estimators, and model selection by it."""

import warnings

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.datasets import load_digits, make_s_curve, make_swiss_roll
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skmanifold_attn import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    LocallyLinearEmbedding,
    NeighborhoodPreservingEmbedding,
)
from skmanifold_attn.metrics import trustworthiness

ESTIMATORS = [
    LocallyLinearEmbedding(n_neighbors=10),
    LaplacianEigenmaps(n_neighbors=10),
    NeighborhoodPreservingEmbedding(n_neighbors=10),
    LocalityPreservingProjections(n_neighbors=10),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_score_is_trustworthiness_of_transform(estimator):
    X, _ = make_s_curve(150, random_state=0)
    estimator.fit(X[:100])
    held_out = X[100:]
    expected = trustworthiness(held_out, estimator.transform(held_out), n_neighbors=10)
    assert estimator.score(held_out) == expected
    assert estimator.score(held_out, np.zeros(50)) == expected
    # Tiny inputs: fewer neighbours (n_neighbors < n_samples / 2).
    assert 0 <= estimator.score(X[:5]) <= 1
    with pytest.raises(ValueError, match="at least 3 samples"):
        estimator.score(X[:2])


def test_score_refuses_precomputed_affinities():
    X, _ = make_s_curve(60, random_state=0)
    model = LaplacianEigenmaps(affinity="precomputed_nearest_neighbors", n_neighbors=6)
    from sklearn.metrics import pairwise_distances

    model.fit(pairwise_distances(X))
    with pytest.raises(ValueError, match="precomputed"):
        model.score(pairwise_distances(X))


def _search(X, grid):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return GridSearchCV(
            LocallyLinearEmbedding(random_state=0),
            grid,
            cv=KFold(3, shuffle=True, random_state=0),
        ).fit(X)


@pytest.mark.parametrize("make", [make_swiss_roll, make_s_curve])
def test_grid_search_without_scoring_picks_an_unrolled_embedding(make):
    # Dense enough that neighbours in the ambient space lie on the manifold
    # (at 500 swiss-roll rows, 10 ambient neighbours already cross layers).
    X, t = make(1000, random_state=0)
    search = _search(X, {"n_neighbors": [3, 8, 20], "method": ["standard", "ltsa"]})
    scores = search.cv_results_["mean_test_score"]
    params = search.cv_results_["params"]
    # 3-neighbour LTSA collapses the manifold: it must score lowest.
    assert params[np.argmin(scores)] == {"method": "ltsa", "n_neighbors": 3}
    assert search.best_params_["n_neighbors"] > 3
    # The picked embedding follows the manifold's intrinsic coordinate.
    embedding = search.best_estimator_.embedding_
    rho = max(abs(spearmanr(embedding[:, c], t).statistic) for c in range(2))
    assert rho > 0.9


def test_grid_search_on_digits_agrees_with_the_labels():
    digits = load_digits()
    X, y = digits.data[:450], digits.target[:450]
    search = _search(X, {"n_neighbors": [3, 8], "method": ["standard", "ltsa"]})
    scores = search.cv_results_["mean_test_score"]
    params = search.cv_results_["params"]

    def label_accuracy(p):
        embedding = LocallyLinearEmbedding(random_state=0, **p).fit_transform(X)
        return cross_val_score(KNeighborsClassifier(5), embedding, y, cv=3).mean()

    best = label_accuracy(params[np.argmax(scores)])
    worst = label_accuracy(params[np.argmin(scores)])
    # Chosen without labels, yet the labels are far better kept.
    assert best > worst + 0.2


def test_laplacian_eigenmaps_unit_variance_helps_a_default_classifier():
    digits = load_digits()
    X, y = digits.data[:400], digits.target[:400]

    def accuracy(unit_variance):
        model = make_pipeline(
            MinMaxScaler(),
            LaplacianEigenmaps(
                n_components=4, unit_variance=unit_variance, random_state=0
            ),
            LogisticRegression(),
        )
        return cross_val_score(model, X, y, cv=KFold(3, shuffle=True, random_state=0))

    plain, scaled = accuracy(False).mean(), accuracy(True).mean()
    # About 0.14 and 0.79 (3-fold, default n_neighbors).
    assert plain < 0.4
    assert scaled > 0.65 and scaled > plain + 0.3


def test_laplacian_eigenmaps_unit_variance_is_a_rescaling():
    X, _ = make_s_curve(200, random_state=0)
    plain = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(X[:150])
    scaled = LaplacianEigenmaps(n_neighbors=10, random_state=0, unit_variance=True)
    scaled.fit(X[:150])
    np.testing.assert_allclose(scaled.embedding_.std(axis=0), 1.0)
    factor = scaled.embedding_[0] / plain.embedding_[0]
    np.testing.assert_allclose(scaled.embedding_, plain.embedding_ * factor)
    np.testing.assert_allclose(
        scaled.transform(X[150:]), plain.transform(X[150:]) * factor, atol=1e-10
    )
    np.testing.assert_allclose(scaled.transform(X[:150]), scaled.embedding_, atol=1e-8)
