"""The shared input checks of the manifold estimators."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from skmanifold_attn.manifold._validation import (
    MAX_MAGNITUDE,
    MIN_MAGNITUDE,
    check_magnitude,
    first_equal_rows,
    input_scale,
    mean_over_equal_rows,
    warn_duplicates,
)


def test_check_magnitude_bounds_the_squared_distances():
    check_magnitude(np.full((3, 4), MAX_MAGNITUDE / 2.01))
    check_magnitude(np.empty((0, 3)))
    with pytest.raises(ValueError, match="too large.*StandardScaler"):
        # One feature below the bound, but four of them sum above it.
        check_magnitude(np.full((3, 4), MAX_MAGNITUDE / 1.99))


def test_input_scale_is_a_power_of_two_for_tiny_data_only():
    assert input_scale(np.ones((3, 2))) == 1.0
    assert input_scale(np.zeros((3, 2))) == 1.0
    assert input_scale(np.full((3, 2), MIN_MAGNITUDE * 2)) == 1.0
    X = np.array([[3e-300, -1e-301], [0.0, 2e-300]])
    scale = input_scale(X)
    mantissa, _ = np.frexp(scale)
    assert mantissa == 0.5  # a power of two: dividing by it is exact
    assert 0.5 <= np.abs(X / scale).max() < 1.0
    np.testing.assert_array_equal((X / scale) * scale, X)


@pytest.mark.parametrize("sparse", [False, True])
def test_first_equal_rows(sparse):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 4))
    X[rng.uniform(size=X.shape) < 0.3] = 0.0
    X[:, 0] = 1.0 + rng.uniform(size=50)  # no zero row among these
    X = np.r_[X, X[[7, 3, 7]], np.zeros((2, 4))]
    X[-1, 0] = -0.0  # equal to 0.0
    matrix = sp.csr_matrix(X) if sparse else X
    first = first_equal_rows(matrix)
    expected = np.arange(len(X))
    expected[[50, 51, 52, 54]] = [7, 3, 7, 53]
    np.testing.assert_array_equal(first, expected)
    # Distinct rows, however close, are not merged.
    Y = rng.normal(size=(20, 3))
    Y[1] = Y[0] + 1e-15
    np.testing.assert_array_equal(first_equal_rows(Y), np.arange(20))


def test_mean_over_equal_rows_keeps_single_rows_exactly():
    values = np.random.RandomState(0).normal(size=(6, 2))
    unique = np.arange(6)
    assert mean_over_equal_rows(values, unique) is values
    first = np.array([0, 1, 0, 3, 1, 0])
    means = mean_over_equal_rows(values, first)
    np.testing.assert_array_equal(means[3], values[3])
    np.testing.assert_allclose(
        means[[0, 2, 5]], values[[0, 2, 5]].mean(0)[None].repeat(3, 0)
    )
    np.testing.assert_allclose(means[[1, 4]], values[[1, 4]].mean(0)[None].repeat(2, 0))


def test_warn_duplicates():
    assert warn_duplicates(np.arange(4)) == 0
    with pytest.warns(UserWarning, match=r"2 row\(s\) identical to an earlier row"):
        assert warn_duplicates(np.array([0, 0, 2, 2])) == 2


@given(
    rows=st.lists(st.integers(0, 5), min_size=1, max_size=40),
    sparse=st.booleans(),
)
@settings(max_examples=40, deadline=None)
def test_first_equal_rows_property(rows, sparse):
    # Rows drawn from a few distinct patterns (zeros and -0.0 included):
    # each row maps to the first row equal to it.
    patterns = np.array(
        [[0.0, 0.0, 0.0], [1.0, -2.0, 0.0], [-0.0, 0.0, -0.0], [1e-300, 0.0, 5.0]]
        + [[3.0, 1e150, -1.0], [1.0, -2.0, 1e-16]]
    )
    X = patterns[rows]
    first = first_equal_rows(sp.csr_matrix(X) if sparse else X)
    expected = [
        min(j for j in range(len(X)) if np.array_equal(X[j], X[i]))
        for i in range(len(X))
    ]
    np.testing.assert_array_equal(first, expected)
