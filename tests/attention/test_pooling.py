import numpy as np
import pytest

from skmanifold_attn.attention._pooling import SCORINGS, AttentionPool


def _pool(scoring, n_seeds=2, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    return AttentionPool(8, 2, n_seeds, scoring, rng=rng, dtype=dtype)


@pytest.mark.parametrize("scoring", SCORINGS)
@pytest.mark.parametrize("with_mask", [False, True])
def test_backward_matches_finite_differences(scoring, with_mask, numeric_grad):
    rng = np.random.RandomState(1)
    pool = _pool(scoring)
    E = rng.normal(size=(3, 5, 8))
    mask = None
    if with_mask:
        mask = np.ones((3, 5), dtype=bool)
        mask[0, 2:] = False
        mask[2, :] = False
    R = rng.normal(size=(3, 16))

    def loss():
        return float(np.sum(pool.predict(E, mask) * R))

    pool.forward(E, mask)
    dE = pool.backward(R.copy())
    for name, param, grad in zip("sWbu", pool.params, pool.grads, strict=False):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-8, err_msg=name
        )
    np.testing.assert_allclose(dE, numeric_grad(loss, E), rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("scoring", SCORINGS)
def test_dot_scoring_matches_plain_formula(scoring):
    rng = np.random.RandomState(2)
    pool = _pool(scoring, n_seeds=3)
    E = rng.normal(size=(4, 6, 8))
    out = pool.forward(E)
    weights = pool.attention_weights(E)  # (n, H, S, T)
    assert weights.shape == (4, 2, 3, 6)
    np.testing.assert_allclose(weights.sum(axis=-1), 1)
    D, H, dh = 8, 2, 4
    P = E @ pool.W + pool.b
    K, V = P[..., :D], P[..., -D:]
    Q = pool.seeds
    for h in range(H):
        sl = slice(h * dh, (h + 1) * dh)
        if scoring == "dot":
            scores = np.einsum("ntd,sd->nst", K[..., sl], Q[:, sl]) / np.sqrt(dh)
        elif scoring == "gated":
            gated = np.tanh(K[..., sl]) / (1 + np.exp(-P[..., D : 2 * D][..., sl]))
            scores = np.einsum("ntd,sd->nst", gated, Q[:, sl]) / np.sqrt(dh)
        else:
            Z = np.tanh(K[:, None, :, sl] + Q[None, :, None, sl])
            scores = Z @ pool.u[h]
        expected = np.exp(scores - scores.max(-1, keepdims=True))
        expected /= expected.sum(-1, keepdims=True)
        np.testing.assert_allclose(weights[:, h], expected, rtol=1e-10)
        pooled = np.einsum("nst,ntd->nsd", expected, V[..., sl])
        np.testing.assert_allclose(out.reshape(4, 3, D)[..., sl], pooled, rtol=1e-10)


@pytest.mark.parametrize("scoring", SCORINGS)
def test_padding_pools_like_the_set_without_it(scoring):
    rng = np.random.RandomState(3)
    pool = _pool(scoring)
    E = rng.normal(size=(2, 4, 8))
    padded = np.concatenate([E, rng.normal(size=(2, 3, 8))], axis=1)
    mask = np.zeros((2, 7), dtype=bool)
    mask[:, :4] = True
    np.testing.assert_allclose(pool.predict(padded, mask), pool.predict(E), rtol=1e-12)
    mask[1] = False
    assert np.all(pool.predict(padded, mask)[1] == 0)


def test_float32_stays_float32():
    pool = _pool("additive", dtype=np.float32)
    E = np.random.RandomState(0).normal(size=(2, 3, 8)).astype(np.float32)
    out = pool.forward(E)
    assert out.dtype == np.float32
    assert pool.backward(np.ones_like(out)).dtype == np.float32
    assert all(g.dtype == np.float32 for g in pool.grads)
