"""The nearest-neighbour queries of the quality metrics, in one place.

Every neighbour list the metrics use comes from :func:`kneighbors_excluding_self`,
queried in row chunks so that no buffer grows beyond ``(chunk, n_neighbors)``.
"""

import numpy as np
from sklearn.neighbors import NearestNeighbors

# Query rows per kneighbors call.
QUERY_CHUNK = 16_384


def kneighbors_excluding_self(
    X, n_neighbors, *, metric="euclidean", rows=None, index=None
):
    """Nearest rows of ``X`` to some of its own rows, the row itself left out.

    The same lists as ``NearestNeighbors(...).fit(X).kneighbors()`` (with
    ``X=None``): ``n_neighbors + 1`` are queried and the row itself dropped,
    or the first one when more duplicates than that hide it.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The rows (a square distance matrix with ``metric='precomputed'``).
    n_neighbors : int
        Neighbours per row, at most ``n_samples - 1``.
    metric : str or callable, default='euclidean'
        Distance between rows.
    rows : ndarray of int, default=None
        The rows to query; None means all.
    index : NearestNeighbors, default=None
        An index already fitted on ``X`` (with ``metric``), to reuse.

    Returns
    -------
    distances : ndarray of shape (n_rows, n_neighbors)
        Distances to the neighbours, nearest first.
    indices : ndarray of shape (n_rows, n_neighbors)
        Row indices of the neighbours.
    index : NearestNeighbors
        The fitted index, for later calls.
    """
    if index is None:
        index = NearestNeighbors(metric=metric).fit(X)
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    distances = np.empty((rows.size, n_neighbors))
    indices = np.empty((rows.size, n_neighbors), dtype=np.intp)
    for start in range(0, rows.size, QUERY_CHUNK):
        part = rows[start : start + QUERY_CHUNK]
        dist, ind = index.kneighbors(X[part], n_neighbors + 1)
        keep = ind != part[:, None]
        # Self hidden behind its duplicates: drop the first of them instead.
        keep[np.all(keep, axis=1), 0] = False
        distances[start : start + part.size] = dist[keep].reshape(part.size, -1)
        indices[start : start + part.size] = ind[keep].reshape(part.size, -1)
    return distances, indices, index
