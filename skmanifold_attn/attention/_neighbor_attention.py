"""NeighborAttention: attention over each row's nearest training rows (TabR-like).

The estimators are thin: retrieval lives in ``_neighbor_retrieval`` (through
the neighbours seam), the network in ``_neighbor_network`` and training in
the shared loop of :mod:`skmanifold_attn._nn`.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.preprocessing import LabelEncoder
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._docstrings import DOC_PIECES
from .._nn._preprocessing import fit_standardisation
from .._nn._training import NeuralTrainingMixin
from ..manifold._neighbors import ALGORITHMS
from ._neighbor_network import NeighborAttentionNetwork, probabilities
from ._neighbor_retrieval import (
    QUERY_CHUNK,
    build_memory_index,
    context_neighbors,
    fixed_weights,
)

WEIGHTINGS = ("attention", "uniform", "barycentric")
# The parameters that shape the network: a warm-started fit needs them unchanged.
ARCHITECTURE = ("embed_dim", "weights")

_COMMON_PARAMETERS = """\
    n_neighbors : int, default=16
        Number of nearest training rows each row attends to (its context);
        at most the number of training rows minus one.
    embed_dim : int, default=32
        Width of the row encoding, the keys, the values and the context
        vector.
    weights : {"attention", "uniform", "barycentric"}, default="attention"
        How the context rows are weighted: ``"attention"`` learns the weights
        (softmax of minus the squared distance between learned keys, as
        TabR); ``"uniform"`` averages them; ``"barycentric"`` uses LLE's
        reconstruction weights of the row from its context rows in the
        standardised input space. The last two are baselines.
    neighbors_algorithm : {"auto", "brute", "kd_tree", "ball_tree", \
"hnswlib"}, default="auto"
        How the nearest training rows are found, in the standardised input
        space (exact; ``"hnswlib"`` approximate, an optional dependency).
    alpha : float, default=1e-4
        Strength of the L2 penalty on the weights.
    batch_size : int or "auto", default="auto"
        Mini-batch size; ``"auto"`` is ``min(200, n_samples)``.
    {learning_rate_init}
    max_iter : int, default=100
        Maximum number of epochs.
    tol : float, default=1e-4
        Improvement of the loss (or validation score) that counts.
    n_iter_no_change : int, default=10
        Stop after this many epochs without an improvement of ``tol``.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training rows (stratified for
        classes), stop on their score (accuracy or R², each held-out row
        predicted from its context without its own target) and keep the
        best weights. The held-out rows stay in the other rows' context.
    validation_fraction : float, default=0.1
        Share of the rows held out for early stopping.
    shuffle : bool, default=True
        Whether to shuffle the rows at every epoch.
    warm_start : bool, default=False
        Continue from the previous fit's weights (on the new training rows,
        which become the new context; ``embed_dim``, ``weights``, the task
        and the classes or number of targets must not change).
    random_state : int, RandomState instance or None, default=None
        Seed of the initial weights, shuffling and validation split.
    verbose : bool or int, default=False
        Print one line per epoch.
"""

_COMMON_ATTRIBUTES = """\
    loss_curve_ : list of float
        Mean training loss of every epoch.
    validation_scores_ : list of float or None
        Validation score of every epoch (with ``early_stopping``).
    best_validation_score_ : float or None
        Best validation score (with ``early_stopping``).
    best_loss_ : float or None
        Smallest training loss (without ``early_stopping``).
    n_iter_ : int
        Number of epochs run.
    t_ : int
        Number of training samples seen.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when they are all strings.
"""

_REFERENCES = """\
    .. [1] Y. Gorishniy, I. Rubachev, N. Kartashev, D. Shlenskii, A. Kotelnikov
       and A. Babenko, "TabR: Tabular Deep Learning Meets Nearest Neighbors",
       ICLR 2024 (arXiv:2307.14338, 2023).
    .. [2] S. Roweis and L. Saul, "Nonlinear Dimensionality Reduction by
       Locally Linear Embedding", Science 290, 2000.
"""


def _fill(cls):
    doc = cls.__doc__
    doc = doc.replace("    {common_parameters}\n", _COMMON_PARAMETERS)
    doc = doc.replace("    {learning_rate_init}\n", DOC_PIECES["learning_rate_init"])
    doc = doc.replace("    {common_attributes}\n", _COMMON_ATTRIBUTES)
    doc = doc.replace("    {references}\n", _REFERENCES)
    cls.__doc__ = doc
    return cls


def _refuse_non_numeric(name, X):
    """A clear error for string or categorical columns (numeric only for now)."""
    dtypes = getattr(X, "dtypes", None)
    if dtypes is not None and hasattr(dtypes, "items"):
        bad = [
            str(column)
            for column, dtype in dtypes.items()
            if getattr(dtype, "kind", "O") not in "biuf"
        ]
    else:
        array = X if isinstance(X, np.ndarray) else None
        if array is None or array.dtype.kind not in "OUS":
            return
        if array.dtype.kind == "O" and not any(isinstance(v, str) for v in array.flat):
            return
        bad = ["with strings"]
    if bad:
        raise ValueError(
            f"{name} supports numeric columns only (a numeric dtype), but X has "
            f"non-numeric columns: {', '.join(bad[:5])}"
            f"{' ...' if len(bad) > 5 else ''}. Encode categorical and string "
            "columns first, e.g. with OneHotEncoder or OrdinalEncoder in a "
            "ColumnTransformer."
        )


class _BaseNeighborAttention(NeuralTrainingMixin, BaseEstimator):
    """Shared fitting and inference; subclasses fix or infer the task."""

    _parameter_constraints = {
        **NeuralTrainingMixin._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "weights": [StrOptions(set(WEIGHTINGS))],
        "neighbors_algorithm": [StrOptions(set(ALGORITHMS))],
    }

    def __init__(
        self,
        *,
        n_neighbors=16,
        embed_dim=32,
        weights="attention",
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
    def _validate_X(self, X, reset, y=None):
        _refuse_non_numeric(type(self).__name__, X)
        if not reset:
            return validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return validate_data(
            self,
            X,
            y,
            dtype=[np.float64, np.float32],
            multi_output=True,
            y_numeric=False,
        )

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
            self.n_features_in_,
            self.embed_dim,
            self._task,
            self._n_outputs,
            self.weights,
            rng=rng,
            dtype=self._memory[0].dtype,
        )
        model.set_memory(*self._memory)
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
        X, y = self._validate_X(X, reset=first, y=y)
        n_samples = X.shape[0]
        if self.n_neighbors >= n_samples:
            raise ValueError(
                f"Expected n_neighbors < n_samples, but n_neighbors = "
                f"{self.n_neighbors}, n_samples = {n_samples}: each training row "
                "attends to its n_neighbors nearest other training rows."
            )
        y_enc = self._encode_targets(y, first, X.dtype)
        mean, scale = fit_standardisation(X)
        data = (X - mean) / scale
        index = build_memory_index(
            self.neighbors_algorithm, data, self.n_neighbors, self.random_state
        )
        neighbors, mask = context_neighbors(index, data, data, self.n_neighbors)
        fixed = None
        if self.weights != "attention":
            fixed = fixed_weights(self.weights, data, data, neighbors, mask)
        self._memory = (data, y_enc, neighbors, mask, fixed)
        if not first:
            self._model.set_memory(*self._memory)
        stratify = y_enc if self._task == "classification" else None
        rows = np.arange(n_samples).reshape(-1, 1)
        self._train(rows, y_enc, incremental=False, stratify=stratify)
        self._model.set_memory_keys()
        self._column_mean, self._column_scale = mean, scale
        self._index = index
        del self._memory
        return self

    # -- inference -----------------------------------------------------------
    def _infer(self, X):
        """``(h, context, logits, indices, mask, weights)`` of new rows, chunked."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        data = self._model.memory[0]
        X_std = (X - self._column_mean) / self._column_scale
        X_std = X_std.astype(data.dtype, copy=False)
        parts = []
        for start in range(0, X_std.shape[0], QUERY_CHUNK):
            chunk = X_std[start : start + QUERY_CHUNK]
            neighbors, mask = context_neighbors(
                self._index, data, chunk, self.n_neighbors_
            )
            fixed = None
            if self._architecture["weights"] != "attention":
                fixed = fixed_weights(
                    self._architecture["weights"], chunk, data, neighbors, mask
                )
            h, context, logits, weights = self._model.infer(
                chunk, neighbors, mask, fixed
            )
            parts.append((h, context, logits, neighbors, mask, weights))
        if not parts:  # no rows: validate_data refuses them, kept for safety
            raise ValueError("Found array with 0 sample(s).")
        return [np.concatenate(column) for column in zip(*parts, strict=True)]

    @property
    def n_neighbors_(self):
        """Context size of the fitted model."""
        return self._model.memory[2].shape[1]

    def neighbor_weights(self, X):
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
        tags.input_tags.allow_nan = False
        return tags


@_fill
class NeighborAttention(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, _BaseNeighborAttention
):
    """Encode each row together with an attention summary of its nearest training rows.

    For every row, the ``n_neighbors`` nearest training rows (in the
    standardised input space, found through the neighbours seam) are its
    context. A learned encoder maps rows to ``embed_dim`` values; attention
    weights come from minus the squared distance between the row's key and
    each context row's key; each context row's value is an embedding of its
    target plus a map of the key difference. The output is ``[h, c]``: the
    row's encoding ``h`` and the context vector ``c`` (``2 * embed_dim``
    columns), trained with a classification or regression head on ``y``
    (dropped from the output). This is TabR's retrieval module [1]_; LLE's
    barycentric weights [2]_ are one of the fixed alternatives.

    A training row never attends to itself: a row identical to a training
    row (Euclidean distance exactly 0) leaves that training row out of its
    context, in ``fit`` and in ``transform``, so ``transform(X_train)``
    equals ``fit_transform(X_train)`` and cross-validation never sees a
    held-out target. Only numeric columns are accepted for now; missing
    values are refused.

    Parameters
    ----------
    {common_parameters}
    task : {"auto", "classification", "regression"}, default="auto"
        What ``y`` trains the head for. ``"auto"``: floating-point targets are
        regression targets, integer, boolean and string labels are classes.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (classification).
    {common_attributes}

    See Also
    --------
    NeighborAttentionClassifier : The same network as a classifier.
    NeighborAttentionRegressor : The same network as a regressor.
    AttentionPooling : Attention over the columns of a row.
    sklearn.neighbors.KNeighborsClassifier : Uniform or distance weights.

    References
    ----------
    {references}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import NeighborAttention
    >>> X, y = load_digits(return_X_y=True)
    >>> na = NeighborAttention(n_neighbors=8, embed_dim=16, max_iter=3,
    ...                        random_state=0)
    >>> Z = na.fit_transform(X[:300], y[:300])
    >>> Z.shape
    (300, 32)
    >>> indices, weights = na.neighbor_weights(X[300:302])
    >>> indices.shape, weights.shape
    ((2, 8), (2, 8))
    """

    _parameter_constraints = {
        **_BaseNeighborAttention._parameter_constraints,
        "task": [StrOptions({"auto", "classification", "regression"})],
    }

    def __init__(
        self,
        *,
        n_neighbors=16,
        embed_dim=32,
        weights="attention",
        neighbors_algorithm="auto",
        task="auto",
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
        super().__init__(
            n_neighbors=n_neighbors,
            embed_dim=embed_dim,
            weights=weights,
            neighbors_algorithm=neighbors_algorithm,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate_init=learning_rate_init,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            warm_start=warm_start,
            random_state=random_state,
            verbose=verbose,
        )
        self.task = task

    def _task_of(self, y):
        if self.task != "auto":
            return self.task
        kind = type_of_target(y, input_name="y", raise_unknown=True)
        if np.asarray(y).dtype.kind == "f" or kind.startswith("continuous"):
            return "regression"
        if kind in ("binary", "multiclass"):
            return "classification"
        raise ValueError(
            f"{type(self).__name__} supports binary or multiclass labels and "
            f"continuous targets; got y of type {kind!r}."
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Retrieve the training rows' context and train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows; they become the context of every row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels or regression targets (as ``task`` says).

        Returns
        -------
        self : NeighborAttention
            The fitted estimator.
        """
        return self._fit(X, y)

    def transform(self, X):
        """Each row's encoding and context vector.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows; a row identical to a training row is treated as that row.

        Returns
        -------
        X_new : ndarray of shape (n_samples, 2 * embed_dim)
            ``[h, c]``: the encoding, then the context vector.
        """
        h, context = self._infer(X)[:2]
        return np.hstack([h, context])

    @property
    def _n_features_out(self):
        return 2 * self._model.embed_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.target_tags.multi_output = True
        return tags


@_fill
class NeighborAttentionClassifier(ClassifierMixin, _BaseNeighborAttention):
    """Classify each row from an attention over its nearest training rows.

    The network of :class:`NeighborAttention` with its classification head:
    a row's class probabilities come from its encoding plus the
    attention-weighted embeddings of its ``n_neighbors`` nearest training
    rows' labels (and their differences from the row), as TabR [1]_. A
    training row never attends to itself (see :class:`NeighborAttention`).

    Parameters
    ----------
    {common_parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    {common_attributes}

    See Also
    --------
    NeighborAttention : The row encoding and context vector as a transformer.
    sklearn.neighbors.KNeighborsClassifier : Fixed weights over the neighbours.

    References
    ----------
    {references}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import NeighborAttentionClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = NeighborAttentionClassifier(n_neighbors=8, max_iter=20,
    ...                                   random_state=0).fit(X[:1000], y[:1000])
    >>> bool(clf.score(X[1000:], y[1000:]) > 0.9)
    True
    """

    _fixed_task = "classification"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Retrieve the training rows' context and train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows; they become the context of every row.
        y : array-like of shape (n_samples,)
            Class labels (at least two classes).

        Returns
        -------
        self : NeighborAttentionClassifier
            The fitted estimator.
        """
        return self._fit(X, y)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows; a row identical to a training row is treated as that row.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        return probabilities(self._infer(X)[2])

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows; a row identical to a training row is treated as that row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        logits = self._infer(X)[2]
        return self.classes_[np.argmax(logits, axis=1)]


@_fill
class NeighborAttentionRegressor(RegressorMixin, _BaseNeighborAttention):
    """Predict each row's target from an attention over its nearest training rows.

    The network of :class:`NeighborAttention` with its regression head: the
    prediction comes from the row's encoding plus the attention-weighted
    embeddings of its ``n_neighbors`` nearest training rows' targets (and
    their differences from the row), as TabR [1]_. Targets are standardised
    internally. A training row never attends to itself (see
    :class:`NeighborAttention`).

    Parameters
    ----------
    {common_parameters}

    Attributes
    ----------
    {common_attributes}

    See Also
    --------
    NeighborAttention : The row encoding and context vector as a transformer.
    sklearn.neighbors.KNeighborsRegressor : Fixed weights over the neighbours.

    References
    ----------
    {references}

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn import NeighborAttentionRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-2, 2, size=(600, 3))
    >>> y = np.sin(2 * X[:, 0]) * X[:, 1]
    >>> reg = NeighborAttentionRegressor(n_neighbors=8, max_iter=30,
    ...                                  random_state=0).fit(X[:500], y[:500])
    >>> bool(reg.score(X[500:], y[500:]) > 0.8)
    True
    """

    _fixed_task = "regression"

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Retrieve the training rows' context and train the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Numeric training rows; they become the context of every row.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Finite regression targets.

        Returns
        -------
        self : NeighborAttentionRegressor
            The fitted estimator.
        """
        return self._fit(X, y)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows; a row identical to a training row is treated as that row.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions, in the units of ``y``.
        """
        out = self._infer(X)[2] * self._y_scale + self._y_mean
        return out[:, 0] if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
