"""Gradients of the VAE's log-densities against finite differences."""

import numpy as np
import pytest
from scipy.stats import norm

from skmanifold_attn.utils._testing import numeric_grad
from skmanifold_attn.vae._losses import (
    bernoulli_nll,
    bernoulli_nll_value,
    free_bits_mask,
    gaussian_nll,
    gaussian_nll_value,
    gaussian_variance,
    kl_standard_normal,
    log_normal,
)


def test_bernoulli_nll_value_and_gradient():
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(5, 4))
    X[0] = [0, 1, 0, 1]
    logits = rng.normal(scale=3, size=(5, 4))
    nll, grad = bernoulli_nll(X, logits)
    p = 1 / (1 + np.exp(-logits))
    expected = -(X * np.log(p) + (1 - X) * np.log(1 - p)).sum(axis=1)
    np.testing.assert_allclose(nll, expected, rtol=1e-10)
    np.testing.assert_allclose(bernoulli_nll_value(X, logits), expected, rtol=1e-10)
    numeric = numeric_grad(lambda: bernoulli_nll(X, logits)[0].sum(), logits)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_bernoulli_nll_is_finite_for_extreme_logits():
    X = np.array([[0.0, 1.0, 0.5]], dtype=np.float32)
    logits = np.array([[200.0, -200.0, 1e4]], dtype=np.float32)
    nll, grad = bernoulli_nll(X, logits)
    assert np.all(np.isfinite(nll)) and np.all(np.isfinite(grad))
    assert nll.dtype == np.float32 and grad.dtype == np.float32


def test_gaussian_nll_value_and_gradients():
    rng = np.random.RandomState(1)
    X = rng.normal(size=(6, 3))
    mean = rng.normal(size=(6, 3))
    param = rng.normal(size=3)
    floor = 1e-3
    variance = gaussian_variance(param, floor)
    nll, grad_mean, grad_var = gaussian_nll(X, mean, variance)
    expected = -norm.logpdf(X, loc=mean, scale=np.sqrt(variance)).sum(axis=1)
    np.testing.assert_allclose(nll, expected, rtol=1e-10)
    np.testing.assert_allclose(gaussian_nll_value(X, mean, variance), expected)
    numeric = numeric_grad(lambda: gaussian_nll(X, mean, variance)[0].sum(), mean)
    np.testing.assert_allclose(grad_mean, numeric, rtol=1e-6, atol=1e-8)
    numeric = numeric_grad(lambda: gaussian_nll(X, mean, variance)[0].sum(), variance)
    np.testing.assert_allclose(grad_var, numeric, rtol=1e-6, atol=1e-8)


def test_gaussian_variance_respects_floor():
    variance = gaussian_variance(np.array([-1e3, 0.0]), 1e-3)
    np.testing.assert_allclose(variance, [1e-3, 1.001])


def test_kl_matches_formula_and_gradients():
    rng = np.random.RandomState(2)
    mean = rng.normal(size=(4, 3))
    log_var = rng.normal(size=(4, 3))
    kl, grad_mean, grad_log_var = kl_standard_normal(mean, log_var)
    var = np.exp(log_var)
    expected = 0.5 * (mean**2 + var - 1 - log_var)
    np.testing.assert_allclose(kl, expected)
    assert np.all(kl >= 0)
    numeric = numeric_grad(lambda: kl_standard_normal(mean, log_var)[0].sum(), mean)
    np.testing.assert_allclose(grad_mean, numeric, rtol=1e-6, atol=1e-8)
    numeric = numeric_grad(lambda: kl_standard_normal(mean, log_var)[0].sum(), log_var)
    np.testing.assert_allclose(grad_log_var, numeric, rtol=1e-6, atol=1e-8)
    zero, _, _ = kl_standard_normal(np.zeros((2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(zero, 0)


def test_free_bits_penalty_and_mask():
    kl = np.array([[0.1, 2.0, 0.5], [0.3, 1.0, 0.5]])
    penalty, active = free_bits_mask(kl, 0.0)
    assert penalty == pytest.approx(0.2 + 1.5 + 0.5)
    np.testing.assert_array_equal(active, [1, 1, 1])
    penalty, active = free_bits_mask(kl, 0.6)
    assert penalty == pytest.approx(0.6 + 1.5 + 0.6)
    np.testing.assert_array_equal(active, [0, 1, 0])


def test_log_normal_matches_scipy():
    rng = np.random.RandomState(3)
    z = rng.normal(size=(2, 5, 3))
    mean = rng.normal(size=(5, 3))
    log_var = rng.normal(size=(5, 3))
    expected = norm.logpdf(z, mean, np.exp(0.5 * log_var)).sum(axis=-1)
    np.testing.assert_allclose(log_normal(z, mean, log_var), expected)
    np.testing.assert_allclose(log_normal(z), norm.logpdf(z).sum(axis=-1))
