"""vae estimators."""

from ._vae import VAETransformer

__all__ = ["VAETransformer"]
