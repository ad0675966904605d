"""VAETransformer on mixed tables: DataFrames, missing values, conditions."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skmanifold_attn import VAETransformer

FAST = dict(hidden_layer_sizes=(16,), random_state=0)


def _table(n=300, seed=0, missing=0.0):
    rng = np.random.RandomState(seed)
    a = rng.normal(size=n)
    colour = np.where(a + 0.3 * rng.normal(size=n) > 0, "red", "blue")
    frame = pd.DataFrame(
        {
            "a": a,
            "b": (2 * a + 0.5 * rng.normal(size=n)).astype(np.float32),
            "colour": pd.Categorical(colour, categories=["blue", "red", "green"]),
            "word": pd.array(
                np.where(rng.uniform(size=n) < 0.3, "x", "y"), dtype="str"
            ),
            "count": rng.randint(0, 4, size=n),
            "flag": np.where(a > 0.5, 7, 2),
        }
    )
    if missing:
        for column in ("a", "colour", "word"):
            holes = rng.uniform(size=n) < missing
            frame.loc[holes, column] = np.nan if column == "a" else None
    return frame


@pytest.fixture(scope="module")
def fitted():
    frame = _table(missing=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vae = VAETransformer(n_components=3, max_iter=150, **FAST).fit(frame)
    return vae, frame


def test_column_types_follow_the_documented_rule(fitted):
    vae, _ = fitted
    # Numeric columns of more than two values (the 4-valued count too):
    # quantile map, whose variance is in normal scores (NaN here).
    assert list(vae.column_types_) == [
        "quantile_gaussian",
        "quantile_gaussian",
        "categorical",
        "categorical",
        "quantile_gaussian",
        "bernoulli",
    ]
    assert vae.decoder_variance_ is None


def test_samples_and_inverse_transform_are_frames_of_the_fitted_dtypes(fitted):
    vae, frame = fitted
    for out in (
        vae.sample(50, random_state=0),
        vae.inverse_transform(vae.transform(frame)),
    ):
        assert isinstance(out, pd.DataFrame)
        assert list(out.columns) == list(frame.columns)
        assert out.dtypes.to_dict() == frame.dtypes.to_dict()
        assert out["colour"].cat.categories.tolist() == ["blue", "red", "green"]
        assert set(out["word"]) <= {"x", "y"}
        assert set(out["flag"]) <= {2, 7}
        assert set(out["count"]) <= set(range(-3, 8))
        assert not out.isna().any().any()


def test_polars_frames_come_back_as_polars():
    pl = pytest.importorskip("polars")
    frame = pl.from_pandas(_table(100).drop(columns=["word"]))
    vae = VAETransformer(n_components=2, max_iter=3, **FAST).fit(frame)
    out = vae.sample(5, random_state=0)
    assert isinstance(out, pl.DataFrame)
    assert out.columns == frame.columns and out.dtypes == frame.dtypes


def test_set_output_pandas_gives_frames_for_arrays():
    X = np.random.RandomState(0).normal(size=(60, 3))
    vae = VAETransformer(n_components=2, max_iter=3, **FAST).set_output(
        transform="pandas"
    )
    vae.fit(X)
    out = vae.sample(4, random_state=0)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["x0", "x1", "x2"]
    assert isinstance(vae.transform(X), pd.DataFrame)
    pl = pytest.importorskip("polars")
    frame = _table(60).drop(columns=["word"])
    vae = VAETransformer(n_components=2, max_iter=3, **FAST)
    vae.set_output(transform="polars").fit(frame)
    out = vae.sample(4, random_state=0)
    assert isinstance(out, pl.DataFrame) and out.columns == list(frame.columns)
    assert out["colour"].to_list()[0] in {"blue", "red", "green"}
    vae.set_output(transform="pandas")
    assert vae.sample(4, random_state=0).dtypes.to_dict() == frame.dtypes.to_dict()


def test_missing_cells_are_left_out(fitted):
    vae, frame = fitted
    assert frame.isna().any().any()
    Z = vae.transform(frame)
    scores = vae.score_samples(frame)
    assert np.all(np.isfinite(Z)) and np.all(np.isfinite(scores))
    # A row's score is a bound on the likelihood of its observed cells: with a
    # cell removed it changes, and it no longer depends on the removed value.
    row = frame.iloc[[0]].copy()
    row["a"] = 0.3
    other = row.copy()
    other["a"] = -5.0
    assert vae.score_samples(row)[0] != vae.score_samples(other)[0]
    row["a"] = other["a"] = np.nan
    assert vae.score_samples(row)[0] == vae.score_samples(other)[0]
    assert vae.__sklearn_tags__().input_tags.allow_nan


def test_strings_and_categories_round_trip_through_the_model(fitted):
    vae, frame = fitted
    X_model = vae._to_model_units(frame)
    back = vae._from_model_units(X_model.copy())
    observed = frame.notna()
    for column in ("colour", "word", "count", "flag"):
        kept = observed[column]
        assert (back[column][kept] == frame[column][kept]).all(), column
    np.testing.assert_allclose(back["a"][observed["a"]], frame["a"][observed["a"]])


def test_unseen_category_at_transform_counts_as_missing(fitted):
    vae, frame = fitted
    rows = frame.iloc[:3].copy()
    rows["word"] = pd.array(["x", "never seen", "y"], dtype="str")
    missing = rows.copy()
    missing.loc[1, "word"] = None
    np.testing.assert_array_equal(vae.transform(rows), vae.transform(missing))
    np.testing.assert_array_equal(vae.score_samples(rows), vae.score_samples(missing))


def test_imputation_fills_every_hole_and_keeps_the_observed_cells(fitted):
    vae, frame = fitted
    X_model = vae._to_model_units(frame)
    filled = vae._impute_model_units(X_model, n_draws=20, random_state=0)
    assert not np.isnan(filled).any()
    observed = ~np.isnan(X_model)
    np.testing.assert_array_equal(filled[observed], X_model[observed])
    again = vae._impute_model_units(X_model, n_draws=20, random_state=0)
    np.testing.assert_array_equal(filled, again)


def test_conditional_samples_hold_the_conditions_exactly(fitted):
    vae, frame = fitted
    out = vae.sample(300, random_state=0, conditions={"colour": "red", "flag": 7})
    assert (out["colour"] == "red").all() and (out["flag"] == 7).all()
    # Conditioning moves the other columns as the data do: "red" rows have
    # larger "a" than "blue" ones.
    blue = vae.sample(300, random_state=0, conditions={"colour": "blue"})
    red = vae.sample(300, random_state=0, conditions={"colour": "red"})
    assert red["a"].mean() > blue["a"].mean() + 0.5
    numeric = vae.sample(20, random_state=0, conditions={"a": 1.25})
    assert (numeric["a"] == 1.25).all()
    by_index = vae.sample(5, random_state=1, conditions={2: "blue"})
    assert (by_index["colour"] == "blue").all()
    reproducible = vae.sample(5, random_state=1, conditions={2: "blue"})
    pd.testing.assert_frame_equal(by_index, reproducible)


def test_improbable_conditions_warn_with_the_effective_sample_size(fitted):
    vae, _ = fitted
    with pytest.warns(UserWarning, match="effective sample size of"):
        out = vae.sample(10, random_state=0, conditions={"a": 40.0, "b": -80.0})
    assert (out["a"] == 40.0).all()


@pytest.mark.parametrize(
    "conditions, error, match",
    [
        ({"nope": 1}, ValueError, "not fitted on; known columns"),
        ({"colour": "purple"}, ValueError, "not a category seen at fit"),
        ({"flag": 3}, ValueError, "binary with values 2 and 7"),
        ({"a": "high"}, ValueError, "must be a finite number"),
        ({"a": np.nan}, ValueError, "must be a finite number"),
        ({7: 1.0}, ValueError, "not fitted on"),
        ({}, TypeError, "non-empty dict"),
        ([("a", 1.0)], TypeError, "non-empty dict"),
    ],
)
def test_bad_conditions_are_refused_clearly(fitted, conditions, error, match):
    vae, _ = fitted
    with pytest.raises(error, match=match):
        vae.sample(3, random_state=0, conditions=conditions)


def test_sample_zero_is_refused(fitted):
    vae, _ = fitted
    with pytest.raises(InvalidParameterError, match="'n_samples' parameter"):
        vae.sample(0, conditions={"colour": "red"})


def test_an_entirely_missing_column_is_refused():
    frame = _table(50)
    frame["a"] = np.nan
    with pytest.raises(ValueError, match=r"Columns \['a'\] have no observed value"):
        VAETransformer(max_iter=1, **FAST).fit(frame)


def test_a_one_category_column_is_modelled_and_sampled():
    frame = _table(80)
    frame["word"] = pd.array(["only"] * 80, dtype="str")
    vae = VAETransformer(n_components=2, max_iter=3, **FAST).fit(frame)
    assert (vae.sample(5, random_state=0)["word"] == "only").all()
    assert np.all(np.isfinite(vae.score_samples(frame)))


def test_fit_does_not_modify_the_frame(fitted):
    frame = _table(60, missing=0.2)
    before = frame.copy()
    vae = VAETransformer(n_components=2, max_iter=2, **FAST).fit(frame)
    vae.transform(frame)
    vae.score_samples(frame)
    pd.testing.assert_frame_equal(frame, before)


def test_categorical_features_can_be_given_for_arrays():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=100), rng.randint(0, 3, 100)])
    vae = VAETransformer(n_components=2, max_iter=3, categorical_features=[1], **FAST)
    vae.fit(X)
    assert list(vae.column_types_) == ["quantile_gaussian", "categorical"]
    assert set(vae.sample(40, random_state=0)[:, 1]) <= {0, 1, 2}


def test_continuous_bernoulli_samples_grey_levels_like_the_data():
    from sklearn.datasets import load_digits

    X = load_digits().data[:500] / 16.0
    grey = VAETransformer(
        n_components=8, decoder="continuous_bernoulli", max_iter=30, **FAST
    )
    binary = VAETransformer(n_components=8, decoder="bernoulli", max_iter=30, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        grey.fit(X)
        binary.fit(X)
    target = np.corrcoef(X[:, X.std(axis=0) > 0], rowvar=False)

    # The likelihoods' own draws, uncalibrated (calibrated, every pixel takes
    # the data's grey levels whatever the likelihood).
    def corr_error(vae):
        S = vae.sample(2000, random_state=0, latent="prior", calibrate=False)
        S = S[:, X.std(axis=0) > 0]
        C = np.nan_to_num(np.corrcoef(S, rowvar=False))
        return np.linalg.norm(C - target) / np.linalg.norm(target)

    samples = grey.sample(200, random_state=0, calibrate=False)
    assert samples.min() >= 0 and samples.max() <= 1
    assert np.unique(samples).size > 1000  # grey levels, not 0/1
    calibrated = grey.sample(200, random_state=0)
    assert calibrated.min() >= 0 and calibrated.max() <= 1
    assert np.unique(calibrated).size > 100
    assert corr_error(grey) < corr_error(binary)


def test_gaussian_mixture_samples_a_bimodal_column_with_its_modes():
    from scipy.stats import ks_2samp

    rng = np.random.RandomState(0)
    n = 600
    other = rng.normal(size=n)
    # Modes the latent code has no reason to explain: independent of "other".
    bimodal = np.where(rng.uniform(size=n) < 0.5, -2.0, 2.0) + 0.3 * rng.normal(size=n)
    X = np.column_stack([bimodal, other])
    errors = {}
    for decoder in ("gaussian", "gaussian_mixture"):
        vae = VAETransformer(n_components=1, decoder=decoder, max_iter=60, **FAST)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vae.fit(X)
        # The likelihood's own draws: calibrated, both decoders' marginals
        # would be the data's.
        samples = vae.sample(2000, random_state=0, calibrate=False)[:, 0]
        errors[decoder] = ks_2samp(samples, bimodal).statistic
    assert list(vae.column_types_) == ["gaussian_mixture"] * 2
    assert errors["gaussian_mixture"] < 0.5 * errors["gaussian"], errors


def test_partial_fit_and_warm_start_continue_on_frames():
    frame = _table(120, missing=0.1)
    online = VAETransformer(n_components=2, **FAST)
    online.partial_fit(frame.iloc[:60])
    online.partial_fit(frame.iloc[60:])
    assert online.n_iter_ == 2 and list(online.feature_names_in_) == list(frame)
    # The categories are those of the first call: a category only seen later
    # counts as missing, and the second call keeps the first's units.
    assert online._schema.categories[3].tolist() == sorted(
        set(frame["word"][:60].dropna())
    )
    warm = VAETransformer(n_components=2, max_iter=2, warm_start=True, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warm.fit(frame)
        weights = warm._model.params[0]
        warm.fit(frame)
    assert warm._model.params[0] is weights and warm.n_iter_ == 4
    with pytest.raises(ValueError, match="feature names"):
        warm.fit(frame.rename(columns={"a": "z"}))


def test_a_boolean_column_is_binary_and_takes_boolean_conditions():
    rng = np.random.RandomState(0)
    a = rng.normal(size=100)
    frame = pd.DataFrame({"a": a, "positive": a > 0})
    vae = VAETransformer(n_components=1, max_iter=5, **FAST).fit(frame)
    assert list(vae.column_types_) == ["quantile_gaussian", "bernoulli"]
    out = vae.sample(20, random_state=0, conditions={"positive": True})
    assert out["positive"].dtype == bool and out["positive"].all()


def test_sample_latent_sources_and_exact_conditions_on_a_grid_column():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "length": rng.randint(170, 230, size=300).astype(float),  # whole mm
            "mass": rng.lognormal(8, 0.2, size=300),
        }
    )
    vae = VAETransformer(n_components=2, max_iter=20, **FAST)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vae.fit(frame)
    assert list(vae.column_types_) == ["quantile_gaussian", "quantile_gaussian"]
    # Draws of the grid column stay on its grid, whatever the latent source.
    for latent in ("aggregate_posterior", "prior"):
        draws = vae.sample(200, random_state=0, latent=latent)["length"]
        np.testing.assert_array_equal(draws, np.rint(draws))
    assert not vae.sample(50, random_state=0).equals(
        vae.sample(50, random_state=0, latent="prior")
    )
    with pytest.raises(ValueError, match="latent must be"):
        vae.sample(5, latent="posterior")
    # A condition off the grid is still imposed exactly.
    conditioned = vae.sample(20, random_state=0, conditions={"length": 200.25})
    assert (conditioned["length"] == 200.25).all()
