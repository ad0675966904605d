import numpy as np
import pytest

from skmanifold_attn.metrics import continuity, knn_preservation, lcmc, trustworthiness

METRICS = [trustworthiness, continuity, knn_preservation, lcmc]


@pytest.mark.parametrize("metric", METRICS)
def test_n_neighbors_at_least_half_the_samples(metric):
    rng = np.random.RandomState(42)
    X, X_embedded = rng.rand(7, 4), rng.rand(7, 2)
    with pytest.raises(ValueError, match="n_neighbors .+ should be less than .+"):
        metric(X, X_embedded, n_neighbors=5)
    assert 0 <= metric(X, X_embedded, n_neighbors=3) <= 1


@pytest.mark.parametrize("metric", METRICS)
def test_bad_input(metric):
    rng = np.random.RandomState(0)
    X, X_embedded = rng.rand(20, 4), rng.rand(20, 2)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        metric(X, X_embedded[:19])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X contains NaN"):
        metric(bad, X_embedded)
    bad = X_embedded.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="X_embedded contains NaN"):
        metric(X, bad)
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        metric(X[:1], X_embedded[:1], n_neighbors=1)
    with pytest.raises(ValueError, match="n_neighbors"):
        metric(X, X_embedded, n_neighbors=0)
    with pytest.raises(ValueError, match="square distance matrix"):
        metric(X, X_embedded, metric="precomputed")
