"""NeighborAttention: attention over each row's nearest training rows (TabR-like).

The estimators are thin: fitting and inference live in ``_neighbor_base``,
retrieval in ``_neighbor_retrieval`` (through the neighbours seam), the
network in ``_neighbor_network`` and training in the shared loop of
:mod:`skmanifold_attn._nn`.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import (
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    RegressorMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.multiclass import type_of_target

from ._neighbor_base import _BaseNeighborAttention
from ._neighbor_docs import fill_neighbor_doc
from ._neighbor_network import probabilities

if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from typing_extensions import Self


@fill_neighbor_doc
class NeighborAttention(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, _BaseNeighborAttention
):
    """Encode each row together with an attention summary of its nearest training rows.

    For every row, the ``n_neighbors`` nearest training rows (in the input
    space, standardised or in the columns' own units as ``scale_retrieval``
    chooses, or with ``retrieval="learned"`` in the space of the network's
    keys, found through the neighbours seam) are its context.
    A learned encoder maps rows to ``embed_dim`` values; attention
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
    held-out target. Categorical columns (``categorical_features``) are
    one-hot encoded and missing values (NaN) filled with the column's mean
    plus a missing indicator, for the network and the retrieval alike.

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
        dropout=0.2,
        scale_retrieval="auto",
        retrieval="input",
        retrieval_refresh=10,
        categorical_features="from_dtype",
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
            dropout=dropout,
            scale_retrieval=scale_retrieval,
            retrieval=retrieval,
            retrieval_refresh=retrieval_refresh,
            categorical_features=categorical_features,
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
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
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

    def transform(self, X: ArrayLike) -> np.ndarray:
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


@functools.partial(fill_neighbor_doc, dropout="0.5")
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

    def __init__(
        self,
        *,
        n_neighbors=16,
        embed_dim=32,
        weights="attention",
        dropout=0.5,
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
        # Classification overfits through the row's own encoding more than
        # regression does: a larger dropout by default.
        super().__init__(
            n_neighbors=n_neighbors,
            embed_dim=embed_dim,
            weights=weights,
            dropout=dropout,
            scale_retrieval=scale_retrieval,
            retrieval=retrieval,
            retrieval_refresh=retrieval_refresh,
            categorical_features=categorical_features,
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
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

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
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

    def predict(self, X: ArrayLike) -> np.ndarray:
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


@fill_neighbor_doc
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
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
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

    def predict(self, X: ArrayLike) -> np.ndarray:
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
