import numpy as np
import pytest
from _small_network import padded_rows, small_network
from sklearn.datasets import load_digits

from skmanifold_attn import AttentionPooling


def _network(context_rank=3, *, token_dim=2, seed=0, **params):
    return small_network(
        context_rank=context_rank, token_dim=token_dim, seed=seed, **params
    )


_data = padded_rows


def _with_random_context(net, seed=5):
    # V starts at zero; random values make every gradient and offset count.
    net.context.V[...] = np.random.RandomState(seed).normal(size=net.context.V.shape)
    return net


CONFIGS = [
    dict(),
    dict(token_dim=1),
    dict(embedding="shared", positional="learned"),
    dict(positional="sinusoidal", token_dim=1, task="regression"),
    dict(task="masked", token_dim=1),
]


@pytest.mark.parametrize(
    "config", CONFIGS, ids=lambda c: ",".join(map(str, c.values())) or "default"
)
def test_loss_and_grads_with_row_context_match_finite_differences(config, numeric_grad):
    net = _with_random_context(_network(**config))
    X = _data(config.get("token_dim", 2))
    task = config.get("task", "classification")
    y = (
        np.array([0, 1, 2, 1, 0])
        if task == "classification"
        else np.random.RandomState(2).normal(size=(5, 3))
    )

    def loss():
        return net.loss_and_grads(X, y, np.random.RandomState(7))[0]

    _, grads = net.loss_and_grads(X, y, np.random.RandomState(7))
    grads = [g.copy() for g in grads]
    assert np.abs(grads[-1]).max() > 0 and np.abs(grads[-2]).max() > 0
    for i, (param, grad) in enumerate(zip(net.params, grads, strict=True)):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-8, err_msg=str(i)
        )


def test_row_context_starts_as_the_network_without_it():
    X = _data()
    plain, context = _network(0), _network(3)
    assert plain.context is None and context.context is not None
    np.testing.assert_allclose(context.transform(X), plain.transform(X), rtol=1e-12)
    np.testing.assert_allclose(
        context.attention_weights(X), plain.attention_weights(X), rtol=1e-12
    )


def test_row_context_moves_the_weights_which_still_skip_padding():
    X = _data()
    net = _network(3)
    before = net.attention_weights(X)
    weights = _with_random_context(net).attention_weights(X)
    assert np.abs(weights - before).max() > 1e-3
    np.testing.assert_allclose(weights[[0, 2, 4]].sum(axis=-1), 1, rtol=1e-12)
    assert np.all(weights[1, :, :, 0] == 0) and np.all(weights[3, :, :, 2:] == 0)
    np.testing.assert_allclose(weights[[1, 3]].sum(axis=-1), 1, rtol=1e-12)
    # Rows are pooled alone: the context of one row does not reach another.
    np.testing.assert_allclose(net.transform(X[2:3]), net.transform(X)[2:3])


@pytest.mark.parametrize(
    "params",
    [
        dict(n_layers=1),
        dict(scoring="additive"),
        dict(scoring="gated"),
        dict(embedding="shared"),  # a set: no position to attach scores to
        dict(token_dim=8),  # wider than embed_dim: not the token-space path
    ],
)
def test_row_context_is_used_only_where_documented(params):
    assert _network(3, **params).context is None


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_estimator_context_rank_shapes_the_network():
    X, y = load_digits(return_X_y=True)
    X, y = X[:200], y[:200]
    small = dict(embed_dim=8, n_heads=2, n_seeds=2, max_iter=3, random_state=0)
    pool = AttentionPooling(context_rank=4, warm_start=True, **small).fit(X, y)
    assert pool._model.context.U.shape == (64, 4)
    assert pool._model.context.V.shape == (4, 2 * 2 * 64)
    assert AttentionPooling(context_rank=0, **small).fit(X, y)._model.context is None
    pool.set_params(context_rank=8)
    with pytest.raises(ValueError, match="context_rank=4 -> 8"):
        pool.fit(X, y)
