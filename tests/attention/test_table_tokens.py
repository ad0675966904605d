import numpy as np
import pytest

from skmanifold_attn.attention._network import AttentionNetwork, split_tokens
from skmanifold_attn.attention._table_tokens import TableEmbedding

# Columns: numeric, categorical (3 categories), numeric, categorical (2).
CATEGORICAL = np.array([False, True, False, True])
N_CATEGORIES = np.array([0, 3, 0, 2])


def _network(task, *, n_layers=0, scoring="dot", positional=None, n_outputs=3):
    return AttentionNetwork(
        n_tokens=4,
        token_dim=1,
        embed_dim=6,
        n_heads=2,
        n_seeds=2,
        n_layers=n_layers,
        embedding="per_token",
        positional=positional,
        scoring=scoring,
        task=task,
        n_outputs=n_outputs,
        mask_fraction=0.4,
        rng=np.random.RandomState(0),
        dtype=np.float64,
        categorical=CATEGORICAL,
        n_categories=N_CATEGORIES,
    )


def _data(n=6, seed=1):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    X[:, 1] = rng.randint(3, size=n)
    X[:, 3] = rng.randint(2, size=n)
    X[1, 0] = np.nan  # a missing number
    X[2, 1] = np.nan  # a missing category
    X[4, 3] = 2  # the unknown code of column 3
    return X


@pytest.mark.parametrize(
    "config",
    [
        dict(task="classification"),
        dict(task="regression", scoring="additive", positional="learned"),
        dict(task="classification", n_layers=1, scoring="gated"),
        dict(task="masked"),
        dict(task="masked", n_layers=1, positional="sinusoidal"),
    ],
    ids=lambda c: ",".join(map(str, c.values())),
)
def test_loss_and_grads_match_finite_differences(config, numeric_grad):
    net = _network(**config)
    X = _data()
    y = (
        np.array([0, 1, 2, 1, 0, 2])
        if config["task"] == "classification"
        else np.random.RandomState(2).normal(size=(6, 3))
    )

    def loss():
        # Category dropout and hiding draw from rng: same draw each call.
        return net.loss_and_grads(X, y, np.random.RandomState(7))[0]

    _, grads = net.loss_and_grads(X, y, np.random.RandomState(7))
    grads = [g.copy() for g in grads]
    for i, (param, grad) in enumerate(zip(net.params, grads, strict=True)):
        np.testing.assert_allclose(
            grad, numeric_grad(loss, param), rtol=1e-5, atol=1e-8, err_msg=str(i)
        )


def test_categorical_tokens_are_table_rows_and_numbers_linear():
    embed = TableEmbedding(
        CATEGORICAL,
        N_CATEGORIES,
        6,
        positional=None,
        rng=np.random.RandomState(0),
        dtype=np.float64,
    )
    X = _data()
    tokens, _ = split_tokens(X, 4, 1)
    E = embed.predict(tokens)
    # Column 1 (rows 0-3 of the stacked table), column 3 (rows 4-6).
    for i in range(X.shape[0]):
        code = 0 if np.isnan(X[i, 1]) else int(X[i, 1])
        np.testing.assert_array_equal(E[i, 1], embed.table[code])
        np.testing.assert_array_equal(E[i, 3], embed.table[4 + int(X[i, 3])])
    np.testing.assert_allclose(E[0, 2], X[0, 2] * embed.W[1] + embed.b[1])
    # Row 4 holds column 3's unknown code: its own, last row of the table.
    np.testing.assert_array_equal(E[4, 3], embed.table[6])


def test_category_dropout_uses_the_unknown_code_only_on_categories():
    embed = TableEmbedding(
        CATEGORICAL,
        N_CATEGORIES,
        6,
        positional=None,
        rng=np.random.RandomState(0),
        dtype=np.float64,
    )
    tokens = np.nan_to_num(_data(n=4000))[:, :, None]
    dropped = embed.drop_categories(tokens, np.random.RandomState(0), rate=0.1)
    assert dropped is not tokens
    np.testing.assert_array_equal(dropped[:, [0, 2]], tokens[:, [0, 2]])
    changed = dropped[:, [1, 3], 0] != tokens[:, [1, 3], 0]
    assert np.all(
        dropped[:, [1, 3], 0][changed] == np.array([3, 2])[np.nonzero(changed)[1]]
    )
    assert 0.07 < (dropped[:, [1, 3], 0] == np.array([3, 2])).mean() < 0.13


def test_masked_table_loss_is_cross_entropy_for_categories():
    net = _network("masked")
    assert net.head.W.shape[1] == 2 + 3 + 2
    tokens = np.array([[[0.5], [2.0], [-1.0], [1.0]]])
    hidden = np.array([[True, True, False, False]])
    # Numeric columns 0 and 2, then the logits of column 1, then column 3's.
    prediction = np.array([[1.5, 0.0, 0.0, 0.0, 0.0, 9.0, 9.0]])
    loss, grad = net.embed.masked_loss(prediction, tokens, hidden)
    # (0.5 * 1 ** 2 + log 3) / 2 hidden tokens.
    np.testing.assert_allclose(loss, (0.5 + np.log(3)) / 2)
    np.testing.assert_allclose(grad[0, :5], [0.5, 0, 1 / 6, 1 / 6, -1 / 3])
    np.testing.assert_array_equal(grad[0, 5:], 0)


def test_a_row_of_missing_entries_pools_to_zeros():
    net = _network("classification")
    X = _data()
    X[3] = np.nan
    out = net.transform(X)
    np.testing.assert_array_equal(out[3], 0)
    assert np.all(np.abs(out[[0, 1, 2, 4, 5]]).sum(axis=1) > 0)
    weights = net.attention_weights(X)
    np.testing.assert_array_equal(weights[3], 0)
    np.testing.assert_allclose(weights[[0, 4]].sum(axis=-1), 1)
