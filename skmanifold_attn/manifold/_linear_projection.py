"""What the linear graph embeddings (NPE, LPP) share: checks and transform.

Both fit a linear map ``A`` from a generalised eigenproblem
``X^T G X a = lambda X^T H X a`` on the centred data (``G``, ``H`` built from a
neighbour graph) and embed any row as ``(x - mean_) @ components_.T``.
"""

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils.validation import check_is_fitted, validate_data

from ._eigen import generalized_bottom_eigh
from ._graph import check_connected, fit_neighbors, kneighbors_chunked
from ._scoring import EmbeddingScoreMixin
from ._validation import check_magnitude


class _LinearGraphProjection(
    EmbeddingScoreMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Base of NPE and LPP; subclasses implement ``_problem``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    @property
    def _n_features_out(self):
        """Output columns of the fitted map (for get_feature_names_out)."""
        return self.components_.shape[0]

    def _validated_training_data(self, X):
        X = validate_data(self, X, dtype=np.float64, ensure_min_samples=2)
        check_magnitude(X)
        n_samples, n_features = X.shape
        if self.n_components > n_features:
            raise ValueError(
                f"n_components={self.n_components} must be at most "
                f"n_features={n_features}."
            )
        if self.n_neighbors >= n_samples:
            raise ValueError(
                f"Expected n_neighbors < n_samples, but n_neighbors = "
                f"{self.n_neighbors}, n_samples = {n_samples}: each point needs "
                "n_neighbors other points."
            )
        return X

    def _training_neighbors(self, X):
        """Fitted index, and each point's neighbours other than itself."""
        nbrs = fit_neighbors(
            X,
            self.n_neighbors + 1,
            algorithm=self.neighbors_algorithm,
            n_jobs=self.n_jobs,
        )
        distances, indices = kneighbors_chunked(
            nbrs, X, self.n_neighbors + 1, return_distance=True
        )
        return nbrs, distances[:, 1:], np.ascontiguousarray(indices[:, 1:])

    @staticmethod
    def _warn_if_disconnected(graph):
        check_connected(
            graph,
            remedy="increase n_neighbors so that every point links to the rest; "
            "the projection only sees the structure within each component.",
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the projection from the training rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X = self._validated_training_data(X)
        self.mean_ = X.mean(axis=0)
        centred = X - self.mean_
        numerator, denominator = self._problem(X, centred)
        vectors, values, _ = generalized_bottom_eigh(
            numerator, denominator, self.n_components
        )
        self.components_ = vectors.T
        self.eigenvalues_ = values
        return self

    def transform(self, X):
        """Project rows on the learned linear map.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows to embed, new or not.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            ``(X - mean_) @ components_.T``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return (X - self.mean_) @ self.components_.T
