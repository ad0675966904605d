"""Retrieval of NeighborAttention's context rows through the neighbours seam."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from skmanifold_attn.attention._neighbor_retrieval import (
    build_memory_index,
    context_neighbors,
    fixed_weights,
)
from skmanifold_attn.manifold._local_weights import barycenter_weights


def _data(n=60, p=3, seed=0):
    return np.random.RandomState(seed).normal(size=(n, p))


def test_training_rows_get_their_nearest_other_rows():
    data = _data()
    index = build_memory_index("auto", data, 5)
    indices, mask, distances = context_neighbors(index, data, data, 5)
    assert mask.all()
    assert not np.any(indices == np.arange(len(data))[:, None])
    # The same sets as scikit-learn's neighbours of the training set.
    expected = NearestNeighbors(n_neighbors=5).fit(data).kneighbors()[1]
    np.testing.assert_array_equal(np.sort(indices, 1), np.sort(expected, 1))
    own = np.linalg.norm(data[indices] - data[:, None, :], axis=2)
    np.testing.assert_allclose(distances, own)


def test_identical_rows_are_left_out_and_duplicates_masked():
    data = _data(20)
    data[5:9] = data[4]  # five identical rows: 4..8
    index = build_memory_index("brute", data, 3)
    indices, mask, _ = context_neighbors(index, data, data, 3)
    group = np.arange(4, 9)
    for row in group:
        assert not np.isin(indices[row][mask[row]], group).any()
        assert mask[row].all()  # enough other rows: queried wider
    # A query equal to a training row is that row; a new row is not.
    query = np.vstack([data[4], data[0] + 0.5])
    q_indices, q_mask, _ = context_neighbors(index, data, query, 3)
    np.testing.assert_array_equal(q_indices[0], indices[4])
    assert q_mask.all()


def test_too_few_distinct_rows_leave_masked_slots():
    data = np.vstack([np.zeros((4, 2)), np.ones((2, 2))])
    index = build_memory_index("brute", data, 3)
    indices, mask, _ = context_neighbors(index, data, data, 3)
    # A zero row has only the two ones rows; a ones row the four zero rows.
    assert mask[:4].sum(axis=1).tolist() == [2] * 4
    assert mask[4:].all()
    assert np.all(indices[~mask] == 0)


@pytest.mark.parametrize("chunk_size", [1, 7, 1000])
def test_chunks_do_not_change_the_result(chunk_size):
    data = _data(50)
    query = _data(23, seed=1)
    index = build_memory_index("kd_tree", data, 6)
    reference = context_neighbors(index, data, query, 6)
    chunked = context_neighbors(index, data, query, 6, chunk_size=chunk_size)
    for a, b in zip(reference, chunked, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fixed_weights():
    data = _data(30)
    index = build_memory_index("brute", data, 4)
    indices, mask, _ = context_neighbors(index, data, data, 4)
    mask[0, 3] = False
    uniform = fixed_weights("uniform", data, data, indices, mask)
    np.testing.assert_allclose(uniform.sum(axis=1), 1.0)
    assert uniform[0, 3] == 0 and uniform[0, 0] == pytest.approx(1 / 3)
    bary = fixed_weights("barycentric", data, data, indices, mask)
    np.testing.assert_allclose(bary.sum(axis=1), 1.0)
    np.testing.assert_allclose(
        bary[1:], barycenter_weights(data[1:], data, indices[1:])
    )
    assert bary[0, 3] == 0


def test_search_space_ranks_and_input_space_excludes():
    # Rows ranked in another (search) space; identity and distances in the
    # input space: a search-space twin that differs in input space is kept.
    data = _data(30)
    search = data[:, ::-1] * np.array([1.0, 3.0, 0.5])
    search[7] = search[3]  # rows 3 and 7 coincide in the search space only
    data[11] = data[2]  # rows 2 and 11 are identical inputs
    search[11] = search[2]
    index = build_memory_index("brute", search, 4)
    indices, mask, distances = context_neighbors(
        index, search, search, 4, identity=(data, data)
    )
    assert mask.all()
    assert 7 in indices[3] and 3 in indices[7]
    assert 11 not in indices[2] and 2 not in indices[11]
    # Ranked by the search space, nearest first, identical rows left out
    # (compared by distances: rows 3 and 7 tie for the others).
    searched = np.linalg.norm(search[None] - search[:, None], axis=2)
    searched[np.all(data[None] == data[:, None], axis=2)] = np.inf
    np.testing.assert_allclose(
        np.take_along_axis(searched, indices, axis=1),
        np.sort(searched, axis=1)[:, :4],
    )
    own = np.linalg.norm(data[indices] - data[:, None, :], axis=2)
    np.testing.assert_allclose(distances, own)
