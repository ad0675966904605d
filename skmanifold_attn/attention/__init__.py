"""attention estimators."""

__all__ = []
