"""The one mini-batch training loop, and the estimator mixin around it.

Estimators inherit :class:`NeuralTrainingMixin`, put its
``_parameter_constraints`` into theirs, implement ``_init_model`` and call
``self._train(X, y, incremental=...)`` from ``fit`` and ``partial_fit``. The
loop follows scikit-learn's MLP (``_fit_stochastic``): Adam, shuffled
mini-batches, ``tol``/``n_iter_no_change`` on the training loss or, with
early stopping, on a held-out validation score whose best weights are kept.
"""

import functools
import time
import warnings
from contextlib import nullcontext
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions

from ._optim import Adam

TRAINING_PARAMETER_CONSTRAINTS = {
    "alpha": [Interval(Real, 0, None, closed="left")],
    "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "shuffle": ["boolean"],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
}


@functools.cache
def _blas_controller():
    # Finding the loaded BLAS libraries takes ~0.1 s on a busy machine; do it
    # once per process rather than at every fit.
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _check_finite_loss(loss, epoch, learning_rate_init):
    if not np.isfinite(loss):
        raise ValueError(
            f"Training diverged: the loss became {loss} during epoch {epoch}. "
            f"The learning rate is probably too large: lower learning_rate_init "
            f"(currently {learning_rate_init}), or scale the input to a "
            "moderate range (e.g. with StandardScaler)."
        )


# A training loss that rises above its reference level (the smaller of the
# first batch's loss and the best epoch mean) by more than this many times the
# loss's magnitude (at least 1) is taken for divergence. Healthy training never
# comes close: the losses are of standardised data, the loss at initialisation
# is the largest a sane run sees, and epoch means average out noisy batches.
DIVERGENCE_FACTOR = 100.0


class _DivergenceMonitor:
    """Raise when epoch-mean losses grow by orders of magnitude.

    ``start`` is the loss of the first batch of a fit (before any update of
    that fit), ``best`` the best epoch mean since then (reset when the
    objective changes). An epoch mean ``loss`` diverges when ``loss - level >
    DIVERGENCE_FACTOR * max(|start|, |level|, 1)`` with ``level = min(start,
    best)``.
    """

    def __init__(self):
        self.start = None
        self.best = None

    def first_batch(self, loss):
        if self.start is None:
            self.start = float(loss)

    def objective_changed(self):
        self.best = None

    def check(self, loss, epoch, learning_rate_init):
        if self.start is None:
            return
        level = self.start if self.best is None else min(self.start, self.best)
        magnitude = max(abs(self.start), abs(level), 1.0)
        if loss - level > DIVERGENCE_FACTOR * magnitude:
            raise ValueError(
                f"Training diverged: the loss grew from {level:.4g} to "
                f"{loss:.4g} during epoch {epoch} (more than "
                f"{DIVERGENCE_FACTOR:g} times its magnitude). The learning rate "
                "is probably too large: lower learning_rate_init (currently "
                f"{learning_rate_init}), or scale the input to a moderate range "
                "(e.g. with StandardScaler)."
            )
        self.best = loss if self.best is None else min(self.best, loss)


def _check_finite_params(params, epoch, learning_rate_init):
    for param in params:
        if not np.all(np.isfinite(param)):
            raise ValueError(
                f"Training diverged: the weights became non-finite during epoch "
                f"{epoch}. Lower learning_rate_init (currently "
                f"{learning_rate_init}), or scale the input to a moderate range "
                "(e.g. with StandardScaler)."
            )


def l2_penalty(params, penalized, grads, alpha, n_rows):
    """Add scikit-learn's L2 penalty to ``grads`` in place; return its loss.

    The loss is ``0.5 * alpha * sum(||W||^2) / n_rows`` over the penalised
    parameters and its gradient ``alpha * W / n_rows``, as in MLPClassifier.
    """
    scale = alpha / n_rows
    total = 0.0
    for param, flag, grad in zip(params, penalized, grads, strict=True):
        if flag:
            total += float(np.vdot(param, param))
            grad += scale * param
    return 0.5 * scale * total


def auto_batch_size(n_samples, *, cap, min_steps, floor):
    """Rows per mini-batch for ``batch_size="auto"``.

    ``min(n_samples, cap, max(floor, n_samples // min_steps))``: at most
    ``cap`` rows, at least ``min_steps`` steps per epoch on small data, never
    fewer than ``floor`` rows (nor more than ``n_samples``).
    """
    return min(n_samples, cap, max(floor, n_samples // min_steps))


class NeuralTrainingMixin:
    """Training parameters, bookkeeping and the mini-batch loop.

    The subclass provides ``_init_model(X, y, rng)`` returning a model that
    follows the protocol described in :mod:`skmanifold_attn._nn`, and calls
    :meth:`_train` from ``fit`` (``incremental=False``) and ``partial_fit``
    (``incremental=True``: one epoch, no early stopping). Fitted attributes
    set here: ``loss_curve_``, ``validation_scores_``,
    ``best_validation_score_``, ``best_loss_``, ``n_iter_`` and ``t_``.

    Training raises ValueError ("Training diverged") when a batch loss or the
    weights become non-finite, and when an epoch's mean loss exceeds its
    reference level by more than ``DIVERGENCE_FACTOR`` (100) times the loss's
    magnitude: the level is the smaller of the first batch's loss (before
    any update of this fit; of the first call for ``partial_fit``) and the
    best epoch mean, the magnitude the largest of their absolute values and
    1. Healthy fits stay far below it (their epoch means are at most about
    the initial loss, even with one-row batches and heavy-tailed data), while
    an overly large ``learning_rate_init`` sends the loss up by many orders
    of magnitude within the first epoch.
    """

    _parameter_constraints = dict(TRAINING_PARAMETER_CONSTRAINTS)

    # Learning-rate decay on plateaus, opted into by an estimator: when the
    # loss (or validation score) stalls for n_iter_no_change epochs, the step
    # size is divided by the factor and training goes on, up to this many
    # times; the next plateau stops training. None: stop at the first one.
    _plateau_decay = None  # (factor, times)

    def _patience(self, n_batches):
        """Epochs without improvement before stopping (``n_iter_no_change``).

        An estimator whose ``n_iter_no_change`` has an automatic value
        resolves it here from the number of batches per epoch.
        """
        return self.n_iter_no_change

    def _init_model(self, X, y, rng):  # pragma: no cover - abstract hook
        raise NotImplementedError

    def _is_first_pass(self, incremental):
        return not hasattr(self, "_model") or (not self.warm_start and not incremental)

    def _train(self, X, y=None, *, incremental=False, stratify=None):
        """Fit ``self._model`` on ``X`` (and ``y``) and update the bookkeeping.

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features)
            Validated input in the computation dtype.
        y : ndarray of shape (n_samples, ...) or None
            Targets in the form the model's ``loss_and_grads`` expects.
        incremental : bool, default=False
            One epoch on the existing model (``partial_fit``).
        stratify : ndarray or None, default=None
            Labels to stratify the validation split by (classification).
        """
        if self._is_first_pass(incremental):
            self._rng = check_random_state(self.random_state)
            self._model = self._init_model(X, y, self._rng)
            self.n_iter_ = 0
            self.t_ = 0
            self.loss_curve_ = []
            self._no_improvement_count = 0
            self.best_loss_ = np.inf
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self._best_params = None
            self._divergence = _DivergenceMonitor()
        elif not incremental:
            # A warm-started fit is a fresh run of up to max_iter epochs.
            self._no_improvement_count = 0
            self._divergence = _DivergenceMonitor()
        if not incremental or not hasattr(self, "_optimizer"):
            self._optimizer = Adam(
                self._model.params, learning_rate_init=self.learning_rate_init
            )

        early_stopping = self.early_stopping and not incremental
        if early_stopping:
            X, y, X_val, y_val = self._validation_split(X, y, stratify)
            if self.validation_scores_ is None:
                self.validation_scores_ = []
                self.best_validation_score_ = -np.inf
            self.best_loss_ = None
        else:
            X_val = y_val = None
            if self.best_loss_ is None:
                self.best_loss_ = np.inf

        threads = getattr(self._model, "blas_threads", None)
        if threads is None:
            limits = nullcontext()
        else:
            limits = _blas_controller().limit(limits=threads, user_api="blas")
        with limits, np.errstate(over="ignore", invalid="ignore"):
            self._run_epochs(X, y, X_val, y_val, incremental, early_stopping)
        return self

    def _validation_split(self, X, y, stratify):
        arrays = (X,) if y is None else (X, y)
        split = train_test_split(
            *arrays,
            test_size=self.validation_fraction,
            random_state=self._rng,
            stratify=stratify,
        )
        if y is None:
            X_train, X_val = split
            y_train = y_val = None
        else:
            X_train, X_val, y_train, y_val = split
        if X_val.shape[0] < 2:
            raise ValueError(
                "The validation set is too small. Increase 'validation_fraction' "
                "or the size of your dataset."
            )
        return X_train, y_train, X_val, y_val

    # The one rule behind batch_size="auto": batches of at most ``cap`` rows
    # and, on small data, at least ``min_steps`` steps per epoch, but never
    # batches below ``floor`` rows. An estimator tunes the three numbers, not
    # the rule.
    _auto_batch = {"cap": 200, "min_steps": 1, "floor": 1}

    def _batch_size(self, n_samples):
        if self.batch_size == "auto":
            return auto_batch_size(n_samples, **self._auto_batch)
        if self.batch_size > n_samples:
            warnings.warn(
                "Got `batch_size` larger than the number of samples; it is "
                f"clipped to {n_samples}.",
                UserWarning,
                stacklevel=4,
            )
        return min(self.batch_size, n_samples)

    def _run_epochs(self, X, y, X_val, y_val, incremental, early_stopping):
        model, optimizer, rng = self._model, self._optimizer, self._rng
        params = model.params
        penalized = getattr(model, "penalized", None)
        start_epoch = getattr(model, "start_epoch", None)
        n_samples = X.shape[0]
        batch_size = self._batch_size(n_samples)
        order = np.arange(n_samples)
        max_iter = 1 if incremental else self.max_iter
        # With warm_start the best weights of the previous fit still count.
        best_params = getattr(self, "_best_params", None) if early_stopping else None
        converged = False
        decay_factor, decays_left = self._plateau_decay or (1.0, 0)
        patience = self._patience(-(-n_samples // batch_size))
        if incremental:
            decays_left = 0
        divergence = self._divergence

        for _ in range(max_iter):
            start = time.perf_counter()
            epoch = self.n_iter_ + 1
            if start_epoch is not None and start_epoch(epoch):
                # The objective itself changed (an annealed term): losses of
                # earlier epochs are no reference for convergence.
                self.best_loss_ = np.inf if self.best_loss_ is not None else None
                self._no_improvement_count = 0
                divergence.objective_changed()
            if self.shuffle:
                rng.shuffle(order)
            accumulated = 0.0
            for batch in gen_batches(n_samples, batch_size):
                if self.shuffle:
                    rows = order[batch]
                    X_batch = X.take(rows, axis=0)
                    y_batch = None if y is None else y.take(rows, axis=0)
                else:
                    X_batch = X[batch]
                    y_batch = None if y is None else y[batch]
                n_rows = X_batch.shape[0]
                loss, grads = model.loss_and_grads(X_batch, y_batch, rng)
                if self.alpha and penalized is not None:
                    loss += l2_penalty(params, penalized, grads, self.alpha, n_rows)
                _check_finite_loss(loss, epoch, self.learning_rate_init)
                divergence.first_batch(loss)
                optimizer.update_params(grads)
                accumulated += loss * n_rows
            _check_finite_params(params, epoch, self.learning_rate_init)

            self.n_iter_ += 1
            self.t_ += n_samples
            loss = accumulated / n_samples
            _check_finite_loss(loss, epoch, self.learning_rate_init)
            divergence.check(loss, epoch, self.learning_rate_init)
            self.loss_curve_.append(loss)

            if early_stopping:
                score = float(model.validation_score(X_val, y_val))
                self.validation_scores_.append(score)
                if score < self.best_validation_score_ + self.tol:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best_params = [p.copy() for p in params]
            else:
                if loss > self.best_loss_ - self.tol:
                    self._no_improvement_count += 1
                else:
                    self._no_improvement_count = 0
                self.best_loss_ = min(self.best_loss_, loss)

            if self.verbose:
                # Say what the numbers are: the models name their objective.
                loss_name = getattr(model, "loss_name", None)
                line = f"Epoch {self.n_iter_}: loss = {loss:.6f}"
                if loss_name:
                    line += f" ({loss_name})"
                if early_stopping:
                    score_name = getattr(model, "validation_name", None) or "score"
                    line += (
                        f", validation {score_name} = {self.validation_scores_[-1]:.6f}"
                    )
                line += f", {time.perf_counter() - start:.2f} s"
                print(line, flush=True)

            if self._no_improvement_count > patience and decays_left:
                decays_left -= 1
                optimizer.learning_rate_init /= decay_factor
                self._no_improvement_count = 0
                if self.verbose:
                    print(
                        "No improvement for "
                        f"{patience} consecutive epochs: learning rate "
                        f"divided by {decay_factor:g}."
                    )
            elif self._no_improvement_count > patience:
                converged = True
                if self.verbose:
                    what = "Validation score" if early_stopping else "Training loss"
                    print(
                        f"{what} did not improve more than tol={self.tol} for "
                        f"{patience} consecutive epochs. Stopping."
                    )
                break

        if not incremental and not converged:
            warnings.warn(
                f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) "
                "reached and the optimization hasn't converged yet.",
                ConvergenceWarning,
                stacklevel=4,
            )
        if early_stopping and best_params is not None:
            for param, best in zip(params, best_params, strict=True):
                param[...] = best
            self._best_params = best_params
