"""VAETransformer against the same VAE written in PyTorch, both on one CPU thread.

Data: 10,000 x 32 float32 rows driven non-linearly by 8 latent factors,
standardised. Model: encoder 32 -> h -> 2 * 8, decoder 8 -> h -> 32, ReLU,
Gaussian decoder with a learned per-feature variance (floor 1e-3), Glorot
uniform initialisation (scikit-learn's MLP convention) on both sides, Adam at
1e-3, batches of 200, no weight decay, for h in 64, 128 and 256.

Reported per width: seconds per training epoch (whole fit time divided by the
epochs, median over seeds), the throughput ratio (torch seconds / numpy
seconds: above 1 means numpy is faster) and the final ELBO per row of each
side (mean and standard deviation over seeds, computed with the same formula
and the same 16 fixed draws), with their difference in standard errors.

After 20 epochs the ELBO still rises by ~0.5 nats per epoch, so it depends on
the seed (initial weights, batch order, noise) by ~0.2 nats; the two sides
draw these from different generators, so only the seed-averaged ELBOs are
comparable. The parity check removes that noise: both sides start from the
same weights and see the same batches and the same reparameterisation noise;
their ELBOs must then agree to float32 rounding after every epoch.

    python benchmarks/bench_vae.py             # full run (about a minute)
    python benchmarks/bench_vae.py --seeds 10  # more seeds per width
    python benchmarks/bench_vae.py --smoke     # a few seconds (CI)
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from skmanifold_attn import VAETransformer
from skmanifold_attn._nn._optim import Adam
from skmanifold_attn.vae._model import VARIANCE_FLOOR, VAENetwork

N_COMPONENTS = 8
LOG_2PI = float(np.log(2 * np.pi))
# float32 rounding alone moves the parity check's ELBOs apart by ~1e-5 nats
# in the one epoch of --smoke and ~3e-3 over 20 epochs; a variance floor of
# 1e-2 instead of 1e-3 on one side moves them by 0.017 nats in one epoch.
PARITY_TOLERANCE_PER_EPOCH = 1e-3


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
        decoder="gaussian",  # the torch twin's likelihood
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


def torch_vae(torch, n_features, width, weights=None):
    """The torch VAE: parameters and the negative ELBO of a batch.

    ``weights`` (the numpy side's ``params``: encoder W, b, W, b, decoder W,
    b, W, b, log-variance) sets the initial values; otherwise Glorot uniform
    for weights and biases (scikit-learn's MLP convention, as the numpy side)
    and a zero log-variance.
    """
    nn = torch.nn
    k = N_COMPONENTS
    encoder = nn.Sequential(
        nn.Linear(n_features, width), nn.ReLU(), nn.Linear(width, 2 * k)
    )
    decoder = nn.Sequential(
        nn.Linear(k, width), nn.ReLU(), nn.Linear(width, n_features)
    )
    linears = [m for m in [*encoder, *decoder] if isinstance(m, nn.Linear)]
    log_variance = torch.zeros(n_features, requires_grad=True)
    with torch.no_grad():
        for i, layer in enumerate(linears):
            if weights is None:
                fan_out, fan_in = layer.weight.shape
                bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
                layer.weight.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)
            else:
                layer.weight.copy_(torch.from_numpy(weights[2 * i].T.copy()))
                layer.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
        if weights is not None:
            log_variance.copy_(torch.from_numpy(weights[-1]))
    params = [*encoder.parameters(), *decoder.parameters(), log_variance]

    def neg_elbo(xb, eps=None):
        out = encoder(xb)
        mu, log_var = out[:, :k], out[:, k:]
        if eps is None:
            eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * log_var) * eps
        mean = decoder(z)
        variance = VARIANCE_FLOOR + torch.exp(log_variance)
        nll = 0.5 * (
            ((xb - mean) ** 2 / variance).sum(1)
            + torch.log(variance).sum()
            + n_features * LOG_2PI
        )
        kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(1)
        return (nll + kl).mean()

    return encoder, decoder, log_variance, params, neg_elbo


def torch_elbo(torch, X, encoder, decoder, log_variance, noise):
    """Mean ELBO per row with the fixed draws ``noise`` (float64 sums)."""
    k = N_COMPONENTS
    n_features = X.shape[1]
    X_t = torch.from_numpy(X)
    with torch.no_grad():
        out = encoder(X_t).double()
        mu, log_var = out[:, :k], out[:, k:]
        std = torch.exp(0.5 * log_var)
        eps = torch.from_numpy(noise)
        variance = (VARIANCE_FLOOR + torch.exp(log_variance)).double()
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
        return float(torch.stack(log_w).mean())


def run_torch(torch, X, width, epochs, seed, noise):
    torch.manual_seed(seed)
    n_samples, n_features = X.shape
    encoder, decoder, log_variance, params, neg_elbo = torch_vae(
        torch, n_features, width
    )
    optimizer = torch.optim.Adam(params, lr=1e-3)
    X_t = torch.from_numpy(X)

    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(n_samples)
        for first in range(0, n_samples, 200):
            loss = neg_elbo(X_t[order[first : first + 200]])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    return seconds / epochs, torch_elbo(torch, X, encoder, decoder, log_variance, noise)


class _GivenNoise:
    # Stands in for the RandomState of VAENetwork.loss_and_grads.
    def __init__(self, eps):
        self.eps = eps

    def standard_normal(self, shape):
        return self.eps


def parity(torch, X, width, epochs, noise, seed=0):
    """Largest |ELBO difference| over epochs from identical starts and draws.

    Both sides start from the numpy network's initial weights and train on
    the same batches with the same reparameterisation noise, so any
    difference in the model, the loss or Adam shows up here; float32
    rounding alone keeps them within ~1e-3 nats.
    """
    n_samples, n_features = X.shape
    rng = np.random.RandomState(seed)
    network = VAENetwork(
        n_features,
        N_COMPONENTS,
        (width,),
        activation="relu",
        decoder="gaussian",
        decoder_variance="learned",
        rng=rng,
        dtype=X.dtype,
    )
    encoder, decoder, log_variance, params, neg_elbo = torch_vae(
        torch, n_features, width, weights=network.params
    )
    adam = Adam(network.params, learning_rate_init=1e-3)
    optimizer = torch.optim.Adam(params, lr=1e-3)
    X_t = torch.from_numpy(X)
    worst = 0.0
    with threadpool_limits(1, user_api="blas"):
        for _ in range(epochs):
            order = rng.permutation(n_samples)
            for first in range(0, n_samples, 200):
                rows = order[first : first + 200]
                eps = rng.standard_normal((rows.size, N_COMPONENTS)).astype(X.dtype)
                _, grads = network.loss_and_grads(X[rows], None, _GivenNoise(eps))
                adam.update_params(grads)
                loss = neg_elbo(X_t[rows], torch.from_numpy(eps))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            numpy_elbo = float(network.bounds(X, noise.astype(X.dtype))[1].mean())
            torch_side = torch_elbo(torch, X, encoder, decoder, log_variance, noise)
            worst = max(worst, abs(numpy_elbo - torch_side))
    return worst, numpy_elbo, torch_side


def _mean_sd(values):
    values = np.asarray(values)
    sd = values.std(ddof=1) if values.size > 1 else float("nan")
    return values.mean(), sd


def _format_elbo(mean, sd):
    return f"{mean:.2f}" if np.isnan(sd) else f"{mean:.2f} ± {sd:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI")
    parser.add_argument(
        "--seeds", type=int, default=4, help="seeds per width (full run; default 4)"
    )
    args = parser.parse_args()
    if args.smoke:
        n_samples, epochs, widths, seeds = 2000, 1, (64,), (0,)
    else:
        n_samples, epochs, widths = 10_000, 20, (64, 128, 256)
        seeds = tuple(range(args.seeds))

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
    if torch is not None:
        worst, numpy_elbo, torch_side = parity(torch, X, widths[0], epochs, noise)
        print(
            f"parity (width {widths[0]}, same initial weights, batches and noise, "
            f"{epochs} epochs): final ELBO numpy {numpy_elbo:.4f}, torch "
            f"{torch_side:.4f}; largest |difference| over epochs {worst:.1e}\n"
        )
        if worst > PARITY_TOLERANCE_PER_EPOCH * epochs:
            raise RuntimeError(
                f"The numpy and torch VAEs drifted apart by {worst:.3g} nats from "
                "identical starts: they no longer implement the same model."
            )
    header = (
        f"{'width':>6} {'numpy s/epoch':>14} {'torch s/epoch':>14} "
        f"{'ratio torch/numpy':>18} {'numpy ELBO':>14} {'torch ELBO':>14} "
        f"{'diff / se':>10}"
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
        np_mean, np_sd = _mean_sd([e for _, e in numpy_runs])
        np_elbo = _format_elbo(np_mean, np_sd)
        if torch_runs:
            th_time = float(np.median([t for t, _ in torch_runs]))
            th_mean, th_sd = _mean_sd([e for _, e in torch_runs])
            th_elbo = _format_elbo(th_mean, th_sd)
            ratio = f"{th_time / np_time:.2f}x"
            se = np.sqrt((np_sd**2 + th_sd**2) / len(seeds))
            # se is nan with one seed: no test then.
            z = f"{(np_mean - th_mean) / se:+.1f}" if se > 0 else "n/a"
        else:
            th_time, th_elbo, ratio, z = float("nan"), "-", "n/a", "n/a"
        print(
            f"{width:>6} {np_time:>14.4f} {th_time:>14.4f} {ratio:>18} "
            f"{np_elbo:>14} {th_elbo:>14} {z:>10}"
        )
    print(
        "\nratio = torch seconds per epoch / numpy seconds per epoch "
        "(> 1: numpy faster). ELBO: mean per row on the training data, mean ± "
        "sd over seeds; diff / se: (numpy - torch) over its standard error "
        "(|value| < 2: the same ELBO within seed noise)."
    )


if __name__ == "__main__":
    main()
