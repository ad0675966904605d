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
    out = H(drop(h) + c) + b * sum_j a_j t_j
                                    head, plus the neighbours' weighted vote

``L`` is a learned embedding per class (classification) or a Dense map of the
standardised target(s) (regression); ``r_j`` is the distance between the
rows in the retrieval's input space, ``r0^2`` the mean
squared context distance of the training rows and ``g`` a learned log-scale
(0 at initialisation): at initialisation the attention is a Gaussian kernel
smoother over the retrieved rows, and training reshapes it through the keys.
``t_j`` is the context row's target (one-hot class or standardised value)
and ``b`` a learned scale (1 at initialisation): the head learns a
correction to the attention-weighted vote of the neighbours. ``drop`` is
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
them.
"""

import numpy as np

from .._nn._layers import Dense, mlp
from .._nn._losses import softmax, softmax_cross_entropy, squared_error


def masked_softmax(scores, mask):
    """Softmax over the last axis of ``scores`` where ``mask``; 0 elsewhere.

    A row without any valid slot gets all zeros.
    """
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
        self.scale = 1.0 / np.sqrt(d)
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

    def prior(self, distances):
        """``r^2 / r0^2`` of context distances, in the computation dtype."""
        return (np.square(distances) / self.r0_squared).astype(self.key.W.dtype)

    def set_memory_keys(self, chunk=4096):
        """Encode every training row's key once (for inference)."""
        data = self.memory[0]
        keys = np.empty((data.shape[0], self.embed_dim), dtype=data.dtype)
        for start in range(0, data.shape[0], chunk):
            rows = slice(start, start + chunk)
            keys[rows] = self.key.predict(self.encoder.predict(data[rows]))
        self.memory_keys = keys

    # -- pieces -------------------------------------------------------------
    def _label_values(self, targets, train):
        if self._label_layer is None:
            return self.label[targets]
        if train:
            return self._label_layer.forward(targets)
        return self._label_layer.predict(targets)

    def _attend(self, h, q, keys, labels, mask, prior, fixed, train):
        """Context vector from the query's encoding ``h``/key ``q`` and the
        context rows' keys (b, k, d), label values (b, k, d) and distance
        prior (b, k)."""
        b, k, d = keys.shape
        diff = q[:, None, :] - keys
        if fixed is None:
            scores = np.einsum("bkd,bkd->bk", diff, diff)
            scores *= -self.scale
            scores -= np.exp(self.log_bandwidth[0]) * prior
            weights = masked_softmax(scores, mask)
        else:
            weights = fixed
        map_ = self.diff_map.forward if train else self.diff_map.predict
        values = map_(diff.reshape(b * k, d)).reshape(b, k, d)
        values += labels
        context = np.einsum("bk,bkd->bd", weights, values)
        if train:
            self._cache = (diff, weights, values, prior)
        return context, weights

    def _context_targets(self, targets, b, k):
        """The context rows' targets as (b, k, n_outputs): one-hot classes or
        standardised values."""
        if self._label_layer is None:
            eye = np.eye(self.n_outputs, dtype=self.key.W.dtype)
            return eye[targets].reshape(b, k, self.n_outputs)
        return targets.reshape(b, k, self.n_outputs)

    # -- training -----------------------------------------------------------
    def forward(self, rows, rng=None):
        """Training forward pass of the training rows ``rows``; return logits.

        ``rng`` draws the dropout mask (no dropout when None).
        """
        data, targets, neighbors, mask, fixed = self.memory
        nb, m = neighbors[rows], mask[rows]
        b, k = nb.shape
        inputs = np.concatenate([data[rows], data[nb.ravel()]])
        h_all = self.encoder.forward(inputs)
        keys_all = self.key.forward(h_all)
        d = self.embed_dim
        labels = self._label_values(targets[nb.ravel()], train=True).reshape(b, k, d)
        self._cache_targets = targets[nb.ravel()]
        context, _ = self._attend(
            h_all[:b],
            keys_all[:b],
            keys_all[b:].reshape(b, k, d),
            labels,
            m,
            self.memory_prior[rows],
            None if fixed is None else fixed[rows],
            train=True,
        )
        h = h_all[:b]
        self._keep = None
        if self.dropout and rng is not None:
            keep = rng.uniform(size=h.shape) >= self.dropout
            self._keep = keep.astype(h.dtype) / (1 - self.dropout)
            h = h * self._keep
        self._targets_bk = self._context_targets(self._cache_targets, b, k)
        self._vote = np.einsum("bk,bko->bo", self._cache[1], self._targets_bk)
        return self.head.forward(h + context) + self.vote_scale[0] * self._vote

    def backward(self, d_out):
        """Fill the gradients from the gradient of the loss w.r.t. the logits."""
        diff, weights, values, prior = self._cache
        b, k, d = diff.shape
        d_z = self.head.backward(d_out.copy())
        d_context = d_z
        d_values = weights[:, :, None] * d_context[:, None, :]
        d_flat = d_values.reshape(b * k, d)
        d_diff = self.diff_map.backward(d_flat.copy()).reshape(b, k, d)
        self._label_grad[-1][0] = np.vdot(d_out, self._vote)
        if self.weighting == "attention":
            d_weights = np.einsum("bkd,bd->bk", values, d_context)
            d_weights += self.vote_scale[0] * np.einsum(
                "bo,bko->bk", d_out, self._targets_bk
            )
            d_scores = weights * (
                d_weights - (weights * d_weights).sum(1, keepdims=True)
            )
            d_diff += (-2 * self.scale) * d_scores[:, :, None] * diff
            self._label_grad[-2][0] = -np.exp(self.log_bandwidth[0]) * np.vdot(
                d_scores, prior
            )
        else:
            self._label_grad[-2][0] = 0
        if self._label_layer is None:
            grad = self._label_grad[0]
            grad[...] = 0
            np.add.at(grad, self._cache_targets, d_flat)
        else:
            self._label_layer.backward(d_flat, input_grad=False)
        d_keys = np.empty((b + b * k, d), dtype=diff.dtype)
        d_keys[:b] = d_diff.sum(axis=1)
        d_keys[b:] = -d_diff.reshape(b * k, d)
        d_h = self.key.backward(d_keys)
        d_h[:b] += d_z if self._keep is None else d_z * self._keep
        self.encoder.backward(d_h, input_grad=False)

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
        """``(h, context, logits, weights)`` of standardised rows."""
        targets = self.memory[1]
        b, k = neighbors.shape
        h = self.encoder.predict(X_std)
        q = self.key.predict(h)
        keys = self.memory_keys[neighbors.ravel()].reshape(b, k, self.embed_dim)
        labels = self._label_values(targets[neighbors.ravel()], train=False)
        labels = labels.reshape(b, k, self.embed_dim)
        context, weights = self._attend(
            h, q, keys, labels, mask, prior, fixed, train=False
        )
        vote = np.einsum(
            "bk,bko->bo",
            weights,
            self._context_targets(targets[neighbors.ravel()], b, k),
        )
        logits = self.head.predict(h + context) + self.vote_scale[0] * vote
        return h, context, logits, weights


def probabilities(logits):
    """Class probabilities from the head's logits."""
    return softmax(logits)
