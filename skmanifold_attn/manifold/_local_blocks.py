"""Shared machinery of the local-matrix builders (modified LLE, Hessian LLE, LTSA).

Each of those methods sums, over the points ``i``, a small dense symmetric block
``B_i`` into the rows and columns of an index set ``J_i`` (the neighbours of
``i``, sometimes with ``i`` itself): ``M = sum_i E_i B_i E_i^T``. This module
holds what they share: cutting the points into chunks, computing the blocks of
the chunks in joblib threads, the batched local principal directions, and the
sparse assembly of ``M``.

Chunks are cut from the number of samples and the block size only, never from
``n_jobs``, and each chunk writes into its own slice of a preallocated array, so
``M`` is bit-identical whatever ``n_jobs``.
"""

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed

# float64 entries (8 MiB) allowed in one chunk's largest (chunk, k, k)
# working array; with the few such arrays alive at once a chunk needs some
# tens of MiB per thread, whatever n_samples.
_CHUNK_BUDGET = 1 << 20


def chunk_slices(n_samples, row_size):
    """Contiguous slices of ``range(n_samples)`` for chunks of bounded memory.

    Parameters
    ----------
    n_samples : int
        Number of points to cut.
    row_size : int
        Number of float64 entries one point needs in the largest working array.

    Returns
    -------
    slices : list of slice
        Chunks in order; they depend on ``n_samples`` and ``row_size`` only.
    """
    rows = max(1, _CHUNK_BUDGET // max(1, row_size))
    return [
        slice(start, min(start + rows, n_samples))
        for start in range(0, n_samples, rows)
    ]


def map_chunks(func, slices, n_jobs):
    """Call ``func(chunk)`` for every slice in joblib threads; results in order.

    The work is LAPACK/BLAS calls on stacked arrays, which release the GIL, so
    threads avoid copying ``X`` into worker processes.
    """
    if len(slices) == 1 or n_jobs in (None, 1):
        # Skip joblib's overhead, but keep the results identical: each chunk is
        # computed the same way whichever path runs it.
        return [func(chunk) for chunk in slices]
    return Parallel(n_jobs=n_jobs, backend="threading")(
        delayed(func)(chunk) for chunk in slices
    )


def scale_by_power_of_two(local):
    """Scale each stacked matrix so its largest magnitude lies in [0.5, 1).

    The factor is a power of two, so the scaling itself is exact; it keeps
    squared entries (Gram matrices, eigenvalues) clear of overflow for inputs
    near 1e200 and of underflow for tiny ones. All three methods only use
    scale-free quantities of a neighbourhood (directions, eigenvalue ratios).
    """
    largest = np.abs(local).max(axis=(1, 2))
    _, exponent = np.frexp(largest)
    return np.ldexp(local, -exponent[:, None, None])


def local_principal_directions(local, *, full):
    """Left singular vectors of stacked neighbourhoods, largest first.

    Parameters
    ----------
    local : ndarray of shape (n_chunk, n_neighbors, n_features)
        Centred neighbourhoods, one per point.
    full : bool
        Whether to return a complete orthonormal basis of ``R^n_neighbors``
        (``n_neighbors`` columns) rather than the ``min(n_neighbors,
        n_features)`` principal ones.

    Returns
    -------
    vectors : ndarray of shape (n_chunk, n_neighbors, n_columns)
        Orthonormal columns ordered by decreasing squared singular value.
    squared_values : ndarray of shape (n_chunk, min(n_neighbors, n_features))
        The squared singular values (eigenvalues of ``local @ local.T``),
        decreasing.

    Notes
    -----
    As scikit-learn does, an SVD of the ``k x d`` neighbourhood is used when
    ``k > d`` and an eigendecomposition of its ``k x k`` Gram matrix otherwise.
    """
    n_neighbors, n_features = local.shape[1:]
    if n_neighbors > n_features:
        vectors, values, _ = np.linalg.svd(local, full_matrices=full)
        return vectors, values**2
    values, vectors = np.linalg.eigh(local @ local.transpose(0, 2, 1))
    return vectors[:, :, ::-1], values[:, ::-1]


def local_squared_singular_values(local):
    """Squared singular values of stacked neighbourhoods, decreasing.

    Same definition and choice of decomposition as
    :func:`local_principal_directions`, without the vectors.
    """
    n_neighbors, n_features = local.shape[1:]
    if n_neighbors > n_features:
        return np.linalg.svd(local, compute_uv=False) ** 2
    return np.linalg.eigvalsh(local @ local.transpose(0, 2, 1))[:, ::-1]


def assemble_blocks(index_sets, blocks, n_samples):
    """Sum dense local blocks into a sparse symmetric ``n_samples`` square matrix.

    Parameters
    ----------
    index_sets : ndarray of shape (n_points, b)
        Row/column indices of each point's block.
    blocks : ndarray of shape (n_points, b, b)
        Local blocks, symmetric up to rounding; block ``p`` is added at
        ``(index_sets[p, r], index_sets[p, c])``. Overwritten.
    n_samples : int
        Size of the matrix.

    Returns
    -------
    M : scipy.sparse.csr_matrix of shape (n_samples, n_samples)
        Float64, canonical (sorted indices, duplicates summed), exactly
        symmetric.

    Notes
    -----
    Two stable counting sorts (by column, then by row) bring the entries into
    row-major order with the contributions to one entry in block order, and
    those are summed in that order. Each block is made exactly symmetric
    first, so entry ``(q, r)`` and ``(r, q)`` add the same numbers in the same
    order: ``M`` is exactly symmetric without a transpose-and-average pass, and
    depends only on the blocks, not on how they were chunked.
    """
    n_points, block_size = index_sets.shape
    blocks += blocks.transpose(0, 2, 1)
    blocks *= 0.5
    # scipy would cast the indices to int32 itself when they fit; casting the
    # small index array once avoids converting the broadcast copy.
    n_entries = n_points * block_size * block_size
    fits_int32 = max(n_entries, n_samples) < np.iinfo(np.int32).max
    index_dtype = np.int32 if fits_int32 else np.int64
    index_sets = np.ascontiguousarray(index_sets, dtype=index_dtype)
    # One sparse row per block row: row p * b + r holds block p's row r at the
    # columns index_sets[p]. Converting it to CSC is a stable counting sort by
    # column: within a column, entries stay in block order.
    block_rows = sp.csr_matrix(
        (
            blocks.reshape(-1),
            np.broadcast_to(
                index_sets[:, None, :], (n_points, block_size, block_size)
            ).reshape(-1),
            np.arange(0, n_entries + 1, block_size, dtype=index_dtype),
        ),
        shape=(n_points * block_size, n_samples),
    ).tocsc()
    # Replace the block-row ids by the rows of M, then sort stably by row.
    M = sp.csc_matrix(
        (
            block_rows.data,
            index_sets.reshape(-1)[block_rows.indices],
            block_rows.indptr,
        ),
        shape=(n_samples, n_samples),
    ).tocsr()
    # The conversion leaves column indices sorted with duplicates adjacent in
    # block order; summing them keeps that order.
    M.has_sorted_indices = True
    M.sum_duplicates()
    return M
