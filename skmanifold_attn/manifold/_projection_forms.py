"""The quadratic forms of the linear graph embeddings NPE and LPP.

Both solve ``X^T G X a = lambda X^T H X a`` on the centred data; these
functions build the two ``d x d`` forms from a sparse ``n x n`` graph without
ever forming an ``n x n`` dense matrix.
"""

import numpy as np


def npe_matrices(centred, weights):
    """``X^T M X`` and ``X^T X`` of NPE for a sparse weight matrix ``W``.

    Parameters
    ----------
    centred : ndarray of shape (n_samples, n_features)
        Training data minus its mean.
    weights : sparse matrix of shape (n_samples, n_samples)
        Reconstruction weights, rows summing to one.

    Returns
    -------
    alignment_form : ndarray of shape (n_features, n_features)
    covariance_form : ndarray of shape (n_features, n_features)
    """
    # Rows of W sum to one, so (I - W) X is the same for X centred or not;
    # X^T M X = R^T R with the residuals R = (I - W) X, never forming M.
    residuals = centred - np.asarray(weights @ centred)
    return residuals.T @ residuals, centred.T @ centred


def lpp_matrices(centred, graph):
    """``X^T L X`` and ``X^T D X`` of centred data and a symmetric graph.

    Parameters
    ----------
    centred : ndarray of shape (n_samples, n_features)
        Training data minus its mean.
    graph : sparse matrix of shape (n_samples, n_samples)
        Symmetric weights ``W`` with a zero diagonal.

    Returns
    -------
    laplacian_form : ndarray of shape (n_features, n_features)
    degree_form : ndarray of shape (n_features, n_features)
    """
    degree = np.asarray(graph.sum(axis=1)).ravel()
    weighted = centred * degree[:, None]
    degree_form = centred.T @ weighted
    # X^T L X = X^T D X - X^T W X without forming L.
    laplacian_form = degree_form - centred.T @ np.asarray(graph @ centred)
    return laplacian_form, degree_form
