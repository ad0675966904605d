"""Trustworthiness: ours against scikit-learn's, side by side.

Swiss roll (3 features) against a faithful 2-D embedding of it (arc length
along the roll and height, plus 1% noise) or, with ``--embedding pca``, its
first two principal components (the roll crushed flat), ``n_neighbors=10``.
scikit-learn's ``trustworthiness`` sorts an ``n x n`` distance matrix (and
keeps three of them: about 24 n^2 bytes, 60 GB at 50,000 rows); ours queries
neighbours in chunks (memory O(n k)).

Every run happens in a fresh subprocess under an address-space limit
(``--memory-limit-gib``, 4 by default, so that scikit-learn's cases cannot
take the machine down); a run that exceeds it is reported as "out of memory
at this limit". The table gives time, peak resident memory, the value (the
two agree to 1e-12 where both run), the time ratio sklearn / ours and the
load average at the end of each run. ``--smoke`` runs tiny sizes.

Examples::

    python benchmarks/bench_metrics.py
    python benchmarks/bench_metrics.py --sizes 5000,20000 --ours-only 200000
    python benchmarks/bench_metrics.py --embedding pca --sizes 5000
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
N_NEIGHBORS = 10


def _data(n, embedding):
    from sklearn.datasets import make_swiss_roll

    X, t = make_swiss_roll(n, random_state=0)
    if embedding == "pca":
        from sklearn.decomposition import PCA

        return X, PCA(n_components=2).fit_transform(X)
    arc = 0.5 * (t * np.sqrt(1 + t * t) + np.arcsinh(t))
    E = np.c_[arc, X[:, 1]]
    return X, E + 0.01 * E.std(axis=0) * np.random.RandomState(1).randn(n, 2)


def _worker(impl, n, embedding):
    X, E = _data(n, embedding)
    if impl == "sklearn":
        from sklearn.manifold import trustworthiness
    else:
        sys.path.insert(0, str(ROOT))
        from skmanifold_attn.metrics import trustworthiness
    start = time.perf_counter()
    try:
        value = trustworthiness(X, E, n_neighbors=N_NEIGHBORS)
    except MemoryError:
        print(json.dumps({"oom": True}))
        return
    elapsed = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"time": elapsed, "value": value, "peak_mib": peak_mib}))


def _run(impl, n, args):
    limit = int(args.memory_limit_gib * 2**30)

    def set_limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, __file__, "--worker", impl, str(n), args.embedding]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            preexec_fn=set_limit,
            timeout=args.timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"over {args.timeout} s"}
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0 and lines:
        result = json.loads(lines[-1])
        if result.get("oom"):
            return {"error": "out of memory at this limit"}
        return result
    if "MemoryError" in done.stderr or "Unable to allocate" in done.stderr:
        return {"error": "out of memory at this limit"}
    return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:60]}


def _row(n, impl, result, ratio=""):
    load = "{:.1f}/{:.1f}/{:.1f}".format(*os.getloadavg())
    if "error" in result:
        print(f"{n:>8} {impl:>8} {result['error']:>48} {'':>8} {load:>15}")
    else:
        print(
            f"{n:>8} {impl:>8} {result['time']:>10.2f} {result['peak_mib']:>10.0f} "
            f"{result['value']:>26.15f} {ratio:>8} {load:>15}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,20000,50000")
    parser.add_argument("--ours-only", default="200000")
    parser.add_argument("--embedding", choices=["unrolled", "pca"], default="unrolled")
    parser.add_argument("--memory-limit-gib", type=float, default=4.0)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, n, embedding = args.worker
        _worker(impl, int(n), embedding)
        return
    if args.smoke:
        args.sizes, args.ours_only = "400,800", "3000"
    sizes = [int(s) for s in args.sizes.split(",") if s]
    ours_only = [int(s) for s in args.ours_only.split(",") if s]
    print(
        f"trustworthiness, swiss roll vs {args.embedding} embedding, "
        f"n_neighbors={N_NEIGHBORS}, address-space limit "
        f"{args.memory_limit_gib:g} GiB per run, {os.cpu_count()} CPUs"
    )
    print(
        f"{'n':>8} {'impl':>8} {'time (s)':>10} {'peak MiB':>10} {'value':>26} "
        f"{'ratio':>8} {'load 1/5/15':>15}"
    )
    for n in sizes:
        ours = _run("ours", n, args)
        _row(n, "ours", ours)
        reference = _run("sklearn", n, args)
        ratio = ""
        if "error" not in reference and "error" not in ours:
            ratio = f"{reference['time'] / ours['time']:.1f}x"
            if abs(reference["value"] - ours["value"]) > 1e-12:
                ratio += " DIFF"
        _row(n, "sklearn", reference, ratio)
    for n in ours_only:
        _row(n, "ours", _run("ours", n, args))
    print("ratio: sklearn time / ours, side by side in the same run")


if __name__ == "__main__":
    main()
