"""A PCA pre-transform and exact refinement for an approximate neighbour index.

An approximate neighbour index in high dimension spends most of its time on
distances between full-length vectors. When the data lie close to a
low-dimensional linear subspace, the index can be built on the coordinates in
that subspace instead, and the candidates it returns re-ranked by their exact
distances in the full space (the pre-transform and refinement of FAISS's
``IndexPreTransform`` / ``IndexRefineFlat``). :func:`principal_subspace`
finds the subspace: the fewest principal directions whose discarded variance
is at most a given fraction of the total, or none when that would not pay.
:func:`refine` re-ranks the candidates by their exact distances.
"""

import numpy as np
from scipy.linalg import eigh
from sklearn.utils.extmath import randomized_svd

#: Rows used to estimate the directions (a random subset beyond this).
MAX_ROWS = 10_000
#: Above this many features the directions come from a randomized SVD of at
#: most :data:`MAX_RANDOMIZED` directions instead of a covariance ``eigh``.
MAX_EIGH_FEATURES = 2048
MAX_RANDOMIZED = 256
#: float64 entries (1 MiB) per block of candidate differences in :func:`refine`.
REFINE_BLOCK = 2**17
#: Cells per coordinate of the grid that orders the queries in :func:`refine`.
GRID_CELLS = 16


def principal_subspace(X, variance, *, random_state):
    """Mean and leading principal directions keeping ``variance`` of the total.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variance : float in (0, 1)
        Fraction of the total variance (the sum of the per-feature variances)
        the kept directions must explain.
    random_state : RandomState instance
        Picks the row subset beyond :data:`MAX_ROWS` rows and seeds the
        randomized SVD above :data:`MAX_EIGH_FEATURES` features.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        Column means of all rows (float64).
    components : ndarray of shape (n_components, n_features) or None
        Orthonormal rows, the leading direction first; None when keeping
        ``variance`` needs more than half of the features (projecting would
        not pay).
    discarded : float
        Fraction of the variance of the rows used that the kept directions
        leave out (0.0 when ``components`` is None).
    """
    X = np.asarray(X)
    n_samples, n_features = X.shape
    mean = X.mean(axis=0, dtype=np.float64)
    rows = X
    if n_samples > MAX_ROWS:
        rows = X[np.sort(random_state.choice(n_samples, MAX_ROWS, replace=False))]
    rows = np.asarray(rows, dtype=np.float64) - mean
    total = float(np.einsum("ij,ij->", rows, rows))
    limit = n_features // 2
    if limit < 1 or total == 0.0:
        return mean, None, 0.0
    if n_features <= MAX_EIGH_FEATURES:
        values, vectors = eigh(rows.T @ rows)
        values, vectors = np.maximum(values[::-1], 0.0), vectors[:, ::-1].T
    else:
        rank = min(limit, MAX_RANDOMIZED, rows.shape[0])
        _, singular, vectors = randomized_svd(
            rows, rank, n_oversamples=10, n_iter=4, random_state=random_state
        )
        values = singular**2
    # Variance left out when keeping the first r directions, r = 1, 2, ...
    discarded = (total - np.cumsum(values)) / total
    enough = np.flatnonzero(discarded <= 1.0 - variance)
    if enough.size == 0 or enough[0] + 1 > limit:
        return mean, None, 0.0
    n_components = int(enough[0]) + 1
    return (
        mean,
        np.ascontiguousarray(vectors[:n_components]),
        float(max(discarded[n_components - 1], 0.0)),
    )


def graph_rows(X, mean, components):
    """The float32 rows an index holds: as given, centred, or projected.

    ``mean`` None: ``X`` cast as is; ``components`` None: ``X - mean``;
    else ``(X - mean) @ components.T``. Computed in float64 without a
    float64 copy of all of ``X``.
    """
    if mean is None:
        return np.asarray(X, dtype=np.float32)
    if components is None:
        rows = np.empty(X.shape, dtype=np.float32)
        step = max(1, REFINE_BLOCK // max(1, X.shape[1]))
        for start in range(0, X.shape[0], step):
            block = slice(start, start + step)
            np.subtract(X[block], mean, out=rows[block], casting="unsafe")
        return rows
    return (X @ components.T - components @ mean).astype(np.float32)


def n_candidates(n_neighbors):
    """Candidates re-ranked per query: ``max(2 * n_neighbors, n_neighbors + 10)``."""
    return max(2 * n_neighbors, n_neighbors + 10)


def locality_order(coordinates):
    """Rows ordered cell by cell on a coarse grid of their first 3 coordinates.

    Queries taken in this order share most of their candidates with the
    previous ones, which are then still in the cache.
    """
    grid = np.asarray(coordinates[:, :3], dtype=np.float64)
    low, span = grid.min(axis=0), np.ptp(grid, axis=0)
    span[span == 0] = 1.0
    cells = np.minimum((grid - low) / span * GRID_CELLS, GRID_CELLS - 1)
    return np.lexsort(cells.astype(np.intp).T[::-1])


def refine(X, data, candidates, n_neighbors, *, order=None):
    """The ``n_neighbors`` candidates nearest in float64, with their distances.

    Parameters
    ----------
    X : ndarray of shape (n_queries, n_features)
    data : ndarray of shape (n_indexed, n_features)
    candidates : ndarray of shape (n_queries, n_candidates)
        Rows of ``data``, per query.
    n_neighbors : int
        Candidates kept, at most ``n_candidates``.
    order : ndarray of shape (n_queries,) or None
        Order in which the queries are processed (see :func:`locality_order`);
        the result does not depend on it.

    Returns
    -------
    distances, indices : ndarray of shape (n_queries, n_neighbors)
        Nearest first; ties keep the candidates' order.
    """
    n_queries, n_candidates = candidates.shape
    n_features = X.shape[1]
    squared = np.empty((n_queries, n_candidates))
    step = max(1, REFINE_BLOCK // max(1, n_candidates * n_features))
    block = np.empty((min(step, n_queries), n_candidates, n_features))
    same_type = isinstance(data, np.ndarray) and data.dtype == np.float64
    for start in range(0, n_queries, step):
        rows = (
            slice(start, min(start + step, n_queries))
            if order is None
            else order[start : start + step]
        )
        listed = candidates[rows]
        diff = block[: listed.shape[0]]
        if same_type:
            np.take(data, listed, axis=0, out=diff)
        else:
            diff[...] = data[listed]
        diff -= np.asarray(X[rows], dtype=np.float64)[:, None, :]
        squared[rows] = np.einsum("ijk,ijk->ij", diff, diff)
    nearest = np.argsort(squared, axis=1, kind="stable")[:, :n_neighbors]
    distances = np.sqrt(np.take_along_axis(squared, nearest, axis=1))
    return distances, np.take_along_axis(candidates, nearest, axis=1)
