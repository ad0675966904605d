"""Locally Linear Embedding: scikit-learn's estimator, batched and faster.

Same parameters, attributes and errors as ``sklearn.manifold``'s
``LocallyLinearEmbedding`` and ``locally_linear_embedding``; the numerics live
in the private module ``_lle_embedding``, over ``_graph`` (neighbours),
``_local_weights`` (reconstruction weights), ``_mlle``/``_hlle``/``_ltsa`` (the
other methods' alignment matrices) and ``_eigen`` (the bottom eigenvectors).
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_is_fitted, validate_data

from ._eigen import EIGEN_SOLVERS
from ._lle_embedding import METHODS, _locally_linear_embedding
from ._local_weights import locally_linear_map
from ._neighbors import NEIGHBORS_ALGORITHM_CONSTRAINT, SklearnIndex
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

_COMMON_CONSTRAINTS = {
    "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "reg": [Interval(Real, 0, None, closed="left")],
    "eigen_solver": [StrOptions(set(EIGEN_SOLVERS))],
    "tol": [Interval(Real, 0, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "method": [StrOptions(set(METHODS))],
    "hessian_tol": [Interval(Real, 0, None, closed="left")],
    "modified_tol": [Interval(Real, 0, None, closed="left")],
    "random_state": ["random_state"],
    "n_jobs": [None, Integral],
}


@validate_params(
    {"X": ["array-like", NearestNeighbors], **_COMMON_CONSTRAINTS},
    prefer_skip_nested_validation=True,
)
def locally_linear_embedding(
    X: ArrayLike | NearestNeighbors,
    *,
    n_neighbors: int,
    n_components: int,
    reg: float = 1e-3,
    eigen_solver: str = "auto",
    tol: float = 1e-6,
    max_iter: int = 100,
    method: str = "standard",
    hessian_tol: float = 1e-4,
    modified_tol: float = 1e-12,
    random_state: int | np.random.RandomState | None = None,
    n_jobs: int | None = None,
) -> tuple[np.ndarray, float]:
    """Perform a Locally Linear Embedding analysis on the data.

    A drop-in for :func:`sklearn.manifold.locally_linear_embedding`: same
    parameters, result and errors, computed with batched local solves and a
    faster eigen solver.

    Parameters
    ----------
    X : {array-like, NearestNeighbors}
        Sample data of shape (n_samples, n_features), or a fitted
        :class:`~sklearn.neighbors.NearestNeighbors` over it.
    n_neighbors : int
        Number of neighbors to consider for each point.
    n_components : int
        Number of coordinates for the manifold.
    reg : float, default=1e-3
        Regularization constant, multiplies the trace of the local covariance
        matrix of the distances.
    eigen_solver : {'auto', 'arpack', 'dense', 'shift_invert'}, default='auto'
        - 'auto': 'dense' up to 200 samples, else 'shift_invert'. Unlike
          scikit-learn's, never a dense O(n^3) solve on large data.
        - 'arpack': scikit-learn's ARPACK shift-invert through SciPy's LU of
          ``M``.
        - 'dense': LAPACK on the densified ``M``; avoid on large problems.
        - 'shift_invert': ARPACK shift-invert through a cheaper sparse LU (of
          ``I - W`` for the standard method), with an eigen-residual check.
    tol : float, default=1e-6
        Tolerance of the ARPACK-based solvers. Not used by 'dense'.
    max_iter : int, default=100
        Maximum number of ARPACK restarts. Not used by 'dense'.
    method : {'standard', 'hessian', 'modified', 'ltsa'}, default='standard'
        - 'standard': locally linear embedding [1]_.
        - 'hessian': Hessian eigenmaps [2]_; needs
          ``n_neighbors > n_components * (n_components + 3) / 2``.
        - 'modified': modified LLE [3]_.
        - 'ltsa': local tangent space alignment [4]_.
    hessian_tol : float, default=1e-4
        Tolerance of the Hessian method.
    modified_tol : float, default=1e-12
        Tolerance of the modified method.
    random_state : int, RandomState instance or None, default=None
        Seeds the start vector of the ARPACK-based solvers.
    n_jobs : int or None, default=None
        Parallel jobs of the neighbour search and of the batched local solves.

    Returns
    -------
    Y : ndarray of shape (n_samples, n_components)
        Embedding vectors.
    squared_error : float
        Reconstruction error of the embedding: the sum of the eigenvalues of
        the retained eigenvectors (for the standard method,
        ``norm(Y - W Y, 'fro')**2``).

    See Also
    --------
    LocallyLinearEmbedding : The estimator form.

    References
    ----------
    .. [1] Roweis, S. & Saul, L. Nonlinear dimensionality reduction
        by locally linear embedding. Science 290:2323 (2000).
    .. [2] Donoho, D. & Grimes, C. Hessian eigenmaps: Locally
        linear embedding techniques for high-dimensional data.
        Proc Natl Acad Sci U S A. 100:5591 (2003).
    .. [3] Zhang, Z. & Wang, J. MLLE: Modified Locally Linear
        Embedding Using Multiple Weights. NIPS (2006).
    .. [4] Zhang, Z. & Zha, H. Principal manifolds and nonlinear
        dimensionality reduction via tangent space alignment.
        Journal of Shanghai Univ. 8:406 (2004).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import locally_linear_embedding
    >>> X, _ = load_digits(return_X_y=True)
    >>> embedding, error = locally_linear_embedding(
    ...     X[:100], n_neighbors=5, n_components=2
    ... )
    >>> embedding.shape
    (100, 2)
    """
    return _locally_linear_embedding(
        X,
        n_neighbors=n_neighbors,
        n_components=n_components,
        reg=reg,
        eigen_solver=eigen_solver,
        tol=tol,
        max_iter=max_iter,
        method=method,
        hessian_tol=hessian_tol,
        modified_tol=modified_tol,
        random_state=random_state,
        n_jobs=n_jobs,
    )


class LocallyLinearEmbedding(
    EmbeddingScoreMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Locally Linear Embedding, a faster drop-in for scikit-learn's.

    Same parameters, defaults, fitted attributes and errors as
    :class:`sklearn.manifold.LocallyLinearEmbedding`, for the four methods
    (standard, modified, Hessian, LTSA). The local reconstruction problems are
    solved in batches, the sparse matrices assembled at once, and the default
    eigen solver factors the sparse ``I - W`` instead of ``M``, which makes
    large problems (a million points) practical. Additions:
    ``eigen_solver='shift_invert'``, :meth:`inverse_transform`, and a
    :meth:`transform` that maps the training rows exactly to ``embedding_``.

    Computation is in float64 (float32 input is converted, as scikit-learn
    does); the output is float64.

    Parameters
    ----------
    n_neighbors : int, default=5
        Number of neighbors to consider for each point.
    n_components : int, default=2
        Number of coordinates for the manifold.
    reg : float, default=1e-3
        Regularization constant, multiplies the trace of the local covariance
        matrix of the distances.
    eigen_solver : {'auto', 'arpack', 'dense', 'shift_invert'}, default='auto'
        - 'auto': 'dense' up to 200 samples, else 'shift_invert'. Unlike
          scikit-learn's, never a dense O(n^3) solve on large data.
        - 'arpack': scikit-learn's ARPACK shift-invert through SciPy's LU of
          ``M``; raises scikit-learn's error when ARPACK fails.
        - 'dense': LAPACK on the densified ``M``; avoid on large problems.
        - 'shift_invert': ARPACK shift-invert through a cheaper sparse LU (of
          ``I - W`` for the standard method, of ``M`` otherwise), ordered by
          geometric nested dissection above 5000 samples and by COLAMD
          below, checked by the eigen-residual.
    tol : float, default=1e-6
        Tolerance of the ARPACK-based solvers. Not used by 'dense'.
    max_iter : int, default=100
        Maximum number of ARPACK restarts. Not used by 'dense'.
    method : {'standard', 'hessian', 'modified', 'ltsa'}, default='standard'
        - 'standard': locally linear embedding [1]_.
        - 'hessian': Hessian eigenmaps [2]_; needs
          ``n_neighbors > n_components * (n_components + 3) / 2``.
        - 'modified': modified LLE [3]_.
        - 'ltsa': local tangent space alignment [4]_.
    hessian_tol : float, default=1e-4
        Tolerance of the Hessian method.
    modified_tol : float, default=1e-12
        Tolerance of the modified method.
    neighbors_algorithm : str, KNeighborsMixin, index or sparse matrix, \
default='auto'
        How neighbours are found, all exact but 'hnswlib'. 'auto': where
        scikit-learn's 'auto' would take brute force on dense data (more than
        15 features), a brute force screened in float32 and decided in
        float64 (same neighbours, exact ties by lower index; see
        :ref:`large_data`), else scikit-learn's choice. 'brute', 'kd_tree',
        'ball_tree': :class:`~sklearn.neighbors.NearestNeighbors` with that
        algorithm. 'hnswlib': approximate search (the optional ``ann`` extra;
        see :ref:`large_data` for its recall). A scikit-learn neighbours
        estimator: used as is when fitted on the same ``X``, else a fitted
        copy. An object with ``build(X, n_neighbors)`` and
        ``query(X, n_neighbors)`` methods, the latter returning
        ``(distances, indices)``. A sparse matrix of shape (n_samples,
        n_samples): a precomputed kNN distance graph of the training rows
        (as from ``KNeighborsTransformer(mode='distance').fit_transform(X)``)
        with at least ``n_neighbors`` neighbours per row besides the point
        itself; LLE still needs the coordinates ``X`` for its weights, and
        :meth:`transform` searches new rows exactly.
    random_state : int, RandomState instance or None, default=None
        Seeds the start vector of the ARPACK-based solvers; the same seed
        gives identical results.
    n_jobs : int or None, default=None
        Parallel jobs of the neighbour search and of the batched local solves;
        results do not depend on it.
    verbose : int, default=0
        From 1 on, print each stage of ``fit`` as it ends (neighbours, local
        weights, eigen solve) with its time in seconds.

    Attributes
    ----------
    embedding_ : ndarray of shape (n_samples, n_components)
        Stores the embedding vectors.
    reconstruction_error_ : float
        Reconstruction error associated with ``embedding_``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.
    nbrs_ : NearestNeighbors or index
        Nearest neighbors index over the training data: the fitted
        :class:`~sklearn.neighbors.NearestNeighbors` of the exact backends,
        the given neighbours estimator, else the index. Its data are divided
        by a power of two when their magnitude is below 1e-100 or above about
        1e150, so that squared distances neither underflow nor overflow (the
        embedding does not depend on a common scale).

    See Also
    --------
    locally_linear_embedding : The function form.
    sklearn.manifold.LocallyLinearEmbedding : The reference implementation.
    sklearn.manifold.SpectralEmbedding : Spectral embedding.

    References
    ----------
    .. [1] Roweis, S. & Saul, L. Nonlinear dimensionality reduction
        by locally linear embedding. Science 290:2323 (2000).
    .. [2] Donoho, D. & Grimes, C. Hessian eigenmaps: Locally
        linear embedding techniques for high-dimensional data.
        Proc Natl Acad Sci U S A. 100:5591 (2003).
    .. [3] Zhang, Z. & Wang, J. MLLE: Modified Locally Linear
        Embedding Using Multiple Weights. NIPS (2006).
    .. [4] Zhang, Z. & Zha, H. Principal manifolds and nonlinear
        dimensionality reduction via tangent space alignment.
        Journal of Shanghai Univ. 8:406 (2004).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import LocallyLinearEmbedding
    >>> X, _ = load_digits(return_X_y=True)
    >>> X.shape
    (1797, 64)
    >>> embedding = LocallyLinearEmbedding(n_components=2)
    >>> X_transformed = embedding.fit_transform(X[:100])
    >>> X_transformed.shape
    (100, 2)
    >>> X_back = embedding.inverse_transform(X_transformed)
    >>> X_back.shape
    (100, 64)
    """

    _parameter_constraints: dict = {
        **_COMMON_CONSTRAINTS,
        "neighbors_algorithm": NEIGHBORS_ALGORITHM_CONSTRAINT,
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_neighbors=5,
        n_components=2,
        reg=1e-3,
        eigen_solver="auto",
        tol=1e-6,
        max_iter=100,
        method="standard",
        hessian_tol=1e-4,
        modified_tol=1e-12,
        neighbors_algorithm="auto",
        random_state=None,
        n_jobs=None,
        verbose=0,
    ):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.reg = reg
        self.eigen_solver = eigen_solver
        self.tol = tol
        self.max_iter = max_iter
        self.method = method
        self.hessian_tol = hessian_tol
        self.modified_tol = modified_tol
        self.neighbors_algorithm = neighbors_algorithm
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Computed in float64 as scikit-learn does; float32 is not preserved.
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    def _fit_transform(self, X):
        timer = StageTimer(type(self).__name__, self.verbose)
        random_state = check_random_state(self.random_state)
        X = validate_data(self, X, dtype=float)
        first = first_equal_rows(X)
        warn_duplicates(first, stacklevel=4)
        # Tiny and huge data are indexed divided by a power of two (exact),
        # so that squared distances neither underflow nor overflow; transform
        # divides alike.
        self._scale = input_scale(X)
        (
            self.embedding_,
            self.reconstruction_error_,
            self._index,
        ) = _locally_linear_embedding(
            X / self._scale if self._scale != 1.0 else X,
            n_neighbors=self.n_neighbors,
            n_components=self.n_components,
            reg=self.reg,
            eigen_solver=self.eigen_solver,
            tol=self.tol,
            max_iter=self.max_iter,
            method=self.method,
            hessian_tol=self.hessian_tol,
            modified_tol=self.modified_tol,
            random_state=random_state,
            n_jobs=self.n_jobs,
            timer=timer,
            neighbors_algorithm=self.neighbors_algorithm,
            return_index=True,
        )
        # The exact backend's NearestNeighbors, else the index itself.
        self.nbrs_ = getattr(self._index, "estimator_", self._index)
        self._n_features_out = self.embedding_.shape[1]
        # What transform gives a training row: its embedding, or for rows
        # with exact duplicates the mean embedding of the group.
        self._snap_embedding = mean_over_equal_rows(self.embedding_, first)
        timer.done()

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
        """Compute the embedding vectors for data X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training set.
        y : Ignored
            Not used, present here for API consistency by convention.

        Returns
        -------
        self : object
            Fitted `LocallyLinearEmbedding` instance.
        """
        self._fit_transform(X)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_transform(self, X: ArrayLike, y: ArrayLike | None = None) -> np.ndarray:
        """Compute the embedding vectors for data X and transform X.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training set.
        y : Ignored
            Not used, present here for API consistency by convention.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The embedding of the training set, ``embedding_``.
        """
        self._fit_transform(X)
        return self.embedding_

    def transform(self, X: ArrayLike) -> np.ndarray:
        """Transform new points into the embedding space.

        Each point is written as a barycentric combination of its
        ``n_neighbors`` nearest training points (regularised by ``reg``) and
        mapped to the same combination of their embeddings, as scikit-learn
        does, in bounded-memory batches. A point equal to a training point is
        mapped to that point's row of ``embedding_``, exactly, so
        ``transform(X_train)`` equals ``embedding_``, with one exception:
        training rows with exact duplicates (which fit embeds as distinct
        points, at slightly different positions) are all mapped to the mean
        of their group's rows of ``embedding_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points to embed.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            Their embedding.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=float)
        if self._scale != 1.0:
            X = X / self._scale
        check_magnitude(X)
        return locally_linear_map(
            X,
            self._index,
            self.embedding_,
            self.n_neighbors,
            reg=self.reg,
            snap_values=self._snap_embedding,
            n_jobs=self.n_jobs,
        )

    def inverse_transform(self, X: ArrayLike) -> np.ndarray:
        """Map embedding coordinates back to the input space.

        The locally linear reconstruction in reverse: each row is written as
        a barycentric combination of its ``n_neighbors`` nearest rows of
        ``embedding_`` and mapped to the same combination of the training
        points. A row equal to a row of ``embedding_`` is mapped to that
        training point.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Points in the embedding space.

        Returns
        -------
        X_original : ndarray of shape (n_samples, ``n_features_in_``)
            Their reconstruction in the input space.
        """
        check_is_fitted(self)
        X = check_array(X, dtype=float)
        if X.shape[1] != self.embedding_.shape[1]:
            raise ValueError(
                f"X has {X.shape[1]} features, but inverse_transform expects "
                f"{self.embedding_.shape[1]} (n_components) features as input."
            )
        # The index over the embedding is built per call (cheap: it has
        # n_components columns) rather than kept from fit.
        embedding_index = SklearnIndex(n_jobs=self.n_jobs).build(
            self.embedding_, self.n_neighbors
        )
        X_original = locally_linear_map(
            X,
            embedding_index,
            self._index.data_,
            self.n_neighbors,
            reg=self.reg,
            n_jobs=self.n_jobs,
        )
        return X_original * self._scale if self._scale != 1.0 else X_original
