"""The generalised and graph-Laplacian eigen solvers of _eigen_generalized."""

import sys

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.sparse.csgraph import laplacian
from sklearn.neighbors import kneighbors_graph

from skmanifold_attn.manifold._eigen_generalized import (
    generalized_bottom_eigh,
    laplacian_bottom_eigenvectors,
    laplacian_solver,
)


def _pair(d=6, seed=0):
    rng = np.random.RandomState(seed)
    F = rng.normal(size=(40, d))
    G = rng.normal(size=(40, d))
    return F.T @ F, G.T @ G


def test_generalized_matches_scipy_on_full_rank():
    A, B = _pair()
    vectors, values, rank = generalized_bottom_eigh(A, B, 3)
    ref_values, ref_vectors = eigh(A, B, subset_by_index=(0, 2))
    assert rank == 6
    np.testing.assert_allclose(values, ref_values, rtol=1e-7)
    np.testing.assert_allclose(np.abs(vectors), np.abs(ref_vectors), rtol=1e-6)
    np.testing.assert_allclose(vectors.T @ B @ vectors, np.eye(3), atol=1e-7)
    # Deterministic signs: the largest-magnitude entry is positive.
    assert np.all(vectors[np.abs(vectors).argmax(axis=0), range(3)] > 0)


def test_generalized_drops_the_null_space_of_b():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    X = np.column_stack([X, X[:, 0] - X[:, 1]])
    B = X.T @ X
    A = np.eye(4)
    vectors, _, rank = generalized_bottom_eigh(A, B, 3)
    assert rank == 3
    # Every direction has real variance: no 0/0 direction along the null space.
    assert np.all(np.linalg.norm(X @ vectors, axis=0) > 0.5)
    with pytest.raises(ValueError, match="rank-deficient.*3 dimension.*n_components=4"):
        generalized_bottom_eigh(A, B, 4)


@pytest.fixture(scope="module")
def normalized_laplacian():
    X = np.random.RandomState(0).uniform(size=(400, 2))
    W = kneighbors_graph(X, 8, include_self=True)
    L, sqrt_degree = laplacian(0.5 * (W + W.T), normed=True, return_diag=True)
    return sp.csr_matrix(L), sqrt_degree


@pytest.mark.parametrize("solver", ["arpack", "lobpcg", "amg"])
def test_laplacian_solvers_agree_with_dense(normalized_laplacian, solver):
    if solver == "amg":
        pytest.importorskip("pyamg")
    L, sqrt_degree = normalized_laplacian
    ref_values, ref_vectors = laplacian_bottom_eigenvectors(L, 4, eigen_solver="dense")
    values, vectors = laplacian_bottom_eigenvectors(
        L,
        4,
        eigen_solver=solver,
        tol=0.0 if solver == "arpack" else 1e-8,
        random_state=np.random.RandomState(0),
        start=sqrt_degree,
    )
    np.testing.assert_allclose(values, ref_values, atol=1e-6)
    overlap = np.abs(np.sum(vectors * ref_vectors, axis=0))
    np.testing.assert_allclose(overlap, 1.0, atol=1e-4)


def test_amg_without_pyamg_is_a_clear_error(normalized_laplacian, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyamg", None)
    with pytest.raises(ValueError, match="needs pyamg.*pip install"):
        laplacian_bottom_eigenvectors(
            normalized_laplacian[0], 3, eigen_solver="amg", random_state=0
        )


@pytest.mark.parametrize(
    "asked, n, k, expected",
    [
        (None, 200, 3, "dense"),
        (None, 201, 3, "arpack"),
        ("arpack", 10, 3, "arpack"),
        ("arpack", 3, 3, "dense"),  # ARPACK needs k < n
        ("lobpcg", 20, 3, "lobpcg"),
        ("lobpcg", 19, 3, "dense"),  # LOBPCG needs 5 rows per block vector
        ("amg", 20, 3, "amg"),
        ("amg", 19, 3, "dense"),
    ],
)
def test_laplacian_solver_keeps_an_explicit_solver(asked, n, k, expected):
    assert laplacian_solver(asked, n, k) == expected
