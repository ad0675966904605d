"""VAETransformer never trains to nonsense silently: divergence, scales, memory."""

import numpy as np
import pytest

from skmanifold_attn import VAETransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=120, seed=0):
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n, 2))
    return np.tanh(Z @ rng.normal(size=(2, 6))) + 0.1 * rng.normal(size=(n, 6))


# -- divergence -----------------------------------------------------------------


@pytest.mark.parametrize("learning_rate_init", [1.0, 10.0, 1e3])
@pytest.mark.parametrize("decoder", ["gaussian", "bernoulli"])
def test_too_large_learning_rate_raises(learning_rate_init, decoder):
    # Before (learning_rate_init=10): loss 1e13 and scores of -1e11, no error.
    X = _data()
    if decoder == "bernoulli":
        X = (X - X.min()) / np.ptp(X)
    vae = VAETransformer(
        decoder=decoder,
        learning_rate_init=learning_rate_init,
        max_iter=20,
        random_state=0,
    )
    with pytest.raises(ValueError, match="Training diverged.*learning_rate_init"):
        vae.fit(X)


@pytest.mark.parametrize(
    "params",
    [
        dict(batch_size=1, max_iter=3),
        dict(batch_size=4, learning_rate_init=1e-2, max_iter=10),
        dict(batch_size=4, beta=50.0, kl_warmup=5, max_iter=10),
        dict(batch_size=8, decoder_variance=0.01, learning_rate_init=1e-2, max_iter=10),
        dict(batch_size=2, early_stopping=True, validation_fraction=0.2, max_iter=5),
    ],
)
def test_healthy_noisy_fits_do_not_raise(params):
    rng = np.random.RandomState(0)
    X = rng.standard_cauchy(size=(60, 4))  # heavy tails: noisy batches
    vae = VAETransformer(random_state=0, **params).fit(X)
    assert np.all(np.isfinite(vae.loss_curve_))
    assert np.all(np.isfinite(vae.score_samples(X)))


# -- feature scales ---------------------------------------------------------------


@pytest.mark.parametrize("factor", [1e-300, 1e-150, 1e-16, 1e150, 1e200])
def test_any_feature_scale_gives_the_same_model(factor):
    # Before: below ~1e-16 every column was "constant" and every row
    # transformed to the same vector.
    X = _data()
    reference = VAETransformer(max_iter=3, random_state=0).fit(X)
    expected = reference.transform(X)
    vae = VAETransformer(max_iter=3, random_state=0).fit(X * factor)
    Z = vae.transform(X * factor)
    assert np.ptp(Z, axis=0).max() > 0.1
    np.testing.assert_allclose(Z, expected, rtol=1e-6, atol=1e-8)
    # Densities of scaled rows: divided by the Jacobian factor ** n_features.
    np.testing.assert_allclose(
        vae.score_samples(X * factor),
        reference.score_samples(X) - X.shape[1] * np.log(factor),
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        vae.inverse_transform(Z) / factor,
        reference.inverse_transform(expected),
        rtol=1e-6,
        atol=1e-8,
    )


def test_float32_microamps_are_not_constant():
    # Before: float32 features with a spread below ~1e-6 were constant.
    X = _data()
    currents = 1e-6 + 1e-7 * X
    vae = VAETransformer(max_iter=3, random_state=0)
    expected = vae.fit(currents).transform(currents)
    Z = vae.fit(currents.astype(np.float32)).transform(currents.astype(np.float32))
    assert Z.dtype == np.float32
    assert np.ptp(Z, axis=0).max() > 0.1
    np.testing.assert_allclose(Z, expected, rtol=1e-3, atol=1e-3)


# -- memory ---------------------------------------------------------------------


def _traced_peak(function):
    import tracemalloc

    tracemalloc.start()
    try:
        result = function()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_transform_and_inverse_transform_run_in_chunks():
    # Before: transform of 500,000 rows with hidden layers (256, 256) took
    # +2.0 GB (a (n_rows, 256) activation per layer); here 20,000 rows would
    # take ~80 MB unchunked.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20_000, 4))
    vae = VAETransformer(
        n_components=2,
        hidden_layer_sizes=(256, 256),
        decoder="gaussian",
        max_iter=1,
        random_state=0,
    ).fit(X[:200])
    Z, peak = _traced_peak(lambda: vae.transform(X))
    assert peak < 20e6
    Z_direct = vae._model.encode((X - vae.mean_) / vae.scale_)[0]
    np.testing.assert_allclose(Z, Z_direct, rtol=1e-10, atol=1e-12)
    assert Z.flags.c_contiguous

    X_back, peak = _traced_peak(lambda: vae.inverse_transform(Z))
    assert peak < X_back.nbytes + 20e6
    direct = vae._model.decode_mean(Z) * vae.scale_ + vae.mean_
    np.testing.assert_allclose(X_back, direct, rtol=1e-10, atol=1e-12)
    # Row by row: a row's code does not depend on the rows around it.
    np.testing.assert_allclose(vae.transform(X[-3:]), Z[-3:], rtol=1e-10, atol=1e-12)
