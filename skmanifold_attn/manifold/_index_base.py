"""The base of the neighbours seam's indexes, and what every backend shares:
chunked queries, dropping a point from its own neighbours, exact float64
distances of listed neighbours, thread counts and optional imports.
"""

import os

import numpy as np

from ._graph import DEFAULT_QUERY_CHUNK

# float64 entries (16 MiB) per block of neighbour differences.
_DIFF_BLOCK = 2**21


class NeighborsIndex:
    """Base of the seam's indexes: ``build`` then chunked ``query``.

    Subclasses implement ``_build(X, n_neighbors)`` and
    ``_query(X, n_neighbors, return_distance)``; the training data is kept
    as ``data_`` (by reference; copied only to make a dense array row-major).
    """

    #: Whether queries return the exact nearest neighbours.
    exact = True

    def build(self, X, n_neighbors):
        """Index the rows of ``X`` for queries of up to ``n_neighbors``."""
        if isinstance(X, np.ndarray):
            # Row-major, as NearestNeighbors keeps it (a copy only if not).
            X = np.ascontiguousarray(X)
        self.data_ = X
        self.n_samples_fit_ = X.shape[0]
        self._build(X, n_neighbors)
        return self

    def query(self, X, n_neighbors, *, return_distance=True, chunk_size=None):
        """Nearest indexed rows of each row of ``X``, nearest first.

        Returns ``(distances, indices)``, or ``indices`` alone when
        ``return_distance`` is False.
        """
        return _chunked(self._query, X, n_neighbors, return_distance, chunk_size)

    def training_neighbors(self, n_neighbors, *, return_distance=False):
        """Each indexed row's ``n_neighbors`` nearest others.

        As scikit-learn's manifold learners do, an exact index is queried for
        ``n_neighbors + 1`` neighbours and the first (the point itself, or an
        exact duplicate of it) dropped. An approximate index may miss the
        point itself: its own column is dropped where found, else the last.
        """
        distances, indices = self._training_query(n_neighbors + 1)
        if self.exact:
            keep = np.s_[:, 1:]
            distances, indices = distances[keep], indices[keep]
        else:
            indices, distances = _drop_self(indices, distances)
        indices = np.ascontiguousarray(indices)
        if return_distance:
            return np.ascontiguousarray(distances), indices
        return indices

    def _training_query(self, n_neighbors):
        return self.query(self.data_, n_neighbors)


def _chunked(query, X, n_neighbors, return_distance, chunk_size):
    chunk_size = DEFAULT_QUERY_CHUNK if chunk_size is None else chunk_size
    n_queries = X.shape[0]
    indices = np.empty((n_queries, n_neighbors), dtype=np.intp)
    distances = np.empty((n_queries, n_neighbors)) if return_distance else None
    for start in range(0, n_queries, chunk_size):
        rows = slice(start, min(start + chunk_size, n_queries))
        result = query(X[rows], n_neighbors, return_distance)
        if return_distance:
            distances[rows], indices[rows] = result
        else:
            indices[rows] = result
    return (distances, indices) if return_distance else indices


def _drop_self(indices, distances):
    n_rows, width = indices.shape
    own = indices == np.arange(n_rows)[:, None]
    missing = ~own.any(axis=1)
    own[missing, width - 1] = True
    # A row listing itself twice cannot happen; keep the first such column.
    first = np.argmax(own, axis=1)
    keep = np.ones_like(own)
    keep[np.arange(n_rows), first] = False
    shape = (n_rows, width - 1)
    return indices[keep].reshape(shape), distances[keep].reshape(shape)


def _exact_distances(X, data, indices):
    """Float64 distances from each row of ``X`` to its listed ``data`` rows,
    with the neighbours re-sorted by them (stable)."""
    n_rows, n_neighbors = indices.shape
    distances = np.empty((n_rows, n_neighbors))
    # Rows per block: bounds the (rows, n_neighbors, n_features) differences.
    step = max(1, _DIFF_BLOCK // max(1, n_neighbors * X.shape[1]))
    for start in range(0, n_rows, step):
        rows = slice(start, min(start + step, n_rows))
        diff = (
            np.asarray(data[indices[rows]], dtype=np.float64)
            - np.asarray(X[rows], dtype=np.float64)[:, None, :]
        )
        distances[rows] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    order = np.argsort(distances, axis=1, kind="stable")
    return (
        np.take_along_axis(distances, order, axis=1),
        np.take_along_axis(indices, order, axis=1),
    )


def _threads(n_jobs):
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max((os.cpu_count() or 1) + 1 + n_jobs, 1)
    return int(n_jobs)


def _import_extra(module):
    try:
        return __import__(module)
    except ImportError as exc:
        raise ImportError(
            f"neighbors_algorithm={module!r} needs the optional package "
            f"{module!r}: install it with pip install 'skmanifold-attn[ann]'."
        ) from exc
