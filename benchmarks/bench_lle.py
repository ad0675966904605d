"""LocallyLinearEmbedding: ours against scikit-learn's, side by side.

Swiss roll, 3 features, ``n_neighbors=12``, ``n_components=2`` (the issue's
targets):

- ``standard``: the standard method at ``--n-standard`` points (200,000);
- ``methods``: modified, hessian and ltsa at ``--n-methods`` points (10,000);
- ``million``: the standard method alone at ``--n-million`` points (1,000,000);
- ``transform``: ``transform`` of ``--n-transform`` new points (100,000) by
  models fitted on ``--n-train`` points.

Every timed run happens in a fresh subprocess so its peak resident memory is
its own; the table prints times, ratios (sklearn time / ours), reconstruction
errors, the orthogonal-Procrustes residual between the two embeddings and peak
memory. ``--smoke`` runs tiny sizes in-process (a few seconds).

Examples::

    python benchmarks/bench_lle.py --parts standard --n-standard 50000
    python benchmarks/bench_lle.py --parts methods --methods hessian,ltsa
    python benchmarks/bench_lle.py --parts million --timeout 600
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


def _estimator(impl, method, eigen_solver="auto"):
    if impl == "sklearn":
        from sklearn.manifold import LocallyLinearEmbedding
    else:
        sys.path.insert(0, str(ROOT))
        from skmanifold_attn import LocallyLinearEmbedding
    return LocallyLinearEmbedding(
        n_neighbors=N_NEIGHBORS,
        n_components=N_COMPONENTS,
        method=method,
        eigen_solver=eigen_solver,
        random_state=0,
    )


def _swiss_roll(n, seed=0):
    from sklearn.datasets import make_swiss_roll

    return make_swiss_roll(n, random_state=seed)[0]


def run_case(case):
    """One timed run; returns a dict (also the worker's JSON output)."""
    impl, kind, method, n = case["impl"], case["kind"], case["method"], case["n"]
    if kind == "fit":
        X = _swiss_roll(n)
        est = _estimator(impl, method)
        start = time.perf_counter()
        est.fit(X)
        seconds = time.perf_counter() - start
        error = float(est.reconstruction_error_)
        result = est.embedding_
    else:
        X = _swiss_roll(case["n_train"])
        X_new = _swiss_roll(n, seed=1)
        est = _estimator(impl, method).fit(X)
        start = time.perf_counter()
        result = est.transform(X_new)
        seconds = time.perf_counter() - start
        error = float("nan")
        # Rotate into the sklearn model's frame later: keep the embedding.
        np.save(case["out"] + ".train.npy", est.embedding_)
    np.save(case["out"], result)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # GiB
    return {"seconds": seconds, "error": error, "peak_gib": peak}


def _run(case, in_process, timeout):
    if in_process:
        return run_case(case)
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--worker", json.dumps(case)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"seconds": float("inf"), "error": float("nan"), "peak_gib": None}
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr[-3000:])
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _procrustes(Y, reference):
    from scipy.linalg import orthogonal_procrustes

    R, _ = orthogonal_procrustes(Y, reference)
    return np.linalg.norm(Y @ R - reference) / np.linalg.norm(reference)


def _compare(name, ours_case, ref_case, args, tmp):
    ours = _run(ours_case, args.smoke, args.timeout)
    ref = None if args.no_sklearn else _run(ref_case, args.smoke, args.timeout)
    row = {"case": name, "ours_s": ours["seconds"], "ours_peak": ours["peak_gib"]}
    if ref is not None and np.isfinite(ref["seconds"]):
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
            procrustes=residual,
            sklearn_peak=ref["peak_gib"],
            error_ours=ours["error"],
            error_sklearn=ref["error"],
        )
    elif ref is not None:
        row.update(sklearn_s=ref["seconds"], ratio=float("inf"))
    row.setdefault("error_ours", ours["error"])
    _print_row(row)
    return row


def _fmt(value, spec):
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "-".rjust(int(spec.split(".")[0]))
    return format(value, spec)


def _print_row(row):
    print(
        f"{row['case']:<28} {_fmt(row['ours_s'], '9.2f')} "
        f"{_fmt(row.get('sklearn_s'), '11.2f')} {_fmt(row.get('ratio'), '7.1f')} "
        f"{_fmt(row.get('procrustes'), '11.1e')} "
        f"{_fmt(row.get('error_ours'), '11.3e')} "
        f"{_fmt(row.get('error_sklearn'), '11.3e')} "
        f"{_fmt(row.get('ours_peak'), '9.2f')} {_fmt(row.get('sklearn_peak'), '9.2f')}",
        flush=True,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds")
    parser.add_argument(
        "--parts",
        default="standard,methods,million,transform",
        help="comma-separated subset of standard,methods,million,transform",
    )
    parser.add_argument("--methods", default="modified,hessian,ltsa")
    parser.add_argument("--n-standard", type=int, default=200_000)
    parser.add_argument("--n-methods", type=int, default=10_000)
    parser.add_argument("--n-million", type=int, default=1_000_000)
    parser.add_argument("--n-transform", type=int, default=100_000)
    parser.add_argument("--n-train", type=int, default=10_000)
    parser.add_argument("--no-sklearn", action="store_true", help="ours only")
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds per timed run"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(json.dumps(run_case(json.loads(args.worker))))
        return
    if args.smoke:
        args.n_standard, args.n_methods, args.n_million = 3000, 600, 5000
        args.n_transform, args.n_train = 3000, 1000
    parts = args.parts.split(",")
    print(
        f"swiss roll, 3 features, n_neighbors={N_NEIGHBORS}, "
        f"n_components={N_COMPONENTS}, eigen_solver='auto' for both; "
        f"{os.cpu_count()} CPUs; ratio = sklearn time / ours"
    )
    print(
        f"{'case':<28} {'ours (s)':>9} {'sklearn (s)':>11} {'ratio':>7} "
        f"{'procrustes':>11} {'err ours':>11} {'err sklearn':>11} "
        f"{'peak GiB':>9} {'sk peak':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:

        def cases(kind, method, n, **extra):
            return [
                dict(
                    impl=impl,
                    kind=kind,
                    method=method,
                    n=n,
                    out=str(Path(tmp) / f"{impl}-{kind}-{method}-{n}"),
                    **extra,
                )
                for impl in ("ours", "sklearn")
            ]

        if "standard" in parts:
            _compare(
                f"standard N={args.n_standard}",
                *cases("fit", "standard", args.n_standard),
                args,
                tmp,
            )
        if "methods" in parts:
            for method in args.methods.split(","):
                _compare(
                    f"{method} N={args.n_methods}",
                    *cases("fit", method, args.n_methods),
                    args,
                    tmp,
                )
        if "million" in parts:
            ours, _ = cases("fit", "standard", args.n_million)
            row = {"case": f"standard N={args.n_million} (ours)"}
            result = _run(ours, args.smoke, args.timeout)
            row.update(
                ours_s=result["seconds"],
                ours_peak=result["peak_gib"],
                error_ours=result["error"],
            )
            _print_row(row)
        if "transform" in parts:
            _compare(
                f"transform {args.n_transform} new",
                *cases("transform", "standard", args.n_transform, n_train=args.n_train),
                args,
                tmp,
            )
    print("(peak GiB: peak resident memory of the run's own process)")


if __name__ == "__main__":
    main()
