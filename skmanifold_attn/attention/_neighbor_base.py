"""Fitting and chunked inference shared by the NeighborAttention estimators."""

from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_y,
    check_consistent_length,
    check_is_fitted,
    column_or_1d,
)

from .._nn._preprocessing import fit_standardisation
from .._nn._training import NeuralTrainingMixin
from .._table import CATEGORICAL_FEATURES_CONSTRAINT, fit_table, transform_table
from ..manifold._neighbors import ALGORITHMS
from ._neighbor_features import RowFeatures
from ._neighbor_kernel import LOG_BANDWIDTHS, kernel_vote_losses
from ._neighbor_network import NeighborAttentionNetwork
from ._neighbor_retrieval import (
    QUERY_CHUNK,
    build_memory_index,
    context_neighbors,
    fixed_weights,
)

WEIGHTINGS = ("attention", "uniform", "barycentric")
# The parameters that shape the network: a warm-started fit needs them unchanged.
ARCHITECTURE = ("embed_dim", "weights")


class _BaseNeighborAttention(NeuralTrainingMixin, BaseEstimator):
    """Shared fitting and inference; subclasses fix or infer the task."""

    _parameter_constraints = {
        **NeuralTrainingMixin._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "weights": [StrOptions(set(WEIGHTINGS))],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "scale_retrieval": ["boolean", StrOptions({"auto"})],
        "retrieval": [StrOptions({"input", "learned"})],
        "retrieval_refresh": [Interval(Integral, 1, None, closed="left")],
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
        "neighbors_algorithm": [StrOptions(set(ALGORITHMS))],
    }

    def __init__(
        self,
        *,
        n_neighbors=16,
        embed_dim=32,
        weights="attention",
        dropout=0.2,
        scale_retrieval="auto",
        retrieval="input",
        retrieval_refresh=10,
        categorical_features="from_dtype",
        neighbors_algorithm="auto",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=100,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.n_neighbors = n_neighbors
        self.embed_dim = embed_dim
        self.weights = weights
        self.dropout = dropout
        self.scale_retrieval = scale_retrieval
        self.retrieval = retrieval
        self.retrieval_refresh = retrieval_refresh
        self.categorical_features = categorical_features
        self.neighbors_algorithm = neighbors_algorithm
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- input ---------------------------------------------------------------
    def _validate_X(self, X, reset):
        """The seam's codes of a table (numeric values and category codes)."""
        dtype = [np.float64, np.float32]
        if reset:
            codes, self._schema = fit_table(
                self, X, self.categorical_features, dtype=dtype
            )
        else:
            codes = transform_table(self, self._schema, X, dtype=dtype)
        return codes

    def _task_of(self, y):
        return self._fixed_task

    def _encode_targets(self, y, first, dtype):
        task = self._task_of(y) if first else self._task
        if task == "classification":
            check_classification_targets(y)
            if y.ndim == 2 and y.shape[1] == 1:
                y = column_or_1d(y, warn=True)
            if y.ndim != 1:
                raise ValueError(
                    f"{type(self).__name__} takes one column of class labels; got "
                    f"y of shape {y.shape}."
                )
            encoder = LabelEncoder().fit(y)
            if first:
                if encoder.classes_.shape[0] < 2:
                    raise ValueError(
                        f"{type(self).__name__} needs samples of at least 2 classes "
                        "in the data, but the data contains only one class: "
                        f"{encoder.classes_[0]!r}."
                    )
                self.classes_ = encoder.classes_
                self._n_outputs = self.classes_.shape[0]
            elif not np.array_equal(encoder.classes_, self.classes_):
                raise ValueError(
                    "warm_start=True continues the fitted network, whose classes "
                    f"were {self.classes_.tolist()}; y has "
                    f"{encoder.classes_.tolist()}. Fit afresh (warm_start=False)."
                )
            self._task = task
            return encoder.transform(y).astype(np.intp)
        y = np.asarray(y, dtype=np.float64)
        if not np.all(np.isfinite(y)):
            kind = "NaN" if np.isnan(y).any() else "infinity"
            raise ValueError(f"Input y contains {kind}.")
        y2 = y.reshape(y.shape[0], -1)
        if first:
            self._y_mean, self._y_scale = fit_standardisation(y2)
            self._n_outputs = y2.shape[1]
            self._y_1d = y.ndim == 1
        elif y2.shape[1] != self._n_outputs:
            raise ValueError(
                f"warm_start=True continues the fitted network of {self._n_outputs} "
                f"target(s); y has {y2.shape[1]}. Fit afresh (warm_start=False)."
            )
        self._task = task
        return ((y2 - self._y_mean) / self._y_scale).astype(dtype)

    def _check_architecture(self):
        changed = [n for n in ARCHITECTURE if getattr(self, n) != self._architecture[n]]
        if changed:
            raise ValueError(
                "warm_start=True continues the fitted network, but parameters "
                f"that define it changed since it was built ({', '.join(changed)}). "
                "Restore them, or set warm_start=False to train a new network."
            )

    # -- training ------------------------------------------------------------
    def _init_model(self, X, y, rng):
        self._architecture = {name: getattr(self, name) for name in ARCHITECTURE}
        model = NeighborAttentionNetwork(
            self._memory[0].shape[1],
            self.embed_dim,
            self._task,
            self._n_outputs,
            self.weights,
            self.dropout,
            rng=rng,
            dtype=self._memory[0].dtype,
        )
        model.set_memory(*self._memory)
        if self._kernel_log_bandwidth is not None:
            # Start from the kernel whose leave-one-out vote fits best.
            model.log_bandwidth[0] = self._kernel_log_bandwidth
        if self.retrieval == "learned":
            model.refresher = self._refresh
            model.refresh_every = self.retrieval_refresh
        return model

    def _fit(self, X, y):
        first = self._is_first_pass(False)
        if not first:
            self._check_architecture()
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y "
                "is None: the context rows' targets are part of the model."
            )
        X = self._validate_X(X, reset=first)
        y = _check_y(y, multi_output=True, y_numeric=False, estimator=self)
        check_consistent_length(X, y)
        n_samples = X.shape[0]
        if self.n_neighbors >= n_samples:
            raise ValueError(
                f"Expected n_neighbors < n_samples, but n_neighbors = "
                f"{self.n_neighbors}, n_samples = {n_samples}: each training row "
                "attends to its n_neighbors nearest other training rows."
            )
        y_enc = self._encode_targets(y, first, X.dtype)
        if first:
            self._features = RowFeatures(X, self._schema)
        data = self._features.transform(X)
        scaled, index, neighbors, mask, distances = self._retrieval_space(
            X, data, y_enc, first
        )
        space = index.data_  # the indexed rows (row-major)
        self._memory = (data, y_enc, neighbors, mask, distances)
        self._memory += (self._fixed_weights(space, space, neighbors, mask),)
        learned = self.retrieval == "learned"
        if not first:
            self._model.set_memory(*self._memory)
            if learned:  # the network is trained: start from its space
                self._model.refresher = self._refresh
                self._model.refresh_every = self.retrieval_refresh
                self._model.set_context(*self._learned_context(self._model, space))
        stratify = y_enc if self._task == "classification" else None
        rows = np.arange(n_samples).reshape(-1, 1)
        self._refresh_space = space
        try:
            self._train(rows, y_enc, incremental=False, stratify=stratify)
        finally:
            self._model.refresher = None
            del self._refresh_space, self._memory
        self._model.set_memory_keys()
        self._space = space
        self._learned_retrieval = learned
        if learned:
            # Inference searches the final keys of the training rows.
            self._index = build_memory_index(
                self.neighbors_algorithm,
                self._model.memory_keys,
                self.n_neighbors,
                self.random_state,
            )
        else:
            self._index = index
        self._scaled_retrieval = self.scale_retrieval_ = scaled
        return self

    def _retrieval_space(self, X, data, y_enc, first):
        """The retrieval space and the training rows' context in it.

        ``(scaled, index, neighbors, mask, distances)``. With
        ``scale_retrieval="auto"`` both spaces are searched and the one whose
        distance-kernel vote predicts the training rows' targets better
        (leave-one-out: a row is not in its own context; the loss at the
        best of the kernel's bandwidths) is kept. A classifier's first fit
        also keeps that best bandwidth as the attention's initial one, with
        retrieval in the input space only: the learned space replaces the
        context the choice was made on (and a sharp input-space kernel over
        the neighbours by the keys cost the digits about a point).
        """
        if self.scale_retrieval == "auto":
            candidates = (True, False)
        else:
            candidates = (self.scale_retrieval,)
        want_kernel = (
            first
            and self._task == "classification"
            and self.weights == "attention"
            and self.retrieval == "input"
        )
        if first:
            self._kernel_log_bandwidth = None
        best = None
        for scaled in candidates:
            space = data if scaled else self._features.transform(X, scaled=False)
            index = build_memory_index(
                self.neighbors_algorithm, space, self.n_neighbors, self.random_state
            )
            found = context_neighbors(index, index.data_, index.data_, self.n_neighbors)
            if len(candidates) == 1 and not want_kernel:
                return (scaled, index, *found)
            losses = self._kernel_losses(y_enc, *found)
            if best is None or losses.min() < best[0]:
                best = (losses.min(), int(np.argmin(losses)), scaled, index, found)
        if want_kernel:
            self._kernel_log_bandwidth = float(LOG_BANDWIDTHS[best[1]])
        return (best[2], best[3], *best[4])

    def _kernel_losses(self, y_enc, neighbors, mask, distances):
        """Leave-one-out losses of the kernel vote (see ``_neighbor_kernel``)."""
        classification = self._task == "classification"
        if classification:
            table = np.eye(self._n_outputs)[y_enc]
        else:
            table = y_enc.reshape(y_enc.shape[0], -1)
        safe = np.maximum(neighbors, 0)

        def context_targets(rows):
            return table[safe[rows]]

        return kernel_vote_losses(
            distances, mask, context_targets, table, classification=classification
        )

    def _fixed_weights(self, X, space, neighbors, mask):
        """The ablation's fixed weights (input space), or None."""
        if self.weights == "attention":
            return None
        return fixed_weights(self.weights, X, space, neighbors, mask)

    def _learned_context(self, model, space):
        """The training rows' context searched by the network's current keys.

        ``(neighbors, mask, distances, fixed)``: one index of the seam over
        the keys of all training rows, queried by chunks; a row never gets
        itself or its input-space duplicates; ``distances`` (the prior's) and
        the fixed weights are of the input space ``space``.
        """
        keys = model.keys(model.memory[0])
        index = build_memory_index(
            self.neighbors_algorithm, keys, self.n_neighbors, self.random_state
        )
        keys = index.data_
        neighbors, mask, distances = context_neighbors(
            index, keys, keys, self.n_neighbors, identity=(space, space)
        )
        fixed = self._fixed_weights(space, space, neighbors, mask)
        return neighbors, mask, distances, fixed

    def _refresh(self, model):
        return self._learned_context(model, self._refresh_space)

    # -- inference -----------------------------------------------------------
    def _infer(self, X):
        """``(h, context, logits, indices, mask, weights)`` of new rows, chunked."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        data = self._model.memory[0]
        X_std = self._features.transform(X).astype(data.dtype, copy=False)
        space = self._space
        if self._scaled_retrieval:
            X_space = X_std
        else:
            X_space = self._features.transform(X, scaled=False).astype(space.dtype)
        parts = []
        for start in range(0, X_std.shape[0], QUERY_CHUNK):
            chunk = X_std[start : start + QUERY_CHUNK]
            query = X_space[start : start + QUERY_CHUNK]
            if self._learned_retrieval:
                neighbors, mask, distances = context_neighbors(
                    self._index,
                    self._index.data_,
                    self._model.keys(chunk),
                    self.n_neighbors_,
                    identity=(space, query),
                )
            else:
                neighbors, mask, distances = context_neighbors(
                    self._index, space, query, self.n_neighbors_
                )
            fixed = None
            if self._architecture["weights"] != "attention":
                fixed = fixed_weights(
                    self._architecture["weights"], query, space, neighbors, mask
                )
            h, context, logits, weights = self._model.infer(
                chunk, neighbors, mask, self._model.prior(distances), fixed
            )
            parts.append((h, context, logits, neighbors, mask, weights))
        if not parts:  # no rows: validate_data refuses them, kept for safety
            raise ValueError("Found array with 0 sample(s).")
        return [np.concatenate(column) for column in zip(*parts, strict=True)]

    @property
    def n_neighbors_(self):
        """Context size of the fitted model."""
        return self._model.memory[2].shape[1]

    def neighbor_weights(self, X: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """The training rows each row attended to, and their weights.

        Explanation by example: row ``i``'s context vector is the weighted
        sum over the training rows ``indices[i]`` (of the data given to
        ``fit``) of their values (their target's embedding and their
        difference from row ``i``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to explain.

        Returns
        -------
        indices : ndarray of int of shape (n_samples, n_neighbors)
            Positions of the context rows in the training data, nearest
            first; -1 for a slot left empty (fewer non-identical training
            rows than ``n_neighbors``).
        weights : ndarray of shape (n_samples, n_neighbors)
            Their weights: non-negative and summing to one with
            ``weights="attention"`` or ``"uniform"``; LLE's weights (summing
            to one, possibly negative) with ``"barycentric"``; 0 on empty
            slots.
        """
        _, _, _, indices, mask, weights = self._infer(X)
        return np.where(mask, indices, -1), weights

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.input_tags.allow_nan = True
        return tags
