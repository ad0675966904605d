"""AttentionPooling against PyTorch twins of the same networks (CPU, one thread).

Every configuration has embed_dim 32, 4 heads, one seed, a 10-class head,
Adam at 1e-3 without weight decay, shuffled batches of 256 float32 rows, one
thread on each side (``torch.set_num_threads(1)``, threadpoolctl for numpy):

- ``dot``, ``additive``, ``gated``: 16 tokens of one value, a shared
  embedding, no self-attention block;
- ``dot 1 layer``, ``dot 2 layers``, ``additive 2 layers``, ``gated 2
  layers``: the same with pre-norm self-attention blocks;
- ``default 64 tokens``: AttentionPooling's defaults (a per-token embedding,
  the FT-Transformer feature tokenizer) on rows of 64 values;
- ``table``: 10k rows of 8 numeric and 4 categorical columns (5 to 50
  categories), one token per column: in torch the FT-Transformer tokenizer
  (a linear map per numeric column, an ``nn.Embedding`` per categorical
  column); on our side ``categorical_features`` with the indices of the
  categorical columns (their codes in a numeric array) where AttentionPooling
  has that parameter, else the codes as numeric columns of the per-token
  embedding (the run says which).

The row context of the scores (``context_rank``, on by default for the
per-token dot configurations) is turned off on our side, as the twins have
none; it adds a ``(n_inputs, rank)`` and a ``(rank, heads * tokens)``
product per batch.

Each side uses the best algebra it can. Where no block sits between the
embedding and the pooling, ours composes the two linear maps (and for dot
scoring pools in raw-token space without forming keys or values); after
blocks, dot scoring pools in embedding space (scores from ``E (W_k Q)``,
outputs from the weighted embeddings times ``W_v``). Torch gets the same
shortcuts as a second twin ("torch short"), next to standard attention
("torch std": embedding, key/value projections, ``scaled_dot_product_attention``
where the scoring allows it). The ratio is the faster torch twin's seconds
over ours: above 1 means ours is faster.

Times are medians over the repeats (runs interleaved side by side) of the
CPU seconds of the process (both sides compute on one thread, so CPU time is
the cost, and it is far less disturbed than wall time when other jobs share
the machine), for one training epoch (whole fit time divided by the epochs)
and for one transform of all rows (ours through ``transform``, chunks of 1024
rows; torch in the same chunks under ``inference_mode``). ``ratio`` compares
CPU times, ``wall`` the wall-clock times of the same runs. The 1-minute load
average is printed next to each configuration. Peak memory, from
the first fit and transform of each side: ours the peak of numpy's traced
allocations (tracemalloc), torch's the rise of the process's peak resident
set (Linux only; 0 when memory freed earlier in the run was reused). The
whole run's peak resident set is printed at the end.

Run: ``python benchmarks/bench_attention.py`` (``--smoke`` for a few
seconds, ``--only dot,table`` for some configurations).
"""

import argparse
import os
import statistics
import time
import tracemalloc
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from skmanifold_attn import AttentionPooling

EMBED_DIM, N_HEADS, N_CLASSES, BATCH, CHUNK = 32, 4, 10, 256, 1024
TABLE_NUMERIC, TABLE_CARDINALITIES = 8, (5, 12, 25, 50)

CONFIGS = {
    "dot": dict(n_tokens=16, embedding="shared", scoring="dot", n_layers=0),
    "additive": dict(n_tokens=16, embedding="shared", scoring="additive", n_layers=0),
    "gated": dict(n_tokens=16, embedding="shared", scoring="gated", n_layers=0),
    "dot 1 layer": dict(n_tokens=16, embedding="shared", scoring="dot", n_layers=1),
    "dot 2 layers": dict(n_tokens=16, embedding="shared", scoring="dot", n_layers=2),
    "additive 2 layers": dict(
        n_tokens=16, embedding="shared", scoring="additive", n_layers=2
    ),
    "gated 2 layers": dict(
        n_tokens=16, embedding="shared", scoring="gated", n_layers=2
    ),
    "default 64 tokens": dict(
        n_tokens=64, embedding="per_token", scoring="dot", n_layers=0
    ),
    "table": dict(
        n_tokens=TABLE_NUMERIC + len(TABLE_CARDINALITIES),
        embedding="table",
        scoring="dot",
        n_layers=0,
    ),
}


# -- memory and load ----------------------------------------------------------
def _status(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _reset_peak():
    """Reset the peak resident set (Linux >= 4.0); False when unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


_PEAKS = []


def peak_rise(func):
    """Run ``func``; return its result and the rise of the peak RSS in bytes."""
    _PEAKS.append(_status("VmHWM") or 0)
    ok = _reset_peak()
    before = _status("VmRSS")
    result = func()
    after = _status("VmHWM")
    _PEAKS.append(after or 0)
    if not ok or before is None or after is None:
        return result, None
    return result, max(after - before, 0)


def traced_peak(func):
    """Run ``func``; return its result and the peak of traced allocations.

    numpy reports its arrays to tracemalloc, so this is our side's exact peak
    of array memory (PyTorch's allocations are not traced: its side uses
    :func:`peak_rise`).
    """
    tracemalloc.start()
    try:
        result = func()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


# -- data ---------------------------------------------------------------------
def make_data(config, n_samples, seed=0):
    """Float32 rows for our side, torch inputs (numeric, codes) and labels."""
    rng = np.random.RandomState(seed)
    y = rng.randint(N_CLASSES, size=n_samples)
    if config["embedding"] != "table":
        X = rng.normal(size=(n_samples, config["n_tokens"])).astype(np.float32)
        X += 0.5 * (y[:, None] == np.arange(config["n_tokens"]) % N_CLASSES)
        return X, (X, None), y
    numeric = rng.normal(size=(n_samples, TABLE_NUMERIC)).astype(np.float32)
    numeric[:, 0] += 0.5 * (y % 2)
    codes = np.column_stack(
        [rng.randint(k, size=n_samples) for k in TABLE_CARDINALITIES]
    )
    codes[:, 0] = np.where(rng.uniform(size=n_samples) < 0.5, y % 5, codes[:, 0])
    X = np.hstack([numeric, codes.astype(np.float32)])
    return X, (numeric, codes), y


# -- our side -----------------------------------------------------------------
CATEGORICAL = "categorical_features" in AttentionPooling().get_params()


def ours(config, epochs):
    table = config["embedding"] == "table"
    params = dict(
        embedding="per_token" if table else config["embedding"],
        scoring=config["scoring"],
        n_layers=config["n_layers"],
        embed_dim=EMBED_DIM,
        n_heads=N_HEADS,
        n_seeds=1,
        alpha=0.0,
        batch_size=BATCH,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )
    if "context_rank" in AttentionPooling().get_params():
        # The twins have no row context of the scores: leave it out.
        params["context_rank"] = 0

    if table and CATEGORICAL:
        params["categorical_features"] = list(range(TABLE_NUMERIC, config["n_tokens"]))

    def fit(X, y):
        est = AttentionPooling(**params)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        return est

    def transform(est, X):
        return est.transform(X)

    return fit, transform


# -- torch twins --------------------------------------------------------------
def torch_twin(config, epochs, shortcut, categories):
    import torch
    from torch import nn
    from torch.nn import functional as F

    D, H, S = EMBED_DIM, N_HEADS, 1
    dh = D // H
    T, scoring = config["n_tokens"], config["scoring"]
    embedding = config["embedding"]
    n_proj = 3 if scoring == "gated" else 2

    class Tokenizer(nn.Module):
        """Token embeddings, and any affine map of them by composite maps."""

        def __init__(self):
            super().__init__()
            if embedding == "shared":
                self.weight = nn.Parameter(torch.randn(1, D) * 0.3)
                self.bias = nn.Parameter(torch.randn(D) * 0.3)
            else:  # per-token: one linear map per (numeric) column
                n_numeric = TABLE_NUMERIC if embedding == "table" else T
                self.weight = nn.Parameter(torch.randn(n_numeric, D) * 0.3)
                self.bias = nn.Parameter(torch.randn(n_numeric, D) * 0.3)
            if embedding == "table":
                self.register_buffer(
                    "offsets", torch.tensor(np.cumsum((0,) + categories[:-1]))
                )
                self.categorical = nn.Embedding(sum(categories), D)
                self.categorical_bias = nn.Parameter(
                    torch.randn(len(categories), D) * 0.3
                )

        def forward(self, numeric, codes):
            """Embeddings (n, T, D)."""
            E = numeric.unsqueeze(-1) * self.weight + self.bias
            if embedding == "table":
                E_cat = self.categorical(codes + self.offsets) + self.categorical_bias
                E = torch.cat([E, E_cat], dim=1)
            return E

        def affine(self, numeric, codes, M, c):
            """``forward(numeric, codes) @ M + c`` with token-sized products."""
            out = numeric.unsqueeze(-1) * (self.weight @ M) + (self.bias @ M + c)
            if embedding == "table":
                table = self.categorical.weight @ M
                out_cat = F.embedding(codes + self.offsets, table) + (
                    self.categorical_bias @ M + c
                )
                out = torch.cat([out, out_cat], dim=1)
            return out

    class Block(nn.Module):
        """Pre-norm transformer block, feed-forward width 2 * D."""

        def __init__(self):
            super().__init__()
            self.norm1, self.norm2 = nn.LayerNorm(D), nn.LayerNorm(D)
            self.qkv, self.out = nn.Linear(D, 3 * D), nn.Linear(D, D)
            self.ff1, self.ff2 = nn.Linear(D, 2 * D), nn.Linear(2 * D, D)

        def forward(self, X):
            n = X.shape[0]
            qkv = self.qkv(self.norm1(X)).view(n, T, 3, H, dh).permute(2, 0, 3, 1, 4)
            mixed = F.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2])
            X = X + self.out(mixed.transpose(1, 2).reshape(n, T, D))
            return X + self.ff2(F.relu(self.ff1(self.norm2(X))))

    class Twin(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = Tokenizer()
            self.blocks = nn.ModuleList([Block() for _ in range(config["n_layers"])])
            self.proj = nn.Linear(D, n_proj * D)
            self.seeds = nn.Parameter(torch.randn(S, D))
            if scoring == "additive":
                self.u = nn.Parameter(torch.randn(H, dh) / np.sqrt(dh))
            self.head = nn.Linear(S * D, N_CLASSES)

        def queries(self):  # (1, H, S, dh)
            return self.seeds.view(S, H, dh).transpose(0, 1).unsqueeze(0)

        def query_block(self):
            """Block-diagonal (D, H * S): K @ block gives every head's scores."""
            parts = self.seeds.view(S, H, dh).permute(1, 2, 0)  # (H, dh, S)
            return torch.block_diag(*parts) / np.sqrt(dh)

        def attend(self, P, n):
            """Standard pooling from projections P (n, T, n_proj * D)."""
            K = P[..., :D].view(n, T, H, dh).transpose(1, 2)
            V = P[..., -D:].view(n, T, H, dh).transpose(1, 2)
            q = self.queries().expand(n, -1, -1, -1)
            if scoring == "gated":
                G = P[..., D : 2 * D].view(n, T, H, dh).transpose(1, 2)
                K = torch.tanh(K) * torch.sigmoid(G)
            if scoring == "additive":
                Z = torch.tanh(K.unsqueeze(2) + q.unsqueeze(3))  # (n, H, S, T, dh)
                scores = Z @ self.u.view(1, H, 1, dh, 1)
                weights = torch.softmax(scores.squeeze(-1), dim=-1)
                out = weights @ V  # (n, H, S, dh)
            else:
                out = F.scaled_dot_product_attention(q, K, V)
            return out.transpose(1, 2).reshape(n, S * D)

        def dot_token_space(self, numeric, codes, n):
            """Dot pooling with scores from composite maps (no keys formed)."""
            W, b = self.proj.weight.T, self.proj.bias
            block = self.query_block()
            scores = self.tokens.affine(numeric, codes, W[:, :D] @ block, b[:D] @ block)
            weights = torch.softmax(scores, dim=1)  # (n, T, H * S)
            W_v, b_v = W[:, D:], b[D:]
            if embedding == "shared":
                # Values are affine in the scalar tokens: pool the tokens.
                summed = (weights * numeric.unsqueeze(-1)).sum(1).view(n, H, S, 1)
                value_map = (self.tokens.weight @ W_v).view(H, 1, dh)
                value_offsets = (self.tokens.bias @ W_v + b_v).view(H, 1, dh)
                out = summed * value_map + value_offsets
            else:
                V = self.tokens.affine(numeric, codes, W_v, b_v).view(n, T, H, dh)
                out = weights.view(n, T, H, S).permute(0, 2, 3, 1) @ V.transpose(1, 2)
            return out.transpose(1, 2).reshape(n, S * D)

        def dot_embedding_space(self, E, n):
            """Dot pooling of embeddings E without keys or values formed."""
            W, b = self.proj.weight.T, self.proj.bias
            scores = E @ (W[:, :D] @ self.query_block())  # (n, T, H * S)
            weights = torch.softmax(scores, dim=1)
            summed = weights.transpose(1, 2) @ E  # (n, H * S, D)
            W_v = W[:, D:].reshape(D, H, dh).transpose(0, 1)  # (H, D, dh)
            out = summed.view(n, H, S, D) @ W_v + b[D:].view(H, 1, dh)
            return out.transpose(1, 2).reshape(n, S * D)

        def pool(self, numeric, codes):
            n = numeric.shape[0]
            if shortcut and scoring == "dot" and self.blocks:
                E = self.tokens(numeric, codes)
                for block in self.blocks:
                    E = block(E)
                return self.dot_embedding_space(E, n)
            if shortcut and scoring == "dot":
                return self.dot_token_space(numeric, codes, n)
            if shortcut and not self.blocks:
                W, b = self.proj.weight.T, self.proj.bias
                return self.attend(self.tokens.affine(numeric, codes, W, b), n)
            E = self.tokens(numeric, codes)
            for block in self.blocks:
                E = block(E)
            return self.attend(self.proj(E), n)

        def forward(self, numeric, codes):
            return self.head(self.pool(numeric, codes))

    def fit(data, y):
        numeric, codes = data
        numeric = torch.from_numpy(numeric)
        codes = None if codes is None else torch.from_numpy(codes).long()
        y = torch.from_numpy(y).long()
        torch.manual_seed(0)
        model = Twin()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        n = len(y)
        for _ in range(epochs):
            order = torch.randperm(n)
            for start in range(0, n, BATCH):
                rows = order[start : start + BATCH]
                optimizer.zero_grad()
                batch_codes = None if codes is None else codes[rows]
                loss = F.cross_entropy(model(numeric[rows], batch_codes), y[rows])
                loss.backward()
                optimizer.step()
        return model

    def transform(model, data):
        numeric, codes = data
        numeric = torch.from_numpy(numeric)
        codes = None if codes is None else torch.from_numpy(codes).long()
        parts = []
        with torch.inference_mode():
            for start in range(0, len(numeric), CHUNK):
                rows = slice(start, start + CHUNK)
                parts.append(
                    model.pool(numeric[rows], None if codes is None else codes[rows])
                )
        return torch.cat(parts).numpy()

    return fit, transform


# -- driver -------------------------------------------------------------------
def _timed(func, *args):
    """Result, CPU seconds of this process, and wall seconds of ``func``."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = func(*args)
    return result, time.process_time() - cpu, time.perf_counter() - wall


def measure(sides, inputs, y, repeats):
    """Interleaved runs: per side the median fit and transform seconds, memory."""
    keys = ("fit", "transform", "fit_wall", "transform_wall")
    results = {name: {key: [] for key in keys} for name in sides}
    models, memory = {}, {}
    for name, (fit, transform) in sides.items():

        def first(fit=fit, transform=transform, data=inputs[name]):
            model = fit(data, y)
            transform(model, data)
            return model

        if name == "ours":
            models[name], memory[name] = traced_peak(first)
        else:
            models[name], memory[name] = peak_rise(first)
    for _ in range(repeats):
        for name, (fit, transform) in sides.items():
            data, r = inputs[name], results[name]
            _, cpu, wall = _timed(fit, data, y)
            r["fit"].append(cpu)
            r["fit_wall"].append(wall)
            _, cpu, wall = _timed(transform, models[name], data)
            r["transform"].append(cpu)
            r["transform_wall"].append(wall)
    return {
        name: {key: statistics.median(r[key]) for key in keys}
        | {"memory": memory[name]}
        for name, r in results.items()
    }


def _mib(value):
    return "n/a" if value is None else f"{value / 2**20:.0f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds")
    parser.add_argument("--only", default=None, help="comma-separated configurations")
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args()
    n_samples, epochs, repeats = (512, 1, 1) if args.smoke else (10240, 3, 3)
    if args.repeats is not None:
        repeats = args.repeats
    names = list(CONFIGS) if args.only is None else args.only.split(",")
    try:
        import torch
    except ImportError:
        torch = None
    else:
        torch.set_num_threads(1)
    print(
        f"{n_samples} rows, embed_dim {EMBED_DIM}, {N_HEADS} heads, 1 seed, "
        f"{N_CLASSES} classes, batch {BATCH}, {epochs} epochs, float32, one "
        f"thread each, median of {repeats}; seconds per epoch and per transform"
        " of all rows (CPU time); ratio = faster torch twin / ours (above 1: ours"
        " faster)"
    )
    header = (
        f"{'configuration':<19} {'':<9} {'ours s':>8} {'torch std':>9} "
        f"{'torch short':>11} {'ratio':>6} {'wall':>5} {'load':>5} "
        f"{'peak MiB ours/torch':>19}"
    )
    print(header)
    with threadpool_limits(limits=1):
        for name in names:
            config = CONFIGS[name]
            X, torch_data, y = make_data(config, n_samples)
            sides = {"ours": ours(config, epochs)}
            inputs = {"ours": X}
            if torch is not None:
                sides["std"] = torch_twin(config, epochs, False, TABLE_CARDINALITIES)
                inputs["std"] = torch_data
                if config["n_layers"] == 0 or config["scoring"] == "dot":
                    sides["short"] = torch_twin(
                        config, epochs, True, TABLE_CARDINALITIES
                    )
                    inputs["short"] = torch_data
            load_before = load()
            res = measure(sides, inputs, y, repeats)
            load_avg = max(load_before, load())
            twins = [k for k in ("std", "short") if k in res]
            torch_peak = max((res[k]["memory"] or 0 for k in twins), default=None)
            memory = _mib(res["ours"]["memory"]) + "/" + _mib(torch_peak)
            for what in ("fit", "transform"):
                per = epochs if what == "fit" else 1
                ours_s = res["ours"][what] / per
                cells = [
                    f"{res[k][what] / per:.4f}" if k in res else "-"
                    for k in ("std", "short")
                ]
                ratio = wall = "n/a"
                if twins:
                    best = min(res[k][what] for k in twins) / per
                    ratio = f"{best / ours_s:.2f}"
                    key = what + "_wall"
                    wall = f"{min(res[k][key] for k in twins) / res['ours'][key]:.2f}"
                label = "train/ep" if what == "fit" else "transform"
                print(
                    f"{name:<19} {label:<9} {ours_s:>8.4f} {cells[0]:>9} "
                    f"{cells[1]:>11} {ratio:>6} {wall:>5} {load_avg:>5.2f} "
                    f"{memory:>19}",
                    flush=True,
                )
    if "table" in names:
        how = (
            "categorical_features (their indices)"
            if CATEGORICAL
            else "numeric codes (AttentionPooling has no categorical_features)"
        )
        print(f"table: our side takes the categorical columns as {how}")
    peak = max(_PEAKS + [_status("VmHWM") or 0])
    if peak:
        print(f"peak resident memory of the whole run: {peak / 2**20:.0f} MiB")
    if torch is None:
        print("torch is not installed: ratio not measured (pip install torch)")


if __name__ == "__main__":
    main()
