import numpy as np
from _metric_reference import full_ranks

from skmanifold_attn.metrics import _ranks
from skmanifold_attn.metrics._ranks import rank_excess


def _reference(X, pairs, k, metric="euclidean"):
    ranks = np.take_along_axis(full_ranks(X, metric), pairs, axis=1) - k
    return int(ranks[ranks > 0].sum())


def test_any_pairs_any_stage(monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.randn(150, 3)
    pairs = np.array(
        [rng.choice(np.delete(np.arange(150), i), 4, replace=False) for i in range(150)]
    )
    expected = _reference(X, pairs, 2)
    assert rank_excess(X, pairs, 2) == expected
    monkeypatch.setattr(_ranks, "_TREE_MAX_FEATURES", 0)
    assert rank_excess(X, pairs, 2) == expected
    assert rank_excess(X, pairs, 2, metric="manhattan") == _reference(
        X, pairs, 2, "manhattan"
    )


def test_buffers_stay_bounded(monkeypatch):
    # Every buffer is sized from _BUFFER_ITEMS: a tiny budget still works.
    monkeypatch.setattr(_ranks, "_BUFFER_ITEMS", 1)
    rng = np.random.RandomState(1)
    X = rng.randn(60, 2)
    pairs = np.array([np.roll(np.delete(np.arange(60), i), i)[:3] for i in range(60)])
    assert rank_excess(X, pairs, 3) == _reference(X, pairs, 3)
