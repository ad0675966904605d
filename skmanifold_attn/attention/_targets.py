"""Targets of AttentionPooling's supervised head: which task, and the encoding.

The ``task`` parameter decides how ``y`` trains the head:

``"auto"``
    Floating-point targets (any values, whole or not) are regression
    targets; integer, boolean, string and other labels are classes when
    :func:`~sklearn.utils.multiclass.type_of_target` calls them binary or
    multiclass, and regression targets when it calls them continuous.
``"classification"``
    Class labels; continuous values (non-whole floats) are refused.
``"regression"``
    Numeric targets, one column or several; integers are numbers here.

:class:`Targets` is fitted on the first ``y`` and encodes every later one,
refusing, with the remedy in the message, a ``y`` the fitted head cannot
train on (a new class, a switch between classification and regression, a
different number of regression targets).
"""

import numpy as np
from sklearn.preprocessing import LabelEncoder
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array

from .._nn._preprocessing import fit_standardisation

TASKS = ("auto", "classification", "regression")

_CLASS_KINDS = ("binary", "multiclass")
_CONTINUOUS_KINDS = ("continuous", "continuous-multioutput")


def _short(value):
    if not isinstance(value, float):
        return repr(value)
    text = f"{value:.4g}"
    return text if any(c in text for c in ".ein") else text + ".0"


def _listed(values, limit=5):
    """``[a, b, c, ...] (n in all)``: a short list for an error message."""
    values = list(np.asarray(values).ravel().tolist())
    shown = ", ".join(_short(value) for value in values[:limit])
    if len(values) > limit:
        return f"[{shown}, ...] ({len(values)} in all)"
    return f"[{shown}]"


def check_target(y, n_samples):
    """``y`` as an array of shape (n_samples,) or (n_samples, n_targets)."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    y = check_array(y, ensure_2d=False, dtype=None, input_name="y")
    if y.dtype == object and not any(isinstance(value, str) for value in y.flat):
        # Numbers stored as objects (e.g. from a pandas object column) are
        # the numbers they hold.
        numbers = np.array(y.tolist())
        if numbers.dtype.kind in "biuf":
            y = numbers
    if y.shape[0] != n_samples:
        raise ValueError(
            f"Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {y.shape[0]}]"
        )
    return y


def _is_float(y):
    return y.dtype.kind == "f"


def _as_numbers(y, task):
    try:
        return np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
    except (TypeError, ValueError):
        raise ValueError(
            f"task={task!r} needs numeric targets, but y has non-numeric values "
            f"such as {_listed(np.unique(y.astype(str))[:3])}. Pass "
            "task='classification' to train a classification head on them."
        ) from None


def infer_task(y, task):
    """``"classification"`` or ``"regression"``: what ``y`` trains under ``task``."""
    if task == "regression":
        return "regression"
    with np.errstate(invalid="ignore", over="ignore"):  # huge floats' int cast
        kind = type_of_target(y, input_name="y", raise_unknown=True)
    if task == "classification":
        if kind in _CLASS_KINDS:
            return "classification"
        if kind in _CONTINUOUS_KINDS:
            raise ValueError(
                "task='classification' needs class labels, but y is continuous "
                f"(e.g. {_listed(np.unique(y)[:3])}). Pass task='regression' "
                "(or task='auto') to train a regression head on it."
            )
    elif _is_float(y) and kind != "unknown":
        return "regression"
    elif kind in _CLASS_KINDS:
        return "classification"
    elif kind in _CONTINUOUS_KINDS:
        return "regression"
    raise ValueError(
        f"AttentionPooling supports binary or multiclass labels and continuous "
        f"(multi-output) targets; got y of type {kind!r}. Train one "
        "AttentionPooling per output, or pass task='regression' to regress on "
        "numeric columns."
    )


class Targets:
    """The task of the head and the encoding of its targets.

    Parameters
    ----------
    y : ndarray
        The first targets, from :func:`check_target`.
    task : {"auto", "classification", "regression"}
        The estimator's ``task`` parameter.
    classes : array-like or None, default=None
        Every class label (``partial_fit``'s first call); None for the
        labels of ``y``.

    Attributes
    ----------
    task : {"classification", "regression"}
        The resolved task.
    classes_ : ndarray or None
        Sorted class labels (classification).
    n_outputs : int
        Width of the head: the number of classes or of regression targets.
    """

    def __init__(self, y, task, classes=None):
        self.task = infer_task(y, task)
        self.classes_ = None
        if self.task == "classification":
            labels = y if classes is None else np.asarray(classes)
            self._encoder = LabelEncoder().fit(labels)
            self.classes_ = self._encoder.classes_
            if classes is not None:
                unseen = np.setdiff1d(y, self.classes_)
                if unseen.size:
                    raise ValueError(
                        f"y contains labels {_listed(unseen)} that are not in "
                        f"`classes` {_listed(self.classes_)}; pass every label "
                        "with `classes`."
                    )
            if len(self.classes_) < 2:
                raise ValueError(
                    "AttentionPooling needs samples of at least 2 classes to "
                    "train a classification head, but y contains only one "
                    f"class: {_listed(self.classes_)}. Pass y with several "
                    "classes, fit without y (the self-supervised masked-token "
                    "objective), or pass task='regression' for numeric targets."
                )
            self.n_outputs = len(self.classes_)
        else:
            y_2d = _as_numbers(y, "regression")
            self._mean, self._scale = fit_standardisation(y_2d)
            self.n_outputs = y_2d.shape[1]

    def _describe(self):
        if self.task == "classification":
            return f"classification, classes {_listed(self.classes_)}"
        return f"regression, {self.n_outputs} target column(s)"

    def encode(self, y, task, continuing=None):
        """Class indices, or standardised float64 targets of shape (n, n_targets).

        ``task`` is the estimator's ``task`` parameter now; ``continuing``
        names how training continues (``"warm_start"`` or ``"partial_fit"``)
        to word the error when ``y`` does not fit the head; None for the
        first ``y``.
        """
        if continuing == "partial_fit":
            remedy = "start a new estimator."
            class_remedy = (
                "pass every label with `classes` in the first call to "
                "partial_fit, or start a new estimator."
            )
        else:
            remedy = class_remedy = (
                "set warm_start=False (or use a new estimator) to train a new network."
            )
        if continuing is not None:
            try:
                wanted = infer_task(y, task)
            except ValueError as error:
                raise ValueError(
                    f"This AttentionPooling's head was trained for "
                    f"{self._describe()} and cannot continue training on this y "
                    f"with {continuing}: {error}"
                ) from None
            if wanted != self.task:
                other = (
                    "task='regression'"
                    if wanted == "classification"
                    else ("task='classification'")
                )
                raise ValueError(
                    f"This AttentionPooling's head was trained for "
                    f"{self._describe()}, but with task={task!r} this y (e.g. "
                    f"{_listed(np.unique(y)[:3])}) is for {wanted}. Pass "
                    f"{other} if y holds the same kind of target as before; to "
                    f"train for {wanted} instead, {remedy}"
                )
        if self.task == "classification":
            unseen = np.setdiff1d(y, self.classes_)
            if unseen.size:
                where = (
                    "not seen in the first call to partial_fit"
                    if continuing == "partial_fit"
                    else "not among the classes of the fitted head"
                )
                raise ValueError(
                    f"y contains labels {_listed(unseen)} {where} (classes "
                    f"{_listed(self.classes_)}); {class_remedy}"
                )
            return self._encoder.transform(y)
        y_2d = _as_numbers(y, "regression")
        if y_2d.shape[1] != self.n_outputs:
            raise ValueError(
                f"y has {y_2d.shape[1]} target column(s), but the regression "
                f"head being continued with {continuing} has {self.n_outputs}; "
                f"{remedy}"
            )
        return (y_2d - self._mean) / self._scale
