"""Input checks shared by the manifold estimators."""

import warnings

import numpy as np
import scipy.sparse as sp

# Above this magnitude, squared distances and local Gram matrices overflow
# float64 (about 1.8e308); the bound leaves room for sums over features.
MAX_MAGNITUDE = 1e150


def _largest_magnitude(X):
    """``max|X|`` by two reductions (``np.abs(X)`` would copy the data)."""
    if not X.size:
        return 0.0
    return max(abs(float(X.max())), abs(float(X.min())))


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
    largest = _largest_magnitude(X)
    if largest * np.sqrt(max(X.shape[1], 1)) > MAX_MAGNITUDE:
        raise ValueError(
            f"X contains values too large for the neighbour computations "
            f"(magnitude up to {largest:.3g}): squared distances would overflow "
            "float64. Scale the data first, e.g. with "
            "sklearn.preprocessing.StandardScaler."
        )


# Below this magnitude squared distances lose precision and then underflow
# (float64 normal numbers stop near 2.2e-308); such data are rescaled.
MIN_MAGNITUDE = 1e-100


def input_scale(X):
    """A power of two that brings tiny or huge data to magnitude about 1, else 1.

    Dividing by a power of two is exact, so the neighbours, reconstruction
    weights and kNN affinities (all invariant to a common scale) of the
    rescaled data are those of ``X`` computed without underflow or overflow
    (scikit-learn computes data up to about 1e150 as they are).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Finite float64 data.

    Returns
    -------
    scale : float
        1.0 unless ``0 < max|X| < MIN_MAGNITUDE`` or ``max|X|`` fails
        :func:`check_magnitude`; then ``2**e`` with ``max|X| / 2**e`` in
        [0.5, 1).
    """
    largest = _largest_magnitude(X)
    huge = largest * np.sqrt(max(X.shape[1], 1)) > MAX_MAGNITUDE
    if not (0.0 < largest < MIN_MAGNITUDE or huge):
        return 1.0
    _, exponent = np.frexp(largest)
    return float(np.ldexp(1.0, int(exponent)))


def first_equal_rows(X):
    """For each row of ``X``, the index of the first row exactly equal to it.

    Rows are first sorted by a random projection; only rows whose projections
    are equal up to rounding are compared entry by entry, so data without
    duplicates cost one matrix-vector product and one sort.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)

    Returns
    -------
    first : ndarray of shape (n_samples,)
        ``first[i] <= i``; ``first[i] == i`` for a row that repeats no
        earlier row.
    """
    n_samples = X.shape[0]
    first = np.arange(n_samples)
    if n_samples < 2:
        return first
    probe = np.random.RandomState(0).standard_normal(X.shape[1])
    projections = np.asarray(X @ probe, dtype=np.float64).ravel()
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        squares = np.asarray(X.multiply(X).sum(axis=1)).ravel()
    else:
        squares = np.einsum("ij,ij->i", X, X)
    # Equal rows project equally up to rounding, far below this slack.
    slack = 1e-9 * np.sqrt(squares) * np.linalg.norm(probe)
    order = np.argsort(projections, kind="stable")
    close = np.diff(projections[order]) <= np.maximum(
        slack[order][:-1], slack[order][1:]
    )
    if not np.any(close):
        return first
    suspect = np.zeros(n_samples, dtype=bool)
    suspect[:-1] |= close
    suspect[1:] |= close
    rows = np.sort(order[suspect])
    if sp.issparse(X):
        seen = {}
        for row in rows:
            entries = X[row]
            entries.sum_duplicates()
            entries.eliminate_zeros()
            key = (entries.indices.tobytes(), (entries.data + 0.0).tobytes())
            first[row] = seen.setdefault(key, row)
        return first
    # + 0.0 turns -0.0 into 0.0, which compare equal.
    block = np.ascontiguousarray(X[rows], dtype=np.float64) + 0.0
    keys = block.view(np.dtype((np.void, block.itemsize * block.shape[1]))).ravel()
    _, leaders, inverse = np.unique(keys, return_index=True, return_inverse=True)
    first[rows] = rows[leaders[inverse.ravel()]]
    return first


def mean_over_equal_rows(values, first):
    """Each row of ``values`` replaced by the mean over its group of equal rows.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_values)
    first : ndarray of shape (n_samples,)
        From :func:`first_equal_rows`.

    Returns
    -------
    means : ndarray of shape (n_samples, n_values)
        ``values`` itself when no row repeats another; else a new array whose
        rows without duplicates are exactly those of ``values``.
    """
    if np.all(first == np.arange(first.size)):
        return values
    sums = np.zeros_like(values, dtype=np.float64)
    np.add.at(sums, first, values)
    counts = np.bincount(first, minlength=first.size)
    return sums[first] / counts[first][:, None]


def warn_duplicates(first, *, stacklevel=3):
    """Warn when some training rows repeat others; return how many do."""
    repeated = int(np.count_nonzero(first != np.arange(first.size)))
    if repeated:
        warnings.warn(
            f"X has {repeated} row(s) identical to an earlier row. Identical "
            "points are embedded as distinct points, at slightly different "
            "and arbitrary positions; transform maps each of them to the mean "
            "of their embeddings. Remove duplicated rows (for example with "
            "np.unique(X, axis=0)) for a well-posed embedding.",
            UserWarning,
            stacklevel=stacklevel,
        )
    return repeated
