"""The NPE and LPP quadratic forms against dense formulas."""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_swiss_roll
from sklearn.manifold._locally_linear import barycenter_kneighbors_graph
from sklearn.neighbors import kneighbors_graph

from skmanifold_attn.manifold._projection_forms import lpp_matrices, npe_matrices


def _data(n=100):
    X, _ = make_swiss_roll(n, noise=0.1, random_state=0)
    return np.column_stack([X, np.random.RandomState(1).normal(size=(n, 3))])


def test_npe_matrices_match_dense_formula():
    X = _data()
    centred = X - X.mean(axis=0)
    W = barycenter_kneighbors_graph(X, 6, reg=1e-3)
    residual = np.eye(len(X)) - W.toarray()
    alignment, covariance = npe_matrices(centred, W)
    np.testing.assert_allclose(
        alignment, centred.T @ residual.T @ residual @ centred, atol=1e-9
    )
    np.testing.assert_allclose(covariance, centred.T @ centred, atol=1e-12)


def test_npe_matrices_do_not_depend_on_centring():
    X = _data()
    W = barycenter_kneighbors_graph(X, 6, reg=1e-3)
    plain, _ = npe_matrices(X, W)
    centred, _ = npe_matrices(X - X.mean(axis=0), W)
    np.testing.assert_allclose(plain, centred, atol=1e-9)


def test_lpp_matrices_match_dense_formula():
    X = _data()
    centred = X - X.mean(axis=0)
    graph = kneighbors_graph(X, 5, mode="distance")
    graph = sp.csr_matrix(graph.maximum(graph.T))
    graph.data = np.exp(-(graph.data**2))
    W = graph.toarray()
    D = np.diag(W.sum(axis=1))
    laplacian_form, degree_form = lpp_matrices(centred, graph)
    np.testing.assert_allclose(
        laplacian_form, centred.T @ (D - W) @ centred, rtol=1e-10, atol=1e-10
    )
    np.testing.assert_allclose(degree_form, centred.T @ D @ centred, rtol=1e-12)
