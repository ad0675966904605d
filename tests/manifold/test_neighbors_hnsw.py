"""The approximate backend's PCA pre-transform and exact re-ranking."""

import numpy as np
import pytest
from _subspace_data import low_rank
from sklearn.datasets import load_digits, make_swiss_roll
from sklearn.neighbors import NearestNeighbors
from sklearn.utils import check_random_state

from skmanifold_attn import LocallyLinearEmbedding
from skmanifold_attn.manifold._neighbors import HnswIndex, _exact_distances

hnswlib = pytest.importorskip("hnswlib")

# Measured 0.9985-1.0 on these data sets; the bound leaves room for any CPU
# and any graph randomness.
RECALL = 0.98


def _manifold(n=1500, d=100, seed=0):
    """The swiss roll rotated into ``d`` dimensions plus noise."""
    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((d, 3)))
    X = make_swiss_roll(n, random_state=seed)[0] @ basis.T
    return X + 0.01 * rng.standard_normal(X.shape)


def _exact(X, k):
    return NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)[1][:, 1:]


def _recall(found, exact):
    hits = sum(np.intersect1d(a, b).size for a, b in zip(found, exact, strict=True))
    return hits / exact.size


@pytest.mark.parametrize("make", [low_rank, _manifold])
def test_projected_recall_and_exact_distances(make):
    X = make()
    index = HnswIndex(random_state=0).build(X, 13)
    # The data lie near a subspace: the graph holds its few coordinates.
    assert index.components_ is not None
    assert index.components_.shape[0] <= 5
    assert index.discarded_variance_ <= 1e-3
    found = index.training_neighbors(12)
    assert not np.any(found == np.arange(X.shape[0])[:, None])
    assert _recall(found, _exact(X, 12)) >= RECALL
    # New points: exact float64 distances, nearest first.
    new = make(n=200, seed=1)
    distances, indices = index.query(new, 7)
    np.testing.assert_allclose(
        distances, np.linalg.norm(new[:, None] - X[indices], axis=2), rtol=1e-12
    )
    assert np.all(np.diff(distances, axis=1) >= 0)
    exact = NearestNeighbors(n_neighbors=7).fit(X).kneighbors(new)[1]
    assert _recall(indices, exact) >= RECALL


def test_full_rank_data_not_projected():
    # Digits (64 features) need most of their directions: the graph holds
    # the centred rows; so does isotropic Gaussian data.
    X = load_digits().data
    index = HnswIndex(random_state=0).build(X, 13)
    assert index.components_ is None
    np.testing.assert_allclose(index.mean_, X.mean(axis=0))
    assert _recall(index.training_neighbors(12), _exact(X, 12)) >= RECALL
    iso = np.random.RandomState(0).standard_normal((500, 30))
    assert HnswIndex(random_state=0).build(iso, 5).components_ is None


@pytest.mark.parametrize("pca_variance", [None, 1.0])
def test_disabled_is_the_plain_graph(pca_variance):
    # Without the pre-transform: the float32 rows as given, the seed drawn
    # from random_state, n_neighbors asked for and re-ranked exactly.
    X = _manifold(n=800, d=40)
    index = HnswIndex(pca_variance=pca_variance, random_state=3).build(X, 9)
    assert index.mean_ is None and index.components_ is None
    seed = int(check_random_state(3).randint(np.iinfo(np.int32).max))
    plain = hnswlib.Index(space="l2", dim=X.shape[1])
    plain.init_index(
        max_elements=X.shape[0], ef_construction=100, M=32, random_seed=seed
    )
    plain.set_num_threads(1)
    plain.add_items(X.astype(np.float32), np.arange(X.shape[0]))
    plain.set_ef(50)
    labels, _ = plain.knn_query(X.astype(np.float32), 9)
    expected = _exact_distances(X, X, labels.astype(np.intp))
    distances, indices = index.query(X, 9)
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(distances, expected[0])


@pytest.mark.parametrize("bad", [0, 0.0, -0.5, 1.5, np.nan, "0.9", True])
def test_pca_variance_validation(bad):
    X = low_rank(n=100)
    msg = r"'pca_variance' parameter of HnswIndex must be a float in the range"
    with pytest.raises(ValueError, match=msg):
        HnswIndex(pca_variance=bad).build(X, 5)
    with pytest.raises(ValueError, match=msg):
        LocallyLinearEmbedding(
            n_neighbors=5, neighbors_algorithm=HnswIndex(pca_variance=bad)
        ).fit(X)


def test_large_offset():
    # Centred before the float32 cast: an offset of 1e6 changes nothing.
    X = _manifold(n=1200)
    shifted = X + 1e6
    index = HnswIndex(random_state=0).build(shifted, 13)
    assert index.components_ is not None
    found = index.training_neighbors(12)
    assert _recall(found, _exact(X, 12)) >= RECALL
    distances, indices = index.query(shifted[:20], 5)
    np.testing.assert_allclose(
        distances, np.linalg.norm(X[:20, None] - X[indices], axis=2), rtol=1e-8
    )
