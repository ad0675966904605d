"""Geometric nested-dissection ordering of a sparse matrix over points.

Sparse LU fill depends on the elimination order. The matrices of the
manifold learners are graphs over points lying on a low-dimensional manifold,
where nested dissection (eliminate two halves separately, their separator
last) keeps the fill near ``O(n log n)``, far below what column minimum-degree
(COLAMD) reaches on million-point problems. The halves are cut at the median
of the points' widest principal direction; the separator is a minimum vertex
cover of the edges across the cut (Konig's theorem, from a maximum bipartite
matching). All parts of one level of the dissection are cut together, by
whole-array operations over their vertices (one batched ``eigh`` for the
directions, one matching for the separators), so the Python work grows with
the depth, ``log(n / leaf_size)``, not with the number of parts. A plane
can cross several folds of a curved manifold (the turns of a swiss roll),
so the first ``GEODESIC_LEVELS`` levels also try a cut across a
breadth-first search of the graph from a far vertex (George and Liu's
level structures) and keep, part by part, the cut with the smaller
separator.

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
# Points with more features are cut along this many leading principal
# directions instead.
ORDERING_DIMENSIONS = 8
# Rows per chunk of the edge lengths.
REACH_CHUNK_ROWS = 8192
# The first cuts (this many levels of the dissection, where separators are
# largest) are also tried across a breadth-first search of the graph, after
# this many searches (each from the last vertex of the one before). On a
# swiss roll, two such levels cut the LU's time by 40% at 200,000 and
# 1,000,000 points (a third level costs more than it saves).
GEODESIC_LEVELS = 2
GEODESIC_SEARCHES = 2
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
    # C order: the cuts gather rows (ten times slower from Fortran order).
    points = np.ascontiguousarray(points, dtype=np.float64)
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


def spatial_order(points):
    """A permutation putting nearby points near each other (Morton order).

    The points' coordinates along at most ``ORDERING_DIMENSIONS`` principal
    directions (:func:`ordering_coordinates`) are quantised on a grid and the
    points sorted by the interleaved bits of their cells (a Z-order curve),
    ties by index. Work over the points in this order touches memory
    locally, and a minimum-degree ordering started from it finds less fill.

    Parameters
    ----------
    points : ndarray of shape (n, n_features)

    Returns
    -------
    order : ndarray of shape (n,)
        Point ``order[0]`` first.
    """
    coordinates = ordering_coordinates(points)
    n, d = coordinates.shape
    bits = min(16, 63 // max(d, 1))
    low = coordinates.min(axis=0)
    span = coordinates.max(axis=0) - low
    span[~(span > 0)] = 1.0
    cells = np.minimum(
        ((coordinates - low) / span * 2**bits).astype(np.int64), 2**bits - 1
    )
    code = np.zeros(n, dtype=np.int64)
    for bit in range(bits):
        for dim in range(d):
            code |= ((cells[:, dim] >> bit) & 1) << (d * bit + dim)
    return np.argsort(code, kind="stable")


def _split_projection(coordinates, label, sizes):
    """Each row's coordinate along its part's widest principal direction.

    ``label`` gives each row's part; all parts' scatter matrices are formed
    by one pass over the rows and diagonalised in one batched ``eigh``. The
    coordinates are centred on their part's mean, so a part far from the
    origin keeps its resolution.
    """
    n_parts, d = len(sizes), coordinates.shape[1]
    means = (
        np.stack(
            [np.bincount(label, coordinates[:, j], n_parts) for j in range(d)], axis=1
        )
        / sizes[:, None]
    )
    centred = coordinates - means[label]
    if d == 1:
        return centred[:, 0]
    scatter = np.empty((n_parts, d, d))
    for i in range(d):
        for j in range(i, d):
            scatter[:, i, j] = scatter[:, j, i] = np.bincount(
                label, centred[:, i] * centred[:, j], n_parts
            )
    directions = np.linalg.eigh(scatter)[1][:, :, -1]
    return np.einsum("ij,ij->i", centred, directions[label])


def _parts_graph(graph, vertices, label):
    """The graph's edges between vertices of one part, as a CSR for searches.

    One pass over the graph's entries keeps those, in the graph's own
    (sorted) layout; a single part holding every vertex keeps them all.
    """
    n = graph.n
    if len(vertices) == n and label[0] == label[-1]:
        columns, indptr = graph.indices, graph.indptr
    else:
        graph.part_of[vertices] = label
        row_part = graph.part_of[graph.entry_row]
        inside = (row_part >= 0) & (row_part == graph.part_of[graph.indices])
        graph.part_of[vertices] = -1
        columns = graph.indices[inside]
        indptr = np.concatenate([[0], np.cumsum(inside)])[graph.indptr]
    # float64 data and sorted columns: the search uses it without a copy.
    parts_graph = sp.csr_matrix((np.ones(len(columns)), columns, indptr), shape=(n, n))
    parts_graph.has_sorted_indices = True
    return parts_graph


def _breadth_first_rank(parts_graph, local, vertices, label, starts):
    """Rank of each vertex in a breadth-first search of its part from ``starts``.

    ``parts_graph`` links vertices of one part only (:func:`_parts_graph`);
    each part is searched from its start vertex (a position in
    ``vertices``). Vertices a search does not reach rank last. Returns the
    ranks and, per part, the position of the last vertex reached (its far
    end).
    """
    m = len(vertices)
    local[vertices] = np.arange(m)
    rank = np.full(m, float(m))
    far = starts.copy()
    offset = 0
    for part, start in enumerate(starts):
        reached = local[
            breadth_first_order(
                parts_graph, vertices[start], directed=True, return_predecessors=False
            )
        ]
        rank[reached] = offset + np.arange(len(reached))
        offset += len(reached)
        far[part] = reached[-1]
    return rank, far


def _part_medians(projection, label, bounds):
    """Median of ``projection`` within each part, rounded to float32.

    One sort of 64-bit keys (part label in the high half, the value's
    order-preserving float32 bits in the low half) orders every part at once,
    many times faster than a two-key ``lexsort``. Any cut value is a valid
    cut (the crossing edges are found against the same value), so float32's
    rounding only moves the halves' balance by the ties it creates.
    """
    bits = projection.astype(np.float32).view(np.uint32)
    # Negative floats order reversed: flip all their bits, else the sign bit.
    ordered = np.where(bits >> np.uint32(31), ~bits, bits | np.uint32(1 << 31))
    keys = np.sort((label.astype(np.uint64) << np.uint64(32)) | ordered)
    sizes = np.diff(bounds)

    def value(rows):
        low = (keys[rows] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        bits = np.where(low >> np.uint32(31), low & np.uint32(0x7FFFFFFF), ~low)
        return bits.view(np.float32).astype(np.float64)

    low = value(bounds[:-1] + (sizes - 1) // 2)
    high = value(bounds[:-1] + sizes // 2)
    return (low + high) / 2


def _edges(vertices, indptr, indices):
    """Every edge ``(row, neighbour)`` of ``vertices``, rows as positions."""
    counts = indptr[vertices + 1] - indptr[vertices]
    rows = np.repeat(np.arange(len(vertices)), counts)
    first_edge = np.cumsum(counts) - counts
    positions = np.arange(len(rows)) + (indptr[vertices] - first_edge)[rows]
    return rows, indices[positions]


class _Graph:
    """The symmetrised graph and scratch arrays over its vertices.

    ``part_of`` labels the vertices of the parts being worked on (-1
    elsewhere), ``side`` their halves (1 left, 2 right, 0 elsewhere); both
    are restored after each use.
    """

    def __init__(self, graph):
        self.indptr, self.indices = graph.indptr, graph.indices
        n = graph.shape[0]
        # The row of every entry, for passes over all entries at once.
        self.entry_row = np.repeat(
            np.arange(n, dtype=self.indices.dtype), np.diff(self.indptr)
        )
        self.part_of = np.full(n, -1, dtype=np.int64)
        self.side = np.zeros(n, dtype=np.int8)
        self.local = np.empty(n, dtype=np.int64)
        self.n = n


def _separate(graph, vertices, label, bounds, projection, reach=None):
    """Halves and separators of parts cut at the median of ``projection``.

    The parts' vertices are ``vertices`` (contiguous by part, ``bounds``),
    each part cut at its median; the separator is a minimum vertex cover of
    the edges across the cut, of all parts at once (their bipartite graphs
    are disjoint). With ``reach`` (each vertex's longest edge, ``projection``
    then a distance along a unit direction) only vertices nearer the cut than
    their reach are searched for crossing edges.

    Returns
    -------
    right_mask, in_separator : ndarray of bool of shape (len(vertices),)
    """
    medians = _part_medians(projection, label, bounds)
    right_mask = projection > medians[label]
    graph.part_of[vertices] = label
    graph.side[vertices] = np.where(right_mask, 2, 1)
    if reach is None:
        # One pass over all the graph's entries.
        ends, neighbours = graph.entry_row, graph.indices
        crossing = (graph.side[ends] == 1) & (graph.side[neighbours] == 2)
    else:
        near = np.abs(projection - medians[label]) <= reach
        ends = vertices[~right_mask & near]
        rows, neighbours = _edges(ends, graph.indptr, graph.indices)
        ends = ends[rows]
        crossing = graph.side[neighbours] == 2
    crossing &= graph.part_of[neighbours] == graph.part_of[ends]
    graph.part_of[vertices] = -1
    graph.side[vertices] = 0
    in_separator = np.zeros(graph.n, dtype=bool)
    for cover in _min_vertex_cover(ends[crossing], neighbours[crossing]):
        in_separator[cover] = True
    return right_mask, in_separator[vertices]


def _place(order, vertices, bounds, slot_start, parts):
    """Fill the slots of ``parts`` with their vertices, in the order they come."""
    sizes = bounds[parts + 1] - bounds[parts]
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    rows = np.repeat(bounds[parts], sizes) + offsets
    order[np.repeat(slot_start[parts], sizes) + offsets] = vertices[rows]


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
    Rows go in chunks, so the temporaries stay small and are reused.
    """
    n = pattern.shape[0]
    indptr, indices = pattern.indptr, pattern.indices
    reach = np.zeros(n)
    for start in range(0, n, REACH_CHUNK_ROWS):
        stop = min(n, start + REACH_CHUNK_ROWS)
        counts = np.diff(indptr[start : stop + 1])
        rows = np.repeat(np.arange(start, stop), counts)
        columns = indices[indptr[start] : indptr[stop]]
        squared = np.zeros(len(rows))
        for j in range(points.shape[1]):
            squared += np.square(points[rows, j] - points[columns, j])
        np.maximum.at(reach, rows, squared)
        np.maximum.at(reach, columns, squared)
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
    symmetric = pattern.copy()
    symmetric.data = np.ones_like(symmetric.data, dtype=np.int8)
    graph = _Graph((symmetric + symmetric.T).tocsr())
    n = graph.n
    points = ordering_coordinates(points)
    # A power-of-two scale (exact) to about unit size: squares and the
    # float32 medians neither overflow nor underflow on extreme scales.
    largest = np.max(np.abs(points), initial=0.0)
    if 0 < largest < np.inf:
        points = np.ldexp(points, -np.frexp(largest)[1])
    reach = _reach(pattern, points)
    order = np.empty(n, dtype=np.int64)
    # All parts of one level are cut together. Part p holds the vertices
    # vertices[bounds[p]:bounds[p + 1]] and fills the slots from
    # slot_start[p] of the order, its separator the last of them.
    vertices = np.arange(n)
    bounds = np.array([0, n])
    slot_start = np.array([0])
    depth = 0
    while len(vertices):
        sizes = np.diff(bounds)
        small = sizes <= leaf_size
        if small.any():
            _place(order, vertices, bounds, slot_start, np.flatnonzero(small))
            vertices, bounds, slot_start = _keep_parts(
                vertices, bounds, slot_start, ~small
            )
            if not len(vertices):
                break
            sizes = np.diff(bounds)
        n_parts = len(sizes)
        label = np.repeat(np.arange(n_parts), sizes)
        projection = _split_projection(points[vertices], label, sizes)
        right_mask, in_separator = _separate(
            graph, vertices, label, bounds, projection, reach[vertices]
        )
        if depth < GEODESIC_LEVELS:
            _cut_geodesically(
                graph, vertices, label, bounds, projection, right_mask, in_separator
            )
        depth += 1
        n_right = np.bincount(label[right_mask], minlength=n_parts)
        flat = (n_right == 0) | (n_right == sizes)
        if flat.any():
            # No cut separates these parts' points: order them as they come
            # (they have no separator).
            _place(order, vertices, bounds, slot_start, np.flatnonzero(flat))
        cut = ~flat[label]
        n_separator = np.bincount(label[in_separator], minlength=n_parts)
        # Separator vertices take the last slots of their part.
        separator = np.flatnonzero(in_separator)
        separator_label = label[separator]
        first = np.searchsorted(separator_label, np.arange(n_parts))
        rank = np.arange(len(separator)) - first[separator_label]
        slot_stop = slot_start + sizes
        order[(slot_stop - n_separator)[separator_label] + rank] = vertices[separator]
        # The halves become the next level's parts: p's left half 2p, its
        # right half 2p + 1, each keeping the order of its vertices.
        rest = np.flatnonzero(~in_separator & cut)
        half = 2 * label[rest] + right_mask[rest]
        rest = rest[np.argsort(half, kind="stable")]
        half_sizes = np.bincount(half, minlength=2 * n_parts)
        half_start = np.empty(2 * n_parts, dtype=np.int64)
        half_start[0::2] = slot_start
        half_start[1::2] = slot_start + half_sizes[0::2]
        vertices = vertices[rest]
        bounds = np.concatenate([[0], np.cumsum(half_sizes)])
        slot_start = half_start
    return order


def _cut_geodesically(
    graph, vertices, label, bounds, projection, right_mask, in_separator
):
    """Re-cut the parts across a breadth-first search where that is better.

    A plane can cross several folds of a curved manifold (the turns of a
    swiss roll), where a level of a breadth-first search of the graph from a
    far vertex crosses it once. Each part keeps whichever of the two cuts
    has the smaller separator; ``right_mask`` and ``in_separator`` (the
    plane's cut) are updated in place.
    """
    sizes = np.diff(bounds)
    # Start from the vertex lowest along the plane cut's direction.
    lowest = np.minimum.reduceat(projection, bounds[:-1])
    at_lowest = np.flatnonzero(projection == lowest[label])
    starts = at_lowest[np.unique(label[at_lowest], return_index=True)[1]]
    parts_graph = _parts_graph(graph, vertices, label)
    for _ in range(GEODESIC_SEARCHES):
        rank, starts = _breadth_first_rank(
            parts_graph, graph.local, vertices, label, starts
        )
    geodesic_right, geodesic_separator = _separate(graph, vertices, label, bounds, rank)
    plane_size = np.bincount(label[in_separator], minlength=len(sizes))
    geodesic_size = np.bincount(label[geodesic_separator], minlength=len(sizes))
    n_right = np.bincount(label[geodesic_right], minlength=len(sizes))
    better = (geodesic_size < plane_size) & (n_right > 0) & (n_right < sizes)
    take = better[label]
    right_mask[take] = geodesic_right[take]
    in_separator[take] = geodesic_separator[take]


def _keep_parts(vertices, bounds, slot_start, keep):
    """The vertices, bounds and slots of the parts where ``keep`` is true."""
    sizes = np.diff(bounds)
    vertices = vertices[np.repeat(keep, sizes)]
    bounds = np.concatenate([[0], np.cumsum(sizes[keep])])
    return vertices, bounds, slot_start[keep]
