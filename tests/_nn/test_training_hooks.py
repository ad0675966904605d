"""The optional ``start_epoch`` hook of the training loop's model protocol."""

import numpy as np
import pytest
from test_training import _Regressor, _ScriptedModel


class _AnnealedModel(_ScriptedModel):
    """A constant loss whose objective 'changes' during the first epochs."""

    def __init__(self, n_changing):
        super().__init__([0.0] * 100)
        self.n_changing = n_changing
        self.epochs = []

    def start_epoch(self, epoch):
        self.epochs.append(epoch)
        return epoch <= self.n_changing


def _fit(model, **params):
    est = _Regressor(random_state=0, n_iter_no_change=2, **params)
    est.make_model = lambda: model
    X = np.zeros((10, 1))
    return est.fit(X, np.zeros((10, 1)))


def test_start_epoch_is_called_with_one_based_epochs():
    model = _AnnealedModel(0)
    est = _fit(model)
    # A constant loss stops once n_iter_no_change + 1 epochs after the first
    # did not improve on it.
    assert est.n_iter_ == 4
    assert model.epochs == [1, 2, 3, 4]
    est.partial_fit(np.zeros((10, 1)), np.zeros((10, 1)))
    assert model.epochs[-1] == 5


def test_changing_objective_restarts_the_convergence_count():
    model = _AnnealedModel(4)
    est = _fit(model)
    # Epochs 1-4 change the objective; epoch 4's loss is the new reference,
    # then 3 epochs without improvement stop the run.
    assert est.n_iter_ == 4 + 3
    assert est.best_loss_ == pytest.approx(1.0)


def test_changing_objective_with_early_stopping_keeps_validation_logic():
    model = _AnnealedModel(2)
    est = _fit(model, early_stopping=True, validation_fraction=0.2)
    assert est.best_loss_ is None
    assert len(est.validation_scores_) == est.n_iter_
