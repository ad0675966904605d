"""AttentionPooling against the same architecture in PyTorch (CPU, one thread).

Shape (from the issue): batch 256, 16 tokens of token_dim=1, shared
embedding, embed_dim 32, 4 heads, one seed, a 10-class head, Adam, no L2
penalty. Both sides train on the same float32 data with shuffled mini-batches
and transform in batches of 256 rows. Printed: training and transform samples
per second of each side and their ratio (numpy / torch; above 1 means numpy
is faster). The torch side is skipped when torch is not installed.

Run: ``python benchmarks/bench_attention.py`` (``--smoke`` for a few seconds).
"""

import argparse
import time
import warnings

import numpy as np
from threadpoolctl import threadpool_limits

from skmanifold_attn import AttentionPooling

N_TOKENS, EMBED_DIM, N_HEADS, N_CLASSES, BATCH = 16, 32, 4, 10, 256


def make_data(n_samples, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, N_TOKENS)).astype(np.float32)
    y = rng.randint(N_CLASSES, size=n_samples)
    return X, y


def best_of(repeats, func):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_numpy(X, y, epochs, repeats):
    def train():
        est = AttentionPooling(
            embedding="shared",
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(X, y)
        return est

    est = train()
    train_time = best_of(repeats, train)
    # fit also computes token_importances_ (one forward pass over X); the
    # samples/s below count only the epochs' samples, so this is conservative.
    batches = [X[i : i + BATCH] for i in range(0, len(X), BATCH)]

    def transform():
        for batch in batches:
            est.transform(batch)

    transform_time = best_of(repeats, transform)
    return len(X) * epochs / train_time, len(X) / transform_time


def bench_torch(X, y, epochs, repeats):
    import torch
    from torch import nn
    from torch.nn import functional as F

    torch.set_num_threads(1)
    head_dim = EMBED_DIM // N_HEADS

    class TorchAttentionPooling(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(1, EMBED_DIM)
            self.seeds = nn.Parameter(torch.randn(1, EMBED_DIM))
            self.key_value = nn.Linear(EMBED_DIM, 2 * EMBED_DIM)
            self.head = nn.Linear(EMBED_DIM, N_CLASSES)

        def pool(self, x):
            n = x.shape[0]
            E = self.embed(x.unsqueeze(-1))  # (n, T, D)
            K, V = self.key_value(E).chunk(2, dim=-1)
            K = K.view(n, N_TOKENS, N_HEADS, head_dim).transpose(1, 2)
            V = V.view(n, N_TOKENS, N_HEADS, head_dim).transpose(1, 2)
            Q = self.seeds.view(1, N_HEADS, 1, head_dim).expand(n, -1, -1, -1)
            out = F.scaled_dot_product_attention(Q, K, V)  # (n, H, 1, dh)
            return out.reshape(n, EMBED_DIM)

        def forward(self, x):
            return self.head(self.pool(x))

    X_t, y_t = torch.from_numpy(X), torch.from_numpy(y).long()

    def train():
        torch.manual_seed(0)
        model = TorchAttentionPooling()
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        for _ in range(epochs):
            order = torch.randperm(len(X_t))
            for start in range(0, len(X_t), BATCH):
                rows = order[start : start + BATCH]
                optimizer.zero_grad()
                loss = F.cross_entropy(model(X_t[rows]), y_t[rows])
                loss.backward()
                optimizer.step()
        return model

    model = train()
    train_time = best_of(repeats, train)
    batches = [X_t[i : i + BATCH] for i in range(0, len(X_t), BATCH)]

    def transform():
        with torch.no_grad():
            for batch in batches:
                model.pool(batch).numpy()

    transform_time = best_of(repeats, transform)
    return len(X) * epochs / train_time, len(X) / transform_time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="a few seconds")
    args = parser.parse_args()
    n_samples, epochs, repeats = (1024, 2, 1) if args.smoke else (10240, 5, 3)
    X, y = make_data(n_samples)
    print(
        f"{n_samples} rows, {N_TOKENS} tokens x 1, embed_dim {EMBED_DIM}, "
        f"{N_HEADS} heads, 1 seed, {N_CLASSES} classes, batch {BATCH}, "
        f"{epochs} epochs, float32, one thread each"
    )
    with threadpool_limits(limits=1):
        numpy_train, numpy_transform = bench_numpy(X, y, epochs, repeats)
        try:
            import torch  # noqa: F401
        except ImportError:
            torch_train = torch_transform = None
        else:
            torch_train, torch_transform = bench_torch(X, y, epochs, repeats)

    print(f"{'samples/s':<12} {'numpy':>12} {'torch':>12} {'ratio':>8}")
    for name, ours, theirs in [
        ("training", numpy_train, torch_train),
        ("transform", numpy_transform, torch_transform),
    ]:
        if theirs is None:
            print(f"{name:<12} {ours:>12.0f} {'skipped':>12} {'n/a':>8}")
        else:
            print(f"{name:<12} {ours:>12.0f} {theirs:>12.0f} {ours / theirs:>8.2f}")
    if torch_train is None:
        print("torch is not installed: ratio not measured (pip install torch)")


if __name__ == "__main__":
    main()
