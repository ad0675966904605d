"""Layers of the shared core: every backward pass against finite differences."""

import numpy as np
import pytest

from skmanifold_attn._nn._layers import (
    ACTIVATIONS,
    Dense,
    LayerNorm,
    NormedDense,
    activate,
    glorot_uniform,
    mlp,
)
from skmanifold_attn._nn._losses import (
    log_softmax,
    softmax,
    softmax_cross_entropy,
    squared_error,
)
from skmanifold_attn.utils._testing import numeric_grad


def _check_layer(layer, X, rng):
    """Loss sum(forward(X) * R): analytic grads of params and input vs numeric."""
    out = layer.forward(X)
    R = rng.normal(size=out.shape)

    def loss():
        return float(np.sum(layer.predict(X) * R))

    layer.forward(X)
    dX = layer.backward(R.copy())
    for param, grad in zip(layer.params, layer.grads, strict=True):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-7
        )
    np.testing.assert_allclose(dX, numeric_grad(loss, X), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 2, 4)])
def test_dense_backward_matches_finite_differences(activation, shape):
    rng = np.random.RandomState(0)
    layer = Dense(4, 3, activation=activation, rng=rng)
    # Keep relu inputs away from the kink at 0 where differences are wrong.
    X = rng.normal(size=shape) + 0.05
    _check_layer(layer, X, rng)


def test_layer_norm_backward_matches_finite_differences():
    rng = np.random.RandomState(1)
    layer = LayerNorm(5)
    layer.gamma[:] = rng.normal(size=5)
    layer.beta[:] = rng.normal(size=5)
    _check_layer(layer, rng.normal(size=(2, 3, 5)), rng)


@pytest.mark.parametrize("activation", ["identity", "relu"])
@pytest.mark.parametrize("block", [None, 2])
def test_normed_dense_backward_matches_finite_differences(activation, block):
    rng = np.random.RandomState(2)
    norm, dense = LayerNorm(5), Dense(5, 4, activation=activation, rng=rng)
    norm.gamma[:] = rng.normal(size=5)
    norm.beta[:] = rng.normal(size=5)
    layer = NormedDense(norm, dense, block=block)
    X = rng.normal(size=(2, 3, 5))
    out = layer.forward(X)
    R = rng.normal(size=out.shape)

    def loss():
        return float(np.sum(layer.predict(X) * R))

    dX = layer.backward(R.copy())
    for param, grad in zip(
        norm.params + dense.params, norm.grads + dense.grads, strict=True
    ):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-7
        )
    np.testing.assert_allclose(dX, numeric_grad(loss, X), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("block", [None, 2])
def test_normed_dense_equals_the_two_layers(block):
    rng = np.random.RandomState(3)
    norm, dense = LayerNorm(6), Dense(6, 4, activation="relu", rng=rng)
    norm.gamma[:] = rng.normal(size=6)
    norm.beta[:] = rng.normal(size=6)
    X = rng.normal(size=(7, 6))
    expected = dense.predict(norm.predict(X))
    out = NormedDense(norm, dense, block=block).predict(X)
    if block is not None:  # (n_out / block, rows, block), block-major
        assert out.shape == (2, 7, 2)
        out = out.transpose(1, 0, 2).reshape(7, 4)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_layer_norm_output_is_normalised():
    X = np.random.RandomState(0).normal(3, 5, size=(10, 8))
    Y = LayerNorm(8).forward(X)
    np.testing.assert_allclose(Y.mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Y.std(axis=1), 1, rtol=1e-4)


def test_mlp_backward_matches_finite_differences():
    rng = np.random.RandomState(2)
    net = mlp(
        [4, 6, 5, 2],
        activation="tanh",
        out_activation="logistic",
        rng=rng,
        dtype=np.float64,
    )
    assert len(net.params) == len(net.grads) == len(net.penalized) == 6
    assert net.penalized == [True, False] * 3
    _check_layer(net, rng.normal(size=(7, 4)), rng)


def test_glorot_bounds_follow_sklearn():
    rng = np.random.RandomState(0)
    W = glorot_uniform(30, 20, activation="relu", rng=rng, dtype=np.float64)
    assert np.abs(W).max() <= np.sqrt(6 / 50)
    assert np.abs(W).max() > 0.9 * np.sqrt(6 / 50)
    W = glorot_uniform(30, 20, activation="logistic", rng=rng, dtype=np.float64)
    assert np.abs(W).max() <= np.sqrt(2 / 50)
    assert np.abs(W).max() > 0.9 * np.sqrt(2 / 50)


def test_activations_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(activate("relu", z.copy()), [0, 0, 3])
    np.testing.assert_allclose(activate("tanh", z.copy()), np.tanh(z))
    np.testing.assert_allclose(activate("logistic", z.copy()), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(activate("identity", z.copy()), z)
    with np.errstate(over="raise"):
        assert activate("logistic", np.array([-1000.0]))[0] == 0.0
    with pytest.raises(ValueError, match="Unknown activation"):
        activate("swish", z.copy())


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_preserve_dtype(dtype):
    rng = np.random.RandomState(0)
    net = mlp([4, 8, 3], activation="relu", rng=rng, dtype=dtype)
    X = rng.normal(size=(6, 4)).astype(dtype)
    out = net.forward(X)
    dX = net.backward(np.ones_like(out))
    assert out.dtype == dtype and dX.dtype == dtype
    assert all(g.dtype == dtype for g in net.grads)
    norm = LayerNorm(4, dtype=dtype)
    assert norm.forward(X).dtype == dtype
    assert norm.backward(np.ones_like(X)).dtype == dtype


def test_softmax_cross_entropy_gradient():
    rng = np.random.RandomState(3)
    logits = rng.normal(size=(6, 4))
    y = rng.randint(4, size=6)
    loss, grad = softmax_cross_entropy(logits.copy(), y)
    expected = -np.mean(np.log(softmax(logits))[np.arange(6), y])
    assert loss == pytest.approx(expected)
    numeric = numeric_grad(lambda: softmax_cross_entropy(logits, y)[0], logits)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    np.testing.assert_allclose(log_softmax(logits + 1000), np.log(softmax(logits)))


def test_squared_error_gradient():
    rng = np.random.RandomState(4)
    pred, target = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    loss, grad = squared_error(pred.copy(), target)
    assert loss == pytest.approx(0.5 * np.sum((pred - target) ** 2) / 5)
    numeric = numeric_grad(lambda: squared_error(pred, target)[0], pred)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6)
