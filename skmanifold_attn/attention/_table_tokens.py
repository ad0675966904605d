"""Column tokens of a mixed-type table: numeric and categorical columns.

Every column of the table is one token (``token_dim=1``). A numeric column
``j`` is embedded by its own linear map ``x W_j + b_j``, a categorical column
by a lookup in its own learned table of ``n_categories_j + 1`` rows, the
feature tokenizer of FT-Transformer (Gorishniy et al., 2021). The last row
of a column's table is the "unknown" embedding: categories unseen at fit get
its code (``n_categories_j``) at transform. It is learned by category
dropout: while training on targets, every categorical entry is replaced by
the unknown code with probability :data:`UNKNOWN_RATE`, so the unknown
embedding learns what "some category of this column" says on average.

Missing entries (NaN codes or values) are masked tokens, handled by the
network like padding; this module sees them as code 0 or value 0 (the
network zeroes them) and their gradients are 0.

For the self-supervised objective (``task="masked"``), hidden numeric tokens
are predicted by regression (half squared error) and hidden categorical
tokens by a softmax over the column's categories (cross-entropy), summed and
divided by the number of hidden tokens.
"""

import numpy as np

from .._nn._layers import glorot_uniform
from .._nn._losses import log_softmax
from ._embedding import sinusoidal_positions

# Probability that a categorical entry is replaced by its column's unknown
# code while training on targets.
UNKNOWN_RATE = 0.02


class TableEmbedding:
    """Embed ``(n, n_tokens, 1)`` column tokens into ``(n, n_tokens, embed_dim)``.

    Parameters
    ----------
    categorical : ndarray of bool of shape (n_tokens,)
        Which columns are categorical.
    n_categories : ndarray of int of shape (n_tokens,)
        Categories seen at fit per column (0 for numeric columns).
    embed_dim : int
        Width of the embeddings.
    positional : {"sinusoidal", "learned"} or None
        Encoding added to the embeddings.
    rng : numpy.random.RandomState
        Source of the initial values.
    dtype : numpy dtype
        Computation dtype.

    Attributes
    ----------
    params, grads, penalized : list
        The numeric columns' weights ``W`` (n_numeric, embed_dim) and biases
        (n_numeric, embed_dim), the stacked tables of the categorical columns
        (sum of ``n_categories + 1``, embed_dim) and, when learned, the
        positions (n_tokens, embed_dim).
    """

    embedding = "per_token"

    def __init__(self, categorical, n_categories, embed_dim, *, positional, rng, dtype):
        categorical = np.asarray(categorical, dtype=bool)
        n_categories = np.asarray(n_categories, dtype=np.intp)
        n_tokens = categorical.shape[0]
        self.categorical = categorical
        self.numeric_columns = np.flatnonzero(~categorical)
        self.categorical_columns = np.flatnonzero(categorical)
        self.n_categories = n_categories[self.categorical_columns]
        sizes = self.n_categories + 1
        # Row of each categorical column's first category in the stacked table.
        self.offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        n_numeric = self.numeric_columns.size
        self.W = glorot_uniform(
            1,
            embed_dim,
            activation="identity",
            rng=rng,
            dtype=dtype,
            size=(n_numeric, embed_dim),
        )
        self.b = glorot_uniform(
            1,
            embed_dim,
            activation="identity",
            rng=rng,
            dtype=dtype,
            size=(n_numeric, embed_dim),
        )
        # A lookup is an embedding of a one-hot input: the same initial scale
        # as a numeric column's weight and bias together.
        self.table = glorot_uniform(
            1,
            embed_dim,
            activation="identity",
            rng=rng,
            dtype=dtype,
            size=(int(sizes.sum()), embed_dim),
        )
        self.params = [self.W, self.b, self.table]
        self.penalized = [True, False, True]
        self.positions = None
        if positional == "sinusoidal":
            self.positions = sinusoidal_positions(n_tokens, embed_dim, dtype)
        elif positional == "learned":
            self.positions = (0.1 * rng.normal(size=(n_tokens, embed_dim))).astype(
                dtype
            )
            self.params.append(self.positions)
            self.penalized.append(False)
        self.positional = positional
        self.grads = [np.zeros_like(p) for p in self.params]

    # -- codes -----------------------------------------------------------
    def _rows(self, tokens):
        """Rows of the stacked table for the categorical tokens, (n, n_cat)."""
        codes = tokens[:, self.categorical_columns, 0]
        codes = np.clip(np.rint(codes), 0, self.n_categories).astype(np.intp)
        return codes + self.offsets

    def drop_categories(self, tokens, rng, rate=UNKNOWN_RATE):
        """Copy of ``tokens`` with a share ``rate`` of categories made unknown."""
        if not self.categorical_columns.size or rate <= 0:
            return tokens
        tokens = tokens.copy()
        cat = self.categorical_columns
        dropped = rng.random_sample((tokens.shape[0], cat.size)) < rate
        codes = tokens[:, cat, 0]
        codes[dropped] = np.broadcast_to(self.n_categories, codes.shape)[dropped]
        tokens[:, cat, 0] = codes
        return tokens

    # -- embedding -------------------------------------------------------
    def predict(self, tokens):
        """Embeddings of ``tokens`` (n, n_tokens, 1)."""
        n, T, _ = tokens.shape
        out = np.empty((n, T, self.W.shape[1]), dtype=self.W.dtype)
        num = self.numeric_columns
        out[:, num] = tokens[:, num, :] * self.W
        out[:, num] += self.b
        out[:, self.categorical_columns] = self.table[self._rows(tokens)]
        if self.positions is not None:
            out += self.positions
        return out

    def forward(self, tokens):
        self._tokens = tokens
        return self.predict(tokens)

    def backward(self, dE, *, input_grad=False):
        """Fill ``grads`` from ``dE`` (n, n_tokens, embed_dim); inputs are data."""
        tokens = self._tokens
        num = self.numeric_columns
        d_num = dE[:, num]
        self.grads[0][...] = np.einsum("nt,ntd->td", tokens[:, num, 0], d_num)
        d_num.sum(axis=0, out=self.grads[1])
        table_grad = self.grads[2]
        table_grad[...] = 0
        D = dE.shape[2]
        np.add.at(
            table_grad,
            self._rows(tokens).ravel(),
            dE[:, self.categorical_columns].reshape(-1, D),
        )
        if self.positional == "learned":
            dE.sum(axis=0, out=self.grads[3])
        return None

    # -- self-supervised objective ----------------------------------------
    def n_masked_outputs(self):
        """Head outputs of the masked objective: a value per numeric column
        and a logit per category of each categorical column."""
        return int(self.numeric_columns.size + self.n_categories.sum())

    def masked_loss(self, prediction, tokens, hidden):
        """Loss of the hidden tokens and its gradient with respect to ``prediction``.

        Parameters
        ----------
        prediction : ndarray of shape (n, n_masked_outputs)
            Numeric predictions first (column order), then the logits of each
            categorical column in turn.
        tokens : ndarray of shape (n, n_tokens, 1)
            The true (standardised) values and codes.
        hidden : ndarray of bool of shape (n, n_tokens)
            Which tokens were hidden.

        Returns
        -------
        loss : float
            Half squared error of the hidden numeric tokens plus the
            cross-entropy of the hidden categorical tokens, over the number
            of hidden tokens.
        grad : ndarray like ``prediction``
        """
        num, cat = self.numeric_columns, self.categorical_columns
        n_num = num.size
        n_hidden = max(int(hidden.sum()), 1)
        grad = np.zeros_like(prediction)
        diff = (prediction[:, :n_num] - tokens[:, num, 0]) * hidden[:, num]
        loss = 0.5 * float(np.vdot(diff, diff))
        grad[:, :n_num] = diff
        rows = np.arange(prediction.shape[0])
        start = n_num
        for k, column in enumerate(cat):
            stop = start + int(self.n_categories[k])
            shown = hidden[:, column]
            if stop > start and shown.any():
                codes = np.clip(
                    np.rint(tokens[:, column, 0]), 0, stop - start - 1
                ).astype(np.intp)
                log_p = log_softmax(prediction[:, start:stop])
                loss -= float(log_p[rows[shown], codes[shown]].sum())
                p = np.exp(log_p)
                p[rows, codes] -= 1
                grad[:, start:stop] = p * shown[:, None]
            start = stop
        grad /= n_hidden
        return loss / n_hidden, grad
