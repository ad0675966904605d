"""The VAE network's backward pass against finite differences."""

import numpy as np
import pytest

from skmanifold_attn.utils._testing import numeric_grad
from skmanifold_attn.vae._model import VAENetwork


def _network(decoder, decoder_variance="learned", dtype=np.float64, seed=0):
    return VAENetwork(
        5,
        3,
        (7, 4),
        activation="tanh",
        decoder=decoder,
        decoder_variance=decoder_variance,
        rng=np.random.RandomState(seed),
        dtype=dtype,
    )


def _data(decoder, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(6, 5))
    if decoder == "bernoulli":
        X = rng.uniform(size=(6, 5))
    return X


@pytest.mark.parametrize(
    "decoder, variance, free_bits",
    [
        ("gaussian", "learned", 0.0),
        ("gaussian", 0.5, 0.0),
        ("bernoulli", "learned", 0.0),
        ("bernoulli", "learned", 0.4),
    ],
)
def test_gradients_match_finite_differences(decoder, variance, free_bits):
    net = _network(decoder, variance)
    net.kl_weight = 0.7
    net.free_bits = free_bits
    X = _data(decoder)
    if net.learn_variance:
        net.log_variance[:] = np.random.RandomState(3).normal(size=5)

    def loss():
        return net.loss_and_grads(X, None, np.random.RandomState(42))[0]

    loss()
    analytic = [g.copy() for g in net.grads]
    for param, grad in zip(net.params, analytic, strict=True):
        numeric = numeric_grad(loss, param)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)


def test_loss_is_negative_elbo_at_unit_weight():
    net = _network("gaussian")
    X = _data("gaussian")
    loss, _ = net.loss_and_grads(X, None, np.random.RandomState(0))
    # The same single draw per row, as IWAE log-weights with one draw per row.
    eps = np.random.RandomState(0).standard_normal((6, 3))
    mean, log_var = net.encode(X)
    Z = mean + np.exp(0.5 * log_var) * eps
    log_lik = net.log_likelihood(X, Z)
    kl = 0.5 * (mean**2 + np.exp(log_var) - 1 - log_var).sum(axis=1)
    assert loss == pytest.approx(float(np.mean(kl - log_lik)))


def test_float32_stays_float32():
    net = _network("bernoulli", dtype=np.float32)
    X = _data("bernoulli").astype(np.float32)
    loss, grads = net.loss_and_grads(X, None, np.random.RandomState(0))
    assert np.isfinite(loss)
    assert all(g.dtype == np.float32 for g in grads)
    assert net.encode(X)[0].dtype == np.float32
    assert net.decode_mean(net.encode(X)[0]).dtype == np.float32


def test_iwae_bound_is_above_elbo_and_row_independent():
    net = _network("gaussian")
    X = _data("gaussian")
    noise = np.random.RandomState(5).standard_normal((20, 3))
    iwae, elbo = net.bounds(X, noise)
    assert np.all(iwae >= elbo - 1e-12)
    iwae_rows = np.concatenate([net.bounds(X[i : i + 1], noise)[0] for i in range(6)])
    np.testing.assert_allclose(iwae, iwae_rows, rtol=1e-12)
    np.testing.assert_array_equal(net.bounds(X, noise)[0], iwae)


def test_iwae_log_weights_match_direct_formula():
    from scipy.stats import norm

    net = _network("bernoulli")
    X = _data("bernoulli")
    noise = np.random.RandomState(5).standard_normal((4, 3))
    log_w = net.log_weights(X, noise)
    mean, log_var = net.encode(X)
    std = np.exp(0.5 * log_var)
    for k in range(4):
        Z = mean + std * noise[k]
        p = net.decode_mean(Z)
        log_lik = (X * np.log(p) + (1 - X) * np.log(1 - p)).sum(axis=1)
        log_prior = norm.logpdf(Z).sum(axis=1)
        log_post = norm.logpdf(Z, mean, std).sum(axis=1)
        np.testing.assert_allclose(log_w[k], log_lik + log_prior - log_post)


def test_start_epoch_warms_the_kl_weight_up_linearly():
    net = _network("gaussian")
    net.beta, net.kl_warmup = 3.0, 3
    changed = [net.start_epoch(epoch) for epoch in (1, 2, 3)]
    assert changed == [True, True, True] and net.kl_weight == 3.0
    assert net.start_epoch(4) is False and net.kl_weight == 3.0
    net.start_epoch(1)
    assert net.kl_weight == pytest.approx(1.0)
    net.kl_warmup = 0
    assert net.start_epoch(2) is True and net.kl_weight == 3.0


def test_iwae_chunks_do_not_change_the_result(monkeypatch):
    from skmanifold_attn.vae import _iwae

    net = _network("bernoulli")
    X = _data("bernoulli")
    noise = np.random.RandomState(5).standard_normal((3, 3))
    whole = net.log_weights(X, noise)
    monkeypatch.setattr(_iwae, "_CHUNK_ELEMENTS", 3 * 7 * 2)  # two rows a chunk
    np.testing.assert_allclose(net.log_weights(X, noise), whole, rtol=1e-12)


def _push_log_variance(net, values):
    # Bias of the encoder's log-variance outputs: drives them to ``values``.
    last = net.encoder_net.params[-1]
    last[net.n_components :] = values


def test_encoder_log_variance_is_clipped_in_scoring_and_training():
    from skmanifold_attn.vae._model import LOG_VAR_BOUND

    net = _network("gaussian")
    _push_log_variance(net, [5e3, -5e3, 0.0])
    X = _data("gaussian")
    _, log_var = net.encode(X * 1e4)
    assert np.all(np.abs(log_var) <= LOG_VAR_BOUND)
    assert np.all(np.isfinite(net.bounds(X * 1e4, np.ones((2, 3)))[0]))
    loss, grads = net.loss_and_grads(X, None, np.random.RandomState(0))
    assert np.isfinite(loss) and all(np.all(np.isfinite(g)) for g in grads)


@pytest.mark.parametrize("decoder", ["gaussian", "bernoulli"])
def test_gradients_match_finite_differences_where_the_clip_binds(decoder):
    # Two log-variances held at the lower bound (zero gradient through the
    # clip), one free: the analytic gradient is still the loss's. (At the
    # upper bound the loss, ~exp(30), is too large for finite differences.)
    net = _network(decoder)
    _push_log_variance(net, [-45.0, -40.0, 0.1])
    net.kl_weight = 0.7
    X = _data(decoder)

    def loss():
        return net.loss_and_grads(X, None, np.random.RandomState(42))[0]

    loss()
    analytic = [g.copy() for g in net.grads]
    for param, grad in zip(net.params, analytic, strict=True):
        numeric = numeric_grad(loss, param)
        np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    _push_log_variance(net, [45.0, -45.0, 0.1])
    loss()
    k = net.n_components
    W_grad, b_grad = net.encoder_net.grads[-2:]
    np.testing.assert_array_equal(W_grad[:, k : k + 2], 0.0)
    np.testing.assert_array_equal(b_grad[k : k + 2], 0.0)
    assert np.all(W_grad[:, k + 2] != 0.0)


def test_non_finite_log_weights_count_as_minus_infinity():
    from skmanifold_attn.vae._iwae import iwae_and_elbo, log_importance_weights

    X = np.zeros((3, 2))

    def encode(rows):
        return np.zeros((len(rows), 1)), np.zeros((len(rows), 1))

    def log_likelihood(rows, Z):
        out = np.zeros(Z.shape[:2])
        out[:, 1] = np.nan  # an overflowed row: inf - inf
        out[0, 2] = np.nan  # one overflowed draw of a row
        return out

    log_w = log_importance_weights(X, encode, log_likelihood, np.ones((2, 1)))
    assert not np.isnan(log_w).any()
    iwae, elbo = iwae_and_elbo(log_w)
    assert np.isfinite(iwae[[0, 2]]).all() and iwae[1] == -np.inf
    assert iwae[2] == pytest.approx(iwae[0] - np.log(2))
    assert elbo[1] == -np.inf
