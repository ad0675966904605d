"""What the linear graph embeddings (NPE, LPP) share: checks and transform.

Both fit a linear map ``A`` from a generalised eigenproblem
``X^T G X a = lambda X^T H X a`` on the centred data (``G``, ``H`` built from a
neighbour graph) and embed any row as ``(x - mean_) @ components_.T``.

The problem is solved in a reduced basis ``Y = X P`` of the centred data, and
``a = P c`` maps its solution ``c`` back. Each varying feature is scaled to
unit norm first, so the rank decision does not depend on the features' units
(constant features, whose spread is rounding noise, are left out). With at
most as many features as rows ``P`` is that scaling; with more features than
rows (wide data) it also projects on the data's row space through a thin SVD
(the dual form), so the cost grows with the rows, not the features:
``O(n^2 d)`` instead of ``O(d^3)``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike
from scipy.linalg import eigh
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

from ._eigen import fix_signs
from ._eigen_generalized import (
    FAINT_DIRECTIONS_WARNING,
    NOISE_RTOL,
    RANK_RTOL,
    generalized_bottom_eigh,
)
from ._graph import check_connected
from ._neighbors import build_index
from ._progress import StageTimer
from ._scoring import EmbeddingScoreMixin
from ._validation import check_magnitude, input_scale


def _is_constant(centred, mean):
    """Features whose spread is no more than the rounding of their mean."""
    n_samples = centred.shape[0]
    eps = np.finfo(np.float64).eps
    variance = np.einsum("ij,ij->j", centred, centred) / n_samples
    bound = n_samples * eps * variance + (n_samples * eps * mean) ** 2
    return variance <= bound


def reduced_basis(centred, mean):
    """A basis ``Y = centred @ P`` of the centred data's span, and ``P``.

    Parameters
    ----------
    centred : ndarray of shape (n_samples, n_features)
        Training data minus ``mean``.
    mean : ndarray of shape (n_features,)

    Returns
    -------
    basis : ndarray of shape (n_samples, r)
    projection : ndarray of shape (n_features, r)
    """
    n_samples, n_features = centred.shape
    varying = np.flatnonzero(~_is_constant(centred, mean))
    norms = np.linalg.norm(centred[:, varying], axis=0)
    scaled = centred[:, varying] / norms
    if varying.size <= n_samples:
        projection = np.zeros((n_features, varying.size))
        projection[varying, np.arange(varying.size)] = 1.0 / norms
        return scaled, projection
    # Dual form, through the n x n Gram matrix of the rows: K = U S^2 U^T
    # for scaled = U S V^T; the basis is Y = U S, and V = scaled^T U / S.
    # (An SVD of the wide matrix costs as much and threads badly.)
    with threadpool_limits(limits=1, user_api="blas"):
        gram = scaled @ scaled.T
        variance, left = eigh(0.5 * (gram + gram.T))
    variance, left = variance[::-1], left[:, ::-1]
    largest = variance[0]
    # As generalized_bottom_eigh decides on the spectrum of B in the primal
    # form: variances at rounding level are no directions of the data; the
    # ones above it but below the rank threshold are dropped with a warning.
    keep = variance > NOISE_RTOL * largest
    faint = keep & (variance <= RANK_RTOL * largest)
    if np.any(faint):
        _warn_dropped(int(np.count_nonzero(faint)))
        keep &= ~faint
    singular = np.sqrt(variance[keep])
    left = left[:, keep]
    projection = np.zeros((n_features, int(np.count_nonzero(keep))))
    projection[varying] = (scaled.T @ left) / singular / norms[:, None]
    return left * singular, projection


def _warn_dropped(count):
    warnings.warn(FAINT_DIRECTIONS_WARNING.format(count), UserWarning, stacklevel=4)


if TYPE_CHECKING:  # typing_extensions ships with the type checkers
    from typing_extensions import Self

LINEAR_DISCONNECTED_WARNING = (
    "Graph is not fully connected: the neighbour graph the projection is "
    "learned from falls apart into groups with no edge between them, so "
    "nothing in the fit places the groups relative to each other."
)


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
        """Built index, and each point's neighbours other than itself."""
        index = build_index(
            self.neighbors_algorithm,
            X,
            self.n_neighbors + 1,
            n_jobs=self.n_jobs,
            # No random_state parameter: the approximate backend gets a fixed
            # seed so that fit is deterministic.
            random_state=0,
        )
        distances, indices = index.training_neighbors(
            self.n_neighbors, return_distance=True
        )
        return index, distances, indices

    def _warn_if_disconnected(self, graph):
        check_connected(
            graph,
            remedy=f"raise n_neighbors (now {self.n_neighbors}) so that every "
            "point links to the rest, or check whether the groups should be "
            "modelled apart.",
            message=LINEAR_DISCONNECTED_WARNING,
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: ArrayLike, y: ArrayLike | None = None) -> Self:
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
        # Subclasses' _problem reports its stages (neighbours, weights) to it.
        self._timer = StageTimer(type(self).__name__, getattr(self, "verbose", 0))
        X = self._validated_training_data(X)
        # Tiny data are solved divided by a power of two (exact), so that
        # squared distances and variances do not underflow; the map is
        # scaled back below.
        self._scale = input_scale(X)
        if self._scale != 1.0:
            X = X / self._scale
        mean = X.mean(axis=0)
        basis, projection = reduced_basis(X - mean, mean)
        numerator, denominator = self._problem(X, basis)
        vectors, values, _ = generalized_bottom_eigh(
            numerator,
            denominator,
            self.n_components,
        )
        components = fix_signs(projection @ vectors).T
        self.mean_ = mean * self._scale if self._scale != 1.0 else mean
        self.components_ = (
            components / self._scale if self._scale != 1.0 else components
        )
        self.eigenvalues_ = values
        self._timer("eigen solve", "generalised, dense")
        self._timer.done()
        return self

    def transform(self, X: ArrayLike) -> np.ndarray:
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
