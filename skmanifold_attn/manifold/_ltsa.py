"""Local tangent space alignment (LTSA): the alignment matrix, batched.

For each point the ``k`` neighbours, centred on their mean, span a local tangent
space estimated by their ``n_components`` principal left singular vectors
``U_i``. The alignment matrix is ``M = sum_i E_i (I - G_i G_i^T) E_i^T`` with
``G_i = [1/sqrt(k), U_i]``; as in scikit-learn the point itself is not part of
its neighbourhood. ``G_i G_i^T`` is a projector, so ``M`` does not depend on
the signs (or any rotation) of the singular vectors.
"""

import numpy as np

from ._local_blocks import (
    assemble_blocks,
    chunk_slices,
    local_principal_directions,
    map_chunks,
    scale_by_power_of_two,
)


def _ltsa_blocks(X, neighbors, n_components):
    """Blocks ``I - G G^T`` of one chunk of neighbourhoods."""
    local = X[neighbors]
    local -= local.mean(axis=1, keepdims=True)
    directions, _ = local_principal_directions(scale_by_power_of_two(local), full=False)
    tangent = directions[:, :, :n_components]
    n_neighbors = neighbors.shape[1]
    blocks = -(tangent @ tangent.transpose(0, 2, 1))
    blocks -= 1.0 / n_neighbors
    diagonal = np.arange(n_neighbors)
    blocks[:, diagonal, diagonal] += 1.0
    return blocks


def ltsa_matrix(X, neighbors, *, n_components, n_jobs=None):
    """Alignment matrix of local tangent space alignment (Zhang & Zha, 2004).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training points, float64.
    neighbors : ndarray of shape (n_samples, n_neighbors)
        Indices of each point's neighbours, the point itself excluded.
    n_components : int
        Dimension of the local tangent spaces (and of the embedding).
    n_jobs : int, default=None
        Threads computing the chunks of local blocks. The result does not
        depend on it.

    Returns
    -------
    M : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric positive semi-definite; the embedding is given by its
        eigenvectors of smallest eigenvalue after the first (the constant one).
        It is the matrix scikit-learn builds for ``method='ltsa'``.

    References
    ----------
    .. [1] Zhang, Z. & Zha, H. Principal manifolds and nonlinear dimensionality
       reduction via tangent space alignment. SIAM J. Sci. Comput. 26(1), 2004.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.manifold._ltsa import ltsa_matrix
    >>> X = np.random.RandomState(0).rand(20, 3)
    >>> distances = np.linalg.norm(X[:, None] - X[None], axis=2)
    >>> neighbors = np.argsort(distances, axis=1)[:, 1:6]
    >>> ltsa_matrix(X, neighbors, n_components=2).shape
    (20, 20)
    """
    X = np.asarray(X, dtype=np.float64)
    neighbors = np.asarray(neighbors)
    n_samples, n_neighbors = neighbors.shape
    slices = chunk_slices(n_samples, n_neighbors * max(n_neighbors, X.shape[1]))
    blocks = np.empty((n_samples, n_neighbors, n_neighbors))

    def fill(chunk):
        blocks[chunk] = _ltsa_blocks(X, neighbors[chunk], n_components)

    map_chunks(fill, slices, n_jobs)
    return assemble_blocks(neighbors, blocks, X.shape[0])
