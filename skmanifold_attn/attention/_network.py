"""The attention-pooling network: embedding, optional self-attention blocks,
multi-head pooling and a training head, as a model of the shared training loop.

Tasks of the head (dropped from ``transform``, kept for ``partial_fit`` and
``warm_start``):

- ``"classification"``: a linear layer to class logits, softmax cross-entropy;
- ``"regression"``: a linear layer to the (standardised) targets, squared error;
- ``"masked"`` (no targets, self-supervised): a random ``mask_fraction`` of
  each row's tokens is hidden (treated as padding) and a linear layer of the
  pooled vector predicts the hidden tokens' values (one prediction per
  position when the model is order-aware, else one for every hidden token),
  the masked-token reconstruction of BERT (Devlin et al., 2019) with a
  pooled bottleneck.
"""

import numpy as np

from .._nn._layers import Dense
from .._nn._losses import softmax_cross_entropy, squared_error
from ._embedding import TokenEmbedding
from ._fused import fused_backward, fused_projection
from ._pooling import AttentionPool
from ._row_context import RowContext
from ._self_attention import SelfAttentionBlock
from ._table_token_space import (
    table_attention_weights,
    table_dot_backward,
    table_dot_pool,
)
from ._table_tokens import TableEmbedding
from ._token_space import fused_dot_backward, fused_dot_pool

TASKS = ("classification", "regression", "masked")

# Rows per chunk in inference: bounds memory, and transform stays row by row
# identical whatever the batch.
_CHUNK = 1024
# With self-attention blocks, fewer rows per chunk: the attention scores
# (n_heads * n_tokens**2 values a row) are kept to about this many values,
# which stay in cache (1024 rows of 16 tokens ran ~1.6x slower than 512).
_BLOCK_CHUNK_VALUES = 1 << 19


def split_tokens(X, n_tokens, token_dim):
    """Tokens ``(n, n_tokens, token_dim)`` with padding zeroed, and the mask.

    Returns
    -------
    tokens : ndarray
        A view of ``X`` when there is no padding, else a copy with zeros in
        place of the all-NaN padding tokens.
    mask : ndarray of bool of shape (n, n_tokens) or None
        True for real tokens; None when every token is real.
    """
    tokens = X.reshape(X.shape[0], n_tokens, token_dim)
    padding = np.isnan(tokens[:, :, 0])
    if not padding.any():
        return tokens, None
    mask = ~padding
    return np.where(mask[:, :, None], tokens, 0).astype(X.dtype, copy=False), mask


class AttentionNetwork:
    """Embedding, ``n_layers`` transformer blocks, pooling and a head.

    Parameters
    ----------
    n_tokens, token_dim : int
        Layout of the input rows (``n_tokens * token_dim`` columns).
    embed_dim, n_heads, n_seeds, n_layers : int
        Sizes; see :class:`AttentionPooling`.
    embedding, positional, scoring : str or None
        See :class:`AttentionPooling`.
    task : {"classification", "regression", "masked"}
        Training objective.
    n_outputs : int
        Classes or regression targets (ignored for ``"masked"``).
    mask_fraction : float
        Share of tokens hidden by the ``"masked"`` objective.
    rng : numpy.random.RandomState
        Source of the initial values.
    dtype : numpy dtype
        Computation dtype.
    categorical : ndarray of bool of shape (n_tokens,) or None, default=None
        Categorical columns of a table (``token_dim=1``, ``"per_token"``):
        with any, tokens are embedded by :class:`TableEmbedding`.
    n_categories : ndarray of int of shape (n_tokens,) or None, default=None
        Categories per column (0 for numeric ones), with ``categorical``.
    context_rank : int, default=0
        Rank of the row context added to the scores (see
        :class:`~._row_context.RowContext`); 0 for none. Used only on the
        fused dot-scoring path of an order-aware model (``context`` is None
        otherwise).
    """

    # Small matrices: BLAS threads cost more than they give.
    blas_threads = 1

    def __init__(
        self,
        *,
        n_tokens,
        token_dim,
        embed_dim,
        n_heads,
        n_seeds,
        n_layers,
        embedding,
        positional,
        scoring,
        task,
        n_outputs,
        mask_fraction,
        rng,
        dtype,
        categorical=None,
        n_categories=None,
        context_rank=0,
    ):
        if task not in TASKS:
            raise ValueError(f"Unknown task {task!r}; use one of {TASKS}.")
        self.n_tokens, self.token_dim, self.task = n_tokens, token_dim, task
        self.mask_fraction = mask_fraction
        self.table = categorical is not None and bool(np.any(categorical))
        if self.table:
            self.embed = TableEmbedding(
                categorical,
                n_categories,
                embed_dim,
                positional=positional,
                rng=rng,
                dtype=dtype,
            )
        else:
            self.embed = TokenEmbedding(
                n_tokens,
                token_dim,
                embed_dim,
                embedding=embedding,
                positional=positional,
                rng=rng,
                dtype=dtype,
            )
        self.blocks = [
            SelfAttentionBlock(embed_dim, n_heads, rng=rng, dtype=dtype)
            for _ in range(n_layers)
        ]
        self.pool = AttentionPool(
            embed_dim, n_heads, n_seeds, scoring, rng=rng, dtype=dtype
        )
        # Without blocks, embedding and projection fuse into one cheap map.
        # (Lookups of categorical tokens are not linear in the codes.)
        self.fused = n_layers == 0 and token_dim <= embed_dim and not self.table
        # Table columns with dot scoring pool in token space: numbers through
        # composite maps, categories through projected tables.
        self.table_fused = self.table and n_layers == 0 and scoring == "dot"
        self.order_aware = embedding == "per_token" or positional is not None
        if task == "masked" and self.table:
            n_outputs = self.embed.n_masked_outputs()
        elif task == "masked":
            n_outputs = (n_tokens if self.order_aware else 1) * token_dim
        self.head = Dense(n_seeds * embed_dim, n_outputs, rng=rng, dtype=dtype)
        # Drawn last: the other weights are those of the network without it.
        self.context = None
        if context_rank and self.fused and scoring == "dot" and self.order_aware:
            self.context = RowContext(
                n_tokens * token_dim,
                n_heads * n_seeds,
                n_tokens,
                context_rank,
                rng=rng,
                dtype=dtype,
            )
        parts = [self.embed, *self.blocks, self.pool, self.head]
        if self.context is not None:
            parts.append(self.context)
        self.params = [p for part in parts for p in part.params]
        self.grads = [g for part in parts for g in part.grads]
        self.penalized = [f for part in parts for f in part.penalized]

    # -- encoder ---------------------------------------------------------
    def _encode(self, tokens, mask):
        if self.table_fused:
            out, self._dot_cache = table_dot_pool(
                self.embed, self.pool, tokens, mask, keep=True
            )
            return out
        if self.fused and self.pool.scoring == "dot":
            offsets = None
            if self.context is not None:
                offsets = self.context.forward(tokens.reshape(tokens.shape[0], -1))
            out, _, self._dot_cache = fused_dot_pool(
                self.embed, self.pool, tokens, mask, keep=True, score_offsets=offsets
            )
            return out
        if self.fused:
            self._tokens = tokens
            n, T = tokens.shape[:2]
            P = fused_projection(self.embed, self.pool, tokens)
            return self.pool.forward_projected(P, mask, n, T)
        E = self.embed.forward(tokens)
        for block in self.blocks:
            E = block.forward(E, mask)
        return self.pool.forward(E, mask)

    def _encode_backward(self, d_pooled):
        if self.table_fused:
            table_dot_backward(self.embed, self.pool, self._dot_cache, d_pooled)
            return
        if self.fused and self.pool.scoring == "dot":
            d_scores = fused_dot_backward(
                self.embed, self.pool, self._dot_cache, d_pooled
            )
            if self.context is not None:
                self.context.backward(d_scores)
            return
        if self.fused:
            dP = self.pool.backward_projected(d_pooled)
            fused_backward(self.embed, self.pool, self._tokens, dP)
            return
        dE = self.pool.backward(d_pooled)
        for block in reversed(self.blocks):
            dE = block.backward(dE)
        self.embed.backward(dE)

    def _offsets(self, tokens):
        """Row-context score offsets for inference (None without context)."""
        if self.context is None:
            return None
        return self.context.predict(tokens.reshape(tokens.shape[0], -1))

    def _projections(self, tokens, mask):
        """Pooling projections of ``tokens`` for inference, (n * T, m * D)."""
        if self.fused:
            return fused_projection(self.embed, self.pool, tokens)
        E = self.embed.predict(tokens)
        for block in self.blocks:
            E = block.predict(E, mask)
        return self.pool.project(E)

    def _embeddings(self, tokens, mask):
        E = self.embed.predict(tokens)
        for block in self.blocks:
            E = block.predict(E, mask)
        return E

    def _predict(self, tokens, mask):
        if self.table_fused:
            return table_dot_pool(self.embed, self.pool, tokens, mask)[0]
        if self.fused and self.pool.scoring == "dot":
            return fused_dot_pool(
                self.embed, self.pool, tokens, mask, score_offsets=self._offsets(tokens)
            )[0]
        if self.pool.scoring == "dot":
            return self.pool.predict(self._embeddings(tokens, mask), mask)
        n, T = tokens.shape[:2]
        return self.pool.predict_projected(self._projections(tokens, mask), mask, n, T)

    def _attention_weights(self, tokens, mask):
        n, T = tokens.shape[:2]
        H, S = self.pool.n_heads, self.pool.n_seeds
        if self.table_fused:
            weights = table_attention_weights(self.embed, self.pool, tokens, mask)
            return weights.reshape(n, H, S, T)
        if self.fused and self.pool.scoring == "dot":
            weights = fused_dot_pool(
                self.embed, self.pool, tokens, mask, score_offsets=self._offsets(tokens)
            )[1]
            return weights.reshape(n, H, S, T)
        if self.pool.scoring == "dot":
            return self.pool.attention_weights(self._embeddings(tokens, mask), mask)
        P = self._projections(tokens, mask)
        return self.pool.attention_weights_projected(P, mask, n, T)

    def _chunk_rows(self):
        if not self.blocks:
            return _CHUNK
        per_row = self.pool.n_heads * self.n_tokens**2
        return max(64, min(_CHUNK, _BLOCK_CHUNK_VALUES // per_row))

    def _chunks(self, X):
        rows = self._chunk_rows()
        for start in range(0, X.shape[0], rows):
            yield split_tokens(X[start : start + rows], self.n_tokens, self.token_dim)

    def transform(self, X):
        """Pooled vectors ``(n, n_seeds * embed_dim)`` of standardised rows."""
        parts = [self._predict(tokens, mask) for tokens, mask in self._chunks(X)]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def attention_weights(self, X):
        """Weights ``(n, n_heads, n_seeds, n_tokens)`` of standardised rows."""
        parts = [
            self._attention_weights(tokens, mask) for tokens, mask in self._chunks(X)
        ]
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    # -- objectives ------------------------------------------------------
    def _hide(self, tokens, mask, rng):
        """Hide a random share of the real tokens; return tokens, masks."""
        n, T = tokens.shape[:2]
        hidden = rng.random_sample((n, T)) < self.mask_fraction
        if mask is not None:
            hidden &= mask
            visible = mask & ~hidden
        else:
            visible = ~hidden
        return tokens * visible[:, :, None], visible, hidden

    def _masked_loss(self, prediction, tokens, hidden):
        if self.table:
            return self.embed.masked_loss(prediction, tokens, hidden)
        n, T, d = tokens.shape
        prediction = prediction.reshape(n, -1, d)
        n_hidden = max(int(hidden.sum()), 1)
        diff = (prediction - tokens) * hidden[:, :, None]
        loss = 0.5 * float(np.vdot(diff, diff)) / n_hidden
        diff /= n_hidden
        if prediction.shape[1] == 1:
            diff = diff.sum(axis=1, keepdims=True)
        return loss, diff.reshape(n, -1)

    def loss_and_grads(self, X, y, rng):
        """Mean loss of the batch and the gradients (the protocol's method)."""
        tokens, mask = split_tokens(X, self.n_tokens, self.token_dim)
        if self.task == "masked":
            inputs, visible, hidden = self._hide(tokens, mask, rng)
            output = self.head.forward(self._encode(inputs, visible))
            loss, d_output = self._masked_loss(output, tokens, hidden)
        else:
            if self.table:
                # Trains the unknown-category embeddings.
                tokens = self.embed.drop_categories(tokens, rng)
            output = self.head.forward(self._encode(tokens, mask))
            if self.task == "classification":
                loss, d_output = softmax_cross_entropy(output, y)
            else:
                loss, d_output = squared_error(output, y)
        self._encode_backward(self.head.backward(d_output))
        return loss, self.grads

    @property
    def loss_name(self):
        """What the training loss is (for the verbose lines)."""
        return {
            "classification": "cross-entropy in nats per row",
            "regression": "half squared error per row (standardised targets)",
            "masked": "half squared error of the hidden tokens",
        }[self.task]

    @property
    def validation_name(self):
        """What ``validation_score`` is (for the verbose lines)."""
        return {
            "classification": "accuracy",
            "regression": "R^2",
            "masked": "minus the hidden tokens' half squared error",
        }[self.task]

    def validation_score(self, X, y):
        """Accuracy, R² or minus the masked-token loss (higher is better)."""
        if self.task == "masked":
            tokens, mask = split_tokens(X, self.n_tokens, self.token_dim)
            # Fixed hiding pattern: the score must only move with the weights.
            inputs, visible, hidden = self._hide(tokens, mask, np.random.RandomState(0))
            output = self.head.predict(self._predict(inputs, visible))
            return -self._masked_loss(output, tokens, hidden)[0]
        output = self.head.predict(self.transform(X))
        if self.task == "classification":
            return float(np.mean(output.argmax(axis=1) == y))
        residual = np.sum((y - output) ** 2)
        total = np.sum((y - y.mean(axis=0)) ** 2)
        return 1.0 - float(residual) / max(float(total), np.finfo(float).tiny)

    def clear_cache(self):
        """Drop what the last forward pass kept (smaller pickles)."""
        parts = [self, self.embed, *self.blocks, self.pool, self.head]
        if self.context is not None:
            parts.append(self.context)
        for part in parts:
            for name in [k for k in vars(part) if k in _CACHED]:
                delattr(part, name)
            for layer in getattr(part, "_layers", []):
                for name in [k for k in vars(layer) if k in _CACHED]:
                    delattr(layer, name)


_CACHED = {
    "_X",
    "_A",
    "_E",
    "_P",
    "_cache",
    "_tokens",
    "_QKV",
    "_weights",
    "_mask",
    "_X_hat",
    "_inv_std",
    "_shape",
    "_dot_cache",
    "_rows",
    "_summary",
}
