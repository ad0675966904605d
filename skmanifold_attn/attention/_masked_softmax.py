"""Softmax over tokens with padding masked out, and its backward pass.

Padding tokens get weight exactly 0, so they add exact zeros to every weighted
sum: a padded set pools exactly like the same set without the padding. A row
whose tokens are all padding gets all-zero weights (it pools to zeros).
"""

import numpy as np


def _halving(x, axis, ufunc):
    """``ufunc.reduce(x, axis, keepdims=True)`` by pairwise halving."""
    axis = axis % x.ndim
    index = [slice(None)] * x.ndim
    size = x.shape[axis]
    if size == 1:
        return x.copy() if ufunc is np.add else x
    while size > 1:
        half = size // 2
        index[axis] = slice(0, half)
        low = x[tuple(index)]
        index[axis] = slice(half, 2 * half)
        high = x[tuple(index)]
        out = ufunc(low, high)
        if size % 2:
            # The odd one out joins the first of the halves.
            index[axis] = slice(2 * half, size)
            extra = x[tuple(index)]
            index[axis] = slice(0, 1)
            first = out[tuple(index)]
            ufunc(first, extra, out=first)
        x, size = out, half
    return x


def max_over_axis(x, axis):
    """``x.max(axis, keepdims=True)`` by pairwise halving.

    numpy's max reduction over a short axis of a small array costs far more
    than a few element-wise maxima of halves, which vectorise well.
    """
    return _halving(x, axis, np.maximum)


def sum_over_axis(x, axis):
    """``x.sum(axis, keepdims=True)``, fast for short axes.

    Over the last axis of a contiguous array, one matrix-vector product with
    ones; over another axis, pairwise halving (as :func:`max_over_axis`).
    Equal to numpy's sum up to rounding (the terms are added in another order).
    """
    axis = axis % x.ndim
    if axis == x.ndim - 1 and x.flags.c_contiguous and x.size:
        size = x.shape[-1]
        total = x.reshape(-1, size) @ np.ones(size, dtype=x.dtype)
        return total.reshape(x.shape[:-1] + (1,))
    return _halving(x, axis, np.add)


def masked_softmax(scores, mask, axis, maximum=None):
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
    maximum : ndarray or None, default=None
        The scores' maximum along ``axis`` (keepdims) when the caller knows
        it cheaply; only used when ``mask`` is None.

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
    if mask is not None or maximum is None:
        maximum = max_over_axis(scores, axis)
    scores -= maximum
    np.exp(scores, out=scores)
    if mask is None:
        scores /= sum_over_axis(scores, axis)
        return scores
    scores *= mask
    total = sum_over_axis(scores, axis)
    total[total == 0] = 1
    scores /= total
    return scores


def softmax_backward(weights, d_weights, axis):
    """Gradient with respect to the scores, from the weights' gradient.

    ``d_scores = w * (d_w - sum(w * d_w))`` along ``axis``; masked positions
    have ``w = 0`` and so get no gradient. ``d_weights`` is overwritten.
    """
    inner = sum_over_axis(weights * d_weights, axis)
    d_weights -= inner
    d_weights *= weights
    return d_weights
