import numpy as np
from numpy.testing import assert_allclose
from sklearn.neighbors import NearestNeighbors

from skmanifold_attn.metrics import knn_preservation


def _reference(X, E, k):
    a = NearestNeighbors(n_neighbors=k).fit(X).kneighbors(return_distance=False)
    b = NearestNeighbors(n_neighbors=k).fit(E).kneighbors(return_distance=False)
    return np.mean([len(set(p) & set(q)) / k for p, q in zip(a, b, strict=True)])


def test_equals_set_overlap():
    rng = np.random.RandomState(0)
    X = rng.randn(150, 5)
    E = X[:, :2] + 0.2 * rng.randn(150, 2)
    for k in (1, 4, 12):
        assert_allclose(knn_preservation(X, E, n_neighbors=k), _reference(X, E, k))


def test_extremes():
    rng = np.random.RandomState(1)
    X = rng.randn(400, 3)
    assert knn_preservation(X, -2 * X, n_neighbors=7) == 1.0
    chance = knn_preservation(X, rng.randn(400, 2), n_neighbors=7)
    assert chance < 0.05  # about k / (n - 1) = 0.018
