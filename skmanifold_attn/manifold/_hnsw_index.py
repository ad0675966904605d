"""The approximate backend of the neighbours seam: an HNSW graph (hnswlib),
on the rows' principal subspace when they lie close to one."""

import numbers

import numpy as np
from sklearn.utils import check_random_state

from ._index_base import NeighborsIndex, _exact_distances, _import_extra, _threads


class HnswIndex(NeighborsIndex):
    """Approximate search on an HNSW graph (``hnswlib``, the ``ann`` extra).

    When the rows lie close to a linear subspace, the graph is built on their
    coordinates in it (a PCA pre-transform): the rows are centred and the
    fewest principal directions leaving out at most ``1 - pca_variance`` of
    the total variance kept, if they are at most half of the features. A
    query is projected the same way, the graph asked for
    ``max(2 * n_neighbors, n_neighbors + 10)`` candidates and the
    ``n_neighbors`` nearest by their exact float64 distances in the full
    space kept. Otherwise the graph holds the centred rows. Measured recall
    on data with and without such a subspace: :ref:`large_data`.

    Parameters
    ----------
    M : int, default=32
        Links per node. 16 found 99.95% of the neighbours of 70,000 points of
        a 2-D manifold in 784 dimensions, but 38 points lost half of theirs
        or more (searches stuck on another sheet of the manifold), enough to
        change the LLE embedding (Procrustes residual 0.44); 32 found all at
        the same cost on projected rows (5.4 s CPU) and 28% more time on
        784-D rows without a subspace.
    ef_construction : int, default=100
        Candidate list size while building.
    ef : int, default=50
        Candidate list size while querying (raised to the number of
        candidates asked for when smaller); the main recall/speed knob. Data
        without low-dimensional structure need more: 20,000 Gaussian rows
        with variances ``1/i`` in 784 dimensions, recall 0.964 at 50, 0.991
        at 100.
    pca_variance : float in (0, 1] or None, default=0.999
        Fraction of the total variance the kept directions must explain,
        estimated on at most 10,000 random rows (covariance ``eigh`` up to
        2,048 features, beyond a randomized SVD of at most 256 directions).
        A 2-D manifold plus noise in 784 dimensions keeps 3 directions
        (0.06% left out, recall 1.0); 0.99 would project it with three
        times the noise too (recall 1.0), at a greater risk of leaving out
        fine structure that decides who is nearest. ``None`` or 1.0: no
        pre-transform, the rows as given cast to float32, not centred.
    random_state : int, RandomState instance or None, default=None
    n_jobs : int or None, default=None
        Threads; None means 1.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,) or None
        Column means subtracted (None without the pre-transform).
    components_ : ndarray of shape (n_components, n_features) or None
        Principal directions the graph is built on (None: not projected).
    discarded_variance_ : float
        Fraction of the variance they leave out (0.0 when not projected).
    """

    exact = False

    def __init__(
        self,
        *,
        M=32,
        ef_construction=100,
        ef=50,
        pca_variance=0.999,
        random_state=None,
        n_jobs=None,
    ):
        self.M = M
        self.ef_construction = ef_construction
        self.ef = ef
        self.pca_variance = pca_variance
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _build(self, X, n_neighbors):
        from ._pretransform import graph_rows, principal_subspace

        variance = self.pca_variance
        if variance is not None and not (
            isinstance(variance, numbers.Real)
            and not isinstance(variance, bool)
            and 0.0 < variance <= 1.0
        ):
            raise ValueError(
                "The 'pca_variance' parameter of HnswIndex must be a float in "
                f"the range (0.0, 1.0] or None. Got {variance!r} instead."
            )
        hnswlib = _import_extra("hnswlib")
        rng = check_random_state(self.random_state)
        seed = int(rng.randint(np.iinfo(np.int32).max))
        self.mean_, self.components_, self.discarded_variance_ = None, None, 0.0
        if variance is not None and variance < 1.0:
            subspace = principal_subspace(X, float(variance), random_state=rng)
            self.mean_, self.components_, self.discarded_variance_ = subspace
        rows = graph_rows(X, self.mean_, self.components_)
        index = hnswlib.Index(space="l2", dim=rows.shape[1])
        index.init_index(
            max_elements=X.shape[0],
            ef_construction=self.ef_construction,
            M=self.M,
            random_seed=seed,
        )
        index.set_num_threads(_threads(self.n_jobs))
        index.add_items(rows, np.arange(X.shape[0]))
        self.index_ = index

    def _query(self, X, n_neighbors, return_distance):
        from ._pretransform import graph_rows, locality_order, n_candidates, refine

        projected = self.components_ is not None
        width = n_neighbors
        if projected:
            width = min(n_candidates(n_neighbors), self.n_samples_fit_)
        self.index_.set_ef(max(self.ef, width))
        rows = graph_rows(X, self.mean_, self.components_)
        labels = self.index_.knn_query(rows, width)[0].astype(np.intp)
        if projected:
            order = locality_order(rows)
            distances, indices = refine(X, self.data_, labels, n_neighbors, order=order)
        else:
            distances, indices = _exact_distances(X, self.data_, labels)
        return (distances, indices) if return_distance else indices
