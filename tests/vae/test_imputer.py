"""VAEImputer: the imputer API, tables in and out, and imputation quality."""

import warnings

import numpy as np
import pandas as pd
import pytest
from _vae_fidelity import (
    imputation_errors,
    load_penguins_table,
    make_mixed_table,
    remove_cells,
    sklearn_imputations,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmanifold_attn import VAEImputer

SMALL = {"hidden_layer_sizes": (16,), "max_iter": 20, "n_draws": 10, "random_state": 0}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def penguins():
    return load_penguins_table()


def _numeric(seed=0, n=120):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 1))
    X = np.hstack([z, 2 * z, -z, z**2]) + 0.1 * rng.normal(size=(n, 4))
    X[rng.uniform(size=X.shape) < 0.2] = np.nan
    return X


def test_frame_in_frame_out_with_categories(penguins):
    holed, mask = remove_cells(penguins, 0.2, random_state=1)
    before = holed.copy()
    out = VAEImputer(**SMALL).fit(holed).transform(holed)
    pd.testing.assert_frame_equal(holed, before)  # X is not modified
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(penguins.columns)
    assert not out.isna().any().any()
    for name in ("species", "island", "sex"):
        assert out[name].dtype == penguins[name].dtype  # same categories, order
    observed = ~mask
    for j, name in enumerate(penguins.columns):
        kept = observed[:, j]
        np.testing.assert_array_equal(
            out[name].to_numpy()[kept], holed[name].to_numpy()[kept]
        )


def test_numeric_array_gives_float_array_and_observed_cells_unchanged():
    X = _numeric()
    out = VAEImputer(**SMALL).fit_transform(X)
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(out[observed], X[observed])
    assert np.isfinite(out).all()


def test_transform_is_deterministic_and_row_independent():
    X = _numeric()
    imputer = VAEImputer(**SMALL).fit(X)
    full = imputer.transform(X)
    np.testing.assert_array_equal(full, imputer.transform(X))
    np.testing.assert_allclose(full[7:9], imputer.transform(X[7:9]), rtol=1e-12)
    again = VAEImputer(**SMALL).fit(X).transform(X)
    np.testing.assert_array_equal(full, again)


def test_categorical_features_on_a_numpy_array():
    rng = np.random.RandomState(0)
    codes = rng.randint(3, size=100).astype(float)
    X = np.column_stack([codes * 2 + 0.1 * rng.normal(size=100), codes])
    X[::5, 1] = np.nan
    out = VAEImputer(categorical_features=[1], **SMALL).fit_transform(X)
    assert out.dtype == object  # categories back as the values seen at fit
    assert set(out[:, 1]) <= {0.0, 1.0, 2.0}


def test_binary_numeric_column_imputed_with_one_of_its_two_values():
    rng = np.random.RandomState(0)
    z = rng.normal(size=200)
    X = np.column_stack([z, np.where(z > 0, 5.0, 2.0), z + 0.1 * rng.normal(size=200)])
    X[::4, 1] = np.nan
    imputer = VAEImputer(**{**SMALL, "max_iter": 60}).fit(X)
    out = imputer.transform(X)
    assert set(np.unique(out[:, 1])) == {2.0, 5.0}
    # The column follows the sign of the others: most holes are right.
    right = out[::4, 1] == np.where(z[::4] > 0, 5.0, 2.0)
    assert right.mean() > 0.8


def test_missing_values_placeholder_matches_nan():
    X = _numeric()
    placeholder = np.where(np.isnan(X), -999.0, X)
    with_nan = VAEImputer(**SMALL).fit_transform(X)
    with_placeholder = VAEImputer(missing_values=-999.0, **SMALL).fit_transform(
        placeholder
    )
    np.testing.assert_array_equal(with_nan, with_placeholder)


def test_string_placeholder_in_a_frame(penguins):
    holed, _ = remove_cells(penguins, 0.1, random_state=2)
    marked = holed.copy()
    marked["sex"] = marked["sex"].astype(object).where(marked["sex"].notna(), "?")
    imputer = VAEImputer(missing_values="?", **SMALL)
    out = imputer.fit_transform(marked)
    assert set(out["sex"].astype(str)) <= {"female", "male"}


def test_add_indicator_appends_the_columns_with_holes(penguins):
    holed, mask = remove_cells(penguins, 0.2, random_state=3)
    holed["species"] = penguins["species"]  # a column without holes
    imputer = VAEImputer(add_indicator=True, **SMALL).fit(holed)
    out = imputer.transform(holed)
    names = imputer.get_feature_names_out()
    assert list(out.columns) == list(names)
    extra = [n for n in names if n.startswith("missingindicator_")]
    assert "missingindicator_species" not in extra
    assert len(extra) == penguins.shape[1] - 1
    np.testing.assert_array_equal(
        out["missingindicator_bill_depth_mm"].to_numpy(bool),
        holed["bill_depth_mm"].isna(),
    )


def test_add_indicator_on_arrays_and_set_output():
    X = _numeric()
    imputer = VAEImputer(add_indicator=True, **SMALL).set_output(transform="pandas")
    out = imputer.fit_transform(X)
    assert list(out.columns) == [
        "x0", "x1", "x2", "x3",
        "missingindicator_x0", "missingindicator_x1",
        "missingindicator_x2", "missingindicator_x3",
    ]  # fmt: skip


@pytest.mark.parametrize("keep", [False, True])
def test_empty_columns_dropped_or_kept(keep):
    X = _numeric()
    X[:, 2] = np.nan
    imputer = VAEImputer(keep_empty_features=keep, **SMALL).fit(X)
    out = imputer.transform(X)
    np.testing.assert_array_equal(imputer.valid_features_, [0, 1, 3])
    if keep:
        assert out.shape == X.shape
        np.testing.assert_array_equal(out[:, 2], 0.0)
    else:
        assert out.shape == (X.shape[0], 3)
    assert len(imputer.get_feature_names_out()) == out.shape[1]


def test_empty_categorical_column_kept_stays_missing(penguins):
    frame = penguins.copy()
    frame["sex"] = pd.Categorical([None] * len(frame), categories=["female", "male"])
    out = VAEImputer(keep_empty_features=True, **SMALL).fit_transform(frame)
    assert out["sex"].isna().all()
    assert not out.drop(columns="sex").isna().any().any()


def test_every_column_missing_is_refused():
    X = np.full((10, 3), np.nan)
    with pytest.raises(ValueError, match="at least one column with an observed"):
        VAEImputer(**SMALL).fit(X)


def test_unseen_category_is_imputed_and_one_category_column_works(penguins):
    frame = penguins.copy()
    frame["colony"] = pd.Categorical(["north"] * len(frame))  # one category
    holed, _ = remove_cells(frame, 0.2, random_state=4)
    imputer = VAEImputer(**SMALL).fit(holed)
    new = frame.head(3).copy()
    new["island"] = new["island"].astype(object)
    new.loc[0, "island"] = "Atlantis"
    out = imputer.transform(new)
    assert out.loc[0, "island"] in set(penguins["island"].cat.categories)
    assert (out["colony"] == "north").all()


def test_warm_start_refuses_a_changed_network():
    X = _numeric()
    imputer = VAEImputer(warm_start=True, **SMALL).fit(X)
    first = imputer.n_iter_
    imputer.fit(X)
    assert imputer.n_iter_ > first
    imputer.set_params(n_components=3)
    with pytest.raises(ValueError, match="n_components"):
        imputer.fit(X)


def test_polars_frame_round_trip(penguins):
    pl = pytest.importorskip("polars")
    holed, _ = remove_cells(penguins, 0.2, random_state=5)
    frame = pl.from_pandas(holed)
    out = VAEImputer(**SMALL).fit_transform(frame)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == frame.columns
    assert out.null_count().sum_horizontal().item() == 0


def test_grid_search_over_a_pipeline(penguins):
    X = penguins[["bill_length_mm", "bill_depth_mm", "flipper_length_mm"]].copy()
    y = penguins["species"].astype(str)
    X.iloc[::3, 0] = np.nan
    X.iloc[1::3, 2] = np.nan
    pipe = make_pipeline(
        VAEImputer(**SMALL), StandardScaler(), LogisticRegression(max_iter=500)
    )
    search = GridSearchCV(pipe, {"vaeimputer__n_components": [1, 2]}, cv=3)
    search.fit(X, y)
    assert search.best_params_["vaeimputer__n_components"] in (1, 2)
    assert search.best_score_ > 0.8  # three species; chance is about 0.44


def _compare(table, hole_seed):
    holed, mask = remove_cells(table, 0.2, random_state=hole_seed)
    errors = {
        name: imputation_errors(table, frame, mask)
        for name, frame in sklearn_imputations(holed).items()
    }
    imputed = VAEImputer(random_state=0).fit_transform(holed)
    errors["VAEImputer"] = imputation_errors(table, imputed, mask)
    return errors


def _check_evidence(errors, rmse_slack, accuracy_slack):
    rmse, accuracy = errors["VAEImputer"]
    simple_rmse, simple_accuracy = errors["SimpleImputer"]
    # Clearly better than column means / most frequent categories ...
    assert rmse < 0.6 * simple_rmse
    assert accuracy > simple_accuracy + 0.15
    # ... and as good as the best of the iterative and neighbour imputers.
    best_rmse = min(errors["IterativeImputer"][0], errors["KNNImputer"][0])
    best_accuracy = max(errors["IterativeImputer"][1], errors["KNNImputer"][1])
    assert rmse <= best_rmse * (1 + rmse_slack), errors
    assert accuracy >= best_accuracy - accuracy_slack, errors


def test_imputes_penguins_as_well_as_sklearn_imputers(penguins):
    # One set of holes: single runs vary by a few percent between hole
    # patterns (see the slow test for the average over five).
    _check_evidence(_compare(penguins, 0), rmse_slack=0.05, accuracy_slack=0.03)


def test_imputes_a_synthetic_mixed_table_as_well_as_sklearn_imputers():
    table = make_mixed_table(500, random_state=0)
    _check_evidence(_compare(table, 0), rmse_slack=0.05, accuracy_slack=0.03)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["penguins", "synthetic"])
def test_imputation_averaged_over_hole_patterns(which, penguins):
    table = penguins if which == "penguins" else make_mixed_table(500, random_state=0)
    runs = [_compare(table, seed) for seed in range(5)]
    mean = {
        name: tuple(np.mean([run[name][i] for run in runs]) for i in range(2))
        for name in runs[0]
    }
    _check_evidence(mean, rmse_slack=0.02, accuracy_slack=0.01)
