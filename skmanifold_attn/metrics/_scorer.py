"""Scorers that rate an embedding of held-out rows, for model selection."""

from __future__ import annotations

from collections.abc import Callable
from numbers import Integral

from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ._continuity import continuity
from ._knn_preservation import knn_preservation
from ._lcmc import lcmc
from ._trustworthiness import trustworthiness

# name -> function(X, X_embedded, *, n_neighbors, metric); higher is better.
EMBEDDING_SCORES = {
    "trustworthiness": trustworthiness,
    "continuity": continuity,
    "knn_preservation": knn_preservation,
    "lcmc": lcmc,
}


class EmbeddingScorer:
    """Scorer ``scorer(estimator, X, y=None)`` from :func:`make_embedding_scorer`.

    Parameters
    ----------
    name : str
        Key of the quality measure.
    n_neighbors : int
        Neighbours of the measure.
    metric : str or callable
        Distance between the rows of ``X``.
    """

    def __init__(self, name, n_neighbors, metric):
        self.name = name
        self.n_neighbors = n_neighbors
        self.metric = metric

    def __call__(self, estimator, X, y=None, **kwargs):
        """Rate ``estimator.transform(X)`` against the rows ``X``.

        Parameters
        ----------
        estimator : object
            Fitted transformer.
        X : array-like of shape (n_samples, n_features)
            Held-out rows.
        y : Ignored
            Not used, present for the scorer signature.
        **kwargs : dict
            Ignored (metadata of other scorers).

        Returns
        -------
        score : float
            The quality measure; higher is better.
        """
        embedded = estimator.transform(X)
        return float(
            EMBEDDING_SCORES[self.name](
                X, embedded, n_neighbors=self.n_neighbors, metric=self.metric
            )
        )

    def __repr__(self):
        return (
            f"make_embedding_scorer({self.name!r}, n_neighbors={self.n_neighbors}"
            + ("" if self.metric == "euclidean" else f", metric={self.metric!r}")
            + ")"
        )


@validate_params(
    {
        "name": [StrOptions(set(EMBEDDING_SCORES))],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "metric": [StrOptions({"precomputed"}), str, callable],
    },
    prefer_skip_nested_validation=True,
)
def make_embedding_scorer(
    name: str, *, n_neighbors: int = 10, metric: str | Callable = "euclidean"
) -> Callable:
    """Scorer rating how well a transformer embeds held-out rows.

    The scorer ``scorer(estimator, X, y=None)`` embeds ``X`` with
    ``estimator.transform`` and rates the embedding against the rows ``X``
    themselves with the named measure; ``y`` is ignored, so it selects an
    embedding without labels. Use it as ``scoring=`` of
    :class:`~sklearn.model_selection.GridSearchCV` or
    :func:`~sklearn.model_selection.cross_validate`, alone or in a dict of
    scorers (with ``refit=`` naming one).

    Parameters
    ----------
    name : {'trustworthiness', 'continuity', 'knn_preservation', 'lcmc'}
        The measure: :func:`trustworthiness`, :func:`continuity`,
        :func:`knn_preservation` or :func:`lcmc`. Higher is better for all.
    n_neighbors : int, default=10
        Neighbours of the measure; each held-out fold needs more than
        ``2 * n_neighbors`` rows.
    metric : str or callable, default='euclidean'
        Distance between the rows given to the scorer (the estimator's input,
        or the pipeline's when the estimator is a pipeline).

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y=None) -> float``.

    See Also
    --------
    trustworthiness : The default measure.

    Examples
    --------
    >>> from sklearn.datasets import make_swiss_roll
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmanifold_attn import LocallyLinearEmbedding
    >>> from skmanifold_attn.metrics import make_embedding_scorer
    >>> X, _ = make_swiss_roll(n_samples=300, random_state=0)
    >>> search = GridSearchCV(
    ...     LocallyLinearEmbedding(),
    ...     {"n_neighbors": [5, 12]},
    ...     scoring={
    ...         "trustworthiness": make_embedding_scorer("trustworthiness"),
    ...         "continuity": make_embedding_scorer("continuity"),
    ...     },
    ...     refit="trustworthiness",
    ...     cv=3,
    ... ).fit(X)
    >>> search.best_params_
    {'n_neighbors': 12}
    """
    return EmbeddingScorer(name, n_neighbors, metric)
