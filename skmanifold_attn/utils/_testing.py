"""Helpers for the tests: a finite-difference gradient for backward passes."""

import numpy as np


def numeric_grad(f, array, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to ``array``.

    ``array`` is perturbed in place, one entry at a time, and restored, so
    ``f`` may read it through any closure (a layer's weights, say).

    Parameters
    ----------
    f : callable
        ``f() -> float``, reading ``array``.
    array : ndarray
        The variable, float64 for meaningful differences.
    eps : float, default=1e-6
        Half the difference step.

    Returns
    -------
    grad : ndarray of the shape of ``array``
        The numerical gradient.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([1.0, 2.0])
    >>> numeric_grad(lambda: float(np.sum(x**2)), x).round(6)
    array([2., 4.])
    """
    grad = np.zeros_like(array)
    flat, grad_flat = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        up = f()
        flat[i] = old - eps
        down = f()
        flat[i] = old
        grad_flat[i] = (up - down) / (2 * eps)
    return grad
