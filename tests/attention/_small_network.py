"""A small attention network and padded rows for the network-level tests."""

import numpy as np

from skmanifold_attn.attention._network import AttentionNetwork


def small_network(
    task="classification",
    *,
    n_layers=0,
    n_heads=2,
    embedding="per_token",
    positional=None,
    scoring="dot",
    token_dim=2,
    n_outputs=3,
    seed=0,
    dtype=np.float64,
    context_rank=0,
):
    """Four tokens of ``token_dim`` values, embed_dim 6, two seeds."""
    return AttentionNetwork(
        n_tokens=4,
        token_dim=token_dim,
        embed_dim=6,
        n_heads=n_heads,
        n_seeds=2,
        n_layers=n_layers,
        embedding=embedding,
        positional=positional,
        scoring=scoring,
        task=task,
        n_outputs=n_outputs,
        mask_fraction=0.4,
        rng=np.random.RandomState(seed),
        dtype=dtype,
        context_rank=context_rank,
    )


def padded_rows(token_dim=2, seed=1):
    """Five rows of four tokens, two of them with padding tokens (NaN)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(5, 4 * token_dim))
    X[1, :token_dim] = np.nan  # padding token
    X[3, 2 * token_dim :] = np.nan
    return X
