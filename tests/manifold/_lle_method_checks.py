"""Checks shared by the tests of the MLLE, HLLE and LTSA matrix builders."""

import numpy as np
import scipy.sparse as sp
import sklearn.manifold._locally_linear as sk_lle
from scipy.linalg import eigh, orthogonal_procrustes
from scipy.sparse.csgraph import connected_components
from sklearn.datasets import load_digits, make_s_curve, make_swiss_roll
from sklearn.neighbors import NearestNeighbors

import skmanifold_attn.manifold._local_blocks as local_blocks

DATASETS = ["swiss_roll", "s_curve", "digits"]


def load_dataset(name, n_samples=400, n_neighbors=12):
    """Small float64 data sets: 3-D manifolds and a subsample of digits (64-D).

    The digits' neighbour graph falls apart into pieces, each adding a null
    vector that makes the embedding arbitrary; the subsample is cut down until
    the graph linking points that share a neighbourhood (as LTSA and Hessian
    LLE couple them: the point itself excluded) is connected. The number of
    points is kept even (see the MLLE tests: no median tie).
    """
    if name == "swiss_roll":
        return make_swiss_roll(n_samples, random_state=0)[0]
    if name == "s_curve":
        return make_s_curve(n_samples, random_state=0)[0]
    digits = load_digits().data.astype(np.float64)
    rows = np.random.RandomState(0).choice(len(digits), n_samples, replace=False)
    X = digits[np.sort(rows)]
    while True:
        neighbors = neighbors_of(X, n_neighbors)
        rows = np.repeat(np.arange(len(X)), n_neighbors)
        membership = sp.csr_matrix(
            (np.ones(rows.size), (rows, neighbors.ravel())), shape=(len(X), len(X))
        )
        n_parts, labels = connected_components(membership.T @ membership)
        if n_parts == 1 and len(X) % 2 == 0:
            return X
        X = X[labels == np.bincount(labels).argmax()]
        X = X[: len(X) - len(X) % 2]


def neighbors_of(X, n_neighbors):
    """Neighbour indices as scikit-learn's locally_linear_embedding takes them."""
    nbrs = NearestNeighbors(n_neighbors=n_neighbors + 1).fit(X)
    return nbrs.kneighbors(X, return_distance=False)[:, 1:]


def sklearn_matrix_and_embedding(X, monkeypatch, **params):
    """The matrix M scikit-learn builds (dense solver), its embedding and error."""
    captured = {}
    null_space = sk_lle.null_space

    def capture(M, *args, **kwargs):
        captured["M"] = M.toarray() if sp.issparse(M) else M.copy()
        return null_space(M, *args, **kwargs)

    monkeypatch.setattr(sk_lle, "null_space", capture)
    embedding, error = sk_lle.locally_linear_embedding(
        X, eigen_solver="dense", **params
    )
    return captured["M"], embedding, error


def bottom_eigenpairs(M, n_components):
    """Eigenvalues/vectors 1..n_components (the constant one skipped), dense."""
    values, vectors = eigh(M.toarray(), subset_by_index=(1, n_components))
    return values, vectors


def procrustes_residual(Y, Y_ref):
    """Relative residual of the best orthogonal map of ``Y`` onto ``Y_ref``."""
    rotation, _ = orthogonal_procrustes(Y, Y_ref)
    return np.linalg.norm(Y @ rotation - Y_ref) / np.linalg.norm(Y_ref)


def assert_matches_sklearn(M, X, monkeypatch, **params):
    """M equals scikit-learn's; its embedding and error agree with sklearn's."""
    M_ref, Y_ref, error_ref = sklearn_matrix_and_embedding(X, monkeypatch, **params)
    scale = np.abs(M_ref).max()
    np.testing.assert_allclose(M.toarray(), M_ref, rtol=0, atol=1e-11 * scale)
    values, Y = bottom_eigenpairs(M, params["n_components"])
    assert procrustes_residual(Y, Y_ref) < 1e-6
    np.testing.assert_allclose(values.sum(), error_ref, rtol=1e-2)


def assert_valid_matrix(M, n_samples):
    """Sparse CSR, square, float64, finite, exactly symmetric, PSD."""
    assert sp.issparse(M) and M.format == "csr"
    assert M.shape == (n_samples, n_samples)
    assert M.dtype == np.float64
    assert np.isfinite(M.data).all()
    assert (M != M.T).nnz == 0
    assert eigh(M.toarray(), eigvals_only=True)[0] > -1e-8 * abs(M).max()


def assert_same_for_any_n_jobs(build, monkeypatch):
    """Bit-identical matrices for n_jobs=1 and 2, with many chunks."""
    monkeypatch.setattr(local_blocks, "_CHUNK_BUDGET", 2000)
    one, two = build(n_jobs=1), build(n_jobs=2)
    np.testing.assert_array_equal(one.indptr, two.indptr)
    np.testing.assert_array_equal(one.indices, two.indices)
    np.testing.assert_array_equal(one.data, two.data)
    monkeypatch.undo()
    whole = build(n_jobs=None)
    np.testing.assert_array_equal(one.data, whole.data)


def flip_signs_of(decompose, seed=0):
    """Wrap a local SVD so it returns random column signs (a valid SVD too)."""
    rng = np.random.RandomState(seed)

    def flipped(local, **kwargs):
        vectors, values = decompose(local, **kwargs)
        signs = rng.choice([-1.0, 1.0], size=(vectors.shape[0], 1, vectors.shape[2]))
        return vectors * signs, values

    return flipped


def degenerate_data():
    """Duplicated points and a constant feature."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 4))
    X[:, 2] = 7.0
    return np.concatenate([X, X[:20], X[:5]])
