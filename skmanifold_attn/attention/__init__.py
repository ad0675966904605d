"""Attention pooling of the tokens of a row (with predictors on it), and
attention over neighbouring rows."""

from ._attention_pooling import AttentionPooling
from ._neighbor_attention import (
    NeighborAttention,
    NeighborAttentionClassifier,
    NeighborAttentionRegressor,
)
from ._supervised import AttentionPoolingClassifier, AttentionPoolingRegressor

__all__ = [
    "AttentionPooling",
    "AttentionPoolingClassifier",
    "AttentionPoolingRegressor",
    "NeighborAttention",
    "NeighborAttentionClassifier",
    "NeighborAttentionRegressor",
]
