"""Local continuity meta-criterion (LCMC), from the co-ranking matrix."""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import ArrayLike
from sklearn.utils._param_validation import validate_params

from .._docstrings import fill_doc
from ._knn_preservation import mean_neighbor_overlap
from ._validation import PAIR_PARAMS, check_embedding_pair


@validate_params(PAIR_PARAMS, prefer_skip_nested_validation=True)
@fill_doc
def lcmc(
    X: ArrayLike,
    X_embedded: ArrayLike,
    *,
    n_neighbors: int = 5,
    metric: str | Callable = "euclidean",
) -> float:
    r"""Local continuity meta-criterion: neighbours kept beyond chance.

    From the co-ranking matrix :math:`Q` (:math:`Q_{kl}` counts the pairs of
    input rank ``k`` and embedded rank ``l``),

    .. math::

        \mathrm{LCMC}(K) = \frac{1}{nK} \sum_{k, l \le K} Q_{kl}
            - \frac{K}{n - 1},

    the share of neighbours kept (:func:`knn_preservation`) less its value
    ``K / (n - 1)`` for a random embedding. The upper-left block of ``Q``
    only needs the two ``K``-neighbour lists: memory O(n K), no co-ranking
    matrix is formed.

    Parameters
    ----------
    {pair_parameters}

    Returns
    -------
    lcmc : float
        At most ``1 - K / (n - 1)``; about 0 for a random embedding.

    See Also
    --------
    knn_preservation : The same without the chance baseline.

    References
    ----------
    .. [1] L. Chen and A. Buja, "Local Multidimensional Scaling for Nonlinear
       Dimension Reduction, Graph Drawing, and Proximity Analysis", Journal
       of the American Statistical Association 104(485), 2009.
    .. [2] J. A. Lee and M. Verleysen, "Quality assessment of dimensionality
       reduction: Rank-based criteria", Neurocomputing 72, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.metrics import lcmc
    >>> X = np.random.RandomState(0).normal(size=(101, 3))
    >>> print(f"{lcmc(X, 2 * X, n_neighbors=5):.2f}")
    0.95
    """
    X, X_embedded = check_embedding_pair(X, X_embedded, n_neighbors, metric=metric)
    overlap = mean_neighbor_overlap(X, X_embedded, n_neighbors, metric)
    return overlap - n_neighbors / (X.shape[0] - 1)
