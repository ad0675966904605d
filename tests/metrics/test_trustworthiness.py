import numpy as np
import pytest
import scipy.sparse as sp
from _metric_reference import stable_trustworthiness
from numpy.testing import assert_allclose
from sklearn.manifold import trustworthiness as sklearn_trustworthiness
from sklearn.metrics import pairwise_distances

from skmanifold_attn.metrics import _ranks, trustworthiness


def test_sklearn_test_cases():
    # The cases of scikit-learn's test_trustworthiness, compared in-process.
    rng = np.random.RandomState(0)
    X = rng.randn(100, 2)
    assert trustworthiness(X, 5.0 + X / 10.0) == 1.0
    assert trustworthiness(X, 5.0 + X / 10.0) == sklearn_trustworthiness(
        X, 5.0 + X / 10.0
    )

    X = np.arange(100).reshape(-1, 1)
    X_embedded = X.copy()
    rng.shuffle(X_embedded)
    # Exact ties everywhere: scikit-learn orders them by an unstable sort,
    # we by row index; scikit-learn's formula with a stable sort agrees.
    ours = trustworthiness(X, X_embedded)
    assert ours < 0.6
    assert_allclose(ours, stable_trustworthiness(X, X_embedded, 5), rtol=0, atol=1e-12)
    assert_allclose(ours, sklearn_trustworthiness(X, X_embedded), atol=1e-2)

    X = np.arange(5).reshape(-1, 1)
    X_embedded = np.array([[0], [2], [4], [1], [3]])
    ours = trustworthiness(X, X_embedded, n_neighbors=1)
    assert_allclose(ours, 0.2)
    assert_allclose(ours, sklearn_trustworthiness(X, X_embedded, n_neighbors=1))


def test_sklearn_other_metrics():
    rng = np.random.RandomState(0)
    X = rng.randn(100, 2)
    cosine = trustworthiness(X, X, metric="cosine")
    assert cosine == trustworthiness(
        pairwise_distances(X, metric="cosine"), X, metric="precomputed"
    )
    assert_allclose(cosine, sklearn_trustworthiness(X, X, metric="cosine"), atol=1e-12)
    D = pairwise_distances(X) ** 2
    E = rng.randn(100, 2)
    assert_allclose(
        trustworthiness(D, E, n_neighbors=1, metric="precomputed"),
        sklearn_trustworthiness(D, E, n_neighbors=1, metric="precomputed"),
        atol=1e-12,
    )


@pytest.mark.parametrize(
    "n_samples, n_features, n_neighbors",
    [(50, 2, 1), (100, 5, 5), (300, 3, 10), (500, 30, 12), (700, 10, 7)],
)
def test_equals_sklearn_on_random_data(n_samples, n_features, n_neighbors):
    rng = np.random.RandomState(n_samples)
    X = rng.randn(n_samples, n_features)
    for X_embedded in (
        rng.randn(n_samples, 2),
        X[:, :2] + 0.1 * rng.randn(n_samples, 2),
    ):
        assert_allclose(
            trustworthiness(X, X_embedded, n_neighbors=n_neighbors),
            sklearn_trustworthiness(X, X_embedded, n_neighbors=n_neighbors),
            rtol=0,
            atol=1e-12,
        )


def test_sparse_and_float32_input():
    rng = np.random.RandomState(1)
    X = sp.random(120, 8, density=0.5, random_state=rng, format="csr")
    E = rng.randn(120, 2)
    assert_allclose(
        trustworthiness(X, E, n_neighbors=4),
        sklearn_trustworthiness(X, E, n_neighbors=4),
        atol=1e-12,
    )
    Xd = rng.randn(80, 3)
    assert trustworthiness(Xd.astype(np.float32), E[:80]) == trustworthiness(
        Xd.astype(np.float32).astype(np.float64), E[:80]
    )


@pytest.mark.parametrize("stage", ["lists", "tree", "blocks"])
def test_every_rank_stage_gives_the_same(monkeypatch, stage):
    # Force each stage to do the work: tiny neighbour lists, then the tree
    # counts or (tree disabled) the distance blocks.
    rng = np.random.RandomState(2)
    X = rng.randn(400, 3)
    E = X[:, :2] + 0.3 * rng.randn(400, 2)
    expected = sklearn_trustworthiness(X, E, n_neighbors=6)
    if stage != "lists":
        monkeypatch.setattr(_ranks, "_FIRST_FACTOR", 1)
        monkeypatch.setattr(_ranks, "_LIST_ROUNDS", 1)
    if stage == "blocks":
        monkeypatch.setattr(_ranks, "_TREE_MAX_FEATURES", 0)
    monkeypatch.setattr(_ranks, "_BUFFER_ITEMS", 5000)  # many small chunks
    assert_allclose(trustworthiness(X, E, n_neighbors=6), expected, atol=1e-12)


def test_ties_beyond_the_lists_fall_back_to_exact_ranks(monkeypatch):
    # Integer grid: every distance is tied; the tree shell sees the ties
    # and hands the rows to the exact blocks.
    monkeypatch.setattr(_ranks, "_FIRST_FACTOR", 1)
    rng = np.random.RandomState(3)
    X = np.array([[i, j] for i in range(12) for j in range(12)], dtype=float)
    E = rng.permutation(X)
    assert_allclose(
        trustworthiness(X, E, n_neighbors=4),
        stable_trustworthiness(X, E, 4),
        atol=1e-12,
    )


def test_duplicates():
    rng = np.random.RandomState(4)
    X = np.repeat(rng.randn(30, 3), 3, axis=0)
    E = X[:, :2] + 1e-3 * rng.randn(90, 2)
    assert_allclose(
        trustworthiness(X, E, n_neighbors=5),
        stable_trustworthiness(X, E, 5),
        atol=1e-12,
    )


def test_input_not_modified():
    rng = np.random.RandomState(5)
    X, E = rng.randn(60, 4), rng.randn(60, 2)
    X0, E0 = X.copy(), E.copy()
    trustworthiness(X, E)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(E, E0)
