"""The VAE's KL term, free bits and latent densities."""

import numpy as np
import pytest
from scipy.stats import norm

from skmanifold_attn.utils._testing import numeric_grad
from skmanifold_attn.vae._losses import (
    free_bits_mask,
    kl_standard_normal,
    log_normal,
)


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
