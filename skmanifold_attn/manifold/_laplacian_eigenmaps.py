"""Laplacian Eigenmaps: scikit-learn's SpectralEmbedding plus ``transform``.

The affinity graph comes from ``_graph``, the eigenvectors of its normalised
Laplacian from ``_eigen_generalized``, the checks of given affinities and the
affinities of new rows to the training rows from ``_laplacian_affinity``. New
rows are embedded by the Nystrom extension (Bengio et al., 2004): with
``W u = (1 - lambda) D u`` for every embedding coordinate ``u``, a new row
``x`` gets ``u(x) = sum_j w(x, x_j) u_j / ((1 - lambda) d(x))`` from its
affinities ``w(x, x_j)`` to the training rows.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.sparse.csgraph import laplacian as csgraph_laplacian
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, check_symmetric, validate_data

from ._eigen import fix_signs
from ._eigen_generalized import (
    check_pyamg,
    laplacian_bottom_eigenvectors,
    laplacian_solver,
)
from ._graph import (
    check_connected,
    row_index,
    symmetric_knn_affinity,
)
from ._laplacian_affinity import (
    check_affinities,
    check_precomputed_graph,
    knn_affinity_to_fitted,
    precomputed_affinity_to_fitted,
    rbf_affinity_to_fitted,
)
from ._neighbors import (
    INDEX_CONSTRAINT,
    SklearnIndex,
    build_index,
)
from ._progress import StageTimer
from ._scoring import EmbeddingScoreMixin
from ._validation import (
    check_magnitude,
    first_equal_rows,
    input_scale,
    mean_over_equal_rows,
    warn_duplicates,
)

if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from typing_extensions import Self

_PRECOMPUTED = ("precomputed", "precomputed_nearest_neighbors")
# Rows of new data per dense affinity block in transform.
_TRANSFORM_CHUNK = 2048


class LaplacianEigenmaps(
    EmbeddingScoreMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Laplacian Eigenmaps (spectral embedding) with out-of-sample transform.

    A drop-in for :class:`sklearn.manifold.SpectralEmbedding` (same
    parameters, defaults and fitted attributes, same embedding up to sign)
    that can also embed new rows: :meth:`transform` applies the Nystrom
    extension of the eigenvectors of the normalised graph Laplacian.

    Computes in float64: input of any numeric dtype (float32 included) is
    converted, and :meth:`fit_transform` and :meth:`transform` return
    float64.

    As scikit-learn's, the coordinates are small (the eigenvectors have unit
    norm, so each coordinate is of order ``1 / sqrt(n_samples)``): a default
    :class:`~sklearn.linear_model.LogisticRegression` after it, strongly
    regularised at that scale, underfits. ``unit_variance=True`` rescales each
    coordinate to unit variance over the training rows, in ``embedding_`` and
    :meth:`transform` alike.

    Parameters
    ----------
    n_components : int, default=2
        Dimension of the embedding.
    affinity : {'nearest_neighbors', 'rbf', 'precomputed', \
            'precomputed_nearest_neighbors'} or callable, \
            default='nearest_neighbors'
        How the affinity matrix is built: the symmetrised k-nearest-neighbour
        connectivity (each point counted as its own first neighbour), an RBF
        kernel, ``X`` itself as an affinity matrix, ``X`` as a distance
        matrix turned into a kNN connectivity, or ``affinity(X)``. With
        'precomputed', :meth:`transform` takes affinities of the new rows to
        the training rows, shape (n_new, n_train); with
        'precomputed_nearest_neighbors' their distances. The diagonal of
        the affinity matrix (self-affinities) is ignored, as in
        scikit-learn; :meth:`transform` likewise ignores a training row's
        affinity to itself. Affinities must be non-negative (a ValueError
        says so otherwise). A callable affinity has no :meth:`transform`.
    gamma : float, default=None
        RBF kernel coefficient; None means ``1 / n_features``.
    random_state : int, RandomState instance or None, default=None
        Seeds the eigen solver's start vectors.
    eigen_solver : {'arpack', 'lobpcg', 'amg'}, default=None
        'arpack': ARPACK shift-invert as scikit-learn, through a sparse LU
        with a symmetric minimum-degree ordering (less fill than
        scikit-learn's). 'lobpcg': LOBPCG.
        'amg': LOBPCG with an algebraic multigrid preconditioner; needs the
        optional ``pyamg`` (``pip install skmanifold-attn[amg]``).
        None: an exact dense solve up to 200 training rows, else 'arpack'
        (scikit-learn's None is always ARPACK). A named solver is used as
        asked, except on graphs too small for it, which get the dense solve:
        ARPACK with ``n_components + 1 >= n_samples``, LOBPCG and AMG with
        fewer than ``5 * (n_components + 2)`` rows (scikit-learn, too,
        solves those densely for LOBPCG).
    eigen_tol : float, default='auto'
        Eigen solver tolerance: 'auto' is 0 (machine precision) for ARPACK and
        LOBPCG's own default otherwise.
    n_neighbors : int, default=None
        Neighbours of the kNN affinities; None means
        ``max(n_samples / 10, 1)``.
    n_jobs : int, default=None
        Parallel jobs of the neighbour searches.
    neighbors_algorithm : str, KNeighborsMixin or index, default='auto'
        How the neighbours of ``affinity='nearest_neighbors'`` are found.
        'auto': exact, as in :class:`LocallyLinearEmbedding` (a brute force
        screened in float32 and decided in float64 where scikit-learn's
        'auto' would take brute force on dense data).
        'brute', 'kd_tree', 'ball_tree': exact search by
        :class:`~sklearn.neighbors.NearestNeighbors` with that algorithm.
        'hnswlib': approximate search (the optional ``ann`` extra; see
        :ref:`large_data` for its recall), seeded by ``random_state``. A
        scikit-learn neighbours estimator: used as is when fitted on the same
        ``X``, else a fitted copy. An object with ``build(X, n_neighbors)``
        and ``query(X, n_neighbors)`` methods, the latter returning
        ``(distances, indices)``. A precomputed kNN graph is given as ``X``
        with ``affinity='precomputed_nearest_neighbors'`` instead, as in
        scikit-learn (for example from
        ``KNeighborsTransformer(mode='distance')``).
    verbose : int, default=0
        From 1 on, print each stage of ``fit`` as it ends (affinity graph, Laplacian,
        eigen solve) with its
        time in seconds.
    unit_variance : bool, default=False
        Rescale each embedding coordinate to unit variance over the training
        rows (the same factor applies to :meth:`transform`), for models after
        the embedding that assume features of order 1. False keeps
        ``embedding_`` identical to scikit-learn's (up to sign).

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
        Embedding of the training rows.
    affinity_matrix_ : ndarray or sparse matrix of shape (n_samples, n_samples)
        Affinity matrix of the training rows.
    n_neighbors_ : int
        Number of nearest neighbours used (kNN affinities only).
    gamma_ : float
        RBF coefficient used (``affinity='rbf'`` only).
    eigenvalues_ : ndarray of shape (n_components,)
        Eigenvalues of the normalised Laplacian of the kept eigenvectors.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when they are all strings.

    See Also
    --------
    sklearn.manifold.SpectralEmbedding : The reference, without transform.
    LocalityPreservingProjections : The linear version of this method.
    LocallyLinearEmbedding : Locally linear reconstruction instead of
        affinities.

    References
    ----------
    .. [1] M. Belkin and P. Niyogi, "Laplacian Eigenmaps for Dimensionality
       Reduction and Data Representation", Neural Computation 15(6), 2003.
    .. [2] Y. Bengio, J.-F. Paiement, P. Vincent, O. Delalleau, N. Le Roux and
       M. Ouimet, "Out-of-Sample Extensions for LLE, Isomap, MDS, Eigenmaps,
       and Spectral Clustering", NIPS 2004.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import LaplacianEigenmaps
    >>> X, _ = load_digits(return_X_y=True)
    >>> embedding = LaplacianEigenmaps(n_components=2, n_neighbors=10)
    >>> X_transformed = embedding.fit_transform(X[:300])
    >>> X_transformed.shape
    (300, 2)
    >>> embedding.transform(X[300:310]).shape
    (10, 2)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "affinity": [
            StrOptions(
                {"nearest_neighbors", "rbf", "precomputed", *_PRECOMPUTED},
            ),
            callable,
        ],
        "gamma": [Interval(Real, 0, None, closed="left"), None],
        "random_state": ["random_state"],
        "eigen_solver": [StrOptions({"arpack", "lobpcg", "amg"}), None],
        "eigen_tol": [Interval(Real, 0, None, closed="left"), StrOptions({"auto"})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [None, Integral],
        "neighbors_algorithm": INDEX_CONSTRAINT,
        "verbose": ["verbose"],
        "unit_variance": ["boolean"],
    }

    def __init__(
        self,
        *,
        n_components=2,
        affinity="nearest_neighbors",
        gamma=None,
        random_state=None,
        eigen_solver=None,
        eigen_tol="auto",
        n_neighbors=None,
        n_jobs=None,
        neighbors_algorithm="auto",
        verbose=0,
        unit_variance=False,
    ):
        self.n_components = n_components
        self.affinity = affinity
        self.gamma = gamma
        self.random_state = random_state
        self.eigen_solver = eigen_solver
        self.eigen_tol = eigen_tol
        self.n_neighbors = n_neighbors
        self.n_jobs = n_jobs
        self.neighbors_algorithm = neighbors_algorithm
        self.verbose = verbose
        self.unit_variance = unit_variance

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.affinity in _PRECOMPUTED
        tags.input_tags.sparse = self.affinity in _PRECOMPUTED
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    @property
    def _n_features_out(self):
        """Output columns of the fitted model (for get_feature_names_out)."""
        return self.embedding_.shape[1]

    def _validate(self, X, reset):
        precomputed = self.affinity in _PRECOMPUTED
        X = validate_data(
            self,
            X,
            reset=reset,
            accept_sparse="csr" if precomputed else False,
            dtype=np.float64,
            ensure_min_samples=2 if reset else 1,
        )
        if self.affinity == "rbf":
            # The kernel depends on the scale: no rescaling can help.
            check_magnitude(X)
        return X

    def _knn_graph(self, X, n_samples):
        k = self.n_neighbors if self.n_neighbors is not None else n_samples // 10
        k = max(int(k), 1)
        if k > n_samples:
            raise ValueError(
                f"n_neighbors={k} must be at most n_samples={n_samples} (each "
                "point counts as its own first neighbour)."
            )
        self.n_neighbors_ = k
        if self.affinity == "precomputed_nearest_neighbors":
            check_precomputed_graph(X, k, X.shape[0])
            index = SklearnIndex(metric="precomputed", n_jobs=self.n_jobs)
            index.build(X, k)
        else:
            index = build_index(
                self.neighbors_algorithm,
                X,
                k,
                n_jobs=self.n_jobs,
                random_state=self.random_state,
            )
        distances, indices = index.query(X, k)
        self._index = index
        # x lies in training point j's neighbourhood when within this radius.
        self._radius = distances[:, -1].copy()
        affinity = symmetric_knn_affinity(indices, n_samples)
        offdiagonal = (affinity - sp.diags(affinity.diagonal())).tocsr()
        offdiagonal.eliminate_zeros()
        self._offdiagonal_affinity = offdiagonal
        return affinity

    def _affinity(self, X):
        n_samples = X.shape[0]
        if self.affinity in ("nearest_neighbors", "precomputed_nearest_neighbors"):
            return self._knn_graph(X, n_samples)
        if self.affinity == "rbf":
            self.gamma_ = self.gamma if self.gamma is not None else 1.0 / X.shape[1]
            self._index = SklearnIndex(n_jobs=self.n_jobs).build(X, 1)
            return rbf_kernel(X, gamma=self.gamma_)
        if self.affinity == "precomputed":
            if X.shape[0] != X.shape[1]:
                raise ValueError(
                    "With affinity='precomputed', X must be a square affinity "
                    f"matrix; got shape {X.shape}."
                )
            check_affinities(X, "The precomputed affinity matrix X")
            affinity = check_symmetric(X, raise_warning=True)
            # To recognise training rows passed back to transform: the rows
            # of the symmetrised matrix, and of X as given when it differs.
            self._training_rows = row_index(affinity)
            self._given_rows = None
            if affinity is not X:
                self._given_rows = (X, row_index(X))
            return affinity
        affinity = self.affinity(X)
        check_affinities(
            affinity if sp.issparse(affinity) else np.asarray(affinity),
            "The affinity matrix returned by the callable affinity",
        )
        return affinity

    def _affinity_detail(self, n_samples):
        detail = f"affinity={self.affinity!r}, n_samples={n_samples}"
        if hasattr(self, "n_neighbors_") and "nearest" in str(self.affinity):
            detail += f", n_neighbors={self.n_neighbors_}"
        return detail

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike | sp.spmatrix, y: ArrayLike | None = None) -> Self:
        """Compute the embedding of the training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data; with a precomputed affinity, the (n_samples,
            n_samples) affinity or distance matrix.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        timer = StageTimer(type(self).__name__, self.verbose)
        X = self._validate(X, reset=True)
        n_samples = X.shape[0]
        # Tiny and huge data (kNN affinities only, which do not depend on a
        # common scale): indexed divided by a power of two, so that squared
        # distances neither underflow nor overflow; transform divides alike.
        self._scale = 1.0
        if self.affinity == "nearest_neighbors":
            self._scale = input_scale(X)
            X = X / self._scale if self._scale != 1.0 else X
            check_magnitude(X)
        # Rows equal to each other (the same point, or the same affinities):
        # transform gives each the mean of their embeddings.
        first = None
        if not callable(self.affinity):
            first = first_equal_rows(X)
            if self.affinity in ("nearest_neighbors", "rbf"):
                warn_duplicates(first, stacklevel=4)
        if self.n_components >= n_samples:
            raise ValueError(
                f"n_components={self.n_components} must be less than "
                f"n_samples={n_samples}."
            )
        if self.eigen_solver == "amg":
            check_pyamg()
        random_state = check_random_state(self.random_state)
        affinity = self._affinity(X)
        self.affinity_matrix_ = affinity
        timer("affinity graph", self._affinity_detail(n_samples))
        check_connected(
            affinity,
            remedy="increase n_neighbors (or lower gamma with affinity='rbf') so "
            "that every point links to the rest.",
        )
        laplacian, sqrt_degree = csgraph_laplacian(
            affinity, normed=True, return_diag=True
        )
        laplacian = sp.csr_matrix(laplacian) if sp.issparse(laplacian) else laplacian
        # Isolated points have a zero diagonal; 1 keeps the solvers well posed
        # (as scikit-learn does).
        if sp.issparse(laplacian):
            laplacian = sp.csr_matrix(laplacian)
            missing = 1.0 - laplacian.diagonal()
            if np.any(missing != 0):
                laplacian = (laplacian + sp.diags(missing)).tocsr()
        else:
            np.fill_diagonal(laplacian, 1.0)
        timer("Laplacian")
        solver = laplacian_solver(self.eigen_solver, n_samples, self.n_components + 1)
        tol = self.eigen_tol
        if tol == "auto":
            tol = 0.0 if solver == "arpack" else None
        values, vectors = laplacian_bottom_eigenvectors(
            laplacian,
            self.n_components + 1,
            eigen_solver=solver,
            tol=tol,
            random_state=random_state,
            start=sqrt_degree,
        )
        # u = D^{-1/2} v solves the random-walk problem W u = (1 - lambda) D u.
        coordinates = fix_signs(vectors / sqrt_degree[:, None])
        self.embedding_ = coordinates[:, 1:]
        if self.unit_variance:
            # transform is linear in embedding_: it follows the rescaling.
            self.embedding_ = self.embedding_ / self.embedding_.std(axis=0)
        self.eigenvalues_ = values[1:]
        self._snap_embedding = (
            None if first is None else mean_over_equal_rows(self.embedding_, first)
        )
        timer("eigen solve", f"eigen_solver={solver!r}")
        timer.done()
        return self

    def fit_transform(
        self, X: ArrayLike | sp.spmatrix, y: ArrayLike | None = None
    ) -> np.ndarray:
        """Fit the model and return the embedding of the training rows.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data (see :meth:`fit`).
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            ``embedding_``.
        """
        self.fit(X)
        return self.embedding_

    def _affinity_to_training(self, X):
        """Affinities of ``X`` to the training rows, self-loops left out."""
        n_train = self.embedding_.shape[0]
        if self.affinity in ("nearest_neighbors", "precomputed_nearest_neighbors"):
            return knn_affinity_to_fitted(
                X,
                self._index,
                self._radius,
                self.n_neighbors_,
                n_train,
                self._offdiagonal_affinity,
                precomputed=self.affinity == "precomputed_nearest_neighbors",
            )
        if self.affinity == "rbf":
            return rbf_affinity_to_fitted(X, self._index, self.gamma_)
        check_affinities(X, "The affinities X passed to transform")
        return precomputed_affinity_to_fitted(
            X, self.affinity_matrix_, self._training_rows, self._given_rows
        )

    def transform(self, X: ArrayLike | sp.spmatrix) -> np.ndarray:
        """Embed new rows by the Nystrom extension.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_queries, n_features)
            New rows; with ``affinity='precomputed'`` their affinities to the
            training rows, with 'precomputed_nearest_neighbors' their
            distances, shape (n_queries, n_samples_fit).

        Returns
        -------
        X_new : ndarray of shape (n_queries, n_components)
            Embedding of the new rows. A training row gets back its row of
            ``embedding_`` exactly, so ``transform(X_train)`` equals
            ``embedding_``, with one exception: training rows with exact
            duplicates (which fit embeds as distinct points, at slightly
            different positions) all get the mean of their group's rows of
            ``embedding_``. With 'precomputed', a row equal to a row of
            ``affinity_matrix_`` or of the matrix given to fit (before
            symmetrisation, diagonal entries included) is taken to be that
            training point; with 'precomputed_nearest_neighbors', a row at
            distance 0 from a training point.
        """
        check_is_fitted(self)
        if callable(self.affinity):
            raise ValueError(
                "transform is not available with a callable affinity: the "
                "affinities of new rows to the training rows are unknown. Use "
                "affinity='precomputed' and pass them to transform."
            )
        X = self._validate(X, reset=False)
        if self._scale != 1.0:
            X = X / self._scale
        if self.affinity == "nearest_neighbors":
            check_magnitude(X)
        scale = 1.0 - self.eigenvalues_
        # Eigenvalues of a normalised Laplacian near 1 would blow the
        # extension up; they never occur among the bottom ones of a sane graph.
        scale = np.where(np.abs(scale) < 1e-12, 1e-12, scale)
        # Fitted state only: n_components may have been changed since fit.
        out = np.empty((X.shape[0], self.embedding_.shape[1]))
        for start in range(0, X.shape[0], _TRANSFORM_CHUNK):
            rows = slice(start, min(start + _TRANSFORM_CHUNK, X.shape[0]))
            weights, matched = self._affinity_to_training(X[rows])
            degree = np.asarray(weights.sum(axis=1)).ravel()
            projected = np.asarray(weights @ self.embedding_)
            # A row with no affinity to any training row (rbf underflow) has
            # no information: it goes to the origin, the weighted centre.
            safe = np.where(degree > 0, degree, 1.0)
            block = projected / safe[:, None] / scale
            block[degree <= 0] = 0.0
            # A training row gets its embedding exactly (the extension
            # reproduces it only up to the eigen solver's accuracy).
            found = matched >= 0
            block[found] = self._snap_embedding[matched[found]]
            out[rows] = block
        return out
