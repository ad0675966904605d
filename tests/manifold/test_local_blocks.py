import numpy as np
import pytest

from skmanifold_attn.manifold._local_blocks import (
    assemble_blocks,
    chunk_slices,
    local_principal_directions,
    local_squared_singular_values,
    map_chunks,
    scale_by_power_of_two,
)


def test_assemble_blocks_sums_blocks_like_a_dense_loop():
    rng = np.random.RandomState(0)
    n_samples, n_points, size = 30, 50, 6
    index_sets = np.array(
        [rng.choice(n_samples, size, replace=False) for _ in range(n_points)]
    )
    index_sets[::7, -1] = index_sets[::7, 0]  # an index twice in one block
    halves = rng.normal(size=(n_points, size, size))
    blocks = halves @ halves.transpose(0, 2, 1) * 1.1  # symmetric up to rounding
    expected = np.zeros((n_samples, n_samples))
    for indices, block in zip(index_sets, blocks, strict=True):
        np.add.at(expected, np.ix_(indices, indices), block)

    M = assemble_blocks(index_sets, blocks.copy(), n_samples)

    assert M.format == "csr" and M.has_canonical_format
    np.testing.assert_allclose(M.toarray(), expected, rtol=1e-13, atol=1e-12)
    assert (M != M.T).nnz == 0


def test_chunk_slices_cover_the_samples_in_order():
    slices = chunk_slices(10_001, 1 << 10)
    assert slices[0].start == 0 and slices[-1].stop == 10_001
    assert all(a.stop == b.start for a, b in zip(slices[:-1], slices[1:], strict=True))
    assert chunk_slices(5, 1 << 40) == [
        slice(0, 1),
        slice(1, 2),
        slice(2, 3),
        slice(3, 4),
        slice(4, 5),
    ]


def test_map_chunks_keeps_order_with_threads():
    slices = chunk_slices(100, 1 << 16)
    assert map_chunks(lambda s: s.start, slices, n_jobs=2) == [s.start for s in slices]


@pytest.mark.parametrize("n_neighbors, n_features", [(8, 3), (5, 9)])
@pytest.mark.parametrize("full", [True, False])
def test_local_principal_directions_is_an_svd(n_neighbors, n_features, full):
    local = np.random.RandomState(0).normal(size=(20, n_neighbors, n_features))
    vectors, values = local_principal_directions(local, full=full)
    rank = min(n_neighbors, n_features)
    assert values.shape == (20, rank)
    assert vectors.shape[2] == (
        n_neighbors if full or n_neighbors <= n_features else rank
    )
    expected = np.linalg.svd(local, compute_uv=False) ** 2
    np.testing.assert_allclose(values, expected, rtol=1e-10)
    np.testing.assert_allclose(
        local_squared_singular_values(local), expected, rtol=1e-10
    )
    identity = np.broadcast_to(
        np.eye(vectors.shape[2]), (20,) + (vectors.shape[2],) * 2
    )
    np.testing.assert_allclose(
        vectors.transpose(0, 2, 1) @ vectors, identity, atol=1e-12
    )
    # The leading columns are the left singular vectors: U^T C C^T U = diag(l).
    leading = vectors[:, :, :rank]
    gram = leading.transpose(0, 2, 1) @ local @ local.transpose(0, 2, 1) @ leading
    np.testing.assert_allclose(
        gram, values[:, :, None] * np.eye(rank), atol=1e-10 * values.max()
    )


def test_scale_by_power_of_two_is_exact_and_safe():
    local = np.random.RandomState(0).normal(size=(4, 5, 3))
    local[1] *= 1e200
    local[2] = 0.0
    scaled = scale_by_power_of_two(local)
    largest = np.abs(scaled).max(axis=(1, 2))
    assert np.all((largest >= 0.5) & (largest < 1) | (largest == 0))
    ratio = local[[0, 1, 3]] / scaled[[0, 1, 3]]
    exponents = np.log2(ratio[:, 0, 0])
    np.testing.assert_array_equal(ratio, np.broadcast_to(ratio[:, :1, :1], ratio.shape))
    np.testing.assert_array_equal(exponents, np.round(exponents))
    assert np.isfinite(np.linalg.svd(scaled, compute_uv=False) ** 2).all()
