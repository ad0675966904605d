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
    procrustes_residual,
)
from scipy.linalg import eigh, svd
from scipy.stats import ortho_group

import skmanifold_attn.manifold._mlle as mlle_module
from skmanifold_attn.manifold._mlle import modified_lle_matrix


def reference_modified_matrix(X, neighbors, n_components, reg, modified_tol):
    """Point by point, following Zhang & Wang's MLLE as scikit-learn sets it up.

    Two guards for degenerate neighbourhoods (all neighbours on the point):
    the ridge is ``reg`` itself when the trace is zero, and a 0/0 eigenvalue
    ratio counts as 0; and at least one weight vector is kept per point.
    The tests use an even number of points: with an odd one, the median point
    compares its own ratio with itself (eta), a tie settled by rounding.
    """
    n_samples, n_neighbors = neighbors.shape
    n_spectrum = min(n_neighbors, X.shape[1])
    bases, spectra = [], []
    for i in range(n_samples):
        local = X[neighbors[i]] - X[i]
        if n_neighbors > X.shape[1]:
            V, values, _ = svd(local, full_matrices=True)
            values = values**2
        else:
            values, V = eigh(local @ local.T)
            values, V = values[::-1], V[:, ::-1]
        bases.append(V)
        spectra.append(values)

    def ratio(numerator, denominator):
        return numerator / denominator if denominator > 0 else 0.0

    ratios = [ratio(v[n_components:].sum(), v[:n_components].sum()) for v in spectra]
    eta = np.median(ratios)

    M = np.zeros((n_samples, n_samples))
    for i in range(n_samples):
        V, values = bases[i], spectra[i]
        eigenvalues = np.concatenate([values, np.zeros(n_neighbors - n_spectrum)])
        trace = eigenvalues.sum()
        ridge = reg * trace if trace > 0 else reg
        w = V @ ((V.T @ np.ones(n_neighbors)) / (eigenvalues + ridge))
        w /= w.sum()

        s = n_neighbors - n_spectrum
        for m in range(n_spectrum - 1):
            s += ratio(values[m + 1 :].sum(), values[: m + 1].sum()) < eta
        s = max(s, 1)

        Vi = V[:, n_neighbors - s :]
        alpha = np.linalg.norm(Vi.sum(axis=0)) / np.sqrt(s)
        h = alpha * np.ones(s) - Vi.T @ np.ones(n_neighbors)
        norm = np.linalg.norm(h)
        h = h / norm if norm >= modified_tol else np.zeros(s)
        H = np.eye(s) - 2 * np.outer(h, h)
        Wi = Vi @ H + (1 - alpha) * np.outer(w, np.ones(s))

        W_hat = np.zeros((n_samples, s))
        W_hat[neighbors[i]] = Wi
        W_hat[i] -= 1
        M += W_hat @ W_hat.T
    return M


def _build(X, neighbors, n_components=2, reg=1e-3, modified_tol=1e-12, n_jobs=None):
    return modified_lle_matrix(
        X,
        neighbors,
        n_components=n_components,
        reg=reg,
        modified_tol=modified_tol,
        n_jobs=n_jobs,
    )


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("n_neighbors, n_components", [(12, 2), (8, 3)])
def test_modified_matrix_matches_reference(dataset, n_neighbors, n_components):
    X = load_dataset(dataset, 150)
    neighbors = neighbors_of(X, n_neighbors)
    M = _build(X, neighbors, n_components)
    assert_valid_matrix(M, len(X))
    expected = reference_modified_matrix(X, neighbors, n_components, 1e-3, 1e-12)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-11 * scale)


@pytest.mark.parametrize("reg, modified_tol", [(0.1, 1e-12), (1e-3, 1e3)])
def test_modified_matrix_reg_and_tol_match_reference(reg, modified_tol):
    X = load_dataset("s_curve", 150)
    neighbors = neighbors_of(X, 10)
    M = _build(X, neighbors, reg=reg, modified_tol=modified_tol)
    expected = reference_modified_matrix(X, neighbors, 2, reg, modified_tol)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-11 * scale)


@pytest.mark.parametrize("dataset", DATASETS)
def test_modified_embedding_matches_sklearn(dataset, monkeypatch):
    X = load_dataset(dataset)
    M = _build(X, neighbors_of(X, 12))
    assert_matches_sklearn(
        M, X, monkeypatch, n_neighbors=12, n_components=2, method="modified"
    )


def test_modified_matrix_ignores_singular_vector_signs_and_null_basis(monkeypatch):
    # Any sign of each singular vector, and any orthonormal basis of the exact
    # null directions (columns d..k), is a valid SVD: M must not change.
    X = load_dataset("swiss_roll", 300)
    neighbors = neighbors_of(X, 10)
    M = _build(X, neighbors)
    flipped = flip_signs_of(mlle_module.local_principal_directions)
    rotation = ortho_group.rvs(10 - X.shape[1], random_state=0)

    def flipped_and_rotated(local, **kwargs):
        vectors, values = flipped(local, **kwargs)
        vectors[:, :, X.shape[1] :] = vectors[:, :, X.shape[1] :] @ rotation
        return vectors, values

    monkeypatch.setattr(mlle_module, "local_principal_directions", flipped_and_rotated)
    M_other = _build(X, neighbors)
    np.testing.assert_allclose(M_other.toarray(), M.toarray(), rtol=0, atol=1e-11)


def test_modified_matrix_same_for_any_n_jobs(monkeypatch):
    X = load_dataset("swiss_roll", 1000)
    neighbors = neighbors_of(X, 12)
    assert_same_for_any_n_jobs(
        lambda n_jobs: _build(X, neighbors, n_jobs=n_jobs), monkeypatch
    )


def test_modified_matrix_duplicates_and_constant_feature():
    X = degenerate_data()
    # One point repeated more often than n_neighbors: all its neighbours sit
    # on it, its local Gram matrix is zero.
    X = np.concatenate([X, np.repeat(X[30:31], 11, axis=0)])
    neighbors = neighbors_of(X, 8)
    M = _build(X, neighbors)
    assert_valid_matrix(M, len(X))
    expected = reference_modified_matrix(X, neighbors, 2, 1e-3, 1e-12)
    scale = np.abs(expected).max()
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-10 * scale)


def test_modified_matrix_huge_values_do_not_overflow():
    X = load_dataset("swiss_roll", 200)
    neighbors = neighbors_of(X, 10)
    M = _build(X, neighbors)
    M_huge = _build(X * 1e200, neighbors)
    np.testing.assert_allclose(M_huge.toarray(), M.toarray(), rtol=0, atol=1e-10)


def test_modified_matrix_needs_enough_neighbors():
    X = load_dataset("swiss_roll", 50)
    with pytest.raises(ValueError, match="n_neighbors >= n_components"):
        _build(X, neighbors_of(X, 2), n_components=3)


def test_modified_embedding_ignores_reg_as_sklearn_does():
    # scikit-learn's MLLE always uses a 1e-3 ridge; a drop-in must too.
    from sklearn.manifold import locally_linear_embedding as sk_embedding

    from skmanifold_attn import locally_linear_embedding

    X = load_dataset("swiss_roll", 300)
    params = dict(n_neighbors=12, n_components=2, method="modified", reg=0.5)
    Y_ref, error_ref = sk_embedding(X, eigen_solver="dense", **params)
    Y, error = locally_linear_embedding(X, eigen_solver="dense", **params)
    assert procrustes_residual(Y, Y_ref) < 1e-6
    np.testing.assert_allclose(error, error_ref, rtol=1e-6)
