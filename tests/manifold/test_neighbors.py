"""The neighbours seam: backends, the estimators' public face, bad input."""

import pickle
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import make_swiss_roll
from sklearn.neighbors import KNeighborsTransformer, NearestNeighbors

from skmanifold_attn import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    LocallyLinearEmbedding,
    NeighborhoodPreservingEmbedding,
)
from skmanifold_attn.manifold._local_weights import locally_linear_map
from skmanifold_attn.manifold._neighbors import (
    HnswIndex,
    SklearnIndex,
    build_index,
    check_knn_graph,
    kneighbors,
    make_index,
)

# Documented recall of the approximate backend at its defaults (measured
# 0.999-1.0 from 2,000 to 20,000 points; the bound leaves room for any CPU).
HNSW_RECALL = 0.98


def _roll(n=600, seed=0):
    X, _ = make_swiss_roll(n, random_state=seed)
    return X


def _high_dimensional(n=1500, d=60, seed=0):
    """A 2-D manifold (the swiss roll) rotated into ``d`` dimensions plus noise."""
    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((d, 3)))
    return _roll(n, seed) @ basis.T + 0.01 * rng.standard_normal((n, d))


def _recall(found, exact):
    return np.mean(
        [
            np.intersect1d(a, b).size / exact.shape[1]
            for a, b in zip(found, exact, strict=True)
        ]
    )


class BruteIndex:
    """A user's index: brute force, with the build/query protocol."""

    def build(self, X, n_neighbors):
        self.X = np.asarray(X)
        return self

    def query(self, X, n_neighbors):
        squared = ((X[:, None, :] - self.X[None, :, :]) ** 2).sum(axis=2)
        indices = np.argsort(squared, axis=1, kind="stable")[:, :n_neighbors]
        return np.sqrt(np.take_along_axis(squared, indices, axis=1)), indices


# --- exact backend: what NearestNeighbors gives ----------------------------


@pytest.mark.parametrize("algorithm", ["auto", "brute", "kd_tree"])
def test_exact_backend_is_nearest_neighbors(algorithm):
    X = _roll()
    reference = NearestNeighbors(n_neighbors=8, algorithm=algorithm).fit(X)
    index = build_index(algorithm, X, 8)
    distances, indices = index.query(X[:100], 8, chunk_size=7)
    expected = reference.kneighbors(X[:100])
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(distances, expected[0])
    neighbours = index.training_neighbors(7)
    np.testing.assert_array_equal(neighbours, reference.kneighbors(X)[1][:, 1:])


def test_kneighbors_function_matches_nearest_neighbors():
    X = _roll(300)
    distances, indices = kneighbors(X, 5)
    expected = NearestNeighbors(n_neighbors=5).fit(X).kneighbors()
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_allclose(distances, expected[0], rtol=1e-12)
    distances, indices = kneighbors(X[:40], 3, Y=X[100:], chunk_size=9)
    expected = NearestNeighbors(n_neighbors=3).fit(X[100:]).kneighbors(X[:40])
    np.testing.assert_array_equal(indices, expected[1])
    np.testing.assert_array_equal(distances, expected[0])
    with pytest.raises(ValueError, match="n_neighbors"):
        kneighbors(X, 0)


@pytest.mark.parametrize(
    "Estimator, params",
    [
        (LocallyLinearEmbedding, {"random_state": 0}),
        (LocallyLinearEmbedding, {"random_state": 0, "method": "modified"}),
        (NeighborhoodPreservingEmbedding, {}),
        (LocalityPreservingProjections, {}),
    ],
)
def test_same_neighbours_any_public_face(Estimator, params):
    """A name, a fitted NearestNeighbors, a user index and a precomputed graph
    giving the same neighbours give the same model."""
    X, new = _roll(500), _roll(50, seed=1)
    k = 8
    reference = Estimator(n_neighbors=k, **params).fit(X)
    faces = [
        NearestNeighbors(n_neighbors=3).fit(X),
        NearestNeighbors(algorithm="brute"),  # unfitted: a fitted copy
        BruteIndex(),
        KNeighborsTransformer(n_neighbors=k, mode="distance").fit_transform(X),
        # kneighbors_graph style: no diagonal entries, more neighbours than k
        NearestNeighbors(n_neighbors=k + 3).fit(X).kneighbors_graph(mode="distance"),
    ]
    for face in faces:
        model = Estimator(n_neighbors=k, neighbors_algorithm=face, **params).fit(X)
        np.testing.assert_allclose(
            model.transform(new), reference.transform(new), rtol=1e-9, atol=1e-12
        )


def test_lle_keeps_nearest_neighbors_attribute_and_inverse_transform():
    X = _roll(400)
    fitted = NearestNeighbors().fit(X)
    lle = LocallyLinearEmbedding(n_neighbors=8, neighbors_algorithm=fitted).fit(X)
    assert lle.nbrs_ is fitted
    default = LocallyLinearEmbedding(n_neighbors=8).fit(X)
    assert isinstance(default.nbrs_, NearestNeighbors)
    np.testing.assert_allclose(
        lle.inverse_transform(lle.embedding_[:20]),
        default.inverse_transform(default.embedding_[:20]),
    )


def test_laplacian_eigenmaps_user_index_and_fitted_estimator():
    X, new = _roll(500), _roll(60, seed=1)
    reference = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(X)
    for face in [BruteIndex(), NearestNeighbors().fit(X)]:
        model = LaplacianEigenmaps(
            n_neighbors=10, random_state=0, neighbors_algorithm=face
        ).fit(X)
        np.testing.assert_allclose(model.embedding_, reference.embedding_, atol=1e-10)
        np.testing.assert_allclose(
            model.transform(new), reference.transform(new), atol=1e-10
        )


def test_precomputed_graph_laplacian_eigenmaps_sklearn_way():
    X = _roll(400)
    graph = KNeighborsTransformer(n_neighbors=30, mode="distance").fit_transform(X)
    model = LaplacianEigenmaps(
        n_neighbors=10, affinity="precomputed_nearest_neighbors", random_state=0
    ).fit(graph)
    reference = LaplacianEigenmaps(n_neighbors=10, random_state=0).fit(X)
    np.testing.assert_allclose(
        np.abs(model.embedding_), np.abs(reference.embedding_), atol=1e-8
    )
    np.testing.assert_allclose(
        model.transform(graph[:20]), model.embedding_[:20], atol=1e-10
    )


# --- approximate backend ----------------------------------------------------


def test_hnswlib_recall_and_embedding():
    pytest.importorskip("hnswlib")
    X = _high_dimensional()
    exact = NearestNeighbors(n_neighbors=13).fit(X).kneighbors(X)[1][:, 1:]
    index = build_index("hnswlib", X, 13, random_state=0)
    found = index.training_neighbors(12)
    assert _recall(found, exact) >= HNSW_RECALL
    # Distances are exact for the neighbours found, nearest first.
    distances, indices = index.query(X[:50], 5)
    np.testing.assert_allclose(
        distances, np.linalg.norm(X[:50, None] - X[indices], axis=2), rtol=1e-12
    )
    assert np.all(np.diff(distances, axis=1) >= 0)
    # Same seed, same model; the reconstruction error within 1% of exact.
    lle = LocallyLinearEmbedding(
        n_neighbors=12, neighbors_algorithm="hnswlib", random_state=0
    )
    first = lle.fit_transform(X)
    np.testing.assert_array_equal(first, lle.fit_transform(X))
    exact_lle = LocallyLinearEmbedding(n_neighbors=12, random_state=0).fit(X)
    assert lle.reconstruction_error_ == pytest.approx(
        exact_lle.reconstruction_error_, rel=0.01
    )
    assert isinstance(lle.nbrs_, HnswIndex)
    # Pickled (as sent to Dask workers), the model transforms the same.
    restored = pickle.loads(pickle.dumps(lle))
    new = _high_dimensional(100, seed=1)
    np.testing.assert_array_equal(restored.transform(new), lle.transform(new))
    # New points: where the approximate search found the exact neighbours,
    # the same map; it found them for most points.
    found = np.sort(lle.nbrs_.query(new, 12, return_distance=False), axis=1)
    exact = np.sort(exact_lle.nbrs_.kneighbors(new, 12)[1], axis=1)
    same = np.all(found == exact, axis=1)
    assert same.mean() >= 0.9
    exact_map = locally_linear_map(
        new, SklearnIndex().build(X, 12), lle.embedding_, 12, reg=lle.reg
    )
    np.testing.assert_allclose(
        lle.transform(new)[same], exact_map[same], rtol=1e-10, atol=1e-12
    )


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "hnswlib", None)  # import fails
    with pytest.raises(ImportError, match=r"skmanifold-attn\[ann\]"):
        LocallyLinearEmbedding(neighbors_algorithm="hnswlib").fit(_roll(100))


# --- bad input --------------------------------------------------------------


def test_index_without_methods_is_refused():
    class QueryOnly:
        def query(self, X, n_neighbors):
            return None

    with pytest.raises(ValueError, match="neighbors_algorithm"):
        LocallyLinearEmbedding(neighbors_algorithm=QueryOnly()).fit(_roll(100))
    with pytest.raises(TypeError, match="no build method"):
        make_index(QueryOnly())
    with pytest.raises(ValueError, match="neighbors_algorithm"):
        NeighborhoodPreservingEmbedding(neighbors_algorithm="annoy").fit(_roll(100))


def test_index_returning_garbage_is_refused():
    class Broken(BruteIndex):
        def query(self, X, n_neighbors):
            return super().query(X, n_neighbors)[1]

    class Short(BruteIndex):
        def query(self, X, n_neighbors):
            distances, indices = super().query(X, n_neighbors)
            return distances[:, :-1], indices[:, :-1]

    with pytest.raises(TypeError, match=r"\(distances, indices\)"):
        LocallyLinearEmbedding(neighbors_algorithm=Broken()).fit(_roll(100))
    with pytest.raises(ValueError, match="shape"):
        LocallyLinearEmbedding(neighbors_algorithm=Short()).fit(_roll(100))


def test_fitted_estimator_on_other_data_is_refused():
    X = _roll(200)
    fitted = NearestNeighbors().fit(X[:150])
    with pytest.raises(ValueError, match="fitted on data of shape"):
        LocallyLinearEmbedding(neighbors_algorithm=fitted).fit(X)


def test_precomputed_graph_bad_shape_and_too_few_neighbours():
    X = _roll(200)
    graph = KNeighborsTransformer(n_neighbors=5, mode="distance").fit_transform(X)
    with pytest.raises(ValueError, match="shape"):
        LocallyLinearEmbedding(n_neighbors=5, neighbors_algorithm=graph[:150]).fit(X)
    short = graph.tolil()
    short[3, short.rows[3][-1]] = 0  # one neighbour less in row 3
    with pytest.raises(ValueError, match="has 4 neighbours in row 3"):
        check_knn_graph(sp.csr_matrix(short), 5, n_rows=200)
    with pytest.raises(ValueError, match="has 5 neighbours in row 0"):
        LocallyLinearEmbedding(n_neighbors=6, neighbors_algorithm=graph).fit(X)
    with pytest.raises(ValueError, match="non-negative"):
        check_knn_graph(-graph, 5, n_rows=200)
    with pytest.raises(TypeError, match="sparse"):
        check_knn_graph(graph.toarray(), 5)
    # Laplacian Eigenmaps, the scikit-learn way: X is the graph.
    model = LaplacianEigenmaps(n_neighbors=10, affinity="precomputed_nearest_neighbors")
    with pytest.raises(ValueError, match="stores 6 distances in row 0"):
        model.fit(graph)
    with pytest.raises(ValueError, match="one column each"):
        model.fit(sp.csr_matrix(graph[:, :150]))
    big = KNeighborsTransformer(n_neighbors=12, mode="distance").fit_transform(X)
    model.fit(big)
    with pytest.raises(ValueError, match="expecting 200 features"):
        model.transform(big[:5, :100])
    with pytest.raises(ValueError, match="transform needs"):
        model.transform(big[:5])


def test_laplacian_eigenmaps_takes_graphs_as_x_only():
    X = _roll(200)
    graph = KNeighborsTransformer(n_neighbors=12, mode="distance").fit_transform(X)
    with pytest.raises(ValueError, match="neighbors_algorithm"):
        LaplacianEigenmaps(n_neighbors=10, neighbors_algorithm=graph).fit(X)


def test_seam_indexes_build_fresh_copies():
    index = SklearnIndex("brute")
    first = build_index(index, _roll(100), 4)
    second = build_index(index, _roll(120), 4)
    assert first is not second and not hasattr(index, "data_")
    assert first.data_.shape[0] == 100 and second.data_.shape[0] == 120

    user = BruteIndex()
    LocallyLinearEmbedding(neighbors_algorithm=user).fit(_roll(100))
    assert not hasattr(user, "X")  # the parameter is left as given
