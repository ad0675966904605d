"""The float32-screened exact brute force: scikit-learn's neighbours, any data."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.neighbors import NearestNeighbors

import skmanifold_attn.manifold._screened_brute as screened_brute
from skmanifold_attn import LaplacianEigenmaps, LocallyLinearEmbedding
from skmanifold_attn.manifold._neighbors import AutoIndex, kneighbors, make_index
from skmanifold_attn.manifold._screened_brute import (
    ScreenedBruteForce,
    applies,
    screen_constant,
)

K = 10


def _sklearn(X, k=K, Q=None):
    """scikit-learn's brute force: training neighbours (self dropped) or Q's."""
    nn = NearestNeighbors(n_neighbors=k, algorithm="brute").fit(X)
    return nn.kneighbors() if Q is None else nn.kneighbors(Q)


def _direct(X, Q, k, drop_self=False):
    """Float64 direct differences, ties by lower index (the documented rule)."""
    squared = ((Q[:, None, :] - X[None, :, :]) ** 2).sum(axis=2)
    if drop_self:
        squared[np.arange(len(Q)), np.arange(len(Q))] = np.inf
    order = np.array(
        [np.lexsort((np.arange(len(X)), row))[:k] for row in squared], dtype=np.intp
    )
    return np.sqrt(np.take_along_axis(squared, order, axis=1)), order


def _recomputed(X, Q, indices):
    """Direct float64 distances from each row of Q to its listed rows of X."""
    return np.sqrt(((X[indices] - Q[:, None, :]) ** 2).sum(axis=2))


def _check(found, expected, scale, rtol=1e-10):
    """Same indices; distances within rtol of the distance scale."""
    np.testing.assert_array_equal(found[1], expected[1])
    np.testing.assert_allclose(found[0], expected[0], rtol=0, atol=rtol * scale)


@pytest.mark.parametrize("n_features", [16, 64, 784])
def test_same_neighbours_as_sklearn_brute(n_features):
    rng = np.random.RandomState(n_features)
    n = 400 if n_features == 784 else 700
    X = rng.standard_normal((n, n_features))
    new = rng.standard_normal((60, n_features))
    expected = _sklearn(X)
    scale = expected[0].max()
    _check(kneighbors(X, K), expected, scale)
    _check(kneighbors(new, K, Y=X, chunk_size=17), _sklearn(X, Q=new), scale)
    index = make_index("auto").build(X, K + 1)
    assert index.screened_
    assert isinstance(index._screened(), ScreenedBruteForce)
    # The indexed rows queried as such (themselves included) and as a copy.
    _check(index.query(X, K), index.query(X.copy(), K), scale, rtol=0)
    # scikit-learn's norm expansion leaves about sqrt(eps) at distance 0.
    _check(index.query(X, K), _sklearn(X, Q=X), scale, rtol=1e-6)


@pytest.mark.parametrize("exponent", [-997, 498])
def test_tiny_and_huge_scales(exponent):
    """Data near 1e-300 (whose squares underflow) or 1e150: the neighbours of
    the data scaled back to 1 and the distances scaled by the same power of
    two (both exact)."""
    rng = np.random.RandomState(1)
    Z = rng.standard_normal((500, 32))
    expected = _sklearn(Z)
    distances, indices = kneighbors(np.ldexp(Z, exponent), K)
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_allclose(
        np.ldexp(distances, -exponent), expected[0], rtol=0, atol=1e-10 * 8
    )


def test_large_common_offset():
    """Data 1e6 away from the origin, where the norm-expansion loses all
    precision: the neighbours of the same points moved back by 1e6."""
    rng = np.random.RandomState(2)
    X = rng.standard_normal((500, 24)) + 1e6
    shifted = X - 1e6  # exact: X and 1e6 are within a factor 2
    new = rng.standard_normal((40, 24)) + 1e6
    expected = _sklearn(shifted)
    scale = expected[0].max()
    _check(kneighbors(X, K), expected, scale)
    _check(kneighbors(new, K, Y=X), _sklearn(shifted, Q=new - 1e6), scale)


def test_duplicated_rows_drop_the_point_itself():
    rng = np.random.RandomState(3)
    base = rng.standard_normal((400, 20))
    X = np.vstack([base, base[:150]])
    distances, indices = kneighbors(X, K)
    _check((distances, indices), _direct(X, X, K, drop_self=True), 1.0, rtol=1e-14)
    # Each duplicated point's first neighbour is its twin, never itself.
    assert not (indices == np.arange(len(X))[:, None]).any()
    twins = np.r_[np.arange(400, 550), np.arange(150)]
    np.testing.assert_array_equal(indices[np.r_[:150, 400:550], 0], twins)
    np.testing.assert_array_equal(distances[:150, 0], 0.0)
    # scikit-learn orders a duplicated neighbour's twins in no fixed way: its
    # lists are the same up to those exact ties (same exact distances).
    expected = _sklearn(X)
    np.testing.assert_allclose(_recomputed(X, X, expected[1]), distances, rtol=1e-12)


def test_exact_ties_on_a_grid():
    """Integer data: many exactly equal distances. The k nearest are decided
    by the exact distances, ties by lower index; scikit-learn breaks exact
    ties in no fixed order, so only its distances must agree."""
    rng = np.random.RandomState(4)
    X = rng.randint(0, 3, size=(500, 18)).astype(np.float64)
    X = np.vstack([X, X[:40]])
    distances, indices = kneighbors(X, K)
    _check((distances, indices), _direct(X, X, K, drop_self=True), 1.0, rtol=1e-14)
    expected = _sklearn(X)
    np.testing.assert_allclose(distances, expected[0], rtol=1e-12)
    np.testing.assert_allclose(_recomputed(X, X, expected[1]), distances, rtol=1e-12)
    new = X[:50] + 1.0
    found = kneighbors(new, 7, Y=X)
    _check(found, _direct(X, new, 7), 1.0, rtol=1e-14)


def test_float32_input_is_searched_as_float64():
    rng = np.random.RandomState(5)
    X = rng.standard_normal((600, 40)).astype(np.float32)
    assert applies(X, K)
    expected = _sklearn(X.astype(np.float64))
    _check(kneighbors(X, K), expected, expected[0].max())


def test_near_ties_beyond_float32_are_decided_in_float64():
    """Points at distances 1 + i * 1e-13 from a query: the float32 screen
    cannot order them, the exact stage must. Few such points take the
    candidate path, many the full-row path."""
    rng = np.random.RandomState(6)
    for n_close, n_far in [(30, 1970), (600, 1400)]:
        directions = rng.standard_normal((n_close, 50))
        directions /= np.linalg.norm(directions, axis=1, keepdims=True)
        radii = 1.0 + 1e-13 * rng.permutation(n_close)
        far = rng.standard_normal((n_far, 50))
        far *= 3.0 / np.linalg.norm(far, axis=1, keepdims=True)
        X = np.vstack([directions * radii[:, None], far])
        query = np.zeros((1, 50))
        distances, indices = ScreenedBruteForce(X).kneighbors(query, 12)
        expected = _direct(X, query, 12)
        np.testing.assert_array_equal(indices, expected[1])
        np.testing.assert_allclose(distances, expected[0], rtol=1e-15)


def test_query_far_from_the_data_and_all_equal_rows():
    rng = np.random.RandomState(7)
    X = rng.standard_normal((300, 20))
    for new in (1e30 * rng.standard_normal((5, 20)), X[:5] + 1e-9):
        found = ScreenedBruteForce(X).kneighbors(new, 6)
        expected = _direct(X, new, 6)
        np.testing.assert_array_equal(found[1], expected[1])
        np.testing.assert_allclose(found[0], expected[0], rtol=1e-12)
    same = np.ones((50, 20))
    distances, indices = kneighbors(same, 4)
    np.testing.assert_array_equal(distances, 0.0)
    assert not (indices == np.arange(50)[:, None]).any()
    with pytest.raises(ValueError, match="n_neighbors <= n_samples_fit"):
        ScreenedBruteForce(X).kneighbors(X[:3], 301)
    with pytest.raises(ValueError, match="X has 19 features"):
        ScreenedBruteForce(X).kneighbors(X[:3, 1:], 3)
    bad = X[:3].copy()
    bad[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        ScreenedBruteForce(X).kneighbors(bad, 3)


def test_auto_follows_sklearns_brute_force_rule():
    rng = np.random.RandomState(8)
    X = rng.standard_normal((200, 16))
    index = make_index("auto").build(X, 5)
    assert isinstance(index, AutoIndex) and index.screened_
    assert isinstance(index.estimator_, NearestNeighbors)
    low = rng.standard_normal((200, 15))
    assert not make_index("auto").build(low, 5).screened_  # a KD-tree
    # Half the data as neighbours: scikit-learn takes brute force at any width.
    assert make_index("auto").build(low, 100).screened_
    assert not make_index("auto").build(sp.csr_matrix(X), 5).screened_
    assert not hasattr(make_index("brute").build(X, 5), "screened_")
    assert not applies(np.array([[np.nan] * 20, [0.0] * 20]), 1)
    assert not applies(np.array([[1e308] * 20, [-1e308] * 20]), 1)
    assert applies(np.array([[1e300] * 20, [-1e300] * 20]), 1)
    assert 4e-5 < screen_constant(784) < 1e-4


def test_estimators_with_auto_match_sklearn_brute_force():
    rng = np.random.RandomState(9)
    basis, _ = np.linalg.qr(rng.standard_normal((30, 3)))
    X = rng.uniform(-1, 1, (400, 3)) @ basis.T + 1e-3 * rng.standard_normal((400, 30))
    brute = NearestNeighbors(algorithm="brute")
    new = X[:30] + 1e-3
    for Estimator in (LocallyLinearEmbedding, LaplacianEigenmaps):
        auto = Estimator(n_neighbors=10, random_state=0).fit(X)
        assert auto._index.screened_
        # No float32 copy of the data is kept after the fit.
        assert auto._index._screen is None
        reference = Estimator(
            n_neighbors=10, random_state=0, neighbors_algorithm=brute
        ).fit(X)
        np.testing.assert_allclose(
            auto.transform(new), reference.transform(new), rtol=1e-8, atol=1e-10
        )
        if Estimator is LocallyLinearEmbedding:
            assert isinstance(auto.nbrs_, NearestNeighbors)


@pytest.mark.parametrize("order", ["random", "sorted", "grid", "float32"])
def test_symmetric_training_search(monkeypatch, order):
    """The training rows' search that computes each tile of the symmetric
    product once (small tiles here) finds what the row-block search finds."""
    rng = np.random.RandomState(10)
    X = rng.standard_normal((1500, 20))
    if order == "sorted":  # neighbours adjacent in the input order
        X = X[np.argsort(X[:, 0])]
    elif order == "grid":
        X = np.vstack([rng.randint(0, 3, size=(1300, 20)), np.zeros((200, 20))])
        X = X.astype(np.float64)
    elif order == "float32":
        X = X.astype(np.float32)
    index = ScreenedBruteForce(X)
    monkeypatch.setattr(screened_brute, "_TILE", 10**9)
    expected = index.kneighbors(None, K)
    monkeypatch.setattr(screened_brute, "_TILE", 64)
    found = index.kneighbors(None, K)
    np.testing.assert_array_equal(found[1], expected[1])
    np.testing.assert_array_equal(found[0], expected[0])
    wide = X.astype(np.float64)
    _check(found, _direct(wide, wide, K), 1.0, rtol=1e-14)


def test_screen_dropped_after_the_training_search_and_rebuilt_alike():
    rng = np.random.RandomState(11)
    X = rng.standard_normal((300, 40))
    new = rng.standard_normal((25, 40))
    index = make_index("auto").build(X, K + 1)
    before = index.query(new, K)
    neighbors = index.training_neighbors(K)
    assert index._screen is None
    np.testing.assert_array_equal(neighbors, _sklearn(X)[1])
    after = index.query(new, K)
    np.testing.assert_array_equal(after[1], before[1])
    np.testing.assert_array_equal(after[0], before[0])
