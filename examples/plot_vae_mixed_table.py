"""
==========================================================
A VAE on a mixed table: samples and imputation of penguins
==========================================================

The Palmer penguins table mixes numeric columns (bill, flipper, body mass)
with categorical ones (species, island, sex). :class:`~skmanifold_attn.
VAETransformer` fits it as it is, a DataFrame with a softmax likelihood per
categorical column and, with ``decoder="gaussian_mixture"``, a mixture of
Gaussians per numeric column (the three species make them multi-modal), and
``sample`` returns a DataFrame of the same columns and categories, each
numeric column's draws matched to the real column's distribution (its
marginal calibration; ``calibrate=False`` draws from the model alone). The
first figure compares the real columns with 2,000 sampled rows.

:class:`~skmanifold_attn.VAEImputer` trains the same kind of model on rows
with holes (the missing cells are left out of the likelihood) and fills each
hole with its importance-weighted conditional expectation given the row's
observed cells. The second figure removes a fifth of the cells at random and
compares the imputation error with scikit-learn's imputers on the same
holes: the root mean squared error of the numeric cells (in units of each
column's standard deviation) and the share of categorical cells filled with
the right category.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from palmerpenguins import load_penguins
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

from skmanifold_attn import VAEImputer, VAETransformer

penguins = load_penguins().drop(columns="year").dropna().reset_index(drop=True)
categorical = ["species", "island", "sex"]
numeric = [name for name in penguins.columns if name not in categorical]
for name in categorical:
    penguins[name] = penguins[name].astype("category")

vae = VAETransformer(
    decoder="gaussian_mixture",
    n_components=4,
    hidden_layer_sizes=(128, 128),
    batch_size=32,
    random_state=0,
).fit(penguins)
sampled = vae.sample(2000, random_state=0)
print(f"trained {vae.n_iter_} epochs; sampled columns: {list(sampled.columns)}")
print(sampled.head())

# %%
# Real and sampled columns
# ------------------------
fig, axes = plt.subplots(2, 4, figsize=(14, 6.5), layout="constrained")
for ax, name in zip(axes[0], numeric, strict=True):
    bins = np.histogram_bin_edges(penguins[name], bins=25)
    ax.hist(penguins[name], bins=bins, density=True, alpha=0.5, label="real")
    ax.hist(sampled[name], bins=bins, density=True, histtype="step", lw=2,
            label="sampled")  # fmt: skip
    ax.set_title(name)
axes[0, 0].legend()
for ax, name in zip(axes[1], categorical, strict=False):
    real = penguins[name].value_counts(normalize=True).sort_index()
    fake = sampled[name].value_counts(normalize=True).reindex(real.index)
    position = np.arange(len(real))
    ax.bar(position - 0.2, real, width=0.4, label="real")
    ax.bar(position + 0.2, fake, width=0.4, label="sampled")
    ax.set_xticks(position, real.index, rotation=20)
    ax.set_title(name)
# The last panel: body mass against flipper length, a link between columns.
ax = axes[1, 3]
ax.scatter(penguins["flipper_length_mm"], penguins["body_mass_g"], s=6,
           label="real")  # fmt: skip
ax.scatter(sampled["flipper_length_mm"][:333], sampled["body_mass_g"][:333], s=6,
           label="sampled")  # fmt: skip
ax.set_xlabel("flipper_length_mm")
ax.set_ylabel("body_mass_g")
ax.legend()
fig.suptitle("Penguins: real rows and rows sampled from the VAE")

# %%
# Imputation error against scikit-learn's imputers
# ------------------------------------------------
# The same holes for every method. scikit-learn's imputers take numbers
# only: SimpleImputer fills numeric columns with their mean and categorical
# ones with their most frequent category; KNNImputer and IterativeImputer see
# standardised numeric columns and one-hot categorical blocks (a missing
# category is missing in its whole block; the iterative imputer's blocks
# drop their first column, which the others determine) and a categorical
# cell takes the category of largest imputed value.
rng = np.random.RandomState(0)
holes = rng.uniform(size=penguins.shape) < 0.2
holed = penguins.mask(holes)


def one_hot(frame, drop_first):
    blocks, layout = [], []
    for name in frame.columns:
        if name in categorical:
            levels = frame[name].cat.categories
            codes = frame[name].cat.codes.to_numpy()
            block = (codes[:, None] == np.arange(len(levels))).astype(float)
            block[codes < 0] = np.nan
            block = block[:, 1:] if drop_first else block
        else:
            values = frame[name].to_numpy(float)
            levels = (np.nanmean(values), np.nanstd(values))
            block = ((values - levels[0]) / levels[1])[:, None]
        blocks.append(block)
        layout.append((name, levels, block.shape[1]))
    return np.hstack(blocks), layout


def decode(matrix, layout, drop_first):
    out, start = {}, 0
    for name, levels, width in layout:
        part = matrix[:, start : start + width]
        start += width
        if name in categorical:
            if drop_first:
                part = np.hstack([1 - part.sum(axis=1, keepdims=True), part])
            out[name] = np.asarray(levels)[part.argmax(axis=1)]
        else:
            out[name] = part[:, 0] * levels[1] + levels[0]
    return pd.DataFrame(out)


def simple(frame):
    out = frame.copy()
    for name in frame.columns:
        strategy = "most_frequent" if name in categorical else "mean"
        column = frame[[name]].astype(object if name in categorical else float)
        out[name] = SimpleImputer(strategy=strategy).fit_transform(column)[:, 0]
    return out


def with_one_hot(imputer, drop_first):
    def impute(frame):
        matrix, layout = one_hot(frame, drop_first)
        return decode(imputer.fit_transform(matrix), layout, drop_first)

    return impute


methods = {
    "SimpleImputer": simple,
    "KNNImputer": with_one_hot(KNNImputer(n_neighbors=5), drop_first=False),
    "IterativeImputer": with_one_hot(
        IterativeImputer(max_iter=50, random_state=0), True
    ),
    "VAEImputer": VAEImputer(random_state=0).fit_transform,
}
rmse, accuracy = {}, {}
for method, impute in methods.items():
    filled = impute(holed)
    errors = [
        (filled[name].to_numpy(float) - penguins[name].to_numpy(float))[holes[:, j]]
        / penguins[name].std()
        for j, name in enumerate(penguins.columns)
        if name in numeric
    ]
    hits = [
        (filled[name].astype(str) == penguins[name].astype(str)).to_numpy()[holes[:, j]]
        for j, name in enumerate(penguins.columns)
        if name in categorical
    ]
    rmse[method] = float(np.sqrt(np.mean(np.concatenate(errors) ** 2)))
    accuracy[method] = float(np.mean(np.concatenate(hits)))
    print(
        f"{method:<17} numeric RMSE {rmse[method]:.3f}  accuracy {accuracy[method]:.3f}"
    )

fig, (ax_rmse, ax_accuracy) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
names = list(methods)
colours = ["tab:gray", "tab:blue", "tab:green", "tab:red"]
ax_rmse.barh(names, [rmse[n] for n in names], color=colours)
ax_rmse.set_xlabel("RMSE of the numeric cells (standard deviations; lower is better)")
ax_accuracy.barh(names, [accuracy[n] for n in names], color=colours)
ax_accuracy.set_xlabel("share of categorical cells right (higher is better)")
ax_accuracy.set_xlim(0, 1)
fig.suptitle("Penguins with 20% of the cells removed: imputation error")
plt.show()
