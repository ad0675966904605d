"""VAETransformer on data that ships with scikit-learn: the evidence it works."""

import re
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline

from skmanifold_attn import VAETransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

FAST = {"hidden_layer_sizes": (64,), "learning_rate_init": 3e-3, "random_state": 0}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)


@pytest.fixture(scope="module")
def digits_vae(digits):
    X_train = digits[0]
    return VAETransformer(n_components=8, decoder="bernoulli", max_iter=60, **FAST).fit(
        X_train
    )


def test_elbo_improves_over_training(digits):
    X_train, X_test = digits[0], digits[1]
    vae = VAETransformer(
        n_components=8, decoder="bernoulli", max_iter=2, warm_start=True, **FAST
    ).fit(X_train)
    early = vae._elbo(X_test).mean()
    vae.set_params(max_iter=40).fit(X_train)
    late = vae._elbo(X_test).mean()
    assert late > early + 5  # nats per row
    assert vae.loss_curve_[-1] < vae.loss_curve_[0] - 5
    assert vae.n_iter_ == 42


def test_iwae_bound_is_at_least_the_elbo(digits, digits_vae):
    X_test = digits[1]
    iwae = digits_vae.score_samples(X_test)
    elbo = digits_vae._elbo(X_test)
    assert np.all(iwae >= elbo - 1e-9)
    assert iwae.mean() > elbo.mean() + 0.1
    assert digits_vae.score(X_test) == pytest.approx(iwae.mean())


def test_score_is_deterministic_and_row_independent(digits, digits_vae):
    X_test = digits[1]
    scores = digits_vae.score_samples(X_test)
    np.testing.assert_array_equal(digits_vae.score_samples(X_test), scores)
    np.testing.assert_allclose(digits_vae.score_samples(X_test[5:6]), scores[5:6])
    np.testing.assert_allclose(
        digits_vae.score_samples(X_test[::-1]), scores[::-1], rtol=1e-12
    )


def test_pipeline_accuracy_close_to_pca(digits):
    X = np.vstack([digits[0], digits[1]])
    y = np.concatenate([digits[2], digits[3]])
    vae = make_pipeline(
        VAETransformer(n_components=8, decoder="bernoulli", max_iter=60, **FAST),
        LogisticRegression(max_iter=2000),
    )
    pca = make_pipeline(PCA(n_components=8), LogisticRegression(max_iter=2000))
    vae_accuracy = cross_val_score(vae, X, y, cv=3).mean()
    pca_accuracy = cross_val_score(pca, X, y, cv=3).mean()
    assert vae_accuracy > pca_accuracy - 0.04, (vae_accuracy, pca_accuracy)


def test_anomalies_score_lower_than_held_out_digits(digits, digits_vae):
    X_test = digits[1]
    rng = np.random.RandomState(0)
    noise = rng.uniform(size=X_test.shape)
    # Another "dataset" with the digits' own pixel values: each row's pixels
    # in a random order.
    shuffled = np.array([row[rng.permutation(64)] for row in X_test])
    normal = digits_vae.score_samples(X_test)
    for outliers in (noise, shuffled):
        scores = np.concatenate([normal, digits_vae.score_samples(outliers)])
        is_normal = np.r_[np.ones(len(normal)), np.zeros(len(outliers))]
        assert roc_auc_score(is_normal, scores) > 0.97


def test_bernoulli_samples_reproduce_pixel_means(digits, digits_vae):
    X_train = digits[0]
    samples = digits_vae.sample(3000, random_state=0)
    assert set(np.unique(samples)) <= {0.0, 1.0}
    np.testing.assert_allclose(samples.mean(axis=0), X_train.mean(axis=0), atol=0.08)


def test_gaussian_samples_reproduce_means_and_correlations():
    X, _ = load_diabetes(return_X_y=True)
    X = X * 100 + 5  # raw, non-unit scales: standardised internally
    vae = VAETransformer(
        n_components=6, batch_size=64, tol=0.0, max_iter=300, **FAST
    ).fit(X)
    samples = vae.sample(5000, random_state=0)
    std = X.std(axis=0)
    assert np.max(np.abs(samples.mean(axis=0) - X.mean(axis=0)) / std) < 0.1
    np.testing.assert_allclose(samples.std(axis=0) / std, 1, atol=0.15)
    corr_error = np.abs(np.corrcoef(samples.T) - np.corrcoef(X.T))
    assert corr_error.max() < 0.15, corr_error.max()
    assert corr_error.mean() < 0.04, corr_error.mean()


def test_same_random_state_gives_identical_model_and_samples(digits):
    X_train = digits[0][:300]
    params = dict(n_components=3, decoder="bernoulli", max_iter=3, **FAST)
    a = VAETransformer(**params).fit(X_train)
    b = VAETransformer(**params).fit(X_train)
    c = VAETransformer(**{**params, "random_state": 1}).fit(X_train)
    for pa, pb in zip(a._model.params, b._model.params, strict=True):
        np.testing.assert_array_equal(pa, pb)
    np.testing.assert_array_equal(
        a.sample(5, random_state=2), b.sample(5, random_state=2)
    )
    np.testing.assert_array_equal(a.score_samples(X_train), b.score_samples(X_train))
    assert not np.array_equal(a.transform(X_train), c.transform(X_train))
    assert not np.array_equal(a.sample(5, random_state=2), a.sample(5, random_state=3))


def _factor_data(n=600, seed=0):
    # Ten columns driven non-linearly by three latent factors, plus noise.
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n, 3))
    W = rng.normal(size=(3, 10))
    return np.tanh(Z @ W) + 0.05 * rng.normal(size=(n, 10))


def test_grid_search_by_held_out_likelihood_prefers_sensible_settings():
    X = _factor_data()
    search = GridSearchCV(
        VAETransformer(max_iter=60, **FAST),
        {"n_components": [1, 3], "beta": [1.0, 8.0]},
        cv=3,
    ).fit(X)
    assert search.best_params_ == {"n_components": 3, "beta": 1.0}
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))


def _independent_iwae(vae, X):
    # The IWAE bound recomputed from the fitted weights alone (scipy
    # densities, no code of the package's losses or bounds): no beta, KL
    # weight or free bits can enter it.
    from scipy.special import logsumexp
    from scipy.stats import norm

    from skmanifold_attn.vae._model import VARIANCE_FLOOR

    model = vae._model
    k = model.n_components
    Xs = (X - vae.mean_) / vae.scale_
    encoded = model.encoder_net.predict(Xs)
    mean, log_var = encoded[:, :k], encoded[:, k:]
    assert np.all(np.abs(log_var) < 30)  # the bound's clip is inactive here
    std = np.exp(0.5 * log_var)
    decoder_std = np.sqrt(VARIANCE_FLOOR + np.exp(model.log_variance))
    log_w = []
    for eps in model.score_noise:
        Z = mean + std * eps
        decoded = model.decoder_net.predict(Z)
        log_w.append(
            norm.logpdf(Xs, decoded, decoder_std).sum(axis=1)
            + norm.logpdf(Z).sum(axis=1)
            - norm.logpdf(Z, mean, std).sum(axis=1)
        )
    iwae = logsumexp(np.array(log_w), axis=0) - np.log(len(model.score_noise))
    return iwae - np.log(vae.scale_).sum()


def test_score_is_free_of_beta():
    X = _factor_data(300)
    X_train, X_test = X[:200], X[200:]
    vae = VAETransformer(
        decoder="gaussian", beta=8.0, free_bits=0.5, kl_warmup=3, max_iter=10, **FAST
    )
    vae.fit(X_train)
    expected = _independent_iwae(vae, X_test)
    np.testing.assert_allclose(vae.score_samples(X_test), expected, rtol=1e-10)
    # Whatever the training weights of the KL term are set to, the score of
    # the fitted model stays the plain (beta = 1) bound.
    model = vae._model
    model.beta, model.kl_weight, model.free_bits = 50.0, 50.0, 3.0
    np.testing.assert_allclose(vae.score_samples(X_test), expected, rtol=1e-10)
    assert vae.score(X_test) == pytest.approx(expected.mean(), rel=1e-10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_outlying_rows_score_finite_and_below_inliers(dtype):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 5)).astype(dtype)
    vae = VAETransformer(max_iter=20, **FAST).fit(X)
    inliers = vae.score_samples(X[:50])
    outliers = np.vstack([X[:20] * factor for factor in (1e2, 1e4, 1e6)])
    scores = vae.score_samples(outliers)
    assert np.all(np.isfinite(scores))
    assert scores.max() < inliers.min()
    assert vae.score(outliers) < vae.score(X[:50]) and np.isfinite(vae.score(outliers))
    is_inlier = np.r_[np.ones(len(inliers)), np.zeros(len(scores))]
    assert roc_auc_score(is_inlier, np.r_[inliers, scores]) == 1.0
    # Beyond what the likelihood can represent: the floor, not NaN or -inf.
    huge = X[:3] / np.abs(X[:3]).max() * (np.finfo(dtype).max / 10)
    far = vae.score_samples(huge)
    np.testing.assert_array_equal(far, -1e300)


def test_outlying_digits_score_finite_and_below_inliers(digits):
    X_train, X_test = digits[0][:400] * 16, digits[1][:100] * 16
    vae = VAETransformer(n_components=4, max_iter=5, **FAST).fit(X_train)
    inliers = vae.score_samples(X_test)
    outliers = vae.score_samples(X_test[:20] * 1e4)
    assert np.all(np.isfinite(outliers)) and outliers.max() < inliers.min()


def test_grid_search_scores_folds_with_outlying_rows():
    X = _factor_data(90)
    X[60:63] *= 1e4  # outlying rows in the held-out part only
    search = GridSearchCV(
        VAETransformer(max_iter=3, **FAST),
        {"n_components": [1, 2]},
        cv=[(np.arange(60), np.arange(60, 90))],
    ).fit(X)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))


def test_output_width_follows_the_fitted_model_not_set_params():
    X = _factor_data(60)
    vae = VAETransformer(n_components=2, max_iter=2, **FAST).fit(X)
    vae.set_params(n_components=5)
    assert vae.transform(X).shape == (60, 2)
    assert len(vae.get_feature_names_out()) == 2
    assert vae.inverse_transform(np.zeros((3, 2))).shape == (3, 10)
    with pytest.raises(ValueError, match="n_components=2"):
        vae.inverse_transform(np.zeros((3, 5)))
    assert vae.sample(4, random_state=0).shape == (4, 10)


@pytest.mark.parametrize("n_samples", [True, np.True_, False, 2.0, 0, "3"])
def test_sample_rejects_non_integer_counts(n_samples):
    from sklearn.utils._param_validation import InvalidParameterError

    vae = VAETransformer(max_iter=1, **FAST).fit(_factor_data(40))
    with pytest.raises(InvalidParameterError, match="'n_samples' parameter"):
        vae.sample(n_samples)


@pytest.mark.parametrize(
    "change",
    [
        {"decoder": "bernoulli"},
        {"n_components": 3},
        {"hidden_layer_sizes": (8, 8)},
        {"activation": "tanh"},
        {"decoder_variance": 0.5},
    ],
)
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
def test_continuing_with_a_changed_architecture_raises(change, method):
    X = np.clip(_factor_data(60), 0, 1)
    vae = VAETransformer(warm_start=True, max_iter=2, **FAST).fit(X)
    weights = vae._model.params[0].copy()
    vae.set_params(**change)
    with pytest.raises(ValueError, match=f"warm_start.*{next(iter(change))}="):
        getattr(vae, method)(X)
    np.testing.assert_array_equal(vae._model.params[0], weights)
    # The same hidden sizes spelled as a list still continue the network.
    defaults = VAETransformer().get_params()
    vae.set_params(**{name: defaults[name] for name in change})
    vae.set_params(hidden_layer_sizes=[64], max_iter=1).fit(X)
    assert vae.n_iter_ == 3
    vae.set_params(warm_start=False, **change).fit(X)  # a new network is fine


def test_gaussian_standardisation_makes_raw_scales_irrelevant():
    X = _factor_data(200)
    scale = np.logspace(-3, 3, 10)
    params = dict(n_components=3, max_iter=5, decoder="gaussian", **FAST)
    a = VAETransformer(**params).fit(X)
    b = VAETransformer(**params).fit(X * scale + 7)
    np.testing.assert_allclose(a.transform(X), b.transform(X * scale + 7), atol=1e-8)
    np.testing.assert_allclose(
        a.score_samples(X) - np.log(scale).sum(), b.score_samples(X * scale + 7)
    )
    np.testing.assert_allclose(
        a.inverse_transform(a.transform(X)) * scale + 7,
        b.inverse_transform(b.transform(X * scale + 7)),
    )
    np.testing.assert_allclose(b.decoder_variance_, a.decoder_variance_ * scale**2)


def test_posterior_collapse_shows_in_diagnostics():
    X = _factor_data(300)
    healthy = VAETransformer(n_components=4, max_iter=80, **FAST).fit(X)
    collapsed = VAETransformer(n_components=4, beta=50.0, max_iter=80, **FAST).fit(X)
    assert len(healthy.active_units_) >= 2
    assert healthy.kl_per_dim_.shape == (4,)
    assert healthy.kl_per_dim_.sum() > 1
    assert len(collapsed.active_units_) < len(healthy.active_units_)
    assert collapsed.kl_per_dim_.sum() < healthy.kl_per_dim_.sum()


def test_free_bits_keep_latent_dimensions_in_use():
    X = _factor_data(300)
    params = dict(n_components=4, beta=8.0, max_iter=60, **FAST)
    plain = VAETransformer(**params).fit(X)
    free = VAETransformer(free_bits=1.0, **params).fit(X)
    assert free.kl_per_dim_.min() > plain.kl_per_dim_.min()


def test_kl_warmup_raises_the_weight_linearly():
    X = _factor_data(100)
    vae = VAETransformer(n_components=2, beta=2.0, kl_warmup=4, **FAST)
    weights = []
    for _ in range(6):
        vae.partial_fit(X)
        weights.append(vae._model.kl_weight)
    np.testing.assert_allclose(weights, [0.5, 1.0, 1.5, 2.0, 2.0, 2.0])
    # After the warm-up the objective no longer changes.
    assert vae._model.start_epoch(7) is False
    assert vae.n_iter_ == 6


def test_float32_stays_float32(digits):
    X = digits[0][:200].astype(np.float32)
    for decoder in ("gaussian", "bernoulli"):
        vae = VAETransformer(decoder=decoder, n_components=3, max_iter=3, **FAST)
        Z = vae.fit_transform(X)
        assert Z.dtype == np.float32
        assert vae.inverse_transform(Z).dtype == np.float32
        assert vae.sample(3, random_state=0).dtype == np.float32
        assert all(p.dtype == np.float32 for p in vae._model.params)
        assert np.all(np.isfinite(vae.score_samples(X)))


def test_pandas_output_and_feature_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(_factor_data(100), columns=[f"c{i}" for i in range(10)])
    vae = VAETransformer(n_components=3, max_iter=2, **FAST).set_output(
        transform="pandas"
    )
    Z = vae.fit_transform(X)
    assert list(Z.columns) == ["vaetransformer0", "vaetransformer1", "vaetransformer2"]
    assert list(vae.get_feature_names_out()) == list(Z.columns)


def test_early_stopping_uses_held_out_bound():
    X = _factor_data(300)
    vae = VAETransformer(
        n_components=3, early_stopping=True, n_iter_no_change=3, max_iter=200, **FAST
    ).fit(X)
    assert vae.n_iter_ < 200
    assert len(vae.validation_scores_) == vae.n_iter_
    assert vae.best_validation_score_ == max(vae.validation_scores_)


def test_verbose_prints_one_line_per_epoch(capsys):
    VAETransformer(max_iter=3, verbose=True, **FAST).fit(_factor_data(50))
    lines = [line for line in capsys.readouterr().out.splitlines() if "Epoch" in line]
    assert len(lines) == 3 and "loss" in lines[0]
    # Each line says what the loss is.
    assert "negative ELBO in nats per row" in lines[0]
    VAETransformer(
        max_iter=2, verbose=True, kl_warmup=2, early_stopping=True, **FAST
    ).fit(_factor_data(50))
    lines = [line for line in capsys.readouterr().out.splitlines() if "Epoch" in line]
    assert "KL weight 0.5" in lines[0] and "validation IWAE bound" in lines[0]


def test_latent_space_wider_than_the_data_warns():
    # Accepted (a latent width is no hard limit) but said: see n_components.
    X = _factor_data(50)[:, :4]
    match = "n_components=9 is more than n_features=4"
    with pytest.warns(UserWarning, match=match) as record:
        VAETransformer(n_components=9, max_iter=1, **FAST).fit(X)
    assert [w.filename for w in record if match in str(w.message)] == [__file__]
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        VAETransformer(n_components=4, max_iter=1, **FAST).fit(X)
    assert not [w for w in record if "is more than n_features" in str(w.message)]


def test_bernoulli_rejects_values_outside_unit_interval():
    X = _factor_data(50)
    with pytest.raises(ValueError, match=re.escape("[0, 1]")):
        VAETransformer(decoder="bernoulli", max_iter=1).fit(X)
    fitted = VAETransformer(decoder="bernoulli", max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        fitted.fit(np.clip(X, 0, 1))
    with pytest.raises(ValueError, match="decoder='bernoulli'"):
        fitted.transform(X + 2)


def test_inverse_transform_checks_latent_width():
    vae = VAETransformer(n_components=2, max_iter=1, **FAST).fit(_factor_data(50))
    with pytest.raises(ValueError, match="n_components=2"):
        vae.inverse_transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="n_samples"):
        vae.sample(0)


def test_huge_values_give_a_clear_error():
    with pytest.raises(ValueError, match="too large"):
        VAETransformer(max_iter=1).fit(np.sign(_factor_data(50)) * 1.7e308)


def test_divergent_training_raises():
    with pytest.raises(ValueError, match="diverged"):
        VAETransformer(learning_rate_init=1e4, max_iter=50, random_state=0).fit(
            _factor_data(100)
        )


def test_warm_start_and_partial_fit_continue_the_same_model():
    X = _factor_data(100)
    vae = VAETransformer(warm_start=True, max_iter=2, **FAST).fit(X)
    weights = vae._model.params[0]
    vae.fit(X)
    assert vae._model.params[0] is weights and vae.n_iter_ == 4
    with pytest.raises(ValueError, match="expecting 10 features"):
        vae.fit(X[:, :3])
    online = VAETransformer(**FAST)
    for _ in range(3):
        online.partial_fit(X)
    assert online.n_iter_ == 3 and len(online.loss_curve_) == 3


@pytest.mark.slow
def test_default_latent_features_are_about_as_good_as_pca_on_digits():
    # The latent features of the defaults feed a linear classifier about as
    # well as PCA's at the same width (sklearn's default 5 folds), and the
    # defaults train to convergence (no ConvergenceWarning).
    X, y = load_digits(return_X_y=True)
    classifier = LogisticRegression(max_iter=2000)
    pca = cross_val_score(make_pipeline(PCA(10), classifier), X, y).mean()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        vae = cross_val_score(
            make_pipeline(VAETransformer(n_components=10, random_state=0), classifier),
            X,
            y,
            error_score="raise",
        ).mean()
    assert vae > pca - 0.03, (vae, pca)


def test_auto_patience_waits_for_a_number_of_optimiser_steps(capsys):
    vae = VAETransformer()
    # min(40, max(10, ceil(80 / batches per epoch))); an int as it is.
    assert [vae._patience(n) for n in (1, 2, 3, 8, 50)] == [40, 40, 27, 10, 10]
    assert VAETransformer(n_iter_no_change=5)._patience(1) == 5
    # 300 rows, two batches of the automatic size an epoch: 40 epochs of
    # patience, which the stopping message reports.
    X = np.random.RandomState(0).normal(size=(300, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        VAETransformer(
            hidden_layer_sizes=(8,), max_iter=200, tol=1e3, verbose=True
        ).fit(X)
    assert "for 40 consecutive epochs. Stopping." in capsys.readouterr().out
