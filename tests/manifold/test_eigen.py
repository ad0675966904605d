import numpy as np
import pytest
import scipy.sparse as sp
from scipy.linalg import eigh

from skmanifold_attn.manifold._eigen import fix_signs, null_space
from skmanifold_attn.manifold._local_weights import barycenter_kneighbors_graph


def _lle_factor(n=600, seed=0):
    rng = np.random.RandomState(seed)
    t = rng.uniform(0, 3 * np.pi, n)
    X = np.c_[t * np.cos(t), rng.uniform(0, 10, n), t * np.sin(t)]
    W = barycenter_kneighbors_graph(X, 10)
    return sp.identity(n, format="csr") - W


def _subspace_distance(U, V):
    # sin of the largest principal angle between the column spaces
    Qu, _ = np.linalg.qr(U)
    Qv, _ = np.linalg.qr(V)
    return np.linalg.norm(Qv - Qu @ (Qu.T @ Qv), 2)


def _reference(M, k, k_skip=1):
    values, vectors = eigh(M.toarray())
    return values[k_skip : k_skip + k], vectors[:, k_skip : k_skip + k]


@pytest.mark.parametrize("solver", ["dense", "arpack", "shift_invert", "auto"])
@pytest.mark.parametrize("use_factor", [True, False])
def test_solvers_find_the_bottom_eigenvectors(solver, use_factor):
    A = _lle_factor()
    M = (A.T @ A).tocsr()
    values, vectors = _reference(M, 3)
    factor = A if use_factor else None
    found, total = null_space(
        M, 3, eigen_solver=solver, random_state=0, factor=factor, tol=0
    )
    assert found.shape == (600, 3)
    assert _subspace_distance(found, vectors) < 1e-4
    np.testing.assert_allclose(total, values.sum(), rtol=1e-4)


def test_shift_invert_from_the_factor_alone():
    A = _lle_factor()
    M = (A.T @ A).tocsr()
    with_matrix, _ = null_space(M, 2, eigen_solver="shift_invert", factor=A)
    factor_only, _ = null_space(None, 2, eigen_solver="shift_invert", factor=A)
    np.testing.assert_allclose(np.abs(with_matrix), np.abs(factor_only), atol=1e-8)


def test_same_random_state_gives_identical_results_and_signs_are_fixed():
    A = _lle_factor()
    M = (A.T @ A).tocsr()
    first, _ = null_space(M, 2, eigen_solver="shift_invert", factor=A, random_state=3)
    second, _ = null_space(M, 2, eigen_solver="shift_invert", factor=A, random_state=3)
    np.testing.assert_array_equal(first, second)
    rows = np.argmax(np.abs(first), axis=0)
    assert np.all(first[rows, [0, 1]] > 0)
    np.testing.assert_array_equal(fix_signs(-first), first)


def test_arpack_failure_has_sklearn_message(monkeypatch):
    from scipy.sparse.linalg import ArpackNoConvergence

    import skmanifold_attn.manifold._eigen as module

    def failing_eigsh(M, k, **kwargs):
        raise ArpackNoConvergence("No convergence", np.empty(0), np.empty((0, 0)))

    monkeypatch.setattr(module, "eigsh", failing_eigsh)
    M = (_lle_factor().T @ _lle_factor()).tocsr()
    with pytest.raises(ValueError, match="Error in determining null-space with ARPACK"):
        null_space(M, 2, eigen_solver="arpack")


def _path_laplacian(n):
    """Laplacian of a path graph: integer entries, so exactly singular in floats."""
    main = np.full(n, 2.0)
    main[[0, -1]] = 1.0
    return sp.diags([-np.ones(n - 1), main, -np.ones(n - 1)], [-1, 0, 1]).tocsr()


def test_arpack_survives_an_exactly_singular_lu():
    # Whether the LU of a singular M meets an exact zero pivot depends on
    # rounding; this M (integer entries) meets it on every CPU.
    from scipy.sparse.linalg import splu

    M = _path_laplacian(40)
    with pytest.raises(RuntimeError, match="singular"):
        splu(M.tocsc())
    vectors, total = null_space(M, 3, eigen_solver="arpack", tol=0, random_state=0)
    expected, expected_total = null_space(M, 3, eigen_solver="dense")
    # Path eigenvectors are (anti)symmetric: compare up to sign.
    vectors = vectors * np.sign(np.sum(vectors * expected, axis=0))
    np.testing.assert_allclose(vectors, expected, atol=1e-8)
    assert total == pytest.approx(expected_total, rel=1e-8)


def test_arpack_lle_fits_where_sklearn_does():
    # The case that failed on one AMD CPU: the same data fit with sklearn's
    # class in the same process; ours must succeed too, and agree with it
    # whenever sklearn succeeds.
    from sklearn.manifold import LocallyLinearEmbedding as SklearnLLE

    from skmanifold_attn.manifold import LocallyLinearEmbedding

    X = np.random.RandomState(0).uniform(size=(10, 3))
    params = dict(n_neighbors=6, eigen_solver="arpack", random_state=0)
    ours = LocallyLinearEmbedding(**params).fit(X).embedding_
    assert np.all(np.isfinite(ours))
    try:
        reference = SklearnLLE(**params).fit(X).embedding_
    except ValueError:
        return  # sklearn met the exact zero pivot on this CPU
    np.testing.assert_allclose(fix_signs(reference), ours, atol=1e-6)


def test_residual_check_rejects_unconverged_result(monkeypatch):
    import skmanifold_attn.manifold._eigen as module

    A = _lle_factor()
    M = (A.T @ A).tocsr()

    def inaccurate_eigsh(M, k, **kwargs):
        vectors = np.linalg.qr(np.random.RandomState(0).normal(size=(M.shape[0], k)))
        return np.arange(k) * 1e-6, vectors[0]

    monkeypatch.setattr(module, "eigsh", inaccurate_eigsh)
    with pytest.raises(ValueError, match="did not converge: eigen-residual"):
        null_space(M, 3, eigen_solver="shift_invert")


def test_unknown_solver():
    with pytest.raises(ValueError, match="Unrecognized eigen_solver 'nope'"):
        null_space(sp.identity(5), 1, eigen_solver="nope")


def test_nested_dissection_ordering_gives_the_same_eigenvectors(monkeypatch):
    import skmanifold_attn.manifold._eigen as module

    rng = np.random.RandomState(0)
    t = rng.uniform(0, 3 * np.pi, 1500)
    X = np.c_[t * np.cos(t), rng.uniform(0, 10, 1500), t * np.sin(t)]
    A = sp.identity(1500, format="csr") - barycenter_kneighbors_graph(X, 10)
    M = (A.T @ A).tocsr()
    colamd, _ = null_space(M, 2, eigen_solver="shift_invert", factor=A)
    colamd_m, _ = null_space(M, 2, eigen_solver="shift_invert")
    monkeypatch.setattr(module, "ORDERING_MIN_ROWS", 100)
    for factor, reference in [(A, colamd), (None, colamd_m)]:
        ordered, _ = null_space(
            M, 2, eigen_solver="shift_invert", factor=factor, points=X
        )
        np.testing.assert_allclose(ordered, reference, atol=1e-6)


def _gaussian_factor(n=800, n_features=20, n_neighbors=15):
    X = np.random.RandomState(0).standard_normal((n, n_features))
    A = sp.identity(n, format="csr") - barycenter_kneighbors_graph(X, n_neighbors)
    return X, A, (A.T @ A).tocsr()


def test_auto_is_accurate_on_wide_gaussian_data_through_the_ordered_path(
    monkeypatch,
):
    # 20-D Gaussian data far from any low-dimensional manifold: M's bottom
    # eigenvalues are clustered and I - W is far from diagonal dominance
    # (at 6000 rows the nearly unpivoted LU used to fail the residual check).
    import skmanifold_attn.manifold._eigen as module

    X, A, M = _gaussian_factor()
    monkeypatch.setattr(module, "ORDERING_MIN_ROWS", 100)
    values, _ = _reference(M, 6)
    found, total = null_space(
        M, 6, eigen_solver="auto", factor=A, points=X, random_state=0
    )
    products = M @ found
    residual = np.linalg.norm(products - found * np.sum(found * products, 0), axis=0)
    assert residual.max() < 1e-7 * M.diagonal().mean()
    np.testing.assert_allclose(total, values.sum(), rtol=1e-6)


def test_an_inaccurate_first_pass_is_solved_again(monkeypatch):
    import skmanifold_attn.manifold._eigen as module

    X, A, M = _gaussian_factor()
    values, vectors = _reference(M, 4)
    real_eigsh = module.eigsh
    calls = []

    def first_pass_inaccurate(*args, **kwargs):
        found_values, found = real_eigsh(*args, **kwargs)
        calls.append(kwargs.get("ncv"))
        if len(calls) == 1:
            noise = np.random.RandomState(0).standard_normal(found.shape)
            found = np.linalg.qr(found + 1e-3 * noise)[0]
        return found_values, found

    monkeypatch.setattr(module, "eigsh", first_pass_inaccurate)
    found, total = null_space(M, 4, eigen_solver="shift_invert", factor=A)
    assert len(calls) == 2 and calls[1] is None  # the retry, default basis
    np.testing.assert_allclose(total, values.sum(), rtol=1e-6)
    assert _subspace_distance(found, vectors) < 1e-4


def test_refined_solves_recover_the_digits_of_a_poor_lu():
    from scipy.sparse.linalg import splu

    from skmanifold_attn.manifold._eigen import _refined_solver

    rng = np.random.RandomState(0)
    # Small pivots on the diagonal: an unpivoted LU loses digits.
    dense = rng.standard_normal((200, 200)) + np.diag(1e-6 * rng.uniform(1, 2, 200))
    target = sp.csc_matrix(dense)
    lu = splu(target, permc_spec="NATURAL", diag_pivot_thresh=0.0)
    b = rng.standard_normal(200)
    # Judged against a partially pivoted dense solve on the same machine: the
    # residual floor depends on the CPU's BLAS kernels, the ratios do not.
    pivoted = np.linalg.norm(dense @ np.linalg.solve(dense, b) - b)
    plain = np.linalg.norm(target @ lu.solve(b) - b)
    assert plain > 30 * pivoted  # the premise: the unpivoted LU lost digits
    refined = _refined_solver(lu, target.tocsr)
    for trans, matrix in (("N", target), ("T", target.T)):
        error = np.linalg.norm(matrix @ refined(b, trans=trans) - b)
        assert error <= 3 * pivoted


@pytest.mark.parametrize("n, mentions_dense", [(300, True), (6000, False)])
def test_failure_advice_names_dense_only_where_affordable(n, mentions_dense):
    from skmanifold_attn.manifold._eigen import _advice

    assert ("eigen_solver='dense'" in _advice(n)) == mentions_dense
