"""The numerics of Locally Linear Embedding, all four methods.

From the data to the embedding: the neighbour index, the reconstruction
weights (standard method, ``_local_weights``) or the alignment matrix of the
hessian, modified and ltsa methods (``_hlle``, ``_mlle``, ``_ltsa``), then the
bottom eigenvectors (``_eigen``). ``_locally_linear`` wraps this in
scikit-learn's function and estimator.
"""

import numpy as np
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_array

from ._eigen import null_space
from ._graph import fit_neighbors
from ._hlle import hessian_neighbors_message
from ._local_weights import barycenter_weights, weight_matrix
from ._neighbors import build_index
from ._ordering import spatial_order
from ._progress import StageTimer
from ._validation import check_magnitude, first_equal_rows, input_scale

METHODS = ("standard", "hessian", "modified", "ltsa")
# Above this many points the hessian, modified and ltsa methods relabel the
# points in a spatial order (where the sparse LU's ordering starts to matter).
RELABEL_MIN_ROWS = 5000
# ... and at most this many features: on wide data the copy of X and the
# principal directions cost more than the relabelling saves (784-D, 20,000
# points: modified 5.60 -> 6.97 s, 0.10 GiB more memory).
RELABEL_MAX_FEATURES = 8


def _alignment_matrix(
    X, neighbors, *, method, n_components, reg, hessian_tol, modified_tol, n_jobs
):
    """The sparse ``M`` of the hessian, modified and ltsa methods."""
    if method == "hessian":
        from ._hlle import hessian_lle_matrix

        return hessian_lle_matrix(
            X,
            neighbors,
            n_components=n_components,
            hessian_tol=hessian_tol,
            n_jobs=n_jobs,
        )
    if method == "modified":
        from ._mlle import modified_lle_matrix

        return modified_lle_matrix(
            X,
            neighbors,
            n_components=n_components,
            # scikit-learn's MLLE ridge is a fixed 1e-3 whatever its ``reg``.
            reg=1e-3,
            modified_tol=modified_tol,
            n_jobs=n_jobs,
        )
    from ._ltsa import ltsa_matrix

    return ltsa_matrix(X, neighbors, n_components=n_components, n_jobs=n_jobs)


def _locally_linear_embedding(
    X,
    *,
    n_neighbors,
    n_components,
    reg=1e-3,
    eigen_solver="auto",
    tol=1e-6,
    max_iter=100,
    method="standard",
    hessian_tol=1e-4,
    modified_tol=1e-12,
    random_state=None,
    n_jobs=None,
    timer=None,
    neighbors_algorithm="auto",
    return_index=False,
):
    if timer is None:
        timer = StageTimer("locally_linear_embedding", verbose=0)
    if isinstance(X, NearestNeighbors):
        # scikit-learn's contract: a fitted index stands for its data.
        neighbors_algorithm = fit_neighbors(X, n_neighbors + 1, n_jobs=n_jobs)
        X = neighbors_algorithm._fit_X
    # Dense row-major float64 (sparse input is refused here, as scikit-learn
    # does); the neighbour index keeps this very array.
    X = check_array(X, dtype=np.float64, order="C")
    scale = input_scale(X)
    if scale != 1.0:
        # Tiny data: squared distances would underflow. The embedding is
        # invariant to a common scale, and dividing by a power of two is
        # exact (a given index over the unscaled data is rebuilt).
        X = X / scale
        if isinstance(neighbors_algorithm, NearestNeighbors):
            neighbors_algorithm = neighbors_algorithm.algorithm
    n_samples, n_features = X.shape

    if n_components > n_features:
        raise ValueError(
            "output dimension must be less than or equal to input dimension: "
            f"n_components={n_components} must be at most n_features={n_features}."
        )
    if n_neighbors >= n_samples:
        raise ValueError(
            f"Expected n_neighbors < n_samples, but n_samples = {n_samples}, "
            f"n_neighbors = {n_neighbors}"
        )
    if method == "hessian" and n_neighbors <= n_components * (n_components + 3) // 2:
        raise ValueError(hessian_neighbors_message(n_neighbors, n_components))
    if method == "modified" and n_neighbors < n_components:
        raise ValueError(
            "modified LLE requires n_neighbors >= n_components; got "
            f"n_neighbors={n_neighbors}, n_components={n_components}."
        )
    check_magnitude(X)

    index = build_index(
        neighbors_algorithm,
        X,
        n_neighbors + 1,
        n_jobs=n_jobs,
        random_state=random_state,
    )
    neighbors = index.training_neighbors(n_neighbors)
    timer("neighbours", f"n_samples={n_samples}, n_neighbors={n_neighbors}")
    factor = M = relabel = None
    if method == "standard":
        weights = barycenter_weights(X, X, neighbors, reg=reg, n_jobs=n_jobs)
        W = weight_matrix(weights.astype(np.float64, copy=False), neighbors, n_samples)
        # M = (I - W)^T (I - W); the fast solvers factor I - W itself.
        factor = sp.identity(n_samples, format="csr") - W
        if eigen_solver in ("arpack", "dense"):
            M = (factor.T @ factor).tocsr()
    else:
        if (
            eigen_solver in ("auto", "shift_invert")
            and n_samples > RELABEL_MIN_ROWS
            and n_features <= RELABEL_MAX_FEATURES
        ):
            # The points (and M's rows) taken in a spatial order: the local
            # blocks are summed into M with local memory traffic, and
            # SuperLU's minimum degree finds less fill from that labelling
            # (hessian LLE, 200,000-point swiss roll: 12.4 -> 10.5 s).
            relabel = spatial_order(X)
            rank = np.empty_like(relabel)
            rank[relabel] = np.arange(n_samples)
            X, neighbors = X[relabel], rank[neighbors[relabel]]
        M = _alignment_matrix(
            X,
            neighbors,
            method=method,
            n_components=n_components,
            reg=reg,
            hessian_tol=hessian_tol,
            modified_tol=modified_tol,
            n_jobs=n_jobs,
        )
    timer("local weights", f"method={method!r}")
    # Duplicated points make M singular by structure: then an exactly
    # singular LU under eigen_solver='arpack' keeps scikit-learn's error.
    duplicated = eigen_solver == "arpack" and bool(
        np.any(first_equal_rows(X) != np.arange(n_samples))
    )
    result = null_space(
        M,
        n_components,
        k_skip=1,
        eigen_solver=eigen_solver,
        tol=tol,
        max_iter=max_iter,
        random_state=random_state,
        factor=factor,
        points=X,
        retry_singular=not duplicated,
    )
    if relabel is not None:
        result = (result[0][rank], result[1])
    timer("eigen solve", f"eigen_solver={eigen_solver!r}")
    return (*result, index) if return_index else result
