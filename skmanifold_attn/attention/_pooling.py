"""Pooling by multi-head attention (PMA, Set Transformer) with three scorings.

``n_seeds`` learned query vectors attend over the tokens of each row with
``n_heads`` heads. For head ``h`` with width ``d_h = embed_dim / n_heads``,
keys ``K = E W_k + b_k`` and values ``V = E W_v + b_v`` of the token
embeddings ``E``, the score of seed ``s`` for token ``t`` is

- ``"dot"``: ``q_s . k_t / sqrt(d_h)`` (scaled dot product);
- ``"additive"``: ``u_h . tanh(q_s + k_t)`` (Bahdanau et al., 2015);
- ``"gated"``: ``q_s . (tanh(k_t) * sigmoid(g_t)) / sqrt(d_h)`` with a gate
  ``g = E W_g + b_g`` (gated attention, Ilse et al., 2018);

the weights are the masked softmax over tokens and the output of the seed is
the concatenation over heads of ``sum_t a_t v_t``, of width ``embed_dim``.

Dot scoring is computed in embedding space (see :meth:`AttentionPool._dot_pool`):
keys and values are never formed.
"""

import numpy as np

from .._nn._layers import glorot_uniform
from ._masked_softmax import max_over_axis, softmax_backward

SCORINGS = ("dot", "additive", "gated")


def _sigmoid(Z):
    out = np.negative(Z)
    np.exp(out, out=out)
    out += 1
    return np.reciprocal(out, out=out)


def token_softmax(scores, mask):
    """Masked softmax over the tokens of scores (n, T, k); returns (n, k, T).

    The maximum is taken in the (n, T, k) layout (contiguous halves), the
    sums in the transposed one (tokens last).
    """
    if mask is not None:
        np.copyto(scores, np.finfo(scores.dtype).min / 2, where=~mask[:, :, None])
    scores -= max_over_axis(scores, 1)
    np.exp(scores, out=scores)
    weights = np.ascontiguousarray(scores.transpose(0, 2, 1))
    if mask is not None:
        weights *= mask[:, None, :]
    total = weights.sum(axis=2, keepdims=True)
    if mask is not None:
        total[total == 0] = 1
    weights /= total
    return weights


class AttentionPool:
    """Multi-head attention pooling of ``(n, n_tokens, embed_dim)`` tokens.

    Parameters
    ----------
    embed_dim : int
        Token width, a multiple of ``n_heads``.
    n_heads : int
        Number of heads.
    n_seeds : int
        Number of learned queries; the output has ``n_seeds * embed_dim``
        columns, seed-major.
    scoring : {"dot", "additive", "gated"}
        Score function.
    rng : numpy.random.RandomState
        Source of the initial values.
    dtype : numpy dtype
        Computation dtype.

    Attributes
    ----------
    params, grads, penalized : list
        ``seeds`` (n_seeds, embed_dim), the fused projection ``W`` of shape
        ``(embed_dim, m * embed_dim)`` (keys[, gates], values), its bias, and
        for ``"additive"`` the score vectors ``u`` (n_heads, d_h).
    """

    def __init__(self, embed_dim, n_heads, n_seeds, scoring, *, rng, dtype):
        if scoring not in SCORINGS:
            raise ValueError(f"Unknown scoring {scoring!r}; use one of {SCORINGS}.")
        D, H, S = embed_dim, n_heads, n_seeds
        self.embed_dim, self.n_heads, self.n_seeds, self.scoring = D, H, S, scoring
        self.head_dim = D // H
        n_proj = 3 if scoring == "gated" else 2
        self.seeds = rng.normal(size=(S, D)).astype(dtype)
        self.W = np.concatenate(
            [
                glorot_uniform(D, D, activation="tanh", rng=rng, dtype=dtype)
                for _ in range(n_proj)
            ],
            axis=1,
        )
        self.b = np.zeros(n_proj * D, dtype=dtype)
        self.params = [self.seeds, self.W, self.b]
        self.penalized = [False, True, False]
        if scoring == "additive":
            self.u = glorot_uniform(
                self.head_dim,
                1,
                activation="tanh",
                rng=rng,
                dtype=dtype,
                size=(H, self.head_dim),
            )
            self.params.append(self.u)
            self.penalized.append(True)
        self.grads = [np.zeros_like(p) for p in self.params]
        # Block-diagonal layout of the queries: the scores of all heads and
        # seeds come from ONE matrix product keys @ Q_block of shape
        # (n * n_tokens, n_heads * n_seeds). Entry (h*d_h + d, h*S + s) holds
        # seeds[s, h*d_h + d]; these index arrays list them in (h, d, s) order.
        h, d, s = np.meshgrid(
            np.arange(H), np.arange(self.head_dim), np.arange(S), indexing="ij"
        )
        self._block_rows = (h * self.head_dim + d).ravel()
        self._block_cols = (h * S + s).ravel()

    def query_block(self):
        D, H, S, dh = self.embed_dim, self.n_heads, self.n_seeds, self.head_dim
        block = np.zeros((D, H * S), dtype=self.seeds.dtype)
        values = self.seeds.reshape(S, H, dh).transpose(1, 2, 0).ravel()
        block[self._block_rows, self._block_cols] = values / np.sqrt(dh)
        return block

    def _seeds_from_block(self, d_block):
        S, H, dh = self.n_seeds, self.n_heads, self.head_dim
        values = d_block[self._block_rows, self._block_cols] / np.sqrt(dh)
        return values.reshape(H, dh, S).transpose(2, 0, 1).reshape(S, H * dh)

    def _scores(self, P, n, T):
        """Scores (n * T, H * S) from the projections, and what backward needs."""
        D, H, S, dh = self.embed_dim, self.n_heads, self.n_seeds, self.head_dim
        K = P[:, :D]
        cache = {}
        if self.scoring == "additive":
            queries = self.seeds.reshape(S, H, dh).transpose(1, 0, 2)
            Z = K.reshape(n, T, H, 1, dh) + queries
            np.tanh(Z, out=Z)
            scores = np.einsum("nthsd,hd->nths", Z, self.u)
            cache["Z"] = Z
            return scores.reshape(n * T, H * S), cache
        if self.scoring == "gated":
            tanh_k = np.tanh(K)
            gate = _sigmoid(P[:, D : 2 * D])
            K = tanh_k * gate
            cache["tanh_k"], cache["gate"] = tanh_k, gate
        block = self.query_block()
        cache["keys"], cache["block"] = K, block
        return K @ block, cache

    def project(self, E):
        """Projections ``E W + b`` of shape (n * T, m * embed_dim)."""
        n, T, D = E.shape
        P = E.reshape(n * T, D) @ self.W
        P += self.b
        return P

    def _weights(self, P, mask, n, T):
        """Weights (n, H * S, T) (tokens last: fast sums and products)."""
        scores, cache = self._scores(P, n, T)
        return token_softmax(scores.reshape(n, T, -1), mask), cache

    def _pool(self, weights, P, n, T):
        # One batched product for all heads, (H * S, T) @ (T, D) per row; the
        # blocks where a head's weights meet its own values are the output.
        values = P[:, -self.embed_dim :].reshape(n, T, self.embed_dim)
        return self.head_blocks(weights @ values)

    def head_blocks(self, mixed):
        """Output (n, S * D) from the all-heads product (n, H * S, D)."""
        H, S, dh = self.n_heads, self.n_seeds, self.head_dim
        n = mixed.shape[0]
        out = np.diagonal(mixed.reshape(n, H, S, H, dh), axis1=1, axis2=3)
        out = out.transpose(0, 1, 3, 2).reshape(n, S * H * dh)
        # With one head the reshape is a (read-only) view of the diagonal.
        return out if out.flags.writeable else out.copy()

    # -- dot scoring in embedding space -----------------------------------
    # Dot scores are E (W_k B) plus a per-seed constant (b_k B) that cancels
    # in the softmax, and the weights sum to 1 (or 0 for a row of padding),
    # so a seed's output is (sum_t a_t E_t) W_v + b_v: neither keys nor
    # values are formed. Per row this takes T * D * H * S multiply-adds for
    # the scores and as many for the weighted sum, against T * D * 2 * D for
    # the projections, and equals the projected computation up to rounding.
    def _dot_weights(self, E, mask):
        n, T, D = E.shape
        key_scores = self.W[:, :D] @ self.query_block()  # (D, H * S)
        scores = (E.reshape(n * T, D) @ key_scores).reshape(n, T, -1)
        return token_softmax(scores, mask), key_scores

    def _dot_pool(self, E, mask, keep):
        n, T, D = E.shape
        H, S, dh = self.n_heads, self.n_seeds, self.head_dim
        weights, key_scores = self._dot_weights(E, mask)  # (n, H * S, T)
        summed = weights @ E  # (n, H * S, D)
        # Head h's seeds times head h's slice of W_v: (H, n * S, D) @ (H, D, dh).
        by_head = summed.reshape(n, H, S, D).transpose(1, 0, 2, 3).reshape(H, -1, D)
        W_v = self.W[:, D:].reshape(D, H, dh).transpose(1, 0, 2)
        out = (by_head @ W_v).reshape(H, n, S, dh).transpose(1, 2, 0, 3)
        has_tokens = None if mask is None else mask.any(axis=1)[:, None, None, None]
        b_v = self.b[D:].reshape(H, dh)
        out = out + (b_v if has_tokens is None else has_tokens * b_v)
        if keep:
            self._E, self._A = E, weights
            self._cache = dict(
                key_scores=key_scores, by_head=by_head, has_tokens=has_tokens
            )
        return out.reshape(n, S * D)

    def _dot_backward(self, d_out, input_grad):
        E, weights, cache = self._E, self._A, self._cache
        n, T, D = E.shape
        H, S, dh = self.n_heads, self.n_seeds, self.head_dim
        d_out = d_out.reshape(n, S, H, dh)
        has_tokens = cache["has_tokens"]
        d_rows = d_out if has_tokens is None else d_out * has_tokens
        self.grads[2][D:] = d_rows.sum(axis=(0, 1)).reshape(D)
        self.grads[2][:D] = 0  # the key bias cancels in the softmax
        d_by_head = d_out.transpose(2, 0, 1, 3).reshape(H, n * S, dh)
        W_v = self.W[:, D:].reshape(D, H, dh).transpose(1, 0, 2)
        # (H, D, dh) per head; laid out as W_v's columns h * dh + d.
        d_W_v = cache["by_head"].transpose(0, 2, 1) @ d_by_head
        self.grads[1][:, D:] = d_W_v.transpose(1, 0, 2).reshape(D, D)
        d_summed = (d_by_head @ W_v.transpose(0, 2, 1)).reshape(H, n, S, D)
        d_summed = d_summed.transpose(1, 0, 2, 3).reshape(n, H * S, D)
        d_weights = d_summed @ E.transpose(0, 2, 1)  # (n, H * S, T)
        d_scores = softmax_backward(weights, d_weights, axis=2)
        d_scores = np.ascontiguousarray(d_scores.transpose(0, 2, 1))  # (n, T, HS)
        d_scores2 = d_scores.reshape(n * T, -1)
        d_key_scores = E.reshape(n * T, D).T @ d_scores2  # (D, H * S)
        block = self.query_block()
        self.grads[1][:, :D] = d_key_scores @ block.T
        self.grads[0][...] = self._seeds_from_block(self.W[:, :D].T @ d_key_scores)
        if not input_grad:
            return None
        dE = weights.transpose(0, 2, 1) @ d_summed  # (n, T, D)
        dE += (d_scores2 @ cache["key_scores"].T).reshape(n, T, D)
        return dE

    def forward_projected(self, P, mask, n, T):
        """Pool from the projections (see :meth:`project`), remembering."""
        weights, cache = self._weights(P, mask, n, T)
        self._P, self._A, self._cache, self._shape = P, weights, cache, (n, T)
        return self._pool(weights, P, n, T)

    def forward(self, E, mask=None):
        """Pool ``E`` (n, T, embed_dim); ``mask`` (n, T) True for real tokens."""
        if self.scoring == "dot":
            return self._dot_pool(E, mask, keep=True)
        n, T, _ = E.shape
        self._E = E
        return self.forward_projected(self.project(E), mask, n, T)

    def predict_projected(self, P, mask, n, T):
        """Pool from the projections without remembering anything."""
        return self._pool(self._weights(P, mask, n, T)[0], P, n, T)

    def predict(self, E, mask=None):
        """Forward pass without remembering anything."""
        if self.scoring == "dot":
            return self._dot_pool(E, mask, keep=False)
        n, T, _ = E.shape
        return self.predict_projected(self.project(E), mask, n, T)

    def attention_weights_projected(self, P, mask, n, T):
        """Weights (n, n_heads, n_seeds, n_tokens) from the projections."""
        weights = self._weights(P, mask, n, T)[0]
        return weights.reshape(n, self.n_heads, self.n_seeds, T)

    def attention_weights(self, E, mask=None):
        """Weights of shape (n, n_heads, n_seeds, n_tokens)."""
        n, T, _ = E.shape
        if self.scoring == "dot":
            weights = self._dot_weights(E, mask)[0]
            return weights.reshape(n, self.n_heads, self.n_seeds, T)
        return self.attention_weights_projected(self.project(E), mask, n, T)

    def backward_projected(self, d_out):
        """Gradient of the projections; fills the seeds' (and ``u``'s) grads.

        Returns ``dP`` of shape (n * T, m * embed_dim); the grads of ``W`` and
        ``b`` are left to the caller (:meth:`backward` or a fused embedding).
        """
        P, A, cache = self._P, self._A, self._cache
        (n, T), D = self._shape, self.embed_dim
        H, S, dh = self.n_heads, self.n_seeds, self.head_dim
        # Scatter d_out on the diagonal blocks (head h's seeds x head h's
        # values): the products below then give dA and dV in one go each.
        d_block_out = np.zeros((n, H, S, H, dh), dtype=d_out.dtype)
        d_out = d_out.reshape(n, S, H, dh)
        for h in range(H):
            d_block_out[:, h, :, h, :] = d_out[:, :, h, :]
        d_block_out = d_block_out.reshape(n, H * S, D)
        values = P[:, -D:].reshape(n, T, D)
        dP = np.empty_like(P)
        dP[:, -D:] = (A.transpose(0, 2, 1) @ d_block_out).reshape(n * T, D)
        dA = d_block_out @ values.transpose(0, 2, 1)
        d_scores = softmax_backward(A, dA, axis=2)
        d_scores2 = np.ascontiguousarray(d_scores.transpose(0, 2, 1)).reshape(
            n * T, H * S
        )

        if self.scoring == "additive":
            Z = cache["Z"]
            d_scores4 = d_scores2.reshape(n, T, H, S)
            self.grads[3][...] = np.einsum("nths,nthsd->hd", d_scores4, Z)
            dZ = d_scores4[..., None] * self.u[:, None, :]
            dZ *= 1 - Z * Z
            dP[:, :D] = dZ.sum(axis=3).reshape(n * T, D)
            d_queries = dZ.sum(axis=(0, 1))  # (H, S, dh)
            self.grads[0][...] = d_queries.transpose(1, 0, 2).reshape(S, D)
            return dP
        d_block = cache["keys"].T @ d_scores2
        self.grads[0][...] = self._seeds_from_block(d_block)
        d_keys = d_scores2 @ cache["block"].T
        if self.scoring == "gated":
            tanh_k, gate = cache["tanh_k"], cache["gate"]
            dP[:, D : 2 * D] = d_keys * tanh_k * gate * (1 - gate)
            d_keys *= gate
            d_keys *= 1 - tanh_k * tanh_k
        dP[:, :D] = d_keys
        return dP

    def backward(self, d_out, *, input_grad=True):
        """Fill ``grads`` from ``d_out`` (n, n_seeds * embed_dim); return dE."""
        if self.scoring == "dot":
            return self._dot_backward(d_out, input_grad)
        dP = self.backward_projected(d_out)
        E = self._E
        n, T, D = E.shape
        np.dot(E.reshape(n * T, D).T, dP, out=self.grads[1])
        dP.sum(axis=0, out=self.grads[2])
        if not input_grad:
            return None
        return (dP @ self.W.T).reshape(n, T, D)
