"""Quality of an embedding: neighbourhood measures and scorers.

Rank-based measures comparing each row's neighbours in the input space and in
its embedding, computed from nearest-neighbour queries (memory O(n k)), and
:func:`make_embedding_scorer` to select embeddings by them without labels.
"""

from ._continuity import continuity
from ._knn_preservation import knn_preservation
from ._lcmc import lcmc
from ._scorer import make_embedding_scorer
from ._trustworthiness import trustworthiness

__all__ = [
    "continuity",
    "knn_preservation",
    "lcmc",
    "make_embedding_scorer",
    "trustworthiness",
]
