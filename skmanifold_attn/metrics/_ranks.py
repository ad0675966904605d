"""Ranks of given neighbour pairs in another space, without the N x N matrix.

Trustworthiness and continuity both sum, over each row ``i`` and each ``j``
of a neighbour list from one space, how far beyond ``k`` the rank of ``j``
among ``i``'s neighbours in the *other* space falls. scikit-learn ranks by
sorting a full distance matrix (O(N^2) memory). Here, in three stages that
each take only the rows the previous one left:

1. Neighbour lists of ``3 k`` rows (longer ones, in rounds, when stage 2 is
   not available): a pair found in its row's list has its rank there.
2. Dense Euclidean data of at most ``_TREE_MAX_FEATURES`` columns: the rank of
   ``j`` is the count of rows within ``d(i, j)`` of ``i``, from a k-d tree
   (cheap for near pairs, and for far ones the tree counts whole nodes).
   When the lists of stage 1 showed tied distances, a second count finds
   the pairs with another row at the same distance to rounding; they go on.
3. Exact ranks from blocks of distance rows, ``(chunk, N)``.

Buffers stay within ``_BUFFER_ITEMS`` entries whatever ``N``, so memory is
O(N k).

Ties: points at the same distance from ``i`` are ranked by row index (as a
stable sort would). scikit-learn's ``trustworthiness`` ranks them in the
order of an unstable sort, so the two may differ on data with exact ties.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import pairwise_distances

from ._knn import count_within, kneighbors_excluding_self

# Entries of the largest temporary buffer (booleans or floats).
_BUFFER_ITEMS = 2**23
# First list length, in multiples of k; the growth factor of later rounds.
_FIRST_FACTOR = 3
_GROWTH = 4
# List rounds before the distance blocks when the tree counts are unavailable.
_LIST_ROUNDS = 3
# k-d tree counts for Euclidean data up to this many columns.
_TREE_MAX_FEATURES = 15
# Relative width of the shell around d(i, j) inside which rows count as tied.
_TIE_SHELL = 1e-12


def _rank_by_lists(X, rows, pairs, ranks, size, metric, index):
    """Ranks of the pairs found among their row's ``size`` nearest rows.

    Fills ``ranks`` where found; returns the rows with a pair not found,
    the index, and whether two listed rows were at the same distance.
    """
    n_samples, n_pairs = pairs.shape
    complete = size >= n_samples - 1
    chunk = max(1, _BUFFER_ITEMS // (size * n_pairs))
    unresolved, tied = [], False
    for start in range(0, rows.size, chunk):
        part = rows[start : start + chunk]
        distances, indices, index = kneighbors_excluding_self(
            X, size, metric=metric, rows=part, index=index
        )
        # Equidistant rows in index order.
        order = np.lexsort((indices, distances), axis=-1)
        distances = np.take_along_axis(distances, order, axis=1)
        indices = np.take_along_axis(indices, order, axis=1)
        tied = tied or bool(np.any(distances[:, 1:] == distances[:, :-1]))
        match = indices[:, None, :] == pairs[part][:, :, None]
        found = match.any(axis=2)
        position = match.argmax(axis=2)
        if not complete:
            # Tied with the last listed row: rows of lower index may tie too
            # beyond the list.
            edge = np.take_along_axis(distances, position, axis=1) >= distances[:, -1:]
            found &= ~edge
        ranks[part] = np.where(found, position + 1, 0)
        unresolved.append(part[~found.all(axis=1)])
    return np.concatenate(unresolved), index, tied


def _rank_by_tree(X, rows, pairs, ranks, *, check_ties):
    """Ranks of the unranked pairs of ``rows`` by k-d tree counts.

    Fills ``ranks`` where no other row ties with the pair; returns the rows
    with a tie left. Ties are looked for (a second count per pair) only with
    ``check_ties``: without, a row within the rounding shell of ``d(i, j)``
    counts as farther than ``j``.
    """
    row_of, column = np.nonzero(ranks[rows] == 0)
    centers = rows[row_of]
    others = pairs[centers, column]
    radii = np.sqrt(((X[centers] - X[others]) ** 2).sum(axis=1))
    inner, tree = count_within(X, centers, radii * (1 - _TIE_SHELL))
    # ``inner`` counts row i itself and the rows strictly closer than j; j
    # alone lies in the shell when nothing ties with it.
    clean = np.ones(inner.size, dtype=bool)
    if check_ties:
        outer, _ = count_within(X, centers, radii * (1 + _TIE_SHELL), tree=tree)
        clean = outer - inner == 1
    ranks[centers[clean], column[clean]] = inner[clean]
    return np.unique(centers[~clean])


def _rank_by_blocks(X, rows, pairs, ranks, metric):
    """Exact ranks of all pairs of ``rows`` from blocks of distance rows."""
    n_samples, n_pairs = pairs.shape
    chunk = max(1, _BUFFER_ITEMS // (n_samples * max(n_pairs, 8)))
    column = np.arange(n_samples)
    for start in range(0, rows.size, chunk):
        part = rows[start : start + chunk]
        if metric == "precomputed":
            block = X[part].toarray() if sp.issparse(X) else np.array(X[part])
        else:
            block = pairwise_distances(X[part], X, metric=metric)
        block[np.arange(part.size), part] = np.inf  # a row is not its neighbour
        targets = pairs[part]
        threshold = np.take_along_axis(block, targets, axis=1)
        for p in range(n_pairs):
            t = threshold[:, p : p + 1]
            ties = (block == t) & (column < targets[:, p : p + 1])
            ranks[part, p] = 1 + (block < t).sum(axis=1) + ties.sum(axis=1)


def rank_excess(X, pairs, n_neighbors, *, metric="euclidean"):
    """Sum of ``max(0, rank_X(i, j) - n_neighbors)`` over the given pairs.

    Parameters
    ----------
    X : {ndarray, sparse matrix} of shape (n_samples, n_features)
        The space ranking the pairs (a distance matrix with
        ``metric='precomputed'``).
    pairs : ndarray of shape (n_samples, n_pairs)
        ``pairs[i]``: the rows ``j`` (other than ``i``) to rank among row
        ``i``'s neighbours.
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
    use_tree = (
        metric == "euclidean"
        and not sp.issparse(X)
        and X.shape[1] <= _TREE_MAX_FEATURES
    )
    # Rank of each pair; 0 until known.
    ranks = np.zeros((n_samples, n_pairs), dtype=np.intp)
    pending = np.arange(n_samples)
    size = min(n_samples - 1, _FIRST_FACTOR * max(n_neighbors, n_pairs))
    index, tied = None, False
    for _ in range(1 if use_tree else _LIST_ROUNDS):
        pending, index, tied_here = _rank_by_lists(
            X, pending, pairs, ranks, size, metric, index
        )
        tied = tied or tied_here
        if not pending.size or size >= n_samples - 1:
            break
        size = min(n_samples - 1, size * _GROWTH)
    if pending.size and use_tree:
        # Data without a tie in the first lists (continuous data) is taken
        # to have none further out either: one count per pair.
        pending = _rank_by_tree(X, pending, pairs, ranks, check_ties=tied)
    if pending.size:
        _rank_by_blocks(X, pending, pairs, ranks, metric)
    excess = ranks - n_neighbors
    return int(excess[excess > 0].sum())
