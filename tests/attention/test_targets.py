"""The task and target encoding of AttentionPooling's supervised head."""

import numpy as np
import pytest

from skmanifold_attn.attention._targets import Targets, check_target, infer_task


@pytest.mark.parametrize(
    "y, task, expected",
    [
        (np.array([0, 1, 2, 1]), "auto", "classification"),
        (np.array([True, False, True]), "auto", "classification"),
        (np.array(["a", "b", "a"]), "auto", "classification"),
        (np.array([0.0, 1.0, 2.0, 1.0]), "auto", "regression"),  # float: numbers
        (np.array([0.5, 1.5, 2.0]), "auto", "regression"),
        (np.array([1, 2, 3], dtype=object), "auto", "classification"),
        (np.array([0.5, 1.5, 2.0], dtype=object), "auto", "regression"),
        (np.array([0.0, 1.0, 2.0, 1.0]), "classification", "classification"),
        (np.array([0, 1, 2, 1]), "regression", "regression"),
        (np.arange(12.0).reshape(6, 2), "auto", "regression"),
    ],
)
def test_infer_task(y, task, expected):
    assert infer_task(check_target(y, len(y)), task) == expected


@pytest.mark.parametrize(
    "y, task, message",
    [
        (np.linspace(0, 1, 200), "classification", "task='regression'"),
        (np.array(["a", "b"]), "regression", "task='classification'"),
        (np.eye(3, dtype=int)[[0, 1, 2, 0]] | 1, "auto", "multilabel"),
    ],
)
def test_wrong_kind_of_target_names_the_fix(y, task, message):
    with pytest.raises(ValueError, match=message):
        Targets(y, task)


def test_float_lists_are_short():
    targets = Targets(np.array([0, 1, 0, 1]), "auto")
    with pytest.raises(ValueError) as error:
        targets.encode(np.linspace(-3, 3, 200), "auto", "warm_start")
    text = str(error.value)
    assert "(e.g. [-3.0, -2.97, -2.94])" in text and len(text) < 400


def test_single_class_raises_unless_classes_are_given():
    with pytest.raises(ValueError, match="only one class: \\[7\\]"):
        Targets(np.full(10, 7), "auto")
    targets = Targets(np.full(10, 7), "auto", classes=[7, 8])
    np.testing.assert_array_equal(targets.classes_, [7, 8])
    with pytest.raises(ValueError, match="not in `classes`"):
        Targets(np.array([7, 9]), "auto", classes=[7, 8])


def test_regression_targets_are_standardised_at_any_scale():
    y = np.linspace(0, 1, 50)
    for factor in (1e-300, 1.0, 1e200):
        encoded = Targets(y * factor, "auto").encode(y * factor, "auto")
        np.testing.assert_allclose(encoded.mean(), 0, atol=1e-12)
        np.testing.assert_allclose(encoded.std(), 1, rtol=1e-10)
