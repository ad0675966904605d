"""Fused paths (embedding x projection, token-space dot pooling) against the
layer-by-layer computation of the same network."""

import numpy as np
import pytest
from test_network import _data, _network


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
