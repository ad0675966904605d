"""NeighborhoodPreservingEmbedding against a dense reference solve."""

import numpy as np
import pytest
from scipy.linalg import eigh
from sklearn.datasets import make_swiss_roll
from sklearn.manifold._locally_linear import barycenter_kneighbors_graph

from skmanifold_attn import NeighborhoodPreservingEmbedding


def _data(n=300):
    X, _ = make_swiss_roll(n, noise=0.1, random_state=0)
    return np.column_stack([X, np.random.RandomState(1).normal(size=(n, 3))])


def test_matches_dense_reference_with_sklearn_weights():
    X = _data()
    model = NeighborhoodPreservingEmbedding(n_neighbors=8, n_components=3).fit(X)
    # sklearn's own LLE weights, M = (I - W)^T (I - W), dense generalised solve.
    W = barycenter_kneighbors_graph(X, 8, reg=1e-3).toarray()
    M = (np.eye(len(X)) - W).T @ (np.eye(len(X)) - W)
    centred = X - X.mean(axis=0)
    values, vectors = eigh(
        centred.T @ M @ centred, centred.T @ centred, subset_by_index=(0, 2)
    )
    np.testing.assert_allclose(model.eigenvalues_, values, rtol=1e-6)
    for a, b in zip(model.components_, vectors.T, strict=True):
        np.testing.assert_allclose(a, np.sign(a @ b) * b, rtol=1e-5, atol=1e-8)


def test_transform_is_the_linear_map_and_covariance_orthonormal():
    X = _data()
    model = NeighborhoodPreservingEmbedding(n_neighbors=10, n_components=3).fit(X)
    new = X[:5] + 0.3
    np.testing.assert_allclose(
        model.transform(new), (new - model.mean_) @ model.components_.T
    )
    Y = model.transform(X)
    np.testing.assert_allclose(Y.T @ Y, np.eye(3), atol=1e-6)


def test_recovers_the_plane_of_planar_data():
    rng = np.random.RandomState(0)
    plane = rng.uniform(size=(400, 2))
    X = np.column_stack([plane, 1e-3 * rng.normal(size=(400, 1))]) @ np.diag(
        [1.0, 1.0, 5.0]
    )
    model = NeighborhoodPreservingEmbedding(n_neighbors=10, n_components=2).fit(X)
    # The best-reconstructed directions are the plane, not the noisy axis.
    assert (
        np.abs(model.components_[:, 2]).max()
        < 0.2 * np.abs(model.components_[:, :2]).max()
    )


def test_rank_deficient_data():
    rng = np.random.RandomState(0)
    base = rng.normal(size=(100, 3))
    X = np.column_stack([base, base.sum(axis=1), np.full(100, 7.0)])
    model = NeighborhoodPreservingEmbedding(n_neighbors=6, n_components=3).fit(X)
    assert np.linalg.matrix_rank(model.transform(X)) == 3
    with pytest.raises(ValueError, match="rank-deficient"):
        NeighborhoodPreservingEmbedding(n_neighbors=6, n_components=4).fit(X)


def test_errors_and_warnings():
    X = np.random.RandomState(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="n_neighbors = 12, n_samples = 10"):
        NeighborhoodPreservingEmbedding(n_neighbors=12).fit(X)
    with pytest.raises(ValueError, match="n_features=3"):
        NeighborhoodPreservingEmbedding(n_components=5).fit(X)
    with pytest.warns(UserWarning, match="Graph is not fully connected") as record:
        NeighborhoodPreservingEmbedding(n_neighbors=3).fit(np.vstack([X, X + 1e3]))
    # A linear projection, not a spectral embedding: its own wording.
    message = " ".join(str(w.message) for w in record)
    assert "spectral embedding" not in message
    assert "2 connected components" in message and "n_neighbors (now 3)" in message
