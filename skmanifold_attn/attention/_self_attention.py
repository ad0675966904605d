"""A pre-norm transformer block: masked multi-head self-attention and an MLP.

``H1 = H + MHSA(LN1(H)) W_o + b_o`` and ``H2 = H1 + FFN(LN2(H1))`` with
``FFN(x) = relu(x W_1 + b_1) W_2 + b_2`` of hidden width ``2 * embed_dim``
(Vaswani et al., 2017, with the layer norm placed before each sub-layer as in
Xiong et al., 2020). Padding tokens are masked out as keys; their own rows are
computed but never reach a real token.
"""

import numpy as np

from .._nn._layers import Dense, LayerNorm
from ._masked_softmax import masked_softmax, softmax_backward


class SelfAttentionBlock:
    """One transformer block over ``(n, n_tokens, embed_dim)`` tokens.

    Parameters
    ----------
    embed_dim : int
        Token width, a multiple of ``n_heads``.
    n_heads : int
        Number of heads.
    rng : numpy.random.RandomState
        Source of the initial values.
    dtype : numpy dtype
        Computation dtype.

    Attributes
    ----------
    params, grads, penalized : list
        Those of the two layer norms, the fused query/key/value projection,
        the output projection and the two feed-forward layers.
    """

    def __init__(self, embed_dim, n_heads, *, rng, dtype):
        D = embed_dim
        self.embed_dim, self.n_heads, self.head_dim = D, n_heads, D // n_heads
        self.norm1 = LayerNorm(D, dtype=dtype)
        self.qkv = Dense(D, 3 * D, rng=rng, dtype=dtype)
        self.out = Dense(D, D, rng=rng, dtype=dtype)
        self.norm2 = LayerNorm(D, dtype=dtype)
        self.ff1 = Dense(D, 2 * D, activation="relu", rng=rng, dtype=dtype)
        self.ff2 = Dense(2 * D, D, rng=rng, dtype=dtype)
        self._layers = [self.norm1, self.qkv, self.out, self.norm2, self.ff1, self.ff2]
        self.params = [p for layer in self._layers for p in layer.params]
        self.grads = [g for layer in self._layers for g in layer.grads]
        self.penalized = [f for layer in self._layers for f in layer.penalized]

    def _split(self, QKV):
        n, T, _ = QKV.shape
        H, dh = self.n_heads, self.head_dim
        # (3, n, H, T, dh): heads become a batch axis of the matrix products.
        return QKV.reshape(n, T, 3, H, dh).transpose(2, 0, 3, 1, 4)

    def _attend(self, QKV, mask):
        Q, K, V = self._split(QKV)
        scores = Q @ K.transpose(0, 1, 3, 2)
        scores *= 1 / np.sqrt(self.head_dim)
        weights = masked_softmax(
            scores, None if mask is None else mask[:, None, None, :], axis=-1
        )
        mixed = weights @ V  # (n, H, T, dh)
        n, H, T, dh = mixed.shape
        return weights, mixed.transpose(0, 2, 1, 3).reshape(n, T, H * dh)

    def forward(self, X, mask=None):
        QKV = self.qkv.forward(self.norm1.forward(X))
        self._mask = mask
        self._weights, mixed = self._attend(QKV, mask)
        self._QKV = QKV
        H1 = X + self.out.forward(mixed)
        return H1 + self.ff2.forward(self.ff1.forward(self.norm2.forward(H1)))

    def predict(self, X, mask=None):
        QKV = self.qkv.predict(self.norm1.predict(X))
        _, mixed = self._attend(QKV, mask)
        H1 = X + self.out.predict(mixed)
        return H1 + self.ff2.predict(self.ff1.predict(self.norm2.predict(H1)))

    def backward(self, dY, *, input_grad=True):
        d_H1 = dY + self.norm2.backward(self.ff1.backward(self.ff2.backward(dY.copy())))
        d_mixed = self.out.backward(d_H1.copy())
        n, T, D = d_mixed.shape
        H, dh = self.n_heads, self.head_dim
        d_mixed = d_mixed.reshape(n, T, H, dh).transpose(0, 2, 1, 3)
        Q, K, V = self._split(self._QKV)
        weights = self._weights
        d_QKV = np.empty((3, n, H, T, dh), dtype=dY.dtype)
        d_QKV[2] = weights.transpose(0, 1, 3, 2) @ d_mixed
        d_scores = softmax_backward(weights, d_mixed @ V.transpose(0, 1, 3, 2), -1)
        d_scores *= 1 / np.sqrt(dh)
        d_QKV[0] = d_scores @ K
        d_QKV[1] = d_scores.transpose(0, 1, 3, 2) @ Q
        d_QKV = d_QKV.transpose(1, 3, 0, 2, 4).reshape(n, T, 3 * D)
        return d_H1 + self.norm1.backward(self.qkv.backward(d_QKV))
