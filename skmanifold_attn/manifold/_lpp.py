"""Locality Preserving Projections (He and Niyogi, 2003).

The linear map ``a`` minimising ``sum_ij W_ij (a^T x_i - a^T x_j)^2`` under
``a^T X^T D X a = 1``: the smallest generalised eigenvectors of
``X^T L X a = lambda X^T D X a`` with ``L = D - W`` the Laplacian of a
heat-kernel or binary kNN graph (from ``_graph``), solved by
``_eigen_generalized``.
"""

from numbers import Integral, Real

import scipy.sparse as sp
from sklearn.utils._param_validation import Interval, StrOptions

from .._docstrings import fill_doc
from ._graph import heat_kernel_graph
from ._linear_projection import _LinearGraphProjection
from ._neighbors import NEIGHBORS_ALGORITHM_CONSTRAINT
from ._projection_forms import lpp_matrices


@fill_doc
class LocalityPreservingProjections(_LinearGraphProjection):
    """Locality Preserving Projections (LPP): linear Laplacian Eigenmaps.

    Finds the linear map whose projections keep neighbouring rows close, in
    the sense of Laplacian Eigenmaps on a k-nearest-neighbour graph, and
    applies it to any row: as cheap and stable on new data as PCA, but
    aware of the data's local neighbourhoods.

    Computes in float64: input of any numeric dtype (float32 included) is
    converted, and :meth:`transform` returns float64.

    Parameters
    ----------
    n_neighbors : int, default=5
        Neighbours of each point in the graph (the point itself excluded);
        pairs are linked when either is among the other's neighbours.
    n_components : int, default=2
        Dimension of the projection.
    weight : {'heat', 'binary'}, default='heat'
        Edge weights: the heat kernel ``exp(-||x_i - x_j||^2 / t)`` or 1.
    kernel_width : float, default=None
        ``t`` of the heat kernel; None means ``2 * sigma**2`` with
        ``sigma**2`` the mean squared distance of the points to their
        neighbours.
    {neighbors_algorithm}
    n_jobs : int, default=None
        Parallel jobs of the neighbour search.
    verbose : int, default=0
        From 1 on, print each stage of ``fit`` as it ends (neighbours, graph weights,
        eigen solve) with its
        time in seconds.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
        The projection directions, ``D``-orthonormal on the centred training
        data (``a^T X^T D X a = 1``), by increasing eigenvalue.
    mean_ : ndarray of shape (n_features,)
        Per-feature mean of the training data.
    eigenvalues_ : ndarray of shape (n_components,)
        Generalised eigenvalues (locality costs) of the components.
    kernel_width_ : float or None
        Heat-kernel width used (None for binary weights), in the squared
        units of ``X`` (it underflows to 0 for data below about 1e-150,
        which are fitted rescaled by a power of two).
    affinity_matrix_ : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        The graph weights ``W``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when they are all strings.

    See Also
    --------
    LaplacianEigenmaps : The nonlinear method this linearises.
    NeighborhoodPreservingEmbedding : The linearisation of LLE.
    sklearn.decomposition.PCA : The global linear projection.

    References
    ----------
    .. [1] X. He and P. Niyogi, "Locality Preserving Projections", Advances
       in Neural Information Processing Systems 16 (NIPS 2003).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> from skmanifold_attn import LocalityPreservingProjections
    >>> X, _ = load_digits(return_X_y=True)
    >>> model = make_pipeline(
    ...     PCA(n_components=30), LocalityPreservingProjections(n_components=5)
    ... )
    >>> model.fit(X[:1000]).transform(X[1000:]).shape
    (797, 5)
    """

    _parameter_constraints: dict = {
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "weight": [StrOptions({"heat", "binary"})],
        "kernel_width": [Interval(Real, 0, None, closed="neither"), None],
        "neighbors_algorithm": NEIGHBORS_ALGORITHM_CONSTRAINT,
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_neighbors=5,
        n_components=2,
        weight="heat",
        kernel_width=None,
        neighbors_algorithm="auto",
        n_jobs=None,
        verbose=0,
    ):
        self.n_neighbors = n_neighbors
        self.n_components = n_components
        self.weight = weight
        self.kernel_width = kernel_width
        self.neighbors_algorithm = neighbors_algorithm
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _problem(self, X, centred):
        _, distances, indices = self._training_neighbors(X)
        self._timer("neighbours", f"n_neighbors={self.n_neighbors}")
        width = None
        if self.weight == "heat":
            width = "auto"
            if self.kernel_width is not None:
                # X may have been divided by a power of two (tiny data).
                width = self.kernel_width / self._scale**2
        graph, width = heat_kernel_graph(
            distances, indices, X.shape[0], kernel_width=width
        )
        self._timer("graph weights", f"weight={self.weight!r}")
        self.kernel_width_ = None if width is None else width * self._scale**2
        self._warn_if_disconnected(graph)
        self.affinity_matrix_ = sp.csr_matrix(graph)
        return lpp_matrices(centred, graph)
