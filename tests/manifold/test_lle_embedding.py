"""The numerics of the LLE function form in _lle_embedding."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_s_curve
from sklearn.manifold import locally_linear_embedding as sk_lle
from sklearn.neighbors import NearestNeighbors

from skmanifold_attn.manifold._lle_embedding import (
    _alignment_matrix,
    _locally_linear_embedding,
)


@pytest.fixture(scope="module")
def s_curve():
    return make_s_curve(150, random_state=0)[0]


def _neighbors(X, k):
    return NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)[1][:, 1:]


def test_modified_alignment_ignores_reg_as_sklearn(s_curve):
    # scikit-learn's modified LLE uses a fixed 1e-3 ridge whatever ``reg``.
    neighbors = _neighbors(s_curve, 10)
    kwargs = dict(
        method="modified", n_components=2, hessian_tol=1e-4, modified_tol=1e-12
    )
    small = _alignment_matrix(s_curve, neighbors, reg=1e-9, n_jobs=None, **kwargs)
    large = _alignment_matrix(s_curve, neighbors, reg=0.5, n_jobs=None, **kwargs)
    assert sp.issparse(small)
    np.testing.assert_array_equal(small.toarray(), large.toarray())


@pytest.mark.parametrize("method", ["standard", "ltsa"])
def test_dense_solve_matches_sklearn_and_returns_the_index(s_curve, method):
    Y, error, index = _locally_linear_embedding(
        s_curve,
        n_neighbors=10,
        n_components=2,
        eigen_solver="dense",
        method=method,
        return_index=True,
    )
    ref, ref_error = sk_lle(
        s_curve, n_neighbors=10, n_components=2, eigen_solver="dense", method=method
    )
    for j in range(2):
        assert (
            min(np.abs(Y[:, j] - ref[:, j]).max(), np.abs(Y[:, j] + ref[:, j]).max())
            < 1e-6
        )
    np.testing.assert_allclose(error, ref_error, rtol=1e-5, atol=1e-12)
    assert index.training_neighbors(10).shape == (150, 10)


def test_hessian_needs_enough_neighbours(s_curve):
    with pytest.raises(ValueError, match=r"= 5 for n_components=2; got n_neighbors=5"):
        _locally_linear_embedding(
            s_curve, n_neighbors=5, n_components=2, method="hessian"
        )


@pytest.mark.parametrize("method", ["modified", "hessian", "ltsa"])
def test_spatial_relabelling_gives_the_same_embedding(monkeypatch, method):
    # Above RELABEL_MIN_ROWS the points are relabelled in a spatial order
    # before M is assembled and solved; the embedding comes back in the
    # input's order, equal up to the solver's tolerance.
    from sklearn.datasets import make_swiss_roll

    from skmanifold_attn.manifold import _lle_embedding

    X = make_swiss_roll(6000, random_state=0)[0]
    params = dict(n_neighbors=12, n_components=2, method=method, random_state=0)
    relabelled, error = _lle_embedding._locally_linear_embedding(X, **params)
    monkeypatch.setattr(_lle_embedding, "RELABEL_MIN_ROWS", 10**9)
    plain, plain_error = _lle_embedding._locally_linear_embedding(X, **params)
    np.testing.assert_allclose(error, plain_error, rtol=1e-4)
    rotation = np.linalg.lstsq(relabelled, plain, rcond=None)[0]
    residual = np.linalg.norm(relabelled @ rotation - plain) / np.linalg.norm(plain)
    assert residual < 1e-4


def test_wide_data_are_not_relabelled(monkeypatch):
    # On wide data the copy and the principal directions cost more than the
    # relabelling saves: the points keep their order.
    from skmanifold_attn.manifold import _lle_embedding

    def refuse(points):
        raise AssertionError("wide data were relabelled")

    monkeypatch.setattr(_lle_embedding, "spatial_order", refuse)
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(6000, 2)) @ rng.standard_normal((2, 9))
    embedding, _ = _lle_embedding._locally_linear_embedding(
        X, n_neighbors=8, n_components=2, method="ltsa", random_state=0
    )
    assert embedding.shape == (6000, 2) and np.isfinite(embedding).all()
