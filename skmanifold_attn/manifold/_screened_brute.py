"""Exact brute-force nearest neighbours: a float32 screen, a float64 decision.

The squared distances from a block of queries to every indexed point are
*screened* with one single-precision matrix product, and only the points the
screen cannot rule out (a few dozen per query on typical data) have their
distances computed again, exactly, in double precision by direct differences.
The neighbours returned are exactly the ``k`` smallest of those double
precision distances (ties: lower index first), the same rule applied to every
indexed point; the screen only spares the work. Rigour comes from a worst-case
bound on the screen's rounding error, not from probabilities.

The indexed points are centred on their mean and scaled by a power of two so
the largest coordinate is in ``[0.5, 1)`` (which keeps tiny or huge data away
from underflow and overflow; distances scale by a power of four, exactly). In
those units, with ``a``, ``b`` the float32-rounded query and point, ``d``
features and unit roundoffs ``u = 2**-24`` (float32) and ``v = 2**-53``
(float64), the screened squared distance differs from the exact one by at most

    b(a, b) = c * (|a|**2 + |b|**2) + (d + 1) * 2**-100,
    c = 2 * (gamma_d(u) + 8 u + 4 gamma_(d+8)(v)),  gamma_n(u) = n u / (1 - n u).

``gamma_d(u) * (|a|**2 + |b|**2)`` bounds the float32 dot product's rounding in
any summation order, ``4 u`` the rounding of the inputs to float32, ``2 u``
the float32 additions of the screen, the float64 terms the norms and the exact
stage itself; the factor 2 is a safety margin and the absolute term covers
underflow. With ``U`` an upper bound of the ``k``-th smallest ``D + b`` over
the points, every point with ``D - b <= U`` is a candidate: the ``k`` nearest
are always among them, exact ties at the ``k``-th distance included.

``U`` comes cheaply from groups of 16 points spaced ``n/16`` apart (so points
adjacent in the input order, often neighbours, fall into different groups): the
``k``-th smallest of the group minima bounds the ``k``-th smallest value. A
row with too many candidates (many duplicates, or a query far from all data)
has all its distances computed exactly instead.

For the indexed rows' own neighbours (a fit), the product is symmetric: it is
computed in tiles on and above the diagonal, each tile serving its rows and,
transposed, its columns, which halves the float32 work. Each row then keeps
the ``k`` smallest group minima seen so far (a bound that only tightens) and
collects what it admits; candidates are pruned by the tightened bounds as the
tiles proceed, band by band away from the diagonal.
"""

import numpy as np

_U32 = 2.0**-24
_U64 = 2.0**-53
#: Points per group of the screen's threshold.
_GROUP = 16
#: float32 entries of a block of screened distances (32 MiB).
_SCREEN_BLOCK = 2**23
#: Rows and columns of a tile of the symmetric product of the training rows
#: (two float32 tiles, 8 MiB: 2048 took 32 MiB, at the same speed at 20,000
#: and 70,000 rows of 784 features).
_TILE = 1024
#: float64 entries of a block of exact differences (4 MiB).
_DIFF_BLOCK = 2**19
#: Screen-space coordinates of a query beyond which its row is done exactly.
_FAR = 2.0**40
#: Candidates per row beyond which the row is done exactly (also n_samples/5).
_MAX_CANDIDATES = 4096


def _gamma(n, u):
    return n * u / (1.0 - n * u)


def screen_constant(n_features):
    """The relative constant ``c`` of the screen's error bound."""
    float64_terms = 4 * _gamma(n_features + 8, _U64)
    return 2.0 * (_gamma(n_features, _U32) + 8 * _U32 + float64_terms)


def applies(X, n_neighbors, metric="minkowski"):
    """Whether the screened search serves ``X``: where scikit-learn's
    ``algorithm='auto'`` would search by brute force on dense data.

    That is a dense real array, the Euclidean metric, and more than 15
    features or ``n_neighbors >= n_samples // 2`` (the rule of
    ``NearestNeighbors``); finite values below ``2**1020`` in magnitude (so
    differences cannot overflow), so that invalid input keeps scikit-learn's
    errors.
    """
    if not (isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[0] > 0):
        return False
    if X.dtype.kind not in "fiu" or metric not in ("minkowski", "euclidean", "l2"):
        return False
    n_samples, n_features = X.shape
    if not (n_features > 15 or n_neighbors >= n_samples // 2):
        return False
    # The bound needs d * u well below 1.
    if not 0 < n_features < 2**20:
        return False
    # NaN fails both comparisons.
    return -(2.0**1020) < float(X.min()) and float(X.max()) < 2.0**1020


def _scale(values, exponent):
    """``values * 2**exponent``, exact barring underflow."""
    if -1000 < exponent < 1000:
        return values * 2.0**exponent
    return np.ldexp(values, exponent)


def _row_blocks(n_rows, width, entries):
    step = max(1, entries // max(1, width))
    for start in range(0, n_rows, step):
        yield slice(start, min(start + step, n_rows))


def _group_minima(W, width):
    """Each row's minima over columns ``g + width * t`` (t < 16): contiguous
    elementwise minima, faster than a reduction over a strided axis."""
    minima = np.minimum(W[:, :width], W[:, width : 2 * width])
    for t in range(2, _GROUP):
        np.minimum(minima, W[:, t * width : (t + 1) * width], out=minima)
    return minima


def _round_up32(values):
    rounded = values.astype(np.float32)
    low = rounded < values
    rounded[low] = np.nextafter(rounded[low], np.float32(np.inf))
    return rounded


class ScreenedBruteForce:
    """The exact search over the rows of ``X`` (kept by reference).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite real data.
    """

    def __init__(self, X):
        self.data = X
        n, d = X.shape
        self.mean = X.mean(axis=0, dtype=np.float64)
        spread = 0.0
        for rows in _row_blocks(n, d, _DIFF_BLOCK):
            spread = max(spread, float(np.abs(X[rows] - self.mean).max()))
        if not np.isfinite(spread):
            raise ValueError("The data's spread overflows float64.")
        self.exponent = -int(np.frexp(spread)[1]) if spread > 0 else 0
        n_pad = -(-n // _GROUP) * _GROUP
        self.points = np.zeros((n_pad, d), dtype=np.float32)
        self.norms = np.zeros(n_pad)
        for rows in _row_blocks(n, d, _DIFF_BLOCK):
            block = _scale(X[rows] - self.mean, self.exponent).astype(np.float32)
            self.points[rows] = block
            wide = block.astype(np.float64)
            self.norms[rows] = np.einsum("ij,ij->i", wide, wide)
        self.c = screen_constant(d)
        self.tiny = (d + 1) * 2.0**-100
        # Per point: (1 + c) |b|^2 rounded up; padding points never qualify.
        self.upper = _round_up32((1.0 + self.c) * self.norms)
        self.upper[n:] = np.inf
        self.max_norm = float(self.norms.max())
        self.n_samples = n

    def kneighbors(self, X, n_neighbors, return_distance=True):
        """The ``n_neighbors`` nearest indexed rows of each row of ``X``
        (None: the indexed rows themselves), nearest first."""
        k = n_neighbors
        n, n_features = self.data.shape
        n_queries = n if X is None else X.shape[0]
        if not 0 < k <= n:
            raise ValueError(
                "Expected 0 < n_neighbors <= n_samples_fit, but n_neighbors = "
                f"{k}, n_samples_fit = {n}, n_samples = {n_queries}"
            )
        if X is not None and (X.ndim != 2 or X.shape[1] != n_features):
            raise ValueError(
                f"X has {X.shape[-1]} features, but the index is expecting "
                f"{n_features} features as input."
            )
        n_pad = self.points.shape[0]
        if X is None and n_pad >= 4 * _TILE and k <= _TILE // _GROUP:
            distances, indices = self._training(k)
            return (distances, indices) if return_distance else indices
        distances = np.empty((n_queries, k))
        indices = np.empty((n_queries, k), dtype=np.intp)
        for rows in _row_blocks(n_queries, n_pad, _SCREEN_BLOCK):
            if X is None:
                queries = np.asarray(self.data[rows], dtype=np.float64)
                screened = self.points[rows]
                far = np.zeros(screened.shape[0], dtype=bool)
            else:
                queries = X[rows]
                if hasattr(queries, "toarray"):
                    queries = queries.toarray()
                queries = np.asarray(queries, dtype=np.float64)
                if not np.isfinite(queries).all():
                    raise ValueError("Input X contains NaN or infinity.")
                centred = _scale(queries - self.mean, self.exponent)
                far = ~(np.abs(centred) <= _FAR).all(axis=1)
                centred[far] = 0.0
                screened = centred.astype(np.float32)
            distances[rows], indices[rows] = self._block(queries, screened, far, k)
        if return_distance:
            return distances, indices
        return indices

    def _candidates(self, screened, far, k):
        """(row, column) pairs that may be among each row's k nearest,
        sorted by row; and the rows to do exactly in full."""
        n_pad = self.points.shape[0]
        groups = _GROUP if k <= n_pad // _GROUP else 1
        width = n_pad // groups
        wide = screened.astype(np.float64)
        query_norms = np.einsum("ij,ij->i", wide, wide)
        # W = (1 + c)|b|^2 - 2 a.b in float32: -2a is exact, one GEMM, one add.
        W = (screened * np.float32(-2.0)) @ self.points.T
        W += self.upper
        minima = _group_minima(W, width) if groups > 1 else W
        # The k-th smallest group minimum: k distinct points lie below it.
        kth = np.partition(minima, k - 1, axis=1)[:, k - 1].astype(np.float64)
        # U + 2 b(a, .) without |b|^2 (kept per point below); the 2**-40 term
        # covers the float64 rounding of these sums and of the tests, whose
        # terms are all below a few (|a|^2 + max |b|^2).
        margin = 2.0 * (self.c * query_norms + self.tiny) * (1.0 + 2.0**-20)
        threshold = kth + margin + 2.0**-40 * (query_norms + self.max_norm)
        lower_slack = 2.0 * self.c * self.norms
        group_slack = lower_slack.reshape(groups, width).max(axis=0) * (1.0 + 2.0**-40)
        rows, group = np.nonzero(minima <= threshold[:, None] + group_slack)
        cap = max(4 * k, min(_MAX_CANDIDATES, self.n_samples // 5))
        too_many = np.bincount(rows, minlength=len(W)) > cap
        too_many |= far
        keep = ~too_many[rows]
        rows, group = rows[keep], group[keep]
        columns = group[:, None] + width * np.arange(groups)
        # Per point: D - b <= U, with W - 2c|b|^2 (W's own rounding included).
        lower = W[rows[:, None], columns] - lower_slack[columns]
        inside = lower <= threshold[rows][:, None]
        rows = np.broadcast_to(rows[:, None], columns.shape)[inside]
        columns = columns[inside]
        counts = np.bincount(rows, minlength=len(W))
        # The bound guarantees k; a row short of them is done in full anyway.
        full = too_many | (counts > cap) | (counts < k)
        keep = ~full[rows]
        return rows[keep], columns[keep], full

    def _training(self, k):
        """Each indexed row's k nearest. The product of the training rows is
        symmetric: a tile above the diagonal serves its rows and, transposed,
        its columns, which halves the float32 work. Each row keeps the k
        smallest group minima seen so far (an upper bound of its final U that
        only decreases) and collects the candidates that bound admits; tiles
        go by distance from the diagonal (data in a meaningful order has its
        neighbours nearby), and collected candidates are pruned by the
        tightened bounds after each band."""
        n, n_pad = self.n_samples, self.points.shape[0]
        blocks = [slice(s, min(s + _TILE, n_pad)) for s in range(0, n_pad, _TILE)]
        best = np.full((n_pad, k), np.inf, dtype=np.float32)
        lower_slack = 2.0 * self.c * self.norms
        margin = 2.0 * (self.c * self.norms + self.tiny) * (1.0 + 2.0**-20)
        margin += 2.0**-40 * (self.norms + self.max_norm)
        found = []
        # Reused tiles: fresh ones would be fresh pages of memory every time.
        buffers = [np.empty(_TILE * _TILE, dtype=np.float32) for _ in range(2)]

        def merge(rows, minima):
            if minima.shape[1] > k:
                minima = np.partition(minima, k - 1, axis=1)[:, :k]
            both = np.concatenate([best[rows], minima], axis=1)
            best[rows] = np.partition(both, k - 1, axis=1)[:, :k]
            return best[rows].max(axis=1).astype(np.float64) + margin[rows]

        def collect(W, minima, rows, columns, threshold, transposed):
            # W[i, j]: row i's value at column j (transposed: row j, column i);
            # minima[i, g]: row i's minimum over columns g + width * t.
            slack = lower_slack[columns].max() * (1.0 + 2.0**-40)
            bound = _round_up32(threshold + slack)
            i, group = np.nonzero(minima <= bound[:, None])
            j = group[:, None] + minima.shape[1] * np.arange(_GROUP)
            lower = W[j, i[:, None]] if transposed else W[i[:, None], j]
            lower = lower - lower_slack[columns.start + j]
            keep = lower <= threshold[i][:, None]
            i = np.broadcast_to(i[:, None], j.shape)[keep]
            found.append((rows.start + i, columns.start + j[keep], lower[keep]))

        def prune():
            rows, columns, lower = (
                np.concatenate(part) for part in zip(*found, strict=True)
            )
            threshold = (best.max(axis=1).astype(np.float64) + margin)[rows]
            keep = lower <= threshold
            found[:] = [(rows[keep], columns[keep], lower[keep])]

        for band in range(len(blocks)):
            for first in range(len(blocks) - band):
                I, J = blocks[first], blocks[first + band]
                shape = (I.stop - I.start, J.stop - J.start)
                product = buffers[0][: shape[0] * shape[1]].reshape(shape)
                np.matmul(
                    self.points[I] * np.float32(-2.0), self.points[J].T, out=product
                )
                if band:
                    # Columns' view: W[j, i] = (1 + c)|b_i|^2 - 2 a_j.b_i.
                    other = buffers[1][: shape[0] * shape[1]].reshape(shape)
                    np.add(product, self.upper[I][:, None], out=other)
                product += self.upper[J]
                width = (J.stop - J.start) // _GROUP
                minima = _group_minima(product, width)
                collect(product, minima, I, J, merge(I, minima), False)
                if band:
                    width = (I.stop - I.start) // _GROUP
                    minima = other.reshape(_GROUP, width, -1).min(axis=0).T
                    collect(other, minima, J, I, merge(J, minima), True)
            prune()
        rows, columns, _ = found[0]
        real = rows < n
        rows, columns = rows[real], columns[real]
        order = np.argsort(rows, kind="stable")
        rows, columns = rows[order], columns[order]
        counts = np.bincount(rows, minlength=n)
        cap = max(4 * k, min(_MAX_CANDIDATES, n // 5))
        full = (counts > cap) | (counts < k)
        keep = ~full[rows]
        return self._select(self.data, rows[keep], columns[keep], full, k)

    def _exact_squared(self, queries, rows, columns):
        """Squared distances, in screen units, by direct float64 differences."""
        squared = np.empty(len(rows))
        for part in _row_blocks(len(rows), self.data.shape[1], _DIFF_BLOCK):
            diff = np.asarray(self.data[columns[part]], dtype=np.float64)
            diff -= np.asarray(queries[rows[part]], dtype=np.float64)
            diff = _scale(diff, self.exponent)
            squared[part] = np.einsum("ij,ij->i", diff, diff)
        return squared

    def _block(self, queries, screened, far, k):
        rows, columns, full = self._candidates(screened, far, k)
        return self._select(queries, rows, columns, full, k)

    def _select(self, queries, rows, columns, full, k):
        """The k nearest by exact distance among each row's candidates (pairs
        sorted by row), or among all points for the ``full`` rows."""
        n_rows = len(full)
        distances = np.empty((n_rows, k))
        indices = np.empty((n_rows, k), dtype=np.intp)
        squared = self._exact_squared(queries, rows, columns)
        order = np.lexsort((columns, squared, rows))
        counts = np.bincount(rows, minlength=n_rows)
        starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
        done = np.flatnonzero(~full)
        take = order[(starts[done, None] + np.arange(k)).ravel()]
        indices[done] = columns[take].reshape(-1, k)
        distances[done] = squared[take].reshape(-1, k)
        every = np.arange(self.n_samples)
        for row in np.flatnonzero(full):
            alone = np.zeros(self.n_samples, dtype=np.intp) + row
            squared_row = self._exact_squared(queries, alone, every)
            kth = np.partition(squared_row, k - 1)[k - 1]
            below = np.flatnonzero(squared_row < kth)
            chosen = np.concatenate(
                (below, np.flatnonzero(squared_row == kth)[: k - len(below)])
            )
            chosen = chosen[np.lexsort((chosen, squared_row[chosen]))]
            indices[row], distances[row] = chosen, squared_row[chosen]
        distances = np.sqrt(distances, out=distances)
        return _scale(distances, -self.exponent), indices
