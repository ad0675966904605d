"""Leave-one-out losses of the distance-kernel vote."""

import numpy as np
import pytest

from skmanifold_attn.attention._neighbor_kernel import (
    LOG_BANDWIDTHS,
    VOTE_FLOOR,
    kernel_vote_losses,
)


def _direct(distances, mask, neighbors, table, classification):
    """Row by row, bandwidth by bandwidth."""
    r0_squared = np.mean(distances[mask] ** 2)
    losses = []
    for g in LOG_BANDWIDTHS:
        total = 0.0
        for i in range(len(table)):
            slots = np.flatnonzero(mask[i])
            w = np.exp(-np.exp(g) * distances[i, slots] ** 2 / r0_squared)
            vote = (w / w.sum()) @ table[neighbors[i, slots]]
            if classification:
                p = (vote + VOTE_FLOOR) / (1 + table.shape[1] * VOTE_FLOOR)
                total -= np.log(p[np.argmax(table[i])])
            else:
                total += np.mean((vote - table[i]) ** 2)
        losses.append(total / len(table))
    return np.array(losses)


@pytest.mark.parametrize("classification", [True, False])
def test_losses_match_a_direct_computation(classification):
    rng = np.random.RandomState(0)
    n, k = 30, 4
    neighbors = np.array([rng.choice(np.delete(np.arange(n), i), k) for i in range(n)])
    distances = np.sort(rng.uniform(0.5, 3, size=(n, k)), axis=1)
    mask = np.ones((n, k), dtype=bool)
    mask[:3, -1] = False  # rows with an empty slot
    if classification:
        table = np.eye(3)[rng.randint(0, 3, size=n)]
    else:
        table = rng.normal(size=(n, 2))
    got = kernel_vote_losses(
        distances,
        mask,
        lambda rows: table[neighbors[rows]],
        table,
        classification=classification,
        chunk=7,  # several blocks
    )
    expected = _direct(distances, mask, neighbors, table, classification)
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_a_sharper_kernel_wins_where_the_nearest_row_decides():
    # The nearest context row always has the row's class, the others not.
    n, k = 40, 6
    rng = np.random.RandomState(1)
    labels = rng.randint(0, 2, size=n)
    own = [np.flatnonzero(labels == c) for c in (0, 1)]
    other = [np.flatnonzero(labels != c) for c in (0, 1)]
    neighbors = np.array(
        [
            np.r_[rng.choice(own[c][own[c] != i]), rng.choice(other[c], k - 1)]
            for i, c in enumerate(labels)
        ]
    )
    distances = np.tile(np.linspace(1, 1.5, k), (n, 1))
    table = np.eye(2)[labels]
    losses = kernel_vote_losses(
        distances,
        np.ones((n, k), dtype=bool),
        lambda rows: table[neighbors[rows]],
        table,
        classification=True,
    )
    assert np.argmin(losses) == len(LOG_BANDWIDTHS) - 1
    assert np.all(np.diff(losses) < 0)
