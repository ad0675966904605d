"""Adam of the shared core against its formula, step by step."""

import numpy as np
import pytest

from skmanifold_attn._nn._optim import Adam


def test_adam_matches_formula_step_by_step():
    rng = np.random.RandomState(0)
    params = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    reference = [p.copy() for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, b1, b2, eps = 0.01, 0.8, 0.99, 1e-6
    adam = Adam(params, learning_rate_init=lr, beta_1=b1, beta_2=b2, epsilon=eps)
    for t in range(1, 6):
        grads = [rng.normal(size=p.shape) for p in params]
        adam.update_params(grads)
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g**2
            step = lr * np.sqrt(1 - b2**t) / (1 - b1**t)
            reference[i] = reference[i] - step * m[i] / (np.sqrt(v[i]) + eps)
        for p, r in zip(params, reference, strict=True):
            np.testing.assert_allclose(p, r, rtol=1e-12)
    assert adam.t == 5


def test_adam_defaults_are_sklearn_mlp_defaults():
    adam = Adam([np.zeros(2)])
    assert (adam.learning_rate_init, adam.beta_1, adam.beta_2, adam.epsilon) == (
        1e-3,
        0.9,
        0.999,
        1e-8,
    )


def test_adam_first_step_has_size_learning_rate():
    # After one step m / sqrt(v) = sign(g) (bias-corrected), so |step| = lr.
    param = np.zeros(3)
    Adam([param], learning_rate_init=0.1).update_params([np.array([2.0, -3.0, 0.5])])
    np.testing.assert_allclose(param, [-0.1, 0.1, -0.1], rtol=1e-6)


def test_adam_updates_in_place_and_keeps_float32():
    param = np.ones(4, dtype=np.float32)
    adam = Adam([param])
    adam.update_params([np.full(4, 0.5, dtype=np.float32)])
    assert adam.params[0] is param
    assert param.dtype == np.float32
    assert all(m.dtype == np.float32 for m in adam.ms + adam.vs)
    assert np.all(param < 1)


def test_adam_rejects_misaligned_grads():
    adam = Adam([np.zeros(2), np.zeros(3)])
    with pytest.raises(ValueError):
        adam.update_params([np.zeros(2)])


def test_adam_moments_are_views_of_flat_buffers_and_mixed_shapes_work():
    rng = np.random.RandomState(1)
    params = [rng.normal(size=(2, 3)), rng.normal(size=()), rng.normal(size=5)]
    before = [p.copy() for p in params]
    adam = Adam(params, learning_rate_init=0.1)
    adam.update_params([np.ones_like(p) for p in params])
    for p, b, m in zip(params, before, adam.ms, strict=True):
        assert m.shape == p.shape
        np.testing.assert_allclose(m, 0.1)  # (1 - beta_1) * g
        np.testing.assert_allclose(p, b - 0.1, rtol=1e-6)
    with pytest.raises(ValueError):
        adam.update_params([np.ones((2, 3)), np.ones(()), np.ones(4)])
    assert adam.t == 1
