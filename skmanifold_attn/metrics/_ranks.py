"""Ranks of given neighbour pairs in another space, without the N x N matrix.

Trustworthiness and continuity both sum, over each row ``i`` and each ``j``
of a neighbour list from one space, how far beyond ``k`` the rank of ``j``
among ``i``'s neighbours in the *other* space falls. scikit-learn ranks by
sorting a full distance matrix (O(N^2) memory); here the ranks come from
nearest-neighbour lists that grow only for the rows that need them: a row
whose pairs all rank within its first ``K`` neighbours is done after one
query of ``K``; the others are queried again with ``4 K``, and so on up to
all ``N - 1`` rows. Buffers stay within ``_BUFFER_ITEMS`` entries whatever
``N``.

Ties: points at the same distance from ``i`` are ranked by row index (as a
stable sort would). scikit-learn's ``trustworthiness`` ranks them in the
order of an unstable sort, so the two may differ on data with exact ties.
"""

import numpy as np

from ._knn import kneighbors_excluding_self

# Entries (rows x neighbours x pairs) of the largest boolean match buffer.
_BUFFER_ITEMS = 2**24
# First list length, in multiples of k; the growth factor of later rounds.
_FIRST_FACTOR = 3
_GROWTH = 4


def _ranked_neighbors(X, rows, size, metric, index):
    """``size`` nearest other rows of each row, ties ordered by row index."""
    distances, indices, index = kneighbors_excluding_self(
        X, size, metric=metric, rows=rows, index=index
    )
    order = np.lexsort((indices, distances), axis=-1)
    distances = np.take_along_axis(distances, order, axis=1)
    indices = np.take_along_axis(indices, order, axis=1)
    return distances, indices, index


def rank_excess(X, pairs, n_neighbors, *, metric="euclidean"):
    """Sum of ``max(0, rank_X(i, j) - n_neighbors)`` over the given pairs.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The space ranking the pairs (a distance matrix with
        ``metric='precomputed'``).
    pairs : ndarray of shape (n_samples, n_pairs)
        ``pairs[i]``: the rows ``j`` to rank among row ``i``'s neighbours.
    n_neighbors : int
        The ``k`` subtracted from each rank.
    metric : str or callable, default='euclidean'
        Distance in ``X``.

    Returns
    -------
    excess : int
        The sum; rank 1 is the nearest other row.
    """
    n_samples, n_pairs = pairs.shape
    total = 0
    pending = np.arange(n_samples)
    size = min(n_samples - 1, _FIRST_FACTOR * max(n_neighbors, n_pairs))
    index = None
    while pending.size:
        complete = size >= n_samples - 1
        chunk = max(1, _BUFFER_ITEMS // (size * n_pairs))
        unresolved = []
        for start in range(0, pending.size, chunk):
            rows = pending[start : start + chunk]
            distances, indices, index = _ranked_neighbors(X, rows, size, metric, index)
            match = indices[:, None, :] == pairs[rows][:, :, None]
            found = match.any(axis=2)
            position = match.argmax(axis=2)
            if not complete:
                # A pair tied with the last listed neighbour may have tied
                # rows of lower index beyond the list: not settled yet.
                at_edge = (
                    np.take_along_axis(distances, position, axis=1) >= distances[:, -1:]
                )
                found &= ~at_edge
            done = found.all(axis=1)
            excess = position[done] + 1 - n_neighbors
            total += int(excess[excess > 0].sum())
            unresolved.append(rows[~done])
        pending = np.concatenate(unresolved)
        size = min(n_samples - 1, size * _GROWTH)
    return total
