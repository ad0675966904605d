"""The VAE's map between the original units and the model's, called directly."""

import warnings

import numpy as np
import pytest
from sklearn.preprocessing import StandardScaler

from skmanifold_attn.vae._scaling import (
    fit_scaling,
    log_jacobian,
    to_model_units,
    to_original_units,
    variance_in_original_units,
)


def _data(dtype=np.float64):
    rng = np.random.RandomState(0)
    return (rng.normal(size=(50, 4)) * [1e-3, 1.0, 10.0, 1e4] + 5.0).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_scaling_matches_standard_scaler(dtype):
    X = _data(dtype)
    mean, scale = fit_scaling(X, "gaussian")
    assert mean.dtype == scale.dtype == dtype
    reference = StandardScaler().fit(X.astype(np.float64))
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(mean, reference.mean_, rtol=rtol)
    np.testing.assert_allclose(scale, reference.scale_, rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bernoulli_scaling_is_the_identity(dtype):
    X = np.random.RandomState(0).uniform(size=(10, 3)).astype(dtype)
    mean, scale = fit_scaling(X, "bernoulli")
    np.testing.assert_array_equal(mean, np.zeros(3))
    np.testing.assert_array_equal(scale, np.ones(3))
    assert mean.dtype == scale.dtype == dtype
    # No arithmetic at all: the very rows come back, to the model and back.
    assert to_model_units(X, mean, scale, "bernoulli", dtype) is X
    assert to_original_units(X, mean, scale, "bernoulli") is X


def test_model_units_round_trip_and_keep_the_input():
    X = _data()
    before = X.copy()
    mean, scale = fit_scaling(X, "gaussian")
    X_model = to_model_units(X, mean, scale, "gaussian", np.float64)
    np.testing.assert_array_equal(X, before)
    np.testing.assert_allclose(X_model.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(X_model.std(axis=0), 1.0, rtol=1e-10)
    back = to_original_units(X_model, mean, scale, "gaussian")
    assert back is X_model  # in place
    np.testing.assert_allclose(back, X, rtol=1e-12)


def test_model_units_take_the_model_dtype():
    X = _data()
    mean, scale = fit_scaling(X.astype(np.float32), "gaussian")
    X_model = to_model_units(X, mean, scale, "gaussian", np.float32)
    assert X_model.dtype == np.float32


def test_log_jacobian_is_the_log_volume_of_the_scaling():
    scale = np.array([1e-3, 2.0, 1e4], dtype=np.float32)
    expected = np.log(1e-3) + np.log(2.0) + np.log(1e4)
    assert log_jacobian(scale) == pytest.approx(expected, rel=1e-6)
    assert log_jacobian(np.ones(5)) == 0.0
    assert isinstance(log_jacobian(scale), float)


def test_variance_in_original_units_overflows_quietly_to_inf_and_zero():
    variance = np.array([0.5, 0.5, 0.5, 0.5])
    scale = np.array([2.0, 1.0, 1e200, 1e-200])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise"):
            result = variance_in_original_units(variance, scale)
    assert result.dtype == np.float64
    np.testing.assert_array_equal(result, [2.0, 0.5, np.inf, 0.0])


def test_variance_in_original_units_is_computed_in_float64():
    variance = np.array([0.25], dtype=np.float32)
    scale = np.array([1e30], dtype=np.float32)  # its square overflows float32
    np.testing.assert_allclose(
        variance_in_original_units(variance, scale), [0.25 * 1e60], rtol=1e-6
    )
