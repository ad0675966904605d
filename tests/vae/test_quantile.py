"""The quantile-map Gaussian: its map, its density in the data's units, draws."""

import numpy as np
import pytest
from scipy import integrate, stats

from skmanifold_attn.vae._quantile import (
    QUANTILE_KNOTS,
    QuantileGaussian,
    lattice_step,
    quantile_knots,
)
from skmanifold_attn.vae._table_likelihood import build_likelihood


def _fitted(values, variance="learned"):
    block = QuantileGaussian([0], np.float64, variance)
    return block.fit(np.asarray(values, dtype=float)[:, None])


def test_knots_are_bounded_increasing_and_at_mid_ranks():
    rng = np.random.RandomState(0)
    values = rng.lognormal(size=1000)
    x, u = quantile_knots(values)
    assert x.size <= QUANTILE_KNOTS
    assert np.all(np.diff(x) > 0) and np.all(np.diff(u) > 0)
    assert x[0] == values.min() and x[-1] == values.max()
    # The mid-rank distribution function of each knot, through Phi.
    rank = (values[:, None] < x).sum(0) + 0.5 * (values[:, None] == x).sum(0)
    np.testing.assert_allclose(stats.norm.cdf(u), rank / values.size, rtol=1e-10)
    # Ties: each distinct value of a few-valued column is one knot.
    x, u = quantile_knots(np.repeat([1.0, 2.0, 5.0], [10, 30, 60]))
    np.testing.assert_array_equal(x, [1.0, 2.0, 5.0])
    np.testing.assert_allclose(stats.norm.cdf(u), [0.05, 0.25, 0.7])
    # A single value: a shift.
    x, u = quantile_knots(np.full(5, 3.0))
    np.testing.assert_array_equal(x - 3.0, u)


def test_map_is_monotone_inverts_and_extrapolates_linearly():
    rng = np.random.RandomState(1)
    block = _fitted(rng.standard_exponential(500))
    grid = np.linspace(-5, 20, 2001)[:, None]
    scores = block.to_scores(grid)
    assert np.all(np.diff(scores[:, 0]) > 0)
    np.testing.assert_allclose(block.from_scores(scores), grid, atol=1e-9)
    # Beyond the extreme knots the map is linear.
    left = scores[grid[:, 0] < -1, 0]
    np.testing.assert_allclose(np.diff(left), np.diff(left)[0], rtol=1e-9)
    np.testing.assert_array_equal(block.to_scores(np.array([[np.nan]])), [[np.nan]])


@pytest.mark.parametrize("mean", [-2.0, 0.0, 1.3])
def test_density_in_data_units_integrates_to_one(mean):
    rng = np.random.RandomState(2)
    values = np.concatenate([rng.normal(-3, 0.5, 200), rng.lognormal(1, 1, 300)])
    block = _fitted(values)
    block.log_variance[:] = np.log(0.3)
    out = np.array([[mean]])

    def density(x):
        u = block.to_scores(np.array([[x]]))
        log_p = block.log_prob_cells(u, out) + block.log_jacobian_cells(u)
        return float(np.exp(log_p)[0, 0])

    knots = list(block.knots[0][0])
    pieces = [-np.inf, *knots, np.inf]
    total = sum(
        integrate.quad(density, a, b, limit=200)[0]
        for a, b in zip(pieces[:-1], pieces[1:], strict=True)
    )
    assert total == pytest.approx(1.0, rel=1e-6)


def test_draws_follow_the_column_and_keep_its_grid():
    rng = np.random.RandomState(3)
    values = rng.gamma(2.0, 3.0, size=2000)
    block = _fitted(values, variance=1.0)
    # With out = 0 and unit variance the scores are N(0, 1): the draws'
    # marginal is the column's own distribution.
    scores = block.sample(np.zeros((4000, 1)), rng)
    draws = block.from_scores(scores)[:, 0]
    assert stats.ks_2samp(draws, values).statistic < 0.05
    # A column on a grid (whole units with ties) draws values on that grid.
    counts = rng.poisson(4.0, size=500).astype(float) * 25 + 100
    assert lattice_step(counts) == 25.0 and lattice_step(values) == 0.0
    block = _fitted(counts, variance=1.0)
    draws = block.from_scores(block.sample(np.zeros((3000, 1)), rng))[:, 0]
    np.testing.assert_allclose((draws - 100) / 25, np.rint((draws - 100) / 25))
    assert stats.ks_2samp(draws, counts).statistic < 0.05


def test_table_round_trip_and_row_jacobian():
    rng = np.random.RandomState(4)
    X = np.column_stack([rng.lognormal(size=100), rng.normal(size=100)])
    X[3, 0] = np.nan
    table = build_likelihood(["quantile_gaussian", "gaussian"], np.float64).fit(X)
    X_model = table.to_model(X, np.float64)
    assert np.isnan(X_model[3, 0])
    np.testing.assert_allclose(table.to_data(X_model.copy()), X, atol=1e-9)
    # log |du/dx| per row: the quantile map's slope plus -log(scale).
    jac = table.log_jacobian_rows(X_model)
    (block,) = [b for b in table.blocks if isinstance(b, QuantileGaussian)]
    h = 1e-7
    slope = (block.to_scores(X[:, :1] + h) - block.to_scores(X[:, :1]))[:, 0] / h
    expected = np.where(np.isnan(X[:, 0]), 0.0, np.log(slope)) - np.log(table.scale[1])
    np.testing.assert_allclose(jac, expected, rtol=1e-5, atol=1e-6)


def test_scores_are_densities_in_the_data_units():
    # The quantile map commutes with an affine change of units: the same
    # model is trained, and score_samples (a log-density in the data's
    # units) moves by -log(scale), as a density must.
    import warnings

    from skmanifold_attn import VAETransformer

    rng = np.random.RandomState(5)
    X = np.column_stack([rng.lognormal(size=200), rng.gamma(2.0, size=200)])
    scale = np.array([1e-3, 50.0])
    params = dict(
        decoder="quantile_gaussian", max_iter=5, hidden_layer_sizes=(8,), random_state=0
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = VAETransformer(**params).fit(X)
        b = VAETransformer(**params).fit(X * scale + 7)
    np.testing.assert_allclose(a.transform(X), b.transform(X * scale + 7), atol=1e-8)
    np.testing.assert_allclose(
        a.score_samples(X) - np.log(scale).sum(),
        b.score_samples(X * scale + 7),
        rtol=1e-6,
    )
    assert list(a.column_types_) == ["quantile_gaussian"] * 2


def test_dequantise_spreads_grid_columns_over_their_cells_only():
    rng = np.random.RandomState(6)
    X = np.column_stack(
        [
            rng.poisson(3.0, size=400) * 0.5,  # on a grid of step 0.5
            rng.normal(size=400),  # no grid
            rng.poisson(3.0, size=400).astype(float),  # Gaussian: left alone
        ]
    )
    X[0, 0] = np.nan
    table = build_likelihood(
        ["quantile_gaussian", "quantile_gaussian", "gaussian"], np.float64
    ).fit(X)
    assert table.has_grid
    spread = table.dequantise(X, np.random.RandomState(0))
    assert np.isnan(spread[0, 0])
    offset = spread[1:, 0] - X[1:, 0]
    assert np.all(np.abs(offset) <= 0.25) and offset.std() > 0.1
    np.testing.assert_array_equal(spread[:, 1:], X[:, 1:])
    assert (
        not build_likelihood(["quantile_gaussian"], np.float64).fit(X[:, 1:2]).has_grid
    )


def test_knots_grow_as_the_root_of_the_rows():
    rng = np.random.RandomState(7)
    for n, expected in [(9, 3), (50, 8), (400, 20), (100_000, QUANTILE_KNOTS)]:
        x, _ = quantile_knots(rng.normal(size=n))
        assert x.size == expected, n
