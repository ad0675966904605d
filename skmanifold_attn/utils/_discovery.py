"""Discovery of the public estimators of the package.

Common tests, the demo and the documentation iterate over :func:`all_estimators`,
so a new estimator is tested and documented as soon as it is exported from a
public sub-package.
"""

import importlib
import inspect
import pkgutil
from operator import itemgetter

from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClusterMixin,
    RegressorMixin,
    TransformerMixin,
)

_TYPE_FILTERS = {
    "classifier": ClassifierMixin,
    "regressor": RegressorMixin,
    "transformer": TransformerMixin,
    "cluster": ClusterMixin,
}


def all_estimators(type_filter=None):
    """List every public estimator of ``skmanifold_attn``.

    Public sub-packages are imported and searched for classes deriving from
    :class:`sklearn.base.BaseEstimator`; private modules (a name part starting
    with an underscore) are skipped, so a class counts as public once a public
    package exports it.

    Parameters
    ----------
    type_filter : {"classifier", "regressor", "transformer", "cluster"}, \
            list of those or None, default=None
        Keep only the estimators deriving from the matching sklearn mixins.

    Returns
    -------
    estimators : list of (str, type)
        ``(name, class)`` pairs sorted by name.

    See Also
    --------
    sklearn.utils.discovery.all_estimators : The same for scikit-learn.

    Examples
    --------
    >>> from skmanifold_attn.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> isinstance(names, list)
    True
    """
    import skmanifold_attn

    root = skmanifold_attn.__name__
    found = {}
    module_names = [root]
    for info in pkgutil.walk_packages(skmanifold_attn.__path__, prefix=root + "."):
        parts = info.name.split(".")
        if any(part.startswith("_") or part == "tests" for part in parts[1:]):
            continue
        module_names.append(info.name)

    for module_name in module_names:
        module = importlib.import_module(module_name)
        for name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                name.startswith("_")
                or not issubclass(cls, BaseEstimator)
                or not cls.__module__.startswith(root + ".")
                or inspect.isabstract(cls)
            ):
                continue
            found[name] = cls

    estimators = sorted(found.items(), key=itemgetter(0))
    if type_filter is None:
        return estimators

    filters = [type_filter] if isinstance(type_filter, str) else list(type_filter)
    unknown = [f for f in filters if f not in _TYPE_FILTERS]
    if unknown:
        raise ValueError(
            f"Parameter type_filter must be one of {sorted(_TYPE_FILTERS)} or None, "
            f"got {unknown!r}."
        )
    mixins = tuple(_TYPE_FILTERS[f] for f in filters)
    return [(name, cls) for name, cls in estimators if issubclass(cls, mixins)]
