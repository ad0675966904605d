"""Docstring pieces of the attention estimators, filled in by ``fill_doc``.

AttentionPooling, AttentionPoolingClassifier and AttentionPoolingRegressor
share the network and the training loop, hence these parameter and attribute
entries; each class documents the entries whose defaults differ.
"""

from .._docstrings import DOC_PIECES

ATTENTION_DOC_PIECES = {
    # categorical_features ... scoring: the tokens and the pooling.
    "attention_layout": """\
    categorical_features : "from_dtype", None, array-like of bool, int or \
            str, default="from_dtype"
        Categorical columns, selected as by
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`:
        ``"from_dtype"`` takes the pandas ``category``, object and string
        columns and the polars ``Categorical``, ``Enum`` and string columns of
        a DataFrame (a numpy array has none); or a boolean mask, integer
        indices or column names; None for none. At most 10,000 categories
        per column. Categorical columns need ``token_dim=1`` and
        ``embedding="per_token"`` (ValueError otherwise).
    token_dim : int, default=1
        Columns per token; ``n_features`` must be a multiple of it. With the
        default every feature is a token, so any table works (with
        ``embedding="per_token"`` every column is standardised on its own).
    embedding : {"per_token", "shared"}, default="per_token"
        ``"per_token"``: every position has its own linear embedding
        (order-aware, as FT-Transformer's feature tokenizer). ``"shared"``:
        one embedding for all tokens; without positions the output is
        invariant to the order of the tokens (a set).
    positional : {"sinusoidal", "learned"} or None, default=None
        Positional encoding added to the token embeddings.
    embed_dim : int, default=64
        Width of the token embeddings; a multiple of ``n_heads``.
    n_heads : int, default=4
        Number of attention heads.
    n_seeds : int, default=4
        Number of learned queries (pooled vectors per row).
    scoring : {"dot", "additive", "gated"}, default="dot"
        Attention score: scaled dot product, additive (Bahdanau) or gated
        (Ilse et al., 2018).
    context_rank : int, default=32
        Rank of the row context of the scores: the score of every head, seed
        and token is shifted by ``(x U) . v``, a learned ``context_rank``-wide
        summary ``x U`` of the whole standardised row ``x`` read with a
        learned vector ``v`` per head, seed and token (zero at the start).
        Where a seed looks then depends on the rest of the row, not only on
        the token itself (with ``token_dim=1`` a token is one number); on the
        digits with one token per pixel it lifts the pooled features from
        the level of the raw pixels to the MLP's. 0 turns it off. Only used
        by order-aware models (``embedding="per_token"`` or a positional
        encoding) with ``scoring="dot"``, no self-attention blocks
        (``n_layers=0``), no categorical columns and ``token_dim <=
        embed_dim``; ignored otherwise.
""",
    # batch_size ... verbose: the training loop.
    "attention_training": """\
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, max(32, n_samples // 4))``
        (at most ``n_samples``): at least four steps per epoch on small
        tables.
    learning_rate_init : float, default=3e-3
        Adam's initial step size; it is divided by 5 at each of the first two
        plateaus (see ``n_iter_no_change``). Too large a step makes training
        diverge, and fit raises ValueError ("Training diverged") rather than
        return a model trained to nonsense: when a batch loss or a weight
        becomes non-finite, or when an epoch's mean loss exceeds the smaller
        of the first batch's loss and the best epoch mean by more than 100
        times the larger of their magnitudes and 1. Healthy training stays
        far below that, even with one-row batches.
    max_iter : int, default=200
        Maximum number of epochs (passes over the data).
    tol : float, default=3e-4
        Improvement of the loss (or validation score) that counts.
    n_iter_no_change : int, default=5
        A plateau is this many epochs without an improvement of ``tol``: at
        the first two the step size is divided by 5 and training goes on, at
        the third it stops (before ``max_iter``, the fit has converged).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data (stratified for
        classification), stop on its score (accuracy, R², or minus the
        masked-token loss) and keep the best weights.
    validation_fraction : float, default=0.1
        Share of the data held out for early stopping.
    shuffle : bool, default=True
        Whether to shuffle the rows at every epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights (and standardisation). The
        parameters that shape the network (``token_dim``, ``embedding``,
        ``positional``, ``embed_dim``, ``n_heads``, ``n_seeds``, ``scoring``,
        ``context_rank``, ``n_layers``) must not change in between, nor the
        task ``y`` is for (under ``task``) or its classes: a continued fit
        (or :meth:`partial_fit`) raises ValueError if they did.
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, shuffling, hiding and validation split.
    verbose : bool or int, default=False
        Print one line per epoch (loss, validation score, seconds).

""",
    # Fitted attributes of the network and of the training loop.
    "attention_attributes": """\
    n_tokens_ : int
        Number of tokens per row.
    token_importances_ : ndarray of shape (n_tokens,)
        Attention weight of each position averaged over the training rows
        (the last batch for ``partial_fit``), heads and seeds.
"""
    + DOC_PIECES["training_attributes"]
    + "\n",
}

DOC_PIECES.update(ATTENTION_DOC_PIECES)
