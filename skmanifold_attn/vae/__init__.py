"""vae estimators."""

from ._imputer import VAEImputer
from ._vae import VAETransformer

__all__ = ["VAEImputer", "VAETransformer"]
