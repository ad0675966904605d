"""k-nearest-neighbour preservation: the share of neighbours kept."""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import ArrayLike
from sklearn.utils._param_validation import validate_params

from .._docstrings import fill_doc
from ._knn import kneighbors_excluding_self
from ._validation import PAIR_PARAMS, check_embedding_pair

# Rows per overlap block (rows x k x k booleans).
_OVERLAP_ITEMS = 2**24


def mean_neighbor_overlap(X, X_embedded, n_neighbors, metric):
    """Mean of ``|N_X(i) & N_embedded(i)| / k`` over the rows."""
    _, input_neighbors, _ = kneighbors_excluding_self(X, n_neighbors, metric=metric)
    _, embedded_neighbors, _ = kneighbors_excluding_self(X_embedded, n_neighbors)
    chunk = max(1, _OVERLAP_ITEMS // n_neighbors**2)
    shared = 0
    for start in range(0, X.shape[0], chunk):
        a = input_neighbors[start : start + chunk]
        b = embedded_neighbors[start : start + chunk]
        shared += int((a[:, :, None] == b[:, None, :]).sum())
    return shared / (X.shape[0] * n_neighbors)


@validate_params(PAIR_PARAMS, prefer_skip_nested_validation=True)
@fill_doc
def knn_preservation(
    X: ArrayLike,
    X_embedded: ArrayLike,
    *,
    n_neighbors: int = 5,
    metric: str | Callable = "euclidean",
) -> float:
    """Share of each row's ``k`` nearest neighbours kept by the embedding.

    The mean over the rows of ``|N_X(i) & N_Y(i)| / k``, with ``N_X(i)``
    and ``N_Y(i)`` the ``k`` nearest other rows of row ``i`` in the input
    space and in the embedding. Memory O(n k).

    Parameters
    ----------
    {pair_parameters}

    Returns
    -------
    preservation : float
        In [0, 1]: 1 when every neighbourhood is kept, about
        ``k / (n - 1)`` for a random embedding.

    See Also
    --------
    lcmc : The same, less its value for a random embedding.
    trustworthiness : Rank-weighted penalty of false neighbours.

    References
    ----------
    .. [1] J. A. Lee and M. Verleysen, "Quality assessment of dimensionality
       reduction: Rank-based criteria", Neurocomputing 72, 2009.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.metrics import knn_preservation
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> knn_preservation(X, 2 * X, n_neighbors=5)
    1.0
    """
    X, X_embedded = check_embedding_pair(X, X_embedded, n_neighbors, metric=metric)
    return mean_neighbor_overlap(X, X_embedded, n_neighbors, metric)
