"""The importance-weighted imputation numerics (vae/_impute.py)."""

import numpy as np
import pytest
from scipy.special import softmax

from skmanifold_attn.vae._impute import _weights_and_outputs, impute
from skmanifold_attn.vae._model import VAENetwork
from skmanifold_attn.vae._table_likelihood import build_likelihood


def _network(kinds, n_categories=None, seed=0):
    likelihood = build_likelihood(kinds, np.float64, n_categories=n_categories)
    return VAENetwork(
        len(kinds),
        2,
        (8,),
        activation="tanh",
        decoder="gaussian",
        decoder_variance="learned",
        rng=np.random.RandomState(seed),
        dtype=np.float64,
        likelihood=likelihood,
    )


def _rows(seed=0, n=12):
    rng = np.random.RandomState(seed)
    X = np.column_stack(
        [rng.normal(size=n), rng.normal(size=n), rng.randint(3, size=n).astype(float)]
    )
    X[rng.uniform(size=X.shape) < 0.3] = np.nan
    X[0] = [0.5, -1.0, 2.0]  # a complete row
    return X


KINDS = ["gaussian", "gaussian", "categorical"]
CATS = [0, 0, 3]


def test_observed_cells_kept_and_every_hole_filled():
    model = _network(KINDS, CATS)
    X = _rows()
    before = X.copy()
    noise = np.random.RandomState(1).standard_normal((20, 2))
    filled = impute(model, X, noise)
    np.testing.assert_array_equal(X, before)  # the input is not modified
    observed = ~np.isnan(X)
    np.testing.assert_array_equal(filled[observed], X[observed])
    assert not np.isnan(filled).any()
    codes = filled[:, 2]
    assert set(np.unique(codes)) <= {0.0, 1.0, 2.0}


def test_rows_are_imputed_independently_of_each_other():
    model = _network(KINDS, CATS)
    X = _rows(seed=3, n=30)
    noise = np.random.RandomState(2).standard_normal((16, 2))
    together = impute(model, X, noise)
    alone = np.vstack([impute(model, X[i : i + 1], noise) for i in range(len(X))])
    np.testing.assert_allclose(together, alone, rtol=1e-12, atol=1e-12)


def test_numeric_fill_is_the_weighted_mean_and_category_the_weighted_mode():
    model = _network(KINDS, CATS, seed=4)
    X = np.array([[0.3, np.nan, np.nan]])
    noise = np.random.RandomState(5).standard_normal((50, 2))
    weights, out = _weights_and_outputs(model, X, noise)
    # Reference from the definitions: self-normalised weights of
    # log p(x_o | z) + log p(z) - log q(z | x_o) over the same draws.
    mean, log_var = model.encode(X)
    Z = mean + np.exp(0.5 * log_var) * noise
    dec = model.decode(Z)
    variance = model.likelihood.blocks[0].variance()
    log_lik = -0.5 * ((0.3 - dec[:, 0]) ** 2 / variance[0] + np.log(variance[0]))
    log_w = log_lik - 0.5 * (Z**2).sum(1) + 0.5 * (noise**2).sum(1)
    w = softmax(log_w)
    np.testing.assert_allclose(weights[:, 0], w, rtol=1e-10)
    filled = impute(model, X, noise)
    np.testing.assert_allclose(filled[0, 1], w @ dec[:, 1], rtol=1e-10)
    probabilities = w @ softmax(dec[:, 2:5], axis=1)
    assert filled[0, 2] == probabilities.argmax()


def test_row_with_every_cell_missing_gets_values():
    model = _network(KINDS, CATS)
    X = np.full((2, 3), np.nan)
    filled = impute(model, X, np.random.RandomState(0).standard_normal((8, 2)))
    assert np.isfinite(filled).all()


@pytest.mark.parametrize("n_draws", [1, 7])
def test_overflowing_rows_fall_back_to_equal_weights(n_draws):
    model = _network(["gaussian", "gaussian"])
    X = np.array([[1e200, np.nan]])
    noise = np.random.RandomState(0).standard_normal((n_draws, 2))
    with np.errstate(all="ignore"):
        filled = impute(model, X, noise)
    assert filled[0, 0] == 1e200
    assert not np.isnan(filled[0, 1])
