import numpy as np
import pytest

from skmanifold_attn.attention._embedding import TokenEmbedding, sinusoidal_positions


@pytest.mark.parametrize("embedding", ["per_token", "shared"])
@pytest.mark.parametrize("positional", [None, "sinusoidal", "learned"])
@pytest.mark.parametrize("token_dim", [1, 3])
def test_backward_matches_finite_differences(
    embedding, positional, token_dim, numeric_grad
):
    rng = np.random.RandomState(0)
    emb = TokenEmbedding(
        4,
        token_dim,
        6,
        embedding=embedding,
        positional=positional,
        rng=rng,
        dtype=np.float64,
    )
    tokens = rng.normal(size=(5, 4, token_dim))
    R = rng.normal(size=(5, 4, 6))

    def loss():
        return float(np.sum(emb.predict(tokens) * R))

    emb.forward(tokens)
    emb.backward(R.copy())
    for param, grad in zip(emb.params, emb.grads, strict=True):
        np.testing.assert_allclose(grad, numeric_grad(loss, param), rtol=1e-6)


def test_per_token_and_shared_formulas():
    rng = np.random.RandomState(1)
    tokens = rng.normal(size=(2, 3, 2))
    per = TokenEmbedding(
        3, 2, 4, embedding="per_token", positional=None, rng=rng, dtype=np.float64
    )
    expected = np.stack([tokens[:, t] @ per.W[t] + per.b[t] for t in range(3)], 1)
    np.testing.assert_allclose(per.predict(tokens), expected)
    shared = TokenEmbedding(
        3, 2, 4, embedding="shared", positional="sinusoidal", rng=rng, dtype=np.float64
    )
    expected = tokens @ shared.W + shared.b + sinusoidal_positions(3, 4)
    np.testing.assert_allclose(shared.predict(tokens), expected)


def test_sinusoidal_positions():
    P = sinusoidal_positions(5, 6)
    assert P.shape == (5, 6)
    np.testing.assert_allclose(P[:, 0], np.sin(np.arange(5)))
    np.testing.assert_allclose(P[:, 1], np.cos(np.arange(5)))
    np.testing.assert_allclose(P[:, 2], np.sin(np.arange(5) / 10000 ** (2 / 6)))
    assert sinusoidal_positions(3, 5).shape == (3, 5)
