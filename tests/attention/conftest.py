import numpy as np
import pytest


def _numeric_grad(f, array, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to ``array``."""
    grad = np.zeros_like(array)
    flat, gflat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        gflat[i] = (up - down) / (2 * eps)
    return grad


@pytest.fixture
def numeric_grad():
    return _numeric_grad
