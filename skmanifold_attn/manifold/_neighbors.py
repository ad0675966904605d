"""The neighbours seam: one index interface behind every k-nearest-neighbour query.

Every estimator that needs neighbours (LLE's fit and transform, Laplacian
Eigenmaps' graph and Nystrom transform, NPE, LPP) goes through an index with
two methods, ``build(X, n_neighbors)`` and ``query(X, n_neighbors)``, queried
in bounded-memory chunks. Backends come from a small table:

- ``'auto'`` (default, exact): where scikit-learn's ``'auto'`` takes brute
  force on dense data, a brute force screened in float32 under a rigorous
  error bound and decided in float64 (:mod:`._screened_brute`; same
  neighbours, 2.6x faster in a fit at 784 features); else scikit-learn's
  choice;
- ``'brute'``, ``'kd_tree'``, ``'ball_tree'``: scikit-learn's exact
  :class:`~sklearn.neighbors.NearestNeighbors`;
- ``'hnswlib'``: hierarchical navigable small-world graphs (approximate,
  optional: ``pip install skmanifold-attn[ann]``).

(pynndescent was measured too: as fast once compiled, but its first call in a
process spends about two minutes compiling.) The approximate backend's
neighbour distances are recomputed exactly in float64 and the neighbours
sorted by them, so only *which* neighbours are found is approximate.

The indexes' base class lives in :mod:`._index_base`, the approximate backend
in :mod:`._hnsw_index`; this module holds the exact ones, the table and the
functions that pick and build an index.

:func:`kneighbors` is the function form, for callers that want the
``(distances, indices)`` of a data set's neighbours without an estimator.
"""

import copy
import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.neighbors import NearestNeighbors
from sklearn.neighbors._base import KNeighborsMixin
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._hnsw_index import HnswIndex
from ._index_base import (
    NeighborsIndex,
    _drop_self,
    _exact_distances,
)
from ._screened_brute import ScreenedBruteForce, applies

SKLEARN_ALGORITHMS = ("auto", "brute", "kd_tree", "ball_tree")


class SklearnIndex(NeighborsIndex):
    """Exact search by scikit-learn's :class:`~sklearn.neighbors.NearestNeighbors`.

    Parameters
    ----------
    algorithm : {'auto', 'brute', 'kd_tree', 'ball_tree'}, default='auto'
    n_jobs : int or None, default=None
    metric : str, default='minkowski'
    """

    def __init__(self, algorithm="auto", *, n_jobs=None, metric="minkowski"):
        self.algorithm = algorithm
        self.n_jobs = n_jobs
        self.metric = metric

    def _build(self, X, n_neighbors):
        self.estimator_ = NearestNeighbors(
            n_neighbors=n_neighbors,
            algorithm=self.algorithm,
            n_jobs=self.n_jobs,
            metric=self.metric,
        ).fit(X)

    def _query(self, X, n_neighbors, return_distance):
        return self.estimator_.kneighbors(
            X, n_neighbors=n_neighbors, return_distance=return_distance
        )


class AutoIndex(SklearnIndex):
    """``'auto'``: the screened exact brute force where scikit-learn's
    ``'auto'`` picks brute force on dense data, scikit-learn's search otherwise.

    Exact ties are broken by the lower index; a training point's own column
    is the one dropped, as ``NearestNeighbors.kneighbors()`` does.
    """

    def __init__(self, *, n_jobs=None):
        super().__init__("auto", n_jobs=n_jobs)

    def _build(self, X, n_neighbors):
        self.screened_ = applies(X, n_neighbors, self.metric)
        self._screen = None
        if not self.screened_:
            super()._build(X, n_neighbors)
            return
        # The estimators' nbrs_: scikit-learn's equivalent exact search.
        self.estimator_ = NearestNeighbors(
            n_neighbors=n_neighbors, algorithm="brute", n_jobs=self.n_jobs
        ).fit(X)

    def _screened(self):
        """The float32 screen of the data, built when a query needs it.

        It is dropped after a search of the indexed rows themselves (the
        training rows' own neighbours): a fitted estimator then keeps no float32
        copy of its data (half the data's memory), and a later query builds
        the same screen again in one pass over the data.
        """
        if self._screen is None:
            self._screen = ScreenedBruteForce(self.data_)
        return self._screen

    def query(self, X, n_neighbors, *, return_distance=True, chunk_size=None):
        if X is self.data_ and self.screened_:
            # The indexed rows themselves: the symmetric search, same result
            # (the training rows' own search, after which the screen goes).
            result = self._screened().kneighbors(None, n_neighbors, return_distance)
            self._screen = None
            return result
        return super().query(
            X, n_neighbors, return_distance=return_distance, chunk_size=chunk_size
        )

    def _query(self, X, n_neighbors, return_distance):
        if not self.screened_:
            return super()._query(X, n_neighbors, return_distance)
        return self._screened().kneighbors(X, n_neighbors, return_distance)

    def training_neighbors(self, n_neighbors, *, return_distance=False):
        if not self.screened_:
            return super().training_neighbors(
                n_neighbors, return_distance=return_distance
            )
        distances, indices = self._screened().kneighbors(None, n_neighbors + 1)
        self._screen = None
        indices, distances = _drop_self(indices, distances)
        return (distances, indices) if return_distance else indices


class FittedKNeighborsIndex(NeighborsIndex):
    """A user's scikit-learn neighbours estimator (``KNeighborsMixin``).

    A fitted one is used as is and must have been fitted on the training data
    (same number of rows and features); an unfitted one is cloned and fitted.
    """

    def __init__(self, estimator):
        self.estimator = estimator

    def _build(self, X, n_neighbors):
        try:
            check_is_fitted(self.estimator)
        except NotFittedError:  # fit a copy, leave the user's alone
            self.estimator_ = clone(self.estimator).fit(X)
            return
        fitted = getattr(self.estimator, "n_samples_fit_", None)
        features = getattr(self.estimator, "n_features_in_", X.shape[1])
        if fitted != X.shape[0] or features != X.shape[1]:
            raise ValueError(
                "The fitted neighbors estimator passed as neighbors_algorithm "
                f"was fitted on data of shape ({fitted}, {features}), but the "
                f"estimator is fitted on X of shape {X.shape}; fit it on the "
                "same X."
            )
        self.estimator_ = self.estimator

    def _query(self, X, n_neighbors, return_distance):
        return self.estimator_.kneighbors(
            X, n_neighbors=n_neighbors, return_distance=return_distance
        )


class UserIndex(NeighborsIndex):
    """An object with ``build(X, n_neighbors)`` and ``query(X, n_neighbors)``.

    ``query`` must return ``(distances, indices)`` of shape
    ``(n_queries, n_neighbors)``, nearest first; the distances are recomputed
    exactly here. The object is not assumed exact: a training point's own
    column is dropped wherever it appears.
    """

    exact = False

    def __init__(self, index):
        self.index = index

    def _build(self, X, n_neighbors):
        # Build a copy: the object given as a parameter stays as it was.
        self.index_ = copy.deepcopy(self.index)
        self.index_.build(X, n_neighbors)

    def _query(self, X, n_neighbors, return_distance):
        result = self.index_.query(X, n_neighbors)
        if not (isinstance(result, tuple) and len(result) == 2):
            raise TypeError(
                "The neighbors index's query(X, n_neighbors) must return a "
                f"(distances, indices) tuple; got {type(result).__name__}."
            )
        indices = np.asarray(result[1])
        if indices.shape != (X.shape[0], n_neighbors):
            raise ValueError(
                "The neighbors index's query returned indices of shape "
                f"{indices.shape}; expected {(X.shape[0], n_neighbors)}."
            )
        distances, indices = _exact_distances(
            X, self.data_, indices.astype(np.intp, copy=False)
        )
        return (distances, indices) if return_distance else indices


class PrecomputedGraphIndex(NeighborsIndex):
    """Neighbours of the training points read from a sparse kNN distance graph.

    ``graph[i, j]`` holds the distance from training point ``i`` to its
    neighbour ``j`` (as from ``KNeighborsTransformer(mode='distance')`` or
    ``kneighbors_graph(X, mode='distance')``); a stored diagonal entry (the
    point itself) is ignored. New points, which the graph does not cover, are
    searched exactly among the training points.
    """

    def __init__(self, graph, *, n_jobs=None):
        self.graph = graph
        self.n_jobs = n_jobs

    def _build(self, X, n_neighbors):
        # n_neighbors counts the point itself; the graph needs the others.
        graph = check_knn_graph(self.graph, n_neighbors - 1, n_rows=X.shape[0])
        self.graph_ = graph
        self._exact = None

    def _query(self, X, n_neighbors, return_distance):
        if self._exact is None:
            self._exact = SklearnIndex(n_jobs=self.n_jobs).build(
                self.data_, n_neighbors
            )
        return self._exact._query(X, n_neighbors, return_distance)

    def training_neighbors(self, n_neighbors, *, return_distance=False):
        graph = self.graph_
        rows = np.repeat(np.arange(graph.shape[0]), np.diff(graph.indptr))
        other = graph.indices != rows
        rows, columns, values = rows[other], graph.indices[other], graph.data[other]
        # Each row's entries by distance (ties by column), then its first k.
        order = np.lexsort((columns, values, rows))
        rows, columns, values = rows[order], columns[order], values[order]
        starts = np.searchsorted(rows, np.arange(graph.shape[0]))
        take = (starts[:, None] + np.arange(n_neighbors)).ravel()
        shape = (graph.shape[0], n_neighbors)
        indices = columns[take].astype(np.intp).reshape(shape)
        if return_distance:
            return values[take].reshape(shape), indices
        return indices


def check_knn_graph(graph, n_neighbors, *, n_rows=None, n_columns=None):
    """Validate a sparse kNN distance graph: shape and neighbours per row.

    Parameters
    ----------
    graph : sparse matrix of shape (n_rows, n_columns)
    n_neighbors : int
        Neighbours each row needs besides the point itself (a stored
        diagonal entry is not counted when the graph is square).
    n_rows, n_columns : int or None
        Expected shape; ``n_columns`` defaults to ``n_rows``.

    Returns
    -------
    graph : scipy.sparse.csr_matrix
        Canonical CSR, float64.
    """
    if not sp.issparse(graph):
        raise TypeError(
            "A precomputed neighbors graph must be a sparse matrix (as "
            f"returned by KNeighborsTransformer); got {type(graph).__name__}."
        )
    n_columns = n_rows if n_columns is None else n_columns
    if n_rows is not None and graph.shape != (n_rows, n_columns):
        raise ValueError(
            f"The precomputed neighbors graph has shape {graph.shape}; expected "
            f"{(n_rows, n_columns)}: one row per sample of X and one column "
            "per training sample."
        )
    graph = sp.csr_matrix(graph, dtype=np.float64)
    if not graph.has_canonical_format:
        graph = graph.copy()
        graph.sum_duplicates()
    if graph.nnz and (np.any(graph.data < 0) or not np.all(np.isfinite(graph.data))):
        raise ValueError(
            "The precomputed neighbors graph must hold finite, non-negative distances."
        )
    per_row = np.diff(graph.indptr)
    if graph.shape[0] == graph.shape[1]:
        rows = np.repeat(np.arange(graph.shape[0]), per_row)
        per_row = per_row - np.bincount(
            rows[graph.indices == rows], minlength=graph.shape[0]
        )
    if per_row.size and per_row.min() < n_neighbors:
        row = int(np.argmin(per_row))
        raise ValueError(
            f"The precomputed neighbors graph has {int(per_row[row])} neighbours "
            f"in row {row} (the sample itself not counted), but "
            f"n_neighbors={n_neighbors} are needed in every row: build it with "
            "at least that many neighbours (KNeighborsTransformer(n_neighbors="
            f"{n_neighbors}))."
        )
    return graph


APPROXIMATE = {"hnswlib": HnswIndex}
ALGORITHMS = (*SKLEARN_ALGORITHMS, *APPROXIMATE)

#: ``_parameter_constraints`` entry of the estimators' ``neighbors_algorithm``.
NEIGHBORS_ALGORITHM_CONSTRAINT = [
    StrOptions(set(ALGORITHMS)),
    KNeighborsMixin,
    HasMethods(["build", "query"]),
    "sparse matrix",
]
#: The same without precomputed graphs (for estimators that take the graph as
#: ``X``, as scikit-learn's SpectralEmbedding does).
INDEX_CONSTRAINT = NEIGHBORS_ALGORITHM_CONSTRAINT[:-1]


def make_index(neighbors_algorithm="auto", *, n_jobs=None, random_state=None):
    """The seam's index for a ``neighbors_algorithm`` parameter value.

    Parameters
    ----------
    neighbors_algorithm : str, KNeighborsMixin, index object or sparse matrix
        A name from :data:`ALGORITHMS`; a scikit-learn neighbours estimator
        (fitted on the training data, or unfitted); an object with
        ``build(X, n_neighbors)`` and ``query(X, n_neighbors)`` methods; or a
        sparse kNN distance graph over the training data.
    n_jobs : int or None, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds the approximate backends.

    Returns
    -------
    index : NeighborsIndex
        Not yet built.
    """
    algorithm = neighbors_algorithm
    if isinstance(algorithm, str):
        if algorithm == "auto":
            return AutoIndex(n_jobs=n_jobs)
        if algorithm in SKLEARN_ALGORITHMS:
            return SklearnIndex(algorithm, n_jobs=n_jobs)
        if algorithm in APPROXIMATE:
            return APPROXIMATE[algorithm](random_state=random_state, n_jobs=n_jobs)
        raise ValueError(
            f"neighbors_algorithm must be one of {ALGORITHMS}, a neighbors "
            f"estimator, an index or a sparse graph; got {algorithm!r}."
        )
    if isinstance(algorithm, NeighborsIndex):
        return clone_index(algorithm)
    if isinstance(algorithm, KNeighborsMixin):
        return FittedKNeighborsIndex(algorithm)
    if sp.issparse(algorithm):
        return PrecomputedGraphIndex(algorithm, n_jobs=n_jobs)
    missing = [
        name
        for name in ("build", "query")
        if not callable(getattr(algorithm, name, None))
    ]
    if missing:
        raise TypeError(
            "neighbors_algorithm must be a name, a KNeighborsMixin, a sparse "
            "kNN graph or an index with build(X, n_neighbors) and "
            f"query(X, n_neighbors) methods; {type(algorithm).__name__} has no "
            f"{' or '.join(missing)} method."
        )
    return UserIndex(algorithm)


def clone_index(index):
    """A fresh, unbuilt copy of one of the seam's own indexes."""
    params = dict(vars(index))
    for name in [name for name in params if name.endswith("_") or name.startswith("_")]:
        del params[name]
    new = object.__new__(type(index))
    new.__dict__.update(params)
    return new


def build_index(neighbors_algorithm, X, n_neighbors, *, n_jobs=None, random_state=None):
    """:func:`make_index` then ``build(X, n_neighbors)``."""
    return make_index(
        neighbors_algorithm, n_jobs=n_jobs, random_state=random_state
    ).build(X, n_neighbors)


def kneighbors(
    X,
    n_neighbors,
    *,
    Y=None,
    algorithm="auto",
    n_jobs=None,
    random_state=None,
    chunk_size=None,
):
    """Distances and indices of the nearest neighbours, in bounded memory.

    Parameters
    ----------
    X : ndarray of shape (n_queries, n_features)
        Query points; with ``Y`` None also the indexed points.
    n_neighbors : int
        Neighbours per query point.
    Y : ndarray of shape (n_indexed, n_features), default=None
        Points searched. None searches ``X`` itself and leaves each point out
        of its own neighbours (as ``NearestNeighbors.kneighbors()`` without
        arguments).
    algorithm : str, KNeighborsMixin or index object, default='auto'
        As the estimators' ``neighbors_algorithm``.
    n_jobs : int or None, default=None
    random_state : int, RandomState instance or None, default=None
        Seeds the approximate backends.
    chunk_size : int or None, default=None
        Query rows per call (None: the project's default chunk).

    Returns
    -------
    distances : ndarray of shape (n_queries, n_neighbors)
    indices : ndarray of shape (n_queries, n_neighbors)
        Rows of ``Y`` (or ``X``), nearest first.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.manifold._neighbors import kneighbors
    >>> X = np.array([[0.0], [1.0], [3.0]])
    >>> distances, indices = kneighbors(X, 1)
    >>> indices.ravel().tolist(), distances.ravel().tolist()
    ([1, 0, 1], [1.0, 1.0, 2.0])
    """
    if not (isinstance(n_neighbors, numbers.Integral) and n_neighbors >= 1):
        raise ValueError(
            f"n_neighbors must be a positive integer; got {n_neighbors!r}."
        )
    if Y is None:
        index = build_index(
            algorithm, X, n_neighbors + 1, n_jobs=n_jobs, random_state=random_state
        )
        return index.training_neighbors(n_neighbors, return_distance=True)
    index = build_index(
        algorithm, Y, n_neighbors, n_jobs=n_jobs, random_state=random_state
    )
    return index.query(X, n_neighbors, chunk_size=chunk_size)
