"""Input checks shared by the quality metrics."""

from numbers import Integral

import numpy as np
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions

# The parameters every metric of an (X, X_embedded) pair takes.
PAIR_PARAMS = {
    "X": ["array-like", "sparse matrix"],
    "X_embedded": ["array-like"],
    "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    "metric": [StrOptions({"precomputed"}), str, callable],
}


def check_embedding_pair(X, X_embedded, n_neighbors, *, metric="euclidean"):
    """Validate the rows, their embedding and ``n_neighbors``.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        The rows (a square distance matrix with ``metric='precomputed'``).
    X_embedded : array-like of shape (n_samples, n_components)
        Their embedding.
    n_neighbors : int
        Neighbours per row; must be less than ``n_samples / 2``.
    metric : str or callable, default='euclidean'
        Distance between the rows of ``X``.

    Returns
    -------
    X : ndarray or sparse matrix
        Validated ``X`` (float64).
    X_embedded : ndarray
        Validated ``X_embedded`` (float64).
    """
    X = check_array(
        X, accept_sparse="csr", dtype=np.float64, ensure_min_samples=2, input_name="X"
    )
    X_embedded = check_array(
        X_embedded, dtype=np.float64, ensure_min_samples=2, input_name="X_embedded"
    )
    check_consistent_length(X, X_embedded)
    if metric == "precomputed" and X.shape[0] != X.shape[1]:
        raise ValueError(
            "With metric='precomputed', X must be a square distance matrix; "
            f"got shape {X.shape}."
        )
    n_samples = X.shape[0]
    if n_neighbors >= n_samples / 2:
        raise ValueError(
            f"n_neighbors ({n_neighbors}) should be less than n_samples / 2"
            f" ({n_samples / 2})"
        )
    return X, X_embedded
