"""VAETransformer against the same VAE written in PyTorch, both on one CPU thread.

Data: 10,000 x 32 float32 rows driven non-linearly by 8 latent factors,
standardised. Model: encoder 32 -> h -> 2 * 8, decoder 8 -> h -> 32, ReLU,
Gaussian decoder with a learned per-feature variance (floor 1e-3), Glorot
uniform initialisation (scikit-learn's MLP convention) on both sides, Adam at
1e-3, batches of 200, no weight decay, for h in 64, 128 and 256.

Reported per width: seconds per training epoch (whole fit time divided by the
epochs, median over seeds), the throughput ratio (torch seconds / numpy
seconds: above 1 means numpy is faster) and the final ELBO per row of each
side, computed with the same formula and the same 16 fixed draws.

    python benchmarks/bench_vae.py            # full run (about a minute)
    python benchmarks/bench_vae.py --smoke    # a few seconds (CI)
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skmanifold_attn import VAETransformer

N_COMPONENTS = 8
LOG_2PI = float(np.log(2 * np.pi))


def make_data(n_samples, n_features=32, seed=0):
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n_samples, N_COMPONENTS))
    W = rng.normal(size=(N_COMPONENTS, n_features)) / np.sqrt(N_COMPONENTS)
    X = np.tanh(Z @ W) + 0.1 * rng.normal(size=(n_samples, n_features))
    return ((X - X.mean(axis=0)) / X.std(axis=0)).astype(np.float32)


def run_numpy(X, width, epochs, seed, noise):
    vae = VAETransformer(
        n_components=N_COMPONENTS,
        hidden_layer_sizes=(width,),
        alpha=0.0,
        batch_size=200,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs + 1,
        random_state=seed,
    )
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        vae.fit(X)
        seconds = time.perf_counter() - start
        # The same fixed draws as the torch side's ELBO.
        vae._model.score_noise = noise.astype(X.dtype)
        elbo = float(vae._elbo(X).mean())
    return seconds / epochs, elbo


def run_torch(torch, X, width, epochs, seed, noise):
    nn = torch.nn
    torch.manual_seed(seed)
    n_samples, n_features = X.shape
    k = N_COMPONENTS
    encoder = nn.Sequential(
        nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, 2 * k)
    )
    decoder = nn.Sequential(
        nn.Linear(k, width), nn.ReLU(), nn.Linear(width, n_features)
    )
    # The same initialisation as the numpy side (scikit-learn's MLP: Glorot
    # uniform for weights and biases) rather than torch's default.
    with torch.no_grad():
        for layer in [*encoder, *decoder]:
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
                layer.weight.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)
    log_variance = torch.zeros(n_features, requires_grad=True)
    params = [*encoder.parameters(), *decoder.parameters(), log_variance]
    optimizer = torch.optim.Adam(params, lr=1e-3)
    X_t = torch.from_numpy(X)

    def neg_elbo(xb):
        out = encoder(xb)
        mu, log_var = out[:, :k], out[:, k:]
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        mean = decoder(z)
        variance = 1e-3 + torch.exp(log_variance)
        nll = 0.5 * (
            ((xb - mean) ** 2 / variance).sum(1)
            + torch.log(variance).sum()
            + n_features * LOG_2PI
        )
        kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(1)
        return (nll + kl).mean()

    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n_samples)
        for first in range(0, n_samples, 200):
            loss = neg_elbo(X_t[order[first : first + 200]])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start

    with torch.no_grad():
        out = encoder(X_t).double()
        mu, log_var = out[:, :k], out[:, k:]
        std = torch.exp(0.5 * log_var)
        eps = torch.from_numpy(noise)
        variance = (1e-3 + torch.exp(log_variance)).double()
        log_w = []
        for e in eps:
            z = mu + std * e
            mean = decoder(z.float()).double()
            log_lik = -0.5 * (
                ((X_t.double() - mean) ** 2 / variance).sum(1)
                + torch.log(variance).sum()
                + n_features * LOG_2PI
            )
            log_prior = -0.5 * ((z**2).sum(1) + k * LOG_2PI)
            log_post = -0.5 * ((e**2).sum() + log_var.sum(1) + k * LOG_2PI)
            log_w.append(log_lik + log_prior - log_post)
        elbo = float(torch.stack(log_w).mean())
    return seconds / epochs, elbo


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI")
    args = parser.parse_args()
    if args.smoke:
        n_samples, epochs, widths, seeds = 2000, 1, (64,), (0,)
    else:
        n_samples, epochs, widths, seeds = 10_000, 20, (64, 128, 256), (0, 1)

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: numpy side only (no ratio to report).")

    X = make_data(n_samples)
    noise = np.random.RandomState(123).standard_normal((16, N_COMPONENTS))
    print(
        f"VAE on {n_samples} x {X.shape[1]} float32, latent {N_COMPONENTS}, "
        f"batch 200, {epochs} epochs, seeds {list(seeds)}, one thread each"
    )
    header = (
        f"{'width':>6} {'numpy s/epoch':>14} {'torch s/epoch':>14} "
        f"{'ratio torch/numpy':>18} {'numpy ELBO':>11} {'torch ELBO':>11}"
    )
    print(header)
    print("-" * len(header))
    for width in widths:
        numpy_runs, torch_runs = [], []
        for seed in seeds:
            numpy_runs.append(run_numpy(X, width, epochs, seed, noise))
            if torch is not None:
                torch_runs.append(run_torch(torch, X, width, epochs, seed, noise))
        np_time = float(np.median([t for t, _ in numpy_runs]))
        np_elbo = ", ".join(f"{e:.2f}" for _, e in numpy_runs)
        if torch_runs:
            th_time = float(np.median([t for t, _ in torch_runs]))
            th_elbo = ", ".join(f"{e:.2f}" for _, e in torch_runs)
            ratio = f"{th_time / np_time:.2f}x"
        else:
            th_time, th_elbo, ratio = float("nan"), "-", "n/a"
        print(
            f"{width:>6} {np_time:>14.4f} {th_time:>14.4f} {ratio:>18} "
            f"{np_elbo:>11} {th_elbo:>11}"
        )
    print(
        "\nratio = torch seconds per epoch / numpy seconds per epoch "
        "(> 1: numpy faster). ELBO: mean per row on the training data, one "
        "value per seed."
    )


if __name__ == "__main__":
    main()
