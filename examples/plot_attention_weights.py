"""
===========================================
Where does AttentionPooling look? A heatmap
===========================================

:class:`~skmanifold_attn.AttentionPooling` pools the tokens of each row into
one vector by attention, and :meth:`~skmanifold_attn.AttentionPooling.attention_weights`
shows how much each token counted.

Two views:

1. Digits seen as 8 tokens (the image rows) of 8 pixels: the mean attention
   of each class over the rows of the image.
2. A multiple-instance task: each row is a bag of 10 two-dimensional
   instances (shared embedding: a set), labelled positive when the bag holds
   one instance of a target cluster. The attention finds that instance.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler

from skmanifold_attn import AttentionPooling

# %%
# Digits: 8 row tokens
# --------------------
X, y = load_digits(return_X_y=True)
X = MinMaxScaler().fit_transform(X).astype(np.float32)
# Training stops once the loss improves by less than tol for n_iter_no_change
# epochs (about 50 epochs here), well before max_iter.
digits_pool = AttentionPooling(
    token_dim=8,
    scoring="gated",
    learning_rate_init=3e-3,
    tol=1e-3,
    random_state=0,
)
pipe = make_pipeline(digits_pool, LogisticRegression(max_iter=2000))
print(f"digits, 3-fold accuracy: {cross_val_score(pipe, X, y, cv=3).mean():.3f}")
digits_pool.fit(X, y)
# (n, heads, seeds, tokens) -> mean over heads and seeds -> per class
weights = digits_pool.attention_weights(X).mean(axis=(1, 2))
per_class = np.stack([weights[y == c].mean(axis=0) for c in range(10)])


# %%
# Multiple-instance bags
# ----------------------
def make_bags(n_bags, bag_size=10, seed=0):
    """Bags of 2-D instances; positives hold one instance near (3, 0)."""
    rng = np.random.RandomState(seed)
    decoys = np.array([[-3.0, 0.0], [0.0, 3.0], [0.0, -3.0]])
    centres = decoys[rng.randint(3, size=(n_bags, bag_size))]
    label = rng.rand(n_bags) < 0.5
    target = rng.randint(bag_size, size=n_bags)
    centres[label, target[label]] = [3.0, 0.0]
    bags = centres + 0.7 * rng.normal(size=centres.shape)
    return bags.reshape(n_bags, -1), label.astype(int), np.where(label, target, -1)


X_bags, y_bags, target = make_bags(600)
bag_pool = AttentionPooling(
    token_dim=2,
    embedding="shared",
    embed_dim=16,
    # One query with a light penalty: one clear weight per instance.
    n_seeds=1,
    alpha=1e-4,
    n_iter_no_change=10,
    learning_rate_init=3e-3,
    # Stop when the held-out accuracy stops improving; keep the best weights.
    early_stopping=True,
    random_state=0,
).fit(X_bags, y_bags)
bag_weights = bag_pool.attention_weights(X_bags[:16]).mean(axis=(1, 2))
positives = target[:16] >= 0
found = np.argmax(bag_weights, axis=1)[positives] == target[:16][positives]
print(f"largest weight on the target instance in {found.mean():.0%} of positive bags")

# %%
# The heatmaps
# ------------
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5))
image = left.imshow(per_class, cmap="viridis", aspect="auto")
left.set_xlabel("image row (token)")
left.set_ylabel("digit")
left.set_yticks(range(10))
left.set_title("Digits: mean attention per class")
fig.colorbar(image, ax=left)

image = right.imshow(bag_weights, cmap="magma", aspect="auto")
rows = np.flatnonzero(positives)
right.scatter(
    target[:16][rows],
    rows,
    marker="o",
    facecolors="none",
    edgecolors="cyan",
    s=120,
    label="target instance",
)
right.set_xlabel("instance in the bag (token)")
right.set_ylabel("bag")
right.set_title("Multiple-instance bags: attention weights")
right.legend(loc="upper right", fontsize=8)
fig.colorbar(image, ax=right)
fig.tight_layout()
plt.show()
