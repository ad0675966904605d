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

import skmanifold_attn.manifold._ltsa as ltsa_module
from skmanifold_attn.manifold._ltsa import ltsa_matrix


def reference_ltsa_matrix(X, neighbors, n_components):
    """Point by point: M += I - G G^T on each neighbourhood, G = [1/sqrt(k), U]."""
    n_samples, n_neighbors = neighbors.shape
    M = np.zeros((n_samples, n_samples))
    for i in range(n_samples):
        local = X[neighbors[i]] - X[neighbors[i]].mean(axis=0)
        U = np.linalg.svd(local)[0][:, :n_components]
        G = np.hstack([np.full((n_neighbors, 1), n_neighbors**-0.5), U])
        M[np.ix_(neighbors[i], neighbors[i])] += np.eye(n_neighbors) - G @ G.T
    return M


@pytest.mark.parametrize("dataset", DATASETS)
@pytest.mark.parametrize("n_neighbors, n_components", [(12, 2), (7, 3)])
def test_ltsa_matrix_matches_reference(dataset, n_neighbors, n_components):
    X = load_dataset(dataset, 150)
    neighbors = neighbors_of(X, n_neighbors)
    M = ltsa_matrix(X, neighbors, n_components=n_components)
    assert_valid_matrix(M, len(X))
    expected = reference_ltsa_matrix(X, neighbors, n_components)
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-12 * n_neighbors)


@pytest.mark.parametrize("dataset", DATASETS)
def test_ltsa_embedding_matches_sklearn(dataset, monkeypatch):
    X = load_dataset(dataset)
    M = ltsa_matrix(X, neighbors_of(X, 12), n_components=2)
    assert_matches_sklearn(
        M, X, monkeypatch, n_neighbors=12, n_components=2, method="ltsa"
    )


def test_ltsa_matrix_ignores_singular_vector_signs(monkeypatch):
    X = load_dataset("swiss_roll", 300)
    neighbors = neighbors_of(X, 10)
    M = ltsa_matrix(X, neighbors, n_components=2)
    flipped = flip_signs_of(ltsa_module.local_principal_directions)
    monkeypatch.setattr(ltsa_module, "local_principal_directions", flipped)
    M_flipped = ltsa_matrix(X, neighbors, n_components=2)
    np.testing.assert_allclose(M_flipped.toarray(), M.toarray(), rtol=0, atol=1e-12)


def test_ltsa_matrix_same_for_any_n_jobs(monkeypatch):
    X = load_dataset("s_curve", 1000)
    neighbors = neighbors_of(X, 12)
    assert_same_for_any_n_jobs(
        lambda n_jobs: ltsa_matrix(X, neighbors, n_components=2, n_jobs=n_jobs),
        monkeypatch,
    )


def test_ltsa_matrix_duplicates_and_constant_feature():
    X = degenerate_data()
    neighbors = neighbors_of(X, 8)
    M = ltsa_matrix(X, neighbors, n_components=2)
    assert_valid_matrix(M, len(X))
    expected = reference_ltsa_matrix(X, neighbors, 2)
    np.testing.assert_allclose(M.toarray(), expected, rtol=0, atol=1e-10)


def test_ltsa_matrix_huge_values_do_not_overflow():
    X = load_dataset("swiss_roll", 200)
    neighbors = neighbors_of(X, 10)
    M = ltsa_matrix(X, neighbors, n_components=2)
    M_huge = ltsa_matrix(X * 1e200, neighbors, n_components=2)
    np.testing.assert_allclose(M_huge.toarray(), M.toarray(), rtol=0, atol=1e-10)
