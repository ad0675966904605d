"""NPE and LPP in pipelines: the digits evidence and model selection."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline

from skmanifold_attn import (
    LocalityPreservingProjections,
    NeighborhoodPreservingEmbedding,
)

# 5-fold accuracy at 5 dimensions of a reference implementation (issue 6).
REFERENCE_ACCURACY = {"PCA": 0.884, "LPP": 0.899, "NPE": 0.876}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_digits_accuracy_at_five_dimensions_no_worse_than_reference():
    X, y = load_digits(return_X_y=True)
    pipelines = {
        "PCA": make_pipeline(PCA(n_components=5), KNeighborsClassifier()),
        "LPP": make_pipeline(
            PCA(n_components=30),
            LocalityPreservingProjections(n_components=5),
            KNeighborsClassifier(),
        ),
        "NPE": make_pipeline(
            PCA(n_components=30),
            NeighborhoodPreservingEmbedding(n_components=5),
            KNeighborsClassifier(),
        ),
    }
    for name, pipeline in pipelines.items():
        accuracy = cross_val_score(pipeline, X, y, cv=5).mean()
        # The table rounds to three decimals.
        assert accuracy >= REFERENCE_ACCURACY[name] - 5e-4, (name, accuracy)


@pytest.mark.slow
@pytest.mark.parametrize(
    "estimator", [LocalityPreservingProjections(), NeighborhoodPreservingEmbedding()]
)
def test_grid_search_over_components_and_neighbours(estimator):
    X, y = load_digits(n_class=5, return_X_y=True)
    pipeline = make_pipeline(PCA(n_components=20), estimator, KNeighborsClassifier())
    name = type(estimator).__name__.lower()
    grid = {f"{name}__n_components": [2, 6], f"{name}__n_neighbors": [5, 10]}
    search = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    assert search.best_params_[f"{name}__n_components"] == 6
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.9


@pytest.mark.parametrize(
    "estimator", [LocalityPreservingProjections(), NeighborhoodPreservingEmbedding()]
)
def test_fitted_model_ignores_later_n_components(estimator):
    # After fit, output width is fitted state (components_), not the param.
    X = np.random.RandomState(0).normal(size=(60, 6))
    fitted = estimator.set_params(n_components=2).fit(X)
    fitted.set_params(n_components=4)
    assert fitted.transform(X).shape == (60, 2)
    assert len(fitted.get_feature_names_out()) == 2


@pytest.mark.slow
@pytest.mark.parametrize(
    "estimator_class",
    [LocalityPreservingProjections, NeighborhoodPreservingEmbedding],
)
def test_demo_grid_connects_every_digits_fold(estimator_class):
    # The demo prints its table: no "Graph is not fully connected" in it.
    from skmanifold_attn._demo import DEMO_CASES, _load_data

    (case,) = [c for c in DEMO_CASES if c.estimator_class is estimator_class]
    X_train, _, y_train, _ = _load_data(0)
    search = GridSearchCV(case.make_pipeline(0), case.param_grid, cv=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        search.fit(X_train, y_train)


# --- Wide data (the dual form) and mixed feature scales --------------------


def _primal_solution(model, X):
    """The d x d generalised problem on the raw centred data, as a reference."""
    from skmanifold_attn.manifold._eigen_generalized import generalized_bottom_eigh
    from skmanifold_attn.manifold._local_weights import barycenter_kneighbors_graph
    from skmanifold_attn.manifold._projection_forms import lpp_matrices, npe_matrices

    centred = X - X.mean(axis=0)
    if isinstance(model, NeighborhoodPreservingEmbedding):
        W = barycenter_kneighbors_graph(X, model.n_neighbors, reg=model.reg)
        forms = npe_matrices(centred, W)
    else:
        forms = lpp_matrices(centred, model.affinity_matrix_)
    vectors, values, _ = generalized_bottom_eigh(*forms, model.n_components)
    return vectors, values


@pytest.mark.parametrize(
    "estimator", [NeighborhoodPreservingEmbedding, LocalityPreservingProjections]
)
def test_wide_data_dual_form_matches_the_primal_problem(estimator):
    X = np.random.RandomState(0).normal(size=(40, 70))
    model = estimator(n_neighbors=8, n_components=3).fit(X)
    vectors, values = _primal_solution(model, X)
    np.testing.assert_allclose(model.eigenvalues_, values, rtol=1e-6)
    # The same projections of the training rows, up to each axis' sign.
    ours = model.transform(X)
    reference = (X - X.mean(axis=0)) @ vectors
    reference *= np.sign(np.sum(reference * ours, axis=0))
    np.testing.assert_allclose(ours, reference, atol=1e-6 * np.abs(reference).max())


@pytest.mark.parametrize(
    "estimator", [NeighborhoodPreservingEmbedding, LocalityPreservingProjections]
)
def test_wide_data_costs_what_the_rows_cost(estimator):
    # 50 x 10,000 once took minutes and 4.9 GB (d x d forms, a d^3 solve);
    # in the dual form nothing is d x d: the peak stays a few copies of X.
    import tracemalloc

    X = np.random.RandomState(0).normal(size=(50, 10_000))
    tracemalloc.start()
    try:
        model = estimator(n_components=2).fit(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * X.nbytes  # a 10,000 x 10,000 form alone is 200 X
    assert model.components_.shape == (2, 10_000)
    Y = model.transform(X)
    assert np.all(np.isfinite(Y)) and np.linalg.matrix_rank(Y) == 2


@pytest.mark.parametrize(
    "estimator", [NeighborhoodPreservingEmbedding, LocalityPreservingProjections]
)
def test_mixed_feature_scales_are_not_rank_deficient(estimator):
    # One column in the millions, the others in thousandths: five real
    # dimensions, once refused as spanning one.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 5))
    X[:, 0] *= 1e6
    X[:, 1:] *= 1e-3
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Graph is not fully connected")
        warnings.simplefilter("error")  # and no dropped direction
        model = estimator(n_neighbors=10, n_components=5).fit(X)
    Y = model.transform(X)
    assert np.all(np.isfinite(Y))
    assert np.linalg.matrix_rank(Y) == 5


def _faint_data(wide, faint):
    """Data with one direction of relative variance near 1e-11 (or none)."""
    rng = np.random.RandomState(0)
    if wide:
        # 80 features spanning 10 dimensions, 60 rows: the dual form.
        X = rng.normal(size=(60, 10)) @ rng.normal(size=(10, 80))
        spread = 3e-5 * np.abs(X[:, -1]).mean()
    else:
        X = rng.normal(size=(60, 6))
        X[:, -1] = X[:, 0]
        spread = 3e-6
    X[:, -1] += faint * spread * rng.normal(size=60)
    return X


@pytest.mark.parametrize("wide", [False, True])  # primal and dual forms
@pytest.mark.parametrize(
    "estimator", [NeighborhoodPreservingEmbedding, LocalityPreservingProjections]
)
def test_a_faint_direction_is_dropped_with_a_warning(estimator, wide):
    X = _faint_data(wide, faint=True)
    with pytest.warns(UserWarning, match=r"1 direction\(s\) .* left out"):
        model = estimator(n_neighbors=10, n_components=3).fit(X)
    assert np.all(np.isfinite(model.transform(X)))
    # An exact linear dependence is no direction at all: dropped silently.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        estimator(n_neighbors=10, n_components=3).fit(_faint_data(wide, faint=False))


@pytest.mark.parametrize(
    "estimator", [NeighborhoodPreservingEmbedding, LocalityPreservingProjections]
)
def test_tiny_data_project_as_their_rescaled_copy(estimator):
    # Scaled by 1e-300, variances and squared distances underflow: once
    # refused as spanning 0 dimensions. The projection is scale-equivariant.
    rng = np.random.RandomState(0)
    X = 1.0 + rng.uniform(size=(300, 3))
    new = 1.0 + rng.uniform(size=(20, 3))
    reference = estimator(n_neighbors=10).fit(X)
    for factor in (2.0**-1000, 1e-300):
        model = estimator(n_neighbors=10).fit(X * factor)
        np.testing.assert_allclose(
            model.transform(new * factor), reference.transform(new), atol=1e-10
        )
