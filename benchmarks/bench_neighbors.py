"""Neighbour backends on high-dimensional data, and transform on a Dask cluster.

Data: the swiss roll (a 2-D manifold) rotated into ``--dim`` (784) dimensions
plus Gaussian noise of standard deviation 0.01; ``n_neighbors=12``,
``n_components=2``. Parts (``--parts``):

- ``knn``: each point's 12 nearest others by scikit-learn's exact brute force
  (``'brute'``, what scikit-learn's ``'auto'`` picks at this width), by ours
  (``'auto'``: the exact brute force screened in float32 and decided in
  float64) and by the approximate backend ('hnswlib'): time and recall against
  scikit-learn's exact neighbours;
- ``lle``: ``LocallyLinearEmbedding`` fit, ours with exact (``'auto'``) and
  with approximate neighbours, and scikit-learn's: time, ratio (sklearn time /
  ours), reconstruction error and its ratio to sklearn's, peak memory;
- ``le``: ``LaplacianEigenmaps`` (exact, approximate) against scikit-learn's
  ``SpectralEmbedding``, with the Procrustes residual to sklearn's embedding;
- ``dask``: an LLE fitted on ``--n-fit`` points of the 3-D swiss roll
  transforms ``--n-dask`` new rows, generated block by block on a
  ``LocalCluster`` of ``--workers`` single-threaded processes (the data never
  exists on one machine): rows per second, peak worker memory, and the rate of
  the in-memory transform of one block for comparison.

Every timed fit runs in a fresh subprocess, one BLAS thread, under a memory
limit (``--memory-gib``), so its peak resident memory is its own and a run that
would exhaust the machine fails alone. The load average is printed next to
every figure. ``--smoke`` runs tiny sizes (seconds).

Examples::

    python benchmarks/bench_neighbors.py --smoke
    python benchmarks/bench_neighbors.py --parts knn,lle,le --n 20000
    python benchmarks/bench_neighbors.py --parts dask --n-fit 200000 --n-dask 4000000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_NEIGHBORS = 12
N_COMPONENTS = 2


def high_dimensional(n, dim, seed=0):
    """The swiss roll rotated into ``dim`` dimensions, plus 0.01 noise."""
    from sklearn.datasets import make_swiss_roll

    rng = np.random.RandomState(seed)
    basis, _ = np.linalg.qr(rng.standard_normal((dim, 3)))
    X = make_swiss_roll(n, random_state=seed)[0] @ basis.T
    X += 0.01 * rng.standard_normal(X.shape)
    return X


def _load():
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def run_case(case):
    """One timed run in this process; returns a dict."""
    sys.path.insert(0, str(ROOT))
    X = high_dimensional(case["n"], case["dim"])
    part, impl = case["part"], case["impl"]
    start, cpu_start = time.perf_counter(), time.process_time()
    error = float("nan")
    if part == "knn":
        from skmanifold_attn.manifold._neighbors import build_index

        index = build_index(impl, X, N_NEIGHBORS + 1, random_state=0)
        result = index.training_neighbors(N_NEIGHBORS)
    elif part == "lle":
        if impl == "sklearn":
            from sklearn.manifold import LocallyLinearEmbedding as LLE

            est = LLE(n_neighbors=N_NEIGHBORS, random_state=0)
        else:
            from skmanifold_attn import LocallyLinearEmbedding as LLE

            est = LLE(n_neighbors=N_NEIGHBORS, neighbors_algorithm=impl, random_state=0)
        result = est.fit_transform(X)
        error = float(est.reconstruction_error_)
    else:
        if impl == "sklearn":
            from sklearn.manifold import SpectralEmbedding

            est = SpectralEmbedding(n_neighbors=N_NEIGHBORS, random_state=0)
        else:
            from skmanifold_attn import LaplacianEigenmaps

            est = LaplacianEigenmaps(
                n_neighbors=N_NEIGHBORS, neighbors_algorithm=impl, random_state=0
            )
        result = est.fit_transform(X)
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    np.save(case["out"], result)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "error": error,
        "peak_gib": peak,
        "load": _load(),
    }


def _limit_memory(gib):
    def apply():
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _run(case, args):
    if args.smoke:
        return run_case(case)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env["MKL_NUM_THREADS"] = "1"
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps(case)],
            capture_output=True,
            text=True,
            timeout=args.timeout,
            env=env,
            preexec_fn=_limit_memory(args.memory_gib),
        )
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "failed": "timeout", "load": _load()}
    if completed.returncode != 0:
        tail = completed.stderr.strip().splitlines()[-1:] or ["?"]
        return {"seconds": float("nan"), "failed": tail[0][:60], "load": _load()}
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _recall(found, exact):
    hits = sum(np.intersect1d(a, b).size for a, b in zip(found, exact, strict=True))
    return hits / exact.size


def _procrustes(Y, reference):
    from scipy.linalg import orthogonal_procrustes

    R, _ = orthogonal_procrustes(Y, reference)
    return float(np.linalg.norm(Y @ R - reference) / np.linalg.norm(reference))


def _fmt(value, spec):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-".rjust(int(spec.split(".")[0]))
    return format(value, spec)


def _table(title, rows, reference):
    print(f"\n{title}")
    print(
        f"{'run':<22} {'seconds':>8} {'ratio':>7} {'recall':>7} {'error':>10} "
        f"{'err ratio':>9} {'procrustes':>10} {'peak GiB':>8} {'CPU s':>7} "
        f"{'CPU ratio':>9}  load (1/5/15 min)"
    )
    ref = rows.get(reference, {})
    for name, row in rows.items():
        ratio = ref.get("seconds", np.nan) / row.get("seconds", np.nan)
        err_ratio = row.get("error", np.nan) / ref.get("error", np.nan)
        # One thread per run: under load the CPU-time ratio is the steadier.
        cpu_ratio = ref.get("cpu_seconds", np.nan) / row.get("cpu_seconds", np.nan)
        print(
            f"{name:<22} {_fmt(row.get('seconds'), '8.2f')} {_fmt(ratio, '7.2f')} "
            f"{_fmt(row.get('recall'), '7.4f')} {_fmt(row.get('error'), '10.3e')} "
            f"{_fmt(err_ratio, '9.4f')} {_fmt(row.get('procrustes'), '10.1e')} "
            f"{_fmt(row.get('peak_gib'), '8.2f')} "
            f"{_fmt(row.get('cpu_seconds'), '7.2f')} {_fmt(cpu_ratio, '9.2f')}  "
            f"{row.get('load', '')}"
            + (f"  FAILED: {row['failed']}" if "failed" in row else ""),
            flush=True,
        )


def bench_part(part, impls, args, tmp):
    rows = {}
    for impl in impls:
        case = dict(
            part=part, impl=impl, n=args.n, dim=args.dim, out=str(Path(tmp) / impl)
        )
        rows[impl] = _run(case, args)
    results = {
        impl: np.load(str(Path(tmp) / impl) + ".npy")
        for impl, row in rows.items()
        if "failed" not in row
    }
    if part == "knn":
        exact = results.get("brute")
        for impl, found in results.items():
            if exact is not None:
                rows[impl]["recall"] = _recall(found, exact)
    elif "sklearn" in results:
        for impl, Y in results.items():
            rows[impl]["procrustes"] = _procrustes(Y, results["sklearn"])
    names = {
        "brute": "sklearn brute, exact",
        "auto": "ours auto, exact f32",
        "hnswlib": "hnswlib",
    }
    if part != "knn":
        names = {
            "auto": "ours auto, exact f32",
            "hnswlib": "ours, hnswlib",
            "sklearn": "sklearn",
        }
    reference = "sklearn" if part != "knn" else "brute"
    titles = {
        "knn": "12 nearest neighbours of every point (ratio: sklearn brute time / "
        "this; 'exact f32': the float32-screened exact brute force)",
        "lle": "LocallyLinearEmbedding fit (ratio: sklearn time / this; err ratio: "
        "this error / sklearn's)",
        "le": "LaplacianEigenmaps fit vs SpectralEmbedding (ratio: sklearn time / "
        "this; procrustes: residual to sklearn's embedding)",
    }
    _table(
        titles[part],
        {names[impl]: row for impl, row in rows.items()},
        names[reference],
    )
    return rows


def _swiss_block(block_info=None, dim=3):
    from sklearn.datasets import make_swiss_roll

    location = block_info[None]["array-location"][0]
    n = location[1] - location[0]
    # One seed per block: the rows are random but reproducible.
    return make_swiss_roll(n, random_state=1 + location[0] // max(n, 1))[0]


def bench_dask(args):
    import dask.array as da
    from dask.distributed import Client, LocalCluster
    from sklearn.datasets import make_swiss_roll

    sys.path.insert(0, str(ROOT))
    from skmanifold_attn import LocallyLinearEmbedding
    from skmanifold_attn.utils import dask_transform

    def peak_gib():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20

    n_blocks = -(-args.n_dask // args.chunk)
    chunks = ((args.chunk,) * (args.n_dask // args.chunk),)
    if args.n_dask % args.chunk:
        chunks = (chunks[0] + (args.n_dask % args.chunk,),)
    rows = da.map_blocks(
        _swiss_block, chunks=(chunks[0], (3,)), dtype=np.float64, meta=np.empty((0, 3))
    )
    # The cluster starts before the fit: workers forked from a process that
    # already holds the fit's memory would report that memory as their own.
    with (
        LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            memory_limit=f"{args.worker_gib}GiB",
        ) as cluster,
        Client(cluster) as client,
    ):
        start_peaks = client.run(peak_gib)
        X = make_swiss_roll(args.n_fit, random_state=0)[0]
        start = time.perf_counter()
        lle = LocallyLinearEmbedding(n_neighbors=N_NEIGHBORS, random_state=0).fit(X)
        fit_seconds = time.perf_counter() - start
        print(
            f"\nLLE fit on {args.n_fit} swiss-roll points: {fit_seconds:.1f} s "
            f"(load {_load()})"
        )
        block = make_swiss_roll(args.chunk, random_state=12345)[0]
        start = time.perf_counter()
        lle.transform(block)
        local_rate = args.chunk / (time.perf_counter() - start)
        print(
            f"in-memory transform of one block of {args.chunk}: "
            f"{local_rate:,.0f} rows/s (load {_load()})"
        )
        lazy = dask_transform(lle, rows)
        start = time.perf_counter()
        # Reduce on the workers: only two numbers per block come back.
        total = client.compute(lazy.sum(axis=0)).result()
        seconds = time.perf_counter() - start
        peaks = client.run(peak_gib)
    print(
        f"dask transform of {args.n_dask:,} rows in {n_blocks} blocks of "
        f"{args.chunk} on {args.workers} worker processes x 1 thread: "
        f"{seconds:.1f} s, {args.n_dask / seconds:,.0f} rows/s "
        f"({args.n_dask / seconds / args.workers:,.0f} per worker; load {_load()}); "
        f"peak worker memory {max(peaks.values()):.2f} GiB "
        f"({max(start_peaks.values()):.2f} GiB before the first task); sum of output "
        f"{np.round(total, 3)}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    parser.add_argument("--parts", default="knn,lle,le,dask")
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--dim", type=int, default=784)
    parser.add_argument("--n-fit", type=int, default=200_000)
    parser.add_argument("--n-dask", type=int, default=4_000_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-gib", type=float, default=1.5)
    parser.add_argument("--memory-gib", type=float, default=4.0)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_case(json.loads(args.worker))))
        return
    if args.smoke:
        args.n, args.dim = 1500, 64
        args.n_fit, args.n_dask, args.chunk = 2000, 40_000, 10_000
    try:
        import hnswlib  # noqa: F401

        approximate = ["hnswlib"]
    except ImportError:
        print("hnswlib not installed (pip install 'skmanifold-attn[ann]'): exact only")
        approximate = []
    parts = args.parts.split(",")
    print(
        f"N={args.n}, {args.dim} features (2-D manifold + 0.01 noise), "
        f"n_neighbors={N_NEIGHBORS}, one BLAS thread per run, {os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory() as tmp:
        if "knn" in parts:
            bench_part("knn", ["brute", "auto", *approximate], args, tmp)
        if "lle" in parts:
            bench_part("lle", ["auto", *approximate, "sklearn"], args, tmp)
        if "le" in parts:
            bench_part("le", ["auto", *approximate, "sklearn"], args, tmp)
    if "dask" in parts:
        bench_dask(args)
    print("(peak GiB: peak resident memory of the run's own process)")


if __name__ == "__main__":
    main()
