"""Attention pooling of the tokens of a row, and attention over neighbouring rows."""

from ._attention_pooling import AttentionPooling
from ._neighbor_attention import (
    NeighborAttention,
    NeighborAttentionClassifier,
    NeighborAttentionRegressor,
)

__all__ = [
    "AttentionPooling",
    "NeighborAttention",
    "NeighborAttentionClassifier",
    "NeighborAttentionRegressor",
]
