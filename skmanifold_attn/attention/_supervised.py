"""AttentionPoolingClassifier and AttentionPoolingRegressor: the head predicts.

Both are :class:`AttentionPooling` trained with ``y``: the same network, the
same training loop, the same input handling (token layout, categorical
columns, missing values, DataFrames). Where AttentionPooling drops its
trained head and hands the pooled vectors to another estimator, these keep
it and predict with it; ``transform`` still gives the pooled vectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._docstrings import fill_doc
from .._nn._losses import softmax
from ._attention_pooling import AttentionPooling
from ._docs import ATTENTION_DOC_PIECES  # noqa: F401 (registers the pieces)

if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from typing_extensions import Self

# AttentionPooling's parameters that a predictor fixes: the task is the
# class's, and the masked-token objective (fit without y) is not offered.
_FIXED = ("task", "mask_fraction")


class _AttentionPoolingPredictor(AttentionPooling):
    """AttentionPooling trained on ``y`` whose head predicts.

    Subclasses set ``task`` (a class attribute, not a parameter) and the
    defaults of their ``__init__``.
    """

    mask_fraction = 0.25  # unused: fitting needs y

    _parameter_constraints = {
        name: constraint
        for name, constraint in AttentionPooling._parameter_constraints.items()
        if name not in _FIXED
    }

    def _check_y(self, y):
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target "
                "y is None. To train AttentionPooling without targets (the "
                "masked-token objective), use AttentionPooling."
            )

    def _head_output(self, X):
        """The head's output for ``X``: logits, or standardised targets."""
        check_is_fitted(self)
        X = self._validate_tokens(X, reset=False)
        model = self._model
        return model.head.predict(model.transform(self._standardise(X)))

    def _fitted(self):
        self.n_outputs_ = self._targets.n_outputs
        return self


@fill_doc
class AttentionPoolingClassifier(ClassifierMixin, _AttentionPoolingPredictor):
    """Classifier on the attention-pooled tokens of each row.

    The network of :class:`AttentionPooling` (token embedding, optional
    self-attention blocks, pooling by multi-head attention) trained with its
    linear softmax head on the class labels, by the same training loop; the
    head predicts. ``X`` is handled as by AttentionPooling: a DataFrame with
    categorical columns and missing values works as it is, a missing entry
    masks its column's token in that row. :meth:`transform` gives the pooled
    vectors of the trained network.

    Parameters
    ----------
    {attention_layout}
    n_layers : int, default=0
        Number of self-attention blocks over the tokens before pooling.
    alpha : float, default=0.01
        Strength of the L2 penalty on the weights (scikit-learn's MLP
        convention: ``0.5 * alpha * ||W||^2 / batch rows`` added to the loss).
    {attention_training}
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    n_outputs_ : int
        Width of the head: the number of classes.
    {attention_attributes}
    See Also
    --------
    AttentionPooling : The pooled vectors, for any downstream estimator.
    AttentionPoolingRegressor : The same network for regression.
    sklearn.neural_network.MLPClassifier : The training conventions followed.

    References
    ----------
    .. [1] J. Lee, Y. Lee, J. Kim, A. Kosiorek, S. Choi and Y. W. Teh, "Set
       Transformer: A Framework for Attention-based Permutation-Invariant
       Neural Networks", ICML 2019.
    .. [2] Y. Gorishniy, I. Rubachev, V. Khrulkov and A. Babenko, "Revisiting
       Deep Learning Models for Tabular Data", NeurIPS 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skmanifold_attn import AttentionPoolingClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = AttentionPoolingClassifier(embed_dim=16, random_state=0).fit(X, y)
    >>> clf.predict_proba(X[:2]).shape
    (2, 3)
    >>> bool(clf.score(X, y) > 0.9)
    True
    """

    task = "classification"

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        token_dim=1,
        embedding="per_token",
        positional=None,
        embed_dim=64,
        n_heads=4,
        n_seeds=4,
        scoring="dot",
        context_rank=32,
        n_layers=0,
        alpha=0.01,
        batch_size="auto",
        learning_rate_init=3e-3,
        max_iter=200,
        tol=3e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.categorical_features = categorical_features
        self.token_dim = token_dim
        self.embedding = embedding
        self.positional = positional
        self.embed_dim = embed_dim
        self.n_heads = n_heads
        self.n_seeds = n_seeds
        self.scoring = scoring
        self.context_rank = context_rank
        self.n_layers = n_layers
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

    def _fit_classes(self, X, y, incremental, classes=None):
        self._check_y(y)
        self._fit(X, y, incremental=incremental, classes=classes)
        self.classes_ = self._targets.classes_
        return self._fitted()

    def _check_y_kind(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Train the network and its head on the class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens (a DataFrame with categorical columns works as
            it is); all-NaN tokens are padding.
        y : array-like of shape (n_samples,)
            Class labels, binary or multiclass.

        Returns
        -------
        self : AttentionPoolingClassifier
            The fitted classifier.
        """
        return self._fit_classes(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self, X: ArrayLike, y: ArrayLike, classes: ArrayLike | None = None
    ) -> Self:
        """Train for one epoch on ``X`` (no early stopping).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.
        y : array-like of shape (n_samples,)
            Class labels.
        classes : array-like of shape (n_classes,), default=None
            Every class label, for a first call whose batch lacks some.

        Returns
        -------
        self : AttentionPoolingClassifier
            The updated classifier.
        """
        return self._fit_classes(X, y, incremental=True, classes=classes)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities of the head.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities of the classes in the order of ``classes_``.
        """
        return softmax(self._head_output(X))

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """Logarithms of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities of the classes in the order of ``classes_``.
        """
        logits = self._head_output(X)
        logits = logits - logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Most probable class of each row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class labels.
        """
        indices = self._head_output(X).argmax(axis=1)
        return self.classes_[indices]


@fill_doc
class AttentionPoolingRegressor(RegressorMixin, _AttentionPoolingPredictor):
    """Regressor on the attention-pooled tokens of each row.

    The network of :class:`AttentionPooling` trained with its linear head on
    the targets, by the same training loop; the head predicts. Targets are
    standardised internally (and predictions returned in their units), so
    raw quantities such as grams or prices need no scaling. ``X`` is handled
    as by AttentionPooling: a DataFrame with categorical columns and missing
    values works as it is. :meth:`transform` gives the pooled vectors of the
    trained network.

    Parameters
    ----------
    {attention_layout}
    n_layers : int, default=1
        Number of self-attention blocks over the tokens before pooling (one
        by default: mixing the tokens lets the pooled vector carry
        interactions between columns, which a regression on it needs).
    alpha : float, default=0.01
        Strength of the L2 penalty on the weights (scikit-learn's MLP
        convention: ``0.5 * alpha * ||W||^2 / batch rows`` added to the loss).
    {attention_training}
    Attributes
    ----------
    n_outputs_ : int
        Number of regression targets.
    {attention_attributes}
    See Also
    --------
    AttentionPooling : The pooled vectors, for any downstream estimator.
    AttentionPoolingClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The training conventions followed.

    References
    ----------
    .. [1] J. Lee, Y. Lee, J. Kim, A. Kosiorek, S. Choi and Y. W. Teh, "Set
       Transformer: A Framework for Attention-based Permutation-Invariant
       Neural Networks", ICML 2019.
    .. [2] Y. Gorishniy, I. Rubachev, V. Khrulkov and A. Babenko, "Revisiting
       Deep Learning Models for Tabular Data", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from skmanifold_attn import AttentionPoolingRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = 1000 * X[:, 0] * X[:, 1] + 5000  # raw units
    >>> reg = AttentionPoolingRegressor(embed_dim=16, random_state=0).fit(X, y)
    >>> reg.predict(X[:3]).shape
    (3,)
    >>> bool(reg.score(X, y) > 0.8)
    True
    """

    task = "regression"

    # partial_fit takes no `classes` here.
    __metadata_request__partial_fit = {}

    def __init__(
        self,
        *,
        categorical_features="from_dtype",
        token_dim=1,
        embedding="per_token",
        positional=None,
        embed_dim=64,
        n_heads=4,
        n_seeds=4,
        scoring="dot",
        context_rank=32,
        n_layers=1,
        alpha=0.01,
        batch_size="auto",
        learning_rate_init=3e-3,
        max_iter=200,
        tol=3e-4,
        n_iter_no_change=5,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.categorical_features = categorical_features
        self.token_dim = token_dim
        self.embedding = embedding
        self.positional = positional
        self.embed_dim = embed_dim
        self.n_heads = n_heads
        self.n_seeds = n_seeds
        self.scoring = scoring
        self.context_rank = context_rank
        self.n_layers = n_layers
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

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Train the network and its head on the targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens (a DataFrame with categorical columns works as
            it is); all-NaN tokens are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Numeric targets, in any units (standardised internally).

        Returns
        -------
        self : AttentionPoolingRegressor
            The fitted regressor.
        """
        self._check_y(y)
        return self._fit(X, y, incremental=False)._fitted()

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X: ArrayLike, y: ArrayLike) -> Self:
        """Train for one epoch on ``X`` (no early stopping).

        The first call fixes the standardisation of ``X`` and of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Numeric targets.

        Returns
        -------
        self : AttentionPoolingRegressor
            The updated regressor.
        """
        self._check_y(y)
        return self._fit(X, y, incremental=True)._fitted()

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted targets, in the units of ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predictions (one column of targets gives a 1-D array).
        """
        output = self._head_output(X)
        y_pred = output * self._targets._scale + self._targets._mean
        return y_pred.ravel() if y_pred.shape[1] == 1 else y_pred

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
