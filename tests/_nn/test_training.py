"""The training loop and mixin of the shared core, on a tiny linear model."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import validate_parameter_constraints

from skmanifold_attn._nn._layers import Dense
from skmanifold_attn._nn._losses import squared_error
from skmanifold_attn._nn._training import (
    TRAINING_PARAMETER_CONSTRAINTS,
    NeuralTrainingMixin,
    auto_batch_size,
    l2_penalty,
)


class _LinearModel:
    """y = X W + b under squared error: the smallest model of the protocol."""

    def __init__(self, n_in, n_out, rng, dtype):
        self.layer = Dense(n_in, n_out, rng=rng, dtype=dtype)
        self.params = self.layer.params
        self.penalized = self.layer.penalized
        self.batch_sizes = []

    def loss_and_grads(self, X, y, rng):
        self.batch_sizes.append(X.shape[0])
        loss, grad = squared_error(self.layer.forward(X), y)
        self.layer.backward(grad, input_grad=False)
        return loss, self.layer.grads

    def validation_score(self, X, y):
        return -squared_error(self.layer.predict(X), y)[0]


class _ScriptedModel:
    """Walks w up by Adam steps; validation scores follow a script."""

    def __init__(self, scores, loss=1.0):
        self.params = [np.zeros(1)]
        self.penalized = [False]
        self.scores = list(scores)
        self.loss = loss
        self.seen = []

    def loss_and_grads(self, X, y, rng):
        return self.loss, [np.array([-1.0])]

    def validation_score(self, X, y):
        self.seen.append(self.params[0].copy())
        return self.scores[len(self.seen) - 1]


class _Regressor(NeuralTrainingMixin, RegressorMixin, BaseEstimator):
    def __init__(
        self,
        *,
        alpha=0.0,
        batch_size="auto",
        learning_rate_init=0.01,
        max_iter=200,
        tol=1e-4,
        n_iter_no_change=10,
        early_stopping=False,
        validation_fraction=0.1,
        shuffle=True,
        warm_start=False,
        random_state=None,
        verbose=False,
    ):
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def _init_model(self, X, y, rng):
        factory = getattr(self, "make_model", None)
        if factory is not None:
            return factory()
        return _LinearModel(X.shape[1], y.shape[1], rng, X.dtype)

    def fit(self, X, y):
        return self._train(X, y, incremental=False)

    def partial_fit(self, X, y):
        return self._train(X, y, incremental=True)

    def predict(self, X):
        return self._model.layer.predict(X)


def _data(n=300, dtype=np.float64, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 3)).astype(dtype)
    W = np.array([[1.0], [-2.0], [0.5]], dtype=dtype)
    y = X @ W + 0.3 + 0.01 * rng.normal(size=(n, 1)).astype(dtype)
    return X, y


def test_parameter_constraints_cover_the_training_parameters():
    params = _Regressor().get_params()
    assert set(TRAINING_PARAMETER_CONSTRAINTS) == set(params)
    validate_parameter_constraints(TRAINING_PARAMETER_CONSTRAINTS, params, "x")


def test_training_learns_and_records_bookkeeping():
    X, y = _data()
    est = _Regressor(random_state=0, max_iter=500, learning_rate_init=0.05).fit(X, y)
    assert est.n_iter_ == len(est.loss_curve_) < 500  # converged by tol
    assert est.t_ == est.n_iter_ * X.shape[0]
    assert est.loss_curve_[-1] < 1e-3 < est.loss_curve_[0]
    assert est.best_loss_ == min(est.loss_curve_)
    assert est.validation_scores_ is None and est.best_validation_score_ is None
    np.testing.assert_allclose(est._model.layer.W.ravel(), [1, -2, 0.5], atol=0.02)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_same_random_state_gives_identical_fits():
    X, y = _data()
    a = _Regressor(random_state=3, max_iter=5).fit(X, y)
    b = _Regressor(random_state=3, max_iter=5).fit(X, y)
    c = _Regressor(random_state=4, max_iter=5).fit(X, y)
    np.testing.assert_array_equal(a._model.layer.W, b._model.layer.W)
    assert not np.array_equal(a._model.layer.W, c._model.layer.W)


def test_batch_size_auto_and_clipping():
    X, y = _data(n=450)
    est = _Regressor(max_iter=1, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert est._model.batch_sizes == [200, 200, 50]
    est = _Regressor(max_iter=1, batch_size=1000, random_state=0)
    with pytest.warns(UserWarning, match="clipped"):
        est.fit(X[:30], y[:30])
    assert est._model.batch_sizes == [30]


@pytest.mark.parametrize(
    "n_samples, policy, expected",
    [
        (450, {"cap": 200, "min_steps": 1, "floor": 1}, 200),
        (150, {"cap": 200, "min_steps": 1, "floor": 1}, 150),
        (344, {"cap": 200, "min_steps": 4, "floor": 32}, 86),  # >= 4 steps
        (100, {"cap": 200, "min_steps": 4, "floor": 32}, 32),  # the floor
        (20, {"cap": 200, "min_steps": 4, "floor": 32}, 20),  # all rows
        (5000, {"cap": 32, "min_steps": 1, "floor": 1}, 32),
    ],
)
def test_auto_batch_size_one_rule(n_samples, policy, expected):
    assert auto_batch_size(n_samples, **policy) == expected


def test_estimators_tune_the_auto_rule_not_replace_it():
    from skmanifold_attn import AttentionPooling, VAEImputer, VAETransformer

    # Every estimator of the suite answers batch_size="auto" by the one rule.
    for estimator, n_samples, expected in (
        (VAETransformer(), 5000, 200),
        (AttentionPooling(), 344, 86),
        (VAEImputer(), 5000, 32),
    ):
        assert "_batch_size" not in type(estimator).__dict__
        assert estimator._batch_size(n_samples) == expected


def test_shuffle_false_uses_rows_in_order():
    X, y = _data(n=10)
    seen = []

    class Recording(_LinearModel):
        def loss_and_grads(self, X, y, rng):
            seen.append(X.copy())
            return super().loss_and_grads(X, y, rng)

    est = _Regressor(shuffle=False, batch_size=4, max_iter=1)
    est.make_model = lambda: Recording(3, 1, np.random.RandomState(0), X.dtype)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    np.testing.assert_array_equal(np.vstack(seen), X)


def test_early_stopping_restores_best_weights():
    scores = [0.1, 0.5, 0.9, 0.3, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2]
    X, y = _data(n=50)
    est = _Regressor(
        early_stopping=True, n_iter_no_change=3, learning_rate_init=0.1, random_state=0
    )
    model = _ScriptedModel(scores)
    est.make_model = lambda: model
    est.fit(X, y)
    # Epoch 3 was best; then 4 epochs without improvement (> n_iter_no_change).
    assert est.n_iter_ == 7
    assert est.validation_scores_ == scores[:7]
    assert est.best_validation_score_ == 0.9
    assert est.best_loss_ is None
    np.testing.assert_array_equal(model.params[0], model.seen[2])
    assert not np.array_equal(model.params[0], model.seen[-1])


def test_early_stopping_validation_split_is_fraction_of_rows():
    X, y = _data(n=100)
    sizes = []

    class Recording(_LinearModel):
        def validation_score(self, X, y):
            sizes.append(X.shape[0])
            return super().validation_score(X, y)

    est = _Regressor(early_stopping=True, validation_fraction=0.2, max_iter=2)
    est.make_model = lambda: Recording(3, 1, np.random.RandomState(0), X.dtype)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert sizes == [20, 20]
    assert est.t_ == 2 * 80
    with pytest.raises(ValueError, match="validation set is too small"):
        _Regressor(early_stopping=True, validation_fraction=0.01).fit(X[:20], y[:20])


def test_warm_start_continues_from_previous_weights():
    X, y = _data()
    est = _Regressor(max_iter=3, random_state=0, warm_start=True)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    model, W_before = est._model, est._model.layer.W.copy()
    curve = list(est.loss_curve_)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert est._model is model
    assert est.n_iter_ == 6 and len(est.loss_curve_) == 6
    assert est.loss_curve_[:3] == curve
    assert est.loss_curve_[3] < curve[0]
    assert not np.array_equal(model.layer.W, W_before)

    cold = _Regressor(max_iter=3, random_state=0)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)
    with pytest.warns(ConvergenceWarning):
        cold.fit(X, y)
    assert cold.n_iter_ == 3 and cold.loss_curve_ == curve


def test_partial_fit_runs_one_epoch_and_keeps_optimizer():
    X, y = _data()
    est = _Regressor(random_state=0, early_stopping=True)
    est.partial_fit(X, y)
    optimizer = est._optimizer
    assert est.n_iter_ == 1 and est.t_ == X.shape[0]
    assert est.validation_scores_ is None  # no early stopping in partial_fit
    est.partial_fit(X, y)
    assert est._optimizer is optimizer and optimizer.t == 4  # 2 batches / epoch
    assert est.n_iter_ == 2 and est.t_ == 2 * X.shape[0]
    assert est.loss_curve_[1] < est.loss_curve_[0]


def test_convergence_warning_when_max_iter_reached():
    X, y = _data()
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(2\)"):
        _Regressor(max_iter=2, random_state=0).fit(X, y)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_loss_raises_with_advice(bad):
    X, y = _data(n=20)
    est = _Regressor()
    est.make_model = lambda: _ScriptedModel([0.0], loss=bad)
    with pytest.raises(ValueError, match="lower learning_rate_init"):
        est.fit(X, y)


def test_divergent_weights_raise():
    X, y = _data(n=50)
    X = X * 1e150
    with pytest.raises(ValueError, match="diverged"):
        _Regressor(learning_rate_init=1e200, random_state=0).fit(X, y)


def test_verbose_prints_one_line_per_epoch(capsys):
    X, y = _data()
    with pytest.warns(ConvergenceWarning):
        _Regressor(max_iter=3, verbose=True, random_state=0).fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1: loss = ") and lines[0].endswith(" s")

    est = _Regressor(max_iter=2, verbose=True, early_stopping=True, random_state=0)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and "validation score = " in lines[1]

    est = _Regressor(max_iter=50, n_iter_no_change=1, tol=10.0, verbose=True)
    est.fit(X, y)
    out = capsys.readouterr().out
    assert "did not improve more than tol" in out


def test_l2_penalty_matches_sklearn_scaling():
    W, b = np.array([[1.0, 2.0]]), np.array([3.0])
    grads = [np.zeros_like(W), np.zeros_like(b)]
    loss = l2_penalty([W, b], [True, False], grads, alpha=0.5, n_rows=10)
    assert loss == pytest.approx(0.5 * 0.5 * 5 / 10)
    np.testing.assert_allclose(grads[0], 0.5 * W / 10)
    np.testing.assert_array_equal(grads[1], 0)


def test_alpha_shrinks_weights():
    X, y = _data()
    plain = _Regressor(random_state=0, max_iter=300, learning_rate_init=0.05).fit(X, y)
    ridge = _Regressor(
        random_state=0, max_iter=300, learning_rate_init=0.05, alpha=200.0
    ).fit(X, y)
    assert np.linalg.norm(ridge._model.layer.W) < 0.9 * np.linalg.norm(
        plain._model.layer.W
    )


def test_float32_stays_float32():
    X, y = _data(dtype=np.float32)
    with pytest.warns(ConvergenceWarning):
        est = _Regressor(max_iter=3, random_state=0).fit(X, y)
    assert all(p.dtype == np.float32 for p in est._model.params)
    assert all(m.dtype == np.float32 for m in est._optimizer.ms)
    assert est.predict(X).dtype == np.float32


def test_blas_threads_limit_is_applied():
    from threadpoolctl import threadpool_info

    X, y = _data(n=20)
    seen = []

    class Limited(_LinearModel):
        blas_threads = 1

        def loss_and_grads(self, X, y, rng):
            seen.append(
                [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
            )
            return super().loss_and_grads(X, y, rng)

    est = _Regressor(max_iter=1)
    est.make_model = lambda: Limited(3, 1, np.random.RandomState(0), X.dtype)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    assert all(n == 1 for threads in seen for n in threads)


# -- divergence by growth, not only by overflow -------------------------------


class _GrowingModel:
    """A loss that follows a script, one value per batch (the weights stay)."""

    def __init__(self, losses):
        self.params = [np.zeros(1)]
        self.penalized = [False]
        self.losses = list(losses)
        self.calls = 0

    def loss_and_grads(self, X, y, rng):
        loss = self.losses[min(self.calls, len(self.losses) - 1)]
        self.calls += 1
        return loss, [np.zeros(1)]

    def validation_score(self, X, y):
        return 0.0


@pytest.mark.parametrize(
    "losses, diverges",
    [
        ([0.8, 5.7e9, 2.1e10], True),  # AttentionPooling at learning_rate 1e3
        ([12.0, 1.5e8], True),  # VAETransformer at learning_rate 10
        ([-50.0, -40.0, 6e3], True),  # a negative loss that blows up
        ([0.8, 0.5, 0.7, 30.0], False),  # noisy but within 100 x magnitude 1
        ([-50.0, -60.0, 100.0], False),  # within 100 x |level|
        ([1e-6, 1e-8, 50.0], False),  # tiny losses: magnitude floored at 1
    ],
)
def test_loss_growing_by_orders_of_magnitude_raises(losses, diverges):
    # One batch per epoch, so each scripted value is an epoch mean.
    X, y = _data(n=10)
    est = _Regressor(max_iter=len(losses), n_iter_no_change=50, shuffle=False)
    est.make_model = lambda: _GrowingModel(losses)
    if diverges:
        with pytest.raises(ValueError, match="Training diverged: the loss grew"):
            est.fit(X, y)
    else:
        with pytest.warns(ConvergenceWarning):
            est.fit(X, y)
        assert est.loss_curve_ == losses


def test_divergence_is_measured_from_the_first_batch_of_the_epoch():
    # The first epoch's mean is already huge: the first batch (before any
    # update) is the reference.
    X, y = _data(n=40)
    est = _Regressor(batch_size=10, max_iter=3, shuffle=False)
    est.make_model = lambda: _GrowingModel([1.0, 1e6, 1e7, 1e8])
    with pytest.raises(ValueError, match="from 1 to .* during epoch 1"):
        est.fit(X, y)


def test_divergence_reference_persists_across_partial_fit_calls():
    X, y = _data(n=10)
    est = _Regressor()
    est.make_model = lambda: _GrowingModel([1.0, 1e4])
    est.partial_fit(X, y)
    with pytest.raises(ValueError, match="diverged"):
        est.partial_fit(X, y)


def test_warm_start_measures_from_its_own_first_batch():
    # A warm-started fit is a new run: its reference is its first batch.
    X, y = _data(n=10)
    est = _Regressor(max_iter=1, warm_start=True)
    losses = [1.0, 1e3, 1e3]
    est.make_model = lambda: _GrowingModel(losses)
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)
    est._model.calls = 1
    with pytest.warns(ConvergenceWarning):
        est.fit(X, y)  # starts at 1e3: no growth within this fit
    assert est.loss_curve_ == [1.0, 1e3]


def test_healthy_noisy_small_batch_training_does_not_diverge():
    # One-row batches on heavy-tailed data and a large learning rate: noisy,
    # but far from the divergence threshold.
    rng = np.random.RandomState(0)
    X = rng.standard_cauchy(size=(200, 3))
    y = X @ np.array([[1.0], [-2.0], [0.5]]) + rng.standard_cauchy(size=(200, 1))
    y /= np.abs(y).max()
    X /= np.abs(X).max()
    with pytest.warns(ConvergenceWarning):
        est = _Regressor(batch_size=1, learning_rate_init=0.1, max_iter=5).fit(X, y)
    assert np.all(np.isfinite(est.loss_curve_))


@pytest.mark.parametrize("early_stopping", [False, True])
def test_plateau_decay_divides_the_step_then_stops(early_stopping, capsys):
    # A constant loss (and validation score) stalls at once: with a decay of
    # (4, 2) training runs three plateaus of n_iter_no_change + 1 epochs,
    # dividing the step by 4 after the first two.
    X, y = _data(n=50)

    class _Decaying(_Regressor):
        _plateau_decay = (4.0, 2)

    est = _Decaying(
        early_stopping=early_stopping,
        n_iter_no_change=3,
        learning_rate_init=0.1,
        verbose=True,
    )
    model = _ScriptedModel([0.5] * 100)
    est.make_model = lambda: model
    est.fit(X, y)
    plateau = 3 + 1
    # The first epoch sets the reference, so the first plateau has one more.
    assert est.n_iter_ == 3 * plateau + 1
    assert est._optimizer.learning_rate_init == pytest.approx(0.1 / 16)
    assert capsys.readouterr().out.count("learning rate divided by 4") == 2
    # partial_fit never decays (one epoch, no stopping).
    est.partial_fit(X, y)
    assert est._optimizer.learning_rate_init == pytest.approx(0.1 / 16)
