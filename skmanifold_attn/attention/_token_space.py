"""Dot-scoring attention pooling computed in token space.

Without self-attention blocks, keys and values are affine maps of the tokens:
``K = X (W_e W_k) + (b_e + pos) W_k + b_k`` and likewise ``V``. For dot
scoring every product can then be taken against the small composite maps
``W_e W_k Q`` and ``W_e W_v``, with ``token_dim`` inner terms instead of
``embed_dim``, and the (n, T, embed_dim) key and value arrays are never
formed, neither in the forward nor in the backward pass. Results equal the
layer-by-layer computation up to rounding (tests check both, and the
gradients against finite differences).
"""

import numpy as np

from ._masked_softmax import masked_softmax, max_over_axis, softmax_backward


def _min_over_last(x):
    return -max_over_axis(-x, -1)


def _dot_maps(embed, pool):
    """The token-space maps of dot scoring (see :func:`fused_dot_pool`)."""
    D = pool.embed_dim
    block = pool.query_block()  # (D, H * S)
    keys_to_scores = pool.W[:, :D] @ block  # (D, H * S)
    bias = embed.b if embed.positions is None else embed.b + embed.positions
    return {
        "block": block,
        "keys_to_scores": keys_to_scores,
        "bias": bias,  # (D,) or (T, D)
        "key_map": embed.W @ keys_to_scores,  # ((T,) token_dim, H * S)
        "value_map": embed.W @ pool.W[:, D:],  # ((T,) token_dim, D)
        "key_offsets": bias @ keys_to_scores + pool.b[:D] @ block,
        "value_offsets": bias @ pool.W[:, D:] + pool.b[D:],  # (D,) or (T, D)
    }


def fused_dot_pool(embed, pool, tokens, mask, keep=False, score_offsets=None):
    """Dot-scoring pooling computed in token space, never forming K or V.

    Keys and values are affine in the tokens, so the scores are
    ``tokens (W_e W_k Q) + offsets`` and a pooled vector is the weighted sum
    of the tokens times ``W_e W_v`` plus the weighted value offsets: every
    product has ``token_dim`` (not ``embed_dim``) inner terms. Scores are laid
    out (n, H * S, T), tokens last, for fast reductions. A score offset that
    is the same for every token (shared embedding, no positions) cancels in
    the softmax and is left out. ``score_offsets`` (n, H * S, T), when given,
    are added to the scores before the softmax (the row context, see
    :class:`~._row_context.RowContext`).

    Returns
    -------
    pooled : ndarray of shape (n, n_seeds * embed_dim)
    weights : ndarray of shape (n, n_heads * n_seeds, T)
    cache : dict or None
        What :func:`fused_dot_backward` needs (when ``keep``).
    """
    n, T, token_dim = tokens.shape
    D, S = pool.embed_dim, pool.n_seeds
    maps = _dot_maps(embed, pool)
    key_map, value_map = maps["key_map"], maps["value_map"]
    key_offsets, value_offsets = maps["key_offsets"], maps["value_offsets"]
    shared = embed.embedding == "shared"
    tokens_last = tokens.transpose(0, 2, 1)  # (n, token_dim, T)
    maximum = None
    if shared and token_dim == 1:
        # Scores a_k x_t: their maximum over tokens is a_k max(x) or a_k
        # min(x) by the sign of a_k (exactly: rounding is monotone too).
        a = key_map[0][:, None]
        scores = a * tokens_last
        if mask is None and key_offsets.ndim == 1 and score_offsets is None:
            x = tokens[:, :, 0]
            maximum = np.where(
                a >= 0,
                a * max_over_axis(x, -1)[:, None, :],
                a * _min_over_last(x)[:, None, :],
            )
    elif token_dim == 1:
        scores = key_map[:, 0, :].T * tokens_last
    elif shared:
        scores = key_map.T @ tokens_last
    else:
        scores = np.einsum("ntd,tdk->nkt", tokens, key_map)
    if key_offsets.ndim == 2:
        scores += key_offsets.T
    if score_offsets is not None:
        scores += score_offsets
    weights = masked_softmax(
        scores, None if mask is None else mask[:, None, :], -1, maximum=maximum
    )

    # All heads' weights times all values, (n, H * S, D); each head's own
    # block is kept by head_blocks.
    if shared and token_dim == 1 and value_offsets.ndim == 1 and not keep:
        # Only each head's own block: (n, H, S, 1) weighted tokens times the
        # head's slice of the value map.
        H, dh = pool.n_heads, pool.head_dim
        summed = (weights @ tokens).reshape(n, H, S, 1)
        out = (summed * value_map[0].reshape(H, 1, dh)).transpose(0, 2, 1, 3)
        out = out.reshape(n, S * D)
        out += np.tile(value_offsets, S) * (
            1 if mask is None else mask.any(axis=1)[:, None]
        )
        return out, weights, None
    if shared:
        summed = weights @ tokens  # (n, H * S, token_dim)
        weighted = None
        mixed = summed * value_map[0] if token_dim == 1 else summed @ value_map
    else:
        summed = None
        weighted = (weights[:, :, :, None] * tokens[:, None, :, :]).reshape(
            -1, T * token_dim
        )
        mixed = (weighted @ value_map.reshape(T * token_dim, D)).reshape(n, -1, D)
    if value_offsets.ndim == 2:
        mixed += weights @ value_offsets
    out = pool.head_blocks(mixed)
    has_tokens = None
    if value_offsets.ndim == 1:
        if mask is None:
            out += np.tile(value_offsets, S)
        else:
            # The weights of a row sum to 1, or to 0 when it has no token.
            has_tokens = mask.any(axis=1)[:, None].astype(out.dtype)
            out += has_tokens * np.tile(value_offsets, S)
    cache = None
    if keep:
        cache = dict(
            maps,
            tokens=tokens,
            weights=weights,
            summed=summed,
            weighted=weighted,
            has_tokens=has_tokens,
        )
    return out, weights, cache


def fused_dot_backward(embed, pool, cache, d_out):
    """Fill the embedding's and the pooling's grads from ``d_out`` (n, S * D).

    The chain rule of :func:`fused_dot_pool`, through its token-space maps
    back to ``W_e``, ``b_e``, positions, ``W``, ``b`` and the seeds.

    Returns
    -------
    d_scores : ndarray of shape (n, n_heads * n_seeds, T)
        The gradient of the scores (for score offsets added to them).
    """
    tokens, weights = cache["tokens"], cache["weights"]
    n, T, token_dim = tokens.shape
    D, H, S, dh = pool.embed_dim, pool.n_heads, pool.n_seeds, pool.head_dim
    shared = embed.embedding == "shared"
    value_map = cache["value_map"]
    value_offsets, bias = cache["value_offsets"], cache["bias"]
    block, keys_to_scores = cache["block"], cache["keys_to_scores"]
    W_k, W_v = pool.W[:, :D], pool.W[:, D:]

    # d_out on the diagonal blocks of the all-heads product (n, H * S, D).
    d_mixed = np.zeros((n, H, S, H, dh), dtype=d_out.dtype)
    d_out4 = d_out.reshape(n, S, H, dh)
    for h in range(H):
        d_mixed[:, h, :, h, :] = d_out4[:, :, h, :]
    d_mixed = d_mixed.reshape(n, H * S, D)
    d_mixed2 = d_mixed.reshape(n * H * S, D)

    if value_offsets.ndim == 1:
        d_rows = d_out if cache["has_tokens"] is None else d_out * cache["has_tokens"]
        d_value_offsets = d_rows.reshape(n * S, D).sum(axis=0)
        d_weights = None
    else:
        weights_by_token = weights.transpose(2, 0, 1).reshape(T, n * H * S)
        d_value_offsets = weights_by_token @ d_mixed2  # (T, D)
        d_weights = d_mixed @ value_offsets.T
    if shared:
        summed = cache["summed"]
        d_value_map = summed.reshape(-1, token_dim).T @ d_mixed2  # (token_dim, D)
        d_summed = d_mixed @ value_map.T  # (n, H * S, token_dim)
        from_values = d_summed @ tokens.transpose(0, 2, 1)
    else:
        d_value_map = (cache["weighted"].T @ d_mixed2).reshape(T, token_dim, D)
        per_token = (d_mixed2 @ value_map.reshape(T * token_dim, D).T).reshape(
            n, H * S, T, token_dim
        )
        per_token *= tokens[:, None, :, :]
        from_values = per_token.sum(axis=3)
    d_weights = from_values if d_weights is None else d_weights + from_values
    d_scores = softmax_backward(weights, d_weights, axis=-1)  # (n, H * S, T)

    if shared:
        d_key_map = (d_scores @ tokens).sum(axis=0).T  # (token_dim, H * S)
    else:
        d_key_map = np.einsum("ntd,nkt->tdk", tokens, d_scores)
    d_key_offsets = d_scores.sum(axis=0).T  # (T, H * S)
    if cache["key_offsets"].ndim == 1:
        d_key_offsets = d_key_offsets.sum(axis=0)

    # Back through key_map = W_e (W_k B), value_map = W_e W_v and the
    # offsets (b_e + pos) (W_k B) + b_k B, (b_e + pos) W_v + b_v.
    W_e = embed.W.reshape(-1, D)  # (T * token_dim or token_dim, D)
    d_keys_to_scores = W_e.T @ d_key_map.reshape(-1, H * S)
    d_W_v = W_e.T @ d_value_map.reshape(-1, D)
    if bias.ndim == 1:
        d_keys_to_scores += np.outer(bias, d_key_offsets)
        d_W_v += np.outer(bias, d_value_offsets)
    else:
        d_keys_to_scores += bias.T @ d_key_offsets
        d_W_v += bias.T @ d_value_offsets
    d_bias = d_key_offsets @ keys_to_scores.T + d_value_offsets @ W_v.T
    key_total = d_key_offsets if d_key_offsets.ndim == 1 else d_key_offsets.sum(0)
    value_total = (
        d_value_offsets if d_value_offsets.ndim == 1 else d_value_offsets.sum(0)
    )

    embed.grads[0][...] = d_key_map @ keys_to_scores.T + d_value_map @ W_v.T
    embed.grads[1][...] = (
        d_bias.sum(axis=0) if embed.b.ndim == 1 and d_bias.ndim == 2 else d_bias
    )
    if embed.positional == "learned":
        embed.grads[2][...] = d_bias
    d_block = W_k.T @ d_keys_to_scores + np.outer(pool.b[:D], key_total)
    pool.grads[0][...] = pool._seeds_from_block(d_block)
    pool.grads[1][:, :D] = d_keys_to_scores @ block.T
    pool.grads[1][:, D:] = d_W_v
    pool.grads[2][:D] = key_total @ block.T
    pool.grads[2][D:] = value_total
    return d_scores
