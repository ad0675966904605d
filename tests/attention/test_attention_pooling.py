"""AttentionPooling: the evidence of the issue and the estimator's behaviour."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skmanifold_attn import AttentionPooling
from skmanifold_attn.attention._network import AttentionNetwork

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _digits(n=None, dtype=np.float32):
    X, y = load_digits(return_X_y=True)
    return X[:n].astype(dtype), y[:n]


def make_bags(n_bags, bag_size=10, seed=0):
    """Bags of 2-D instances; a positive bag holds one instance near (3, 0).

    The other instances come from three decoy clusters, so the mean of a bag
    hardly moves when the target is present.
    """
    rng = np.random.RandomState(seed)
    decoys = np.array([[-3.0, 0.0], [0.0, 3.0], [0.0, -3.0]])
    centres = decoys[rng.randint(3, size=(n_bags, bag_size))]
    label = rng.rand(n_bags) < 0.5
    target = rng.randint(bag_size, size=n_bags)
    centres[label, target[label]] = [3.0, 0.0]
    bags = centres + 0.7 * rng.normal(size=centres.shape)
    return bags.reshape(n_bags, -1), label.astype(int), np.where(label, target, -1)


# -- evidence ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_digits_as_eight_row_tokens_reach_095_cross_validated():
    # The reference design: per-token embedding, embed_dim 32, 4 heads,
    # one seed, 100 epochs of Adam at 3e-3 (PyTorch reached 0.958).
    # Folds are shuffled: load_digits is ordered by writer, and unshuffled
    # cv=5 measures transfer to unseen writers instead (there this design
    # scores 0.91-0.94 at best, as does MLPClassifier on scaled pixels;
    # LogisticRegression on raw pixels 0.915). alpha=0.1 rather than the
    # reference's ~no weight decay: 0.967 against 0.958 here.
    X, y = _digits()
    pool = AttentionPooling(
        token_dim=8,
        embed_dim=32,
        n_heads=4,
        n_seeds=1,
        max_iter=100,
        learning_rate_init=3e-3,
        alpha=0.1,
        random_state=0,
    )
    pipe = make_pipeline(pool, LogisticRegression(max_iter=2000))
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    scores = cross_val_score(pipe, X, y, cv=cv)
    assert scores.mean() >= 0.95, scores


@pytest.mark.timeout(300)
def test_multiple_instance_attention_beats_mean_pooling_and_finds_target():
    X, y, target = make_bags(600)
    mean_pool = FunctionTransformer(lambda X: X.reshape(len(X), -1, 2).mean(axis=1))
    mean_score = cross_val_score(
        make_pipeline(mean_pool, LogisticRegression()), X, y, cv=3
    ).mean()
    pool = AttentionPooling(
        token_dim=2,
        embedding="shared",
        embed_dim=16,
        max_iter=60,
        learning_rate_init=3e-3,
        random_state=0,
    )
    attention_score = cross_val_score(
        make_pipeline(pool, LogisticRegression()), X, y, cv=3
    ).mean()
    assert attention_score > 0.9
    assert attention_score > mean_score + 0.2, (attention_score, mean_score)

    X_new, _, target_new = make_bags(200, seed=1)
    weights = pool.fit(X, y).attention_weights(X_new).mean(axis=(1, 2))
    positive = target_new >= 0
    hits = np.argmax(weights[positive], axis=1) == target_new[positive]
    assert hits.mean() > 0.8


def test_padding_transforms_like_the_set_without_it():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5 * 3))
    X[::3, 9:] = np.nan  # variable-length sets: 3 tokens left
    y = rng.randint(2, size=60)
    pool = AttentionPooling(
        token_dim=3,
        embedding="shared",
        embed_dim=8,
        n_heads=2,
        n_seeds=1,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    # The same network on 3-token rows, with the fitted weights.
    model = pool._model
    short = AttentionNetwork(
        n_tokens=3,
        token_dim=3,
        embed_dim=8,
        n_heads=2,
        n_seeds=1,
        n_layers=0,
        embedding="shared",
        positional=None,
        scoring="dot",
        task="classification",
        n_outputs=2,
        mask_fraction=0.25,
        rng=np.random.RandomState(0),
        dtype=X.dtype,
    )
    for mine, fitted in zip(short.params, model.params, strict=True):
        mine[...] = fitted
    padded = X[::3]
    pooled = short.transform(pool._standardise(padded)[:, :9])
    expected = (pooled - pool._output_mean) / pool._output_scale
    np.testing.assert_allclose(pool.transform(padded), expected, rtol=1e-12)
    # Padding anywhere (here first and in the middle) changes nothing.
    moved = np.concatenate(
        [padded[:, 9:12], padded[:, :3], padded[:, 12:], padded[:, 3:9]], axis=1
    )
    np.testing.assert_allclose(
        pool.transform(moved), pool.transform(padded), rtol=1e-12
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pooled_columns_standardised_over_training_rows_with_tokens(dtype):
    X, y = _digits(200, dtype=dtype)
    X[0] = np.nan  # a row without tokens: left out of the statistics
    pool = AttentionPooling(
        token_dim=8, embed_dim=8, n_heads=2, max_iter=3, random_state=0
    ).fit(X, y)
    Z = pool.transform(X)
    assert Z.dtype == dtype
    np.testing.assert_array_equal(Z[0], 0)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(Z[1:].mean(axis=0), 0, atol=tol)
    np.testing.assert_allclose(Z[1:].std(axis=0), 1, rtol=tol)
    # The affine map is fixed at fit: new rows are not re-standardised.
    np.testing.assert_allclose(pool.transform(X[1:4]), Z[1:4], rtol=tol, atol=tol)


@pytest.mark.parametrize("embedding", ["per_token", "shared"])
def test_row_of_padding_pools_to_zeros_and_weights_skip_padding(embedding):
    X, y = _digits(200, dtype=np.float64)
    pool = AttentionPooling(
        token_dim=8,
        embedding=embedding,
        embed_dim=8,
        n_heads=2,
        n_seeds=1,
        max_iter=2,
        random_state=0,
    ).fit(X, y)
    X_pad = X[:4].copy()
    X_pad[0] = np.nan
    X_pad[1, 16:40] = np.nan  # tokens 2, 3, 4
    Z = pool.transform(X_pad)
    assert np.all(Z[0] == 0) and np.all(np.isfinite(Z))
    weights = pool.attention_weights(X_pad)
    assert weights.shape == (4, 2, 1, 8)
    assert np.all(weights[0] == 0) and np.all(weights[1, ..., 2:5] == 0)
    np.testing.assert_allclose(weights[1:].sum(axis=-1), 1, rtol=1e-12)


@pytest.mark.parametrize("scoring", ["dot", "additive", "gated"])
def test_shared_embedding_without_positions_is_permutation_invariant(scoring):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(50, 6 * 2))
    y = rng.randint(3, size=50)
    pool = AttentionPooling(
        token_dim=2,
        embedding="shared",
        scoring=scoring,
        n_layers=1,
        embed_dim=8,
        n_heads=2,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    order = rng.permutation(6)
    columns = (order[:, None] * 2 + np.arange(2)).ravel()
    np.testing.assert_allclose(
        pool.transform(X[:, columns]), pool.transform(X), rtol=1e-10, atol=1e-12
    )
    weights = pool.attention_weights(X)
    np.testing.assert_allclose(
        pool.attention_weights(X[:, columns]),
        weights[..., order],
        rtol=1e-10,
        atol=1e-12,
    )


def test_grid_search_over_embed_dim_and_heads_in_a_pipeline():
    X, y = _digits(300)
    pipe = Pipeline(
        [
            (
                "embed",
                AttentionPooling(token_dim=8, n_seeds=1, max_iter=5, random_state=0),
            ),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    grid = {"embed__embed_dim": [8, 16], "embed__n_heads": [2, 4]}
    search = GridSearchCV(pipe, grid, cv=3).fit(X, y)
    assert set(search.best_params_) == set(grid)
    assert search.best_score_ > 0.5
    assert search.best_estimator_.named_steps["embed"].transform(X).shape[1] in (8, 16)


# -- behaviour ----------------------------------------------------------------


def test_self_supervised_objective_learns():
    X, y = _digits()
    train, test = slice(0, 1200), slice(1200, None)

    def fitted(max_iter):
        return AttentionPooling(
            token_dim=8,
            embed_dim=16,
            n_seeds=1,
            alpha=1e-4,
            n_iter_no_change=10,
            max_iter=max_iter,
            learning_rate_init=3e-3,
            random_state=0,
        ).fit(X[train])

    pool, untrained = fitted(40), fitted(1)
    # The loss (half the squared error of hidden standardised tokens) beats
    # the best guess without looking at the row: each position's mean.
    tokens = pool._standardise(X[train]).reshape(-1, 8, 8)
    baseline = 0.5 * np.mean(np.sum((tokens - tokens.mean(axis=0)) ** 2, axis=2))
    assert pool.loss_curve_[-1] < 0.8 * baseline < pool.loss_curve_[0]

    def accuracy(model):
        clf = LogisticRegression(max_iter=2000).fit(model.transform(X[train]), y[train])
        return clf.score(model.transform(X[test]), y[test])

    assert accuracy(pool) > accuracy(untrained) + 0.05


def test_regression_target_trains_a_regression_head():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    y = 100 + 50 * (X[:, 0] * X[:, 1])  # raw scale: the head standardises y
    pool = AttentionPooling(
        embed_dim=8,
        n_heads=2,
        n_seeds=1,
        alpha=1e-4,
        batch_size=200,
        n_iter_no_change=10,
        max_iter=80,
        learning_rate_init=1e-2,
        random_state=0,
        early_stopping=True,
    ).fit(X, y)
    assert pool._task == "regression"
    assert pool.best_validation_score_ > 0.5  # R² on held-out rows
    assert pool.validation_scores_[-1] <= pool.best_validation_score_


def test_training_attributes_partial_fit_and_warm_start(capsys):
    X, y = _digits(300)
    pool = AttentionPooling(
        token_dim=8, embed_dim=8, max_iter=3, random_state=0, verbose=True
    )
    pool.fit(X, y)
    assert pool.n_iter_ == 3 == len(pool.loss_curve_)
    assert pool.t_ == 3 * 300
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and "cross-entropy in nats per row" in lines[0]
    pool.set_params(warm_start=True, verbose=False).fit(X, y)
    assert pool.n_iter_ == 6

    incremental = AttentionPooling(token_dim=8, embed_dim=8, random_state=0)
    incremental.partial_fit(X[:100], y[:100], classes=np.arange(10))
    incremental.partial_fit(X[100:200], y[100:200])
    assert incremental.n_iter_ == 2 and incremental.t_ == 200
    with pytest.raises(ValueError, match="not seen in the first call"):
        AttentionPooling(token_dim=8).partial_fit(X[:30], y[:30] % 2).partial_fit(
            X[:30], y[:30]
        )
    with pytest.raises(ValueError, match="pass y"):
        incremental.partial_fit(X[:10])


def test_float32_stays_float32_and_float64_stays_float64():
    X, y = _digits(200)
    for dtype in (np.float32, np.float64):
        pool = AttentionPooling(
            token_dim=8, embed_dim=8, max_iter=2, random_state=0
        ).fit(X.astype(dtype), y)
        assert pool.transform(X.astype(dtype)).dtype == dtype
        assert all(p.dtype == dtype for p in pool._model.params)
        assert pool.token_importances_.dtype == dtype


def test_token_importances_and_feature_names():
    X, y = _digits(200)
    pool = AttentionPooling(
        token_dim=8, embed_dim=8, n_seeds=2, max_iter=2, random_state=0
    ).fit(X, y)
    assert pool.n_tokens_ == 8
    assert pool.token_importances_.shape == (8,)
    np.testing.assert_allclose(pool.token_importances_.sum(), 1, rtol=1e-5)
    names = pool.get_feature_names_out()
    assert len(names) == 16 and names[0] == "attentionpooling0"


def test_same_random_state_same_model():
    X, y = _digits(200)
    a = AttentionPooling(token_dim=8, max_iter=3, random_state=5).fit_transform(X, y)
    b = AttentionPooling(token_dim=8, max_iter=3, random_state=5).fit_transform(X, y)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params, X, message",
    [
        (dict(token_dim=4), np.ones((10, 6)), "not a multiple of token_dim"),
        (dict(embed_dim=10, n_heads=4), np.ones((10, 6)), "multiple of n_heads"),
        (
            dict(token_dim=2),
            np.where(np.eye(10, 6) > 0, np.nan, 1.0),
            "some but not all columns of a token",
        ),
        (dict(), np.full((10, 6), np.nan), "every token is padding"),
        (dict(), np.where(np.eye(10, 6) > 0, np.inf, 1.0), "Input X contains inf"),
    ],
)
def test_clear_errors(params, X, message):
    with pytest.raises(ValueError, match=message):
        AttentionPooling(max_iter=1, **params).fit(X)


def test_three_d_tokens_get_the_exact_reshape_to_make():
    rng = np.random.RandomState(0)
    T = rng.normal(size=(30, 5, 3))
    with pytest.raises(ValueError) as excinfo:
        AttentionPooling().fit(T)
    message = str(excinfo.value)
    assert "(30, 5, 3)" in message and "X.reshape(30, 15)" in message
    assert "token_dim=3 (it is 1 now)" in message
    with pytest.raises(ValueError, match=r"reshape\(len\(X\), -1\)"):
        AttentionPooling(token_dim=3).fit(T.tolist())
    # Doing what the message says works, and transform says the same.
    params = dict(token_dim=3, embed_dim=8, n_heads=2, max_iter=2, random_state=0)
    pool = AttentionPooling(**params).fit(T.reshape(len(T), -1))
    assert pool.n_tokens_ == 5
    for method in (pool.transform, pool.attention_weights):
        with pytest.raises(ValueError, match="this model has token_dim=3"):
            method(T)


def test_divergence_raises_with_advice():
    X, y = _digits(100)
    with pytest.raises(ValueError, match="learning_rate_init"):
        AttentionPooling(
            token_dim=8, learning_rate_init=1e12, max_iter=20, random_state=0
        ).fit(X * 1e30, y)


def test_input_is_not_modified():
    X, y = _digits(100, dtype=np.float64)
    X[0, :8] = np.nan
    before = X.copy()
    pool = AttentionPooling(token_dim=8, max_iter=2, random_state=0).fit(X, y)
    pool.transform(X)
    np.testing.assert_array_equal(X, before)


def test_fitted_model_pickles_without_training_caches():
    import pickle

    X, y = _digits(300)
    pool = AttentionPooling(token_dim=8, max_iter=2, random_state=0).fit(X, y)
    restored = pickle.loads(pickle.dumps(pool))
    np.testing.assert_array_equal(restored.transform(X), pool.transform(X))
    assert not hasattr(pool._model.pool, "_P")


# -- standardisation, fitted state and targets -------------------------------


def _mixed_scale_table(n=300, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(size=(n, 4)) * [1e5, 1, 1e4, 10]
    return X, (X[:, 1] > 0.5).astype(int)


def test_per_token_standardises_every_column_of_a_mixed_scale_table():
    X, y = _mixed_scale_table()
    X[::7, 2] = np.nan  # padding is left out of its column's statistics
    pool = AttentionPooling(max_iter=1, random_state=0).fit(X, y)
    standardised = pool._standardise(X)
    np.testing.assert_allclose(np.nanmean(standardised, axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(np.nanstd(standardised, axis=0), 1, rtol=1e-10)


def test_raw_mixed_scale_table_works_as_well_as_prescaled():
    # The label is in the [0, 1] column, next to columns on 1e5, 1e4 and 10.
    from sklearn.preprocessing import StandardScaler

    X, y = _mixed_scale_table()
    params = dict(embed_dim=8, n_heads=2, max_iter=30, random_state=0)
    raw = cross_val_score(
        make_pipeline(AttentionPooling(**params), LogisticRegression()), X, y, cv=3
    ).mean()
    scaled = cross_val_score(
        make_pipeline(
            StandardScaler(), AttentionPooling(**params), LogisticRegression()
        ),
        X,
        y,
        cv=3,
    ).mean()
    assert raw > 0.9, (raw, scaled)
    assert abs(raw - scaled) < 0.03, (raw, scaled)


def test_shared_embedding_keeps_one_mean_and_scale_per_within_token_column():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3 * 2)) * [1, 100, 5, 100, 10, 100]
    pool = AttentionPooling(
        token_dim=2, embedding="shared", max_iter=1, random_state=0
    ).fit(X)
    tokens = pool._standardise(X).reshape(-1, 2)
    np.testing.assert_allclose(tokens.mean(axis=0), 0, atol=1e-10)
    np.testing.assert_allclose(tokens.std(axis=0), 1, rtol=1e-10)
    # Equal tokens standardise equally wherever they are (order-free).
    row = np.tile([1.0, 2.0], 3)[None, :]
    same_token = pool._standardise(row).reshape(3, 2)
    np.testing.assert_array_equal(same_token, same_token[[0, 0, 0]])


def test_output_width_and_layout_come_from_the_fitted_model():
    X, y = _digits(100)
    pool = AttentionPooling(
        token_dim=8, embed_dim=8, n_seeds=2, max_iter=1, random_state=0
    ).fit(X, y)
    expected = pool.transform(X)
    pool.set_params(n_seeds=1, embed_dim=4, token_dim=4)
    assert expected.shape[1] == 16
    assert len(pool.get_feature_names_out()) == 16
    np.testing.assert_array_equal(pool.transform(X), expected)
    assert pool.attention_weights(X).shape == (100, 4, 2, 8)
    # A warm-started fit continues the fitted network: it refuses changed
    # parameters that shape it, and continues once they are restored.
    with pytest.raises(ValueError, match="embed_dim=8 -> 4, n_seeds=2 -> 1"):
        pool.set_params(warm_start=True).fit(X, y)
    pool.set_params(n_seeds=2, embed_dim=8, token_dim=8).fit(X, y)
    assert pool.transform(X).shape == (100, 16) and pool.n_iter_ == 2


def test_continuing_a_self_supervised_fit_with_y_raises():
    X, y = _digits(60)
    pool = AttentionPooling(token_dim=8, embed_dim=8, max_iter=1, random_state=0)
    pool.fit(X)
    with pytest.raises(ValueError, match="fitted without y"):
        pool.partial_fit(X, y)
    with pytest.raises(ValueError, match="fitted without y"):
        pool.set_params(warm_start=True).fit(X, y)
    # A fresh fit may change the objective.
    pool.set_params(warm_start=False).fit(X, y)
    assert pool._task == "classification"


@pytest.mark.parametrize(
    "y, kind",
    [
        (
            np.eye(3, dtype=int)[np.arange(60) % 3] | (np.arange(60) % 2)[:, None],
            "multilabel-indicator",
        ),
        (
            np.column_stack([np.arange(60) % 3, np.arange(60) % 4]),
            "multiclass-multioutput",
        ),
    ],
)
def test_multilabel_and_multiclass_multioutput_targets_raise(y, kind):
    X, _ = _digits(60)
    with pytest.raises(ValueError, match=kind):
        AttentionPooling(token_dim=8, max_iter=1).fit(X, y)


def test_continuous_multioutput_target_is_regression():
    X, _ = _digits(60)
    y = np.random.RandomState(0).normal(size=(60, 2))
    pool = AttentionPooling(token_dim=8, max_iter=1, random_state=0).fit(X, y)
    assert pool._task == "regression"
    assert pool._model.head.W.shape[1] == 2
