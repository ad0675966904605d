"""manifold estimators."""

from ._locally_linear import LocallyLinearEmbedding, locally_linear_embedding

__all__ = ["LocallyLinearEmbedding", "locally_linear_embedding"]
