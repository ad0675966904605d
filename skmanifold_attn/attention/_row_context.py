"""Row context of the attention scores: a low-rank linear map of the row.

With one token per column, the dot score of a token is an affine function of
that token alone, so where a seed looks cannot depend on the rest of the row.
A row context adds to the score of seed ``s``, head ``h`` and token ``t`` a
learned linear function of the whole (standardised) row ``x``::

    score[h, s, t] += (x @ U) . V[:, (h, s, t)]

a summary ``z = x U`` of ``rank`` values that every (head, seed, token)
reads with its own vector. ``V`` starts at zero, so training starts from the
plain scores. It is position-specific, so it is used by order-aware models
only.
"""

import numpy as np

from .._nn._layers import glorot_uniform


class RowContext:
    """Score offsets ``(n, n_scores, n_tokens)`` from rows ``(n, n_inputs)``.

    Parameters
    ----------
    n_inputs : int
        Values per row (``n_tokens * token_dim``).
    n_scores : int
        Scores per token (``n_heads * n_seeds``).
    n_tokens : int
        Tokens per row.
    rank : int
        Width of the row summary ``x U``.
    rng : numpy.random.RandomState
        Source of the initial values of ``U``.
    dtype : numpy dtype
        Computation dtype.
    """

    def __init__(self, n_inputs, n_scores, n_tokens, rank, *, rng, dtype):
        self.n_scores, self.n_tokens = n_scores, n_tokens
        self.U = glorot_uniform(
            n_inputs, rank, activation="identity", rng=rng, dtype=dtype
        )
        self.V = np.zeros((rank, n_scores * n_tokens), dtype=dtype)
        self.params = [self.U, self.V]
        self.penalized = [True, True]
        self.grads = [np.zeros_like(p) for p in self.params]

    def predict(self, rows):
        """Offsets ``(n, n_scores, n_tokens)`` of ``rows`` (n, n_inputs)."""
        out = (rows @ self.U) @ self.V
        return out.reshape(rows.shape[0], self.n_scores, self.n_tokens)

    def forward(self, rows):
        self._rows = rows
        self._summary = rows @ self.U
        out = self._summary @ self.V
        return out.reshape(rows.shape[0], self.n_scores, self.n_tokens)

    def backward(self, d_offsets):
        """Fill ``grads`` from ``d_offsets`` (n, n_scores, n_tokens)."""
        d = d_offsets.reshape(d_offsets.shape[0], -1)
        self.grads[1][...] = self._summary.T @ d
        self.grads[0][...] = self._rows.T @ (d @ self.V.T)
