"""skmanifold_attn: scikit-learn compatible representation learning for tables.

Manifold embeddings (:mod:`skmanifold_attn.manifold`), attention pooling
(:mod:`skmanifold_attn.attention`) and variational autoencoders
(:mod:`skmanifold_attn.vae`) as ordinary scikit-learn transformers, written in
numpy and scipy.
"""

from ._version import __version__
from .manifold import LocallyLinearEmbedding, locally_linear_embedding

__all__ = [
    "LocallyLinearEmbedding",
    "__version__",
    "locally_linear_embedding",
]
