"""Input checks shared by the manifold estimators."""

import numpy as np

# Above this magnitude, squared distances and local Gram matrices overflow
# float64 (about 1.8e308); the bound leaves room for sums over features.
MAX_MAGNITUDE = 1e150


def check_magnitude(X):
    """Raise a ValueError when ``X`` is too large for squared distances.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 data.

    Raises
    ------
    ValueError
        When ``max|X| * sqrt(n_features)`` exceeds ``MAX_MAGNITUDE``.
    """
    largest = float(np.max(np.abs(X))) if X.size else 0.0
    if largest * np.sqrt(max(X.shape[1], 1)) > MAX_MAGNITUDE:
        raise ValueError(
            f"X contains values too large for the neighbour computations "
            f"(magnitude up to {largest:.3g}): squared distances would overflow "
            "float64. Scale the data first, e.g. with "
            "sklearn.preprocessing.StandardScaler."
        )
