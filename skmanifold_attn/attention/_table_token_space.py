"""Dot-scoring attention pooling of table column tokens, in token space.

Without self-attention blocks, the keys and values of a table's column tokens
(:class:`~._table_tokens.TableEmbedding`) are affine in the numbers and
lookups in the categorical columns:

- numeric column ``j``: ``K_j = x_j (W_j W_k) + (b_j + pos_j) W_k + b_k``;
- categorical column ``c``: ``K_c = (T W_k)[code] + pos_c W_k + b_k``, a row
  of the column's table ``T`` projected once per batch;

and likewise the values with ``W_v``. The scores need only the products with
the block of queries ``W_k B`` (``n_heads * n_seeds`` columns, not
``embed_dim``), and a pooled vector is the weighted sum of those affine terms,
so the (n, n_tokens, embed_dim) embeddings, keys and values are never formed.
The key bias ``b_k B`` is the same for every token and cancels in the softmax.
Results equal the layer-by-layer computation up to rounding (tests check
both, and the gradients against finite differences).

Numeric columns are taken first, then categorical ones (pooling does not
depend on the order); the weights are put back in column order for
:func:`table_attention_weights`.
"""

import numpy as np

from ._masked_softmax import softmax_backward
from ._pooling import token_softmax


def _maps(embed, pool):
    """Token-space maps of the numeric and categorical columns."""
    D = pool.embed_dim
    block = pool.query_block()  # (D, H * S)
    key_scores = pool.W[:, :D] @ block  # (D, H * S)
    W_v = pool.W[:, D:]
    num, cat = embed.numeric_columns, embed.categorical_columns
    num_bias = embed.b
    pos_cat = None
    if embed.positions is not None:
        num_bias = embed.b + embed.positions[num]
        pos_cat = embed.positions[cat]
    maps = {
        "block": block,
        "key_scores": key_scores,
        "num_bias": num_bias,  # (n_num, D)
        "pos_cat": pos_cat,  # (n_cat, D) or None
        "key_map": embed.W @ key_scores,  # (n_num, H * S)
        "key_offsets": num_bias @ key_scores,  # (n_num, H * S)
        "key_table": embed.table @ key_scores,  # (rows, H * S)
        "value_map": embed.W @ W_v,  # (n_num, D)
        "value_offsets": num_bias @ W_v,  # (n_num, D)
        "value_table": embed.table @ W_v,  # (rows, D)
    }
    if pos_cat is not None:
        maps["key_offsets_cat"] = pos_cat @ key_scores
        maps["value_offsets_cat"] = pos_cat @ W_v
    return maps


def _scores(embed, maps, tokens):
    """Scores (n, n_tokens, H * S), numeric columns first; numbers, rows."""
    num = embed.numeric_columns
    x = tokens[:, num, 0]  # (n, n_num)
    rows = embed._rows(tokens)  # (n, n_cat)
    key_cat = maps["key_table"][rows]  # (n, n_cat, H * S)
    if "key_offsets_cat" in maps:
        key_cat += maps["key_offsets_cat"]
    key_num = x[:, :, None] * maps["key_map"]
    key_num += maps["key_offsets"]
    return np.concatenate([key_num, key_cat], axis=1), x, rows


def _ordered_mask(embed, mask):
    if mask is None:
        return None
    return mask[:, np.concatenate([embed.numeric_columns, embed.categorical_columns])]


def table_dot_pool(embed, pool, tokens, mask, keep=False):
    """Dot-scoring pooling of column tokens (n, n_tokens, 1) in token space.

    Returns
    -------
    pooled : ndarray of shape (n, n_seeds * embed_dim)
    cache : dict or None
        What :func:`table_dot_backward` needs (when ``keep``).
    """
    if not keep:
        return _table_dot_predict(embed, pool, tokens, mask), None
    n = tokens.shape[0]
    D, S = pool.embed_dim, pool.n_seeds
    maps = _maps(embed, pool)
    scores, x, rows = _scores(embed, maps, tokens)
    n_num = x.shape[1]
    weights = token_softmax(scores, _ordered_mask(embed, mask))  # (n, H * S, T)

    # All heads' weights times all values, (n, H * S, D); each head's own
    # block is kept by head_blocks.
    w_num = weights[:, :, :n_num]
    terms = np.concatenate([w_num * x[:, None, :], w_num], axis=2)
    num_maps = np.concatenate([maps["value_map"], maps["value_offsets"]])
    mixed = (terms.reshape(-1, 2 * n_num) @ num_maps).reshape(n, -1, D)
    values_cat = maps["value_table"][rows]  # (n, n_cat, D)
    if "value_offsets_cat" in maps:
        values_cat += maps["value_offsets_cat"]
    mixed += weights[:, :, n_num:] @ values_cat
    out = pool.head_blocks(mixed)
    value_bias = np.tile(pool.b[D:], S)
    has_tokens = None
    if mask is None:
        out += value_bias
    else:
        # The weights of a row sum to 1, or to 0 when it has no token.
        has_tokens = mask.any(axis=1)[:, None].astype(out.dtype)
        out += has_tokens * value_bias
    cache = dict(
        maps,
        x=x,
        rows=rows,
        weights=weights,
        terms=terms,
        num_maps=num_maps,
        values_cat=values_cat,
        has_tokens=has_tokens,
    )
    return out, cache


def _table_dot_predict(embed, pool, tokens, mask):
    """Inference: tokens on the leading axis, only each head's own products.

    Scores are laid out (T, n, H * S): the softmax's reductions over tokens
    are then element-wise operations on contiguous rows. The numeric
    columns' terms are one product per head; the categorical columns'
    looked-up values are weighted and added one column at a time.
    """
    n = tokens.shape[0]
    D, H, S, dh = pool.embed_dim, pool.n_heads, pool.n_seeds, pool.head_dim
    maps = _maps(embed, pool)
    x = tokens[:, embed.numeric_columns, 0].T  # (n_num, n)
    rows = embed._rows(tokens).T  # (n_cat, n)
    n_num, n_cat = x.shape[0], rows.shape[0]
    scores = np.empty((n_num + n_cat, n, H * S), dtype=pool.W.dtype)
    np.multiply(x[:, :, None], maps["key_map"][:, None, :], out=scores[:n_num])
    scores[:n_num] += maps["key_offsets"][:, None, :]
    np.take(maps["key_table"], rows, axis=0, out=scores[n_num:])
    if "key_offsets_cat" in maps:
        scores[n_num:] += maps["key_offsets_cat"][:, None, :]
    if mask is not None:
        real = _ordered_mask(embed, mask).T[:, :, None]
        # Masked scores must not set the maximum; their weights are zeroed.
        np.copyto(scores, np.finfo(scores.dtype).min / 2, where=~real)
    scores -= scores.max(axis=0)
    weights = np.exp(scores, out=scores)
    if mask is not None:
        weights *= real
    total = weights.sum(axis=0)
    if mask is not None:
        total[total == 0] = 1  # a row of padding pools to zeros
    weights /= total

    # Numeric columns: (H, S * n, 2 n_num) terms times each head's slice of
    # [value_map; value_offsets].
    w_num = weights[:n_num].transpose(2, 1, 0)  # (H * S, n, n_num)
    terms = np.concatenate([w_num * x.T, w_num], axis=2).reshape(H, S * n, -1)
    num_maps = np.concatenate([maps["value_map"], maps["value_offsets"]])
    num_maps = num_maps.reshape(-1, H, dh).transpose(1, 0, 2)  # (H, 2 n_num, dh)
    out = (terms @ num_maps).reshape(H, S, n, dh).transpose(2, 1, 0, 3)
    # Categorical columns: looked-up values times their weights, one column
    # at a time (arrays of n * embed_dim values, which stay in cache).
    by_seed = np.zeros((n, H, S, dh), dtype=out.dtype)
    offsets_cat = maps.get("value_offsets_cat")
    for k in range(n_cat):
        values = np.take(maps["value_table"], rows[k], axis=0)  # (n, D)
        if offsets_cat is not None:
            values += offsets_cat[k]
        by_seed += values.reshape(n, H, 1, dh) * weights[n_num + k].reshape(n, H, S, 1)
    out = out + by_seed.transpose(0, 2, 1, 3)  # (n, S, H, dh)
    out = out.reshape(n, S * D)
    value_bias = np.tile(pool.b[D:], S)
    if mask is None:
        out += value_bias
    else:
        out += mask.any(axis=1)[:, None] * value_bias
    return out


def table_attention_weights(embed, pool, tokens, mask):
    """Weights (n, n_heads * n_seeds, n_tokens) in column order."""
    scores = _scores(embed, _maps(embed, pool), tokens)[0]
    weights = token_softmax(scores, _ordered_mask(embed, mask))
    order = np.concatenate([embed.numeric_columns, embed.categorical_columns])
    out = np.empty_like(weights)
    out[:, :, order] = weights
    return out


def _scatter_rows(n_rows, rows, values):
    """Sum of ``values`` (n, k, width) into ``n_rows`` rows by ``rows`` (n, k)."""
    out = np.zeros((n_rows, values.shape[-1]), dtype=values.dtype)
    np.add.at(out, rows.ravel(), values.reshape(-1, values.shape[-1]))
    return out


def table_dot_backward(embed, pool, cache, d_out):
    """Fill the table embedding's and the pooling's grads from ``d_out``."""
    x, rows, weights = cache["x"], cache["rows"], cache["weights"]
    n, n_num = x.shape
    D, H, S, dh = pool.embed_dim, pool.n_heads, pool.n_seeds, pool.head_dim
    W_k, W_v = pool.W[:, :D], pool.W[:, D:]
    key_scores, block = cache["key_scores"], cache["block"]
    num, cat = embed.numeric_columns, embed.categorical_columns
    n_table = embed.table.shape[0]

    d_rows = d_out if cache["has_tokens"] is None else d_out * cache["has_tokens"]
    pool.grads[2][D:] = d_rows.reshape(n * S, D).sum(axis=0)
    pool.grads[2][:D] = 0  # the key bias cancels in the softmax

    # d_out on the diagonal blocks of the all-heads product (n, H * S, D).
    d_mixed = np.zeros((n, H, S, H, dh), dtype=d_out.dtype)
    d_out4 = d_out.reshape(n, S, H, dh)
    for h in range(H):
        d_mixed[:, h, :, h, :] = d_out4[:, :, h, :]
    d_mixed = d_mixed.reshape(n, H * S, D)
    d_mixed2 = d_mixed.reshape(-1, D)

    # Numeric columns: terms (n, H * S, 2 n_num) times [value_map; offsets].
    d_num_maps = cache["terms"].reshape(-1, 2 * n_num).T @ d_mixed2
    d_terms = (d_mixed2 @ cache["num_maps"].T).reshape(n, -1, 2 * n_num)
    d_w_num = d_terms[:, :, :n_num] * x[:, None, :] + d_terms[:, :, n_num:]
    # Categorical columns: weights times the looked-up values.
    d_values_cat = weights[:, :, n_num:].transpose(0, 2, 1) @ d_mixed
    d_w_cat = d_mixed @ cache["values_cat"].transpose(0, 2, 1)
    d_weights = np.concatenate([d_w_num, d_w_cat], axis=2)
    d_scores = softmax_backward(weights, d_weights, axis=2)  # (n, H * S, T)
    d_scores = d_scores.transpose(0, 2, 1)  # (n, T, H * S)
    d_s_num, d_s_cat = d_scores[:, :n_num], d_scores[:, n_num:]

    d_key_map = np.einsum("nj,njk->jk", x, d_s_num)  # (n_num, H * S)
    d_key_offsets = d_s_num.sum(axis=0)
    d_key_table = _scatter_rows(n_table, rows, d_s_cat)
    d_value_map, d_value_offsets = d_num_maps[:n_num], d_num_maps[n_num:]
    d_value_table = _scatter_rows(n_table, rows, d_values_cat)

    num_bias, pos_cat = cache["num_bias"], cache["pos_cat"]
    # Back through the maps to the embedding's W, b, table and positions.
    d_num_bias = d_key_offsets @ key_scores.T + d_value_offsets @ W_v.T
    embed.grads[0][...] = d_key_map @ key_scores.T + d_value_map @ W_v.T
    embed.grads[1][...] = d_num_bias
    embed.grads[2][...] = d_key_table @ key_scores.T + d_value_table @ W_v.T
    d_key_scores = (
        embed.W.T @ d_key_map + num_bias.T @ d_key_offsets + embed.table.T @ d_key_table
    )
    d_W_v = (
        embed.W.T @ d_value_map
        + num_bias.T @ d_value_offsets
        + embed.table.T @ d_value_table
    )
    if pos_cat is not None:
        d_key_offsets_cat = d_s_cat.sum(axis=0)
        d_value_offsets_cat = d_values_cat.sum(axis=0)
        d_key_scores += pos_cat.T @ d_key_offsets_cat
        d_W_v += pos_cat.T @ d_value_offsets_cat
        if embed.positional == "learned":
            d_positions = embed.grads[3]
            d_positions[num] = d_num_bias
            d_positions[cat] = (
                d_key_offsets_cat @ key_scores.T + d_value_offsets_cat @ W_v.T
            )
    pool.grads[0][...] = pool._seeds_from_block(W_k.T @ d_key_scores)
    pool.grads[1][:, :D] = d_key_scores @ block.T
    pool.grads[1][:, D:] = d_W_v
