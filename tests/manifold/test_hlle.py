import numpy as np
import pytest
from _lle_method_checks import (
    DATASETS,
    assert_matches_sklearn,
    assert_same_for_any_n_jobs,
    assert_valid_matrix,
    degenerate_data,
    flip_signs_of,
    load_dataset,
    neighbors_of,
)
from scipy.linalg import eigh, qr, svd

import skmanifold_attn.manifold._hlle as hlle_module
from skmanifold_attn.manifold._hlle import hessian_lle_matrix
from skmanifold_attn.manifold._ltsa import ltsa_matrix


def reference_hessian_matrix(X, neighbors, n_components, hessian_tol):
    """Point by point, as Donoho & Grimes' estimator is set up in scikit-learn."""
    n_samples, n_neighbors = neighbors.shape
    M = np.zeros((n_samples, n_samples))
    for i in range(n_samples):
        local = X[neighbors[i]] - X[neighbors[i]].mean(axis=0)
        if n_neighbors > X.shape[1]:
            U = svd(local, full_matrices=False)[0]
        else:
            U = eigh(local @ local.T)[1][:, ::-1]
        U = U[:, :n_components]
        columns = [np.ones(n_neighbors)] + [U[:, a] for a in range(n_components)]
        for a in range(n_components):
            for b in range(a, n_components):
                columns.append(U[:, a] * U[:, b])
        Q = qr(np.column_stack(columns))[0]
        W = Q[:, n_components + 1 :]
        sums = W.sum(axis=0)
        sums[np.abs(sums) < hessian_tol] = 1.0
        W = W / sums
        M[np.ix_(neighbors[i], neighbors[i])] += W @ W.T
    return M


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("n_neighbors, n_components", [(12, 2), (10, 3)])
def test_hessian_matrix_matches_reference(dataset, n_neighbors, n_components):
    X = load_dataset(dataset, 150)
    neighbors = neighbors_of(X, n_neighbors)
    M = hessian_lle_matrix(X, neighbors, n_components=n_components, hessian_tol=1e-4)
    assert_valid_matrix(M, len(X))
    expected = reference_hessian_matrix(X, neighbors, n_components, 1e-4)
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-12 * n_neighbors)


@pytest.mark.parametrize("dataset", DATASETS)
def test_hessian_embedding_matches_sklearn(dataset, monkeypatch):
    X = load_dataset(dataset)
    M = hessian_lle_matrix(X, neighbors_of(X, 12), n_components=2, hessian_tol=1e-4)
    assert_matches_sklearn(
        M, X, monkeypatch, n_neighbors=12, n_components=2, method="hessian"
    )


def test_hessian_matrix_is_the_ltsa_matrix_for_usual_tolerances():
    # Every column of Q after the first is orthogonal to the constant first
    # one, so its sum is zero up to rounding and never reaches hessian_tol:
    # nothing is normalised and W W^T = I - Q[:, :d+1] Q[:, :d+1]^T, which is
    # LTSA's block. scikit-learn's 'hessian' and 'ltsa' share their matrix.
    X = load_dataset("swiss_roll", 300)
    neighbors = neighbors_of(X, 12)
    M = hessian_lle_matrix(X, neighbors, n_components=2, hessian_tol=1e-10)
    M_ltsa = ltsa_matrix(X, neighbors, n_components=2)
    np.testing.assert_allclose(M.toarray(), M_ltsa.toarray(), rtol=0, atol=1e-12)


def test_hessian_matrix_ignores_singular_vector_signs(monkeypatch):
    X = load_dataset("s_curve", 300)
    neighbors = neighbors_of(X, 10)
    M = hessian_lle_matrix(X, neighbors, n_components=2, hessian_tol=1e-4)
    flipped = flip_signs_of(hlle_module.local_principal_directions)
    monkeypatch.setattr(hlle_module, "local_principal_directions", flipped)
    M_flipped = hessian_lle_matrix(X, neighbors, n_components=2, hessian_tol=1e-4)
    np.testing.assert_allclose(M_flipped.toarray(), M.toarray(), rtol=0, atol=1e-12)


def test_hessian_matrix_same_for_any_n_jobs(monkeypatch):
    X = load_dataset("swiss_roll", 1000)
    neighbors = neighbors_of(X, 12)

    def build(n_jobs):
        return hessian_lle_matrix(
            X, neighbors, n_components=2, hessian_tol=1e-4, n_jobs=n_jobs
        )

    assert_same_for_any_n_jobs(build, monkeypatch)


def test_hessian_matrix_duplicates_and_constant_feature():
    X = degenerate_data()
    neighbors = neighbors_of(X, 8)
    M = hessian_lle_matrix(X, neighbors, n_components=2, hessian_tol=1e-4)
    assert_valid_matrix(M, len(X))
    expected = reference_hessian_matrix(X, neighbors, 2, 1e-4)
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-10)


def test_hessian_matrix_huge_values_do_not_overflow():
    X = load_dataset("swiss_roll", 200)
    neighbors = neighbors_of(X, 10)
    M = hessian_lle_matrix(X, neighbors, n_components=2, hessian_tol=1e-4)
    M_huge = hessian_lle_matrix(X * 1e200, neighbors, n_components=2, hessian_tol=1e-4)
    np.testing.assert_allclose(M_huge.toarray(), M.toarray(), rtol=0, atol=1e-10)


def test_hessian_matrix_needs_enough_neighbors():
    X = load_dataset("swiss_roll", 50)
    with pytest.raises(ValueError, match="n_neighbors must be greater than"):
        hessian_lle_matrix(X, neighbors_of(X, 5), n_components=2, hessian_tol=1e-4)
