import numpy as np

from skmanifold_attn.attention._self_attention import SelfAttentionBlock


def test_backward_matches_finite_differences(numeric_grad):
    rng = np.random.RandomState(0)
    block = SelfAttentionBlock(6, 2, rng=rng, dtype=np.float64)
    X = rng.normal(size=(2, 4, 6))
    mask = np.array([[True, True, False, True], [True, True, True, True]])
    R = rng.normal(size=X.shape)
    R[0, 2] = 0  # a padding row's output is never used

    def loss():
        return float(np.sum(block.predict(X, mask) * R))

    block.forward(X, mask)
    dX = block.backward(R.copy())
    for param, grad in zip(block.params, block.grads, strict=True):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-7
        )
    np.testing.assert_allclose(dX, numeric_grad(loss, X), rtol=1e-5, atol=1e-7)


def test_padding_does_not_reach_real_tokens():
    rng = np.random.RandomState(1)
    block = SelfAttentionBlock(4, 2, rng=rng, dtype=np.float64)
    X = rng.normal(size=(1, 3, 4))
    padded = np.concatenate([X, 100 * rng.normal(size=(1, 2, 4))], axis=1)
    mask = np.array([[True, True, True, False, False]])
    np.testing.assert_allclose(
        block.predict(padded, mask)[:, :3], block.predict(X), rtol=1e-12
    )
