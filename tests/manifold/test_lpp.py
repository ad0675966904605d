"""LocalityPreservingProjections against a dense reference solve."""

import numpy as np
import pytest
from scipy.linalg import eigh
from sklearn.datasets import load_digits, make_swiss_roll
from sklearn.neighbors import kneighbors_graph

from skmanifold_attn import LocalityPreservingProjections


def _reference_lpp(X, n_neighbors, n_components, width):
    """He and Niyogi's recipe, densely: W, L = D - W, X^T L X a = l X^T D X a."""
    distances = kneighbors_graph(X, n_neighbors, mode="distance").toarray()
    linked = (distances > 0) | (distances.T > 0)
    squared = np.maximum(distances, distances.T) ** 2
    W = np.where(linked, 1.0 if width is None else np.exp(-squared / width), 0.0)
    D = np.diag(W.sum(axis=1))
    centred = X - X.mean(axis=0)
    values, vectors = eigh(
        centred.T @ (D - W) @ centred,
        centred.T @ D @ centred,
        subset_by_index=(0, n_components - 1),
    )
    return values, vectors


def _assert_same_directions(ours, reference, rtol=1e-6):
    for a, b in zip(ours.T, reference.T, strict=True):
        sign = np.sign(a @ b)
        np.testing.assert_allclose(a, sign * b, rtol=rtol, atol=rtol * np.abs(b).max())


@pytest.mark.parametrize("weight, width", [("heat", 3.0), ("binary", None)])
def test_matches_dense_reference(weight, width):
    X, _ = make_swiss_roll(300, noise=0.1, random_state=0)
    X = np.column_stack([X, np.random.RandomState(1).normal(size=(300, 2))])
    model = LocalityPreservingProjections(
        n_neighbors=8, n_components=3, weight=weight, kernel_width=width
    ).fit(X)
    values, vectors = _reference_lpp(X, 8, 3, width)
    np.testing.assert_allclose(model.eigenvalues_, values, rtol=1e-6)
    _assert_same_directions(model.components_.T, vectors)


def test_default_kernel_width_is_twice_mean_squared_distance():
    X, _ = make_swiss_roll(200, random_state=0)
    model = LocalityPreservingProjections(n_neighbors=6).fit(X)
    distances = kneighbors_graph(X, 6, mode="distance").data
    assert model.kernel_width_ == pytest.approx(2 * np.mean(distances**2))
    assert LocalityPreservingProjections(weight="binary").fit(X).kernel_width_ is None


def test_transform_is_the_linear_map():
    X, _ = load_digits(return_X_y=True)
    X = X[:400, :30] + np.random.RandomState(0).normal(scale=0.1, size=(400, 30))
    model = LocalityPreservingProjections(n_neighbors=10, n_components=4).fit(X)
    new = X[:7] * 1.1
    np.testing.assert_allclose(
        model.transform(new), (new - model.mean_) @ model.components_.T
    )
    Y = model.transform(X)
    # D-orthonormal on the centred training data.
    degree = np.asarray(model.affinity_matrix_.sum(axis=1)).ravel()
    np.testing.assert_allclose((Y * degree[:, None]).T @ Y, np.eye(4), atol=1e-6)


def test_rank_deficient_data():
    rng = np.random.RandomState(0)
    base = rng.normal(size=(100, 3))
    # Five features spanning three dimensions, plus a constant feature.
    X = np.column_stack([base, base[:, :2] @ [[1.0], [2.0]], base[:, 0], np.ones(100)])
    model = LocalityPreservingProjections(n_neighbors=6, n_components=3).fit(X)
    assert np.all(np.isfinite(model.transform(X)))
    assert np.linalg.matrix_rank(model.transform(X)) == 3
    with pytest.raises(ValueError, match="rank-deficient.*3 dimension"):
        LocalityPreservingProjections(n_neighbors=6, n_components=4).fit(X)


def test_errors_and_warnings():
    X = np.random.RandomState(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="n_neighbors = 10, n_samples = 10"):
        LocalityPreservingProjections(n_neighbors=10).fit(X)
    with pytest.raises(ValueError, match="n_features=3"):
        LocalityPreservingProjections(n_components=4).fit(X)
    two_clusters = np.vstack([X, X + 1000])
    with pytest.warns(UserWarning, match="Graph is not fully connected") as record:
        LocalityPreservingProjections(n_neighbors=3).fit(two_clusters)
    # A linear projection, not a spectral embedding: its own wording.
    message = " ".join(str(w.message) for w in record)
    assert "spectral embedding" not in message
    assert "2 connected components" in message and "n_neighbors (now 3)" in message
