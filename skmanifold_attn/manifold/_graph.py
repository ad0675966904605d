"""Neighbour graphs shared by the manifold estimators.

Fitting (or reusing) a :class:`~sklearn.neighbors.NearestNeighbors` index and
querying it in bounded-memory chunks. The estimators build their local models
(reconstruction weights, tangent spaces, affinities) on the index arrays
returned here. Also: finding, by fingerprint, the rows of a precomputed affinity
matrix, to recognise training rows passed back to ``transform``.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

# Rows per kneighbors query: bounds the (chunk, n_neighbors) distance and
# index buffers (and brute-force distance blocks) whatever the data size.
DEFAULT_QUERY_CHUNK = 65_536


def fit_neighbors(X, n_neighbors, *, algorithm="auto", n_jobs=None):
    """Return a fitted NearestNeighbors index over ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features) or NearestNeighbors
        Training data, or an already fitted index, whose tree and data are
        reused without copying (as ``NearestNeighbors.fit`` does).
    n_neighbors : int
        Default number of neighbours of the returned index.
    algorithm : {'auto', 'brute', 'kd_tree', 'ball_tree'}, default='auto'
        Search algorithm for a new index (ignored when ``X`` is an index).
    n_jobs : int or None, default=None
        Parallel jobs of the neighbour queries.

    Returns
    -------
    nbrs : NearestNeighbors
        Fitted index; its training data is ``nbrs._fit_X``.
    """
    if isinstance(X, NearestNeighbors):
        algorithm = X.algorithm
    nbrs = NearestNeighbors(n_neighbors=n_neighbors, algorithm=algorithm, n_jobs=n_jobs)
    return nbrs.fit(X)


def kneighbors_chunked(
    nbrs,
    X,
    n_neighbors,
    *,
    return_distance=False,
    chunk_size=DEFAULT_QUERY_CHUNK,
):
    """Query ``nbrs.kneighbors`` chunk by chunk.

    Parameters
    ----------
    nbrs : NearestNeighbors
        Fitted index.
    X : ndarray of shape (n_queries, n_features)
        Query points.
    n_neighbors : int
        Neighbours per query point.
    return_distance : bool, default=False
        Whether to return the distances too.
    chunk_size : int, default=65536
        Query rows per call.

    Returns
    -------
    distances : ndarray of shape (n_queries, n_neighbors)
        Only when ``return_distance`` is True.
    indices : ndarray of shape (n_queries, n_neighbors)
        Neighbour indices into the index's training data, nearest first.
    """
    n_queries = X.shape[0]
    indices = np.empty((n_queries, n_neighbors), dtype=np.intp)
    distances = np.empty((n_queries, n_neighbors)) if return_distance else None
    for start in range(0, n_queries, chunk_size):
        stop = min(start + chunk_size, n_queries)
        if return_distance:
            dist, ind = nbrs.kneighbors(
                X[start:stop], n_neighbors=n_neighbors, return_distance=True
            )
            distances[start:stop] = dist
        else:
            ind = nbrs.kneighbors(
                X[start:stop], n_neighbors=n_neighbors, return_distance=False
            )
        indices[start:stop] = ind
    if return_distance:
        return distances, indices
    return indices


def training_neighbors(nbrs, n_neighbors, *, chunk_size=DEFAULT_QUERY_CHUNK):
    """Each training point's ``n_neighbors`` nearest others.

    As scikit-learn's manifold learners do, each training point is queried for
    ``n_neighbors + 1`` neighbours and the first (itself, or an exact
    duplicate of it) is dropped.

    Parameters
    ----------
    nbrs : NearestNeighbors
        Fitted index.
    n_neighbors : int
        Neighbours per point, excluding the point itself.
    chunk_size : int, default=65536
        Query rows per call.

    Returns
    -------
    indices : ndarray of shape (n_samples, n_neighbors)
        Neighbour indices, nearest first.
    """
    X = nbrs._fit_X
    indices = kneighbors_chunked(nbrs, X, n_neighbors + 1, chunk_size=chunk_size)
    return np.ascontiguousarray(indices[:, 1:])


# --- Affinity graphs and Laplacians (Laplacian Eigenmaps, LPP) -------------

DISCONNECTED_WARNING = (
    "Graph is not fully connected, spectral embedding may not work as expected."
)


def check_connected(adjacency, *, remedy, message=DISCONNECTED_WARNING):
    """Warn, with scikit-learn's wording, when the graph has several components.

    Parameters
    ----------
    adjacency : sparse matrix or ndarray of shape (n, n)
        Symmetric affinity matrix.
    remedy : str
        What the user can do about it, appended to the warning.
    message : str, default=DISCONNECTED_WARNING
        First sentence of the warning: scikit-learn's for the spectral
        embeddings, one of their own for the linear projections.

    Returns
    -------
    n_components : int
        Number of connected components.
    """
    import warnings

    from scipy.sparse.csgraph import connected_components

    n_components, _ = connected_components(
        sp.csr_matrix(adjacency), directed=False, return_labels=True
    )
    if n_components > 1:
        warnings.warn(
            f"{message} It has {n_components} connected components; {remedy}",
            UserWarning,
            stacklevel=3,
        )
    return n_components


def symmetric_knn_affinity(indices, n_columns):
    """``0.5 * (A + A^T)`` of the k-nearest-neighbour connectivity ``A``.

    ``A[i, j] = 1`` when ``j`` is among the ``k`` nearest points of ``i`` (the
    point itself included, as ``kneighbors_graph(include_self=True)``), so
    ``W[i, j]`` is 1 for mutual neighbours and 0.5 for one-sided ones.

    Parameters
    ----------
    indices : ndarray of shape (n, k)
        Neighbours of each training point, nearest first.
    n_columns : int
        Number of training points.

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n, n_columns)
    """
    n_rows, k = indices.shape
    indptr = np.arange(0, n_rows * k + 1, k, dtype=np.int64)
    connectivity = sp.csr_matrix(
        (np.ones(n_rows * k), indices.ravel(), indptr), shape=(n_rows, n_columns)
    )
    return (0.5 * (connectivity + connectivity.T)).tocsr()


def knn_affinity_to_training(
    distances, indices, radius, n_neighbors, n_columns, *, is_self=None
):
    """Rows of the symmetric kNN affinity for query points against training.

    A query ``x`` is treated as if it joined the training graph, where each
    point is its own first neighbour: its weight to training point ``j`` is
    ``0.5 * ([j among the n_neighbors - 1 nearest of x] + [x within j's
    neighbourhood radius[j]])``. A query that is a training point itself
    (``is_self``, its first candidate) gets no weight to itself, so its row
    is exactly its row of :func:`symmetric_knn_affinity` without the
    self-loop, as far as the candidate list reaches.

    Parameters
    ----------
    distances, indices : ndarray of shape (n_queries, n_candidates)
        Nearest training candidates of each query, nearest first, with
        ``n_candidates >= n_neighbors``.
    radius : ndarray of shape (n_columns,)
        Distance of each training point to its ``n_neighbors``-th neighbour
        (itself counted first).
    n_neighbors : int
    n_columns : int
    is_self : ndarray of bool of shape (n_queries,), default=None
        Whether each query's first candidate is the query itself.

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n_queries, n_columns)
    """
    n_queries, n_candidates = indices.shape
    if is_self is None:
        is_self = np.zeros(n_queries, dtype=bool)
    position = np.arange(n_candidates)[None, :] - is_self[:, None].astype(np.intp)
    # position: rank among the other training points (-1 for the query itself).
    forward = ((position >= 0) & (position < n_neighbors - 1)).astype(np.float64)
    # A hair of slack: the same distance computed from either end may differ
    # in the last bits (brute-force search).
    backward = (distances <= radius[indices] * (1 + 1e-10)) & (position >= 0)
    weights = 0.5 * (forward + backward)
    indptr = np.arange(0, n_queries * n_candidates + 1, n_candidates, dtype=np.int64)
    W = sp.csr_matrix(
        (weights.ravel(), indices.ravel(), indptr), shape=(n_queries, n_columns)
    )
    W.eliminate_zeros()
    return W


def heat_kernel_graph(distances, indices, n_columns, *, kernel_width=None):
    """Symmetric kNN graph with heat-kernel or binary weights (He and Niyogi).

    ``W[i, j] = exp(-||x_i - x_j||^2 / t)`` when ``j`` is among the nearest
    neighbours of ``i`` or ``i`` among those of ``j`` (the point itself
    excluded), else 0.

    Parameters
    ----------
    distances, indices : ndarray of shape (n, k)
        Neighbours of each training point other than itself, nearest first.
    n_columns : int
        Number of training points.
    kernel_width : float, 'auto' or None, default=None
        ``t``. None gives binary weights; 'auto' twice the mean squared
        neighbour distance.

    Returns
    -------
    W : scipy.sparse.csr_matrix of shape (n, n_columns)
    width : float or None
        The ``t`` used.
    """
    squared = np.asarray(distances, dtype=np.float64) ** 2
    if kernel_width is None:
        values = np.ones_like(squared)
    else:
        if kernel_width == "auto":
            # t = 2 sigma^2, sigma^2 the mean squared neighbour distance: the
            # Gaussian exp(-d^2 / (2 sigma^2)) at the typical neighbour scale.
            kernel_width = 2.0 * float(np.mean(squared))
            if not kernel_width > 0:
                kernel_width = 1.0
        values = np.exp(-squared / kernel_width)
    n_rows, k = indices.shape
    indptr = np.arange(0, n_rows * k + 1, k, dtype=np.int64)
    one_sided = sp.csr_matrix(
        (values.ravel(), indices.ravel(), indptr), shape=(n_rows, n_columns)
    )
    # Same weight whichever side found the pair: the elementwise maximum.
    W = one_sided.maximum(one_sided.T).tocsr()
    W.setdiag(0)
    W.eliminate_zeros()
    return W, kernel_width


def _csr_canonical(matrix):
    """CSR with sorted, unique column indices (shared when already so)."""
    matrix = sp.csr_matrix(matrix)
    if not matrix.has_canonical_format:
        matrix = matrix.copy()
        matrix.sum_duplicates()
    return matrix


def _row_entries(matrix, row):
    """Column indices and values of a row's nonzero entries, by column."""
    if sp.issparse(matrix):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns, values = matrix.indices[start:end], matrix.data[start:end]
        nonzero = values != 0  # explicit zeros are no entries
        return columns[nonzero], values[nonzero]
    columns = np.flatnonzero(matrix[row])
    return columns, matrix[row, columns]


def row_index(matrix):
    """Fingerprints of the rows of a matrix, for :func:`match_rows`.

    Parameters
    ----------
    matrix : ndarray or sparse matrix of shape (n_rows, n_columns)

    Returns
    -------
    index : tuple
        The random probe vector ``g``, the sorted fingerprints ``matrix @ g``
        and the rows in that order.
    """
    probe = np.random.RandomState(0).standard_normal(matrix.shape[1])
    fingerprints = np.asarray(matrix @ probe, dtype=np.float64).ravel()
    order = np.argsort(fingerprints, kind="stable")
    return probe, fingerprints[order], order


def match_rows(queries, matrix, index):
    """For each query row, a row of ``matrix`` exactly equal to it, or -1.

    Equal rows have equal fingerprints up to rounding; only rows whose
    fingerprints are that close are compared entry by entry, so the cost is
    one matrix-vector product plus one row comparison per match.

    Parameters
    ----------
    queries : ndarray or sparse matrix of shape (n_queries, n_columns)
    matrix : ndarray or sparse matrix of shape (n_rows, n_columns)
        The indexed matrix.
    index : tuple
        ``row_index(matrix)``.

    Returns
    -------
    matches : ndarray of shape (n_queries,)
        Index of an equal row of ``matrix`` (the first one when several are
        equal), -1 where there is none.
    """
    probe, fingerprints, order = index
    matches = np.full(queries.shape[0], -1, dtype=np.intp)
    if queries.shape[1] != probe.size:
        return matches
    found = np.asarray(queries @ probe, dtype=np.float64).ravel()
    # Rounding differs between BLAS paths by at most about
    # n * eps * sum_j |x_j g_j| <= n * eps * ||x|| ||g||: far below this slack.
    if sp.issparse(queries):
        squares = np.asarray(queries.multiply(queries).sum(axis=1)).ravel()
    else:
        squares = np.einsum("ij,ij->i", queries, queries)
    slack = 1e-9 * np.sqrt(squares) * np.linalg.norm(probe)
    low = np.searchsorted(fingerprints, found - slack, side="left")
    high = np.searchsorted(fingerprints, found + slack, side="right")
    candidates = np.flatnonzero(high > low)
    if candidates.size and sp.issparse(queries):
        queries = _csr_canonical(queries)
    if candidates.size and sp.issparse(matrix):
        matrix = _csr_canonical(matrix)
    both_dense = not (sp.issparse(queries) or sp.issparse(matrix))
    for query in candidates:
        if not both_dense:
            columns, values = _row_entries(queries, query)
        for row in np.sort(order[low[query] : high[query]]):
            if both_dense:
                same = np.array_equal(matrix[row], queries[query])
            else:
                stored_columns, stored_values = _row_entries(matrix, row)
                same = np.array_equal(stored_columns, columns) and np.array_equal(
                    stored_values, values
                )
            if same:
                matches[query] = row
                break
    return matches
