"""Neighborhood Preserving Embedding (He, Cai, Yan and Zhang, 2005).

The reconstruction weights ``W`` of standard LLE (the same code, from
``_local_weights``), then the linear map ``a`` minimising
``||(I - W) X a||^2`` under ``a^T X^T X a = 1``: the smallest generalised
eigenvectors of ``X^T M X a = lambda X^T X a`` with ``M = (I - W)^T (I - W)``,
solved by ``_eigen_generalized``.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval

from .._docstrings import fill_doc
from ._linear_projection import _LinearGraphProjection
from ._local_weights import barycenter_weights, weight_matrix
from ._neighbors import NEIGHBORS_ALGORITHM_CONSTRAINT
from ._projection_forms import npe_matrices


@fill_doc
class NeighborhoodPreservingEmbedding(_LinearGraphProjection):
    """Neighborhood Preserving Embedding (NPE): linear LLE.

    Computes each row's locally linear reconstruction weights from its
    neighbours exactly as standard :class:`LocallyLinearEmbedding`, then the
    linear map that best preserves those reconstructions, and applies it to
    any row: ``transform(X) = (X - mean_) @ components_.T``.

    Computes in float64: input of any numeric dtype (float32 included) is
    converted, and :meth:`transform` returns float64.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours reconstructing each point (the point itself excluded).
    n_components : int, default=2
        Dimension of the projection.
    reg : float, default=1e-3
        Ridge on each local Gram matrix of the reconstruction weights,
        relative to its trace (as in LLE).
    {neighbors_algorithm}
    n_jobs : int, default=None
        Parallel jobs of the neighbour search and the weights.
    verbose : int, default=0
        From 1 on, print each stage of ``fit`` as it ends (neighbours, reconstruction
        weights, eigen solve) with its
        time in seconds.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The projection directions, orthonormal for the training covariance
        (``a^T X^T X a = 1`` on the centred data), by increasing eigenvalue.
    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.
    eigenvalues_ : ndarray of shape (n_components,)
        Generalised eigenvalues (reconstruction costs) of the components.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when they are all strings.

    See Also
    --------
    LocallyLinearEmbedding : The nonlinear method this linearises.
    LocalityPreservingProjections : The linearisation of Laplacian Eigenmaps.
    sklearn.decomposition.PCA : The global linear projection.

    References
    ----------
    .. [1] X. He, D. Cai, S. Yan and H.-J. Zhang, "Neighborhood Preserving
       Embedding", Tenth IEEE International Conference on Computer Vision
       (ICCV 2005).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmanifold_attn import NeighborhoodPreservingEmbedding
    >>> X, _ = load_digits(return_X_y=True)
    >>> model = make_pipeline(
    ...     PCA(n_components=30),
    ...     NeighborhoodPreservingEmbedding(n_neighbors=10, n_components=5),
    ... )
    >>> model.fit(X[:1000]).transform(X[1000:]).shape
    (797, 5)
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "reg": [Interval(Real, 0, None, closed="left")],
        "neighbors_algorithm": NEIGHBORS_ALGORITHM_CONSTRAINT,
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_neighbors=5,
        n_components=2,
        reg=1e-3,
        neighbors_algorithm="auto",
        n_jobs=None,
        verbose=0,
    ):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.reg = reg
        self.neighbors_algorithm = neighbors_algorithm
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _problem(self, X, centred):
        _, _, indices = self._training_neighbors(X)
        self._timer("neighbours", f"n_neighbors={self.n_neighbors}")
        local = barycenter_weights(X, X, indices, reg=self.reg, n_jobs=self.n_jobs)
        weights = weight_matrix(local, indices, X.shape[0])
        self._timer("reconstruction weights")
        self._warn_if_disconnected(weights + weights.T)
        return npe_matrices(centred, weights)
