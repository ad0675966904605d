import numpy as np
import pytest

from skmanifold_attn._nn._preprocessing import fit_standardisation


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matches_numpy_mean_and_std_per_column(dtype):
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(50, 4)) * [1e5, 1, 1e-3, 10] + [3, -2e4, 0, 1]).astype(dtype)
    mean, scale = fit_standardisation(X)
    assert mean.dtype == scale.dtype == dtype
    np.testing.assert_allclose(mean, X.astype(np.float64).mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scale, X.astype(np.float64).std(axis=0), rtol=1e-6)


def test_nan_entries_are_left_out_and_empty_columns_get_zero_and_one():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(40, 3)) * [2, 5, 1]
    X[::4, 0] = np.nan
    X[:, 2] = np.nan
    mean, scale = fit_standardisation(X)
    np.testing.assert_allclose(mean[:2], np.nanmean(X[:, :2], axis=0))
    np.testing.assert_allclose(scale[:2], np.nanstd(X[:, :2], axis=0))
    assert mean[2] == 0 and scale[2] == 1


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_columns_get_scale_one_at_the_input_precision(dtype):
    # A constant column, and one whose spread is rounding noise
    # around 1e4 at either precision.
    X = np.column_stack(
        [np.full(20, 7.0), 1e4 + 1e-12 * np.arange(20), np.arange(20.0)]
    ).astype(dtype)
    mean, scale = fit_standardisation(X)
    assert scale[0] == 1
    assert scale[1] == 1  # at either precision, rounding noise (< 10 eps 1e4)
    np.testing.assert_allclose(scale[2], np.arange(20.0).std(), rtol=1e-6)
    standardised = (X - mean) / scale
    assert np.all(np.isfinite(standardised))
    np.testing.assert_allclose(standardised[:, 0], 0)


def test_float32_floor_uses_float32_eps():
    # A spread of 1e-4 around 1e3 is real in float64 but close to float32's
    # rounding (eps * 1e3 ~ 1.2e-4), so only float32 floors it.
    X = 1e3 + 1e-4 * np.array([[0.0], [1.0]] * 10)
    assert fit_standardisation(X)[1][0] != 1
    assert fit_standardisation(X.astype(np.float32))[1][0] == 1


@pytest.mark.parametrize("missing", [False, True])
def test_values_too_large_raise(missing):
    X = np.sign(np.random.RandomState(0).normal(size=(20, 3))) * 1.5e308
    if missing:
        X[0, 0] = np.nan
    with pytest.raises(ValueError, match="too large in magnitude"):
        fit_standardisation(X)


@pytest.mark.parametrize("factor", [1e-300, 1e-150, 1e-16, 1e150, 1e200])
@pytest.mark.parametrize("missing", [False, True])
def test_statistics_scale_with_the_data(factor, missing):
    # Neither the squares' underflow (1e-300) nor their overflow (1e200)
    # changes the standardised values: only the column's own scale counts.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 3)) * [1.0, 5.0, 0.1] + [0.0, 3.0, -1.0]
    if missing:
        X[::3, 1] = np.nan
    mean, scale = fit_standardisation(X)
    mean_s, scale_s = fit_standardisation(X * factor)
    np.testing.assert_allclose(mean_s, mean * factor, rtol=1e-12)
    np.testing.assert_allclose(scale_s, scale * factor, rtol=1e-12)
    np.testing.assert_allclose(
        (X * factor - mean_s) / scale_s, (X - mean) / scale, rtol=1e-9, atol=1e-12
    )


def test_float32_microamps_are_not_constant():
    # Currents around a microamp, with a spread of 0.1 microamp, in float32:
    # far above float32's rounding of such values.
    rng = np.random.RandomState(0)
    X = (1e-6 + 1e-7 * rng.normal(size=(100, 2))).astype(np.float32)
    mean, scale = fit_standardisation(X)
    np.testing.assert_allclose(scale, X.astype(np.float64).std(axis=0), rtol=1e-5)
    standardised = (X - mean) / scale
    np.testing.assert_allclose(standardised.std(axis=0), 1, rtol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("magnitude", [1e-30, 1.0, 1e30])
def test_rounding_noise_is_constant_at_any_magnitude(dtype, magnitude):
    # A spread of about one ulp of the column's own values is noise.
    base = np.full(20, magnitude, dtype=dtype)
    X = np.column_stack([base, np.nextafter(base, np.inf)])
    X[::2, 1] = base[::2]
    mean, scale = fit_standardisation(X)
    assert np.all(scale == 1)
    assert np.all(np.abs((X - mean) / scale) <= magnitude * np.finfo(dtype).eps)
