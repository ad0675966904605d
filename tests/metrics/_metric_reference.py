"""Full-matrix references for the metric tests (small inputs only)."""

import numpy as np
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import NearestNeighbors


def full_ranks(X, metric="euclidean"):
    """ranks[i, j]: rank of j among i's neighbours (1 = nearest), stable ties."""
    distances = pairwise_distances(X, metric=metric)
    np.fill_diagonal(distances, np.inf)
    order = np.argsort(distances, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(X.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, X.shape[0] + 1)
    return ranks


def stable_trustworthiness(X, X_embedded, n_neighbors):
    """scikit-learn's trustworthiness with a stable sort of the input distances."""
    n = X.shape[0]
    neighbors = (
        NearestNeighbors(n_neighbors=n_neighbors)
        .fit(X_embedded)
        .kneighbors(return_distance=False)
    )
    ranks = np.take_along_axis(full_ranks(X), neighbors, axis=1) - n_neighbors
    k = n_neighbors
    return 1 - ranks[ranks > 0].sum() * 2.0 / (n * k * (2 * n - 3 * k - 1))
