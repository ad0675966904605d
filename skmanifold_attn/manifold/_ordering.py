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


def _split_direction(points):
    centred = points - points.mean(axis=0)
    if points.shape[1] == 1:
        return centred[:, 0]
    # The top right singular vector via the small covariance matrix.
    covariance = centred.T @ centred
    _, vectors = np.linalg.eigh(covariance)
    return centred @ vectors[:, -1]


def _boundary(part, other, indptr, indices, side):
    """Mask of the vertices of ``part`` with an edge into ``other``."""
    side[other] = 1
    counts = indptr[part + 1] - indptr[part]
    rows = np.repeat(np.arange(len(part)), counts)
    first_edge = np.cumsum(counts) - counts
    offsets = np.arange(counts.sum()) - np.repeat(first_edge, counts)
    crossing = side[indices[np.repeat(indptr[part], counts) + offsets]] == 1
    side[other] = 0
    mask = np.zeros(len(part), dtype=bool)
    mask[rows[crossing]] = True
    return mask


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
        right_mask = projection > np.median(projection)
        if right_mask.all() or not right_mask.any():
            order[start:stop] = vertices
            continue
        left, right = vertices[~right_mask], vertices[right_mask]
        # The separator: the vertices of one half with a neighbour in the
        # other, from whichever half gives fewer.
        left_boundary = _boundary(left, right, indptr, indices, side)
        right_boundary = _boundary(right, left, indptr, indices, side)
        if right_boundary.sum() < left_boundary.sum():
            left, right = right, left
            left_boundary = right_boundary
        separator = left[left_boundary]
        left = left[~left_boundary]
        order[stop - len(separator) : stop] = separator
        stop -= len(separator)
        stack.append((left, start, start + len(left)))
        stack.append((right, start + len(left), stop))
    return order
