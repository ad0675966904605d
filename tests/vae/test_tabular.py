"""Column-type rule, conditions, conditional draws and imputation, called directly."""

import numpy as np
import pytest

from skmanifold_attn.vae._model import VAENetwork
from skmanifold_attn.vae._table_likelihood import build_likelihood
from skmanifold_attn.vae._tabular import (
    MIN_PROPOSALS,
    column_types,
    conditional_latents,
    importance_impute,
    parse_conditions,
)


def test_auto_rule_picks_a_type_per_column():
    X = np.array(
        [
            [0.1, 3.0, 1.0, 5.0, 0.0],
            [0.7, 7.0, 2.0, 5.0, 0.0],
            [np.nan, 3.0, 0.0, 5.0, 1.0],
            [0.2, np.nan, 1.0, 5.0, 0.0],
        ]
    )
    categorical = np.array([False, False, True, False, False])
    assert column_types(X, categorical, "auto") == [
        "quantile_gaussian",  # more than two values
        "bernoulli",  # two values, whatever they are
        "categorical",  # from the seam
        "gaussian",  # one value
        "bernoulli",
    ]
    assert column_types(X, categorical, "gaussian") == [
        "gaussian",
        "gaussian",
        "categorical",
        "gaussian",
        "gaussian",
    ]


def _linear_network(variance):
    # x = z + N(0, variance) with a one-dimensional latent: the posterior of z
    # given x = v is N(v / (1 + variance), variance / (1 + variance)).
    net = VAENetwork(
        1,
        1,
        (1,),
        activation="identity",
        decoder="gaussian",
        decoder_variance=variance,
        rng=np.random.RandomState(0),
        dtype=np.float64,
    )
    W1, b1, W2, b2 = net.decoder_net.params
    W1[:] = 1.0
    W2[:] = 1.0
    b1[:] = 0.0
    b2[:] = 0.0
    return net


def test_conditional_latents_follow_the_exact_posterior():
    variance, value = 0.5, 1.0
    net = _linear_network(variance)
    Z, ess = conditional_latents(
        net, np.array([[value]]), 4000, np.random.RandomState(0)
    )
    assert Z.shape == (4000, 1)
    assert ess > 1000
    posterior_mean = value / (1 + variance)
    posterior_var = variance / (1 + variance)
    assert Z.mean() == pytest.approx(posterior_mean, abs=0.04)
    assert Z.var() == pytest.approx(posterior_var, abs=0.04)


def test_conditional_latents_use_a_bounded_number_of_proposals(monkeypatch):
    net = _linear_network(0.5)
    calls = []
    original = net.log_likelihood

    def counting(X, Z):
        calls.append(Z.shape[0])
        return original(X, Z)

    monkeypatch.setattr(net, "log_likelihood", counting)
    conditional_latents(net, np.array([[0.0]]), 3, np.random.RandomState(0))
    assert sum(calls) == MIN_PROPOSALS


def test_improbable_conditions_warn_and_impossible_ones_raise(monkeypatch):
    net = _linear_network(1e-3)
    with pytest.warns(UserWarning, match=r"effective sample size of \d"):
        conditional_latents(net, np.array([[4.5]]), 5, np.random.RandomState(0))
    monkeypatch.setattr(
        net, "log_likelihood", lambda X, Z: np.full(Z.shape[:-1], -np.inf)
    )
    with pytest.raises(ValueError, match="no probability"):
        conditional_latents(net, np.array([[0.0]]), 5, np.random.RandomState(0))


def test_parse_conditions_by_name_and_index():
    likelihood = build_likelihood(
        ["gaussian", "categorical"], np.float64, n_categories=[0, 2]
    )

    class Schema:
        categories = [None, np.array(["a", "b"], dtype=object)]

    columns, values = parse_conditions(
        {"y": "b", 0: 2.5}, likelihood, Schema, ["x", "y"]
    )
    np.testing.assert_array_equal(columns, [1, 0])
    np.testing.assert_array_equal(values, [1.0, 2.5])
    with pytest.raises(ValueError, match="twice"):
        parse_conditions({"x": 1.0, 0: 2.0}, likelihood, Schema, ["x", "y"])
    with pytest.raises(ValueError, match="not a category"):
        parse_conditions({"y": True}, likelihood, Schema, ["x", "y"])


def test_importance_impute_recovers_a_value_explained_by_the_other_column():
    # Two Gaussian columns that are both the latent (x1 = x2 = z + small
    # noise); the encoder sees x1 (weight 1 on it) so that a row with x2
    # missing imputes x2 ~ x1.
    net = VAENetwork(
        2,
        1,
        (1,),
        activation="identity",
        decoder="gaussian",
        decoder_variance=1e-2,
        rng=np.random.RandomState(0),
        dtype=np.float64,
    )
    W1, b1, W2, b2 = net.decoder_net.params
    W1[:] = 1.0
    b1[:] = 0.0
    W2[:] = 1.0
    b2[:] = 0.0
    E1, c1, E2, c2 = net.encoder_net.params
    E1[:] = [[1.0], [0.0]]
    c1[:] = 0.0
    E2[:] = [[1.0, 0.0]]
    c2[:] = [0.0, -4.0]
    X = np.array([[0.8, np.nan], [-1.2, np.nan], [0.1, 0.3]])
    filled = importance_impute(net, X, 200, np.random.RandomState(0))
    np.testing.assert_allclose(filled[:2, 1], [0.8, -1.2], atol=0.05)
    np.testing.assert_array_equal(filled[2], X[2])


def test_float32_numeric_columns_keep_a_mixed_table_in_float32():
    import pandas as pd

    from skmanifold_attn import VAETransformer

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=60).astype(np.float32),
            "c": pd.Categorical(rng.choice(["a", "b"], size=60)),
        }
    )
    vae = VAETransformer(max_iter=3, random_state=0).fit(frame)
    assert vae._model.dtype == np.float32
    assert vae.transform(frame).dtype == np.float32
    assert vae.sample(4, random_state=0)["x"].dtype == np.float32
    wide = frame.astype({"x": np.float64})
    assert VAETransformer(max_iter=3, random_state=0).fit(wide)._model.dtype == (
        np.float64
    )
