"""The NeighborAttention network: gradients against finite differences."""

import numpy as np
import pytest

from skmanifold_attn.attention._neighbor_network import (
    NeighborAttentionNetwork,
    masked_softmax,
)
from skmanifold_attn.attention._neighbor_retrieval import (
    build_memory_index,
    context_neighbors,
    fixed_weights,
)

N_ROWS, N_FEATURES, N_NEIGHBORS, EMBED_DIM = 30, 4, 5, 6


def _network(task, weighting, dropout=0.0):
    rng = np.random.RandomState(0)
    data = rng.normal(size=(N_ROWS, N_FEATURES))
    index = build_memory_index("brute", data, N_NEIGHBORS)
    neighbors, mask, distances = context_neighbors(index, data, data, N_NEIGHBORS)
    mask[0, -2:] = False  # masked slots take part too
    if task == "classification":
        targets, n_outputs = rng.randint(3, size=N_ROWS), 3
    else:
        targets, n_outputs = rng.normal(size=(N_ROWS, 2)), 2
    fixed = None
    if weighting != "attention":
        fixed = fixed_weights(weighting, data, data, neighbors, mask)
    net = NeighborAttentionNetwork(
        N_FEATURES,
        EMBED_DIM,
        task,
        n_outputs,
        weighting,
        dropout,
        rng=rng,
        dtype=np.float64,
    )
    net.set_memory(data, targets, neighbors, mask, distances, fixed)
    # A non-zero bandwidth scale, so that its gradient is not trivially 0.
    net.log_bandwidth[0] = 0.3
    return net, targets


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize(
    "weighting, dropout",
    [("attention", 0.0), ("attention", 0.5), ("uniform", 0.0), ("barycentric", 0.0)],
)
def test_gradients_match_finite_differences(task, weighting, dropout):
    net, targets = _network(task, weighting, dropout)
    rows = np.array([[0], [3], [7], [12], [29]])
    y = targets[rows[:, 0]]

    def loss():
        # The same dropout mask at every call.
        return net.loss_and_grads(rows, y, np.random.RandomState(1))

    _, grads = loss()
    grads = [g.copy() for g in grads]
    check = np.random.RandomState(2)
    eps = 1e-6
    for param, grad in zip(net.params, grads, strict=True):
        picks = check.choice(param.size, size=min(param.size, 6), replace=False)
        for flat in picks:
            old = param.flat[flat]
            param.flat[flat] = old + eps
            up = loss()[0]
            param.flat[flat] = old - eps
            down = loss()[0]
            param.flat[flat] = old
            numeric = (up - down) / (2 * eps)
            assert grad.flat[flat] == pytest.approx(numeric, rel=1e-4, abs=1e-7)


def test_fixed_weights_give_no_bandwidth_gradient():
    net, targets = _network("regression", "uniform")
    rows = np.array([[1], [2]])
    _, grads = net.loss_and_grads(rows, targets[rows[:, 0]], np.random.RandomState(0))
    position = [p is net.log_bandwidth for p in net.params].index(True)
    assert grads[position][0] == 0


def test_masked_softmax():
    scores = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0], [5.0, 1.0, 0.0]])
    mask = np.array([[True, True, True], [True, False, True], [False, False, False]])
    weights = masked_softmax(scores, mask)
    np.testing.assert_allclose(weights[:2].sum(axis=1), 1.0)
    assert weights[1, 1] == 0
    np.testing.assert_allclose(
        weights[1, [0, 2]], np.exp([1, 3]) / np.exp([1, 3]).sum()
    )
    np.testing.assert_array_equal(weights[2], 0.0)


@pytest.mark.parametrize("task", ["classification", "regression"])
@pytest.mark.parametrize("weighting", ["attention", "uniform", "barycentric"])
def test_inference_matches_the_training_forward_pass(task, weighting):
    # Inference takes other routes (gathered key tables, expanded distances);
    # the training forward pass (differences, fused key map) must agree.
    net, _ = _network(task, weighting)
    rows = np.arange(N_ROWS)
    logits = net.forward(rows)
    net.set_memory_keys()
    data, _, neighbors, mask, fixed = net.memory
    inferred = net.infer(data, neighbors, mask, net.memory_prior, fixed)[2]
    np.testing.assert_allclose(inferred, logits, rtol=1e-10, atol=1e-12)


def test_start_epoch_refreshes_the_context_every_refresh_every_epochs():
    net, _ = _network("regression", "attention")
    data, targets, neighbors, mask, _ = net.memory
    r0 = net.r0_squared
    assert net.start_epoch(1) is False  # no refresher: nothing happens
    refreshed = []

    def refresher(model):
        # Reversed context, distances doubled: visible in the memory.
        refreshed.append(len(refreshed))
        distances = np.sqrt(net.r0_squared) * np.ones(neighbors.shape)
        return neighbors[:, ::-1], mask[:, ::-1], 2 * distances, None

    net.refresher, net.refresh_every = refresher, 3
    net.epochs_on_context = 0
    counts, returned = [], []
    for epoch in range(1, 8):
        returned.append(net.start_epoch(epoch))
        counts.append(len(refreshed))
    # Refreshed before epochs 4 and 7; the convergence count is not reset.
    assert counts == [0, 0, 0, 1, 1, 1, 2]
    assert not any(returned)
    np.testing.assert_array_equal(net.memory[2], neighbors[:, ::-1])
    assert net.memory[0] is data and net.memory[1] is targets
    assert net.r0_squared == r0
    np.testing.assert_allclose(net.memory_prior, 4.0)
