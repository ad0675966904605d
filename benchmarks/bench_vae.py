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

Mixed table (``--mixed``, also part of the full run): 50,000 rows, 10
numeric columns and 5 categorical columns of 30, 24, 16, 8 and 3 categories
driven by 4 latent factors, 20% of the cells missing at random. Model:
Gaussian likelihood with a learned per-column variance (floor 1e-3) for the
numeric columns and a softmax (categorical) likelihood for the categorical
ones, the missing cells left out of the loss and zero in the encoder's input
(numeric standardised, categories one-hot, then one missing indicator per
column), one hidden layer of 128, latent 8, Adam at 1e-3, batches of 200, no
weight decay. The torch twin implements the same model with the same layer
sizes; both compute in float32 (the table's numeric columns are float32).
The two sides alternate over 3 rounds of 3 timed epochs; reported:
the median seconds per epoch of each side, the ratio and the load average.

    python benchmarks/bench_vae.py             # full run (a few minutes)
    python benchmarks/bench_vae.py --seeds 10  # more seeds per width
    python benchmarks/bench_vae.py --mixed     # the mixed table only
    python benchmarks/bench_vae.py --smoke     # a few seconds (CI)
"""

import argparse
import os
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


# -- the mixed table ----------------------------------------------------------

MIXED_NUMERIC = 10
MIXED_CATEGORIES = (30, 24, 16, 8, 3)
MIXED_WIDTH = 128
MIXED_MISSING = 0.2


def make_mixed(n_samples, seed=0):
    """The mixed table as a DataFrame (float32 columns, then category columns)."""
    import pandas as pd

    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(n_samples, 4))
    data = {}
    for j in range(MIXED_NUMERIC):
        w = rng.normal(size=4) / 2
        values = np.tanh(Z @ w) * (j + 1) + 0.2 * rng.normal(size=n_samples)
        # float32 columns: both sides then compute in float32.
        data[f"x{j}"] = values.astype(np.float32)
    for c, n_cat in enumerate(MIXED_CATEGORIES):
        W = 2 * rng.normal(size=(4, n_cat))
        codes = (Z @ W + rng.gumbel(size=(n_samples, n_cat))).argmax(axis=1)
        labels = np.array([f"k{k}" for k in range(n_cat)], dtype=object)
        data[f"cat{c}"] = pd.Categorical(labels[codes], categories=labels)
    frame = pd.DataFrame(data)
    holes = rng.uniform(size=frame.shape) < MIXED_MISSING
    for j, name in enumerate(frame.columns):
        frame.loc[holes[:, j], name] = np.nan
    return frame


def _mixed_arrays(frame):
    """Encoder input (float32), numeric targets, category codes and masks."""
    numeric = frame.iloc[:, :MIXED_NUMERIC].to_numpy(np.float64)
    observed_num = ~np.isnan(numeric)
    numeric = (numeric - np.nanmean(numeric, axis=0)) / np.nanstd(numeric, axis=0)
    numeric[~observed_num] = 0.0
    codes = np.stack(
        [frame[name].cat.codes.to_numpy() for name in frame.columns[MIXED_NUMERIC:]],
        axis=1,
    )
    blocks = [numeric]
    for c, n_cat in enumerate(MIXED_CATEGORIES):
        blocks.append((codes[:, c, None] == np.arange(n_cat)).astype(np.float64))
    # One 0/1 missing indicator per column, as VAETransformer's encoder sees
    # when the training table has missing cells.
    blocks.append(~observed_num)
    blocks.append(codes < 0)
    inputs = np.hstack(blocks).astype(np.float32)
    return inputs, numeric.astype(np.float32), observed_num, codes


def torch_mixed_vae(torch, n_inputs, width):
    """The torch twin of the mixed-table VAE: parameters and its loss."""
    nn = torch.nn
    k = N_COMPONENTS
    n_out = MIXED_NUMERIC + sum(MIXED_CATEGORIES)
    encoder = nn.Sequential(
        nn.Linear(n_inputs, width), nn.ReLU(), nn.Linear(width, 2 * k)
    )
    decoder = nn.Sequential(nn.Linear(k, width), nn.ReLU(), nn.Linear(width, n_out))
    with torch.no_grad():
        for layer in [*encoder, *decoder]:
            if isinstance(layer, nn.Linear):
                fan_out, fan_in = layer.weight.shape
                bound = float(np.sqrt(6.0 / (fan_in + fan_out)))
                layer.weight.uniform_(-bound, bound)
                layer.bias.uniform_(-bound, bound)
    log_variance = torch.zeros(MIXED_NUMERIC, requires_grad=True)
    params = [*encoder.parameters(), *decoder.parameters(), log_variance]
    bounds = np.cumsum([MIXED_NUMERIC, *MIXED_CATEGORIES])

    def neg_elbo(inputs, numeric, observed, codes):
        out = encoder(inputs)
        mu, log_var = out[:, :k], out[:, k:]
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        dec = decoder(z)
        variance = VARIANCE_FLOOR + torch.exp(log_variance)
        gauss = 0.5 * (
            (numeric - dec[:, :MIXED_NUMERIC]) ** 2 / variance
            + torch.log(variance)
            + LOG_2PI
        )
        nll = (gauss * observed).sum(1)
        for c in range(len(MIXED_CATEGORIES)):
            logits = dec[:, bounds[c] : bounds[c + 1]]
            target = codes[:, c]
            seen = target >= 0
            ce = nn.functional.cross_entropy(
                logits, target.clamp(min=0), reduction="none"
            )
            nll = nll + ce * seen
        kl = 0.5 * (mu**2 + log_var.exp() - 1 - log_var).sum(1)
        return (nll + kl).mean()

    return params, neg_elbo


def run_torch_mixed(torch, frame, width, epochs, seed):
    """Seconds of each epoch of the torch twin and its last epoch's mean loss."""
    torch.manual_seed(seed)
    inputs, numeric, observed, codes = _mixed_arrays(frame)
    params, neg_elbo = torch_mixed_vae(torch, inputs.shape[1], width)
    optimizer = torch.optim.Adam(params, lr=1e-3)
    inputs_t = torch.from_numpy(inputs)
    numeric_t = torch.from_numpy(numeric)
    observed_t = torch.from_numpy(observed.astype(np.float32))
    codes_t = torch.from_numpy(codes.astype(np.int64))
    n_samples = inputs.shape[0]
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(n_samples)
        total = 0.0
        for first in range(0, n_samples, 200):
            rows = order[first : first + 200]
            loss = neg_elbo(
                inputs_t[rows], numeric_t[rows], observed_t[rows], codes_t[rows]
            )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(rows)
        times.append(time.perf_counter() - start)
    # Mean over the epoch's batches, as the numpy side's loss_curve_.
    return times, total / n_samples


class _EpochTimedVAE(VAETransformer):
    # Stamps the start of every epoch through the model's start_epoch hook,
    # which the training loop calls before each epoch: the time between two
    # stamps is one epoch of training alone (not the checks and encoding of
    # the frame before training, nor the statistics computed after it).
    def _init_model(self, X, y, rng):
        model = super()._init_model(X, y, rng)
        self.epoch_starts_ = []
        start_epoch = model.start_epoch

        def stamped(epoch):
            self.epoch_starts_.append(time.perf_counter())
            return start_epoch(epoch)

        model.start_epoch = stamped
        return model


def run_numpy_mixed(frame, width, epochs, seed):
    """Seconds of each epoch of VAETransformer on the mixed table.

    One ``fit`` of ``epochs + 1`` epochs; the epochs are timed between the
    training loop's start-of-epoch calls, so the last epoch (whose end has no
    stamp) is run but not timed.
    """
    vae = _EpochTimedVAE(
        # Gaussian numeric columns, as the torch twin's ("auto" would map the
        # continuous columns through their quantiles first).
        decoder="gaussian",
        n_components=N_COMPONENTS,
        hidden_layer_sizes=(width,),
        alpha=0.0,
        batch_size=200,
        max_iter=epochs + 1,
        tol=0.0,
        n_iter_no_change=epochs + 2,
        random_state=seed,
    )
    with warnings.catch_warnings(), threadpool_limits(1, user_api="blas"):
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae.fit(frame)
    times = np.diff(vae.epoch_starts_).tolist()
    return times, float(vae.loss_curve_[-1])


def mixed(torch, n_samples, epochs, rounds, width=MIXED_WIDTH):
    """Both sides on the mixed table, alternating, ``rounds`` times each.

    Round ``r`` runs the numpy side then the torch side with seed ``r``, so
    a change of the machine's load during the run falls on both sides; the
    seconds per epoch are the medians over every timed epoch of every round.
    """
    frame = make_mixed(n_samples)
    print(
        f"\nMixed table: {n_samples} rows, {MIXED_NUMERIC} numeric + "
        f"{len(MIXED_CATEGORIES)} categorical columns {list(MIXED_CATEGORIES)}, "
        f"{MIXED_MISSING:.0%} missing, width {width}, latent {N_COMPONENTS}, "
        f"batch 200, {epochs} timed epochs x {rounds} rounds, one thread each"
    )
    load_before = os.getloadavg()
    np_times, th_times, np_losses, th_losses = [], [], [], []
    for seed in range(rounds):
        times, loss = run_numpy_mixed(frame, width, epochs, seed)
        np_times += times
        np_losses.append(loss)
        if torch is not None:
            # epochs + 1 as the numpy side trains (its last one is untimed),
            # so the losses compare.
            times, loss = run_torch_mixed(torch, frame, width, epochs + 1, seed)
            th_times += times[:epochs]
            th_losses.append(loss)
    load_after = os.getloadavg()
    np_epoch = float(np.median(np_times))
    th_epoch = float(np.median(th_times)) if th_times else float("nan")
    print(
        f"{'':>8} {'s/epoch (median)':>17} {'min':>7} {'max':>7} "
        f"{f'loss after {epochs + 1}':>14}"
    )
    print(
        f"{'numpy':>8} {np_epoch:>17.3f} {min(np_times):>7.3f} "
        f"{max(np_times):>7.3f} {np.mean(np_losses):>14.2f}"
    )
    if th_times:
        print(
            f"{'torch':>8} {th_epoch:>17.3f} {min(th_times):>7.3f} "
            f"{max(th_times):>7.3f} {np.mean(th_losses):>14.2f}"
        )
    print(
        f"ratio torch/numpy: {th_epoch / np_epoch:.2f}x of the medians, "
        f"{min(th_times or [np.nan]) / min(np_times):.2f}x of the fastest epochs "
        f"(> 1: numpy faster); load average (1 min) before {load_before[0]:.2f}, "
        f"after {load_after[0]:.2f}"
    )
    return np_epoch, th_epoch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny run for CI")
    parser.add_argument(
        "--seeds", type=int, default=4, help="seeds per width (full run; default 4)"
    )
    parser.add_argument("--mixed", action="store_true", help="the mixed table only")
    args = parser.parse_args()
    if args.smoke:
        n_samples, epochs, widths, seeds = 2000, 1, (64,), (0,)
        mixed_rows, mixed_epochs, mixed_rounds = 1000, 3, 1
    else:
        n_samples, epochs, widths = 10_000, 20, (64, 128, 256)
        seeds = tuple(range(args.seeds))
        mixed_rows, mixed_epochs, mixed_rounds = 50_000, 3, 3

    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("torch is not installed: numpy side only (no ratio to report).")

    if args.mixed:
        mixed(torch, mixed_rows, mixed_epochs, mixed_rounds)
        return

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
    mixed(torch, mixed_rows, mixed_epochs, mixed_rounds)


if __name__ == "__main__":
    main()
