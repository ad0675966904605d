"""skmanifold_attn: scikit-learn compatible representation learning for tables.

Manifold embeddings (:mod:`skmanifold_attn.manifold`), attention pooling
(:mod:`skmanifold_attn.attention`) and variational autoencoders
(:mod:`skmanifold_attn.vae`) as ordinary scikit-learn transformers, written in
numpy and scipy.
"""

from ._version import __version__
from .attention import (
    AttentionPooling,
    AttentionPoolingClassifier,
    AttentionPoolingRegressor,
    NeighborAttention,
    NeighborAttentionClassifier,
    NeighborAttentionRegressor,
)
from .manifold import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    LocallyLinearEmbedding,
    NeighborhoodPreservingEmbedding,
    locally_linear_embedding,
)
from .vae import VAEImputer, VAETransformer

__all__ = [
    "__version__",
    "AttentionPooling",
    "AttentionPoolingClassifier",
    "AttentionPoolingRegressor",
    "LaplacianEigenmaps",
    "LocalityPreservingProjections",
    "LocallyLinearEmbedding",
    "NeighborAttention",
    "NeighborAttentionClassifier",
    "NeighborAttentionRegressor",
    "NeighborhoodPreservingEmbedding",
    "VAEImputer",
    "VAETransformer",
    "locally_linear_embedding",
]
