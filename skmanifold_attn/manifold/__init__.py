"""manifold estimators."""

from ._laplacian_eigenmaps import LaplacianEigenmaps
from ._locally_linear import LocallyLinearEmbedding, locally_linear_embedding
from ._lpp import LocalityPreservingProjections
from ._npe import NeighborhoodPreservingEmbedding

__all__ = [
    "LaplacianEigenmaps",
    "LocalityPreservingProjections",
    "LocallyLinearEmbedding",
    "NeighborhoodPreservingEmbedding",
    "locally_linear_embedding",
]
