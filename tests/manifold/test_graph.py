import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from skmanifold_attn.manifold._graph import (
    fit_neighbors,
    kneighbors_chunked,
    training_neighbors,
)


def _data(n=300, d=3, seed=0):
    return np.random.RandomState(seed).normal(size=(n, d))


def test_fit_neighbors_reuses_a_fitted_index():
    X = _data()
    fitted = NearestNeighbors(n_neighbors=3, algorithm="ball_tree").fit(X)
    nbrs = fit_neighbors(fitted, 6)
    assert nbrs.n_neighbors == 6
    assert nbrs._fit_method == "ball_tree"
    assert nbrs._fit_X is fitted._fit_X


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_kneighbors_chunked_matches_one_query(chunk_size):
    X = _data()
    nbrs = fit_neighbors(X, 5)
    dist, ind = nbrs.kneighbors(X[:50], n_neighbors=5)
    dist_c, ind_c = kneighbors_chunked(
        nbrs, X[:50], 5, return_distance=True, chunk_size=chunk_size
    )
    np.testing.assert_array_equal(ind, ind_c)
    np.testing.assert_allclose(dist, dist_c)
    np.testing.assert_array_equal(
        ind, kneighbors_chunked(nbrs, X[:50], 5, chunk_size=chunk_size)
    )


def test_training_neighbors_exclude_self_as_sklearn():
    X = _data()
    nbrs = fit_neighbors(X, 5)
    ind = training_neighbors(nbrs, 4, chunk_size=64)
    assert ind.shape == (300, 4) and ind.flags.c_contiguous
    assert not np.any(ind == np.arange(300)[:, None])
    expected = nbrs.kneighbors(X, n_neighbors=5, return_distance=False)[:, 1:]
    np.testing.assert_array_equal(ind, expected)
