"""verbose of the manifold estimators: each stage of fit, timed."""

import re

import numpy as np
import pytest

from skmanifold_attn import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    LocallyLinearEmbedding,
    NeighborhoodPreservingEmbedding,
)
from skmanifold_attn.manifold._progress import StageTimer

STAGES = {
    LocallyLinearEmbedding: ["neighbours", "local weights", "eigen solve"],
    LaplacianEigenmaps: ["affinity graph", "Laplacian", "eigen solve"],
    NeighborhoodPreservingEmbedding: [
        "neighbours",
        "reconstruction weights",
        "eigen solve",
    ],
    LocalityPreservingProjections: ["neighbours", "graph weights", "eigen solve"],
}


def _data():
    return np.random.RandomState(0).normal(size=(80, 5))


@pytest.mark.parametrize("cls", list(STAGES), ids=lambda cls: cls.__name__)
def test_verbose_prints_every_stage_with_its_time(cls, capsys):
    params = dict(n_neighbors=10, verbose=1)
    cls(**params).fit(_data())
    lines = capsys.readouterr().out.splitlines()
    stages = STAGES[cls]
    assert len(lines) == len(stages) + 1, lines
    for line, stage in zip(lines, stages, strict=False):
        assert re.fullmatch(rf"\[{cls.__name__}\] {stage}( \(.*\))?: \d+\.\d\d s", line)
    assert re.fullmatch(rf"\[{cls.__name__}\] fit done: \d+\.\d\d s in all", lines[-1])


@pytest.mark.parametrize("cls", list(STAGES), ids=lambda cls: cls.__name__)
def test_silent_by_default(cls, capsys):
    estimator = cls(n_neighbors=10)
    assert estimator.verbose == 0
    estimator.fit(_data())
    assert capsys.readouterr().out == ""


def test_verbose_lle_says_which_method_and_sizes(capsys):
    LocallyLinearEmbedding(n_neighbors=12, method="ltsa", verbose=2).fit(_data())
    out = capsys.readouterr().out
    assert "n_samples=80, n_neighbors=12" in out and "method='ltsa'" in out


def test_stage_timer_measures_from_the_previous_stage(capsys, monkeypatch):
    clock = iter([10.0, 11.5, 14.0])
    monkeypatch.setattr("time.perf_counter", lambda: next(clock))
    timer = StageTimer("Thing", verbose=1)
    timer("first", "detail")
    timer("second")
    assert capsys.readouterr().out.splitlines() == [
        "[Thing] first (detail): 1.50 s",
        "[Thing] second: 2.50 s",
    ]
