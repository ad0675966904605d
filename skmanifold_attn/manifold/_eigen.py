"""Bottom eigenvectors of sparse symmetric positive semi-definite matrices.

The manifold estimators embed along the eigenvectors of the smallest
eigenvalues of a matrix ``M`` whose bottom eigenvector (the constant) is
skipped. Solvers:

- ``'dense'`` and ``'arpack'``: exactly scikit-learn's (LAPACK ``eigh`` on the
  densified matrix; ARPACK shift-invert at ``sigma=0`` through SciPy's own LU
  of ``M``), with scikit-learn's error when ARPACK fails.
- ``'shift_invert'``: ARPACK shift-invert through a cheaper factorisation.
  When ``M = A^T A`` is given by its factor ``A`` (standard LLE:
  ``A = I - W``), ``(A^T A)^{-1}`` is applied as two solves with one sparse LU
  of the much sparser ``A`` (plus a 1e-9 ridge that lifts its exact
  singularity). Otherwise ``M`` itself is factored, slightly shifted below
  zero so the factor exists; the shift changes no eigenvector. Above 5000
  rows ``M`` is ordered by SuperLU's minimum degree on its (symmetric)
  pattern, and ``I - W``, given the points, by geometric nested dissection
  (``_ordering``,
  over at most 8 principal coordinates, so its cost ignores the input
  dimension) with threshold pivoting, else by COLAMD. When the result misses
  the residual check below (an LU that lost digits on a matrix far from
  diagonal dominance, such as wide Gaussian data), ARPACK runs again with each
  LU solve iteratively refined against the matrix itself.
- ``'auto'``: ``'dense'`` for at most 200 rows (as scikit-learn), else
  ``'shift_invert'`` (falling back to ``'dense'`` if it fails on at most 2000
  rows); never a dense O(n^3) solve on large problems.

The new solvers compute in float64 and verify their result: the eigen-residual
``||M v - lambda v||`` of every returned vector must be small, or a
``ValueError`` says the solve did not converge. With every solver the
eigenvector signs are fixed (largest-magnitude entry positive), so results are
deterministic. The generalised and graph-Laplacian problems of NPE, LPP and
Laplacian Eigenmaps are solved in ``_eigen_generalized``.
"""

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.sparse.linalg import (
    ArpackError,
    ArpackNoConvergence,
    LinearOperator,
    eigsh,
    splu,
)
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from ._ordering import nested_dissection

EIGEN_SOLVERS = ("auto", "arpack", "dense", "shift_invert")

# 'auto' solves densely up to this many rows (scikit-learn's threshold).
AUTO_DENSE_MAX_ROWS = 200
# 'auto' falls back to the dense solve when 'shift_invert' fails up to this.
AUTO_DENSE_FALLBACK_ROWS = 2000
# Ridge on A = I - W: makes the LU exist; far below the eigenvalue gaps.
FACTOR_RIDGE = 1e-9
# Shift below zero of M (relative to its mean diagonal) for its own LU.
MATRIX_SHIFT = 1e-10
# Dense solves up to this size run single-threaded (thread-independent).
SINGLE_THREAD_MAX_ROWS = 2000
# Smaller problems are factored with COLAMD (ordering cost not worth it).
ORDERING_MIN_ROWS = 5000
# SuperLU keeps the diagonal pivot unless it is this much below the column's
# largest entry.
DIAG_PIVOT_THRESH = 0.1
# Largest accepted eigen-residual, relative to the mean diagonal of M.
RESIDUAL_RTOL = 1e-7
# Iterative-refinement steps of each LU solve when the first solve fails.
REFINEMENT_STEPS = 2
# Failure messages suggest eigen_solver='dense' up to this many rows.
DENSE_ADVICE_MAX_ROWS = 5000

_ARPACK_ERROR = (
    "Error in determining null-space with ARPACK. Error message: "
    "'{}'. Note that eigen_solver='arpack' can fail when the "
    "weight matrix is singular or otherwise ill-behaved. In that "
    "case, eigen_solver='dense' is recommended. See online "
    "documentation for more information."
)


def arpack_start_vector(n, random_state):
    """ARPACK's start vector: uniform in [-1, 1], as scikit-learn draws it."""
    return check_random_state(random_state).uniform(-1, 1, n)


def fix_signs(vectors):
    """Flip each column so that its largest-magnitude entry is positive."""
    rows = np.argmax(np.abs(vectors), axis=0)
    signs = np.sign(vectors[rows, np.arange(vectors.shape[1])])
    signs[signs == 0] = 1
    return vectors * signs


def null_space(
    M,
    k,
    *,
    k_skip=1,
    eigen_solver="arpack",
    tol=1e-6,
    max_iter=100,
    random_state=None,
    factor=None,
    points=None,
    retry_singular=True,
):
    """Eigenvectors of the ``k`` smallest eigenvalues after the ``k_skip`` first.

    Parameters
    ----------
    M : sparse matrix or ndarray of shape (n, n)
        Symmetric positive semi-definite matrix. May be None when ``factor``
        is given and the solver is not ``'dense'`` or ``'arpack'``.
    k : int
        Number of eigenvectors returned.
    k_skip : int, default=1
        Number of bottom eigenvectors skipped.
    eigen_solver : {'auto', 'arpack', 'dense', 'shift_invert'}, default='arpack'
        See the module docstring.
    tol : float, default=1e-6
        ARPACK tolerance (0 means machine precision).
    max_iter : int, default=100
        ARPACK's maximum number of restarts.
    random_state : int, RandomState instance or None, default=None
        Seeds ARPACK's start vector.
    factor : sparse matrix of shape (n, n), default=None
        ``A`` with ``M = A^T A``; used by ``'shift_invert'``.
    points : ndarray of shape (n, n_features), default=None
        Coordinates of the graph's vertices; ``'shift_invert'`` orders its
        sparse LU by nested dissection over them (else COLAMD).
    retry_singular : bool, default=True
        With ``'arpack'``, whether an exactly singular LU of ``M`` (a
        rounding accident when the null space is the constant vector alone)
        is retried just below zero. False keeps scikit-learn's error, for
        data whose ``M`` is singular by structure (duplicated points).

    Returns
    -------
    vectors : ndarray of shape (n, k)
        Eigenvectors, by increasing eigenvalue.
    eigenvalue_sum : float
        Sum of their eigenvalues.
    """
    if M is None:
        M = _gram_operator(factor)
    n = M.shape[0]
    if eigen_solver == "auto":
        if n <= AUTO_DENSE_MAX_ROWS:
            return _dense(M, k, k_skip)
        try:
            return _shift_invert(
                M, factor, k, k_skip, tol, max_iter, random_state, points
            )
        except ValueError:
            # Small problems can afford the exact dense solve instead.
            if n > AUTO_DENSE_FALLBACK_ROWS:
                raise
            return _dense(M, k, k_skip)
    if eigen_solver == "dense":
        return _dense(M, k, k_skip)
    if eigen_solver == "arpack":
        return _arpack(M, k, k_skip, tol, max_iter, random_state, retry_singular)
    if eigen_solver == "shift_invert":
        return _shift_invert(M, factor, k, k_skip, tol, max_iter, random_state, points)
    raise ValueError(f"Unrecognized eigen_solver '{eigen_solver}'")


def _dense(M, k, k_skip):
    if isinstance(M, LinearOperator):
        M = M @ np.eye(M.shape[0])
    elif sp.issparse(M):
        M = M.toarray()
    # Small problems run LAPACK on one thread: the bottom eigenvectors can be
    # nearly degenerate, and a thread-count-dependent rounding would then
    # change them between processes (e.g. joblib/dask workers).
    limit = 1 if M.shape[0] <= SINGLE_THREAD_MAX_ROWS else None
    with threadpool_limits(limits=limit, user_api="blas"):
        values, vectors = eigh(M, subset_by_index=(k_skip, k + k_skip - 1))
    order = np.argsort(np.abs(values))
    return fix_signs(vectors[:, order]), float(np.sum(values))


def _arpack(M, k, k_skip, tol, max_iter, random_state, retry_singular=True):
    v0 = arpack_start_vector(M.shape[0], random_state)
    try:
        try:
            values, vectors = eigsh(
                M, k + k_skip, sigma=0.0, tol=tol, maxiter=max_iter, v0=v0
            )
        except (ArpackNoConvergence, ArpackError):
            raise
        except RuntimeError:
            if not retry_singular:
                raise
            # SciPy's LU of M itself (sigma=0) hit an exactly zero pivot. M is
            # singular in exact arithmetic (the constant vector is in its null
            # space), so whether the LU succeeds depends on the last bits of
            # the weights, i.e. on the CPU's BLAS rounding. Shifting just below
            # zero makes M - sigma I positive definite; the eigenvectors are
            # unchanged.
            shift = MATRIX_SHIFT * (_mean_diagonal(M, None) or 1.0)
            values, vectors = eigsh(
                M, k + k_skip, sigma=-shift, tol=tol, maxiter=max_iter, v0=v0
            )
    except RuntimeError as exc:
        raise ValueError(_ARPACK_ERROR.format(exc)) from exc
    return fix_signs(vectors[:, k_skip:]), float(np.sum(values[k_skip:]))


def _gram_operator(factor):
    factor = sp.csr_matrix(factor)
    factor_t = factor.T.tocsr()
    n = factor.shape[1]

    def matvec(x):
        return factor_t @ (factor @ x)

    return LinearOperator((n, n), matvec=matvec, matmat=matvec, dtype=np.float64)


def _mean_diagonal(M, factor):
    if factor is not None:
        # diag(A^T A) sums to the squared Frobenius norm of A.
        factor = sp.csr_matrix(factor)
        factor.sum_duplicates()
        return float(np.dot(factor.data, factor.data)) / factor.shape[1]
    return float(np.mean(np.abs(M.diagonal())))


def _permute(matrix, perm):
    """``matrix[perm][:, perm]`` in CSC, by relabelling the entries."""
    coo = sp.coo_matrix(matrix)
    rank = np.empty_like(perm)
    rank[perm] = np.arange(len(perm))
    return sp.csc_matrix((coo.data, (rank[coo.row], rank[coo.col])), shape=matrix.shape)


def _factorize(target, points, symmetric=False):
    """Sparse LU of ``target``; returns ``(lu, permutation or None)``."""
    if target.shape[0] <= ORDERING_MIN_ROWS:
        return splu(target.tocsc(), permc_spec="COLAMD"), None
    if symmetric:
        # A symmetric M (the hessian, modified and ltsa methods) connects
        # neighbours of neighbours: SuperLU's minimum degree on its pattern
        # gives less fill than nested dissection, in less time (measured on
        # modified LLE of a 200,000-point swiss roll: 87.6M LU entries in
        # 6.9 s against 101M in 16.1 s).
        lu = splu(
            target.tocsc(),
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=DIAG_PIVOT_THRESH,
            options={"SymmetricMode": True},
        )
        return lu, None
    if points is None:
        return splu(target.tocsc(), permc_spec="COLAMD"), None
    # Nested dissection over the points, then threshold pivoting only, so
    # the factor keeps that ordering's low fill.
    perm = nested_dissection(target, points)
    permuted = _permute(target, perm)
    lu = splu(
        permuted,
        permc_spec="NATURAL",
        diag_pivot_thresh=DIAG_PIVOT_THRESH,
        options={"SymmetricMode": True},
    )
    return lu, perm


def _advice(n):
    """What to try when a solve fails; 'dense' only where it is affordable."""
    if n <= DENSE_ADVICE_MAX_ROWS:
        return "Try eigen_solver='dense', a larger reg, or removing duplicate points."
    return (
        "Try a larger reg, removing duplicate points, or eigen_solver='arpack' "
        f"('dense' is impractical at {n} rows)."
    )


def _refined_solver(lu, make_target):
    """``x -> target^{-1} x`` by the LU plus steps of iterative refinement.

    A threshold-pivoted LU (kept for its low fill) can lose digits on
    matrices far from diagonal dominance; ``REFINEMENT_STEPS`` steps of
    iterative refinement against ``target`` itself recover them when the LU
    is a fair approximation. ``make_target()`` builds the target on first
    use (most solves never need it).
    """
    made = []

    def solve(b, trans="N"):
        if not made:
            made.append(make_target())
        target = made[0]
        x = lu.solve(b, trans=trans)
        for _ in range(REFINEMENT_STEPS):
            applied = target.T @ x if trans == "T" else target @ x
            x = x + lu.solve(b - applied, trans=trans)
        return x

    return solve


def _arpack_shift_invert(solve, n, n_vectors, sigma, tol, max_iter, v0, ncvs):
    """ARPACK in shift-invert mode with ``solve`` as the inverse."""
    inverse = LinearOperator((n, n), matvec=solve, dtype=np.float64)
    for ncv in ncvs:
        try:
            return eigsh(
                inverse,  # not applied in shift-invert mode; OPinv is
                n_vectors,
                sigma=sigma,
                OPinv=inverse,
                tol=tol,
                maxiter=max_iter,
                v0=v0,
                ncv=ncv,
            )
        except ArpackNoConvergence:
            if ncv is ncvs[-1]:
                raise


def _shift_invert(M, factor, k, k_skip, tol, max_iter, random_state, points):
    n = M.shape[0]
    scale = _mean_diagonal(M, factor) or 1.0
    accepted = RESIDUAL_RTOL * scale
    identity = sp.identity(n, format="csr")
    v0 = arpack_start_vector(n, random_state)
    if factor is not None:
        target = sp.csr_matrix(factor, dtype=np.float64) + FACTOR_RIDGE * identity
        sigma = 0.0
    else:
        shift = MATRIX_SHIFT * scale
        target = sp.csr_matrix(M, dtype=np.float64) + shift * identity
        sigma = -shift
    try:
        lu, perm = _factorize(target, points, symmetric=factor is None)
    except RuntimeError as exc:
        raise ValueError(
            f"The eigen solve of eigen_solver='shift_invert' could not factor "
            f"its matrix ({exc}). {_advice(n)}"
        ) from exc
    # ARPACK runs in the permuted basis (the start vector permuted alike);
    # the eigenvectors are mapped back below.
    if perm is not None:
        v0 = v0[perm]
    plain = lu.solve
    refined = _refined_solver(
        lu, lambda: target if perm is None else _permute(target, perm).tocsr()
    )
    # First the plain LU solves with a short Lanczos basis: with an exact
    # inverse the wanted eigenvalues are far apart and it converges in one
    # pass, with half the solves of ARPACK's default (the next basis tried).
    # Should the result miss the residual check, solve again with each LU
    # solve refined against the matrix itself: even a threshold-pivoted LU
    # can lose digits on matrices far from diagonal dominance.
    short = min(n, max(2 * (k + k_skip) + 1, 8))
    attempts = [(plain, (short, None)), (refined, (None,))]
    failure = worst = None
    for lu_solve, ncvs in attempts:
        if factor is not None:

            def solve(x, lu_solve=lu_solve):
                x = np.asarray(x, dtype=np.float64)
                return lu_solve(lu_solve(x, trans="T"))

        else:

            def solve(x, lu_solve=lu_solve):
                return lu_solve(np.asarray(x, dtype=np.float64))

        try:
            values, vectors = _arpack_shift_invert(
                solve, n, k + k_skip, sigma, tol, max_iter, v0, ncvs
            )
        except RuntimeError as exc:
            failure = exc
            continue
        if perm is not None:
            unpermuted = np.empty_like(vectors)
            unpermuted[perm] = vectors
            vectors = unpermuted
        vectors = vectors[:, np.argsort(values)[k_skip:]]
        # Rayleigh quotients on M itself (not the ridged factor): the exact
        # reconstruction error of the returned embedding.
        products = M @ vectors
        rayleigh = np.einsum("ij,ij->j", vectors, products)
        worst = float(np.linalg.norm(products - vectors * rayleigh, axis=0).max())
        if np.isfinite(worst) and worst <= accepted:
            return fix_signs(vectors), float(np.sum(rayleigh))
    if worst is None:
        raise ValueError(
            f"The eigen solve of eigen_solver='shift_invert' did not converge "
            f"({failure}). {_advice(n)}"
        ) from failure
    raise ValueError(
        "The eigen solve of eigen_solver='shift_invert' did not converge: "
        f"eigen-residual {worst:.2e} exceeds {accepted:.2e}. {_advice(n)}"
    )
