"""The column likelihoods: gradients, densities, means, draws and units."""

import warnings

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm
from sklearn.preprocessing import StandardScaler

from skmanifold_attn.utils._testing import numeric_grad
from skmanifold_attn.vae._likelihoods import (
    VARIANCE_FLOOR,
    Bernoulli,
    Categorical,
    ContinuousBernoulli,
    Gaussian,
)
from skmanifold_attn.vae._mixture import GaussianMixture
from skmanifold_attn.vae._quantile import QuantileGaussian
from skmanifold_attn.vae._table_likelihood import (
    LIKELIHOODS,
    TableLikelihood,
    build_likelihood,
)


def _block_and_data(name, seed=0, n=7):
    rng = np.random.RandomState(seed)
    if name == "gaussian":
        block = Gaussian([0, 1, 2], np.float64)
        block.log_variance[:] = rng.normal(size=3)
        X = rng.normal(size=(n, 3))
    elif name == "gaussian_fixed":
        block = Gaussian([0, 1, 2], np.float64, variance=0.3)
        X = rng.normal(size=(n, 3))
    elif name == "gaussian_mixture":
        block = GaussianMixture([0, 1], np.float64, n_modes=3)
        block.fit(rng.normal(size=(20, 2)))
        block.log_variance[:] = rng.normal(size=(2, 3))
        X = rng.normal(size=(n, 2))
    elif name == "quantile_gaussian":
        block = QuantileGaussian([0, 1], np.float64)
        block.fit(rng.lognormal(size=(30, 2)))
        block.log_variance[:] = rng.normal(size=2)
        X = rng.normal(size=(n, 2))
    elif name == "bernoulli":
        block = Bernoulli([0, 1], np.float64)
        X = rng.uniform(size=(n, 2))
    elif name == "continuous_bernoulli":
        block = ContinuousBernoulli([0, 1], np.float64)
        X = rng.uniform(size=(n, 2))
    else:
        block = Categorical([0], np.float64, 4)
        X = rng.randint(0, 4, size=(n, 1)).astype(float)
    out = rng.normal(scale=2.0, size=(n, block.width))
    if name == "continuous_bernoulli":
        out[0, 0] = 1e-6  # the Taylor branch of the normaliser
        out[1, 1] = -30.0
    observed = (rng.uniform(size=X.shape) > 0.3).astype(float)
    return block, X, out, observed


NAMES = [
    "gaussian",
    "gaussian_mixture",
    "quantile_gaussian",
    "gaussian_fixed",
    "bernoulli",
    "continuous_bernoulli",
    "categorical",
]


@pytest.mark.parametrize("name", NAMES)
def test_gradients_match_finite_differences(name):
    block, X, out, observed = _block_and_data(name)
    X = X * observed  # missing cells are 0 in model units

    def loss():
        return float(block.nll_and_grad(X, out, observed)[0].sum())

    _, grad = block.nll_and_grad(X, out, observed)
    own = [g.copy() for g in block.grads]
    np.testing.assert_allclose(grad, numeric_grad(loss, out), rtol=1e-5, atol=1e-7)
    for param, analytic in zip(block.params, own, strict=True):
        np.testing.assert_allclose(analytic, numeric_grad(loss, param), rtol=1e-5)
    # Missing cells take no part: a row whose cells are all missing has
    # zero loss and exactly zero gradient.
    none = np.zeros_like(observed)
    nll, grad = block.nll_and_grad(X, out, none)
    np.testing.assert_array_equal(nll, 0.0)
    np.testing.assert_array_equal(grad, 0.0)


@pytest.mark.parametrize("name", NAMES)
def test_nll_is_the_masked_sum_of_cell_log_probs(name):
    block, X, out, observed = _block_and_data(name)
    X = X * observed
    nll, _ = block.nll_and_grad(X, out, observed)
    cells = block.log_prob_cells(X, out)
    np.testing.assert_allclose(nll, -(cells * observed).sum(axis=1), rtol=1e-10)
    # Leading draw axes broadcast over the rows.
    stacked = block.log_prob_cells(X, np.stack([out, out]))
    np.testing.assert_allclose(stacked[1], cells, rtol=1e-12)


def test_gaussian_log_prob_matches_scipy():
    block, X, out, _ = _block_and_data("gaussian")
    std = np.sqrt(VARIANCE_FLOOR + np.exp(block.log_variance))
    np.testing.assert_allclose(
        block.log_prob_cells(X, out), norm.logpdf(X, out, std), rtol=1e-12
    )


def test_continuous_bernoulli_is_a_density_with_the_stated_mean():
    block = ContinuousBernoulli([0], np.float64)
    for logit in [-40.0, -3.0, -1e-5, 0.0, 2e-4, 0.7, 5.0, 40.0]:
        out = np.array([[logit]])

        def density(x, out=out):
            return float(np.exp(block.log_prob_cells(np.array([[x]]), out))[0, 0])

        total, _ = integrate.quad(density, 0, 1, points=[1e-3, 0.999])
        assert total == pytest.approx(1.0, rel=1e-6), logit
        first, _ = integrate.quad(lambda x: x * density(x), 0, 1, points=[1e-3])
        assert float(block.mean(out)[0, 0]) == pytest.approx(first, abs=1e-6), logit


def test_continuous_bernoulli_draws_follow_its_cdf():
    block = ContinuousBernoulli([0], np.float64)
    rng = np.random.RandomState(0)
    for logit in [-8.0, 0.0, 1e-8, 3.0, 50.0]:
        out = np.full((20000, 1), logit)
        draws = block.sample(out, rng)
        assert draws.min() >= 0 and draws.max() <= 1
        assert draws.mean() == pytest.approx(float(block.mean(out[:1])[0, 0]), abs=0.01)
        # Distinct grey levels, not 0/1 draws.
        assert np.unique(draws).size > 1000


def test_bernoulli_and_categorical_draws_follow_their_probabilities():
    rng = np.random.RandomState(0)
    bern = Bernoulli([0], np.float64)
    out = np.full((20000, 1), 0.8)
    assert bern.sample(out, rng).mean() == pytest.approx(
        1 / (1 + np.exp(-0.8)), abs=0.015
    )
    cat = Categorical([0], np.float64, 3)
    logits = np.log(np.array([0.2, 0.5, 0.3]))
    codes = cat.sample(np.tile(logits, (30000, 1)), rng)[:, 0]
    np.testing.assert_allclose(
        np.bincount(codes.astype(int)) / 30000, [0.2, 0.5, 0.3], atol=0.01
    )
    np.testing.assert_array_equal(cat.mean(logits[None]), [[1.0]])


def test_two_valued_bernoulli_maps_its_values_to_zero_and_one():
    block = Bernoulli([0, 1], np.float64, two_values=True).fit(
        np.array([[3.0, -1.0], [7.0, np.nan], [3.0, 1.0]])
    )
    np.testing.assert_array_equal(block.loc, [3.0, -1.0])
    np.testing.assert_array_equal(block.scale, [4.0, 2.0])
    np.testing.assert_array_equal(block.mean(np.array([[2.0, -0.5]])), [[1.0, 0.0]])


def test_unit_interval_types_refuse_values_outside():
    X = np.array([[0.2], [1.5]])
    for block in (Bernoulli([0], np.float64), ContinuousBernoulli([0], np.float64)):
        with pytest.raises(
            ValueError, match=r"decoder='x' needs every value of X in \[0, 1\]"
        ):
            block.check(X, "x")
    Bernoulli([0], np.float64, two_values=True).check(X, "auto")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gaussian_units_match_standard_scaler_and_round_trip(dtype):
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(50, 4)) * [1e-3, 1.0, 10.0, 1e4] + 5.0).astype(dtype)
    table = build_likelihood(["gaussian"] * 4, dtype).fit(X)
    reference = StandardScaler().fit(X.astype(np.float64))
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(table.loc, reference.mean_, rtol=rtol)
    np.testing.assert_allclose(table.scale, reference.scale_, rtol=rtol)
    before = X.copy()
    X_model = table.to_model(X, dtype)
    assert X_model.dtype == dtype
    np.testing.assert_array_equal(X, before)
    back = table.to_data(X_model)
    np.testing.assert_allclose(back, X, rtol=10 * np.finfo(dtype).eps)
    expected = np.log(reference.scale_).sum()
    assert table.log_jacobian() == pytest.approx(expected, rel=1e-5)


def test_table_composes_blocks_in_any_column_order():
    # Columns: categorical(3), gaussian, bernoulli, gaussian, categorical(2).
    kinds = ["categorical", "gaussian", "bernoulli", "gaussian", "categorical"]
    table = build_likelihood(kinds, np.float64, n_categories=[3, 0, 0, 0, 2])
    assert table.kinds == kinds
    assert table.width == 3 + 2 + 1 + 2 and table.input_width == table.width
    rng = np.random.RandomState(0)
    X = np.column_stack(
        [
            rng.randint(0, 3, 6),
            rng.normal(size=6),
            rng.randint(0, 2, 6),
            rng.normal(size=6),
            rng.randint(0, 2, 6),
        ]
    ).astype(float)
    X[1, 0] = X[2, 3] = X[4, 2] = np.nan
    out = rng.normal(size=(6, table.width))
    # The table's masked log-likelihood is the sum of its blocks'.
    expected = np.zeros(6)
    observed = ~np.isnan(X)
    X0 = np.where(observed, X, 0)
    for block, cols in zip(table.blocks, table.slices, strict=True):
        cells = block.log_prob_cells(X0[:, block.columns], out[:, cols])
        expected += (cells * observed[:, block.columns]).sum(axis=1)
    np.testing.assert_allclose(table.log_prob(X, out), expected, rtol=1e-12)
    nll, grad = table.nll_and_grad(X, out)
    np.testing.assert_allclose(nll, -expected, rtol=1e-12)

    def loss():
        return float(table.nll_and_grad(X, out)[0].sum())

    np.testing.assert_allclose(grad, numeric_grad(loss, out), rtol=1e-5, atol=1e-7)
    cells = table.log_prob_cells(X, out)
    assert np.isnan(cells[1, 0]) and np.isnan(cells[2, 3]) and np.isnan(cells[4, 2])
    # The encoder sees one-hot categories, all zero where a category is missing.
    inputs = table.encoder_input(X)
    assert inputs.shape == (6, table.input_width)
    assert not np.isnan(inputs).any()
    start = 0
    for block in table.blocks:
        if block.columns[0] == 0:
            break
        start += block.input_width
    np.testing.assert_array_equal(inputs[1, start : start + 3], 0.0)
    np.testing.assert_array_equal(inputs[0, start : start + 3].sum(), 1.0)
    assert table.mean(out).shape == table.sample(out, rng).shape == (6, 5)


def test_missing_indicators_widen_the_encoder_input():
    table = build_likelihood(["gaussian"] * 3, np.float64, missing_indicators=True)
    X = np.array([[0.5, np.nan, 1.0]])
    np.testing.assert_array_equal(table.encoder_input(X), [[0.5, 0.0, 1.0, 0, 1, 0]])
    # Without indicators and categories, complete rows are their own input.
    plain = build_likelihood(["gaussian", "gaussian", "bernoulli"], np.float64)
    X = np.array([[0.5, -1.0, 1.0]])
    assert plain.encoder_input(X) is X
    np.testing.assert_array_equal(plain.encoder_input(X * np.nan), [[0.0, 0.0, 0.0]])


def test_unseen_categories_become_missing_in_model_units():
    table = build_likelihood(
        ["categorical", "gaussian"], np.float64, n_categories=[2, 0]
    )
    table.fit(np.array([[0.0, 1.0], [1.0, 2.0]]))
    X_model = table.to_model(np.array([[2.0, 1.0], [1.0, 1.0]]), np.float64)
    assert np.isnan(X_model[0, 0]) and X_model[1, 0] == 1.0


def test_blocks_must_cover_every_column_once():
    with pytest.raises(ValueError, match="cover every column"):
        TableLikelihood([Gaussian([0, 1], np.float64)], 3)
    with pytest.raises(ValueError, match="Unknown column types"):
        build_likelihood(["gaussian", "poisson"], np.float64)


def test_every_registered_type_is_one_class():
    assert set(LIKELIHOODS) == {
        "gaussian",
        "gaussian_mixture",
        "quantile_gaussian",
        "bernoulli",
        "continuous_bernoulli",
        "categorical",
    }
    assert all(cls.name == name for name, cls in LIKELIHOODS.items())


def test_extreme_logits_stay_finite():
    out = np.array([[-800.0, 800.0, 0.0]])
    X = np.array([[1.0, 0.0, 0.5]])
    observed = np.ones_like(X)
    for block in (
        Bernoulli([0, 1, 2], np.float64),
        ContinuousBernoulli([0, 1, 2], np.float64),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            nll, grad = block.nll_and_grad(X, out, observed)
            mean = block.mean(out)
        assert np.all(np.isfinite(nll)) and np.all(np.isfinite(grad))
        assert np.all(np.isfinite(mean))


def test_gaussian_mixture_is_a_density_with_the_stated_mean_and_draws():
    rng = np.random.RandomState(0)
    block = GaussianMixture([0], np.float64, n_modes=3)
    block.fit(rng.normal(size=(50, 1)))
    block.log_variance[:] = [[-2.0, -1.0, 0.5]]
    out = np.array([[0.3, -1.0, 1.2, -2.0, 0.5, 3.0]])  # logits, then means

    def density(x):
        return float(np.exp(block.log_prob_cells(np.array([[x]]), out))[0, 0])

    total, _ = integrate.quad(density, -30, 30, points=[-2.0, 0.5, 3.0])
    assert total == pytest.approx(1.0, rel=1e-8)
    first, _ = integrate.quad(lambda x: x * density(x), -30, 30, points=[-2, 0.5, 3])
    assert float(block.mean(out)[0, 0]) == pytest.approx(first, rel=1e-8)
    draws = block.sample(np.tile(out, (40000, 1)), rng)[:, 0]
    assert draws.mean() == pytest.approx(first, abs=0.03)
    # Three modes: the draws' histogram has them where the density has.
    for centre in (-2.0, 0.5, 3.0):
        near = np.abs(draws - centre) < 0.2
        assert near.mean() == pytest.approx(
            integrate.quad(density, centre - 0.2, centre + 0.2)[0], abs=0.01
        )


def test_gaussian_mixture_starts_its_modes_at_the_quantiles():
    X = np.concatenate([np.full(50, -3.0), np.full(50, 3.0)])[:, None]
    block = GaussianMixture([0], np.float64, n_modes=2).fit(X)
    bias = block.initial_output_bias()
    np.testing.assert_array_equal(bias[:2], 0.0)  # equal mode weights
    np.testing.assert_allclose(bias[2:], [-1.0, 1.0])  # standardised modes
    table = build_likelihood(["gaussian", "gaussian_mixture"], np.float64)
    table.fit(np.column_stack([X[:, 0], X[:, 0]]))
    full = table.initial_output_bias()
    assert full.shape == (table.width,)
    np.testing.assert_array_equal(full[:1], 0.0)  # the Gaussian block keeps 0


def test_continuous_bernoulli_density_is_bounded_at_the_edges():
    # Unbounded logits would make the density at exact 0s and 1s, and so the
    # training loss's decrease, unbounded.
    from skmanifold_attn.vae._likelihoods import CB_LOGIT_BOUND

    block = ContinuousBernoulli([0], np.float64)
    edges = np.array([[0.0], [1.0]])
    extreme = np.array([[-1e6], [1e6]])
    log_density = block.log_prob_cells(edges, extreme)
    assert np.all(log_density <= np.log(CB_LOGIT_BOUND) + 1e-6)
    assert np.all(log_density > np.log(CB_LOGIT_BOUND) - 0.1)
