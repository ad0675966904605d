"""The affinity checks and Nystrom affinities of _laplacian_affinity."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import rbf_kernel

from skmanifold_attn.manifold._graph import row_index
from skmanifold_attn.manifold._laplacian_affinity import (
    CANDIDATE_FACTOR,
    check_affinities,
    check_precomputed_graph,
    precomputed_affinity_to_fitted,
    rbf_affinity_to_fitted,
)
from skmanifold_attn.manifold._neighbors import SklearnIndex


@pytest.mark.parametrize("sparse", [False, True])
def test_check_affinities_refuses_bad_values(sparse):
    A = rbf_kernel(np.random.RandomState(0).uniform(size=(10, 2)))
    wrap = sp.csr_matrix if sparse else np.asarray
    check_affinities(wrap(A), "A")  # valid: no error
    negative = A.copy()
    negative[2, 3] = -0.25
    with pytest.raises(
        ValueError, match=r"A has negative entries \(the smallest is -0.25\)"
    ):
        check_affinities(wrap(negative), "A")
    infinite = A.copy()
    infinite[1, 1] = np.inf
    with pytest.raises(ValueError, match="A contains NaN or infinity"):
        check_affinities(wrap(infinite), "A")
    check_affinities(sp.csr_matrix((3, 3)), "A")  # no stored entry: nothing to check


def test_check_precomputed_graph_names_shape_and_row():
    D = sp.csr_matrix(np.ones((4, 6)))
    with pytest.raises(ValueError, match="distances to the 5 training rows"):
        check_precomputed_graph(D, 3, 5)
    D = D.tolil()
    D[2, :4] = 0
    D = D.tocsr()
    D.eliminate_zeros()
    check_precomputed_graph(D, 2, 6)  # every row stores 2 or more
    message = (
        f"stores 2 distances in row 2, but 3 are needed.*{CANDIDATE_FACTOR} "
        r"\* n_neighbors_"
    )
    with pytest.raises(ValueError, match=message):
        check_precomputed_graph(D, 3, 6)


@pytest.mark.parametrize("sparse", [False, True])
def test_precomputed_training_rows_lose_their_self_loop_only(sparse):
    rng = np.random.RandomState(0)
    affinity = rbf_kernel(rng.uniform(size=(8, 2)))
    queries = np.vstack([affinity[[5, 1]], rng.uniform(size=(1, 8))])
    given = sp.csr_matrix(queries) if sparse else queries
    before = given.copy()
    weights, matches = precomputed_affinity_to_fitted(
        given, affinity, row_index(affinity), None
    )
    np.testing.assert_array_equal(matches, [5, 1, -1])
    expected = queries.copy()
    expected[0, 5] = expected[1, 1] = 0.0
    dense = weights.toarray() if sparse else weights
    np.testing.assert_array_equal(dense, expected)
    # The caller's matrix is left as it was.
    if sparse:
        np.testing.assert_array_equal(given.toarray(), before.toarray())
    else:
        np.testing.assert_array_equal(given, before)


def test_precomputed_rows_as_given_before_symmetrising_match():
    rng = np.random.RandomState(1)
    given = rbf_kernel(rng.uniform(size=(6, 2))) * (1 + rng.uniform(size=(6, 6)))
    symmetric = 0.5 * (given + given.T)
    weights, matches = precomputed_affinity_to_fitted(
        given[[3, 0]], symmetric, row_index(symmetric), None
    )
    np.testing.assert_array_equal(matches, [-1, -1])
    weights, matches = precomputed_affinity_to_fitted(
        given[[3, 0]], symmetric, row_index(symmetric), (given, row_index(given))
    )
    np.testing.assert_array_equal(matches, [3, 0])
    assert weights[0, 3] == 0.0 and weights[1, 0] == 0.0


def test_rbf_affinities_drop_the_self_loop_of_training_rows():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(12, 3))
    index = SklearnIndex().build(X, 1)
    queries = np.vstack([X[[4]], rng.uniform(size=(1, 3))])
    weights, matched = rbf_affinity_to_fitted(queries, index, 0.7)
    np.testing.assert_array_equal(matched, [4, -1])
    expected = rbf_kernel(queries, X, gamma=0.7)
    expected[0, 4] = 0.0
    np.testing.assert_allclose(weights, expected, rtol=1e-12)
