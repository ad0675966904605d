"""Attention pooling of the tokens of a row."""

from ._attention_pooling import AttentionPooling

__all__ = ["AttentionPooling"]
