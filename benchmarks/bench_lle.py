"""LocallyLinearEmbedding: ours against scikit-learn's, side by side.

``n_neighbors=12``, ``n_components=2``, ``eigen_solver='auto'`` on both sides,
one BLAS/OpenMP thread per process (``--threads``):

- ``standard``: the standard method on a swiss roll at ``--n-standard`` points
  (200,000);
- ``methods``: modified, hessian and ltsa at each of ``--n-methods`` (10,000);
- ``million``: the standard method at ``--n-million`` points (1,000,000);
  scikit-learn runs too, under the memory limit ``--sklearn-memory-gib``;
- ``transform``: ``transform`` of ``--n-transform`` new points (100,000) by
  models fitted on ``--n-train`` points;
- ``highdim``: the swiss roll rotated into 784 dimensions plus Gaussian noise
  (standard deviation 0.01 per feature), at each of ``--n-highdim`` (20,000
  and 70,000);
- ``gaussian``: data with no low-dimensional structure, ``--n-gaussian``
  (20,000) standard Gaussian rows in 20 dimensions, ``n_neighbors=15``, at
  each ``n_components`` of ``--gaussian-components`` (2 to 20); the sparse
  factor fills in here, so every fit takes minutes on both sides.

Every timed run happens in a fresh subprocess so its peak resident memory is
its own (data generation included, the same on both sides); each side runs
``--repeats`` times (3) and the table prints the medians, the ratio (sklearn
time / ours), the 1-minute load average during the runs (the machine may be
shared: a load above the number of CPUs slows both sides), reconstruction
errors, the orthogonal-Procrustes residual between the two embeddings and
peak memory. Below each of our fits, where the time went: neighbour search
(``knn``), local weights or alignment blocks (``weights``), the fill-reducing
ordering, the sparse LU (``factor``) and the ARPACK iterations (``eigen``).
``--smoke`` runs tiny sizes once each, in a few seconds (for CI).

Examples::

    python benchmarks/bench_lle.py --parts standard --n-standard 50000
    python benchmarks/bench_lle.py --parts methods --n-methods 10000,50000
    python benchmarks/bench_lle.py --parts highdim --n-highdim 20000
    python benchmarks/bench_lle.py --parts million --timeout 900
    python benchmarks/bench_lle.py --parts gaussian --gaussian-components 2,6,20
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
HIGHDIM_FEATURES = 784
HIGHDIM_NOISE = 0.01
GAUSSIAN_FEATURES = 20
GAUSSIAN_NEIGHBORS = 15
STAGES = ("knn", "weights", "ordering", "factor", "eigen")


def _estimator(
    impl,
    method,
    eigen_solver="auto",
    n_neighbors=N_NEIGHBORS,
    n_components=N_COMPONENTS,
):
    if impl == "sklearn":
        from sklearn.manifold import LocallyLinearEmbedding
    else:
        sys.path.insert(0, str(ROOT))
        from skmanifold_attn import LocallyLinearEmbedding
    return LocallyLinearEmbedding(
        n_neighbors=n_neighbors,
        n_components=n_components,
        method=method,
        eigen_solver=eigen_solver,
        random_state=0,
    )


def make_data(kind, n, seed=0):
    """The swiss roll (``kind='swiss'``), its noisy 784-D embedding or Gaussian rows."""
    from sklearn.datasets import make_swiss_roll

    if kind == "gaussian":
        return np.random.RandomState(seed).standard_normal((n, GAUSSIAN_FEATURES))

    X = make_swiss_roll(n, random_state=seed)[0]
    if kind == "swiss":
        return X
    rng = np.random.RandomState(seed)
    rotation = np.linalg.qr(rng.standard_normal((HIGHDIM_FEATURES, 3)))[0]
    wide = X @ rotation.T
    for start in range(0, n, 10_000):  # the noise in chunks: bounded memory
        stop = min(n, start + 10_000)
        wide[start:stop] += HIGHDIM_NOISE * rng.standard_normal(
            (stop - start, HIGHDIM_FEATURES)
        )
    return wide


class _StageTimer:
    """Accumulates the time spent in named functions of our modules."""

    def __init__(self):
        self.seconds = dict.fromkeys(STAGES, 0.0)
        self.originals = []

    def wrap(self, module, name, stage):
        # A renamed function must fail the run, not read 0 silently.
        function = getattr(module, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[stage] += time.perf_counter() - start

        self.originals.append((module, name, function))
        setattr(module, name, timed)

    def wrap_index(self, module, stage):
        """Time ``module.build_index`` and the built index's queries."""
        build = module.build_index
        seconds = self.seconds

        def timed_build(*args, **kwargs):
            start = time.perf_counter()
            index = build(*args, **kwargs)
            seconds[stage] += time.perf_counter() - start
            query = index.training_neighbors

            def timed_query(*query_args, **query_kwargs):
                start = time.perf_counter()
                try:
                    return query(*query_args, **query_kwargs)
                finally:
                    seconds[stage] += time.perf_counter() - start

            index.training_neighbors = timed_query
            return index

        self.originals.append((module, "build_index", build))
        module.build_index = timed_build

    def uninstall(self):
        for module, name, function in reversed(self.originals):
            setattr(module, name, function)

    def install(self):
        sys.path.insert(0, str(ROOT))
        from skmanifold_attn.manifold import _eigen, _lle_embedding

        self.wrap_index(_lle_embedding, "knn")
        for name in ("barycenter_weights", "weight_matrix", "_alignment_matrix"):
            self.wrap(_lle_embedding, name, "weights")
        self.wrap(_eigen, "nested_dissection", "ordering")
        self.wrap(_eigen, "splu", "factor")
        self.wrap(_eigen, "eigsh", "eigen")


def run_case(case, worker=False):
    """One timed run; returns a dict (also the worker's JSON output)."""
    impl, kind, method, n = case["impl"], case["kind"], case["method"], case["n"]
    limit = case.get("memory_gib")
    if limit and worker:
        bytes_ = int(limit * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (bytes_, bytes_))
    from threadpoolctl import threadpool_limits

    stages = None
    if impl == "ours" and kind == "fit":
        stages = _StageTimer()
        stages.install()
    with threadpool_limits(limits=case.get("threads")):
        if kind == "fit":
            X = make_data(case["data"], n)
            est = _estimator(
                impl,
                method,
                n_neighbors=case.get("n_neighbors", N_NEIGHBORS),
                n_components=case.get("n_components", N_COMPONENTS),
            )
            start, cpu_start = time.perf_counter(), time.process_time()
            est.fit(X)
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
            error = float(est.reconstruction_error_)
            result = est.embedding_
        else:
            X = make_data(case["data"], case["n_train"])
            X_new = make_data(case["data"], n, seed=1)
            est = _estimator(impl, method).fit(X)
            start, cpu_start = time.perf_counter(), time.process_time()
            result = est.transform(X_new)
            seconds = time.perf_counter() - start
            cpu_seconds = time.process_time() - cpu_start
            error = float("nan")
            # Rotate into the sklearn model's frame later: keep the embedding.
            np.save(case["out"] + ".train.npy", est.embedding_)
    if stages is not None:
        stages.uninstall()
    np.save(case["out"], result)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "error": error,
        "peak_gib": peak,
        "load": os.getloadavg()[0],
        "stages": None if stages is None else stages.seconds,
    }


def _failed(reason):
    return {
        "seconds": float("inf"),
        "cpu_seconds": float("inf"),
        "error": float("nan"),
        "peak_gib": None,
        "load": os.getloadavg()[0],
        "stages": None,
        "failed": reason,
    }


def _run(case, in_process, timeout):
    if in_process:
        return run_case(case)
    env = dict(os.environ)
    if case.get("threads"):
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(case["threads"])
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps(case)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return _failed(f"timeout {timeout:.0f} s")
    if completed.returncode != 0:
        if any(
            sign in completed.stderr
            for sign in (
                "MemoryError",
                "Unable to allocate",
                "Can't expand MemType",
                "SUPERLU_MALLOC fails",
            )
        ):
            return _failed(f"MemoryError under {case.get('memory_gib')} GiB")
        raise RuntimeError(completed.stderr[-3000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _repeat(case, args):
    """Median over ``args.repeats`` runs (a failed run ends the series)."""
    runs = []
    for _ in range(args.repeats):
        result = _run(case, args.smoke, args.timeout)
        runs.append(result)
        if "failed" in result:
            break
    ok = [r for r in runs if "failed" not in r]
    if not ok:
        return runs[-1]
    median = dict(ok[len(ok) // 2] if len(ok) % 2 else ok[0])
    median["seconds"] = float(np.median([r["seconds"] for r in ok]))
    median["cpu_seconds"] = float(np.median([r["cpu_seconds"] for r in ok]))
    median["load"] = float(np.median([r["load"] for r in runs]))
    median["peak_gib"] = max(r["peak_gib"] for r in ok)
    median["runs"] = len(ok)
    if ok[0]["stages"] is not None:
        median["stages"] = {
            s: float(np.median([r["stages"][s] for r in ok])) for s in STAGES
        }
    return median


def _procrustes(Y, reference):
    from scipy.linalg import orthogonal_procrustes

    R, _ = orthogonal_procrustes(Y, reference)
    return np.linalg.norm(Y @ R - reference) / np.linalg.norm(reference)


def _compare(name, ours_case, ref_case, args, rows):
    ours = _repeat(ours_case, args)
    ref = None if args.no_sklearn else _repeat(ref_case, args)
    row = {
        "case": name,
        "ours_s": ours["seconds"],
        "ours_cpu": ours["cpu_seconds"],
        "ours_peak": ours["peak_gib"],
        "load": ours["load"],
        "error_ours": ours["error"],
        "stages": ours.get("stages"),
    }
    if ref is not None and "failed" not in ref and "failed" not in ours:
        Y, Y_ref = np.load(ours_case["out"] + ".npy"), np.load(ref_case["out"] + ".npy")
        if ours_case["kind"] == "transform":
            # Align the new points with the rotation between the two fits.
            from scipy.linalg import orthogonal_procrustes

            R, _ = orthogonal_procrustes(
                np.load(ours_case["out"] + ".train.npy"),
                np.load(ref_case["out"] + ".train.npy"),
            )
            residual = np.linalg.norm(Y @ R - Y_ref) / np.linalg.norm(Y_ref)
        else:
            residual = _procrustes(Y, Y_ref)
        row.update(
            sklearn_s=ref["seconds"],
            ratio=ref["seconds"] / ours["seconds"],
            sklearn_cpu=ref["cpu_seconds"],
            cpu_ratio=ref["cpu_seconds"] / ours["cpu_seconds"],
            procrustes=residual,
            sklearn_peak=ref["peak_gib"],
            error_sklearn=ref["error"],
            load_sklearn=ref["load"],
        )
    elif ref is not None:
        row.update(sklearn_note=ref.get("failed"), load_sklearn=ref["load"])
    if "failed" in ours:
        row["ours_note"] = ours["failed"]
    _print_row(row)
    rows.append(row)
    return row


def _fmt(value, spec):
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "-".rjust(int(spec.split(".")[0]))
    return format(value, spec)


def _print_row(row):
    print(
        f"{row['case']:<30} {_fmt(row['ours_s'], '9.2f')} "
        f"{_fmt(row.get('sklearn_s'), '11.2f')} {_fmt(row.get('ratio'), '7.1f')} "
        f"{_fmt(row.get('load'), '5.1f')}/{_fmt(row.get('load_sklearn'), '4.1f')} "
        f"{_fmt(row.get('procrustes'), '10.1e')} "
        f"{_fmt(row.get('error_ours'), '10.3e')} "
        f"{_fmt(row.get('error_sklearn'), '10.3e')} "
        f"{_fmt(row.get('ours_peak'), '8.2f')} {_fmt(row.get('sklearn_peak'), '8.2f')}",
        flush=True,
    )
    if row.get("cpu_ratio") is not None:
        # Under load the CPU-time ratio is the steadier of the two.
        print(
            f"    CPU time (s): ours {row['ours_cpu']:.2f}, sklearn "
            f"{row['sklearn_cpu']:.2f}, ratio {row['cpu_ratio']:.1f}",
            flush=True,
        )
    elif np.isfinite(row.get("ours_cpu", np.nan)):
        print(f"    CPU time (s): ours {row['ours_cpu']:.2f}", flush=True)
    for key in ("ours_note", "sklearn_note"):
        if row.get(key):
            print(f"    {key.split('_')[0]}: {row[key]}", flush=True)
    if row.get("stages"):
        stages = row["stages"]
        other = row["ours_s"] - sum(stages.values())
        parts = "  ".join(f"{s} {stages[s]:.2f}" for s in STAGES)
        print(f"    ours by stage (s): {parts}  other {other:.2f}", flush=True)


def _sizes(text):
    return [int(v) for v in str(text).split(",") if v]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    parser.add_argument(
        "--parts",
        default="standard,methods,million,transform,highdim",
        help="comma-separated subset of "
        "standard,methods,million,transform,highdim,gaussian",
    )
    parser.add_argument("--methods", default="modified,hessian,ltsa")
    parser.add_argument("--n-standard", default="200000")
    parser.add_argument("--n-methods", default="10000")
    parser.add_argument("--n-million", default="1000000")
    parser.add_argument("--n-transform", type=int, default=100_000)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--n-highdim", default="20000,70000")
    parser.add_argument("--n-gaussian", default="20000")
    parser.add_argument(
        "--gaussian-components",
        default=",".join(str(c) for c in range(2, 21)),
        help="n_components values of the gaussian part",
    )
    parser.add_argument("--repeats", type=int, default=3, help="runs per side")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument(
        "--sklearn-memory-gib",
        type=float,
        default=6.0,
        help="address-space limit of every sklearn run (GiB)",
    )
    parser.add_argument("--no-sklearn", action="store_true", help="ours only")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per timed run"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(run_case(json.loads(args.worker), worker=True)))
        return
    if args.smoke:
        args.n_standard, args.n_methods, args.n_million = "3000", "600", "5000"
        args.n_transform, args.n_train, args.n_highdim = 3000, 1000, "2000"
        args.n_gaussian, args.gaussian_components = "1500", "2,6"
        args.repeats = 1
    parts = args.parts.split(",")
    print(
        f"n_neighbors={N_NEIGHBORS}, n_components={N_COMPONENTS} (the gaussian "
        f"part: n_neighbors={GAUSSIAN_NEIGHBORS}, n_components in the case's "
        f"name), eigen_solver='auto' for both; {os.cpu_count()} CPUs, "
        f"{args.threads} thread(s) per run; median of {args.repeats} run(s) "
        "per side; ratio = sklearn time / ours; load = 1-min load average "
        "(ours/sklearn)"
    )
    print(
        f"{'case':<30} {'ours (s)':>9} {'sklearn (s)':>11} {'ratio':>7} "
        f"{'load':>10} {'procrustes':>10} {'err ours':>10} {'err sklearn':>10} "
        f"{'peak GiB':>8} {'sk peak':>8}"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:

        def cases(kind, method, n, data="swiss", **extra):
            return [
                dict(
                    impl=impl,
                    kind=kind,
                    method=method,
                    n=n,
                    data=data,
                    threads=args.threads,
                    memory_gib=args.sklearn_memory_gib if impl == "sklearn" else None,
                    out=str(Path(tmp) / f"{impl}-{kind}-{method}-{data}-{n}"),
                    **extra,
                )
                for impl in ("ours", "sklearn")
            ]

        for n in _sizes(args.n_standard) if "standard" in parts else []:
            _compare(f"standard N={n}", *cases("fit", "standard", n), args, rows)
        for n in _sizes(args.n_methods) if "methods" in parts else []:
            for method in args.methods.split(","):
                _compare(f"{method} N={n}", *cases("fit", method, n), args, rows)
        for n in _sizes(args.n_million) if "million" in parts else []:
            _compare(f"standard N={n}", *cases("fit", "standard", n), args, rows)
        if "transform" in parts:
            _compare(
                f"transform {args.n_transform} new",
                *cases("transform", "standard", args.n_transform, n_train=args.n_train),
                args,
                rows,
            )
        for n in _sizes(args.n_highdim) if "highdim" in parts else []:
            _compare(
                f"784-D N={n}",
                *cases("fit", "standard", n, data="highdim"),
                args,
                rows,
            )
        for n in _sizes(args.n_gaussian) if "gaussian" in parts else []:
            for n_components in _sizes(args.gaussian_components):
                _compare(
                    f"gaussian N={n} d={n_components}",
                    *cases(
                        "fit",
                        "standard",
                        n,
                        data="gaussian",
                        n_neighbors=GAUSSIAN_NEIGHBORS,
                        n_components=n_components,
                    ),
                    args,
                    rows,
                )
    print("(peak GiB: peak resident memory of the run's own process)")
    return rows


if __name__ == "__main__":
    main()
