"""LocallyLinearEmbedding against scikit-learn's, and what it adds."""

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from sklearn import manifold as sk_manifold
from sklearn.datasets import load_digits, make_s_curve, make_swiss_roll
from sklearn.neighbors import NearestNeighbors

import skmanifold_attn.manifold._eigen as eigen_module
from skmanifold_attn import LocallyLinearEmbedding, locally_linear_embedding

METHODS = ["standard", "modified", "hessian", "ltsa"]


def _dataset(name):
    if name == "swiss_roll":
        return make_swiss_roll(800, random_state=0)[0]
    if name == "s_curve":
        return make_s_curve(800, random_state=0)[0]
    X = load_digits().data[:600]
    return X / 16.0


def _procrustes_residual(Y, reference):
    R, _ = orthogonal_procrustes(Y, reference)
    return np.linalg.norm(Y @ R - reference) / np.linalg.norm(reference)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dataset", ["swiss_roll", "s_curve", "digits"])
def test_embedding_matches_sklearn(dataset, method):
    X = _dataset(dataset)
    params = dict(n_neighbors=12, n_components=2, method=method, random_state=0)
    reference = sk_manifold.LocallyLinearEmbedding(eigen_solver="dense", **params)
    Y_ref = reference.fit_transform(X)
    # Digits (integer pixels) have exactly tied distances, which scikit-learn's
    # brute force breaks in no fixed order and our 'auto' by lower index: the
    # same neighbours need the same search.
    search = {"neighbors_algorithm": "brute"} if dataset == "digits" else {}
    for solver in ["auto", "arpack", "dense"]:
        ours = LocallyLinearEmbedding(eigen_solver=solver, **params, **search)
        Y = ours.fit_transform(X)
        residual = _procrustes_residual(Y, Y_ref)
        assert residual < 1e-3, (solver, residual)
        np.testing.assert_allclose(
            ours.reconstruction_error_, reference.reconstruction_error_, rtol=1e-2
        )


def test_function_form_matches_estimator_and_accepts_fitted_index():
    X = _dataset("s_curve")
    est = LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit(X)
    Y, error = locally_linear_embedding(
        X, n_neighbors=10, n_components=2, random_state=0
    )
    np.testing.assert_array_equal(Y, est.embedding_)
    assert error == est.reconstruction_error_
    index = NearestNeighbors(n_neighbors=3).fit(X)
    Y_index, _ = locally_linear_embedding(
        index, n_neighbors=10, n_components=2, random_state=0
    )
    np.testing.assert_array_equal(Y, Y_index)


def test_transform_new_points_matches_sklearn_and_training_rows_exact():
    X = make_swiss_roll(1200, random_state=1)[0]
    X_train, X_new = X[:1000], X[1000:]
    params = dict(n_neighbors=12, random_state=0)
    ours = LocallyLinearEmbedding(**params).fit(X_train)
    reference = sk_manifold.LocallyLinearEmbedding(eigen_solver="dense", **params)
    reference.fit(X_train)
    R, _ = orthogonal_procrustes(ours.embedding_, reference.embedding_)
    np.testing.assert_allclose(
        ours.transform(X_new) @ R, reference.transform(X_new), atol=1e-4
    )
    # sklearn's transform blurs the training rows (its issue #29792); ours
    # gives them back exactly.
    np.testing.assert_array_equal(ours.transform(X_train), ours.embedding_)
    np.testing.assert_array_equal(ours.transform(X_train[::7]), ours.embedding_[::7])


def test_inverse_transform_round_trip():
    X = make_swiss_roll(2200, noise=0.0, random_state=0)[0]
    X_train, X_test = X[:2000], X[2000:]
    est = LocallyLinearEmbedding(n_neighbors=12, random_state=0).fit(X_train)
    np.testing.assert_array_equal(est.inverse_transform(est.embedding_), X_train)
    X_back = est.inverse_transform(est.transform(X_test))
    errors = np.linalg.norm(X_back - X_test, axis=1)
    spacing = np.median(est.nbrs_.kneighbors(X_test, 1)[0])
    # Held-out points come back within a few neighbour spacings (the swiss
    # roll spans about 30 units; the spacing is about 0.5).
    print(f"round-trip error: median {np.median(errors):.3f}, spacing {spacing:.3f}")
    assert np.median(errors) < 3 * spacing
    assert np.median(errors) < 0.05 * np.ptp(X_train, axis=0).max()
    with pytest.raises(ValueError, match="expects 2"):
        est.inverse_transform(np.zeros((3, 3)))


def test_deterministic_and_independent_of_n_jobs():
    X = make_swiss_roll(3000, random_state=0)[0]
    first = LocallyLinearEmbedding(n_neighbors=10, random_state=5).fit_transform(X)
    second = LocallyLinearEmbedding(n_neighbors=10, random_state=5).fit_transform(X)
    parallel = LocallyLinearEmbedding(
        n_neighbors=10, random_state=5, n_jobs=2
    ).fit_transform(X)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, parallel)
    rows = np.argmax(np.abs(first), axis=0)
    assert np.all(first[rows, [0, 1]] > 0)


def test_float32_is_computed_in_float64():
    X = make_s_curve(500, random_state=0)[0]
    est = LocallyLinearEmbedding(n_neighbors=10, random_state=0)
    Y32 = est.fit_transform(X.astype(np.float32))
    assert Y32.dtype == np.float64
    assert est.transform(X[:5].astype(np.float32)).dtype == np.float64
    Y64 = LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit_transform(
        X.astype(np.float32).astype(np.float64)
    )
    np.testing.assert_array_equal(Y32, Y64)
    assert est.__sklearn_tags__().transformer_tags.preserves_dtype == ["float64"]


def test_auto_never_solves_densely_at_scale(monkeypatch):
    def no_dense(*args, **kwargs):
        raise AssertionError("dense solve")

    monkeypatch.setattr(eigen_module, "_dense", no_dense)
    X = make_swiss_roll(1500, random_state=0)[0]
    # scikit-learn's 'auto' goes dense here (n_components + 1 >= 10).
    Y = LocallyLinearEmbedding(
        n_neighbors=12, n_components=3, random_state=0
    ).fit_transform(np.c_[X, X[:, :1] ** 2])
    assert Y.shape == (1500, 3)
    X9 = np.random.RandomState(0).normal(size=(400, 10))
    Y9 = LocallyLinearEmbedding(
        n_neighbors=15, n_components=9, random_state=0
    ).fit_transform(X9)
    assert Y9.shape == (400, 9) and np.all(np.isfinite(Y9))


@pytest.mark.parametrize(
    "params, n_samples, n_features, message",
    [
        (
            dict(n_neighbors=20),
            20,
            3,
            "Expected n_neighbors < n_samples, but n_samples = 20, n_neighbors = 20",
        ),
        (
            dict(n_neighbors=5, n_components=4),
            50,
            3,
            "output dimension must be less than or equal to input dimension",
        ),
        (
            dict(n_neighbors=5, method="hessian"),
            50,
            3,
            r"for method='hessian', n_neighbors must be greater than "
            r"\[n_components \* \(n_components \+ 3\) / 2\]",
        ),
        (
            dict(n_neighbors=3, n_components=5, method="modified"),
            50,
            6,
            "modified LLE requires n_neighbors >= n_components",
        ),
    ],
)
def test_parameter_errors_as_sklearn(params, n_samples, n_features, message):
    X = np.random.RandomState(0).normal(size=(n_samples, n_features))
    for estimator in (
        LocallyLinearEmbedding(**params),
        sk_manifold.LocallyLinearEmbedding(**params),
    ):
        with pytest.raises(ValueError, match=message):
            estimator.fit(X)


@pytest.mark.parametrize(
    "params, n_features, numbers",
    [
        (dict(n_neighbors=5, n_components=4), 3, ["n_components=4", "n_features=3"]),
        (dict(n_neighbors=5, method="hessian"), 3, ["= 5 ", "n_neighbors=5", ">= 6"]),
        (
            dict(n_neighbors=9, n_components=3, method="hessian"),
            4,
            ["= 9 ", "n_components=3", "n_neighbors=9", ">= 10"],
        ),
        (
            dict(n_neighbors=3, n_components=5, method="modified"),
            6,
            ["n_neighbors=3", "n_components=5"],
        ),
    ],
)
def test_parameter_errors_give_the_numbers(params, n_features, numbers):
    # Beyond scikit-learn's wording (kept, above), the values that fail.
    X = np.random.RandomState(0).normal(size=(50, n_features))
    with pytest.raises(ValueError) as excinfo:
        LocallyLinearEmbedding(**params).fit(X)
    for number in numbers:
        assert number in str(excinfo.value)


def test_function_form_refuses_sparse_input():
    import scipy.sparse as sp

    X = sp.csr_matrix(make_swiss_roll(100, random_state=0)[0])
    with pytest.raises(TypeError, match="must be an array-like"):
        locally_linear_embedding(X, n_neighbors=5, n_components=2)
    index = NearestNeighbors().fit(X)  # an index may hold sparse data
    with pytest.raises(TypeError, match="dense data is required"):
        locally_linear_embedding(index, n_neighbors=5, n_components=2)


@pytest.mark.parametrize("n_samples", [60, 6000])
def test_huge_values_are_fitted_as_rescaled(n_samples):
    # scikit-learn fits data near 1e150 as they are; ours divides them by a
    # power of two (exact), so 1e200 works too: the same neighbours and
    # weights as the data divided by 1e200 (up to that division's rounding).
    X = make_swiss_roll(n_samples, random_state=0)[0]
    huge = X * 1e200
    est = LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit(huge)
    plain = LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit(X)
    np.testing.assert_allclose(
        est.reconstruction_error_, plain.reconstruction_error_, rtol=1e-6
    )
    assert _procrustes_residual(est.embedding_, plain.embedding_) < 1e-6
    new = X[:20] + 0.01
    assert _procrustes_residual(est.transform(new * 1e200), plain.transform(new)) < 1e-6
    np.testing.assert_allclose(
        est.inverse_transform(est.embedding_[:5]),
        1e200 * plain.inverse_transform(plain.embedding_[:5]),
        rtol=1e-5,
    )
    # New rows far beyond the fitted scale still give a clear error.
    small = LocallyLinearEmbedding(n_neighbors=10).fit(X)
    with pytest.raises(ValueError, match="too large"):
        small.transform(huge)


def test_duplicates_and_constant_features_are_regularised():
    rng = np.random.RandomState(0)
    X = make_swiss_roll(600, random_state=0)[0]
    X = np.r_[X, X[:100]]  # 100 exact duplicates
    X = np.c_[X, np.full(len(X), 3.0)]  # a constant feature
    rng.shuffle(X)
    for method in METHODS:
        with pytest.warns(UserWarning, match=r"100 row\(s\) identical"):
            Y = LocallyLinearEmbedding(
                n_neighbors=12, method=method, random_state=0
            ).fit_transform(X)
        assert np.all(np.isfinite(Y))
        assert np.std(Y, axis=0).min() > 1e-3


def test_arpack_failure_keeps_sklearn_message():
    with pytest.raises(ValueError, match="Error in determining null-space with ARPACK"):
        locally_linear_embedding(
            np.ones((200, 3)), n_neighbors=2, n_components=1, eigen_solver="arpack"
        )


def test_unconverged_auto_solve_raises(monkeypatch):
    def no_convergence(*args, **kwargs):
        raise RuntimeError("ARPACK error -1: No convergence")

    monkeypatch.setattr(eigen_module, "eigsh", no_convergence)
    X = make_swiss_roll(400, random_state=0)[0]
    # Small problems fall back to the dense solve ...
    Y = LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit_transform(X)
    Y_dense = LocallyLinearEmbedding(
        n_neighbors=10, eigen_solver="dense"
    ).fit_transform(X)
    np.testing.assert_allclose(np.abs(Y), np.abs(Y_dense), atol=1e-8)
    # ... larger ones say the solve did not converge.
    monkeypatch.setattr(eigen_module, "AUTO_DENSE_FALLBACK_ROWS", 300)
    with pytest.raises(ValueError, match="did not converge"):
        LocallyLinearEmbedding(n_neighbors=10).fit(X)
    with pytest.raises(ValueError, match="did not converge"):
        LocallyLinearEmbedding(n_neighbors=10, eigen_solver="shift_invert").fit(X)


def test_feature_names_out():
    X = make_swiss_roll(100, random_state=0)[0]
    est = LocallyLinearEmbedding(n_components=2).fit(X)
    assert list(est.get_feature_names_out()) == [
        "locallylinearembedding0",
        "locallylinearembedding1",
    ]


@pytest.mark.parametrize("method", METHODS)
def test_transform_of_duplicated_training_rows(method):
    # 300 rows + 100 exact duplicates: transform(X_train) once differed from
    # embedding_ by up to 9.8e-5 (standard) and 6.7e-4 (hessian, ltsa).
    rng = np.random.RandomState(0)
    base = rng.uniform(size=(300, 3))
    X = np.r_[base, base[rng.choice(300, 100, replace=False)]]
    with pytest.warns(UserWarning, match=r"100 row\(s\) identical"):
        model = LocallyLinearEmbedding(
            n_neighbors=12, method=method, random_state=0
        ).fit(X)
    Y = model.transform(X)
    _, group = np.unique(X, axis=0, return_inverse=True)
    group = group.ravel()
    single = np.bincount(group)[group] == 1
    # Rows without a duplicate: exactly their embedding.
    np.testing.assert_array_equal(Y[single], model.embedding_[single])
    # Duplicated rows: one output per group, the mean of its embeddings.
    for g in np.unique(group[~single]):
        rows = np.flatnonzero(group == g)
        np.testing.assert_array_equal(Y[rows[1:]], Y[rows[:1]].repeat(rows.size - 1, 0))
        np.testing.assert_allclose(
            Y[rows[0]], model.embedding_[rows].mean(axis=0), rtol=0, atol=1e-15
        )


def test_tiny_data_embed_as_their_rescaled_copy():
    # Data scaled by 1e-300 once gave silent garbage: squared distances
    # underflow. The embedding does not depend on a common scale.
    rng = np.random.RandomState(0)
    X = 1.0 + rng.uniform(size=(300, 3))
    new = 1.0 + rng.uniform(size=(40, 3))
    reference = LocallyLinearEmbedding(n_neighbors=10, random_state=0).fit(X)
    for factor in (2.0**-1000, 1e-300):
        model = LocallyLinearEmbedding(n_neighbors=10, random_state=0)
        Y = model.fit_transform(X * factor)
        np.testing.assert_allclose(Y, reference.embedding_, atol=1e-8)
        np.testing.assert_allclose(
            model.transform(new * factor), reference.transform(new), atol=1e-8
        )
        np.testing.assert_array_equal(model.transform(X * factor), Y)
        back = model.inverse_transform(Y[:20])
        np.testing.assert_allclose(back, X[:20] * factor, rtol=1e-10)
    # The function form too.
    Y, _ = locally_linear_embedding(
        X * 1e-300, n_neighbors=10, n_components=2, random_state=0
    )
    np.testing.assert_allclose(Y, reference.embedding_, atol=1e-8)


def test_identical_rows_warn():
    with pytest.warns(UserWarning, match=r"119 row\(s\) identical"):
        LocallyLinearEmbedding(n_neighbors=5).fit(np.ones((120, 3)))
