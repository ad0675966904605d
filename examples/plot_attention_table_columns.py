"""
=================================================
Which columns of a table does the attention use?
=================================================

:class:`~skmanifold_attn.AttentionPooling` reads a table with one token per
column: a numeric column through its own linear map, a categorical column
(pandas ``category``, ``object`` or ``string`` dtype) through its own table
of learned category embeddings. Missing entries are masked tokens, and a
category never seen at fit gets a learned "unknown" embedding.

The table below has six columns and 5% missing entries. The label depends on
an interaction: a purchase happens when the price is low in shops ``a`` and
``b`` and high in shops ``c`` and ``d``, so neither ``shop`` nor ``price``
alone says anything about it. The other four columns are noise. The
attention weight of each column, averaged over the rows, heads and seeds
(``token_importances_``), shows where the model looked.
"""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline

from skmanifold_attn import (
    AttentionPooling,
    AttentionPoolingClassifier,
    AttentionPoolingRegressor,
)

# %%
# A mixed-type table
# ------------------
rng = np.random.RandomState(0)
n = 1500
shop = rng.choice(list("abcd"), n)
slope = pd.Series(shop).map({"a": -2.0, "b": -1.0, "c": 1.0, "d": 2.0})
price = rng.normal(size=n)
X = pd.DataFrame(
    {
        "noise0": rng.normal(size=n),
        "shop": pd.Categorical(shop),
        "noise1": rng.normal(size=n),
        "price": price,
        "colour": rng.choice(["red", "green", "blue"], n).astype(object),
        "noise2": rng.normal(size=n),
    }
)
y = (slope.to_numpy() * price + 0.3 * rng.normal(size=n) > 0).astype(int)
for column in X.columns:
    X.loc[rng.rand(n) < 0.05, column] = np.nan
print(X.dtypes)

# %%
# Default settings, a linear classifier on the pooled vectors
# -----------------------------------------------------------
pool = AttentionPooling(random_state=0)
pipe = make_pipeline(pool, LogisticRegression(max_iter=2000))
print(f"5-fold accuracy: {cross_val_score(pipe, X, y, cv=5).mean():.3f}")
pool.fit(X, y)
importances = pd.Series(pool.token_importances_, index=pool.feature_names_in_)
print(importances.round(3))

# %%
# Or predict with the network's own head
# --------------------------------------
# :class:`~skmanifold_attn.AttentionPoolingClassifier` is the same network
# and training, keeping the head it trains with y to predict;
# :class:`~skmanifold_attn.AttentionPoolingRegressor` does the same for a
# numeric target, here the (made-up) spend ``slope * price`` in raw units:
# targets are standardised internally.
clf = AttentionPoolingClassifier(random_state=0)
print(f"5-fold accuracy, head: {cross_val_score(clf, X, y, cv=5).mean():.3f}")
spend = 100 * slope.to_numpy() * price + 500
reg = AttentionPoolingRegressor(random_state=0)
print(f"5-fold R², spend: {cross_val_score(reg, X, spend, cv=5).mean():.3f}")

# %%
# Attention per column, and per shop
# ----------------------------------
# The right panel averages the weights over the rows of each shop: the
# model reads the price, and the shop token, everywhere.
weights = pool.attention_weights(X).mean(axis=(1, 2))  # (n_samples, n_columns)
per_shop = (
    pd.DataFrame(weights, columns=X.columns).groupby(X["shop"], observed=True).mean()
)

fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
colours = ["tab:orange" if c in ("shop", "price") else "tab:gray" for c in X.columns]
left.bar(importances.index, importances.to_numpy(), color=colours)
left.set_ylabel("mean attention weight")
left.set_title("token_importances_ (informative columns in orange)")
image = right.imshow(per_shop.to_numpy(), cmap="viridis", aspect="auto")
right.set_xticks(range(len(X.columns)), X.columns, rotation=30)
right.set_yticks(range(len(per_shop)), [f"shop {s}" for s in per_shop.index])
right.set_title("mean attention per shop")
fig.colorbar(image, ax=right)
plt.show()
