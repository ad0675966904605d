"""Geometric nested-dissection ordering of a sparse matrix over points.

Sparse LU fill depends on the elimination order. The matrices of the
manifold learners are graphs over points lying on a low-dimensional manifold,
where nested dissection (eliminate two halves separately, their separator
last) keeps the fill near ``O(n log n)``, far below what column minimum-degree
(COLAMD) reaches on million-point problems. The halves are cut at the median
of the points' widest principal direction; the separator is a minimum vertex
cover of the edges across the cut (Konig's theorem, from a maximum bipartite
matching) on large parts, the cut's boundary on one side on small ones.

The cuts need only coarse coordinates: points with more than
``ORDERING_DIMENSIONS`` features are first projected on their leading principal
directions (a randomized range finder, ``O(n * n_features * d)`` time and
``O(n * d)`` memory), so the ordering's cost does not grow with the input
dimension. A crossing edge is found from these coordinates exactly as from the
original ones (an edge's projection is never longer than the edge).
"""

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, maximum_bipartite_matching

# Parts at most this size are not split further.
LEAF_SIZE = 32
# Parts at least this size are cut along a minimum vertex cover.
COVER_MIN_PART = 1024
# Points the split direction of a part is estimated from, at most about.
DIRECTION_SAMPLE = 4096
# Points with more features are cut along this many leading principal
# directions instead.
ORDERING_DIMENSIONS = 8
# Oversampling and power iterations of the randomized range finder.
RANGE_OVERSAMPLING = 8
RANGE_POWER_ITERATIONS = 2


def ordering_coordinates(points, n_dimensions=None):
    """Coordinates of the points along their leading principal directions.

    Points with at most ``n_dimensions`` features are returned as float64;
    wider ones are centred and projected on an estimate of their
    ``n_dimensions`` leading principal directions (randomized range finder
    with a fixed seed, never forming the centred copy of the points).

    Parameters
    ----------
    points : ndarray of shape (n, n_features)
    n_dimensions : int, default=None
        At most this many coordinates; None means ``ORDERING_DIMENSIONS``.

    Returns
    -------
    coordinates : ndarray of shape (n, min(n_features, n_dimensions))
    """
    if n_dimensions is None:
        n_dimensions = ORDERING_DIMENSIONS
    points = np.asarray(points, dtype=np.float64)
    n, n_features = points.shape
    if n_features <= n_dimensions:
        return points
    mean = points.mean(axis=0)
    width = min(n_features, n_dimensions + RANGE_OVERSAMPLING)
    probe = np.random.RandomState(0).standard_normal((n_features, width))

    def centred_times(matrix):
        return points @ matrix - mean @ matrix

    def centred_t_times(matrix):
        return points.T @ matrix - np.outer(mean, matrix.sum(axis=0))

    basis = np.linalg.qr(centred_times(probe))[0]
    for _ in range(RANGE_POWER_ITERATIONS):
        basis = np.linalg.qr(centred_t_times(basis))[0]
        basis = np.linalg.qr(centred_times(basis))[0]
    # Principal directions of the centred points within the found range.
    small = centred_t_times(basis)  # (n_features, width)
    directions = np.linalg.svd(small, full_matrices=False)[0][:, :n_dimensions]
    return centred_times(directions)


def _split_direction(points):
    """Coordinates of the points along their widest principal direction."""
    if points.shape[1] == 1:
        return points[:, 0]
    # The direction is estimated on a strided sample of large parts.
    sample = points[:: max(1, len(points) // DIRECTION_SAMPLE)]
    centred = sample - sample.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return points @ vectors[:, -1]


def _crossing_edges(vertices, right_mask, indptr, indices, side):
    """Edges ``(left vertex, right vertex)`` from ``vertices`` across the cut.

    ``side`` labels the current part's vertices 1 (left) or 2 (right) and
    every other vertex 0; each crossing edge is returned once.
    """
    vertices = vertices[~right_mask]
    counts = indptr[vertices + 1] - indptr[vertices]
    rows = np.repeat(np.arange(len(vertices)), counts)
    first_edge = np.cumsum(counts) - counts
    positions = np.arange(len(rows)) + (indptr[vertices] - first_edge)[rows]
    neighbours = indices[positions]
    crossing = side[neighbours] == 2
    return vertices[rows[crossing]], neighbours[crossing]


def _min_vertex_cover(left, right):
    """Smallest vertex set touching every edge ``(left[i], right[i])``.

    Konig's theorem: from a maximum matching of the bipartite graph, the
    cover is the left vertices not reachable from an unmatched left vertex by
    an alternating path, plus the right vertices that are.
    """
    left_ids, left_index = np.unique(left, return_inverse=True)
    right_ids, right_index = np.unique(right, return_inverse=True)
    n_left, n_right = len(left_ids), len(right_ids)
    ones = np.ones(len(left_index), dtype=np.int8)
    bipartite = sp.csr_matrix(
        (ones, (left_index, right_index)), shape=(n_left, n_right)
    )
    mate = maximum_bipartite_matching(bipartite, perm_type="column")
    matched = np.flatnonzero(mate >= 0)
    unmatched = np.flatnonzero(mate < 0)
    source = n_left + n_right
    # Left -> right along every edge, right -> left along matching edges, and
    # a source into every unmatched left vertex.
    heads = np.concatenate(
        [left_index, n_left + mate[matched], np.full(len(unmatched), source)]
    )
    tails = np.concatenate([n_left + right_index, matched, unmatched])
    alternating = sp.csr_matrix(
        (np.ones(len(heads), dtype=np.int8), (heads, tails)),
        shape=(source + 1, source + 1),
    )
    reached = np.zeros(source + 1, dtype=bool)
    reached[breadth_first_order(alternating, source, return_predecessors=False)] = True
    return left_ids[~reached[:n_left]], right_ids[reached[n_left:source]]


def _reach(pattern, points):
    """Each vertex's longest edge in the symmetrised ``pattern``.

    The lengths are computed once per stored entry (not per entry of
    ``pattern + pattern.T``, twice as many) and each counts at both ends.
    """
    counts = np.diff(pattern.indptr)
    rows = np.repeat(np.arange(len(counts)), counts)
    edges = points[rows] - points[pattern.indices]
    squared = np.einsum("ij,ij->i", edges, edges)
    reach = np.zeros(pattern.shape[0])
    np.maximum.at(reach, rows, squared)
    np.maximum.at(reach, pattern.indices, squared)
    return np.sqrt(reach)


def nested_dissection(pattern, points, *, leaf_size=LEAF_SIZE):
    """Elimination order of the rows/columns of a structurally symmetric matrix.

    Parameters
    ----------
    pattern : sparse matrix of shape (n, n)
        Its nonzero pattern (made symmetric here) is the graph to dissect.
    points : ndarray of shape (n, n_features)
        Coordinates of the vertices, used to choose the cuts (through
        :func:`ordering_coordinates`: at most ``ORDERING_DIMENSIONS`` of
        them).
    leaf_size : int, default=32
        Parts at most this size are ordered as they come.

    Returns
    -------
    order : ndarray of shape (n,)
        A permutation: eliminate vertex ``order[0]`` first.
    """
    pattern = sp.csr_matrix(pattern)
    graph = pattern.copy()
    graph.data = np.ones_like(graph.data, dtype=np.int8)
    graph = (graph + graph.T).tocsr()
    n = graph.shape[0]
    points = ordering_coordinates(points)
    indptr, indices = graph.indptr, graph.indices
    side = np.zeros(n, dtype=np.int8)
    marked = np.zeros(n, dtype=bool)
    reach = _reach(pattern, points)
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
        left_ends, right_ends = _crossing_edges(
            vertices[near], right_mask[near], indptr, indices, side
        )
        side[vertices] = 0
        # The separator: a minimum vertex cover of the crossing edges on
        # large parts; on small ones, the crossing edges' ends in whichever
        # half has fewer.
        if len(vertices) >= COVER_MIN_PART:
            cover_left, cover_right = _min_vertex_cover(left_ends, right_ends)
        else:
            cover_left, cover_right = np.unique(left_ends), np.unique(right_ends)
            if len(cover_right) < len(cover_left):
                cover_left = cover_left[:0]
            else:
                cover_right = cover_right[:0]
        marked[cover_left] = True
        marked[cover_right] = True
        in_separator = marked[vertices]
        marked[cover_left] = False
        marked[cover_right] = False
        separator = vertices[in_separator]
        left = vertices[~right_mask & ~in_separator]
        right = vertices[right_mask & ~in_separator]
        order[stop - len(separator) : stop] = separator
        stop -= len(separator)
        stack.append((left, start, start + len(left)))
        stack.append((right, start + len(left), stop))
    return order
