import numpy as np
import pytest
from _small_network import padded_rows, small_network

from skmanifold_attn.attention._network import split_tokens

_network = small_network
_data = padded_rows


CONFIGS = [
    dict(task="classification"),
    dict(task="classification", embedding="shared", token_dim=1),
    dict(task="classification", embedding="shared", positional="learned"),
    dict(task="classification", positional="sinusoidal", token_dim=1),
    dict(task="regression", scoring="gated", embedding="shared"),
    dict(task="regression", scoring="additive"),
    dict(task="classification", n_layers=1, positional="learned"),
    dict(task="masked", embedding="shared"),
    dict(task="masked", positional="learned", token_dim=1),
    dict(task="classification", n_heads=1, embedding="shared"),
    dict(task="regression", n_heads=3, n_layers=1, scoring="additive"),
]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(map(str, c.values()))
)
def test_loss_and_grads_match_finite_differences(config, numeric_grad):
    net = _network(**config)
    X = _data(config.get("token_dim", 2))
    y = (
        np.array([0, 1, 2, 1, 0])
        if config["task"] == "classification"
        else np.random.RandomState(2).normal(size=(5, 3))
    )

    def loss():
        # The masked objective draws which tokens to hide: same draw each call.
        return net.loss_and_grads(X, y, np.random.RandomState(7))[0]

    _, grads = net.loss_and_grads(X, y, np.random.RandomState(7))
    grads = [g.copy() for g in grads]
    for i, (param, grad) in enumerate(zip(net.params, grads, strict=True)):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-8, err_msg=str(i)
        )


def test_split_tokens_zeroes_padding_and_masks_it():
    X = _data()
    tokens, mask = split_tokens(X, 4, 2)
    assert tokens.shape == (5, 4, 2) and not np.isnan(tokens).any()
    assert mask.sum() == 20 - 3 and not mask[1, 0] and not mask[3, 2:].any()
    tokens, mask = split_tokens(np.ones((2, 8)), 4, 2)
    assert mask is None


def test_masked_objective_hides_only_real_tokens():
    net = _network("masked")
    X = _data()
    tokens, mask = split_tokens(X, 4, 2)
    inputs, visible, hidden = net._hide(tokens, mask, np.random.RandomState(0))
    assert not np.any(hidden & ~mask)
    assert np.all(visible == (mask & ~hidden))
    assert np.all(inputs[~visible] == 0)


def test_transform_is_row_independent_and_chunked(monkeypatch):
    from skmanifold_attn.attention import _network as module

    net = _network("classification", n_layers=1)
    X = np.random.RandomState(3).normal(size=(50, 8))
    whole = net.transform(X)
    monkeypatch.setattr(module, "_CHUNK", 7)
    np.testing.assert_allclose(net.transform(X), whole, rtol=1e-12)
    np.testing.assert_allclose(net.transform(X[10:13]), whole[10:13], rtol=1e-12)
