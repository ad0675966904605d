import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.manifold import trustworthiness as sklearn_trustworthiness

from skmanifold_attn.metrics import continuity


@pytest.mark.parametrize("n_samples, n_neighbors", [(60, 3), (300, 10)])
def test_is_trustworthiness_with_the_spaces_swapped(n_samples, n_neighbors):
    rng = np.random.RandomState(n_samples)
    X = rng.randn(n_samples, 4)
    E = X[:, :2] + 0.5 * rng.randn(n_samples, 2)
    assert_allclose(
        continuity(X, E, n_neighbors=n_neighbors),
        sklearn_trustworthiness(E, X, n_neighbors=n_neighbors),
        atol=1e-12,
    )


def test_extremes():
    rng = np.random.RandomState(0)
    X = rng.randn(200, 3)
    assert continuity(X, 3 * X + 1) == 1.0
    # Random embedding: the average rank of a torn-apart pair is ~n/2.
    assert abs(continuity(X, rng.randn(200, 2)) - 0.5) < 0.1
    # Projection keeps points together less than it keeps them apart.
    assert continuity(X, X[:, :2]) > 0.9
