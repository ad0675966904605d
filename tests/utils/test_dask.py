"""dask_transform: a fitted estimator applied block-wise on a process cluster."""

import numpy as np
import pytest
from sklearn.datasets import make_swiss_roll
from sklearn.exceptions import NotFittedError

from skmanifold_attn import LaplacianEigenmaps, LocallyLinearEmbedding
from skmanifold_attn.utils import dask_transform

da = pytest.importorskip("dask.array")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("dask.distributed")
pd = pytest.importorskip("pandas")


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


@pytest.fixture(scope="module")
def swiss_roll():
    X, _ = make_swiss_roll(800, random_state=0)
    new, _ = make_swiss_roll(3000, random_state=1)
    return X, new


@pytest.mark.timeout(300)
@pytest.mark.parametrize(
    "estimator",
    [
        LocallyLinearEmbedding(n_neighbors=10, random_state=0),
        LocallyLinearEmbedding(n_neighbors=10, method="ltsa", random_state=0),
        LaplacianEigenmaps(n_neighbors=10, random_state=0),
    ],
    ids=lambda est: type(est).__name__ + getattr(est, "method", ""),
)
def test_dask_array_transform_on_cluster_equals_in_memory(
    estimator, swiss_roll, client
):
    X, new = swiss_roll
    estimator.fit(X)
    lazy = dask_transform(estimator, da.from_array(new, chunks=(700, 3)))
    assert lazy.chunks == ((700, 700, 700, 700, 200), (2,))
    # One task per block; the model is scattered to the workers once.
    assert len(dict(lazy.__dask_graph__())) == 2 * 5
    result = client.compute(lazy).result()
    np.testing.assert_array_equal(result, estimator.transform(new))


@pytest.mark.timeout(300)
def test_dask_dataframe_transform_keeps_index_and_names(swiss_roll, client):
    X, new = swiss_roll
    columns = ["x", "y", "z"]
    estimator = LocallyLinearEmbedding(n_neighbors=10, random_state=0)
    estimator.fit(pd.DataFrame(X, columns=columns))
    frame = pd.DataFrame(new, columns=columns, index=np.arange(new.shape[0]) + 10)
    lazy = dask_transform(estimator, dd.from_pandas(frame, npartitions=3))
    result = client.compute(lazy).result()
    assert list(result.columns) == list(estimator.get_feature_names_out())
    np.testing.assert_array_equal(result.index, frame.index)
    np.testing.assert_array_equal(result.to_numpy(), estimator.transform(frame))


def test_without_a_client_any_scheduler_runs_it(swiss_roll, monkeypatch):
    X, new = swiss_roll
    estimator = LocallyLinearEmbedding(n_neighbors=10).fit(X)

    def no_client():
        raise ValueError("No clients found")

    monkeypatch.setattr("distributed.default_client", no_client)
    lazy = dask_transform(estimator, da.from_array(new, chunks=(1000, 3)))
    np.testing.assert_array_equal(
        lazy.compute(scheduler="synchronous"), estimator.transform(new)
    )


def test_dask_transform_bad_input(swiss_roll):
    X, new = swiss_roll
    with pytest.raises(NotFittedError):
        dask_transform(LocallyLinearEmbedding(), da.from_array(new))
    estimator = LocallyLinearEmbedding(n_neighbors=10).fit(X)
    with pytest.raises(ValueError, match="chunked along the features"):
        dask_transform(estimator, da.from_array(new, chunks=(1000, 2)))
    with pytest.raises(ValueError, match="2-D"):
        dask_transform(estimator, da.from_array(new[:, 0], chunks=100))
    with pytest.raises(TypeError, match="dask.array.Array"):
        dask_transform(estimator, new)
