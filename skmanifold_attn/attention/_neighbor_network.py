"""The network of NeighborAttention: forward, backward and inference.

For a query row ``x`` with context rows ``x_1..x_k`` (its nearest training
rows) and their targets ``y_1..y_k``, as in TabR (Gorishniy et al., 2023)::

    h   = E(x)                      encoder: Dense(relu) -> Dense
    q   = K(h),  k_j = K(E(x_j))    keys: one Dense shared by query and context
    s_j = -||q - k_j||^2 / sqrt(d)  L2 similarity
          - exp(g) r_j^2 / r0^2     minus the input-space distance prior
    a   = softmax(s)                (masked slots excluded)
    v_j = L(y_j) + T(q - k_j)       label embedding + query-context difference
    c   = sum_j a_j v_j             context vector
    out = H(drop(h) + c) + b * V(sum_j a_j t_j)
                                    head, plus the neighbours' weighted vote

``L`` is a learned embedding per class (classification) or a Dense map of the
standardised target(s) (regression); ``r_j`` is the distance between the
rows in the retrieval's input space, ``r0^2`` the mean
squared context distance of the training rows and ``g`` a learned log-scale
(0 at initialisation; a classifier's estimator sets it to the bandwidth whose
leave-one-out kernel vote fits the training classes best, see
``_neighbor_kernel``): at initialisation the attention is a Gaussian kernel
smoother over the retrieved rows, and training reshapes it through the keys.
``t_j`` is the context row's target (one-hot class or standardised value)
and ``b`` a learned scale (1 at initialisation): the head learns a
correction to the attention-weighted vote of the neighbours. For classes
``V(v) = log(v + 0.01)``: the vote enters the logits as a log-probability,
so that the neighbours' agreement counts as much as the head's logits (a
class none of them has gets ``log 0.01``); for regression ``V`` is the
identity. ``drop`` is
dropout of the row's own encoding during training (inverted:
kept entries scaled by ``1 / (1 - dropout)``; identity at inference): without
it the head learns the training rows' targets from their own encodings (an
MLP memorising them) instead of from their context. ``transform`` returns
``[h, c]``. The
attention ``a`` may instead be fixed (uniform, or LLE's barycentric weights),
for the ablation: then the scores get no gradient.

During training the context rows are encoded with the current weights (the
gradient flows through their keys too); after training the keys of all
training rows are computed once (``set_memory_keys``) and inference gathers
them. With retrieval in the learned space the estimator gives the network a
``refresher``: the loop's ``start_epoch`` hook replaces the training rows'
context by their nearest rows under the current keys every
``refresh_every`` epochs (``set_context``; the prior's ``r0`` stays that of
the input-space context).
"""

import numpy as np

from .._nn._layers import Dense, mlp
from .._nn._losses import softmax, softmax_cross_entropy, squared_error
from ._neighbor_kernel import VOTE_FLOOR


def masked_softmax(scores, mask):
    """Softmax over the last axis of ``scores`` where ``mask``; 0 elsewhere.

    A row without any valid slot gets all zeros.
    """
    if not mask.all():
        scores = np.where(mask, scores, -np.inf)
    top = scores.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    weights = np.exp(scores - top)
    total = weights.sum(axis=1, keepdims=True)
    weights /= np.where(total > 0, total, 1)
    return weights


class NeighborAttentionNetwork:
    """Encoder, retrieval attention and head, with the ``_nn`` model protocol.

    Parameters
    ----------
    n_features : int
    embed_dim : int
    task : {"classification", "regression"}
    n_outputs : int
        Number of classes, or of regression targets.
    weighting : {"attention", "uniform", "barycentric"}
    dropout : float
        Share of the row encoding's entries dropped in the head's input
        during training.
    rng : numpy.random.RandomState
    dtype : numpy dtype

    Attributes
    ----------
    params, penalized : list
        Trainable arrays (updated in place by Adam) and whether L2 applies.
    """

    def __init__(
        self, n_features, embed_dim, task, n_outputs, weighting, dropout, *, rng, dtype
    ):
        d = embed_dim
        self.embed_dim = d
        self.task = task
        self.n_outputs = n_outputs
        self.weighting = weighting
        self.dropout = dropout
        self.scale = float(1.0 / np.sqrt(d))  # a Python float: no upcast
        self.encoder = mlp([n_features, d, d], activation="relu", rng=rng, dtype=dtype)
        self.key = Dense(d, d, rng=rng, dtype=dtype)
        self.diff_map = Dense(d, d, rng=rng, dtype=dtype)
        if task == "classification":
            self.label = (rng.standard_normal((n_outputs, d)) / np.sqrt(d)).astype(
                dtype
            )
            self._label_layer = None
            label_params, label_pen = [self.label], [True]
            self._label_grad = [np.zeros_like(self.label)]
        else:
            self._label_layer = Dense(n_outputs, d, rng=rng, dtype=dtype)
            label_params = self._label_layer.params
            label_pen = self._label_layer.penalized
            self._label_grad = self._label_layer.grads
        self.head = mlp([d, d, n_outputs], activation="relu", rng=rng, dtype=dtype)
        self.log_bandwidth = np.zeros(1, dtype=dtype)
        self.vote_scale = np.ones(1, dtype=dtype)
        parts = [self.encoder, self.key, self.diff_map]
        label_params = label_params + [self.log_bandwidth, self.vote_scale]
        label_pen = label_pen + [False, False]
        self._label_grad = self._label_grad + [
            np.zeros(1, dtype=dtype),
            np.zeros(1, dtype=dtype),
        ]
        self.params = [p for part in parts for p in part.params] + label_params
        self.params += self.head.params
        self.grads = [g for part in parts for g in part.grads] + self._label_grad
        self.grads += self.head.grads
        self.penalized = [f for part in parts for f in part.penalized] + label_pen
        self.penalized += self.head.penalized
        self.blas_threads = 1
        self.refresher = None
        self.refresh_every = None
        self.epochs_on_context = 0
        self.memory = None
        self.memory_keys = None
        self.loss_name = (
            "cross-entropy" if task == "classification" else "squared error"
        )
        self.validation_name = "accuracy" if task == "classification" else "R2"

    # -- the training memory ------------------------------------------------
    def set_memory(self, data, targets, neighbors, mask, distances, fixed):
        """Training rows (standardised), encoded targets, their context.

        ``distances`` are the input-space distances to the context rows,
        ``fixed`` the non-learned weights of the training rows' context (None
        with ``weighting="attention"``).
        """
        self.memory = (data, targets, neighbors, mask, fixed)
        squared = np.square(distances, dtype=np.float64)
        self.r0_squared = float(squared[mask].mean()) if mask.any() else 1.0
        if not self.r0_squared > 0:
            self.r0_squared = 1.0
        self.memory_prior = self.prior(distances)
        self.memory_keys = None
        self.epochs_on_context = 0

    def set_context(self, neighbors, mask, distances, fixed):
        """Replace the training rows' context (a refresh), keeping ``r0``."""
        data, targets = self.memory[:2]
        self.memory = (data, targets, neighbors, mask, fixed)
        self.memory_prior = self.prior(distances)
        self.epochs_on_context = 0

    def start_epoch(self, epoch):
        """The training loop's hook: refresh the context when it is due.

        With a ``refresher`` (a callable returning ``(neighbors, mask,
        distances, fixed)`` of the training rows, found with the current
        weights) the context is recomputed once every ``refresh_every``
        epochs. The objective is not reported as changed: the convergence
        count goes on across refreshes.
        """
        if self.refresher is not None and self.epochs_on_context >= self.refresh_every:
            self.set_context(*self.refresher(self))
        self.epochs_on_context += 1
        return False

    def prior(self, distances):
        """``r^2 / r0^2`` of context distances, in the computation dtype."""
        return (np.square(distances) / self.r0_squared).astype(self.key.W.dtype)

    def set_memory_keys(self, chunk=4096):
        """Encode every training row's key once (for inference), with its
        squared norm and its target as the vote counts it (one-hot class or
        standardised value)."""
        data, targets = self.memory[0], self.memory[1]
        n_rows = data.shape[0]
        keys = self.keys(data, chunk)
        self.memory_keys = keys
        self.memory_key_norms = np.einsum("nd,nd->n", keys, keys)
        self.memory_targets = self._context_targets(targets, n_rows, 1)[:, 0]

    def keys(self, X_std, chunk=4096):
        """The keys ``K(E(x))`` of standardised rows, by chunks of rows."""
        n_rows = X_std.shape[0]
        keys = np.empty((n_rows, self.embed_dim), dtype=self.key.W.dtype)
        for start in range(0, n_rows, chunk):
            rows = slice(start, start + chunk)
            keys[rows] = self.key.predict(self.encoder.predict(X_std[rows]))
        return keys

    def _vote_term(self, vote):
        """``V(vote)``: its logarithm (plus the floor) for classes, else itself.

        Fixed weights (LLE's) may give a class a negative vote: it counts as
        0 (with fixed weights no gradient flows through the vote).
        """
        if self.task == "classification":
            return np.log(np.maximum(vote, 0) + VOTE_FLOOR)
        return vote

    # -- pieces -------------------------------------------------------------
    def _label_weights(self):
        """``(W, b)`` of the label map: an embedding per class (no bias), or
        the Dense map of the standardised targets."""
        if self._label_layer is None:
            return self.label, None
        return self._label_layer.W, self._label_layer.b

    def _context_targets(self, targets, b, k):
        """The context rows' targets as (b, k, n_outputs): one-hot classes or
        standardised values."""
        if self._label_layer is None:
            eye = np.eye(self.n_outputs, dtype=self.key.W.dtype)
            return eye[targets].reshape(b, k, self.n_outputs)
        return targets.reshape(b, k, self.n_outputs)

    def _attend(self, q, keys, targets_bk, mask, prior, fixed):
        """Context vector and vote from the query key ``q`` (b, d), the
        context rows' keys (b, k, d), targets (b, k, n_outputs) and distance
        prior (b, k).

        Both maps of the values are affine, so the weighted sum of the
        values is taken before them: with ``s = sum_j a_j``,
        ``sum_j a_j (T(q - k_j) + L(t_j)) = T'(u) + L'(vote) + s (b_T + b_L)``
        where ``u = sum_j a_j (q - k_j)``, ``vote = sum_j a_j t_j`` and
        ``T'``, ``L'`` the linear parts: one (b, d) product each instead of
        one per context row.
        """
        diff = q[:, None, :] - keys
        if fixed is None:
            scores = np.einsum("bkd,bkd->bk", diff, diff)
            scores *= -self.scale
            scores -= np.exp(self.log_bandwidth[0]) * prior
            weights = masked_softmax(scores, mask)
        else:
            weights = fixed
        total = weights.sum(axis=1)
        u = np.matmul(weights[:, None, :], diff)[:, 0]
        vote = np.matmul(weights[:, None, :], targets_bk)[:, 0]
        context = self._values(u, vote, total)
        return context, weights, diff, total, u, vote

    def _values(self, u, vote, total):
        """The weighted sum of the values from ``u``, ``vote`` and ``s``."""
        label_W, label_b = self._label_weights()
        context = u @ self.diff_map.W
        context += vote @ label_W
        bias = self.diff_map.b if label_b is None else self.diff_map.b + label_b
        context += total[:, None] * bias
        return context

    # -- training -----------------------------------------------------------
    def forward(self, rows, rng=None):
        """Training forward pass of the training rows ``rows``; return logits.

        ``rng`` draws the dropout mask (no dropout when None).

        The context rows' encodings serve only their keys, and the encoder's
        output layer and the key map are both affine: the context keys are
        computed through their product ``W_2 W_K`` (one product per context
        row instead of two); the query rows take the two maps in turn (their
        encoding ``h`` is the head's input).
        """
        data, targets, neighbors, mask, fixed = self.memory
        nb, m = neighbors[rows], mask[rows]
        b, k = nb.shape
        d = self.embed_dim
        first, second = self.encoder.layers
        inputs = np.concatenate([data[rows], data[nb.ravel()]])
        hidden = inputs @ first.W
        hidden += first.b
        np.maximum(hidden, 0, out=hidden)
        h = hidden[:b] @ second.W
        h += second.b
        q = h @ self.key.W
        q += self.key.b
        fused_W = second.W @ self.key.W
        fused_b = second.b @ self.key.W + self.key.b
        keys = hidden[b:] @ fused_W
        keys += fused_b
        context_targets = targets[nb.ravel()]
        targets_bk = self._context_targets(context_targets, b, k)
        context, weights, diff, total, u, vote = self._attend(
            q,
            keys.reshape(b, k, d),
            targets_bk,
            m,
            self.memory_prior[rows],
            None if fixed is None else fixed[rows],
        )
        keep = None
        if self.dropout and rng is not None:
            keep = rng.uniform(size=h.shape) >= self.dropout
            keep = keep.astype(h.dtype) / (1 - self.dropout)
            z = h * keep + context
        else:
            z = h + context
        self._cache = (
            inputs,
            hidden,
            h,
            fused_W,
            diff,
            weights,
            total,
            u,
            vote,
            targets_bk,
            self.memory_prior[rows],
            keep,
        )
        return self.head.forward(z) + self.vote_scale[0] * self._vote_term(vote)

    def backward(self, d_out):
        """Fill the gradients from the gradient of the loss w.r.t. the logits."""
        (
            inputs,
            hidden,
            h,
            fused_W,
            diff,
            weights,
            total,
            u,
            vote,
            targets_bk,
            prior,
            keep,
        ) = self._cache
        b, k, d = diff.shape
        first, second = self.encoder.layers
        d_context = self.head.backward(d_out.copy())
        self._label_grad[-1][0] = np.vdot(d_out, self._vote_term(vote))
        # The value maps (applied to the weighted sums, see _attend).
        label_W, label_b = self._label_weights()
        np.dot(u.T, d_context, out=self.diff_map.grads[0])
        np.dot(total, d_context, out=self.diff_map.grads[1])
        np.dot(vote.T, d_context, out=self._label_grad[0])
        if label_b is not None:
            np.dot(total, d_context, out=self._label_grad[1])
        d_u = d_context @ self.diff_map.W.T
        d_diff = weights[:, :, None] * d_u[:, None, :]
        if self.weighting == "attention":
            bias = self.diff_map.b if label_b is None else self.diff_map.b + label_b
            per_target = d_context @ label_W.T
            d_vote = self.vote_scale[0] * d_out
            if self.task == "classification":  # through log(vote + floor)
                d_vote /= vote + VOTE_FLOOR
            per_target += d_vote
            d_weights = np.matmul(diff, d_u[:, :, None])[:, :, 0]
            d_weights += np.matmul(targets_bk, per_target[:, :, None])[:, :, 0]
            d_weights += (d_context @ bias)[:, None]
            d_scores = weights * (
                d_weights - (weights * d_weights).sum(1, keepdims=True)
            )
            d_diff += (-2 * self.scale) * d_scores[:, :, None] * diff
            self._label_grad[-2][0] = -np.exp(self.log_bandwidth[0]) * np.vdot(
                d_scores, prior
            )
        else:
            self._label_grad[-2][0] = 0
        d_q = d_diff.sum(axis=1)
        d_keys = d_diff.reshape(b * k, d)
        np.negative(d_keys, out=d_keys)
        # The context keys: through the fused map W_2 W_K (+ b_2 W_K + b_K).
        hidden_context = hidden[b:]
        d_fused_W = hidden_context.T @ d_keys
        d_fused_b = d_keys.sum(axis=0)
        d_hidden = np.empty_like(hidden)
        np.dot(d_keys, fused_W.T, out=d_hidden[b:])
        # The query rows: key map, then the encoder's output layer.
        key_W = self.key.W
        d_h = d_q @ key_W.T
        d_h += d_context if keep is None else d_context * keep
        grad_key_W, grad_key_b = self.key.grads
        np.dot(h.T, d_q, out=grad_key_W)
        grad_key_W += second.W.T @ d_fused_W
        grad_key_W += np.outer(second.b, d_fused_b)
        np.add(d_q.sum(axis=0), d_fused_b, out=grad_key_b)
        grad_W2, grad_b2 = second.grads
        np.dot(hidden[:b].T, d_h, out=grad_W2)
        grad_W2 += d_fused_W @ key_W.T
        np.add(d_h.sum(axis=0), d_fused_b @ key_W.T, out=grad_b2)
        np.dot(d_h, second.W.T, out=d_hidden[:b])
        d_hidden *= hidden > 0
        np.dot(inputs.T, d_hidden, out=first.grads[0])
        d_hidden.sum(axis=0, out=first.grads[1])

    def _loss(self, logits, y):
        if self.task == "classification":
            return softmax_cross_entropy(logits, y)
        return squared_error(logits, y.reshape(logits.shape))

    def loss_and_grads(self, X_batch, y_batch, rng):
        """Mean loss of the batch and the gradients (``X_batch``: row ids)."""
        logits = self.forward(X_batch[:, 0], rng)
        loss, d_out = self._loss(logits, y_batch)
        self.backward(d_out)
        return loss, self.grads

    def validation_score(self, X_val, y_val):
        """Accuracy, or the mean R² over targets, of held-out training rows."""
        data, targets, neighbors, mask, fixed = self.memory
        rows = X_val[:, 0]
        self.set_memory_keys()
        logits = self.infer(
            data[rows],
            neighbors[rows],
            mask[rows],
            self.memory_prior[rows],
            None if fixed is None else fixed[rows],
        )[2]
        self.memory_keys = None
        if self.task == "classification":
            return float(np.mean(logits.argmax(axis=1) == y_val))
        y_val = y_val.reshape(logits.shape)
        residual = ((y_val - logits) ** 2).sum(axis=0)
        total = ((y_val - y_val.mean(axis=0)) ** 2).sum(axis=0)
        return float(np.mean(1 - residual / np.where(total > 0, total, 1)))

    # -- inference ----------------------------------------------------------
    def infer(self, X_std, neighbors, mask, prior, fixed):
        """``(h, context, logits, weights)`` of standardised rows.

        The context rows' keys, their squared norms and targets are gathered
        from the tables of :meth:`set_memory_keys`; the squared distances are
        expanded, ``|q|^2 - 2 q.k_j + |k_j|^2``, and the weighted sum of the
        differences is ``s q - sum_j a_j k_j``: no (b, k, d) difference array.
        """
        b, k = neighbors.shape
        d = self.embed_dim
        h = self.encoder.predict(X_std)
        q = self.key.predict(h)
        flat = neighbors.ravel()
        keys = self.memory_keys[flat].reshape(b, k, d)
        targets_bk = self.memory_targets[flat].reshape(b, k, -1)
        if fixed is None:
            cross = np.matmul(keys, q[:, :, None])[:, :, 0]
            squared = self.memory_key_norms[flat].reshape(b, k)
            squared -= 2 * cross
            squared += np.einsum("bd,bd->b", q, q)[:, None]
            np.maximum(squared, 0, out=squared)
            squared *= -self.scale
            squared -= np.exp(self.log_bandwidth[0]) * prior
            weights = masked_softmax(squared, mask)
        else:
            weights = fixed
        total = weights.sum(axis=1)
        u = total[:, None] * q
        u -= np.matmul(weights[:, None, :], keys)[:, 0]
        vote = np.matmul(weights[:, None, :], targets_bk)[:, 0]
        context = self._values(u, vote, total)
        logits = self.head.predict(h + context)
        logits += self.vote_scale[0] * self._vote_term(vote)
        return h, context, logits, weights


def probabilities(logits):
    """Class probabilities from the head's logits."""
    return softmax(logits)
