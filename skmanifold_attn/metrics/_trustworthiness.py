"""Trustworthiness: are the embedding's neighbours true neighbours?"""

from __future__ import annotations

from collections.abc import Callable

from numpy.typing import ArrayLike
from sklearn.utils._param_validation import validate_params

from .._docstrings import fill_doc
from ._knn import kneighbors_excluding_self
from ._ranks import rank_excess
from ._validation import PAIR_PARAMS, check_embedding_pair


def rank_penalty_score(excess, n_samples, n_neighbors):
    """``1 - 2 excess / (n k (2n - 3k - 1))``: 1 for no rank beyond ``k``."""
    k = n_neighbors
    return 1.0 - excess * (2.0 / (n_samples * k * (2.0 * n_samples - 3.0 * k - 1.0)))


@validate_params(PAIR_PARAMS, prefer_skip_nested_validation=True)
@fill_doc
def trustworthiness(
    X: ArrayLike,
    X_embedded: ArrayLike,
    *,
    n_neighbors: int = 5,
    metric: str | Callable = "euclidean",
) -> float:
    r"""How far the local structure of the embedding is true to the data.

    Equal to :func:`sklearn.manifold.trustworthiness`,

    .. math::

        T(k) = 1 - \frac{2}{nk (2n - 3k - 1)} \sum^n_{i=1}
            \sum_{j \in \mathcal{N}_{i}^{k}} \max(0, (r(i, j) - k))

    where :math:`\mathcal{N}_{i}^{k}` are the ``k`` nearest neighbours of
    row ``i`` in the embedding and :math:`r(i, j)` the rank of ``j`` among
    the neighbours of ``i`` in the input space: embedded neighbours that are
    far in the input space are penalised by their rank. Computed from
    nearest-neighbour queries in bounded chunks, memory O(n k) instead of
    scikit-learn's n x n matrices; a row's neighbour list grows (k, then
    4 times longer, ...) only while one of its embedded neighbours ranks
    beyond it, so the time depends on how good the embedding is.

    Parameters
    ----------
    {pair_parameters}

    Returns
    -------
    trustworthiness : float
        In [0, 1]; 1 when every embedded neighbour is among the ``k`` nearest
        in the input space.

    See Also
    --------
    continuity : The converse: are the true neighbours kept?
    knn_preservation : Share of the k nearest neighbours kept.
    sklearn.manifold.trustworthiness : The reference (O(n^2) memory).

    Notes
    -----
    Equidistant points are ranked by row index; scikit-learn ranks them in
    the order of an unstable sort, so on data with exact distance ties the
    two can differ slightly.

    References
    ----------
    .. [1] J. Venna and S. Kaski, "Neighborhood Preservation in Nonlinear
       Projection Methods: An Experimental Study", ICANN 2001.

    Examples
    --------
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn.decomposition import PCA
    >>> from skmanifold_attn.metrics import trustworthiness
    >>> X, _ = make_blobs(n_samples=100, n_features=10, centers=3, random_state=42)
    >>> X_embedded = PCA(n_components=2).fit_transform(X)
    >>> print(f"{trustworthiness(X, X_embedded, n_neighbors=5):.2f}")
    0.92
    """
    X, X_embedded = check_embedding_pair(X, X_embedded, n_neighbors, metric=metric)
    _, embedded_neighbors, _ = kneighbors_excluding_self(X_embedded, n_neighbors)
    excess = rank_excess(X, embedded_neighbors, n_neighbors, metric=metric)
    return rank_penalty_score(excess, X.shape[0], n_neighbors)
