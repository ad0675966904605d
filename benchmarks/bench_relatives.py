"""LLE's relatives: LaplacianEigenmaps against sklearn, and the digits table.

Two parts:

- ``speed``: :class:`~skmanifold_attn.LaplacianEigenmaps` against
  :class:`sklearn.manifold.SpectralEmbedding` on a swiss roll of ``--n``
  points (100,000), ``n_neighbors=10``, ``n_components=2``, side by side in
  one run: fit times, their ratio (sklearn time / ours), the largest
  difference between the two embeddings (each column normalised, sign
  aligned), and the time of ``transform`` on ``--n-new`` new rows (which
  sklearn cannot do).
- ``digits``: 5-fold cross-validated accuracy of a KNeighborsClassifier after
  PCA alone, PCA(30) -> LocalityPreservingProjections, PCA(30) ->
  NeighborhoodPreservingEmbedding and PCA(30) -> LaplacianEigenmaps (its
  Nystrom transform embeds each test fold), at 2, 5 and 10 dimensions, beside
  the reference figures of issue 6 at 5 dimensions.

``--smoke`` runs tiny sizes (a few seconds).

Examples::

    python benchmarks/bench_relatives.py
    python benchmarks/bench_relatives.py --parts speed --n 50000
"""

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

REFERENCE_AT_5 = {"PCA": 0.884, "PCA(30)+LPP": 0.899, "PCA(30)+NPE": 0.876}


def _column_difference(ours, reference):
    worst = 0.0
    for j in range(ours.shape[1]):
        a = ours[:, j] / np.linalg.norm(ours[:, j])
        b = reference[:, j] / np.linalg.norm(reference[:, j])
        worst = max(worst, min(np.abs(a - b).max(), np.abs(a + b).max()))
    return worst


def speed(n, n_new, repeats):
    from sklearn.datasets import make_swiss_roll
    from sklearn.manifold import SpectralEmbedding

    from skmanifold_attn import LaplacianEigenmaps

    X, _ = make_swiss_roll(n + n_new, noise=0.05, random_state=0)
    X, X_new = X[:n], X[n:]
    params = {"n_components": 2, "n_neighbors": 10, "random_state": 0}
    times = {"sklearn": [], "ours": []}
    for _ in range(repeats):
        for name, cls in (
            ("sklearn", SpectralEmbedding),
            ("ours", LaplacianEigenmaps),
        ):
            model = cls(**params)
            start = time.perf_counter()
            embedding = model.fit_transform(X)
            times[name].append(time.perf_counter() - start)
            if name == "sklearn":
                reference = embedding
            else:
                ours = model
    start = time.perf_counter()
    ours.transform(X_new)
    transform_time = time.perf_counter() - start
    sk, us = min(times["sklearn"]), min(times["ours"])
    print(
        f"LaplacianEigenmaps vs sklearn SpectralEmbedding: swiss roll n={n}, "
        f"n_neighbors=10, n_components=2 (best of {repeats})"
    )
    print(f"  sklearn fit_transform   {sk:8.2f} s")
    print(f"  ours    fit_transform   {us:8.2f} s")
    print(f"  speed ratio (sklearn / ours): {sk / us:.2f}")
    print(
        "  largest embedding difference (normalised columns, signs aligned): "
        f"{_column_difference(ours.embedding_, reference):.1e}"
    )
    print(f"  ours transform of {n_new} new rows: {transform_time:.2f} s")
    print()


def digits(cv, dims):
    from sklearn.datasets import load_digits
    from sklearn.decomposition import PCA
    from sklearn.model_selection import cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from skmanifold_attn import (
        LaplacianEigenmaps,
        LocalityPreservingProjections,
        NeighborhoodPreservingEmbedding,
    )

    X, y = load_digits(return_X_y=True)
    rows = {
        "PCA": lambda d: [PCA(n_components=d)],
        "PCA(30)+LPP": lambda d: [
            PCA(n_components=30),
            LocalityPreservingProjections(n_components=d),
        ],
        "PCA(30)+NPE": lambda d: [
            PCA(n_components=30),
            NeighborhoodPreservingEmbedding(n_components=d),
        ],
        "PCA(30)+LaplacianEigenmaps": lambda d: [
            PCA(n_components=30),
            LaplacianEigenmaps(n_components=d, n_neighbors=10, random_state=0),
        ],
    }
    print(
        f"digits ({len(X)} rows): {cv}-fold accuracy of KNeighborsClassifier "
        "(default params) after each projection"
    )
    header = f"  {'pipeline':<28}" + "".join(f"{f'{d} dims':>9}" for d in dims)
    header += f"{'issue ref @5':>14}{'ratio @5':>10}"
    print(header)
    for name, steps in rows.items():
        scores = []
        for d in dims:
            pipeline = make_pipeline(*steps(d), KNeighborsClassifier())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                scores.append(cross_val_score(pipeline, X, y, cv=cv).mean())
        line = f"  {name:<28}" + "".join(f"{s:9.3f}" for s in scores)
        reference = REFERENCE_AT_5.get(name)
        if reference is not None and 5 in dims:
            ours = scores[dims.index(5)]
            line += f"{reference:14.3f}{ours / reference:10.3f}"
        print(line)
    print()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="speed,digits")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--n-new", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    parts = args.parts.split(",")
    if args.smoke:
        args.n, args.n_new = 2000, 200
    if "speed" in parts:
        speed(args.n, args.n_new, args.repeats)
    if "digits" in parts:
        if args.smoke:
            digits(cv=3, dims=[5])
        else:
            digits(cv=5, dims=[2, 5, 10])


if __name__ == "__main__":
    main()
