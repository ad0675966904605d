"""Utilities: estimator discovery and transform on a Dask cluster."""

from ._dask import dask_transform
from ._discovery import all_estimators

__all__ = ["all_estimators", "dask_transform"]
