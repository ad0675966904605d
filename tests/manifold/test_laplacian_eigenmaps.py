"""LaplacianEigenmaps against sklearn's SpectralEmbedding, and its transform."""

import sys
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import load_digits, make_swiss_roll
from sklearn.manifold import SpectralEmbedding
from sklearn.metrics import pairwise_distances
from sklearn.metrics.pairwise import rbf_kernel

from skmanifold_attn import LaplacianEigenmaps


def _assert_equal_up_to_sign_and_scale(ours, reference, atol=1e-6):
    assert ours.shape == reference.shape
    for j in range(ours.shape[1]):
        a = ours[:, j] / np.linalg.norm(ours[:, j])
        b = reference[:, j] / np.linalg.norm(reference[:, j])
        assert min(np.abs(a - b).max(), np.abs(a + b).max()) < atol, j


@pytest.fixture(scope="module")
def swiss_roll():
    X, _ = make_swiss_roll(800, noise=0.05, random_state=0)
    return X


@pytest.fixture(scope="module")
def digits():
    X, _ = load_digits(return_X_y=True)
    return X[:600]


@pytest.mark.parametrize(
    "params",
    [
        {"n_neighbors": 10},
        {"n_neighbors": 10, "eigen_solver": "lobpcg"},
        {"affinity": "rbf", "gamma": 0.05},
    ],
)
def test_matches_sklearn_on_swiss_roll(swiss_roll, params):
    ours = LaplacianEigenmaps(n_components=3, random_state=0, **params)
    reference = SpectralEmbedding(n_components=3, random_state=0, **params)
    _assert_equal_up_to_sign_and_scale(
        ours.fit_transform(swiss_roll), reference.fit_transform(swiss_roll)
    )
    if "gamma" not in params:
        assert ours.n_neighbors_ == reference.n_neighbors_ == 10


def test_matches_sklearn_on_digits(digits):
    # Integer pixels: exactly tied distances, which scikit-learn's brute force
    # breaks in no fixed order and 'auto' by lower index; same search here.
    ours = LaplacianEigenmaps(
        n_components=4, n_neighbors=12, random_state=0, neighbors_algorithm="brute"
    )
    reference = SpectralEmbedding(n_components=4, n_neighbors=12, random_state=0)
    _assert_equal_up_to_sign_and_scale(
        ours.fit_transform(digits), reference.fit_transform(digits)
    )
    assert abs(ours.affinity_matrix_ - reference.affinity_matrix_).max() == 0


def test_default_neighbours_as_sklearn(digits):
    ours = LaplacianEigenmaps(random_state=0, neighbors_algorithm="brute").fit(digits)
    reference = SpectralEmbedding(random_state=0).fit(digits)
    assert ours.n_neighbors_ == reference.n_neighbors_ == 60
    _assert_equal_up_to_sign_and_scale(ours.embedding_, reference.embedding_)


def test_precomputed_affinities_match_feature_input(swiss_roll):
    direct = LaplacianEigenmaps(affinity="rbf", gamma=0.05, random_state=0)
    direct.fit(swiss_roll)
    affinity = rbf_kernel(swiss_roll, gamma=0.05)
    pre = LaplacianEigenmaps(affinity="precomputed", random_state=0).fit(affinity)
    np.testing.assert_allclose(pre.embedding_, direct.embedding_, atol=1e-10)
    new = swiss_roll[:5] + 0.1
    np.testing.assert_allclose(
        pre.transform(rbf_kernel(new, swiss_roll, gamma=0.05)),
        direct.transform(new),
        atol=1e-8,
    )


@pytest.mark.parametrize("sparse_fit", [False, True])
@pytest.mark.parametrize("sparse_transform", [False, True])
def test_precomputed_training_rows_get_their_embedding_back(
    swiss_roll, sparse_fit, sparse_transform
):
    # fit ignores the diagonal of the affinity matrix; so must transform,
    # or the training rows come back off by their self-affinity (~1%).
    affinity = rbf_kernel(swiss_roll[:300], gamma=0.05)
    fitted = affinity.copy()
    model = LaplacianEigenmaps(affinity="precomputed", random_state=0)
    model.fit(sp.csr_matrix(fitted) if sparse_fit else fitted)
    order = np.random.RandomState(0).permutation(300)[:120]
    passed = affinity[order]
    queries = sp.csr_matrix(passed) if sparse_transform else passed
    np.testing.assert_array_equal(model.transform(queries), model.embedding_[order])
    np.testing.assert_array_equal(passed, affinity[order])  # input untouched
    np.testing.assert_array_equal(fitted, affinity)


def test_precomputed_nearest_neighbors_match_feature_input(swiss_roll):
    direct = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(swiss_roll)
    distances = pairwise_distances(swiss_roll)
    pre = LaplacianEigenmaps(
        affinity="precomputed_nearest_neighbors", n_neighbors=10, random_state=0
    ).fit(distances)
    _assert_equal_up_to_sign_and_scale(pre.embedding_, direct.embedding_)
    np.testing.assert_array_equal(pre.transform(distances[:50]), pre.embedding_[:50])


@pytest.mark.parametrize(
    "params", [{"n_neighbors": 10}, {"affinity": "rbf", "gamma": 0.05}]
)
def test_transform_reproduces_training_embedding(swiss_roll, digits, params):
    for X in (swiss_roll, digits):
        if "gamma" in params and X is digits:
            continue
        model = LaplacianEigenmaps(n_components=3, random_state=0, **params).fit(X)
        np.testing.assert_array_equal(model.transform(X), model.embedding_)


@pytest.mark.parametrize(
    "params", [{"n_neighbors": 10}, {"affinity": "rbf", "gamma": 0.05}]
)
def test_fitted_model_ignores_later_n_components(swiss_roll, params):
    # After fit, output width is fitted state (embedding_), not the param.
    model = LaplacianEigenmaps(n_components=2, random_state=0, **params)
    model.fit(swiss_roll[:300]).set_params(n_components=3)
    np.testing.assert_allclose(
        model.transform(swiss_roll[:300]), model.embedding_, rtol=1e-8, atol=1e-12
    )
    assert len(model.get_feature_names_out()) == 2


def test_held_out_rows_land_where_a_refit_puts_them():
    X, _ = make_swiss_roll(2000, noise=0.0, random_state=1)
    rng = np.random.RandomState(0)
    held_out = rng.choice(len(X), 100, replace=False)
    train = np.setdiff1d(np.arange(len(X)), held_out)
    model = LaplacianEigenmaps(n_components=2, n_neighbors=12, random_state=0)
    model.fit(X[train])
    refit = LaplacianEigenmaps(n_components=2, n_neighbors=12, random_state=0)
    full = refit.fit_transform(X)
    # The two fits agree up to a linear map (sign and scale per axis): fit it
    # on the training rows, then compare the held-out rows through it.
    design = np.column_stack([model.embedding_, np.ones(len(train))])
    coef, *_ = np.linalg.lstsq(design, full[train], rcond=None)
    predicted = np.column_stack([model.transform(X[held_out]), np.ones(100)]) @ coef
    spread = full.std(axis=0)
    error = np.abs(predicted - full[held_out]) / spread
    assert np.median(error) < 0.02
    assert error.max() < 0.1


@pytest.mark.parametrize("solver", ["arpack", "lobpcg"])
def test_explicit_solver_runs_on_small_graphs_as_sklearn(monkeypatch, solver):
    # Not silently replaced by the dense solve (the small-n default's).
    import skmanifold_attn.manifold._laplacian_eigenmaps as module

    used = []
    solve = module.laplacian_bottom_eigenvectors

    def spy(laplacian, k, *, eigen_solver, **kwargs):
        used.append(eigen_solver)
        return solve(laplacian, k, eigen_solver=eigen_solver, **kwargs)

    monkeypatch.setattr(module, "laplacian_bottom_eigenvectors", spy)
    X, _ = make_swiss_roll(100, noise=0.05, random_state=0)
    params = dict(n_neighbors=8, eigen_solver=solver, random_state=0)
    ours = LaplacianEigenmaps(**params).fit(X)
    assert used == [solver]
    reference = SpectralEmbedding(**params).fit(X)
    _assert_equal_up_to_sign_and_scale(ours.embedding_, reference.embedding_)
    LaplacianEigenmaps(n_neighbors=8, random_state=0).fit(X)
    assert used == [solver, "dense"]


def test_disconnected_graph_warns_as_sklearn():
    rng = np.random.RandomState(0)
    X = np.vstack([rng.normal(size=(30, 2)), rng.normal(size=(30, 2)) + 100])
    with pytest.warns(UserWarning, match="Graph is not fully connected.*n_neighbors"):
        LaplacianEigenmaps(n_neighbors=5, random_state=0).fit(X)


def test_errors():
    X = np.random.RandomState(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match="n_neighbors=25 must be at most"):
        LaplacianEigenmaps(n_neighbors=25).fit(X)
    with pytest.raises(ValueError, match="n_components=20 must be less than"):
        LaplacianEigenmaps(n_components=20).fit(X)
    with pytest.raises(ValueError, match="callable affinity"):
        LaplacianEigenmaps(affinity=lambda A: rbf_kernel(A)).fit(X).transform(X)
    with pytest.raises(ValueError, match="square"):
        LaplacianEigenmaps(affinity="precomputed").fit(X)


def test_amg_needs_pyamg(swiss_roll, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyamg", None)
    with pytest.raises(ValueError, match="pyamg.*pip install"):
        LaplacianEigenmaps(eigen_solver="amg", n_neighbors=10).fit(swiss_roll)


def test_amg_matches_arpack(swiss_roll):
    pytest.importorskip("pyamg")
    amg = LaplacianEigenmaps(
        n_components=2, n_neighbors=10, eigen_solver="amg", random_state=0
    ).fit(swiss_roll)
    arpack = LaplacianEigenmaps(n_components=2, n_neighbors=10, random_state=0)
    _assert_equal_up_to_sign_and_scale(
        amg.embedding_, arpack.fit(swiss_roll).embedding_, atol=1e-4
    )


def test_deterministic(swiss_roll):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = LaplacianEigenmaps(n_neighbors=10, random_state=3).fit(swiss_roll)
    second = LaplacianEigenmaps(n_neighbors=10, random_state=3).fit(swiss_roll)
    np.testing.assert_array_equal(first.embedding_, second.embedding_)


# --- Training rows, duplicates, bad affinities and tiny scales --------------


def _with_duplicates():
    rng = np.random.RandomState(0)
    base = rng.uniform(size=(300, 3))
    return np.r_[base, base[rng.choice(300, 100, replace=False)]]


def _assert_training_rows_come_back(model, X):
    """transform(X_train) is embedding_, duplicates getting their mean."""
    _, group = np.unique(X, axis=0, return_inverse=True)
    group = group.ravel()
    counts = np.bincount(group)[group]
    Y = model.transform(X)
    single = counts == 1
    np.testing.assert_array_equal(Y[single], model.embedding_[single])
    for g in np.unique(group[~single]):
        rows = np.flatnonzero(group == g)
        np.testing.assert_array_equal(
            Y[rows], np.broadcast_to(Y[rows[0]], Y[rows].shape)
        )
        np.testing.assert_allclose(
            Y[rows[0]], model.embedding_[rows].mean(axis=0), rtol=0, atol=1e-15
        )


@pytest.mark.parametrize(
    "params", [{"n_neighbors": 10}, {"affinity": "rbf", "gamma": 5.0}]
)
def test_transform_of_duplicated_training_rows(params):
    # Once off by up to 1.07e-3 (the nearest duplicate's own Nystrom row).
    X = _with_duplicates()
    with pytest.warns(UserWarning, match=r"100 row\(s\) identical"):
        model = LaplacianEigenmaps(random_state=0, **params).fit(X)
    _assert_training_rows_come_back(model, X)


@pytest.mark.parametrize("sparse", [False, True])
def test_asymmetric_precomputed_training_rows_come_back(sparse):
    # fit symmetrises an asymmetric affinity; its rows as given are still
    # the training points (once off by 0.02).
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(200, 3))
    affinity = rbf_kernel(X, gamma=5.0) * (1 + 0.2 * rng.uniform(size=(200, 200)))
    given = sp.csr_matrix(affinity) if sparse else affinity
    with pytest.warns(UserWarning, match="not symmetric"):
        model = LaplacianEigenmaps(affinity="precomputed", random_state=0).fit(given)
    np.testing.assert_array_equal(model.transform(given), model.embedding_)
    symmetric = model.affinity_matrix_
    np.testing.assert_array_equal(model.transform(symmetric), model.embedding_)


def test_negative_affinities_are_refused_clearly():
    X = np.random.RandomState(0).uniform(size=(30, 2))
    affinity = rbf_kernel(X) - 0.5
    message = "negative entries.*non-negative similarities"
    with pytest.raises(ValueError, match=message):
        LaplacianEigenmaps(affinity="precomputed").fit(affinity)
    with pytest.raises(ValueError, match=message):
        LaplacianEigenmaps(affinity="precomputed").fit(sp.csr_matrix(affinity))
    with pytest.raises(ValueError, match=message):
        LaplacianEigenmaps(affinity=lambda X: rbf_kernel(X) - 0.5).fit(X)
    model = LaplacianEigenmaps(affinity="precomputed").fit(rbf_kernel(X))
    with pytest.raises(ValueError, match=message):
        model.transform(affinity[:3] - 1.0)


def test_tiny_and_huge_data_embed_as_their_rescaled_copy():
    # 1e-300 once gave silent garbage (transform up to 1.5e10): squared
    # distances underflow; 1e200 was refused (they overflow), where
    # scikit-learn fits up to about 1e150. kNN affinities do not depend on a
    # common scale.
    rng = np.random.RandomState(0)
    X = 1.0 + rng.uniform(size=(300, 3))
    new = 1.0 + rng.uniform(size=(40, 3))
    reference = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(X)
    for factor in (2.0**-1000, 1e-300, 1e200, 2.0**1000):
        model = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(X * factor)
        np.testing.assert_allclose(model.embedding_, reference.embedding_, atol=1e-10)
        np.testing.assert_allclose(
            model.transform(new * factor), reference.transform(new), atol=1e-10
        )
        np.testing.assert_array_equal(model.transform(X * factor), model.embedding_)


def test_identical_rows_warn():
    with pytest.warns(UserWarning, match=r"119 row\(s\) identical"):
        LaplacianEigenmaps(n_neighbors=5, random_state=0).fit(np.ones((120, 3)))
