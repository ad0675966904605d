"""Continuity: are the data's neighbours kept together in the embedding?"""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import ArrayLike
from sklearn.utils._param_validation import validate_params

from .._docstrings import fill_doc
from ._knn import kneighbors_excluding_self
from ._ranks import rank_excess
from ._trustworthiness import rank_penalty_score
from ._validation import PAIR_PARAMS, check_embedding_pair


@validate_params(PAIR_PARAMS, prefer_skip_nested_validation=True)
@fill_doc
def continuity(
    X: ArrayLike,
    X_embedded: ArrayLike,
    *,
    n_neighbors: int = 5,
    metric: str | Callable = "euclidean",
) -> float:
    r"""How far the embedding keeps the neighbours of the data together.

    The converse of :func:`trustworthiness`,

    .. math::

        C(k) = 1 - \frac{2}{nk (2n - 3k - 1)} \sum^n_{i=1}
            \sum_{j \in \mathcal{V}_{i}^{k}} \max(0, (\hat r(i, j) - k))

    where :math:`\mathcal{V}_{i}^{k}` are the ``k`` nearest neighbours of row
    ``i`` in the input space and :math:`\hat r(i, j)` the rank of ``j``
    among the neighbours of ``i`` in the embedding: true neighbours torn
    apart by the embedding are penalised by their embedded rank. With
    Euclidean distances, ``continuity(X, Y) == trustworthiness(Y, X)``.
    Memory O(n k), as :func:`trustworthiness`.

    Parameters
    ----------
    {pair_parameters}

    Returns
    -------
    continuity : float
        In [0, 1]; 1 when every input neighbour is among the ``k`` nearest in
        the embedding.

    See Also
    --------
    trustworthiness : The converse: are the embedded neighbours true?
    knn_preservation : Share of the k nearest neighbours kept.

    References
    ----------
    .. [1] J. Venna and S. Kaski, "Neighborhood Preservation in Nonlinear
       Projection Methods: An Experimental Study", ICANN 2001.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.metrics import continuity
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> print(f"{continuity(X, X[:, :2], n_neighbors=5):.2f}")
    0.96
    """
    X, X_embedded = check_embedding_pair(X, X_embedded, n_neighbors, metric=metric)
    _, input_neighbors, _ = kneighbors_excluding_self(X, n_neighbors, metric=metric)
    excess = rank_excess(X_embedded, input_neighbors, n_neighbors)
    return rank_penalty_score(excess, X.shape[0], n_neighbors)
