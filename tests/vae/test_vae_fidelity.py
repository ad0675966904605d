"""How faithful VAETransformer's samples of mixed tables are, against a copula.

Real tables (penguins) and a synthetic correlated mixed table are fitted by
``VAETransformer`` and by the Gaussian-copula baseline of ``_vae_fidelity``;
5000 rows sampled from each are compared with the real rows by per-column
marginal distances (KS statistic, total variation) and by the mean absolute
error of the pairwise associations (correlation, Cramér's V, correlation
ratio). The helpers themselves are checked first.
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
    marginal_fidelity,
)
from sklearn.exceptions import ConvergenceWarning

from skmanifold_attn import VAETransformer

N_SAMPLES = 5000
# A mixture of Gaussians per numeric column: the penguins' columns are
# multi-modal (three species), and a single Gaussian smooths their modes.
VAE_PARAMS = {
    "decoder": "gaussian_mixture",
    "n_components": 4,
    "hidden_layer_sizes": (128, 128),
    "batch_size": 32,
}


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


def _fidelity(table, seed):
    vae = VAETransformer(random_state=seed, **VAE_PARAMS).fit(table)
    copula = GaussianCopula(random_state=seed).fit(table)
    result = {}
    for name, sample in (
        ("vae", vae.sample(N_SAMPLES, random_state=seed + 10)),
        ("copula", copula.sample(N_SAMPLES, random_state=seed + 10)),
    ):
        marginal = marginal_fidelity(table, sample)
        result[name] = {
            "ks": np.mean(
                [v for k, v in marginal.items() if not is_categorical(table[k])]
            ),
            "tv": np.mean([v for k, v in marginal.items() if is_categorical(table[k])]),
            "association": association_fidelity(table, sample),
        }
    # An independent normal per numeric column: what a model that learned
    # only means and variances would give.
    normal = pd.DataFrame(
        {
            name: np.random.RandomState(seed).normal(
                table[name].mean(), table[name].std(), N_SAMPLES
            )
            for name in table.columns
            if not is_categorical(table[name])
        }
    )
    result["normal_ks"] = np.mean(
        [
            marginal_fidelity(table[[name]], normal[[name]])[name]
            for name in normal.columns
        ]
    )
    return result


TABLES = {
    "penguins": load_penguins_table,
    "synthetic": lambda: make_mixed_table(600, random_state=0),
}


@pytest.fixture(scope="module", params=list(TABLES))
def fidelity(request):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return _fidelity(TABLES[request.param](), seed=0)


def test_associations_more_faithful_than_the_copula(fidelity):
    # The copula joins the columns through one correlation matrix of normal
    # scores; the VAE learns the non-linear and category-dependent links.
    assert fidelity["vae"]["association"] < fidelity["copula"]["association"]


def test_categorical_marginals_as_faithful_as_the_copula(fidelity):
    # The copula draws each category with its exact frequency; 0.02 is the
    # total variation sampling noise of a few hundred real rows.
    assert fidelity["vae"]["tv"] <= fidelity["copula"]["tv"] + 0.02


def test_numeric_marginals_better_than_independent_normals(fidelity):
    # The VAE reproduces skewed and multi-modal columns, not just their
    # first two moments.
    assert fidelity["vae"]["ks"] < fidelity["normal_ks"]


@pytest.mark.xfail(
    strict=True,
    reason=(
        "the copula samples each numeric column from its empirical quantiles, "
        "so its KS statistic is sampling noise alone (about 0.01); the VAE's "
        "decoded mixtures smooth the columns' modes and tails (KS about 0.03 "
        "to 0.05)"
    ),
)
def test_numeric_marginals_as_faithful_as_the_copula(fidelity):
    assert fidelity["vae"]["ks"] <= fidelity["copula"]["ks"]
