"""
========================================================
Which training rows decided? NeighborAttention on digits
========================================================

:class:`~skmanifold_attn.NeighborAttentionClassifier` classifies a row from an
attention over its nearest training rows, their labels and their differences
from the row (as TabR). Its method
:meth:`~skmanifold_attn.NeighborAttentionClassifier.neighbor_weights` returns,
for each row, the training rows it attended to and their weights: an
explanation by example.

Below, for a few test digits (the first column, with the prediction), the
eight training digits with the largest attention weights, each with its
label and weight. The pixels share one unit, so the neighbours are found in
the space of ``X`` as given (``scale_retrieval=False``).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skmanifold_attn import NeighborAttentionClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
# Early stopping holds out 10% of the training rows and stops once their
# accuracy stops improving.
clf = NeighborAttentionClassifier(
    n_neighbors=16, scale_retrieval=False, early_stopping=True, random_state=0
).fit(X_train, y_train)
print(f"Test accuracy: {clf.score(X_test, y_test):.3f}")

# %%
# The rows to explain: a few test digits, including a misclassified one when
# there is one.
predicted = clf.predict(X_test)
wrong = np.flatnonzero(predicted != y_test)
rows = np.concatenate([[0, 1, 2], wrong[:1]]).astype(int)
indices, weights = clf.neighbor_weights(X_test[rows])

n_shown = 8
fig, axes = plt.subplots(len(rows), n_shown + 1, figsize=(10, 1.4 * len(rows)))
for line, row in enumerate(rows):
    ax = axes[line, 0]
    ax.imshow(X_test[row].reshape(8, 8), cmap="gray_r")
    ax.set_title(f"true {y_test[row]}, pred {predicted[row]}", fontsize=8)
    order = np.argsort(weights[line])[::-1][:n_shown]
    for column, slot in enumerate(order, start=1):
        ax = axes[line, column]
        train_row = indices[line, slot]
        ax.imshow(X_train[train_row].reshape(8, 8), cmap="Blues")
        ax.set_title(f"{y_train[train_row]}: {weights[line, slot]:.2f}", fontsize=8)
for ax in axes.ravel():
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("Test digit (left) and the training digits it attended to (label: weight)")
fig.tight_layout()
plt.show()

# %%
# The weights sum to one over the 16 retrieved rows; how concentrated they
# are says how much the prediction rests on a few close examples.
print("Largest weight per row:", np.round(weights.max(axis=1), 2))

# %%
# Regression: the same explanation for
# :class:`~skmanifold_attn.NeighborAttentionRegressor` on a noisy curve. For
# three test points (stars, at their prediction), the training points they
# attended to are circled, in proportion to their weights.
from skmanifold_attn import NeighborAttentionRegressor  # noqa: E402

rng = np.random.RandomState(0)
x = np.sort(rng.uniform(-3, 3, size=300))
t = np.sin(2 * x) + 0.2 * rng.normal(size=x.size)
reg = NeighborAttentionRegressor(n_neighbors=12, early_stopping=True, random_state=0)
reg.fit(x[:, None], t)
x_new = np.array([[-2.0], [0.3], [2.2]])
t_new = reg.predict(x_new)
indices, weights = reg.neighbor_weights(x_new)

fig, ax = plt.subplots(figsize=(8, 4))
ax.scatter(x, t, s=6, color="0.7", label="training rows")
for i, colour in enumerate(["C0", "C1", "C2"]):
    ax.scatter(
        x[indices[i]],
        t[indices[i]],
        s=600 * weights[i],
        facecolors="none",
        edgecolors=colour,
    )
    ax.scatter(x_new[i], t_new[i], marker="*", s=200, color=colour)
ax.set_xlabel("x")
ax.set_ylabel("target")
ax.set_title("Each prediction (star) and the training rows it attended to")
ax.legend(loc="lower left")
plt.show()
