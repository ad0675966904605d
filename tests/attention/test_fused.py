"""Fused paths (embedding x projection, token-space dot pooling) against the
layer-by-layer computation of the same network."""

import numpy as np
import pytest
from test_network import _data, _network

from skmanifold_attn.attention._token_space import _dot_maps


@pytest.mark.parametrize("embedding", ["per_token", "shared"])
@pytest.mark.parametrize("positional", [None, "sinusoidal", "learned"])
@pytest.mark.parametrize("token_dim", [1, 3])
@pytest.mark.parametrize("n_heads", [1, 2])
@pytest.mark.parametrize("scoring", ["dot", "gated"])
def test_fused_path_equals_layer_by_layer(
    embedding, positional, token_dim, n_heads, scoring
):
    # dot: token-space pooling; gated: fused embedding + projection.
    net = _network(
        "classification",
        scoring=scoring,
        embedding=embedding,
        positional=positional,
        token_dim=token_dim,
        n_heads=n_heads,
    )
    assert net.fused
    X = _data(token_dim)
    y = np.array([0, 1, 2, 1, 0])
    fused_out = net.transform(X)
    fused_weights = net.attention_weights(X)
    _, grads = net.loss_and_grads(X, y, None)
    fused_grads = [g.copy() for g in grads]
    net.fused = False
    np.testing.assert_allclose(net.transform(X), fused_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.attention_weights(X), fused_weights, rtol=1e-10)
    _, grads = net.loss_and_grads(X, y, None)
    for fused, plain in zip(fused_grads, grads, strict=True):
        np.testing.assert_allclose(fused, plain, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("flip", [False, True])
@pytest.mark.parametrize("n_heads", [1, 2])
def test_token_space_pooling_without_padding(n_heads, flip):
    # Without padding, shared scalar tokens take the scores' maximum from the
    # tokens' maximum and minimum (by the sign of each head's key map).
    net = _network(
        "classification",
        scoring="dot",
        embedding="shared",
        token_dim=1,
        n_heads=n_heads,
    )
    net.pool.seeds[:] = np.random.RandomState(3).normal(size=net.pool.seeds.shape)
    key_map = _dot_maps(net.embed, net.pool)["key_map"]
    if flip:  # the first head's key map changes sign
        net.pool.seeds[:, : net.pool.head_dim] *= -1
    assert (_dot_maps(net.embed, net.pool)["key_map"][0, 0] > 0) != (
        key_map[0, 0] > 0
    ) or not flip
    X = 3 * np.random.RandomState(2).normal(size=(6, 4))
    fused_out, fused_weights = net.transform(X), net.attention_weights(X)
    net.fused = False
    np.testing.assert_allclose(net.transform(X), fused_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.attention_weights(X), fused_weights, rtol=1e-10)
