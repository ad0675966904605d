"""Test data near a linear subspace, for the approximate index's tests."""

import numpy as np


def low_rank(n=1500, rank=5, d=80, noise=0.01, seed=0):
    """Gaussian rows on a ``rank``-dimensional subspace plus isotropic noise."""
    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((d, rank)))
    scales = np.linspace(3.0, 1.0, rank)
    return (rng.standard_normal((n, rank)) * scales) @ basis.T + noise * (
        rng.standard_normal((n, d))
    )
