import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

from skmanifold_attn.manifold._graph import (
    fit_neighbors,
    kneighbors_chunked,
    match_rows,
    row_index,
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


@pytest.mark.parametrize("sparse_matrix", [False, True])
@pytest.mark.parametrize("sparse_queries", [False, True])
def test_match_rows_finds_exactly_equal_rows(sparse_matrix, sparse_queries):
    rng = np.random.RandomState(0)
    matrix = rng.uniform(size=(40, 40)) * (rng.uniform(size=(40, 40)) < 0.3)
    matrix[7] = matrix[3]  # duplicated rows: the first is returned
    moved = matrix[5].copy()
    moved[np.flatnonzero(moved)[0]] += 1e-12
    extra = matrix[5].copy()
    extra[np.flatnonzero(extra == 0)[0]] = 1e-300
    queries = np.vstack([matrix[[5, 3, 7]], moved, extra])
    indexed = sp.csr_matrix(matrix) if sparse_matrix else matrix
    index = row_index(indexed)
    found = match_rows(
        sp.csr_matrix(queries) if sparse_queries else queries, indexed, index
    )
    np.testing.assert_array_equal(found, [5, 3, 3, -1, -1])
    # Other widths never match.
    assert np.all(match_rows(queries[:, :30], indexed, index) == -1)
