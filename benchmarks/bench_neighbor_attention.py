"""NeighborAttention: scores against the usual baselines, an ablation of the
weights, the cost at scale, and speed against a PyTorch twin.

Scores (same folds for every model):

- regression on a synthetic table whose target is a local function of the
  inputs (``sin(2 x0) x1 + cos(1.5 x2 x3)`` plus noise, two distractors);
- classification of the digits.

Models: NeighborAttention{Regressor,Classifier} at defaults
(``scale_retrieval="auto"``; and, for the digits, with each space fixed,
``scale_retrieval=True`` and ``False``: pixels share one unit),
k-nearest neighbours with ``n_neighbors`` tuned by an inner GridSearchCV,
the MLP and HistGradientBoosting at defaults, and AttentionPooling followed
by a linear model. The ablation trains the same
network with learned attention, uniform weights and LLE's barycentric
weights over the same neighbours, then with
retrieval in the input space and in the learned space (``retrieval``), with
the fit time per epoch and per refresh of the learned space's neighbours.

Speed: the network of ``NeighborAttention`` (classes) against the same
network in PyTorch (CPU, one thread each; the twin takes the same algebraic
shortcuts as numpy, see the user guide), float32, on the same retrieved
neighbours (retrieval computed once by the same seam, outside the timed
epochs): seconds per training epoch and transform rows per second (transform
includes the retrieval of the new rows on both sides). Median of repeats;
the load average is printed next to every timing.

Scale: the cost of retrieval (index build and the training rows' context,
computed once per fit) and of one epoch on 200,000 rows.

Run: ``python benchmarks/bench_neighbor_attention.py`` (``--smoke`` for a
few seconds; ``--only scores|ablation|speed|scale``).
"""

import argparse
import contextlib
import io
import os
import re
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from skmanifold_attn import (
    AttentionPooling,
    NeighborAttention,
    NeighborAttentionClassifier,
    NeighborAttentionRegressor,
)
from skmanifold_attn.attention._neighbor_retrieval import (
    build_memory_index,
    context_neighbors,
)

N_NEIGHBORS, EMBED_DIM, BATCH = 16, 32, 256


def load():
    return f"load {os.getloadavg()[0]:.2f}"


def local_table(n_samples=3000, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(n_samples, 6))
    y = np.sin(2 * X[:, 0]) * X[:, 1] + np.cos(1.5 * X[:, 2] * X[:, 3])
    return X, y + 0.1 * rng.normal(size=n_samples)


# -- scores --------------------------------------------------------------------
def regression_models(smoke):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    iters = 5 if smoke else 200
    return {
        "NeighborAttentionRegressor": NeighborAttentionRegressor(
            max_iter=5 if smoke else 100, random_state=0
        ),
        "KNeighborsRegressor (tuned k)": GridSearchCV(
            make_pipeline(StandardScaler(), KNeighborsRegressor()),
            {"kneighborsregressor__n_neighbors": [3, 5, 10, 20, 40]},
        ),
        "MLPRegressor": MLPRegressor(max_iter=iters, random_state=0),
        "AttentionPooling + RidgeCV": make_pipeline(
            AttentionPooling(max_iter=iters, random_state=0), RidgeCV()
        ),
        "HistGradientBoostingRegressor": HistGradientBoostingRegressor(random_state=0),
    }


def classification_models(smoke):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline

    iters = 5 if smoke else 200
    na_iters = 5 if smoke else 100
    return {
        "NeighborAttentionClassifier": NeighborAttentionClassifier(
            max_iter=na_iters, random_state=0
        ),
        "NeighborAttentionClassifier(scale_retrieval=False)": (
            NeighborAttentionClassifier(
                scale_retrieval=False, max_iter=na_iters, random_state=0
            )
        ),
        "NeighborAttentionClassifier(scale_retrieval=True)": (
            NeighborAttentionClassifier(
                scale_retrieval=True, max_iter=na_iters, random_state=0
            )
        ),
        "KNeighborsClassifier (tuned k)": GridSearchCV(
            KNeighborsClassifier(), {"n_neighbors": [1, 3, 5, 10, 20]}
        ),
        "MLPClassifier": MLPClassifier(max_iter=iters, random_state=0),
        "AttentionPooling(token_dim=8) + LogisticRegression": make_pipeline(
            AttentionPooling(token_dim=8, max_iter=iters, random_state=0),
            LogisticRegression(max_iter=2000),
        ),
        "HistGradientBoostingClassifier": HistGradientBoostingClassifier(
            random_state=0
        ),
    }


def score_models(models, X, y, cv):
    from sklearn.model_selection import cross_val_score

    rows = []
    for name, model in models.items():
        start = time.perf_counter()
        scores = cross_val_score(model, X, y, cv=cv)
        rows.append((name, scores, time.perf_counter() - start))
        print(
            f"  {name:55s} {scores.mean():.4f} +- {scores.std():.4f}  "
            f"folds {np.round(scores, 4).tolist()}  "
            f"{time.perf_counter() - start:6.1f} s  {load()}",
            flush=True,
        )
    return rows


def run_scores(smoke):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import KFold, StratifiedKFold

    n = 300 if smoke else 3000
    X, y = local_table(n)
    print(f"Regression, local table ({n} rows, 6 columns), R2, 3 folds:")
    score_models(regression_models(smoke), X, y, KFold(3, shuffle=True, random_state=0))
    X, y = load_digits(return_X_y=True)
    if smoke:
        X, y = X[:300], y[:300]
    print(f"Classification, digits ({len(X)} rows), accuracy, 3 folds:")
    score_models(
        classification_models(smoke),
        X,
        y,
        StratifiedKFold(3, shuffle=True, random_state=0),
    )


def run_ablation(smoke):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import KFold, StratifiedKFold

    n = 300 if smoke else 3000
    iters = 5 if smoke else 100
    X, y = local_table(n)
    print("Ablation, same neighbours (16), same network, same folds:")
    print("  regression, local table, R2:")
    score_models(
        {
            f"weights={w!r}": NeighborAttentionRegressor(
                weights=w, max_iter=iters, random_state=0
            )
            for w in ("attention", "uniform", "barycentric")
        },
        X,
        y,
        KFold(3, shuffle=True, random_state=0),
    )
    X, y = load_digits(return_X_y=True)
    if smoke:
        X, y = X[:300], y[:300]
    print("  digits (scale_retrieval=False), accuracy:")
    score_models(
        {
            f"weights={w!r}": NeighborAttentionClassifier(
                weights=w, scale_retrieval=False, max_iter=iters, random_state=0
            )
            for w in ("attention", "uniform", "barycentric")
        },
        X,
        y,
        StratifiedKFold(3, shuffle=True, random_state=0),
    )
    run_retrieval_ablation(smoke)


def run_retrieval_ablation(smoke):
    """Input-space against learned-space retrieval, same network, same folds;
    with the seconds spent in the refreshes of the learned space."""
    from sklearn.base import clone
    from sklearn.datasets import load_digits
    from sklearn.model_selection import KFold, StratifiedKFold

    from skmanifold_attn.attention._neighbor_base import _BaseNeighborAttention

    n = 300 if smoke else 3000
    iters = 5 if smoke else 100
    spent = []
    learned_context = _BaseNeighborAttention._learned_context

    def timed(self, model, space):
        start = time.perf_counter()
        result = learned_context(self, model, space)
        spent.append(time.perf_counter() - start)
        return result

    X_local, y_local = local_table(n)
    X_digits, y_digits = load_digits(return_X_y=True)
    if smoke:
        X_digits, y_digits = X_digits[:300], y_digits[:300]
    cases = [
        (
            "regression, local table, R2",
            NeighborAttentionRegressor(max_iter=iters, random_state=0),
            X_local,
            y_local,
            KFold(3, shuffle=True, random_state=0),
        ),
        (
            "digits (scale_retrieval=False), accuracy",
            NeighborAttentionClassifier(
                scale_retrieval=False, max_iter=iters, random_state=0
            ),
            X_digits,
            y_digits,
            StratifiedKFold(3, shuffle=True, random_state=0),
        ),
    ]
    print("Ablation, retrieval space (n_neighbors=16, refresh every 10 epochs):")
    _BaseNeighborAttention._learned_context = timed
    try:
        for title, base, X, y, cv in cases:
            print(f"  {title}:")
            for retrieval in ("input", "learned"):
                scores, fit_s, epochs, refresh_s, n_refresh = [], 0.0, 0, 0.0, 0
                for train, test in cv.split(X, y):
                    est = clone(base).set_params(retrieval=retrieval)
                    spent.clear()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        start = time.perf_counter()
                        est.fit(X[train], y[train])
                        fit_s += time.perf_counter() - start
                    epochs += est.n_iter_
                    refresh_s += sum(spent)
                    n_refresh += len(spent)
                    scores.append(est.score(X[test], y[test]))
                print(
                    f"    retrieval={retrieval!r:10s} {np.mean(scores):.4f} "
                    f"folds {np.round(scores, 4).tolist()}  fit {fit_s:6.1f} s, "
                    f"{1000 * (fit_s - refresh_s) / epochs:.1f} ms/epoch, "
                    f"{n_refresh} refreshes "
                    f"{1000 * refresh_s / max(n_refresh, 1):.1f} ms each  {load()}",
                    flush=True,
                )
    finally:
        _BaseNeighborAttention._learned_context = learned_context


# -- speed against PyTorch -----------------------------------------------------
def make_classes(n_samples, n_features=16, n_classes=10, seed=0):
    rng = np.random.RandomState(seed)
    centres = rng.normal(size=(n_classes, n_features)) * 2
    y = rng.randint(n_classes, size=n_samples)
    X = centres[y] + rng.normal(size=(n_samples, n_features))
    return X.astype(np.float32), y


def torch_twin(n_features, n_classes, dropout):
    import torch
    from torch import nn

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            d = EMBED_DIM
            self.encoder = nn.Sequential(
                nn.Linear(n_features, d), nn.ReLU(), nn.Linear(d, d)
            )
            self.key = nn.Linear(d, d)
            self.diff_map = nn.Linear(d, d)
            self.label = nn.Embedding(n_classes, d)
            self.log_bandwidth = nn.Parameter(torch.zeros(1))
            self.vote_scale = nn.Parameter(torch.ones(1))
            self.head = nn.Sequential(
                nn.Linear(d, d), nn.ReLU(), nn.Linear(d, n_classes)
            )
            self.dropout = nn.Dropout(dropout)
            self.scale = d**-0.5

        def attend(self, h, q, keys, labels, prior, mask):
            diff = q[:, None, :] - keys
            scores = -(diff * diff).sum(-1) * self.scale
            scores = scores - self.log_bandwidth.exp() * prior
            scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=1)
            vote = torch.zeros(len(labels), n_classes).scatter_add_(1, labels, weights)
            # The same shortcut as numpy's: the values' maps are affine, so
            # the weighted sums are taken before them (one (b, d) product).
            u = torch.bmm(weights[:, None, :], diff)[:, 0]
            context = (
                nn.functional.linear(u, self.diff_map.weight)
                + vote @ self.label.weight
                + weights.sum(1, keepdim=True) * self.diff_map.bias
            )
            logits = self.head(self.dropout(h) + context) + self.vote_scale * vote
            return logits, h, context

        def infer(self, h, q, keys, key_norms, targets, prior, mask):
            """Inference with numpy's shortcuts: gathered keys, key norms and
            one-hot targets; expanded squared distances."""
            cross = torch.bmm(keys, q[:, :, None])[:, :, 0]
            squared = (key_norms - 2 * cross + (q * q).sum(1, keepdim=True)).clamp(
                min=0
            )
            scores = -squared * self.scale - self.log_bandwidth.exp() * prior
            scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=1)
            total = weights.sum(1, keepdim=True)
            u = total * q - torch.bmm(weights[:, None, :], keys)[:, 0]
            vote = torch.bmm(weights[:, None, :], targets)[:, 0]
            context = (
                nn.functional.linear(u, self.diff_map.weight)
                + vote @ self.label.weight
                + total * self.diff_map.bias
            )
            return h, context

        def forward(self, xq, xn, labels, prior, mask):
            b, k = labels.shape
            first, second = self.encoder[0], self.encoder[2]
            hidden = torch.relu(first(torch.cat([xq, xn.reshape(b * k, -1)])))
            h = second(hidden[:b])
            # The same shortcut as numpy's: the context rows' keys through
            # the product of the encoder's output layer and the key map.
            fused_w = self.key.weight @ second.weight
            fused_b = self.key.weight @ second.bias + self.key.bias
            keys = nn.functional.linear(hidden[b:], fused_w, fused_b)
            return self.attend(
                h, self.key(h), keys.reshape(b, k, -1), labels, prior, mask
            )[0]

    return Twin()


def median_of(repeats, func):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run_speed(smoke):
    try:
        import torch
    except ImportError:  # the numpy side still runs and is printed
        torch = None
    else:
        torch.set_num_threads(1)
    n_train, n_test = (600, 300) if smoke else (20000, 5000)
    epochs, repeats = (1, 3) if smoke else (3, 3)
    X, y = make_classes(n_train + n_test)
    X_train, y_train, X_test = X[:n_train], y[:n_train], X[n_train:]
    params = dict(
        n_neighbors=N_NEIGHBORS,
        embed_dim=EMBED_DIM,
        alpha=0.0,
        batch_size=BATCH,
        tol=0.0,
        random_state=0,
    )
    print(
        f"Speed: {n_train} training rows, 16 columns, 10 classes, k={N_NEIGHBORS}, "
        f"d={EMBED_DIM}, batch {BATCH}, float32, one thread each, median of "
        f"{repeats}:"
    )

    def fit(n_epochs, verbose=False):
        est = NeighborAttention(
            max_iter=n_epochs, n_iter_no_change=n_epochs + 1, verbose=verbose, **params
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X_train, y_train)
        return est

    with threadpool_limits(1):
        # numpy: the loop prints every epoch's seconds (verbose); the median
        # over all epochs of all repeats.
        epoch_times = []
        for _ in range(repeats):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                fit(epochs, verbose=True)
            epoch_times += [
                float(t) for t in re.findall(r", ([0-9.]+) s$", out.getvalue(), re.M)
            ]
        numpy_epoch = float(np.median(epoch_times))
        print(
            f"  numpy epoch        {numpy_epoch:8.3f} s (median of "
            f"{len(epoch_times)} epochs)  {load()}",
            flush=True,
        )
        est = fit(1)
        numpy_transform = median_of(repeats, lambda: est.transform(X_test))
        print(
            f"  numpy transform    {n_test / numpy_transform:8.0f} rows/s "
            f"(retrieval included)  {load()}",
            flush=True,
        )
        # The retrieval of the test rows (the seam; shared by both sides) and
        # the network alone, on these neighbours.
        model, features = est._model, est._features
        data = model.memory[0]
        index = est._index
        queries = features.transform(X_test).astype(np.float32)
        retrieval = median_of(
            repeats, lambda: context_neighbors(index, data, queries, N_NEIGHBORS)
        )
        test_nb, test_mask, test_dist = context_neighbors(
            index, data, queries, N_NEIGHBORS
        )
        test_prior = model.prior(test_dist)
        chunks = [slice(i, i + 2048) for i in range(0, n_test, 2048)]

        def numpy_network():
            parts = [
                model.infer(queries[c], test_nb[c], test_mask[c], test_prior[c], None)
                for c in chunks
            ]
            return np.hstack(
                [
                    np.concatenate([p[0] for p in parts]),
                    np.concatenate([p[1] for p in parts]),
                ]
            )

        numpy_net = median_of(repeats, numpy_network)
        print(
            f"  retrieval alone    {n_test / retrieval:8.0f} rows/s; numpy network "
            f"alone {n_test / numpy_net:8.0f} rows/s  {load()}",
            flush=True,
        )

        if torch is None:
            print(
                "  torch is not installed (pip install torch): the numpy side "
                "only, no ratio measured"
            )
            return
        # torch: the same rows, neighbours and shapes.
        _, _, neighbors, mask, _ = model.memory
        prior = model.memory_prior
        twin = torch_twin(X.shape[1], 10, est.dropout)
        optimizer = torch.optim.Adam(twin.parameters(), lr=1e-3)
        t_data = torch.from_numpy(data)
        t_y = torch.from_numpy(y_train.astype(np.int64))
        t_nb = torch.from_numpy(neighbors.astype(np.int64))
        t_mask = torch.from_numpy(mask)
        t_prior = torch.from_numpy(prior)
        rng = np.random.RandomState(0)

        torch_times = []

        def torch_epochs():
            twin.train()
            for _ in range(epochs):
                begin = time.perf_counter()
                order = torch.from_numpy(rng.permutation(n_train))
                for start in range(0, n_train, BATCH):
                    rows = order[start : start + BATCH]
                    nb = t_nb[rows]
                    logits = twin(
                        t_data[rows], t_data[nb], t_y[nb], t_prior[rows], t_mask[rows]
                    )
                    loss = torch.nn.functional.cross_entropy(logits, t_y[rows])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                torch_times.append(time.perf_counter() - begin)

        for _ in range(repeats):
            torch_epochs()
        torch_epoch = float(np.median(torch_times))
        print(
            f"  torch epoch        {torch_epoch:8.3f} s (median of "
            f"{len(torch_times)} epochs)  {load()}",
            flush=True,
        )

        twin.eval()
        with torch.no_grad():
            # Once, as numpy's memory tables: keys, their norms, the targets.
            keys = twin.key(twin.encoder(t_data))
            key_norms = (keys * keys).sum(1)
            onehot = torch.eye(10)[t_y]
        t_queries = torch.from_numpy(queries)
        t_test_nb = torch.from_numpy(test_nb.astype(np.int64))
        t_test_mask = torch.from_numpy(test_mask)
        t_test_prior = torch.from_numpy(test_prior)

        def torch_network():
            with torch.no_grad():
                out = []
                for c in chunks:
                    h = twin.encoder(t_queries[c])
                    nb = t_test_nb[c]
                    h, context = twin.infer(
                        h,
                        twin.key(h),
                        keys[nb],
                        key_norms[nb],
                        onehot[nb],
                        t_test_prior[c],
                        t_test_mask[c],
                    )
                    out.append(torch.cat([h, context], 1).numpy())
                return np.concatenate(out)

        torch_net = median_of(repeats, torch_network)
        print(
            f"  torch network alone {n_test / torch_net:8.0f} rows/s; with the "
            f"retrieval {n_test / (torch_net + retrieval):8.0f} rows/s  {load()}",
            flush=True,
        )
    # The loop prints epochs to 0.01 s: a tiny (smoke) epoch may read 0.
    epoch_ratio = (
        f"{torch_epoch / numpy_epoch:.2f}" if numpy_epoch > 0 else "(below 0.01 s)"
    )
    print(f"  ratio epoch (torch / numpy time; above 1: numpy faster): {epoch_ratio}")
    print(
        f"  ratio transform, network alone (torch / numpy time): "
        f"{torch_net / numpy_net:.2f}; with the retrieval (torch network + "
        f"retrieval / numpy transform): {(torch_net + retrieval) / numpy_transform:.2f}"
    )


# -- scale ---------------------------------------------------------------------
def run_scale(smoke):
    import tracemalloc

    n_train = 5000 if smoke else 200_000
    X, y = make_classes(n_train)
    try:
        import hnswlib  # noqa: F401

        algorithm = "hnswlib"
    except ImportError:
        algorithm = "auto"
    print(
        f"Scale: {n_train} rows, 16 columns, k={N_NEIGHBORS}, one BLAS thread, "
        f"neighbors_algorithm={algorithm!r}:"
    )
    with threadpool_limits(1):
        start = time.perf_counter()
        data = (X - X.mean(0)) / X.std(0)
        index = build_memory_index(algorithm, data, N_NEIGHBORS, random_state=0)
        built = time.perf_counter() - start
        tracemalloc.start()
        start = time.perf_counter()
        neighbors, mask, _ = context_neighbors(index, data, data, N_NEIGHBORS)
        retrieval = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        print(
            f"  index build {built:.2f} s, training rows' context {retrieval:.2f} s "
            f"(peak {peak:.0f} MiB traced; the result {neighbors.nbytes / 2**20:.0f} "
            f"MiB)  {load()}",
            flush=True,
        )
        # One fit of two epochs; the loop prints each epoch's seconds.
        est = NeighborAttentionClassifier(
            n_neighbors=N_NEIGHBORS,
            neighbors_algorithm=algorithm,
            max_iter=2,
            batch_size=BATCH,
            verbose=True,
            random_state=0,
        )
        out = io.StringIO()
        start = time.perf_counter()
        with warnings.catch_warnings(), contextlib.redirect_stdout(out):
            warnings.simplefilter("ignore")
            est.fit(X, y)
        total = time.perf_counter() - start
        epochs = [float(t) for t in re.findall(r", ([0-9.]+) s$", out.getvalue(), re.M)]
        print(
            f"  fit of 2 epochs: {total:.1f} s (retrieval included); epochs "
            f"{', '.join(f'{t:.1f}' for t in epochs)} s  {load()}",
            flush=True,
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes")
    parser.add_argument(
        "--only", choices=["scores", "ablation", "speed", "scale"], default=None
    )
    args = parser.parse_args()
    print(load())
    parts = {
        "scores": run_scores,
        "ablation": run_ablation,
        "speed": run_speed,
        "scale": run_scale,
    }
    for name, func in parts.items():
        if args.only in (None, name):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                func(args.smoke)


if __name__ == "__main__":
    main()
