"""The nearest-neighbour queries of the quality metrics, in one place.

Every neighbour list the metrics use comes from :func:`kneighbors_excluding_self`,
every count of rows within a radius from :func:`count_within`, queried in row
chunks so that no buffer grows beyond ``(chunk, n_neighbors)``. The neighbour
lists go through the package's neighbours seam (``manifold._neighbors``), the
one index interface every kNN query uses.
"""

import numpy as np
from sklearn.neighbors import KDTree

from ..manifold._neighbors import SklearnIndex

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
    index : SklearnIndex, default=None
        An index already built on ``X`` (with ``metric``), to reuse.

    Returns
    -------
    distances : ndarray of shape (n_rows, n_neighbors)
        Distances to the neighbours, nearest first.
    indices : ndarray of shape (n_rows, n_neighbors)
        Row indices of the neighbours.
    index : SklearnIndex
        The built index, for later calls.
    """
    if index is None:
        index = SklearnIndex(metric=metric).build(X, n_neighbors + 1)
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    distances = np.empty((rows.size, n_neighbors))
    indices = np.empty((rows.size, n_neighbors), dtype=np.intp)
    for start in range(0, rows.size, QUERY_CHUNK):
        part = rows[start : start + QUERY_CHUNK]
        dist, ind = index.query(X[part], n_neighbors + 1)
        keep = ind != part[:, None]
        # Self hidden behind its duplicates: drop the first of them instead.
        keep[np.all(keep, axis=1), 0] = False
        distances[start : start + part.size] = dist[keep].reshape(part.size, -1)
        indices[start : start + part.size] = ind[keep].reshape(part.size, -1)
    return distances, indices, index


def count_within(X, centers, radii, *, tree=None):
    """Rows of ``X`` within Euclidean distance ``radii`` of each center.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        The rows (dense, Euclidean).
    centers : ndarray of int of shape (n_queries,)
        Row index of each query's center.
    radii : ndarray of shape (n_queries,)
        Radius of each query, boundary included.
    tree : KDTree, default=None
        A tree already built on ``X``, to reuse.

    Returns
    -------
    counts : ndarray of int of shape (n_queries,)
        Rows (the center itself included) within each radius.
    tree : KDTree
        The tree, for later calls.
    """
    if tree is None:
        tree = KDTree(X)
    counts = np.empty(centers.size, dtype=np.intp)
    for start in range(0, centers.size, QUERY_CHUNK):
        part = slice(start, start + QUERY_CHUNK)
        counts[part] = tree.query_radius(X[centers[part]], radii[part], count_only=True)
    return counts, tree
