"""AttentionPooling never trains to nonsense silently: divergence, scales."""

import numpy as np
import pytest
from sklearn.datasets import make_classification

from skmanifold_attn import AttentionPooling

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = dict(embed_dim=8, n_heads=2, random_state=0)


def _table(n=120, seed=0):
    return make_classification(n, 6, n_informative=4, random_state=seed)


# -- divergence -----------------------------------------------------------------


@pytest.mark.parametrize("learning_rate_init", [10.0, 1e3, 1e6])
@pytest.mark.parametrize("supervised", [True, False])
def test_too_large_learning_rate_raises(learning_rate_init, supervised):
    # Before: losses of 1e4 to 1e19, "converged", outputs up to 1e14.
    X, y = _table()
    pool = AttentionPooling(learning_rate_init=learning_rate_init, max_iter=20, **SMALL)
    with pytest.raises(ValueError, match="Training diverged.*learning_rate_init"):
        pool.fit(X, y if supervised else None)


@pytest.mark.parametrize(
    "params",
    [
        dict(batch_size=1, max_iter=3),
        dict(batch_size=4, learning_rate_init=1e-2, max_iter=10),
        dict(batch_size=2, early_stopping=True, max_iter=5),
    ],
)
@pytest.mark.parametrize("target", ["classes", "continuous", None])
def test_healthy_noisy_fits_do_not_raise(params, target):
    rng = np.random.RandomState(0)
    X = rng.standard_cauchy(size=(60, 4))  # heavy tails: noisy batches
    y = {
        "classes": (X[:, 0] > 0).astype(int),
        "continuous": X[:, 1] + rng.standard_cauchy(size=60),
        None: None,
    }[target]
    pool = AttentionPooling(**SMALL, **params).fit(X, y)
    assert np.all(np.isfinite(pool.loss_curve_))
    assert max(pool.loss_curve_) < 10 * max(abs(pool.loss_curve_[0]), 1)


# -- feature scales ---------------------------------------------------------------


@pytest.mark.parametrize("factor", [1e-300, 1e-150, 1e-16, 1e150, 1e200])
@pytest.mark.parametrize("embedding", ["per_token", "shared"])
def test_any_feature_scale_gives_the_same_model(factor, embedding):
    # Before: below ~1e-16 every column was "constant" and every row
    # transformed to the same vector.
    X, y = _table()
    pool = AttentionPooling(embedding=embedding, max_iter=3, **SMALL)
    expected = pool.fit(X, y).transform(X)
    Z = pool.fit(X * factor, y).transform(X * factor)
    assert np.ptp(Z, axis=0).max() > 0.1
    np.testing.assert_allclose(Z, expected, rtol=1e-6, atol=1e-8)


def test_float32_microamps_are_not_constant():
    # Before: float32 features with a spread below ~1e-6 were constant.
    X, y = _table()
    currents = 1e-6 + 1e-7 * X
    pool = AttentionPooling(max_iter=3, **SMALL)
    expected = pool.fit(currents, y).transform(currents)
    Z = pool.fit(currents.astype(np.float32), y).transform(currents.astype(np.float32))
    assert Z.dtype == np.float32
    assert np.ptp(Z, axis=0).max() > 0.1
    np.testing.assert_allclose(Z, expected, rtol=1e-3, atol=1e-3)
