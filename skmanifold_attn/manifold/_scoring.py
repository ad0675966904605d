"""``score`` of the manifold estimators: trustworthiness of the embedding."""

from __future__ import annotations

import math

from numpy.typing import ArrayLike

from ..metrics import trustworthiness

# Neighbours of the score: fixed, so that models of different n_neighbors are
# rated alike; fewer on tiny inputs, which need n_neighbors < n_samples / 2.
SCORE_N_NEIGHBORS = 10


class EmbeddingScoreMixin:
    """Adds ``score(X, y=None)``: trustworthiness of ``transform(X)``."""

    def score(self, X: ArrayLike, y: object = None) -> float:
        """Trustworthiness of the embedding of ``X``: higher is better.

        Embeds ``X`` with :meth:`transform` and rates how far each row's 10
        nearest neighbours in the embedding are among its nearest in ``X``
        (:func:`skmanifold_attn.metrics.trustworthiness`, 1 at best; fewer
        neighbours when ``X`` has 20 rows or fewer). Being a score of held-out
        rows, it lets :class:`~sklearn.model_selection.GridSearchCV` select
        ``n_neighbors``, ``method`` or ``n_components`` without labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to embed and rate, at least 3.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            Trustworthiness in [0, 1].
        """
        if self.__sklearn_tags__().input_tags.pairwise:
            raise ValueError(
                "score rates an embedding against the rows' features, which a "
                "precomputed affinity or distance matrix does not give."
            )
        embedded = self.transform(X)
        n_samples = embedded.shape[0]
        n_neighbors = min(SCORE_N_NEIGHBORS, math.ceil(n_samples / 2) - 1)
        if n_neighbors < 1:
            raise ValueError(
                f"score needs at least 3 samples; got n_samples={n_samples}."
            )
        return float(trustworthiness(X, embedded, n_neighbors=n_neighbors))
