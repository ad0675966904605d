"""Leave-one-out losses of the distance-kernel vote over the context rows.

Before training, NeighborAttention's attention is the distance prior alone:
a Gaussian kernel ``a_j ∝ exp(-exp(g) r_j^2 / r0^2)`` over each row's
context rows (its nearest other training rows), and the vote
``sum_j a_j t_j`` of their targets predicts the row's own. Since a
training row never attends to itself, the loss of that vote over the
training rows is a leave-one-out estimate, free of the row's own target: it
serves to choose the retrieval space (``scale_retrieval="auto"``) and, for
classification, the kernel's initial bandwidth ``g``.

The loss is the one the vote enters the network with: the cross-entropy of
``softmax(log(vote + floor))`` for classes (the classifier adds the
log-vote to its logits), the squared error of the standardised targets for
regression.
"""

import numpy as np

# The kernel's log-bandwidths tried, relative to r0: exp(g) from 1/4 to 256.
LOG_BANDWIDTHS = np.log(2.0) * np.arange(-2, 9)
# What is added to a class's vote before its logarithm enters the logits: a
# class none of the context rows has gets log(0.01), not minus infinity.
VOTE_FLOOR = 0.01


def kernel_vote_losses(
    distances, mask, context_targets, targets, *, classification, chunk=4096
):
    """The mean leave-one-out loss of the kernel vote for each bandwidth.

    Parameters
    ----------
    distances : ndarray of shape (n_rows, n_neighbors)
        Distances to the context rows (the prior's, in the retrieval space).
    mask : ndarray of bool of shape (n_rows, n_neighbors)
        Valid context slots.
    context_targets : callable
        ``context_targets(rows)`` gives the targets of the context rows of
        ``rows`` as (len(rows), n_neighbors, n_outputs): one-hot classes or
        standardised values.
    targets : ndarray of shape (n_rows, n_outputs)
        The rows' own targets, in the same encoding.
    classification : bool
        Cross-entropy of the log-vote (True) or squared error (False).
    chunk : int, default=4096
        Rows per block (memory ``O(chunk * n_neighbors * n_outputs)``).

    Returns
    -------
    losses : ndarray of shape (len(LOG_BANDWIDTHS),)
        Mean loss over the rows for each log-bandwidth of
        :data:`LOG_BANDWIDTHS`.
    """
    squared = np.square(distances, dtype=np.float64)
    r0_squared = float(squared[mask].mean()) if mask.any() else 1.0
    if not r0_squared > 0:
        r0_squared = 1.0
    n_rows, n_outputs = targets.shape
    totals = np.zeros(len(LOG_BANDWIDTHS))
    for start in range(0, n_rows, chunk):
        rows = np.arange(start, min(start + chunk, n_rows))
        prior = squared[rows] / r0_squared
        valid = mask[rows]
        nearest = np.where(valid, prior, np.inf).min(axis=1, keepdims=True)
        nearest = np.where(np.isfinite(nearest), nearest, 0)
        shifted = np.where(valid, prior - nearest, 0)  # >= 0 on valid slots
        t_context = np.asarray(context_targets(rows), dtype=np.float64)
        own = np.asarray(targets[rows], dtype=np.float64)
        for i, g in enumerate(LOG_BANDWIDTHS):
            weights = np.exp(-np.exp(g) * shifted) * valid
            total = weights.sum(axis=1, keepdims=True)
            weights /= np.where(total > 0, total, 1)
            vote = np.matmul(weights[:, None, :], t_context)[:, 0]
            if classification:
                truth = (vote * own).sum(axis=1)
                norm = 1 + n_outputs * VOTE_FLOOR
                totals[i] -= np.log((truth + VOTE_FLOOR) / norm).sum()
            else:
                totals[i] += np.square(vote - own).sum() / n_outputs
    return totals / max(n_rows, 1)
