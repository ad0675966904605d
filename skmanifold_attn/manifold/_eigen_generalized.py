"""Generalised and graph-Laplacian bottom eigenproblems.

The solvers of the projection estimators (NPE, LPP: a dense generalised
problem ``A a = lambda B a`` with ``B`` only positive semi-definite) and of
Laplacian Eigenmaps (the bottom eigenpairs of a symmetric normalised graph
Laplacian, by a dense solve, ARPACK shift-invert, LOBPCG or LOBPCG with an
algebraic multigrid preconditioner). With every solver the eigenvector signs
are fixed as in ``_eigen``.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from scipy.linalg import eigh
from scipy.sparse.linalg import (
    ArpackNoConvergence,
    LinearOperator,
    eigsh,
    splu,
)
from sklearn.utils import check_random_state
from threadpoolctl import threadpool_limits  # a scikit-learn dependency

from ._eigen import (
    AUTO_DENSE_MAX_ROWS,
    SINGLE_THREAD_MAX_ROWS,
    arpack_start_vector,
    fix_signs,
)

# Eigenvalues of B below this fraction of its largest are its null space.
RANK_RTOL = 1e-10
# Eigenvalues of B below this fraction of its largest are rounding noise.
NOISE_RTOL = 1e-12
FAINT_DIRECTIONS_WARNING = (
    "{} direction(s) of the training data vary by less than "
    f"{RANK_RTOL:.0e} of the leading one (with every feature scaled to unit "
    "norm): too little to be resolved in float64, they were left out of the "
    "projection. Remove nearly collinear features (e.g. with PCA) to silence "
    "this warning."
)
# Ridge added to the kept eigenvalues of B, relative to their mean.
GENERALIZED_RIDGE = 1e-9
# Shift below zero of a graph Laplacian for shift-invert (scikit-learn's).
LAPLACIAN_SHIFT = 1e-5
LAPLACIAN_SOLVERS = ("dense", "arpack", "lobpcg", "amg")


def generalized_bottom_eigh(A, B, k, *, noise_rtol=None):
    """Smallest generalised eigenpairs of ``A a = lambda B a``, B only PSD.

    ``B`` (a covariance such as ``X^T X``) may be singular: its null space,
    directions along which the data do not vary, is removed first (an
    eigenvector there would be a meaningless 0/0), the rest is lifted by a
    tiny ridge for conditioning, and the problem is solved by whitening.

    Parameters
    ----------
    A : ndarray of shape (d, d)
        Symmetric positive semi-definite.
    B : ndarray of shape (d, d)
        Symmetric positive semi-definite.
    k : int
        Number of eigenpairs.
    noise_rtol : float, default=None
        Eigenvalues of ``B`` up to this fraction of its largest are rounding
        noise (an exact linear dependence gives about 1e-16) and dropped
        silently; the ones above it but under ``RANK_RTOL`` are real (if
        faint) directions: they are dropped too, with a warning. None means
        ``NOISE_RTOL`` (1e-12).

    Returns
    -------
    vectors : ndarray of shape (d, k)
        B-orthonormal eigenvectors (``a^T B a = 1``), by increasing
        eigenvalue, largest-magnitude entry positive.
    values : ndarray of shape (k,)
    rank : int
        Rank of ``B`` found.

    Raises
    ------
    ValueError
        When ``B`` has rank below ``k``.
    """
    A = 0.5 * (A + A.T)
    B = 0.5 * (B + B.T)
    if noise_rtol is None:
        noise_rtol = NOISE_RTOL
    with threadpool_limits(limits=1, user_api="blas"):
        return _generalized_bottom_eigh(A, B, k, noise_rtol)


def _generalized_bottom_eigh(A, B, k, noise_rtol):
    spectrum, basis = eigh(B)
    largest = spectrum[-1] if spectrum.size else 0.0
    keep = spectrum > RANK_RTOL * max(largest, 0.0)
    rank = int(np.count_nonzero(keep))
    faint = np.count_nonzero(~keep & (spectrum > noise_rtol * max(largest, 0.0)))
    if faint and largest > 0:
        warnings.warn(FAINT_DIRECTIONS_WARNING.format(faint), UserWarning, stacklevel=3)
    if largest <= 0 or rank < k:
        raise ValueError(
            f"The data are rank-deficient: after centring they span {rank} "
            f"dimension(s), fewer than n_components={k}. Reduce n_components "
            "or remove constant and duplicated features."
        )
    kept = spectrum[keep]
    kept = kept + GENERALIZED_RIDGE * kept.mean()
    whitening = basis[:, keep] / np.sqrt(kept)
    reduced = whitening.T @ A @ whitening
    values, vectors = eigh(0.5 * (reduced + reduced.T), subset_by_index=(0, k - 1))
    return fix_signs(whitening @ vectors), values, rank


def laplacian_solver(eigen_solver, n, k):
    """The solver a Laplacian eigenproblem of ``n`` rows, ``k`` pairs, gets.

    ``None`` (the estimators' default) is the exact dense solve up to
    ``AUTO_DENSE_MAX_ROWS`` rows and ARPACK above. An explicit solver is
    used as asked, as scikit-learn does, except on graphs too small for it:
    ARPACK needs ``k < n``, and LOBPCG (also under 'amg') at least 5 rows
    per block vector (``k + 1`` of them here), below which SciPy's LOBPCG
    itself switches to a dense solve with a warning (scikit-learn
    short-circuits it the same way).

    Parameters
    ----------
    eigen_solver : {'arpack', 'lobpcg', 'amg'} or None
    n : int
        Rows of the Laplacian.
    k : int
        Eigenpairs wanted, the trivial one included.

    Returns
    -------
    solver : {'dense', 'arpack', 'lobpcg', 'amg'}
    """
    if eigen_solver is None:
        return "dense" if n <= AUTO_DENSE_MAX_ROWS else "arpack"
    if eigen_solver == "arpack":
        return "dense" if k >= n else "arpack"
    return "dense" if n < 5 * (k + 1) else eigen_solver


def laplacian_bottom_eigenvectors(
    laplacian,
    k,
    *,
    eigen_solver="arpack",
    tol=0.0,
    random_state=None,
    start=None,
):
    """The ``k`` smallest eigenpairs of a symmetric normalised graph Laplacian.

    Parameters
    ----------
    laplacian : sparse matrix of shape (n, n)
        ``I - D^{-1/2} W D^{-1/2}``.
    k : int
        Number of eigenpairs, the trivial first one included.
    eigen_solver : {'dense', 'arpack', 'lobpcg', 'amg'}, default='arpack'
        'arpack': shift-invert at ``-1e-5`` (as scikit-learn) through one
        sparse LU of the shifted Laplacian; 'lobpcg': LOBPCG;
        'amg': LOBPCG preconditioned by pyamg's smoothed aggregation.
    tol : float or None, default=0.0
        Solver tolerance (ARPACK: 0 is machine precision; LOBPCG: None is
        its default).
    random_state : RandomState
        Seeds the start vectors.
    start : ndarray of shape (n,), default=None
        Known trivial eigenvector (``sqrt(degree)``), a start column for
        LOBPCG.

    Returns
    -------
    values : ndarray of shape (k,)
    vectors : ndarray of shape (n, k)
    """
    from scipy.sparse.linalg import lobpcg

    n = laplacian.shape[0]
    if eigen_solver == "dense":
        dense = laplacian.toarray() if sp.issparse(laplacian) else laplacian
        # Single-threaded when small, as _dense: thread-independent results.
        limit = 1 if n <= SINGLE_THREAD_MAX_ROWS else None
        with threadpool_limits(limits=limit, user_api="blas"):
            return eigh(dense, subset_by_index=(0, k - 1))
    if eigen_solver == "arpack" and not sp.issparse(laplacian):
        # A dense affinity (rbf): SciPy's dense LU inside eigsh.
        try:
            values, vectors = eigsh(
                laplacian,
                k,
                sigma=-LAPLACIAN_SHIFT,
                which="LM",
                tol=tol,
                v0=arpack_start_vector(n, random_state),
            )
        except (ArpackNoConvergence, RuntimeError) as exc:
            raise ValueError(
                f"The ARPACK eigen solve of the graph Laplacian did not converge "
                f"({exc}). Try eigen_solver='lobpcg' or a larger eigen_tol."
            ) from exc
        order = np.argsort(values)
        return values[order], vectors[:, order]
    laplacian = sp.csr_matrix(laplacian, dtype=np.float64)
    if eigen_solver == "arpack":
        # One sparse LU of the shifted Laplacian. On kNN Laplacians the
        # symmetric minimum-degree ordering gives far less fill than COLAMD
        # (scipy's default) or nested dissection (measured: 6.8M against
        # 17M and 18M LU entries on a 100,000-point swiss roll).
        target = laplacian + LAPLACIAN_SHIFT * sp.identity(n, format="csr")
        lu = splu(
            target.tocsc(),
            permc_spec="MMD_AT_PLUS_A",
            diag_pivot_thresh=0.0,
            options={"SymmetricMode": True},
        )

        def solve(x):
            return lu.solve(np.asarray(x, dtype=np.float64))

        inverse = LinearOperator((n, n), matvec=solve, dtype=np.float64)
        v0 = arpack_start_vector(n, random_state)
        try:
            values, vectors = eigsh(
                inverse,  # not applied in shift-invert mode; OPinv is
                k,
                sigma=-LAPLACIAN_SHIFT,
                which="LM",
                OPinv=inverse,
                tol=tol,
                v0=v0,
            )
        except (ArpackNoConvergence, RuntimeError) as exc:
            raise ValueError(
                f"The ARPACK eigen solve of the graph Laplacian did not converge "
                f"({exc}). Try eigen_solver='lobpcg' or a larger eigen_tol."
            ) from exc
    else:
        guess = check_random_state(random_state).standard_normal((n, k + 1))
        if start is not None:
            guess[:, 0] = start
        preconditioner = None
        if eigen_solver == "amg":
            preconditioner = _amg_preconditioner(laplacian)
        values, vectors = lobpcg(
            laplacian, guess, M=preconditioner, tol=tol, largest=False, maxiter=2000
        )
    order = np.argsort(values)[:k]
    return values[order], vectors[:, order]


def check_pyamg():
    """Raise a clear ValueError when the optional pyamg is not installed."""
    try:
        import pyamg  # noqa: F401
    except ImportError as exc:
        raise ValueError(
            "eigen_solver='amg' needs pyamg, which is not installed; install "
            "it with `pip install skmanifold-attn[amg]` (or `pip install pyamg`), "
            "or use eigen_solver='arpack' or 'lobpcg'."
        ) from exc


def _amg_preconditioner(laplacian):
    check_pyamg()
    from pyamg import smoothed_aggregation_solver

    # The Laplacian is singular (constant null vector); a small diagonal shift
    # makes the multigrid hierarchy well defined (as scikit-learn does).
    shifted = laplacian + LAPLACIAN_SHIFT * sp.identity(laplacian.shape[0])
    return smoothed_aggregation_solver(sp.csr_matrix(shifted)).aspreconditioner()
