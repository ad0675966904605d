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


def _reference_block(block, X, mask):
    """The block written out term by term (one head, one row at a time)."""

    def norm(layer, Z):
        centred = Z - Z.mean(axis=-1, keepdims=True)
        std = np.sqrt((centred**2).mean(axis=-1, keepdims=True) + layer.eps)
        return centred / std * layer.gamma + layer.beta

    D, H, dh = block.embed_dim, block.n_heads, block.head_dim
    out = np.empty_like(X)
    for i, row in enumerate(X):
        QKV = norm(block.norm1, row) @ block.qkv.W + block.qkv.b
        heads = []
        for h in range(H):
            q, k, v = (QKV[:, j * D + h * dh : j * D + (h + 1) * dh] for j in range(3))
            scores = q @ k.T / np.sqrt(dh)
            scores[:, ~mask[i]] = -np.inf
            weights = np.exp(scores - scores.max(axis=1, keepdims=True))
            heads.append(weights / weights.sum(axis=1, keepdims=True) @ v)
        H1 = row + np.hstack(heads) @ block.out.W + block.out.b
        hidden = np.maximum(norm(block.norm2, H1) @ block.ff1.W + block.ff1.b, 0)
        out[i] = H1 + hidden @ block.ff2.W + block.ff2.b
    return out


def test_forward_matches_attention_written_out():
    rng = np.random.RandomState(2)
    block = SelfAttentionBlock(8, 2, rng=rng, dtype=np.float64)
    block.norm1.gamma[:] = rng.normal(size=8)
    block.norm2.beta[:] = rng.normal(size=8)
    X = rng.normal(size=(3, 5, 8))
    mask = np.ones((3, 5), dtype=bool)
    mask[1, 3:] = False
    expected = _reference_block(block, X, mask)
    np.testing.assert_allclose(block.predict(X, mask)[mask], expected[mask], rtol=1e-10)
    np.testing.assert_allclose(block.forward(X, mask)[mask], expected[mask], rtol=1e-10)
