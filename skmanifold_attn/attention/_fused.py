"""Token embedding and pooling projection fused into one linear map.

Without self-attention blocks the pooling's keys and values are a linear map
of a linear map of the tokens: ``P = (X W_e + b_e + pos) W + b``. Multiplying
the small weight matrices first, ``P = X (W_e W) + ((b_e + pos) W + b)``,
costs ``token_dim`` instead of ``embed_dim`` multiply-adds per output entry,
and the backward pass reduces to products of the same small shapes. The
results equal the unfused layers' up to rounding (tests check both).
"""

import numpy as np


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
