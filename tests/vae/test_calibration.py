"""sample's marginal calibration: the quantile maps, and VAETransformer's use."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from skmanifold_attn import VAETransformer
from skmanifold_attn.vae._calibration import (
    CALIBRATION_LEVELS,
    MarginalCalibration,
    data_quantile_knots,
)
from skmanifold_attn.vae._quantile import GridCells


def _frequencies_of_rounded_quantiles(p, x, step):
    # Rounded quantile function at many evenly spaced levels: the mass each
    # rounded value gets.
    levels = (np.arange(1_000_000) + 0.5) / 1_000_000
    rounded = step * np.rint(np.interp(levels, p, x) / step)
    return np.unique(rounded, return_counts=True)


def test_grid_knots_round_back_to_the_values_with_their_frequencies():
    values = np.repeat([1.0, 2.0, 5.0, 6.0, 9.0], [2, 1, 3, 1, 3])
    p, x = data_quantile_knots(values, step=1.0)
    assert np.all(np.diff(p) > 0) and np.all(np.diff(x) >= 0)
    assert (p[0], p[-1], x[0], x[-1]) == (0.0, 1.0, 0.5, 9.5)
    rounded, counts = _frequencies_of_rounded_quantiles(p, x, 1.0)
    # No mass on the empty cells 3, 4, 7, 8.
    np.testing.assert_array_equal(rounded, [1.0, 2.0, 5.0, 6.0, 9.0])
    np.testing.assert_allclose(counts / 1e6, [0.2, 0.1, 0.3, 0.1, 0.3], atol=1e-5)


def test_knots_without_a_grid_interpolate_the_order_statistics():
    values = np.random.RandomState(0).lognormal(size=200)
    p, x = data_quantile_knots(values)
    np.testing.assert_array_equal(p, np.linspace(0, 1, CALIBRATION_LEVELS + 1))
    np.testing.assert_allclose(x, np.quantile(values, p))
    # A grid of more values than the levels: evenly spaced levels, the
    # values spread over their cells.
    many = np.arange(2000.0).repeat(2)
    p, x = data_quantile_knots(many, step=1.0)
    assert p.size == CALIBRATION_LEVELS + 1
    assert x[0] == -0.5 and x[-1] == 1999.5 and np.all(np.diff(x) > 0)


def test_calibration_maps_the_model_marginal_onto_the_data_keeping_ranks():
    rng = np.random.RandomState(0)
    data = rng.exponential(size=500)
    levels = np.linspace(0, 1, CALIBRATION_LEVELS + 1)
    draws = rng.normal(size=(50_000, 2))
    draws[:, 1] = np.inf  # a column the sampler cannot draw: left alone
    knots = [(levels, np.quantile(data, levels))] * 2
    calibration = MarginalCalibration.fit(np.array([0, 1]), draws, knots)
    fresh = rng.normal(size=(5000, 2))
    fresh[:3, 0] = [np.nan, -50.0, 50.0]
    mapped = calibration.apply(fresh.copy())
    assert np.isnan(mapped[0, 0])
    assert (mapped[1, 0], mapped[2, 0]) == (data.min(), data.max())  # clamped
    np.testing.assert_array_equal(mapped[:, 1], fresh[:, 1])
    kept = fresh[3:, 0]
    np.testing.assert_array_equal(np.argsort(mapped[3:, 0]), np.argsort(kept))
    assert stats.ks_2samp(mapped[3:, 0], data).statistic < 0.04
    assert stats.ks_2samp(kept, data).statistic > 0.4


def test_tied_draws_keep_the_map_single_valued():
    levels = np.linspace(0, 1, CALIBRATION_LEVELS + 1)
    draws = np.r_[np.zeros(5000), np.random.RandomState(0).uniform(size=5000)]
    knots = [(levels, levels)]
    calibration = MarginalCalibration.fit(np.array([0]), draws[:, None], knots)
    model_levels, model_quantiles = calibration.model_knots[0]
    assert np.all(np.diff(model_quantiles) > 0)
    assert model_levels[0] == 0.0 and model_levels.size < levels.size


def test_grid_cells_round_to_the_observed_values_exactly():
    values = np.array([39.1, 39.5, 45.2, 45.2, 50.0])
    cells = GridCells(values, 0.1 - 1e-15)  # a step that is a rounded difference
    rounded = cells.round(np.array([45.2 + 1e-9, 39.14, 41.33, 38.0]))
    assert rounded[0] == 45.2 and rounded[1] == 39.1  # observed: the values
    assert rounded[2] == 41.3 and rounded[3] == 38.0  # else: their decimals
    irregular = GridCells(np.array([0.0, 1 / 3, 1 / 3]), 1 / 3)
    assert irregular.decimals is None
    assert irregular.round(np.array([0.3]))[0] == 1 / 3


# -- in VAETransformer ----------------------------------------------------


def _frame(n=300, seed=0):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=n)
    return pd.DataFrame(
        {
            "skewed": np.exp(z + 0.3 * rng.normal(size=n)),
            "tenths": np.round(5 + z + 0.5 * rng.normal(size=n), 1),
            "group": pd.Categorical(np.where(z > 0, "a", "b")),
        }
    )


@pytest.fixture(scope="module")
def fitted():
    frame = _frame()
    vae = VAETransformer(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        vae.fit(frame)
    return frame, vae


def test_calibrated_samples_have_the_data_marginals(fitted):
    frame, vae = fitted
    calibrated = vae.sample(3000, random_state=1)
    raw = vae.sample(3000, random_state=1, calibrate=False)
    for name in ("skewed", "tenths"):
        ks = stats.ks_2samp(calibrated[name], frame[name]).statistic
        assert ks < 0.05 < stats.ks_2samp(raw[name], frame[name]).statistic
        assert frame[name].min() <= calibrated[name].min()
        assert calibrated[name].max() <= frame[name].max()
        # Monotone in each column: the ranks of the model's draws (up to
        # the ties rounding to a grid makes).
        assert stats.spearmanr(calibrated[name], raw[name]).statistic > 0.99
    # Grid draws are the column's own values, exactly (not 45.19999...).
    assert set(calibrated["tenths"]) <= set(frame["tenths"])
    # Categorical columns are drawn as the model gives them.
    pd.testing.assert_series_equal(calibrated["group"], raw["group"])


def test_calibration_is_reproducible_and_leaves_the_model_alone(fitted):
    frame, vae = fitted
    scores = vae.score_samples(frame)
    condition = {"group": "a"}
    conditioned = vae.sample(20, random_state=0, conditions=condition)
    first = vae.sample(50, random_state=3, latent="prior")
    vae.sample(50, random_state=3)  # the other sampler's map in between
    pd.testing.assert_frame_equal(vae.sample(50, random_state=3, latent="prior"), first)
    np.testing.assert_array_equal(vae.score_samples(frame), scores)
    pd.testing.assert_frame_equal(
        vae.sample(20, random_state=0, conditions=condition, calibrate=False),
        conditioned,
    )
    twin = VAETransformer(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin.fit(frame)
    pd.testing.assert_frame_equal(
        twin.sample(50, random_state=3, latent="prior"), first
    )
    # A new fit makes new maps: on other rows, other marginals.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twin.fit(frame.assign(skewed=frame["skewed"] + 100))
    assert twin.sample(50, random_state=3)["skewed"].min() >= 100


def test_calibrate_must_be_a_bool(fitted):
    _, vae = fitted
    with pytest.raises(TypeError, match="calibrate must be a bool"):
        vae.sample(3, calibrate="yes")
