"""The affinity graphs of _graph used by Laplacian Eigenmaps and LPP."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors, kneighbors_graph

from skmanifold_attn.manifold._graph import (
    check_connected,
    heat_kernel_graph,
    knn_affinity_to_training,
    symmetric_knn_affinity,
)


def _data(n=120, seed=0):
    return np.random.RandomState(seed).normal(size=(n, 3))


def test_symmetric_knn_affinity_is_sklearns():
    X = _data()
    distances, indices = NearestNeighbors(n_neighbors=7).fit(X).kneighbors(X)
    ours = symmetric_knn_affinity(indices, len(X))
    connectivity = kneighbors_graph(X, 7, include_self=True)
    expected = 0.5 * (connectivity + connectivity.T)
    assert abs(ours - expected).max() == 0


def test_query_rows_reproduce_training_rows_without_self_loops():
    X = _data()
    k = 6
    nbrs = NearestNeighbors(n_neighbors=len(X), algorithm="kd_tree").fit(X)
    distances, indices = nbrs.kneighbors(X)
    training = symmetric_knn_affinity(indices[:, :k], len(X)).toarray()
    np.fill_diagonal(training, 0)
    rows = knn_affinity_to_training(
        distances,
        indices,
        distances[:, k - 1],
        k,
        len(X),
        is_self=np.ones(len(X), dtype=bool),
    ).toarray()
    np.testing.assert_array_equal(rows, training)


def test_new_point_joins_with_k_minus_one_forward_neighbours():
    X = np.arange(10.0)[:, None]
    nbrs = NearestNeighbors(n_neighbors=3).fit(X)
    radius = nbrs.kneighbors(X)[0][:, -1]
    distances, indices = nbrs.kneighbors([[4.4]], n_neighbors=6)
    row = knn_affinity_to_training(distances, indices, radius, 3, 10).toarray()[0]
    # Forward: 4 and 5 (k - 1 = 2); backward: 4.4 is within radius 1 of 4 and 5.
    expected = np.zeros(10)
    expected[[4, 5]] = 1.0
    np.testing.assert_array_equal(row, expected)


@pytest.mark.parametrize("width", [None, 2.0, "auto"])
def test_heat_kernel_graph(width):
    X = _data()
    distances, indices = NearestNeighbors(n_neighbors=6).fit(X).kneighbors(X)
    W, used = heat_kernel_graph(
        distances[:, 1:], indices[:, 1:], len(X), kernel_width=width
    )
    W = W.toarray()
    np.testing.assert_array_equal(W, W.T)
    assert np.all(np.diag(W) == 0)
    linked = kneighbors_graph(X, 5).toarray()
    linked = (linked + linked.T) > 0
    np.testing.assert_array_equal(W > 0, linked)
    if width is None:
        assert used is None and set(np.unique(W)) == {0.0, 1.0}
    else:
        squared = ((X[:, None, :] - X[None, :, :]) ** 2).sum(-1)
        np.testing.assert_allclose(W[linked], np.exp(-squared[linked] / used))


def test_check_connected_warns_with_a_remedy():
    W = np.kron(np.eye(2), np.ones((3, 3)))
    with pytest.warns(UserWarning, match="not fully connected.*2 connected.*do this"):
        assert check_connected(W, remedy="do this") == 2
    assert check_connected(np.ones((4, 4)), remedy="unused") == 1
