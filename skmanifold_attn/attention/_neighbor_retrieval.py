"""Retrieval of the context rows of NeighborAttention, through the neighbours seam.

Every query of the training rows goes through an index of the seam
(:func:`skmanifold_attn.manifold._neighbors.build_index`), in chunks of query
rows, so memory is ``O(n_rows * n_neighbors)`` whatever the training size.

Self-exclusion rule
-------------------
A row never attends to a training row identical to it (Euclidean distance
exactly 0, recomputed in float64 from the differences of the two rows, not
from the index's rounded distances). This one rule serves both cases:

- in ``fit``, a training row leaves out itself (and its exact duplicates),
  so its own target never enters its context;
- in ``transform``/``predict``, a row equal to a training row is recognised as
  that training row and gets exactly the context it had during ``fit``; so
  ``transform(X_train)`` equals ``fit_transform(X_train)``.

A new row that happens to equal a training row is treated as that row (its
identical training rows are left out); every other new row attends to its
``n_neighbors`` nearest training rows. Rows with fewer than ``n_neighbors``
non-identical training rows (heavy duplication) get a mask over the missing
slots.

Learned space
-------------
With ``retrieval="learned"`` the rows are searched by their learned keys
(an index of the seam over the training rows' keys) but the rule above stays
the input-space one: every training row the key search finds is dropped if
it is identical to the query row in the input space (one it does not find is
not in the context anyway), and the distances returned (those of the
attention's prior) are input-space distances too.
"""

import numpy as np

from ..manifold._local_weights import barycenter_weights
from ..manifold._neighbors import _exact_distances, build_index

# Query rows per retrieval chunk: bounds the (chunk, n_neighbors, n_features)
# differences of the exact-distance pass and the network's per-chunk buffers.
QUERY_CHUNK = 2048


def build_memory_index(neighbors_algorithm, data, n_neighbors, random_state=None):
    """Index the (standardised) training rows for ``n_neighbors + 1`` queries."""
    width = min(n_neighbors + 1, data.shape[0])
    return build_index(neighbors_algorithm, data, width, random_state=random_state)


def context_neighbors(
    index, data, X, n_neighbors, *, identity=None, chunk_size=QUERY_CHUNK
):
    """The ``n_neighbors`` nearest training rows not identical to each row of ``X``.

    Parameters
    ----------
    index : NeighborsIndex
        Built on ``data``.
    data : ndarray of shape (n_train, n_features)
        The indexed training rows.
    X : ndarray of shape (n_rows, n_features)
        Query rows, in the space of ``data``.
    n_neighbors : int
        Context size; at most ``n_train - 1``.
    identity : tuple of ndarray or None, default=None
        ``(data_rows, X_rows)``: the same rows in the input space, when the
        search space is another one (learned keys). Rows are then ranked by
        their distance in the search space, while "identical" and the
        returned distances refer to the input space. None: the search space
        is the input space.
    chunk_size : int, default=QUERY_CHUNK
        Query rows per index call.

    Returns
    -------
    indices : ndarray of int of shape (n_rows, n_neighbors)
        Training rows, nearest first; 0 where ``mask`` is False.
    mask : ndarray of bool of shape (n_rows, n_neighbors)
        False for slots no non-identical training row is left for.
    distances : ndarray of shape (n_rows, n_neighbors)
        Euclidean distances to them in the input space (float64, exact); 0
        where ``mask`` is False.
    """
    n_train = data.shape[0]
    n_rows = X.shape[0]
    indices = np.zeros((n_rows, n_neighbors), dtype=np.intp)
    mask = np.zeros((n_rows, n_neighbors), dtype=bool)
    dist = np.zeros((n_rows, n_neighbors))
    for start in range(0, n_rows, chunk_size):
        stop = min(start + chunk_size, n_rows)
        todo = np.arange(start, stop)
        width = min(n_neighbors + 1, n_train)
        while todo.size:
            found = index.query(X[todo], width, return_distance=False)
            distances, found = _exact_distances(X[todo], data, found)
            if identity is not None:
                distances = _row_distances(identity[1][todo], identity[0], found)
            kept = distances > 0
            # Identical rows sort first; move the kept ones to the front.
            order = np.argsort(~kept, axis=1, kind="stable")[:, :n_neighbors]
            done = (kept.sum(axis=1) >= n_neighbors) | (width >= n_train)
            rows = todo[done]
            if width < n_neighbors:  # only when n_train <= n_neighbors
                order = np.pad(order, ((0, 0), (0, n_neighbors - width)))
            chosen = np.take_along_axis(found[done], order[done], axis=1)
            valid = np.take_along_axis(kept[done], order[done], axis=1)
            near = np.take_along_axis(distances[done], order[done], axis=1)
            if width < n_neighbors:
                valid[:, width:] = False
            indices[rows] = np.where(valid, chosen, 0)
            mask[rows] = valid
            dist[rows] = np.where(valid, near, 0)
            todo = todo[~done]
            width = min(2 * width, n_train)
    return indices, mask, dist


def _row_distances(X, data, indices):
    """Float64 distances from each row of ``X`` to its listed ``data`` rows
    (in the order listed), by blocks of rows."""
    n_rows, width = indices.shape
    out = np.empty((n_rows, width))
    step = max(1, 2**21 // max(1, width * X.shape[1]))
    for start in range(0, n_rows, step):
        rows = slice(start, min(start + step, n_rows))
        diff = np.asarray(data[indices[rows]], dtype=np.float64)
        diff -= np.asarray(X[rows], dtype=np.float64)[:, None, :]
        out[rows] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
    return out


def fixed_weights(kind, X, data, indices, mask):
    """Non-learned weights over the context rows (the ablation baselines).

    ``"uniform"``: ``1 / count`` over the valid slots. ``"barycentric"``:
    LLE's reconstruction weights of each row from its context rows (ridge
    ``1e-3`` times the local trace, summing to one), zero on masked slots.
    """
    if kind == "uniform":
        weights = mask.astype(X.dtype)
        counts = weights.sum(axis=1, keepdims=True)
        return weights / np.where(counts > 0, counts, 1)
    weights = barycenter_weights(X, data, indices).astype(X.dtype, copy=False)
    if not mask.all():
        # Recompute the rows with masked slots over their valid slots only.
        for row in np.flatnonzero(~mask.all(axis=1)):
            valid = mask[row]
            weights[row] = 0
            if valid.any():
                weights[row, valid] = barycenter_weights(
                    X[row : row + 1], data, indices[row : row + 1, valid]
                )[0]
    return weights
