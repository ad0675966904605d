import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from skmanifold_attn.manifold._local_weights import barycenter_kneighbors_graph
from skmanifold_attn.manifold._ordering import nested_dissection


def _grid_laplacian(side):
    line = sp.diags([-1, 2, -1], [-1, 0, 1], shape=(side, side), dtype=float)
    eye = sp.identity(side)
    L = (sp.kron(line, eye) + sp.kron(eye, line)).tocsr()
    ij = np.indices((side, side)).reshape(2, -1).T.astype(float)
    return L, ij


def _fill(matrix):
    lu = splu(
        matrix.tocsc(),
        permc_spec="NATURAL",
        diag_pivot_thresh=0.0,
        options={"SymmetricMode": True},
    )
    return lu.L.nnz + lu.U.nnz


def test_is_a_permutation_and_separators_come_last():
    L, points = _grid_laplacian(40)
    order = nested_dissection(L, points, leaf_size=16)
    np.testing.assert_array_equal(np.sort(order), np.arange(1600))
    # The first cut is across the grid: the last vertices form a line.
    last = points[order[-40:]]
    assert np.ptp(last[:, 0]) == 0 or np.ptp(last[:, 1]) == 0


def test_reduces_fill_against_a_random_order():
    rng = np.random.RandomState(0)
    L, points = _grid_laplacian(60)
    L = L + sp.identity(3600)
    shuffled = rng.permutation(3600)
    nd = nested_dissection(L, points)
    assert _fill(L[nd][:, nd]) < 0.5 * _fill(L[shuffled][:, shuffled])


def test_on_a_knn_graph_pattern():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(3000, 2))
    W = barycenter_kneighbors_graph(X, 8)
    order = nested_dissection(W, X)
    np.testing.assert_array_equal(np.sort(order), np.arange(3000))


def test_min_vertex_cover_is_a_minimum_cover():
    from itertools import combinations

    from skmanifold_attn.manifold._ordering import _min_vertex_cover

    rng = np.random.RandomState(0)
    for _ in range(20):
        n_edges = rng.randint(1, 12)
        left = rng.randint(0, 5, n_edges)
        right = rng.randint(10, 15, n_edges)
        cover_left, cover_right = _min_vertex_cover(left, right)
        cover = set(cover_left) | set(cover_right)
        assert all(a in cover or b in cover for a, b in zip(left, right, strict=True))
        vertices = sorted(set(left) | set(right))
        smallest = next(
            size
            for size in range(len(vertices) + 1)
            for subset in combinations(vertices, size)
            if all(a in subset or b in subset for a, b in zip(left, right, strict=True))
        )
        assert len(cover) == smallest


def test_ordering_coordinates_keep_narrow_points():
    from skmanifold_attn.manifold._ordering import ordering_coordinates

    X = np.random.RandomState(0).uniform(size=(50, 3))
    np.testing.assert_array_equal(ordering_coordinates(X), X)


def test_ordering_coordinates_span_the_leading_principal_directions():
    from skmanifold_attn.manifold._ordering import ordering_coordinates

    rng = np.random.RandomState(0)
    # A 3-D cloud with distinct spreads, rotated into 200 dimensions.
    latent = rng.standard_normal((2000, 3)) * [5.0, 3.0, 2.0]
    rotation = np.linalg.qr(rng.standard_normal((200, 3)))[0]
    X = latent @ rotation.T + 1e-3 * rng.standard_normal((2000, 200))
    coords = ordering_coordinates(X, n_dimensions=4)
    assert coords.shape == (2000, 4)
    # The first three coordinates span the latent ones (least squares fit).
    centred = latent - latent.mean(axis=0)
    fit = np.linalg.lstsq(coords[:, :3], centred, rcond=None)
    residual = np.linalg.norm(coords[:, :3] @ fit[0] - centred)
    assert residual < 1e-2 * np.linalg.norm(centred)


def test_wide_points_are_ordered_like_their_low_dimensional_source():
    rng = np.random.RandomState(0)
    L, points = _grid_laplacian(50)
    L = L + sp.identity(2500)
    rotation = np.linalg.qr(rng.standard_normal((300, 2)))[0]
    wide = points @ rotation.T
    order = nested_dissection(L, wide)
    np.testing.assert_array_equal(np.sort(order), np.arange(2500))
    shuffled = rng.permutation(2500)
    assert _fill(L[order][:, order]) < 0.5 * _fill(L[shuffled][:, shuffled])


def _u_strip(length=120, width=10, arm=50):
    """A grid strip bent into a U: two parallel arms joined by a half turn."""
    t, w = np.meshgrid(np.arange(length), np.arange(width), indexing="ij")
    t, w = t.ravel().astype(float), w.ravel().astype(float)
    bend = length - 2 * arm
    radius = bend / np.pi
    angle = np.clip(t - arm, 0, bend) / radius
    x = np.where(t < arm, t, np.where(t > arm + bend, 2 * arm + bend - t, arm))
    x = x + np.where((t >= arm) & (t <= arm + bend), radius * np.sin(angle), 0)
    y = np.where(t > arm + bend, 2 * radius, radius * (1 - np.cos(angle)))
    points = np.column_stack([x, y, w])
    # Grid neighbours along and across the strip, and diagonals.
    index = np.arange(length * width).reshape(length, width)
    pairs = [
        (index[:-1, :], index[1:, :]),
        (index[:, :-1], index[:, 1:]),
        (index[:-1, :-1], index[1:, 1:]),
        (index[:-1, 1:], index[1:, :-1]),
    ]
    rows = np.concatenate([a.ravel() for a, _ in pairs])
    cols = np.concatenate([b.ravel() for _, b in pairs])
    n = length * width
    adjacency = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    matrix = (adjacency + adjacency.T + 10 * sp.identity(n)).tocsr()
    return matrix, points, t


def test_first_cuts_go_across_the_fold(monkeypatch):
    from skmanifold_attn.manifold import _ordering

    matrix, points, t = _u_strip()
    geodesic = nested_dissection(matrix, points)
    np.testing.assert_array_equal(np.sort(geodesic), np.arange(len(t)))
    # The first cut is one line across the strip, in the half turn (a plane
    # across the arms would cut both of them, away from the turn).
    last = t[geodesic[-10:]]
    assert np.ptp(last) == 0 and 50 <= last[0] <= 70
    monkeypatch.setattr(_ordering, "GEODESIC_LEVELS", 0)
    plane = nested_dissection(matrix, points)
    assert _fill(matrix[geodesic][:, geodesic]) < _fill(matrix[plane][:, plane])


def test_extreme_scales_and_coincident_points():
    L, points = _grid_laplacian(50)
    L = L + sp.identity(2500)
    reference = _fill(L[nested_dissection(L, points)][:, nested_dissection(L, points)])
    for scale in (1e-300, 2.0**-1000, 1e200):
        order = nested_dissection(L, points * scale)
        np.testing.assert_array_equal(np.sort(order), np.arange(2500))
        assert _fill(L[order][:, order]) <= 1.1 * reference
    # Points at one place cannot be cut: they are ordered as they come.
    order = nested_dissection(L, np.zeros((2500, 3)))
    np.testing.assert_array_equal(order, np.arange(2500))


def test_part_medians_match_numpy():
    from skmanifold_attn.manifold._ordering import _part_medians

    rng = np.random.RandomState(0)
    sizes = rng.randint(1, 40, size=30)
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    label = np.repeat(np.arange(len(sizes)), sizes)
    for values in (
        rng.standard_normal(bounds[-1]),
        np.round(3 * rng.standard_normal(bounds[-1])),
        -np.abs(rng.standard_normal(bounds[-1])),
    ):
        expected = [
            np.median(values[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)
        ]
        np.testing.assert_allclose(
            _part_medians(values, label, bounds), expected, rtol=1e-6
        )


def test_disconnected_graph_with_far_apart_pieces():
    # Two grids, side by side: each first cut's search reaches one piece
    # only; the other ranks last.
    L, points = _grid_laplacian(30)
    L = L + sp.identity(900)
    both = sp.block_diag([L, L]).tocsr()
    far_apart = np.vstack([points, points + [0.0, 100.0]])
    order = nested_dissection(both, far_apart)
    np.testing.assert_array_equal(np.sort(order), np.arange(1800))
    shuffled = np.random.RandomState(0).permutation(1800)
    assert _fill(both[order][:, order]) < 0.5 * _fill(both[shuffled][:, shuffled])


def test_spatial_order_keeps_neighbours_close():
    from sklearn.datasets import make_swiss_roll

    from skmanifold_attn.manifold._ordering import spatial_order

    X = make_swiss_roll(5000, random_state=0)[0]
    order = spatial_order(X)
    np.testing.assert_array_equal(np.sort(order), np.arange(5000))
    W = barycenter_kneighbors_graph(X, 8).tocoo()
    position = np.empty(5000, dtype=np.intp)
    position[order] = np.arange(5000)
    spatial = np.median(np.abs(position[W.row] - position[W.col]))
    # In the input's (random) order a neighbour is about n/3 rows away.
    assert spatial < 0.05 * np.median(np.abs(W.row - W.col))
    # Coincident points and one feature work too.
    np.testing.assert_array_equal(spatial_order(np.zeros((10, 3))), np.arange(10))
    np.testing.assert_array_equal(spatial_order(np.array([[3.0], [1], [2]])), [1, 2, 0])
