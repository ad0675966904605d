"""Token-space dot pooling of table columns against the layer-by-layer path."""

import numpy as np
import pytest
from test_table_tokens import _data, _network


@pytest.mark.parametrize("positional", [None, "sinusoidal", "learned"])
@pytest.mark.parametrize("task", ["classification", "masked"])
def test_table_token_space_equals_layer_by_layer(positional, task):
    net = _network(task, positional=positional)
    assert net.table_fused
    if positional == "learned":
        net.embed.positions[:] = np.random.RandomState(5).normal(
            size=net.embed.positions.shape
        )
    X = _data()
    X[5] = np.nan  # a row with no token
    y = np.array([0, 1, 2, 1, 0, 2])
    out, weights = net.transform(X), net.attention_weights(X)
    _, grads = net.loss_and_grads(X, y, np.random.RandomState(7))
    fused_grads = [g.copy() for g in grads]
    net.table_fused = False
    np.testing.assert_allclose(net.transform(X), out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(net.attention_weights(X), weights, rtol=1e-10)
    _, grads = net.loss_and_grads(X, y, np.random.RandomState(7))
    for i, (fused, plain) in enumerate(zip(fused_grads, grads, strict=True)):
        np.testing.assert_allclose(fused, plain, rtol=1e-9, atol=1e-12, err_msg=str(i))


@pytest.mark.parametrize("positional", [None, "learned"])
def test_table_token_space_gradients_match_finite_differences(positional, numeric_grad):
    net = _network("classification", positional=positional)
    assert net.table_fused
    X = _data()
    y = np.array([0, 1, 2, 1, 0, 2])

    def loss():
        return net.loss_and_grads(X, y, np.random.RandomState(7))[0]

    _, grads = net.loss_and_grads(X, y, np.random.RandomState(7))
    grads = [g.copy() for g in grads]
    for i, (param, grad) in enumerate(zip(net.params, grads, strict=True)):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-8, err_msg=str(i)
        )
