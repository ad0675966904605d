"""Affinities of Laplacian Eigenmaps to its training rows.

Checks of the affinities and precomputed distance graphs the estimator is
given, and the affinities of new rows to the training rows that its Nystrom
extension (``transform``) weighs: through the kNN graph, the rbf kernel, or
precomputed affinities. In each case a training row passed back is
recognised, its self-loop left out (the normalised Laplacian has none), and
its index returned so that it gets its fitted row back.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.metrics.pairwise import rbf_kernel

from ._graph import knn_affinity_to_training, match_rows

# Candidate training neighbours per new row, in multiples of n_neighbors: the
# row's own neighbours plus the training points that may count it among theirs.
CANDIDATE_FACTOR = 3


def check_affinities(affinity, what):
    """Refuse negative or non-finite affinities with a clear message."""
    values = affinity.data if sp.issparse(affinity) else affinity
    if values.size == 0:
        return
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} contains NaN or infinity.")
    smallest = float(values.min())
    if smallest < 0:
        raise ValueError(
            f"{what} has negative entries (the smallest is {smallest:.3g}); "
            "affinities are non-negative similarities. For distances use "
            "affinity='precomputed_nearest_neighbors', or turn them into "
            "similarities first, e.g. np.exp(-gamma * D ** 2)."
        )


def check_precomputed_graph(X, n_neighbors, n_columns):
    """Shape and stored neighbours of a precomputed distance graph or matrix.

    ``n_neighbors`` counts every stored entry of a row, the point itself
    included (with ``KNeighborsTransformer(mode='distance')`` it is stored).
    """
    if X.shape[1] != n_columns:
        raise ValueError(
            "With affinity='precomputed_nearest_neighbors', X must hold the "
            f"distances to the {n_columns} training rows, one column each; got "
            f"shape {X.shape}."
        )
    if sp.issparse(X):
        per_row = np.diff(sp.csr_matrix(X).indptr)
        if per_row.size and per_row.min() < n_neighbors:
            row = int(np.argmin(per_row))
            raise ValueError(
                f"The precomputed neighbors graph stores {int(per_row[row])} "
                f"distances in row {row}, but {n_neighbors} are needed in every "
                "row (n_neighbors, the point itself included; transform needs "
                f"{CANDIDATE_FACTOR} * n_neighbors_ or all training rows): "
                "build it with more neighbours."
            )


def _is_self(X, distances, indices, index, precomputed):
    """Whether each row's nearest training row is that very row."""
    if precomputed:
        return distances[:, 0] == 0
    return np.all(X == index.data_[indices[:, 0]], axis=1)


def knn_affinity_to_fitted(
    X, index, radius, n_neighbors, n_train, offdiagonal_affinity, *, precomputed
):
    """kNN affinities of ``X`` to the training rows, and matched training rows.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_queries, n_features)
        New rows; with ``precomputed``, their distances to the training rows.
    index : neighbour index
        The fitted index over the training rows.
    radius : ndarray of shape (n_train,)
        Distance of each training point to its ``n_neighbors``-th neighbour.
    n_neighbors : int
        ``n_neighbors_`` of the fitted graph.
    n_train : int
        Number of training rows.
    offdiagonal_affinity : sparse matrix of shape (n_train, n_train)
        The fitted affinity without its diagonal.
    precomputed : bool
        Whether ``X`` holds precomputed distances.

    Returns
    -------
    weights : sparse matrix of shape (n_queries, n_train)
    matched : ndarray of shape (n_queries,)
        The training row each row is, or -1.
    """
    n_candidates = min(n_train, CANDIDATE_FACTOR * n_neighbors)
    if precomputed:
        check_precomputed_graph(X, n_candidates, n_train)
    distances, indices = index.query(X, n_candidates)
    is_self = _is_self(X, distances, indices, index, precomputed)
    matched = np.where(is_self, indices[:, 0], -1)
    weights = knn_affinity_to_training(
        distances, indices, radius, n_neighbors, n_train, is_self=is_self
    )
    if np.any(is_self):
        # A training row gets its own fitted row back (ties in the
        # distances could otherwise pick different neighbours).
        rows = np.flatnonzero(is_self)
        select = sp.csr_matrix(
            (np.ones(rows.size), (rows, indices[rows, 0])),
            shape=(X.shape[0], n_train),
        )
        keep = sp.diags((~is_self).astype(np.float64))
        weights = keep @ weights + select @ offdiagonal_affinity
    return weights, matched


def rbf_affinity_to_fitted(X, index, gamma):
    """Rbf affinities of ``X`` to the training rows of ``index``, and matches."""
    weights = rbf_kernel(X, index.data_, gamma=gamma)
    distances, indices = index.query(X, 1)
    is_self = _is_self(X, distances, indices, index, precomputed=False)
    rows = np.flatnonzero(is_self)
    # The Laplacian ignores self-loops: so does the extension.
    weights[rows, indices[rows, 0]] = 0.0
    return weights, np.where(is_self, indices[:, 0], -1)


def precomputed_affinity_to_fitted(X, affinity, training_rows, given_rows):
    """Given affinities, with a training row's own diagonal entry dropped.

    The estimator's fit ignores the diagonal of the affinity matrix (the
    normalised Laplacian has no self-loops), so the Nystrom formula
    reproduces ``embedding_`` only without them: a row equal to training row
    ``i`` of ``affinity`` (its diagonal entry included) is that training
    point, and its entry in column ``i`` is left out.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_queries, n_train)
        Affinities of new rows to the training rows.
    affinity : ndarray or sparse matrix of shape (n_train, n_train)
        The (symmetrised) fitted affinity matrix.
    training_rows : tuple
        ``row_index(affinity)``.
    given_rows : tuple or None
        ``(matrix, row_index(matrix))`` of the matrix as given to fit when
        symmetrising changed it, else None.

    Returns
    -------
    weights : ndarray or sparse matrix of shape (n_queries, n_train)
        ``X`` without the matched rows' self-loops (never ``X`` modified).
    matches : ndarray of shape (n_queries,)
        The training row each row is, or -1.
    """
    matches = match_rows(X, affinity, training_rows)
    if given_rows is not None:
        # An asymmetric matrix was symmetrised at fit: its rows as given
        # are training rows too.
        given, index = given_rows
        unmatched = np.flatnonzero(matches < 0)
        matches[unmatched] = match_rows(X[unmatched], given, index)
    rows = np.flatnonzero(matches >= 0)
    if rows.size == 0:
        return X, matches
    columns = matches[rows]
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        self_loops = sp.csr_matrix(
            (np.asarray(X[rows, columns]).ravel(), (rows, columns)),
            shape=X.shape,
        )
        weights = (X - self_loops).tocsr()
        weights.eliminate_zeros()
        return weights, matches
    weights = X.copy()  # never write into the caller's array
    weights[rows, columns] = 0.0
    return weights, matches
