"""Bad input, applied to every public estimator.

Each case must give either a correct (finite, well-shaped) result or a clear
error raised by this package or by scikit-learn's validation, in sklearn's
wording. Never a silent NaN, a hang, an error from deep inside numpy/scipy, or
a modified input array.
"""

import inspect
import re
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils import get_tags

import skmanifold_attn
from skmanifold_attn.utils._test_configs import instance_id, instances

FAST_INSTANCES = list(instances(fast_only=True))
PACKAGE_DIR = Path(skmanifold_attn.__file__).parent
SKLEARN_DIR = Path(__import__("sklearn").__file__).parent


def _good_data(n_samples=40, n_features=6, seed=0):
    rng = np.random.RandomState(seed)
    return rng.uniform(size=(n_samples, n_features))


def _raised_by_us_or_sklearn(excinfo):
    """The frame that raised is in this package or sklearn (not numpy/scipy)."""
    path = Path(str(excinfo.traceback[-1].path))
    return PACKAGE_DIR in path.parents or SKLEARN_DIR in path.parents


def _y_for(estimator, X):
    # Labels for the estimators that need them (the attention predictors).
    if not get_tags(estimator).target_tags.required:
        return None
    return np.arange(X.shape[0] if hasattr(X, "shape") else len(X)) % 2


def _fit_transform(estimator, X):
    estimator.fit(X, _y_for(estimator, X))
    return estimator.transform(X)


def _assert_finite_result(Z, n_rows):
    Z = np.asarray(Z)
    assert Z.shape[0] == n_rows
    assert np.all(np.isfinite(Z)), "silent non-finite values in the result"


def _with_nan():
    X = _good_data()
    X[3, 2] = np.nan
    return X


def _with_inf():
    X = _good_data()
    X[5, 1] = np.inf
    return X


def _strings():
    return np.array([["a", "b"]] * 40 + [["c", "d"]] * 2, dtype=object)


# case name -> (make X, sklearn-style messages any of which a raised error may match)
ERROR_CASES = {
    "nan": (_with_nan, [r"Input X contains NaN"]),
    "inf": (_with_inf, [r"Input X contains infinity"]),
    "empty": (lambda: np.empty((0, 6)), [r"0 sample\(s\)", r"0 feature\(s\)"]),
    "one_sample": (
        lambda: _good_data(1),
        [r"1 sample", r"n_samples", r"n_neighbors", r"at least \d", r"minimum of 2"],
    ),
    "one_d": (lambda: _good_data()[:, 0], [r"Expected 2D array, got 1D array"]),
    "complex": (lambda: _good_data() + 1j, [r"Complex data not supported"]),
    "strings": (_strings, [r"could not convert", r"dtype"]),
    "sparse": (
        lambda: sp.csr_matrix(_good_data()),
        [r"Sparse data was passed", r"dense data is required", r"sparse"],
    ),
    "huge": (
        lambda: _good_data() * 1e200,
        [r"too large", r"overflow", r"scale", r"1e200", r"magnitude"],
    ),
}


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", sorted(ERROR_CASES))
@pytest.mark.parametrize("estimator", FAST_INSTANCES, ids=instance_id)
def test_bad_input_at_fit(estimator, case):
    make_X, messages = ERROR_CASES[case]
    X = make_X()
    X_before = X.copy()
    tags = get_tags(estimator)
    estimator = clone(estimator)

    if case == "nan" and tags.input_tags.allow_nan:
        Z = _fit_transform(estimator, X)
        _assert_finite_result(Z, X.shape[0])
    elif case == "sparse" and tags.input_tags.sparse:
        Z = _fit_transform(estimator, X)
        _assert_finite_result(Z.toarray() if sp.issparse(Z) else Z, X.shape[0])
    else:
        try:
            Z = _fit_transform(estimator, X)
        except (ValueError, TypeError) as exc:
            excinfo = pytest.ExceptionInfo.from_exception(exc)
            assert _raised_by_us_or_sklearn(excinfo), (
                f"error raised from {excinfo.traceback[-1].path}: {exc}"
            )
            assert any(re.search(m, str(exc)) for m in messages), str(exc)
        else:
            assert case in ("huge", "one_sample"), f"{case} input was accepted"
            _assert_finite_result(Z, X.shape[0])

    if sp.issparse(X):
        assert (X != X_before).nnz == 0
    else:
        np.testing.assert_array_equal(X, X_before)


TRANSFORM_CASES = ["nan", "inf", "one_d", "complex", "strings"]


@pytest.mark.timeout(120)
@pytest.mark.parametrize("case", TRANSFORM_CASES)
@pytest.mark.parametrize("estimator", FAST_INSTANCES, ids=instance_id)
def test_bad_input_at_transform(estimator, case):
    make_X, messages = ERROR_CASES[case]
    estimator = clone(estimator).fit(_good_data(), _y_for(estimator, _good_data()))
    X = make_X()
    if case == "strings":
        X = np.array([["a"] * 6] * 4, dtype=object)
    X_before = X.copy()
    if case == "nan" and get_tags(estimator).input_tags.allow_nan:
        _assert_finite_result(estimator.transform(X), X.shape[0])
    else:
        with pytest.raises((ValueError, TypeError)) as excinfo:
            estimator.transform(X)
        assert _raised_by_us_or_sklearn(excinfo)
        assert any(re.search(m, str(excinfo.value)) for m in messages), str(
            excinfo.value
        )
    np.testing.assert_array_equal(X, X_before)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("estimator", FAST_INSTANCES, ids=instance_id)
def test_read_only_memmap(estimator, tmp_path):
    X = _good_data()
    path = tmp_path / "X.dat"
    writable = np.memmap(path, dtype=np.float64, mode="w+", shape=X.shape)
    writable[:] = X
    writable.flush()
    del writable
    X_ro = np.memmap(path, dtype=np.float64, mode="r", shape=X.shape)
    Z = _fit_transform(clone(estimator), X_ro)
    _assert_finite_result(Z, X.shape[0])
    np.testing.assert_array_equal(np.asarray(X_ro), X)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("estimator", FAST_INSTANCES, ids=instance_id)
def test_dataframe_with_column_names(estimator):
    pd = pytest.importorskip("pandas")
    X = _good_data()
    columns = [f"col_{i}" for i in range(X.shape[1])]
    df = pd.DataFrame(X, columns=columns)
    df_before = df.copy()
    estimator = clone(estimator)
    Z = _fit_transform(estimator, df)
    _assert_finite_result(Z, X.shape[0])
    np.testing.assert_array_equal(estimator.feature_names_in_, columns)
    assert len(estimator.get_feature_names_out()) == np.asarray(Z).shape[1]
    pd.testing.assert_frame_equal(df, df_before)


# Methods that need no fitted model: construction, parameters, metadata
# routing and output configuration (scikit-learn's API), and fitting itself.
_NO_FIT_NEEDED = {"fit", "fit_transform", "partial_fit", "get_params"}
_NO_FIT_NEEDED_PREFIXES = ("set_", "get_metadata_routing")


def _public_methods(estimator):
    """Names of the public methods of an estimator, discovered, not listed."""
    names = []
    for name in dir(type(estimator)):
        if name.startswith("_") or name in _NO_FIT_NEEDED:
            continue
        if name.startswith(_NO_FIT_NEEDED_PREFIXES):
            continue
        attr = inspect.getattr_static(type(estimator), name)
        if isinstance(attr, property):
            continue
        if callable(getattr(estimator, name, None)):
            names.append(name)
    return sorted(names)


def _arguments(method, X):
    """Positional arguments of one call; parameters with defaults keep them."""
    args = []
    for param in inspect.signature(method).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is not param.empty:
            continue
        if param.name in ("X", "Z"):
            args.append(X)
        elif param.name == "y":
            args.append(None)
        elif param.name == "n_samples":
            args.append(2)
        else:  # a new method with an argument this test does not know yet
            raise AssertionError(f"no value for argument {param.name!r}")
    return args


@pytest.mark.parametrize("estimator", FAST_INSTANCES, ids=instance_id)
def test_every_public_method_raises_not_fitted_before_fit(estimator):
    estimator = clone(estimator)
    methods = _public_methods(estimator)
    # The discovery finds what a user calls after fit (it cannot be vacuous).
    assert "transform" in methods and "get_feature_names_out" in methods, methods
    X = _good_data()
    for name in methods:
        method = getattr(estimator, name)
        args = _arguments(method, X)
        with pytest.raises(NotFittedError):
            method(*args)
