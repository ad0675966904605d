"""Barycentric (locally linear reconstruction) weights, batched.

For every point ``x`` with neighbours ``y_1..y_k`` the weights ``w`` minimise
``||x - sum_j w_j y_j||^2`` subject to ``sum_j w_j = 1``, with the local Gram
matrix ``G = C C^T`` (``C`` the neighbours centred on ``x``) regularised by
``reg * trace(G)``. All local systems of a chunk of points are solved in one
batched LAPACK call; chunks run in parallel threads through joblib and are cut
the same way whatever ``n_jobs``, so results do not depend on it.
"""

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed

from ._graph import fit_neighbors, training_neighbors

# float64 entries per chunk of the batched (chunk, k, max(k, d)) buffers
# (8 MiB: 32 MiB put the 784-D fit's peak memory above scikit-learn's, at no
# gain in speed).
_CHUNK_BUDGET = 1 << 20


def _chunk_rows(n_neighbors, n_features):
    return max(1, _CHUNK_BUDGET // (n_neighbors * max(n_neighbors, n_features)))


def _chunks(n_rows, chunk_rows):
    return [
        slice(start, min(start + chunk_rows, n_rows))
        for start in range(0, n_rows, chunk_rows)
    ]


def _solve_chunk(X, Y, indices, reg):
    """Weights of one chunk: ``X`` (b, d), neighbours ``Y[indices]`` (b, k, d)."""
    centred = Y[indices].astype(np.float64, copy=False)
    centred -= X.astype(np.float64)[:, None, :]
    n_rows, n_neighbors, n_features = centred.shape
    # G = C C^T (k x k) and C^T C (d x d) share their trace. As scikit-learn:
    # the ridge is reg * trace, or reg itself for a zero Gram (all neighbours
    # on the point), so every system is well posed for reg > 0.
    trace = np.einsum("bkd,bkd->b", centred, centred)
    ridge = np.where(trace > 0, reg * trace, reg)
    try:
        if reg > 0 and n_features < n_neighbors:
            # Woodbury: (R I_k + C C^T)^{-1} 1 is proportional to
            # 1 - C (R I_d + C^T C)^{-1} C^T 1, a d x d solve instead of k x k.
            small = centred.transpose(0, 2, 1) @ centred
            diagonal = np.arange(n_features)
            small[:, diagonal, diagonal] += ridge[:, None]
            z = np.linalg.solve(small, centred.sum(axis=1)[:, :, None])
            weights = 1.0 - (centred @ z)[:, :, 0]
        else:
            gram = centred @ centred.transpose(0, 2, 1)
            diagonal = np.arange(n_neighbors)
            gram[:, diagonal, diagonal] += ridge[:, None]
            ones = np.ones((n_rows, n_neighbors, 1))
            weights = np.linalg.solve(gram, ones)[:, :, 0]
    except np.linalg.LinAlgError as exc:
        raise ValueError(
            "A local Gram matrix of the reconstruction weights is singular; "
            "use reg > 0 (the default is 1e-3)."
        ) from exc
    weights /= weights.sum(axis=1, keepdims=True)
    return weights


def barycenter_weights(X, Y, indices, reg=1e-3, *, n_jobs=None):
    """Reconstruction weights of each row of ``X`` from its neighbours in ``Y``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Points to reconstruct.
    Y : ndarray of shape (n_samples_fit, n_features)
        Points the neighbours are taken from.
    indices : ndarray of shape (n_samples, n_neighbors)
        Row ``i`` lists the rows of ``Y`` that reconstruct ``X[i]``.
    reg : float, default=1e-3
        Ridge on each local Gram matrix, relative to its trace.
    n_jobs : int or None, default=None
        Parallel threads over chunks of points.

    Returns
    -------
    weights : ndarray of shape (n_samples, n_neighbors)
        Weights summing to one per row, in the dtype of ``X`` when it is a
        float dtype (computed in float64).
    """
    X = np.asarray(X)
    Y = np.asarray(Y)
    indices = np.asarray(indices, dtype=np.intp)
    n_samples, n_neighbors = indices.shape
    if X.shape[0] != n_samples:
        raise ValueError(
            f"X has {X.shape[0]} rows but indices has {n_samples}; they must match."
        )
    out_dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    weights = np.empty((n_samples, n_neighbors), dtype=out_dtype)
    chunks = _chunks(n_samples, _chunk_rows(n_neighbors, X.shape[1]))
    if len(chunks) == 1 or n_jobs in (None, 1):
        for rows in chunks:
            weights[rows] = _solve_chunk(X[rows], Y, indices[rows], reg)
    else:
        results = Parallel(n_jobs=n_jobs, prefer="threads")(
            delayed(_solve_chunk)(X[rows], Y, indices[rows], reg) for rows in chunks
        )
        for rows, result in zip(chunks, results, strict=True):
            weights[rows] = result
    return weights


def weight_matrix(weights, indices, n_columns):
    """Sparse ``W`` with ``W[i, indices[i, j]] = weights[i, j]``.

    Parameters
    ----------
    weights : ndarray of shape (n_rows, n_neighbors)
    indices : ndarray of shape (n_rows, n_neighbors)
    n_columns : int

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n_rows, n_columns)
    """
    n_rows, n_neighbors = indices.shape
    indptr = np.arange(0, n_rows * n_neighbors + 1, n_neighbors, dtype=np.int64)
    return sp.csr_matrix(
        (weights.ravel(), indices.ravel(), indptr), shape=(n_rows, n_columns)
    )


def barycenter_kneighbors_graph(X, n_neighbors, reg=1e-3, n_jobs=None):
    """Sparse barycentric weight graph of the k nearest neighbours.

    Same contract as scikit-learn's function of that name.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or NearestNeighbors
        Data, or a fitted index over it.
    n_neighbors : int
        Neighbours per point (the point itself excluded).
    reg : float, default=1e-3
        Ridge of the local Gram matrices, relative to their trace.
    n_jobs : int or None, default=None
        Parallel jobs.

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        ``W[i, j]`` is the weight of ``x_j`` in the reconstruction of ``x_i``.
    """
    nbrs = fit_neighbors(X, n_neighbors + 1, n_jobs=n_jobs)
    fit_X = nbrs._fit_X
    indices = training_neighbors(nbrs, n_neighbors)
    weights = barycenter_weights(fit_X, fit_X, indices, reg=reg, n_jobs=n_jobs)
    return weight_matrix(weights, indices, fit_X.shape[0])


def _map_chunk(X, fit_X, values, index, n_neighbors, reg, snap_exact, snap_values):
    indices = index.query(X, n_neighbors, return_distance=False)
    weights = barycenter_weights(X, fit_X, indices, reg=reg).astype(np.float64)
    mapped = np.einsum("bk,bkc->bc", weights, values[indices])
    if snap_exact:
        # A query equal to a training point gets that point's value: the
        # barycentric fit would otherwise blur it with its neighbours'.
        nearest = indices[:, 0]
        exact = np.all(X == fit_X[nearest], axis=1)
        mapped[exact] = snap_values[nearest[exact]]
    return mapped


def locally_linear_map(
    X,
    index,
    values,
    n_neighbors,
    *,
    reg=1e-3,
    snap_exact=True,
    snap_values=None,
    chunk_size=8192,
    n_jobs=None,
):
    """Carry ``values`` of the training points to new points ``X``.

    Each query is written as a barycentric combination of its ``n_neighbors``
    nearest training points and receives the same combination of their
    values (the out-of-sample extension of LLE).

    Parameters
    ----------
    X : ndarray of shape (n_queries, n_features)
        Query points, in the space of the index.
    index : NeighborsIndex
        Built index over the training points (``manifold._neighbors``).
    values : ndarray of shape (n_samples_fit, n_values)
        One row per training point.
    n_neighbors : int
        Neighbours per query.
    reg : float, default=1e-3
        Ridge of the local Gram matrices, relative to their trace.
    snap_exact : bool, default=True
        Give queries equal to a training point that point's value exactly.
    snap_values : ndarray of shape (n_samples_fit, n_values), default=None
        The values given to such queries instead of ``values`` (e.g. means
        over groups of equal training points, which must then agree).
    chunk_size : int, default=8192
        Queries per chunk; bounds the memory whatever ``n_queries``.
    n_jobs : int or None, default=None
        Parallel threads over chunks.

    Returns
    -------
    mapped : ndarray of shape (n_queries, n_values)
    """
    fit_X = index.data_
    values = np.asarray(values, dtype=np.float64)
    snap_values = values if snap_values is None else snap_values
    chunks = _chunks(X.shape[0], chunk_size)
    results = Parallel(n_jobs=n_jobs, prefer="threads")(
        delayed(_map_chunk)(
            X[rows], fit_X, values, index, n_neighbors, reg, snap_exact, snap_values
        )
        for rows in chunks
    )
    if not results:
        return np.empty((0, values.shape[1]))
    return np.concatenate(results)
