"""Softmax over tokens with padding masked out, and its backward pass.

Padding tokens get weight exactly 0, so they add exact zeros to every weighted
sum: a padded set pools exactly like the same set without the padding. A row
whose tokens are all padding gets all-zero weights (it pools to zeros).
"""

import numpy as np


def max_over_axis(x, axis):
    """``x.max(axis, keepdims=True)`` by pairwise halving.

    numpy's max reduction over a short axis of a small array costs far more
    than a few element-wise maxima of halves, which vectorise well.
    """
    axis = axis % x.ndim
    index = [slice(None)] * x.ndim
    size = x.shape[axis]
    while size > 1:
        half = size // 2
        index[axis] = slice(0, half)
        low = x[tuple(index)]
        index[axis] = slice(half, 2 * half)
        high = x[tuple(index)]
        out = np.maximum(low, high)
        if size % 2:
            index[axis] = slice(2 * half, size)
            np.maximum(out, x[tuple(index)], out=out)
        x, size = out, half
    return x


def masked_softmax(scores, mask, axis):
    """Softmax of ``scores`` along ``axis`` ignoring the positions ``mask`` drops.

    Parameters
    ----------
    scores : ndarray
        Attention scores; overwritten with the weights.
    mask : ndarray of bool or None
        Broadcastable to ``scores``; True where a token is real. None means
        every token is real.
    axis : int
        The token axis.

    Returns
    -------
    weights : ndarray
        ``scores`` itself, now non-negative weights summing to 1 along
        ``axis`` (0 where masked; all 0 when nothing is left).
    """
    if mask is not None:
        # Masked scores must not set the maximum (real weights could
        # underflow); a row of padding only gets finite values, zeroed below.
        np.copyto(scores, np.finfo(scores.dtype).min / 2, where=~mask)
    scores -= max_over_axis(scores, axis)
    np.exp(scores, out=scores)
    if mask is None:
        scores /= scores.sum(axis=axis, keepdims=True)
        return scores
    scores *= mask
    total = scores.sum(axis=axis, keepdims=True)
    total[total == 0] = 1
    scores /= total
    return scores


def softmax_backward(weights, d_weights, axis):
    """Gradient with respect to the scores, from the weights' gradient.

    ``d_scores = w * (d_w - sum(w * d_w))`` along ``axis``; masked positions
    have ``w = 0`` and so get no gradient. ``d_weights`` is overwritten.
    """
    inner = np.sum(weights * d_weights, axis=axis, keepdims=True)
    d_weights -= inner
    d_weights *= weights
    return d_weights
