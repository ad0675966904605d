"""Neighbour graphs shared by the manifold estimators.

Fitting (or reusing) a :class:`~sklearn.neighbors.NearestNeighbors` index and
querying it in bounded-memory chunks. The estimators build their local models
(reconstruction weights, tangent spaces, affinities) on the index arrays
returned here.
"""

import numpy as np
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
