"""How faithful VAETransformer's samples of mixed tables are, against a copula.

Real tables (penguins) and two synthetic tables (skewed, bimodal and count
columns; a correlated mixed table) are fitted by ``VAETransformer`` at its
default settings and by the Gaussian-copula baseline of
``_vae_fidelity``; 5000 rows sampled from each are compared with the real
rows by per-column marginal distances (KS statistic, total variation) and by
the mean absolute error of the pairwise associations (correlation, Cramér's
V, correlation ratio). The helpers themselves are checked first.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from _vae_fidelity import (
    GaussianCopula,
    association_fidelity,
    associations,
    is_categorical,
    load_penguins_table,
    make_mixed_table,
    make_skewed_table,
    marginal_fidelity,
)
from sklearn.exceptions import ConvergenceWarning

from skmanifold_attn import VAETransformer

N_SAMPLES = 5000


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# -- the helpers ----------------------------------------------------------


def test_distances_of_a_table_to_itself_are_zero():
    table = make_mixed_table(300, random_state=1)
    assert all(value == 0 for value in marginal_fidelity(table, table).values())
    assert association_fidelity(table, table) == 0


def test_associations_of_known_pairs():
    rng = np.random.RandomState(0)
    x = rng.normal(size=2000)
    labels = np.where(x > 0, "a", "b")
    frame = pd.DataFrame(
        {
            "x": x,
            "noise": rng.normal(size=2000),
            "sign": pd.Categorical(labels),
            "copy": pd.Categorical(labels),
        }
    )
    assoc = associations(frame)
    assert assoc["sign", "copy"] == pytest.approx(1.0)  # Cramér's V
    assert abs(assoc["x", "noise"]) < 0.1
    # Correlation ratio of x on its own sign: sqrt(2 / pi) for a normal x.
    assert assoc["x", "sign"] == pytest.approx(np.sqrt(2 / np.pi), abs=0.03)


def test_copula_keeps_marginals_and_a_gaussian_correlation():
    rng = np.random.RandomState(0)
    z = rng.multivariate_normal([0, 0], [[1, 0.8], [0.8, 1]], size=3000)
    frame = pd.DataFrame(
        {"a": np.exp(z[:, 0]), "b": z[:, 1] ** 3, "c": pd.Categorical(z[:, 0] > 0.5)}
    )
    sample = GaussianCopula(random_state=0).fit(frame).sample(3000, random_state=1)
    assert max(marginal_fidelity(frame, sample).values()) < 0.05
    # Rank correlation is invariant to the monotone maps: that of z.
    rho = pd.Series(sample["a"]).corr(pd.Series(sample["b"]), method="spearman")
    assert rho == pytest.approx(6 / np.pi * np.arcsin(0.4), abs=0.05)


# -- the VAE against the copula -------------------------------------------


def _penguins():
    pytest.importorskip("palmerpenguins")
    return load_penguins_table()


TABLES = {
    "penguins": _penguins,  # 333 rows, 4 numeric, 3 categorical columns
    "skewed": lambda: make_skewed_table(1500, random_state=0),
    "mixed": lambda: make_mixed_table(600, random_state=0),
}


def _scores(table, sample):
    marginal = marginal_fidelity(table, sample)
    numeric = [name for name in table.columns if not is_categorical(table[name])]
    return {
        "ks": np.mean([marginal[name] for name in numeric]),
        "tv": np.mean([v for k, v in marginal.items() if k not in numeric]),
        "association": association_fidelity(table, sample),
    }


@pytest.fixture(scope="module", params=list(TABLES))
def fidelity(request):
    table = TABLES[request.param]()
    seed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        vae = VAETransformer(random_state=seed).fit(table)
    copula = GaussianCopula(random_state=seed).fit(table)
    # An independent normal per numeric column: what a model that learned
    # only means and variances would give.
    rng = np.random.RandomState(seed)
    normal = pd.DataFrame(
        {
            name: rng.normal(table[name].mean(), table[name].std(), N_SAMPLES)
            for name in table.columns
            if not is_categorical(table[name])
        }
    )
    return {
        "n": len(table),
        "vae": _scores(table, vae.sample(N_SAMPLES, random_state=seed + 10)),
        # The model's own draws, without sample's marginal calibration.
        "model": _scores(
            table, vae.sample(N_SAMPLES, random_state=seed + 10, calibrate=False)
        ),
        "copula": _scores(table, copula.sample(N_SAMPLES, random_state=seed + 10)),
        "normal_ks": np.mean(
            list(marginal_fidelity(table[normal.columns], normal).values())
        ),
    }


def _tolerance(fidelity):
    # The copula's draws are the data's own values (a bootstrap): their KS
    # statistic to the data is about 0.87 / sqrt(m) for m draws, sampling
    # noise alone. Draws from any continuous model, even the true
    # distribution, sit about 0.87 * sqrt(1 / n + 1 / m) from the n real
    # rows, which exceeds the copula's by less than 0.87 / sqrt(n). The same
    # holds for the categories' total variation. So 1 / sqrt(n) is what a
    # perfect model may lose to the copula (0.055 on penguins, 0.026 on the
    # skewed table).
    return 1 / np.sqrt(fidelity["n"])


@pytest.mark.slow
def test_associations_at_least_as_faithful_as_the_copula(fidelity):
    # The copula joins the columns through one correlation matrix of normal
    # scores; the VAE learns the non-linear and category-dependent links
    # (errors 0.06 to 0.08 against the copula's 0.17 on penguins).
    assert fidelity["vae"]["association"] <= fidelity["copula"]["association"]


@pytest.mark.slow
def test_categorical_marginals_within_sampling_noise_of_the_copula(fidelity):
    assert fidelity["vae"]["tv"] <= fidelity["copula"]["tv"] + _tolerance(fidelity)


@pytest.mark.slow
def test_numeric_marginals_as_faithful_as_the_copula(fidelity):
    # Calibrated, the samples' numeric marginals are the data's, as the
    # copula's are: both KS statistics are then the sampling noise of the
    # m = 5000 draws (about 0.87 / sqrt(m) = 0.012, the mean of a few
    # columns varying by about 0.002 from draw to draw), and either may be
    # the lower. 1 / sqrt(m) bounds that noise; the model's own draws
    # (0.02 to 0.06) exceed it.
    tolerance = 1 / np.sqrt(N_SAMPLES)
    assert fidelity["vae"]["ks"] <= fidelity["copula"]["ks"] + tolerance


@pytest.mark.slow
def test_model_numeric_marginals_within_sampling_noise_of_the_copula(fidelity):
    # Without calibration: the quantile map alone brings the model's own
    # marginals within what a continuous model may lose to the copula.
    assert fidelity["model"]["ks"] <= fidelity["copula"]["ks"] + _tolerance(fidelity)


@pytest.mark.slow
def test_model_numeric_marginals_better_than_independent_normals(fidelity):
    # The VAE reproduces skewed and multi-modal columns, not just their
    # first two moments.
    assert fidelity["model"]["ks"] < fidelity["normal_ks"]
