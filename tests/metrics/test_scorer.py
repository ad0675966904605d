import numpy as np
import pytest
from sklearn.datasets import make_s_curve
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, cross_validate

from skmanifold_attn import LocallyLinearEmbedding
from skmanifold_attn.metrics import (
    continuity,
    make_embedding_scorer,
    trustworthiness,
)


def test_scorer_rates_transform_of_held_out_rows():
    X, _ = make_s_curve(200, random_state=0)
    model = PCA(n_components=2).fit(X[:150])
    scorer = make_embedding_scorer("continuity", n_neighbors=5)
    held_out = X[150:]
    assert scorer(model, held_out) == continuity(
        held_out, model.transform(held_out), n_neighbors=5
    )
    assert scorer(model, held_out, np.zeros(50)) == scorer(model, held_out)
    assert repr(scorer) == "make_embedding_scorer('continuity', n_neighbors=5)"


def test_grid_search_with_several_scorers_and_refit():
    X, _ = make_s_curve(240, random_state=0)
    scoring = {
        name: make_embedding_scorer(name, n_neighbors=8)
        for name in ("trustworthiness", "continuity", "knn_preservation", "lcmc")
    }
    search = GridSearchCV(
        LocallyLinearEmbedding(method="ltsa"),
        {"n_neighbors": [4, 12]},
        scoring=scoring,
        refit="trustworthiness",
        cv=3,
        error_score="raise",
    ).fit(X)
    results = search.cv_results_
    for name in scoring:
        assert np.all(np.isfinite(results[f"mean_test_{name}"]))
    best = np.argmax(results["mean_test_trustworthiness"])
    assert search.best_params_ == results["params"][best]
    # The 4-neighbour LTSA S-curve is broken; 12 unrolls it.
    assert search.best_params_ == {"n_neighbors": 12}
    assert trustworthiness(X, search.transform(X), n_neighbors=8) > 0.9


def test_cross_validate_single_scorer():
    X, _ = make_s_curve(150, random_state=1)
    scores = cross_validate(
        PCA(n_components=2),
        X,
        cv=3,
        scoring=make_embedding_scorer("lcmc", n_neighbors=5),
    )["test_score"]
    assert np.all((scores > 0) & (scores < 1))


def test_bad_names_and_small_folds():
    with pytest.raises(ValueError, match="name"):
        make_embedding_scorer("stress")
    with pytest.raises(ValueError, match="n_neighbors"):
        make_embedding_scorer("lcmc", n_neighbors=0)
    X, _ = make_s_curve(30, random_state=0)
    model = PCA(n_components=2).fit(X)
    with pytest.raises(ValueError, match="should be less than n_samples / 2"):
        make_embedding_scorer("trustworthiness", n_neighbors=10)(model, X[:15])
