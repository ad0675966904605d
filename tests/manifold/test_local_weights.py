import numpy as np
import pytest
from sklearn.manifold._locally_linear import (
    barycenter_kneighbors_graph as sk_barycenter_kneighbors_graph,
)
from sklearn.manifold._locally_linear import barycenter_weights as sk_barycenter_weights

from skmanifold_attn.manifold._graph import fit_neighbors, training_neighbors
from skmanifold_attn.manifold._local_weights import (
    barycenter_kneighbors_graph,
    barycenter_weights,
    locally_linear_map,
    weight_matrix,
)
from skmanifold_attn.manifold._neighbors import SklearnIndex


def _data(n=400, d=5, seed=0):
    return np.random.RandomState(seed).normal(size=(n, d))


@pytest.mark.parametrize("reg", [1e-3, 0.5])
@pytest.mark.parametrize("n_features", [2, 5, 20])
def test_barycenter_weights_match_sklearn(reg, n_features):
    X = _data(d=n_features)
    ind = training_neighbors(fit_neighbors(X, 9), 8)
    ours = barycenter_weights(X, X, ind, reg)
    # A different (Woodbury) solve of systems conditioned up to 1/reg: agree
    # far above rounding on any CPU (measured 6e-11 here).
    np.testing.assert_allclose(ours, sk_barycenter_weights(X, X, ind, reg), rtol=1e-8)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0)


def test_barycenter_weights_same_for_any_n_jobs_and_chunking(monkeypatch):
    import skmanifold_attn.manifold._local_weights as module

    X = _data(n=1000)
    ind = training_neighbors(fit_neighbors(X, 7), 6)
    one = barycenter_weights(X, X, ind)
    monkeypatch.setattr(module, "_CHUNK_BUDGET", 36 * 50)  # 50-row chunks
    np.testing.assert_array_equal(one, barycenter_weights(X, X, ind, n_jobs=2))
    np.testing.assert_array_equal(one, barycenter_weights(X, X, ind, n_jobs=1))


def test_barycenter_weights_duplicates_and_dtype():
    X = np.ones((10, 3), dtype=np.float32)  # zero Gram: ridge reg alone
    ind = np.tile(np.arange(1, 4), (10, 1))
    w = barycenter_weights(X, X, ind)
    assert w.dtype == np.float32
    np.testing.assert_allclose(w, 1 / 3)


def test_barycenter_weights_singular_without_reg_is_clear():
    X = np.ones((10, 3))
    ind = np.tile(np.arange(1, 4), (10, 1))
    with pytest.raises(ValueError, match="reg > 0"):
        barycenter_weights(X, X, ind, reg=0.0)


def test_barycenter_kneighbors_graph_matches_sklearn():
    X = _data()
    ours = barycenter_kneighbors_graph(X, 6)
    theirs = sk_barycenter_kneighbors_graph(X, 6)
    np.testing.assert_allclose(ours.toarray(), theirs.toarray(), atol=1e-12)
    W = weight_matrix(np.ones((2, 2)), np.array([[1, 2], [0, 2]]), 3)
    np.testing.assert_array_equal(W.toarray(), [[0, 1, 1], [1, 0, 1]])


def test_locally_linear_map_reproduces_linear_functions_and_training_values():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(500, 2))
    values = X @ np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]]) + 1.0
    nbrs = SklearnIndex().build(X, 6)
    queries = rng.uniform(0.2, 0.8, size=(50, 2))
    mapped = locally_linear_map(queries, nbrs, values, 6, reg=1e-9, chunk_size=7)
    expected = queries @ np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]]) + 1.0
    np.testing.assert_allclose(mapped, expected, atol=1e-5)
    # training rows come back exactly
    np.testing.assert_array_equal(
        locally_linear_map(X[:20], nbrs, values, 6, n_jobs=2), values[:20]
    )
    blurred = locally_linear_map(X[:20], nbrs, values, 6, snap_exact=False)
    assert not np.array_equal(blurred, values[:20])
