"""Geometric nested-dissection ordering of a sparse matrix over points.

Sparse LU fill depends on the elimination order. The matrices of the
manifold learners are graphs over points lying on a low-dimensional manifold,
where nested dissection (eliminate two halves separately, their separator
last) keeps the fill near ``O(n log n)``, far below what column minimum-degree
(COLAMD) reaches on million-point problems. The halves are cut at the median
of the points' widest principal direction; the separator is the set of
vertices of one half with an edge into the other.
"""

import numpy as np
import scipy.sparse as sp

# Parts at most this size are not split further.
LEAF_SIZE = 32
# Points the split direction of a part is estimated from, at most about.
DIRECTION_SAMPLE = 4096


def _split_direction(points):
    """Coordinates of the points along their widest principal direction."""
    if points.shape[1] == 1:
        return points[:, 0]
    # The direction is estimated on a strided sample of large parts.
    sample = points[:: max(1, len(points) // DIRECTION_SAMPLE)]
    centred = sample - sample.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return points @ vectors[:, -1]


def _boundaries(vertices, right_mask, indptr, indices, side):
    """Masks of ``vertices`` with an edge into the other half.

    ``side`` labels the current part's vertices 1 (left) or 2 (right) and
    every other vertex 0.
    """
    counts = indptr[vertices + 1] - indptr[vertices]
    rows = np.repeat(np.arange(len(vertices)), counts)
    first_edge = np.cumsum(counts) - counts
    positions = np.arange(len(rows)) + (indptr[vertices] - first_edge)[rows]
    neighbour_side = side[indices[positions]]
    own_side = np.where(right_mask, 2, 1)[rows]
    crossing = (neighbour_side != 0) & (neighbour_side != own_side)
    boundary = np.zeros(len(vertices), dtype=bool)
    boundary[rows[crossing]] = True
    return boundary & ~right_mask, boundary & right_mask


def _reach(indptr, indices, points):
    """Each vertex's longest edge."""
    counts = np.diff(indptr)
    rows = np.repeat(np.arange(len(counts)), counts)
    edges = points[rows] - points[indices]
    squared = np.einsum("ij,ij->i", edges, edges)
    reach = np.zeros(len(counts))
    nonempty = counts > 0
    reach[nonempty] = np.maximum.reduceat(squared, indptr[:-1][nonempty])
    return np.sqrt(reach)


def nested_dissection(pattern, points, *, leaf_size=LEAF_SIZE):
    """Elimination order of the rows/columns of a structurally symmetric matrix.

    Parameters
    ----------
    pattern : sparse matrix of shape (n, n)
        Its nonzero pattern (made symmetric here) is the graph to dissect.
    points : ndarray of shape (n, n_features)
        Coordinates of the vertices, used to choose the cuts.
    leaf_size : int, default=32
        Parts at most this size are ordered as they come.

    Returns
    -------
    order : ndarray of shape (n,)
        A permutation: eliminate vertex ``order[0]`` first.
    """
    graph = sp.csr_matrix(pattern, copy=True)
    graph.data = np.ones_like(graph.data, dtype=np.int8)
    graph = (graph + graph.T).tocsr()
    n = graph.shape[0]
    points = np.asarray(points, dtype=np.float64)
    indptr, indices = graph.indptr, graph.indices
    side = np.zeros(n, dtype=np.int8)
    reach = _reach(indptr, indices, points)
    order = np.empty(n, dtype=np.int64)
    # A stack of (vertices, first free slot, last free slot): each part fills
    # the slots [start, stop) of the order, its separator the last ones.
    stack = [(np.arange(n), 0, n)]
    while stack:
        vertices, start, stop = stack.pop()
        if len(vertices) <= leaf_size:
            order[start:stop] = vertices
            continue
        projection = _split_direction(points[vertices])
        median = np.median(projection)
        right_mask = projection > median
        if right_mask.all() or not right_mask.any():
            order[start:stop] = vertices
            continue
        # Only vertices nearer the cut than their longest edge can have an
        # edge across it (the projection direction has unit norm).
        near = np.flatnonzero(np.abs(projection - median) <= reach[vertices])
        side[vertices] = np.where(right_mask, 2, 1)
        left_near, right_near = _boundaries(
            vertices[near], right_mask[near], indptr, indices, side
        )
        side[vertices] = 0
        # The separator: the vertices of one half with a neighbour in the
        # other, from whichever half gives fewer.
        left_boundary = np.zeros(len(vertices), dtype=bool)
        if right_near.sum() < left_near.sum():
            right_mask = ~right_mask
            left_boundary[near[right_near]] = True
        else:
            left_boundary[near[left_near]] = True
        separator = vertices[left_boundary]
        left = vertices[~right_mask & ~left_boundary]
        right = vertices[right_mask]
        order[stop - len(separator) : stop] = separator
        stop -= len(separator)
        stack.append((left, start, start + len(left)))
        stack.append((right, start + len(left), stop))
    return order
