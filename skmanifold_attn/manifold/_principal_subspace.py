"""The leading principal directions of a data set, for a search pre-transform.

An approximate neighbour index in high dimension spends most of its time on
distances between full-length vectors. When the data lie close to a
low-dimensional linear subspace, the index can be built on the coordinates in
that subspace instead, and the candidates it returns re-ranked by their exact
distances in the full space (the pre-transform and refinement of FAISS's
``IndexPreTransform`` / ``IndexRefineFlat``). :func:`principal_subspace`
finds the subspace: the fewest principal directions whose discarded variance
is at most a given fraction of the total, or none when that would not pay.
"""

import numpy as np
from scipy.linalg import eigh
from sklearn.utils.extmath import randomized_svd

#: Rows used to estimate the directions (a random subset beyond this).
MAX_ROWS = 10_000
#: Above this many features the directions come from a randomized SVD of at
#: most :data:`MAX_RANDOMIZED` directions instead of a covariance ``eigh``.
MAX_EIGH_FEATURES = 2048
MAX_RANDOMIZED = 256


def principal_subspace(X, variance, *, random_state):
    """Mean and leading principal directions keeping ``variance`` of the total.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    variance : float in (0, 1)
        Fraction of the total variance (the sum of the per-feature variances)
        the kept directions must explain.
    random_state : RandomState instance
        Picks the row subset beyond :data:`MAX_ROWS` rows and seeds the
        randomized SVD above :data:`MAX_EIGH_FEATURES` features.

    Returns
    -------
    mean : ndarray of shape (n_features,)
        Column means of all rows (float64).
    components : ndarray of shape (n_components, n_features) or None
        Orthonormal rows, the leading direction first; None when keeping
        ``variance`` needs more than half of the features (projecting would
        not pay).
    discarded : float
        Fraction of the variance of the rows used that the kept directions
        leave out (0.0 when ``components`` is None).
    """
    X = np.asarray(X)
    n_samples, n_features = X.shape
    mean = X.mean(axis=0, dtype=np.float64)
    rows = X
    if n_samples > MAX_ROWS:
        rows = X[np.sort(random_state.choice(n_samples, MAX_ROWS, replace=False))]
    rows = np.asarray(rows, dtype=np.float64) - mean
    total = float(np.einsum("ij,ij->", rows, rows))
    limit = n_features // 2
    if limit < 1 or total == 0.0:
        return mean, None, 0.0
    if n_features <= MAX_EIGH_FEATURES:
        values, vectors = eigh(rows.T @ rows)
        values, vectors = np.maximum(values[::-1], 0.0), vectors[:, ::-1].T
    else:
        rank = min(limit, MAX_RANDOMIZED, rows.shape[0])
        _, singular, vectors = randomized_svd(
            rows, rank, n_oversamples=10, n_iter=4, random_state=random_state
        )
        values = singular**2
    # Variance left out when keeping the first r directions, r = 1, 2, ...
    discarded = (total - np.cumsum(values)) / total
    enough = np.flatnonzero(discarded <= 1.0 - variance)
    if enough.size == 0 or enough[0] + 1 > limit:
        return mean, None, 0.0
    n_components = int(enough[0]) + 1
    return (
        mean,
        np.ascontiguousarray(vectors[:n_components]),
        float(max(discarded[n_components - 1], 0.0)),
    )
