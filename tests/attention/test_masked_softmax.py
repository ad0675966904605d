import numpy as np

from skmanifold_attn.attention._masked_softmax import masked_softmax, softmax_backward


def test_weights_sum_to_one_and_ignore_padding():
    rng = np.random.RandomState(0)
    scores = rng.normal(size=(4, 5)) * 50
    mask = np.ones((4, 5), dtype=bool)
    mask[1, 3:] = False
    mask[2, :] = False
    w = masked_softmax(scores.copy(), mask, axis=1)
    np.testing.assert_allclose(w[[0, 1, 3]].sum(axis=1), 1)
    assert np.all(w[1, 3:] == 0) and np.all(w[2] == 0)
    # Real tokens get the softmax over real tokens only.
    expected = np.exp(scores[1, :3] - scores[1, :3].max())
    np.testing.assert_allclose(w[1, :3], expected / expected.sum())
    np.testing.assert_allclose(
        masked_softmax(scores[[0]].copy(), None, axis=1), w[[0]], rtol=1e-12
    )


def test_masked_score_larger_than_real_ones_does_not_underflow_them():
    scores = np.array([[0.0, 1e4]], dtype=np.float32)
    w = masked_softmax(scores, np.array([[True, False]]), axis=1)
    np.testing.assert_array_equal(w, [[1, 0]])


def test_softmax_backward_matches_finite_differences(numeric_grad):
    rng = np.random.RandomState(1)
    scores = rng.normal(size=(3, 6))
    mask = rng.uniform(size=(3, 6)) > 0.3
    R = rng.normal(size=(3, 6))

    def loss():
        return float(np.sum(masked_softmax(scores.copy(), mask, axis=1) * R))

    w = masked_softmax(scores.copy(), mask, axis=1)
    analytic = softmax_backward(w, R.copy(), axis=1)
    np.testing.assert_allclose(analytic, numeric_grad(loss, scores), atol=1e-8)


def test_max_over_axis_matches_numpy():
    from skmanifold_attn.attention._masked_softmax import max_over_axis

    rng = np.random.RandomState(0)
    for size in (1, 2, 5, 16, 17):
        x = rng.normal(size=(3, size, 4))
        for axis in (0, 1, 2, -1):
            np.testing.assert_array_equal(
                max_over_axis(x, axis), x.max(axis=axis, keepdims=True)
            )


def test_sum_over_axis_matches_numpy():
    from skmanifold_attn.attention._masked_softmax import sum_over_axis

    rng = np.random.RandomState(0)
    for size in (1, 2, 3, 5, 16, 17):
        x = rng.normal(size=(3, size, 4))
        for axis in (0, 1, 2, -1):
            total = sum_over_axis(x, axis)
            np.testing.assert_allclose(total, x.sum(axis=axis, keepdims=True))
            assert not np.shares_memory(total, x)
