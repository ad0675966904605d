"""The PCA pre-transform and exact refinement of the approximate index."""

import numpy as np
import pytest
from _subspace_data import low_rank

from skmanifold_attn.manifold import _pretransform
from skmanifold_attn.manifold._neighbors import _exact_distances


def test_directions_keep_the_variance():
    X = low_rank(n=1000, rank=4, d=60)
    mean, components, discarded = _pretransform.principal_subspace(
        X, 0.999, random_state=np.random.RandomState(0)
    )
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(components @ components.T, np.eye(4), atol=1e-12)
    centred = X - mean
    kept = np.linalg.norm(centred @ components.T) ** 2
    total = np.linalg.norm(centred) ** 2
    assert discarded == pytest.approx(1 - kept / total, rel=1e-8)
    assert discarded <= 1e-3
    # Fewer directions would leave out more than 0.1%.
    assert 1 - np.linalg.norm(centred @ components[:3].T) ** 2 / total > 1e-3


@pytest.mark.parametrize(
    "X",
    [
        np.random.RandomState(0).standard_normal((300, 20)),  # needs all
        np.ones((50, 6)),  # no variance
        np.arange(10.0)[:, None],  # one feature
    ],
)
def test_no_projection_when_it_does_not_pay(X):
    mean, components, discarded = _pretransform.principal_subspace(
        X, 0.999, random_state=np.random.RandomState(0)
    )
    assert components is None and discarded == 0.0
    np.testing.assert_allclose(mean, X.mean(axis=0))


def test_subsample_and_randomized_directions(monkeypatch):
    # Many rows: directions from a row subset; many features: a randomized SVD.
    # Both find the same subspace as the covariance of all rows.
    X = low_rank(n=1000, rank=4, d=60)
    rng = np.random.RandomState(0)
    mean, full, _ = _pretransform.principal_subspace(X, 0.999, random_state=rng)
    monkeypatch.setattr(_pretransform, "MAX_ROWS", 400)
    monkeypatch.setattr(_pretransform, "MAX_EIGH_FEATURES", 10)
    mean_sub, sub, discarded = _pretransform.principal_subspace(
        X, 0.999, random_state=rng
    )
    np.testing.assert_allclose(mean_sub, mean)
    assert full.shape == sub.shape == (4, 60)
    assert 0.0 <= discarded <= 1e-3
    # Same subspace: the projections of one basis on the other are orthonormal.
    singular = np.linalg.svd(full @ sub.T, compute_uv=False)
    np.testing.assert_allclose(singular, 1.0, atol=1e-3)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_refine_is_the_exact_ranking(dtype):
    rng = np.random.RandomState(0)
    data = rng.standard_normal((300, 12)).astype(dtype)
    X = rng.standard_normal((90, 12))
    candidates = np.array([rng.permutation(300)[:15] for _ in range(90)])
    candidates[:, 1] = candidates[:, 0]  # a tie: the first listed comes first
    order = _pretransform.locality_order(X)
    np.testing.assert_array_equal(np.sort(order), np.arange(90))
    expected = _exact_distances(X, data, candidates)
    for by in (None, order):
        distances, indices = _pretransform.refine(X, data, candidates, 6, order=by)
        np.testing.assert_array_equal(indices, expected[1][:, :6])
        np.testing.assert_allclose(distances, expected[0][:, :6], rtol=1e-14)


def test_graph_rows(monkeypatch):
    # Centred in float64 before the float32 cast, also block by block.
    monkeypatch.setattr(_pretransform, "REFINE_BLOCK", 64)
    X = low_rank(n=50, rank=4, d=12) + 1e6
    mean = X.mean(axis=0)
    assert _pretransform.graph_rows(X, None, None).dtype == np.float32
    np.testing.assert_array_equal(
        _pretransform.graph_rows(X, mean, None), (X - mean).astype(np.float32)
    )
    components = np.linalg.qr(np.random.RandomState(1).standard_normal((12, 3)))[0].T
    np.testing.assert_allclose(
        _pretransform.graph_rows(X, mean, components),
        (X - mean) @ components.T,
        rtol=1e-6,
        atol=1e-5,
    )
