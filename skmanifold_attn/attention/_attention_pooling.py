"""AttentionPooling: multi-head attention pooling of tokens as a transformer."""

from __future__ import annotations

from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import metadata_routing
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._docstrings import fill_doc
from .._nn._training import NeuralTrainingMixin
from .._table import CATEGORICAL_FEATURES_CONSTRAINT
from ._docs import ATTENTION_DOC_PIECES  # noqa: F401 (registers the pieces)
from ._embedding import EMBEDDINGS, POSITIONAL
from ._inputs import (
    fit_column_standardisation,
    fit_output_standardisation,
    standardise,
    standardise_output,
    validate_tokens,
)
from ._network import AttentionNetwork
from ._pooling import SCORINGS
from ._targets import TASKS, Targets, check_target

# The parameters that shape the network: a continued fit (warm_start or
# partial_fit) needs them unchanged.
ARCHITECTURE = (
    "token_dim",
    "embedding",
    "positional",
    "embed_dim",
    "n_heads",
    "n_seeds",
    "scoring",
    "context_rank",
    "n_layers",
    "categorical_features",
)


def _same(a, b):
    """Equality of parameter values, arrays and lists included."""
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return isinstance(a, type(b)) and a == b
    try:
        return bool(np.array_equal(np.asarray(a), np.asarray(b)))
    except (TypeError, ValueError):
        return a is b


if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from typing_extensions import Self


@fill_doc
class AttentionPooling(
    ClassNamePrefixFeaturesOutMixin,
    NeuralTrainingMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Pool the tokens of each row into a fixed-length vector by attention.

    Each row of ``X`` is a sequence or set of ``n_features / token_dim``
    tokens, each a contiguous block of ``token_dim`` columns. Tokens are
    embedded, optionally mixed by self-attention blocks, then ``n_seeds``
    learned queries attend over them with ``n_heads`` heads (pooling by
    multi-head attention, as in the Set Transformer). The output row is the
    concatenation of the seeds' pooled vectors, ``n_seeds * embed_dim``
    columns, each standardised to zero mean and unit variance over the
    training rows (as :class:`~sklearn.preprocessing.StandardScaler` would),
    so that a regularised linear model downstream treats every column alike.
    The weights are trained with Adam: with ``y``, jointly with a
    small classification or regression head (dropped from the output, chosen
    by ``task``); without ``y``, by masked-token reconstruction.

    A token whose columns are all NaN is padding: it is left out of the
    softmax, so a padded set transforms exactly like the set without the
    padding, and a row of padding only pools to zeros. Inputs are
    standardised internally, over the real (non-padding) values of the
    training data: with ``embedding="per_token"`` every column of ``X`` has
    its own mean and scale, so raw tables with columns on different scales
    work; with ``embedding="shared"`` every within-token column has one mean
    and scale for all positions, which keeps the tokens interchangeable.

    ``X`` is 2-D, as for any scikit-learn transformer: tokens held as a 3-D
    array ``T`` of shape ``(n_samples, n_tokens, token_dim)`` are passed as
    ``T.reshape(len(T), -1)`` with that ``token_dim`` (a 3-D array is refused
    with this advice).

    A DataFrame straight from a file works as it is: with ``token_dim=1``
    every column is a token, a categorical column (see
    ``categorical_features``) embedded by its own learned table of
    categories, with one more "unknown" row for categories unseen at fit. A
    missing entry (NaN, ``None``, ``pd.NA``) masks its column's token in
    that row, as padding does; a column missing in every training row is
    ignored.

    Parameters
    ----------
    {attention_layout}
    n_layers : int, default=0
        Number of self-attention blocks over the tokens before pooling.
    mask_fraction : float, default=0.25
        Share of the tokens hidden by the self-supervised objective (used
        when fitting without ``y``).
    task : {"auto", "classification", "regression"}, default="auto"
        What ``y`` trains the head for. ``"auto"``: floating-point targets
        (whole numbers or not) are regression targets, and integer, boolean,
        string or categorical labels are classes (numbers stored as objects
        count as the numbers they hold). Pass
        ``"classification"`` for float class labels such as ``0.0, 1.0`` and
        ``"regression"`` for integer-valued quantities such as counts.
        Ignored when fitting without ``y``.
    alpha : float, default=0.1
        Strength of the L2 penalty on the weights (scikit-learn's MLP
        convention: ``0.5 * alpha * ||W||^2 / batch rows`` added to the loss).
    {attention_training}
    Attributes
    ----------
    {attention_attributes}
    See Also
    --------
    sklearn.neural_network.MLPClassifier : The training conventions followed.
    sklearn.decomposition.PCA : A linear, untrained-by-gradient alternative.

    References
    ----------
    .. [1] J. Lee, Y. Lee, J. Kim, A. Kosiorek, S. Choi and Y. W. Teh, "Set
       Transformer: A Framework for Attention-based Permutation-Invariant
       Neural Networks", ICML 2019.
    .. [2] A. Vaswani et al., "Attention Is All You Need", NeurIPS 2017.
    .. [3] M. Ilse, J. Tomczak and M. Welling, "Attention-based Deep
       Multiple Instance Learning", ICML 2018.
    .. [4] D. Bahdanau, K. Cho and Y. Bengio, "Neural Machine Translation by
       Jointly Learning to Align and Translate", ICLR 2015.
    .. [5] Y. Gorishniy, I. Rubachev, V. Khrulkov and A. Babenko, "Revisiting
       Deep Learning Models for Tabular Data", NeurIPS 2021.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skmanifold_attn import AttentionPooling
    >>> X, y = load_digits(return_X_y=True)
    >>> pool = AttentionPooling(token_dim=8, embed_dim=16, max_iter=5,
    ...                         random_state=0)
    >>> Z = pool.fit_transform(X[:300], y[:300])
    >>> Z.shape
    (300, 64)
    >>> pool.attention_weights(X[:2]).shape
    (2, 4, 4, 8)
    """

    # When the loss (or validation score) stalls for n_iter_no_change epochs,
    # divide the step size by 5, twice; the third plateau stops training.
    _plateau_decay = (5.0, 2)

    # `classes` of partial_fit is not metadata to route (no
    # set_partial_fit_request method).
    __metadata_request__partial_fit = {"classes": metadata_routing.UNUSED}

    _parameter_constraints = {
        **NeuralTrainingMixin._parameter_constraints,
        "token_dim": [Interval(Integral, 1, None, closed="left")],
        "embedding": [StrOptions(set(EMBEDDINGS))],
        "positional": [StrOptions(set(POSITIONAL)), None],
        "embed_dim": [Interval(Integral, 1, None, closed="left")],
        "n_heads": [Interval(Integral, 1, None, closed="left")],
        "n_seeds": [Interval(Integral, 1, None, closed="left")],
        "scoring": [StrOptions(set(SCORINGS))],
        "context_rank": [Interval(Integral, 0, None, closed="left")],
        "n_layers": [Interval(Integral, 0, None, closed="left")],
        "mask_fraction": [Interval(Real, 0, 1, closed="neither")],
        "task": [StrOptions(set(TASKS))],
        "categorical_features": CATEGORICAL_FEATURES_CONSTRAINT,
    }

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
        mask_fraction=0.25,
        task="auto",
        alpha=0.1,
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
        self.mask_fraction = mask_fraction
        self.task = task
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

    # -- input -----------------------------------------------------------
    def _fitted_token_dim(self, reset):
        # After fit, the layout is the fitted model's: set_params(token_dim=...)
        # only takes effect at the next fresh fit.
        return self.token_dim if reset else self._model.token_dim

    def _validate_tokens(self, X, reset):
        return validate_tokens(
            self,
            X,
            reset=reset,
            token_dim=self._fitted_token_dim(reset),
            embedding=self.embedding,
        )

    def _fit_standardisation(self, X):
        self._column_mean, self._column_scale = fit_column_standardisation(
            X,
            getattr(self._schema, "categorical", None),
            self.token_dim,
            self.embedding,
        )
        # With a per-position embedding nothing is learned about a column
        # that is missing in every training row: it stays masked.
        if self.embedding == "per_token":
            self._ignored_columns = np.flatnonzero(np.isnan(X).all(axis=0))
        else:
            self._ignored_columns = np.empty(0, dtype=np.intp)

    def _standardise(self, X):
        return standardise(
            X, self._column_mean, self._column_scale, self._ignored_columns
        )

    def _check_y_kind(self, y):
        # A predictor narrows the targets it takes (after X is validated).
        return y

    # At least 4 steps per epoch on small tables: with one or two, the loss
    # of a few hundred rows creeps down for hundreds of epochs.
    _auto_batch = {"cap": 200, "min_steps": 4, "floor": 32}

    def _check_architecture(self):
        # Like VAETransformer, a continued fit keeps the network: the
        # parameters that shape it must not have changed since it was built.
        built = self._architecture
        changed = [
            name for name in ARCHITECTURE if not _same(getattr(self, name), built[name])
        ]
        if changed:
            details = ", ".join(
                f"{name}={built[name]!r} -> {getattr(self, name)!r}" for name in changed
            )
            raise ValueError(
                "warm_start=True and partial_fit continue the fitted network, "
                f"but parameters that define it changed since it was built "
                f"({details}). Restore them, or set warm_start=False (or make a "
                "new estimator) to train a new network."
            )

    # -- training --------------------------------------------------------
    def _init_model(self, X, y, rng):
        if self.embed_dim % self.n_heads:
            raise ValueError(
                f"embed_dim={self.embed_dim} must be a multiple of "
                f"n_heads={self.n_heads}."
            )
        n_outputs = 0 if self._task == "masked" else self._targets.n_outputs
        self._architecture = {name: getattr(self, name) for name in ARCHITECTURE}
        return AttentionNetwork(
            n_tokens=self.n_tokens_,
            token_dim=self.token_dim,
            embed_dim=self.embed_dim,
            n_heads=self.n_heads,
            n_seeds=self.n_seeds,
            n_layers=self.n_layers,
            embedding=self.embedding,
            positional=self.positional,
            scoring=self.scoring,
            task=self._task,
            n_outputs=n_outputs,
            mask_fraction=self.mask_fraction,
            rng=rng,
            dtype=X.dtype,
            categorical=getattr(self._schema, "categorical", None),
            n_categories=getattr(self._schema, "n_categories", None),
            context_rank=self.context_rank,
        )

    def _fit(self, X, y, incremental, classes=None):
        first = self._is_first_pass(incremental)
        if not first:
            self._check_architecture()
        X = self._validate_tokens(X, reset=first)
        if first:
            self.n_tokens_ = X.shape[1] // self.token_dim
            self._fit_standardisation(X)
            self._task = "masked" if y is None else None
        if self._task == "masked":
            if y is not None:
                raise ValueError(
                    "This AttentionPooling was fitted without y (masked-token "
                    "objective) and cannot continue training on y with "
                    "warm_start or partial_fit; fit it afresh (warm_start=False) "
                    "to train on y."
                )
        else:
            if y is None:
                raise ValueError(
                    "This AttentionPooling was fitted with y; pass y to continue "
                    "training it."
                )
            y = check_target(self._check_y_kind(y), X.shape[0])
            if first:
                self._targets = Targets(y, self.task, classes)
                self._task = self._targets.task
            continuing = "partial_fit" if incremental else "warm_start"
            y = self._targets.encode(y, self.task, None if first else continuing)
            if self._task == "regression":
                y = y.astype(X.dtype)
        X_std = self._standardise(X)
        stratify = y if self._task == "classification" else None
        self._train(X_std, y, incremental=incremental, stratify=stratify)
        self._model.clear_cache()
        # The pooled columns leave transform standardised over the training
        # rows: a linear model downstream (LogisticRegression's C=1, Ridge's
        # alpha=1) then regularises every column alike.
        self._output_mean, self._output_scale = fit_output_standardisation(
            self._model.transform(X_std), X_std
        )
        self.token_importances_ = (
            self._model.attention_weights(X_std).mean(axis=(0, 1, 2)).astype(X.dtype)
        )
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
        """Train the attention weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens; all-NaN tokens are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), \
                default=None
            Class labels (binary or multiclass) or regression targets (one
            or several columns), as ``task`` says, for a jointly trained
            head; without ``y`` the objective is masked-token
            reconstruction. Multilabel and multiclass-multioutput targets
            raise ValueError, as does a single class.

        Returns
        -------
        self : AttentionPooling
            The fitted estimator.
        """
        return self._fit(X, y, incremental=False)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(
        self,
        X: ArrayLike,
        y: ArrayLike | None = None,
        classes: ArrayLike | None = None,
    ) -> Self:
        """Train for one epoch on ``X`` (no early stopping).

        The first call fixes the layout, the task (from ``y``) and the
        standardisation statistics; later calls continue training on them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.
        y : array-like of shape (n_samples,) or (n_samples, n_targets), \
                default=None
            Targets, as in :meth:`fit`; needed in every call if given in the
            first, and refused if not given in the first.
        classes : array-like of shape (n_classes,), default=None
            Every class label, for the first call of a classification task
            whose first batch lacks some labels.

        Returns
        -------
        self : AttentionPooling
            The updated estimator.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    # -- output ----------------------------------------------------------
    def transform(self, X: ArrayLike) -> np.ndarray:
        """Pool each row into ``n_seeds * embed_dim`` values.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens; all-NaN tokens are padding.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_seeds * embed_dim)
            Pooled vectors, each column standardised with the mean and
            standard deviation it had over the training rows; a row with no
            tokens is all zeros (the training mean).
        """
        check_is_fitted(self)
        X_std = self._standardise(self._validate_tokens(X, reset=False))
        return standardise_output(
            self._model.transform(X_std),
            X_std,
            self._output_mean,
            self._output_scale,
        )

    def attention_weights(self, X: ArrayLike) -> np.ndarray:
        """Attention weights of every head and seed over the tokens.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_tokens * token_dim)
            Rows of tokens.

        Returns
        -------
        weights : ndarray of shape (n_samples, n_heads, n_seeds, n_tokens)
            Non-negative, summing to 1 over the real tokens of a row (0 on
            padding; all 0 for a row of padding only).
        """
        check_is_fitted(self)
        X = self._validate_tokens(X, reset=False)
        return self._model.attention_weights(self._standardise(X))

    @property
    def _n_features_out(self):
        # From the fitted model: set_params after fit changes nothing until
        # the next fresh fit.
        return self._model.pool.n_seeds * self._model.pool.embed_dim

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = False
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
