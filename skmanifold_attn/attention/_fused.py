"""Token embedding and pooling projection fused into one linear map.

Without self-attention blocks the pooling's keys and values are a linear map
of a linear map of the tokens: ``P = (X W_e + b_e + pos) W + b``. Multiplying
the small weight matrices first, ``P = X (W_e W) + ((b_e + pos) W + b)``,
costs ``token_dim`` instead of ``embed_dim`` multiply-adds per output entry,
and the backward pass reduces to products of the same small shapes. The
results equal the unfused layers' up to rounding (tests check both).
"""

import numpy as np

from ._masked_softmax import masked_softmax


def _offsets(embed, pool):
    """Constant part of P, ``(b_e + pos) W + b``: (T, mD), or (mD,) if shared."""
    bias = embed.b if embed.positions is None else embed.b + embed.positions
    return bias @ pool.W + pool.b


def fused_projection(embed, pool, tokens):
    """Projections ``P`` (n * T, m * embed_dim) of ``tokens`` (n, T, token_dim)."""
    n, T, token_dim = tokens.shape
    weights = embed.W @ pool.W  # (token_dim, mD) or (T, token_dim, mD)
    offsets = _offsets(embed, pool)
    if embed.embedding == "shared":
        if token_dim == 1:
            P = tokens.reshape(n * T, 1) * weights[0]
        else:
            P = tokens.reshape(n * T, token_dim) @ weights
        P = P.reshape(n, T, -1)
    elif token_dim == 1:
        P = tokens * weights[:, 0, :]
    else:
        P = np.matmul(tokens.transpose(1, 0, 2), weights).transpose(1, 0, 2)
    P += offsets
    return np.ascontiguousarray(P).reshape(n * T, -1)


def fused_backward(embed, pool, tokens, dP):
    """Fill the grads of the embedding and of the pooling's ``W`` and ``b``."""
    n, T, token_dim = tokens.shape
    dP = dP.reshape(n, T, -1)
    per_position = dP.sum(axis=0)  # (T, mD)
    total = per_position.sum(axis=0)  # (mD,)
    W = pool.W
    if embed.embedding == "shared":
        # tokens^T dP, (token_dim, mD)
        inner = tokens.reshape(n * T, token_dim).T @ dP.reshape(n * T, -1)
        pool.grads[1][...] = embed.W.T @ inner
        embed.grads[0][...] = inner @ W.T
        embed.grads[1][...] = total @ W.T
        pool.grads[1] += np.outer(embed.b, total)
    else:
        if token_dim == 1:
            inner = np.einsum("nt,ntk->tk", tokens[:, :, 0], dP)[:, None, :]
        else:
            inner = np.matmul(tokens.transpose(1, 2, 0), dP.transpose(1, 0, 2))
        D = W.shape[0]
        # sum over positions of W_e[t]^T inner[t]
        pool.grads[1][...] = embed.W.reshape(T * token_dim, D).T @ inner.reshape(
            T * token_dim, -1
        )
        embed.grads[0][...] = inner @ W.T
        embed.grads[1][...] = per_position @ W.T
        pool.grads[1] += embed.b.T @ per_position
    if embed.positions is not None:
        pool.grads[1] += embed.positions.T @ per_position
        if embed.positional == "learned":
            embed.grads[2][...] = per_position @ W.T
    pool.grads[2][...] = total


def fused_dot_pool(embed, pool, tokens, mask):
    """Inference for dot scoring without ever forming the projections.

    Keys and values are affine in the tokens, so the scores are
    ``tokens (W_e W_k Q) + offsets`` and a pooled vector is the weighted sum
    of the tokens times ``W_e W_v`` plus the weighted value offsets: every
    product has ``token_dim`` (not ``embed_dim``) inner terms. Scores are laid
    out (n, H * S, T), tokens last, for fast reductions.

    Returns
    -------
    pooled : ndarray of shape (n, n_seeds * embed_dim)
    weights : ndarray of shape (n, n_heads * n_seeds, T)
    """
    n, T, token_dim = tokens.shape
    D, S = pool.embed_dim, pool.n_seeds
    block = pool.query_block()  # (D, H * S)
    key_map = embed.W @ (pool.W[:, :D] @ block)  # ((T,) token_dim, H * S)
    value_map = embed.W @ pool.W[:, -D:]  # ((T,) token_dim, D)
    offsets = _offsets(embed, pool)  # (T, mD) or (mD,)
    shared = embed.embedding == "shared"
    tokens_last = tokens.transpose(0, 2, 1)  # (n, token_dim, T)
    if token_dim == 1:
        scores = (key_map[0][:, None] if shared else key_map[:, 0, :].T) * tokens_last
    elif shared:
        scores = key_map.T @ tokens_last
    else:
        scores = np.einsum("ntd,tdk->nkt", tokens, key_map)
    if offsets.ndim == 2:
        # Per-position key offsets; a constant per query would shift nothing.
        scores += (offsets[:, :D] @ block).T
    weights = masked_softmax(scores, None if mask is None else mask[:, None, :], -1)

    # All heads' weights times all values, (n, H * S, D); each head's own
    # block is kept by head_blocks.
    if shared:
        summed = weights @ tokens  # (n, H * S, token_dim)
        mixed = summed * value_map[0] if token_dim == 1 else summed @ value_map
    else:
        weighted = weights[:, :, :, None] * tokens[:, None, :, :]
        mixed = (
            weighted.reshape(-1, T * token_dim) @ value_map.reshape(T * token_dim, D)
        ).reshape(n, -1, D)
    if offsets.ndim == 2:
        mixed += weights @ offsets[:, -D:]
    out = pool.head_blocks(mixed)
    if offsets.ndim == 1:
        if mask is None:
            out += np.tile(offsets[-D:], S)
        else:
            # The weights of a row sum to 1, or to 0 when it has no token.
            out += mask.any(axis=1)[:, None] * np.tile(offsets[-D:], S)
    return out, weights
