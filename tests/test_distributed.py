"""GridSearchCV over a Pipeline of every estimator on a dask.distributed cluster.

Running through ``joblib.parallel_config(backend="dask")`` must give the same
best parameters and scores as the default backend: the estimators hold no
state that depends on the process they run in.
"""

import numpy as np
import pytest
from joblib import parallel_config
from sklearn.base import clone, is_regressor
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

from skmanifold_attn.utils._test_configs import GRIDS, instance_id, instances

distributed = pytest.importorskip("dask.distributed")

FAST_INSTANCES = list(instances(fast_only=True))


@pytest.fixture(scope="module")
def dask_client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def _data():
    X, y = load_digits(n_class=4, return_X_y=True)
    return MinMaxScaler().fit_transform(X[:240]), y[:240]


@pytest.mark.timeout(300)
@pytest.mark.parametrize("estimator", FAST_INSTANCES, ids=instance_id)
def test_grid_search_on_dask_matches_default_backend(estimator, dask_client):
    name = type(estimator).__name__
    assert name in GRIDS, f"add a small parameter grid for {name} to GRIDS"
    X, y = _data()
    if hasattr(estimator, "transform"):
        grid = {f"embed__{key}": values for key, values in GRIDS[name].items()}
        pipeline = Pipeline(
            [("embed", clone(estimator)), ("clf", LogisticRegression(max_iter=500))]
        )
    else:  # a predictor is searched on its own
        grid = GRIDS[name]
        pipeline = clone(estimator)
        if is_regressor(estimator):
            y = y.astype(float)

    local = GridSearchCV(pipeline, grid, cv=3).fit(X, y)
    with parallel_config(backend="dask"):
        remote = GridSearchCV(pipeline, grid, cv=3, n_jobs=-1).fit(X, y)

    assert remote.best_params_ == local.best_params_
    np.testing.assert_allclose(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
