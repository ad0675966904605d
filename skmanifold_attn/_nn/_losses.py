"""Losses with their gradients, averaged over the rows of a batch.

Each function returns ``(loss, grad)`` where ``loss`` is a Python float (the
mean over rows) and ``grad`` the gradient of that mean with respect to the
prediction, in the prediction's dtype.
"""

import numpy as np


def log_softmax(logits):
    """Row-wise log-softmax over the last axis, stable for large logits."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    return shifted


def softmax(logits):
    """Row-wise softmax over the last axis."""
    out = logits - logits.max(axis=-1, keepdims=True)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


def softmax_cross_entropy(logits, y):
    """Mean cross-entropy of integer labels ``y`` under ``softmax(logits)``.

    Parameters
    ----------
    logits : ndarray of shape (n, n_classes)
    y : ndarray of int of shape (n,)

    Returns
    -------
    loss : float
    grad : ndarray of shape (n, n_classes)
    """
    n = logits.shape[0]
    log_p = log_softmax(logits)
    rows = np.arange(n)
    loss = -float(log_p[rows, y].sum()) / n
    grad = np.exp(log_p, out=log_p)
    grad[rows, y] -= 1
    grad /= n
    return loss, grad


def squared_error(prediction, target):
    """Half the mean over rows of the squared error summed over outputs.

    This is scikit-learn's MLP squared loss (``((y - p) ** 2).mean() / 2`` per
    output) times the number of outputs; for one output they coincide.

    Returns
    -------
    loss : float
    grad : ndarray like ``prediction``
    """
    n = prediction.shape[0]
    diff = prediction - target
    loss = 0.5 * float(np.vdot(diff, diff)) / n
    diff /= n
    return loss, diff
