"""Transform data larger than memory, block by block, on a Dask cluster.

A fitted estimator is shipped to the workers once and applied to each block
(rows) of a Dask array or each partition of a Dask DataFrame: the result is
the in-memory ``transform`` of the same rows, and a worker holds one block,
its output and the fitted model at a time.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted


def _transform_block(block, estimator):
    return np.asarray(estimator.transform(block), dtype=np.float64)


def _transform_partition(partition, estimator, columns):
    import pandas as pd

    out = np.asarray(estimator.transform(partition), dtype=np.float64)
    return pd.DataFrame(out, index=partition.index, columns=columns)


def _n_features_out(estimator):
    names = estimator.get_feature_names_out()
    return len(names), [str(name) for name in names]


def _shared_model(estimator):
    """The model as one graph input: scattered to every worker of a running
    ``dask.distributed`` client, else one task of the graph."""
    import dask

    try:
        from distributed import default_client

        client = default_client()
    except (ImportError, ValueError):  # no distributed, or no client running
        return dask.delayed(estimator, pure=False, traverse=False)
    return client.scatter(estimator, broadcast=True, hash=False)


def dask_transform(estimator, X):
    """Apply a fitted estimator's ``transform`` to a Dask collection, lazily.

    Each block of rows (each partition) is transformed on its own, in the
    worker that holds it, so the data never has to fit in one machine's
    memory; the fitted estimator is sent to the workers once (as one task of
    the graph, or scattered to every worker when a ``dask.distributed``
    client is running), not with every block. Rows are transformed independently by
    the estimators of this package, so the result equals the in-memory
    ``estimator.transform(X.compute())``.

    Parameters
    ----------
    estimator : fitted transformer
        Any fitted estimator with ``transform`` and ``get_feature_names_out``.
    X : dask.array.Array or dask.dataframe.DataFrame
        Rows to transform. An array must be 2-D with every block spanning all
        the features (``X.rechunk({1: -1})`` makes it so); a DataFrame has the
        columns the estimator was fitted on.

    Returns
    -------
    X_new : dask.array.Array or dask.dataframe.DataFrame
        The lazy result, float64, one block (partition) per block
        (partition) of ``X``: call ``.compute()``, ``.to_zarr(...)`` or
        ``.to_parquet(...)`` to run it. A DataFrame keeps the index of ``X``
        and gets the estimator's output feature names as columns.

    See Also
    --------
    sklearn.base.TransformerMixin.transform : The in-memory transform.

    Examples
    --------
    >>> import dask.array as da
    >>> import numpy as np
    >>> from skmanifold_attn import LocallyLinearEmbedding
    >>> from skmanifold_attn.utils import dask_transform
    >>> rng = np.random.RandomState(0)
    >>> lle = LocallyLinearEmbedding(n_neighbors=8).fit(rng.uniform(size=(300, 3)))
    >>> X = da.from_array(rng.uniform(size=(1000, 3)), chunks=(250, 3))
    >>> Y = dask_transform(lle, X)
    >>> Y.chunks
    ((250, 250, 250, 250), (2,))
    >>> np.array_equal(Y.compute(), lle.transform(X.compute()))
    True
    """
    import dask.array as da

    check_is_fitted(estimator)
    n_out, columns = _n_features_out(estimator)
    shared = _shared_model(estimator)
    if isinstance(X, da.Array):
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D Dask array, got {X.ndim} dimension(s).")
        if X.numblocks[1] != 1:
            raise ValueError(
                "The Dask array is chunked along the features (its blocks split "
                f"the {X.shape[1]} columns into {X.numblocks[1]} parts), but each "
                "block is transformed on its own and needs whole rows: chunk it "
                "along the rows only, for example X.rechunk({1: -1})."
            )
        return da.map_blocks(
            _transform_block,
            X,
            shared,
            dtype=np.float64,
            chunks=(X.chunks[0], (n_out,)),
            meta=np.empty((0, n_out), dtype=np.float64),
        )
    try:
        import dask.dataframe as dd
    except ImportError:  # pragma: no cover - dask without its dataframe part
        dd = None
    if dd is not None and isinstance(X, dd.DataFrame):
        import pandas as pd

        meta = pd.DataFrame(
            {name: pd.Series(dtype=np.float64) for name in columns},
            index=X._meta.index,
        )
        return X.map_partitions(_transform_partition, shared, columns, meta=meta)
    raise TypeError(
        "dask_transform expects a dask.array.Array or a dask.dataframe.DataFrame; "
        f"got {type(X).__name__}. Call estimator.transform on in-memory data."
    )
