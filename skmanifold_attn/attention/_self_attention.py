"""A pre-norm transformer block: masked multi-head self-attention and an MLP.

``H1 = H + MHSA(LN1(H)) W_o + b_o`` and ``H2 = H1 + FFN(LN2(H1))`` with
``FFN(x) = relu(x W_1 + b_1) W_2 + b_2`` of hidden width ``2 * embed_dim``
(Vaswani et al., 2017, with the layer norm placed before each sub-layer as in
Xiong et al., 2020). Padding tokens are masked out as keys; their own rows are
computed but never reach a real token.
"""

import numpy as np

from .._nn._layers import Dense, LayerNorm, NormedDense
from ._masked_softmax import max_over_axis, sum_over_axis


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
        # Each layer norm is folded into the dense layer that follows it.
        # Queries, keys and values come out head-major, (3 * H, rows, d_h):
        # the per-head products then run on contiguous matrices.
        self._normed_qkv = NormedDense(self.norm1, self.qkv, block=self.head_dim)
        self._normed_ff1 = NormedDense(self.norm2, self.ff1)
        self.params = [p for layer in self._layers for p in layer.params]
        self.grads = [g for layer in self._layers for g in layer.grads]
        self.penalized = [f for layer in self._layers for f in layer.penalized]

    def _split(self, QKV, n, T):
        """Q, K, V of shape (H, n, T, d_h) from the head-major projections."""
        return QKV.reshape(3, self.n_heads, n, T, self.head_dim)

    def _attend(self, QKV, mask, n, T):
        """Mixed values (n, T, D) and what the backward pass needs.

        The scores are laid out (H, n, keys, queries): the softmax then
        reduces over the second-to-last axis, halves of contiguous rows that
        vectorise, where a reduction over a short last axis does not. The
        ``1 / sqrt(d_h)`` scale is applied to the queries (a third of the
        size of the scores), and the softmax's division to the mixed values
        (a ``d_h / T`` share of it): ``exp_scores`` are the unnormalised
        weights and ``totals`` (H, n, 1, queries) their sums over the keys.
        """
        Q, K, V = self._split(QKV, n, T)
        Q *= 1 / np.sqrt(self.head_dim)
        scores = K @ Q.transpose(0, 1, 3, 2)  # (H, n, T_keys, T_queries)
        if mask is not None:
            keys = mask[None, :, :, None]
            # Masked scores must not set the maximum (real weights could
            # underflow); a row of padding only gets finite values.
            np.copyto(scores, np.finfo(scores.dtype).min / 2, where=~keys)
        scores -= max_over_axis(scores, -2)
        exp_scores = np.exp(scores, out=scores)
        if mask is not None:
            exp_scores *= keys
        totals = sum_over_axis(exp_scores, -2)
        if mask is not None:
            totals[totals == 0] = 1  # a row of padding pools to zeros
        by_head = exp_scores.transpose(0, 1, 3, 2) @ V  # (H, n, T, d_h)
        by_head /= totals.transpose(0, 1, 3, 2)
        mixed = by_head.transpose(1, 2, 0, 3).reshape(n, T, self.embed_dim)
        return mixed, (exp_scores, totals)

    def forward(self, X, mask=None):
        n, T, _ = X.shape
        QKV = self._normed_qkv.forward(X)
        self._mask = mask
        mixed, self._cache = self._attend(QKV, mask, n, T)
        self._QKV = QKV
        H1 = self.out.forward(mixed)
        H1 += X
        out = self.ff2.forward(self._normed_ff1.forward(H1))
        out += H1
        return out

    def predict(self, X, mask=None):
        n, T, _ = X.shape
        mixed, _ = self._attend(self._normed_qkv.predict(X), mask, n, T)
        H1 = self.out.predict(mixed)
        H1 += X
        out = self.ff2.predict(self._normed_ff1.predict(H1))
        out += H1
        return out

    def backward(self, dY, *, input_grad=True):
        # ff2 and out have no activation: their backward leaves dA unchanged.
        d_H1 = self._normed_ff1.backward(self.ff2.backward(dY))
        d_H1 += dY
        self.out.backward(d_H1, input_grad=False)
        n, T, D = d_H1.shape
        H, dh = self.n_heads, self.head_dim
        # The mixed values' gradient per head, (H, n * T, d_h), contiguous.
        W_out = self.out.W.reshape(H, dh, D).transpose(0, 2, 1)
        d_mixed = (d_H1.reshape(n * T, D) @ W_out).reshape(H, n, T, dh)
        Q, K, V = self._split(self._QKV, n, T)  # Q scaled by 1 / sqrt(dh)
        exp_scores, totals = self._cache
        # With weights w = e / t (per query): dV = w g_t = e (g / t), and
        # d_scores = w (dw - sum_k w dw) = e (u - sum_k(e u) / t), u = V (g / t)^T.
        g = d_mixed
        g /= totals.transpose(0, 1, 3, 2)
        d_QKV = np.empty((3, H, n, T, dh), dtype=dY.dtype)
        d_Q, d_K, d_V = d_QKV
        np.matmul(exp_scores, g, out=d_V)
        u = V @ g.transpose(0, 1, 3, 2)  # (H, n, keys, queries)
        inner = sum_over_axis(exp_scores * u, -2)
        inner /= totals
        u -= inner
        u *= exp_scores  # d_scores
        np.matmul(u.transpose(0, 1, 3, 2), K, out=d_Q)
        d_Q *= 1 / np.sqrt(dh)
        np.matmul(u, Q, out=d_K)
        d_X = self._normed_qkv.backward(d_QKV.reshape(3 * H, n * T, dh))
        d_X += d_H1
        return d_X
