import numpy as np
from numpy.testing import assert_array_equal
from sklearn.neighbors import NearestNeighbors

from skmanifold_attn.metrics import _knn
from skmanifold_attn.metrics._knn import count_within, kneighbors_excluding_self


def test_same_lists_as_kneighbors_without_queries(monkeypatch):
    monkeypatch.setattr(_knn, "QUERY_CHUNK", 7)  # many chunks
    rng = np.random.RandomState(0)
    # Duplicates (more than n_neighbors of some rows) included.
    X = np.vstack([rng.randn(40, 3), np.repeat(rng.randn(2, 3), 6, axis=0)])
    expected_dist, expected = NearestNeighbors(n_neighbors=4).fit(X).kneighbors()
    distances, indices, _ = kneighbors_excluding_self(X, 4)
    assert_array_equal(indices, expected)
    assert_array_equal(distances, expected_dist)
    rows = np.array([3, 41, 0])
    _, some, _ = kneighbors_excluding_self(X, 4, rows=rows)
    assert_array_equal(some, expected[rows])


def test_count_within(monkeypatch):
    monkeypatch.setattr(_knn, "QUERY_CHUNK", 5)
    rng = np.random.RandomState(1)
    X = rng.randn(50, 2)
    centers = rng.randint(0, 50, size=23)
    radii = rng.uniform(0, 2, size=23)
    counts, _ = count_within(X, centers, radii)
    distances = np.linalg.norm(X[centers][:, None] - X[None], axis=2)
    assert_array_equal(counts, (distances <= radii[:, None]).sum(axis=1))
