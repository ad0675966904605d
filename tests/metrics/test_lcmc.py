import numpy as np
from _metric_reference import full_ranks
from numpy.testing import assert_allclose

from skmanifold_attn.metrics import knn_preservation, lcmc


def _coranking_lcmc(X, E, K):
    # Lee and Verleysen's definition from the full co-ranking matrix.
    n = X.shape[0]
    rank_x, rank_e = full_ranks(X), full_ranks(E)
    off = ~np.eye(n, dtype=bool)
    Q = np.zeros((n - 1, n - 1), dtype=int)
    np.add.at(Q, (rank_x[off] - 1, rank_e[off] - 1), 1)
    return Q[:K, :K].sum() / (K * n) - K / (n - 1)


def test_equals_coranking_definition():
    rng = np.random.RandomState(0)
    X = rng.randn(120, 4)
    E = X[:, :2] + 0.3 * rng.randn(120, 2)
    for K in (1, 5, 20):
        assert_allclose(lcmc(X, E, n_neighbors=K), _coranking_lcmc(X, E, K), atol=1e-12)
        assert_allclose(
            lcmc(X, E, n_neighbors=K), knn_preservation(X, E, n_neighbors=K) - K / 119
        )


def test_random_embedding_near_zero():
    rng = np.random.RandomState(1)
    X = rng.randn(500, 3)
    assert abs(lcmc(X, rng.randn(500, 2), n_neighbors=10)) < 0.02
    assert lcmc(X, X, n_neighbors=10) > 0.95
