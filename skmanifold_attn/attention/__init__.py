"""Attention pooling of the tokens of a row, and predictors on it."""

from ._attention_pooling import AttentionPooling
from ._supervised import AttentionPoolingClassifier, AttentionPoolingRegressor

__all__ = [
    "AttentionPooling",
    "AttentionPoolingClassifier",
    "AttentionPoolingRegressor",
]
