"""Modified locally linear embedding (MLLE): the alignment matrix, batched.

For each point ``i`` with neighbours centred on ``x_i`` (``k x d``), let ``V``
hold the left singular vectors, by decreasing squared singular value ``l_j``
(the ``k - min(k, d)`` null directions last). MLLE (Zhang & Wang, 2007):

* regularised barycentre weights ``w`` from that decomposition, with ridge
  ``reg * sum(l)`` (``reg`` itself for a zero neighbourhood);
* ``eta``, the median over points of ``sum(l[d':]) / sum(l[:d'])``
  (``d' = n_components``), and for each point the size ``s_i`` of its "almost
  null space": the number of trailing eigenvalues whose sum stays below
  ``eta`` times the sum of the others, plus the exact null directions;
* ``V_i`` the last ``s_i`` columns of ``V``, a Householder matrix ``H_i``
  taking ``V_i^T 1`` to ``alpha_i 1``, and the ``s_i`` weight vectors
  ``W_i = V_i H_i + (1 - alpha_i) w 1^T``;
* ``M = sum_i E_i [W_i; -1^T] [W_i; -1^T]^T E_i^T`` over the indices
  ``[neighbours, i]``.

Points have different ``s_i``; all points of a chunk are handled together by
keeping all ``k`` columns of ``V`` and zeroing those outside the almost null
space, which leaves every product above unchanged. ``W_i W_i^T`` and
``W_i 1`` only involve the projector ``V_i V_i^T`` and ``V_i H_i 1 = V_i V_i^T
1 / alpha_i``, so ``M`` does not depend on the signs (or a rotation) of the
singular vectors.

``eta`` needs the spectra of all points first: a first pass computes the
singular values only, a second pass the vectors, so memory stays bounded by the
chunk size rather than ``n_samples * k * k``.
"""

import numpy as np

from ._local_blocks import (
    assemble_blocks,
    chunk_slices,
    local_principal_directions,
    local_squared_singular_values,
    map_chunks,
    scale_by_power_of_two,
)


def _centred_neighborhoods(X, neighbors, chunk):
    local = X[neighbors[chunk]] - X[chunk, None, :]
    return scale_by_power_of_two(local)


def _almost_null_space_sizes(spectra, n_components, n_neighbors):
    """``s_i`` of every point from the decreasing local spectra ``(n, nev)``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = spectra[:, n_components:].sum(axis=1) / spectra[:, :n_components].sum(
            axis=1
        )
        cumulative = np.cumsum(spectra, axis=1)
        # tail[:, m] = sum(l[m+1:]) / sum(l[:m+1]), decreasing in m.
        tail = cumulative[:, -1:] / cumulative[:, :-1] - 1.0
    # A neighbourhood with no spread at all (duplicates) gives 0/0: it has no
    # residual energy, so its ratios count as 0.
    ratios[np.isnan(ratios)] = 0.0
    tail[np.isnan(tail)] = 0.0
    # With an odd number of points, the median point's own tail[:, d' - 1]
    # equals eta up to rounding; computing both with scikit-learn's formulas
    # settles that tie as it does whenever the spectra agree to the bit.
    eta = np.median(ratios)
    sizes = np.count_nonzero(tail < eta, axis=1) + (n_neighbors - spectra.shape[1])
    # s_i = 0 leaves a point without weight vectors (a 0/0 in the reference
    # formulas); one vector, the weakest direction, keeps it defined.
    return np.maximum(sizes, 1)


def _mlle_blocks(local, sizes, reg, modified_tol):
    """Blocks ``[W; -1^T][W; -1^T]^T`` of one chunk (indices ``[nbrs, i]``)."""
    n_chunk, n_neighbors = local.shape[:2]
    vectors, spectrum = local_principal_directions(local, full=True)
    # Eigenvalues of local @ local.T, padded with the null directions' zeros.
    eigenvalues = np.zeros((n_chunk, n_neighbors))
    eigenvalues[:, : spectrum.shape[1]] = spectrum

    # Regularised barycentre weights from the decomposition:
    # w = V (diag(l) + r)^-1 V^T 1, normalised to sum 1.
    trace = eigenvalues.sum(axis=1)
    ridge = np.where(trace > 0, reg * trace, reg)
    coefficients = vectors.sum(axis=1) / (eigenvalues + ridge[:, None])
    barycentre = (vectors @ coefficients[:, :, None])[:, :, 0]
    barycentre /= barycentre.sum(axis=1, keepdims=True)

    # Keep only the last s_i columns of V (the almost null space).
    active = (np.arange(n_neighbors) >= n_neighbors - sizes[:, None]).astype(np.float64)
    null_basis = vectors * active[:, None, :]
    projected_ones = null_basis.sum(axis=1)
    alpha = np.linalg.norm(projected_ones, axis=1) / np.sqrt(sizes)

    # Householder vector h with (I - 2 h h^T) V_i^T 1 = alpha 1.
    householder = alpha[:, None] * active - projected_ones
    norm = np.linalg.norm(householder, axis=1)
    small = norm < modified_tol
    householder /= np.where(small, 1.0, norm)[:, None]
    householder[small] = 0.0

    reflected = (null_basis @ householder[:, :, None])[:, :, 0]
    extended = np.empty((n_chunk, n_neighbors + 1, n_neighbors))
    weights = extended[:, :n_neighbors]
    np.multiply(reflected[:, :, None], -2.0 * householder[:, None, :], out=weights)
    weights += null_basis
    weights += (
        (1.0 - alpha)[:, None, None] * barycentre[:, :, None] * active[:, None, :]
    )
    extended[:, n_neighbors] = -active
    return extended @ extended.transpose(0, 2, 1)


def modified_lle_matrix(X, neighbors, *, n_components, reg, modified_tol, n_jobs=None):
    """Alignment matrix of modified LLE (Zhang & Wang, 2007).

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Training points, float64.
    neighbors : ndarray of shape (n_samples, n_neighbors)
        Indices of each point's neighbours, the point itself excluded;
        ``n_neighbors >= n_components``.
    n_components : int
        Dimension of the embedding.
    reg : float
        Ridge of the local barycentre weights, relative to the trace of the
        local Gram matrix. scikit-learn always uses 1e-3 here, whatever its
        ``reg`` parameter.
    modified_tol : float
        Householder vectors shorter than this are taken as zero (no
        reflection).
    n_jobs : int, default=None
        Threads computing the chunks of local blocks. The result does not
        depend on it.

    Returns
    -------
    M : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Symmetric positive semi-definite; the embedding is given by its
        eigenvectors of smallest eigenvalue after the first (the constant one).
        With ``reg=1e-3`` it is the matrix scikit-learn builds for
        ``method='modified'``.

    References
    ----------
    .. [1] Zhang, Z. & Wang, J. MLLE: Modified locally linear embedding using
       multiple weights. Advances in Neural Information Processing Systems 19,
       2007.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn.manifold._mlle import modified_lle_matrix
    >>> X = np.random.RandomState(0).rand(20, 3)
    >>> distances = np.linalg.norm(X[:, None] - X[None], axis=2)
    >>> neighbors = np.argsort(distances, axis=1)[:, 1:6]
    >>> M = modified_lle_matrix(
    ...     X, neighbors, n_components=2, reg=1e-3, modified_tol=1e-12
    ... )
    >>> M.shape
    (20, 20)
    """
    X = np.asarray(X, dtype=np.float64)
    neighbors = np.asarray(neighbors)
    n_samples, n_neighbors = neighbors.shape
    if n_neighbors < n_components:
        raise ValueError("modified LLE requires n_neighbors >= n_components")
    slices = chunk_slices(
        n_samples, (n_neighbors + 1) * max(n_neighbors + 1, X.shape[1])
    )

    n_spectrum = min(n_neighbors, X.shape[1])
    spectra = np.empty((n_samples, n_spectrum))

    def fill_spectra(chunk):
        local = _centred_neighborhoods(X, neighbors, chunk)
        spectra[chunk] = local_squared_singular_values(local)

    map_chunks(fill_spectra, slices, n_jobs)
    sizes = _almost_null_space_sizes(spectra, n_components, n_neighbors)

    blocks = np.empty((n_samples, n_neighbors + 1, n_neighbors + 1))

    def fill_blocks(chunk):
        local = _centred_neighborhoods(X, neighbors, chunk)
        blocks[chunk] = _mlle_blocks(local, sizes[chunk], reg, modified_tol)

    map_chunks(fill_blocks, slices, n_jobs)
    index_sets = np.concatenate([neighbors, np.arange(n_samples)[:, None]], axis=1)
    return assemble_blocks(index_sets, blocks, X.shape[0])
