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
    ours = LaplacianEigenmaps(n_components=4, n_neighbors=12, random_state=0)
    reference = SpectralEmbedding(n_components=4, n_neighbors=12, random_state=0)
    _assert_equal_up_to_sign_and_scale(
        ours.fit_transform(digits), reference.fit_transform(digits)
    )
    assert abs(ours.affinity_matrix_ - reference.affinity_matrix_).max() == 0


def test_default_neighbours_as_sklearn(digits):
    ours = LaplacianEigenmaps(random_state=0).fit(digits)
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
    np.testing.assert_allclose(
        model.transform(queries), model.embedding_[order], rtol=1e-10, atol=1e-13
    )
    np.testing.assert_array_equal(passed, affinity[order])  # input untouched
    np.testing.assert_array_equal(fitted, affinity)


def test_precomputed_nearest_neighbors_match_feature_input(swiss_roll):
    direct = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(swiss_roll)
    distances = pairwise_distances(swiss_roll)
    pre = LaplacianEigenmaps(
        affinity="precomputed_nearest_neighbors", n_neighbors=10, random_state=0
    ).fit(distances)
    _assert_equal_up_to_sign_and_scale(pre.embedding_, direct.embedding_)
    np.testing.assert_allclose(
        pre.transform(distances[:50]), pre.embedding_[:50], atol=1e-12
    )


@pytest.mark.parametrize(
    "params", [{"n_neighbors": 10}, {"affinity": "rbf", "gamma": 0.05}]
)
def test_transform_reproduces_training_embedding(swiss_roll, digits, params):
    for X in (swiss_roll, digits):
        if "gamma" in params and X is digits:
            continue
        model = LaplacianEigenmaps(n_components=3, random_state=0, **params).fit(X)
        np.testing.assert_allclose(
            model.transform(X), model.embedding_, rtol=1e-8, atol=1e-12
        )


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
