"""vae estimators."""

__all__ = []
