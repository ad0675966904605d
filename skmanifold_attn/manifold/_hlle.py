"""Hessian eigenmaps (Hessian LLE): the Hessian functional matrix, batched.

For each point the ``k`` neighbours, centred on their mean, are expressed in
the tangent coordinates ``U_i`` (their ``n_components`` principal left singular
vectors). The design matrix ``Y_i = [1, U_i, U_i[:, a] * U_i[:, b] (a <= b)]``
is orthogonalised by a complete Householder QR, ``Y_i = Q_i R_i``. As in
scikit-learn, the columns of ``Q_i`` after the first ``1 + n_components`` (the
quadratic directions and the complement of ``Y_i``) form ``W_i``; each column
whose sum is at least ``hessian_tol`` in magnitude is divided by its sum, and
``M = sum_i E_i W_i W_i^T E_i^T``.

Flipping the sign of a tangent coordinate only flips columns of ``Y_i``, which
leaves every Householder reflector, hence ``Q_i`` and ``M``, unchanged: ``M``
does not depend on the sign convention of the SVD.
"""

import numpy as np

from ._local_blocks import (
    assemble_blocks,
    chunk_slices,
    local_principal_directions,
    map_chunks,
    scale_by_power_of_two,
)


def hessian_neighbors_message(n_neighbors, n_components):
    """Error text of too few neighbours for Hessian LLE, with the numbers."""
    needed = n_components * (n_components + 3) // 2
    return (
        "for method='hessian', n_neighbors must be greater than "
        f"[n_components * (n_components + 3) / 2] = {needed} for "
        f"n_components={n_components}; got n_neighbors={n_neighbors}. Use "
        f"n_neighbors >= {needed + 1}."
    )


def _hessian_blocks(X, neighbors, n_components, hessian_tol):
    """Blocks ``W W^T`` of one chunk of neighbourhoods."""
    local = X[neighbors]
    local -= local.mean(axis=1, keepdims=True)
    directions, _ = local_principal_directions(scale_by_power_of_two(local), full=False)
    tangent = directions[:, :, :n_components]
    # Quadratic terms in scikit-learn's (row-major upper triangle) order; the
    # order fixes which directions the QR orthogonalises first.
    first, second = np.triu_indices(n_components)
    design = np.concatenate(
        [
            np.ones(tangent.shape[:2] + (1,)),
            tangent,
            tangent[:, :, first] * tangent[:, :, second],
        ],
        axis=2,
    )
    q = np.linalg.qr(design, mode="complete").Q
    weights = q[:, :, n_components + 1 :]
    sums = weights.sum(axis=1, keepdims=True)
    sums[np.abs(sums) < hessian_tol] = 1.0
    weights = weights / sums
    return weights @ weights.transpose(0, 2, 1)


def hessian_lle_matrix(X, neighbors, *, n_components, hessian_tol, n_jobs=None):
    """Hessian functional matrix of Hessian eigenmaps (Donoho & Grimes, 2003).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training points, float64.
    neighbors : ndarray of shape (n_samples, n_neighbors)
        Indices of each point's neighbours, the point itself excluded;
        ``n_neighbors > n_components * (n_components + 3) / 2``.
    n_components : int
        Dimension of the local tangent spaces (and of the embedding).
    hessian_tol : float
        Columns of a local Hessian estimator whose sum is smaller than this in
        magnitude are left unnormalised.
    n_jobs : int, default=None
        Threads computing the chunks of local blocks. The result does not
        depend on it.

    Returns
    -------
    M : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric positive semi-definite; the embedding is given by its
        eigenvectors of smallest eigenvalue after the first (the constant one).
        It is the matrix scikit-learn builds for ``method='hessian'``.

    References
    ----------
    .. [1] Donoho, D. & Grimes, C. Hessian eigenmaps: Locally linear embedding
       techniques for high-dimensional data. Proc. Natl. Acad. Sci. USA 100(10),
       2003.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.manifold._hlle import hessian_lle_matrix
    >>> X = np.random.RandomState(0).rand(20, 3)
    >>> distances = np.linalg.norm(X[:, None] - X[None], axis=2)
    >>> neighbors = np.argsort(distances, axis=1)[:, 1:7]
    >>> hessian_lle_matrix(X, neighbors, n_components=2, hessian_tol=1e-4).shape
    (20, 20)
    """
    X = np.asarray(X, dtype=np.float64)
    neighbors = np.asarray(neighbors)
    n_samples, n_neighbors = neighbors.shape
    n_quadratic = n_components * (n_components + 1) // 2
    if n_neighbors <= n_components + n_quadratic:
        raise ValueError(hessian_neighbors_message(n_neighbors, n_components))
    slices = chunk_slices(n_samples, n_neighbors * max(n_neighbors, X.shape[1]))
    blocks = np.empty((n_samples, n_neighbors, n_neighbors))

    def fill(chunk):
        blocks[chunk] = _hessian_blocks(X, neighbors[chunk], n_components, hessian_tol)

    map_chunks(fill, slices, n_jobs)
    return assemble_blocks(neighbors, blocks, X.shape[0])
