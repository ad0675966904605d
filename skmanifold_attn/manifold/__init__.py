"""manifold estimators."""

__all__ = []
