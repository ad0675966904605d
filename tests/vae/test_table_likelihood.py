"""The table likelihood's grouped categorical columns (vae/_table_likelihood.py)."""

import numpy as np
import pytest

from skmanifold_attn.vae._table_likelihood import build_likelihood

SIZES = [30, 1, 16, 3]


def _table(n=150, seed=0):
    rng = np.random.RandomState(seed)
    kinds = ["gaussian"] * 3 + ["categorical"] * len(SIZES) + ["bernoulli"]
    n_categories = [0] * 3 + SIZES + [0]
    likelihood = build_likelihood(
        kinds, np.float64, n_categories=n_categories, two_values=True
    )
    codes = np.stack([rng.randint(size, size=n) for size in SIZES], axis=1)
    X = np.hstack([rng.normal(size=(n, 3)), codes, rng.randint(2, size=(n, 1))]).astype(
        float
    )
    X[rng.uniform(size=X.shape) < 0.25] = np.nan
    out = 3 * rng.normal(size=(n, likelihood.width))
    return likelihood, X, out


def test_grouped_categoricals_match_the_blocks_one_by_one():
    likelihood, X, out = _table()
    assert likelihood._categorical_group is not None
    nll, grad = likelihood.nll_and_grad(X, out)
    likelihood._categorical_group = None  # the per-block path
    nll_blocks, grad_blocks = likelihood.nll_and_grad(X, out)
    np.testing.assert_allclose(nll, nll_blocks, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, grad_blocks, rtol=1e-12, atol=1e-12)


def test_grouped_nll_is_minus_the_log_probability_of_the_observed_cells():
    likelihood, X, out = _table(seed=1)
    nll, _ = likelihood.nll_and_grad(X, out)
    np.testing.assert_allclose(nll, -likelihood.log_prob(X, out), rtol=1e-12)


@pytest.mark.parametrize("n_categorical", [0, 1])
def test_no_group_below_two_categorical_columns(n_categorical):
    kinds = ["gaussian", *["categorical"] * n_categorical]
    likelihood = build_likelihood(kinds, np.float64, n_categories=[0, 4])
    assert likelihood._categorical_group is None
