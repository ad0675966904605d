"""Token embeddings: per-position or shared linear maps, and positions.

``"per_token"`` gives every position its own linear map (the feature
tokenizer of FT-Transformer, Gorishniy et al., 2021): order-aware.
``"shared"`` applies one map to every token: a set, permutation invariant.
An optional positional encoding is added: fixed sinusoids (Vaswani et al.,
2017) or a learned vector per position.
"""

import numpy as np

from .._nn._layers import glorot_uniform

EMBEDDINGS = ("per_token", "shared")
POSITIONAL = ("sinusoidal", "learned")


def sinusoidal_positions(n_tokens, embed_dim, dtype=np.float64):
    """Fixed encoding ``sin(t / 10000^(2i/D))``, ``cos(...)`` interleaved.

    Returns
    -------
    positions : ndarray of shape (n_tokens, embed_dim)
    """
    t = np.arange(n_tokens)[:, None]
    i = np.arange(0, embed_dim, 2)[None, :]
    angles = t / np.power(10000.0, i / embed_dim)
    out = np.zeros((n_tokens, embed_dim))
    out[:, 0::2] = np.sin(angles)
    out[:, 1::2] = np.cos(angles[:, : embed_dim // 2])
    return out.astype(dtype)


class TokenEmbedding:
    """Embed ``(n, n_tokens, token_dim)`` tokens into ``(n, n_tokens, embed_dim)``.

    Parameters
    ----------
    n_tokens, token_dim, embed_dim : int
        Shapes.
    embedding : {"per_token", "shared"}
        One linear map per position, or one for all.
    positional : {"sinusoidal", "learned"} or None
        Encoding added to the embeddings.
    rng : numpy.random.RandomState
        Source of the initial values.
    dtype : numpy dtype
        Computation dtype.

    Attributes
    ----------
    params, grads, penalized : list
        The weights ``W`` ((n_tokens,) token_dim, embed_dim), the biases and,
        when learned, the positions (n_tokens, embed_dim).
    """

    def __init__(
        self, n_tokens, token_dim, embed_dim, *, embedding, positional, rng, dtype
    ):
        if embedding not in EMBEDDINGS:
            raise ValueError(f"Unknown embedding {embedding!r}; use {EMBEDDINGS}.")
        self.embedding = embedding
        lead = (n_tokens,) if embedding == "per_token" else ()
        self.W = glorot_uniform(
            token_dim,
            embed_dim,
            activation="identity",
            rng=rng,
            dtype=dtype,
            size=lead + (token_dim, embed_dim),
        )
        # Biases start random too (as scikit-learn's MLP): distinct positions
        # of a per-token embedding differ even for equal inputs.
        self.b = glorot_uniform(
            token_dim,
            embed_dim,
            activation="identity",
            rng=rng,
            dtype=dtype,
            size=lead + (embed_dim,),
        )
        self.params = [self.W, self.b]
        self.penalized = [True, False]
        self.positions = None
        if positional == "sinusoidal":
            self.positions = sinusoidal_positions(n_tokens, embed_dim, dtype)
        elif positional == "learned":
            self.positions = (0.1 * rng.normal(size=(n_tokens, embed_dim))).astype(
                dtype
            )
            self.params.append(self.positions)
            self.penalized.append(False)
        elif positional is not None:
            raise ValueError(f"Unknown positional {positional!r}; use {POSITIONAL}.")
        self.positional = positional
        self.grads = [np.zeros_like(p) for p in self.params]

    def predict(self, tokens):
        """Embeddings of ``tokens`` (n, n_tokens, token_dim)."""
        token_dim = tokens.shape[2]
        if self.embedding == "shared":
            if token_dim == 1:
                out = tokens * self.W[0]
            else:
                out = tokens @ self.W
        elif token_dim == 1:
            out = tokens * self.W[:, 0, :]
        else:
            out = np.matmul(tokens.transpose(1, 0, 2), self.W).transpose(1, 0, 2)
        out += self.b
        if self.positions is not None:
            out += self.positions
        return out

    def forward(self, tokens):
        self._tokens = tokens
        return self.predict(tokens)

    def backward(self, dE, *, input_grad=False):
        """Fill ``grads`` from ``dE`` (n, n_tokens, embed_dim).

        The input is data, so no input gradient is returned.
        """
        tokens = self._tokens
        n, T, token_dim = tokens.shape
        D = dE.shape[2]
        if self.embedding == "shared":
            self.grads[0][...] = tokens.reshape(n * T, token_dim).T @ dE.reshape(
                n * T, D
            )
            dE.reshape(n * T, D).sum(axis=0, out=self.grads[1])
        else:
            # (T, token_dim, n) @ (T, n, D): one product per position.
            self.grads[0][...] = np.matmul(
                tokens.transpose(1, 2, 0), dE.transpose(1, 0, 2)
            )
            dE.sum(axis=0, out=self.grads[1])
        if self.positional == "learned":
            dE.sum(axis=0, out=self.grads[2])
        return None
