"""
=================================================
Four locally linear embeddings of the swiss roll
=================================================

:class:`skmanifold_attn.LocallyLinearEmbedding` is a drop-in for
:class:`sklearn.manifold.LocallyLinearEmbedding`. Here the four methods
(standard, modified, Hessian and LTSA) unroll the same swiss roll, each fitted
by both implementations; the titles give both fit times and the Procrustes
residual between the two embeddings (how far ours is from scikit-learn's
after the best rotation).
"""

import time

import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import orthogonal_procrustes
from sklearn import manifold
from sklearn.datasets import make_swiss_roll

from skmanifold_attn import LocallyLinearEmbedding

X, colour = make_swiss_roll(1500, random_state=0)
params = dict(n_neighbors=12, n_components=2, random_state=0)

fig, axes = plt.subplots(2, 2, figsize=(8, 8))
methods = ["standard", "modified", "hessian", "ltsa"]
for ax, method in zip(axes.flat, methods, strict=True):
    start = time.perf_counter()
    ours = LocallyLinearEmbedding(method=method, **params).fit(X)
    ours_time = time.perf_counter() - start
    start = time.perf_counter()
    reference = manifold.LocallyLinearEmbedding(method=method, **params).fit(X)
    sklearn_time = time.perf_counter() - start

    rotation, _ = orthogonal_procrustes(ours.embedding_, reference.embedding_)
    residual = np.linalg.norm(
        ours.embedding_ @ rotation - reference.embedding_
    ) / np.linalg.norm(reference.embedding_)
    print(
        f"{method:>9}: ours {ours_time:.2f} s, sklearn {sklearn_time:.2f} s "
        f"(ratio {sklearn_time / ours_time:.1f}), Procrustes residual "
        f"{residual:.1e}, reconstruction error {ours.reconstruction_error_:.3e} "
        f"vs {reference.reconstruction_error_:.3e}"
    )
    Y = ours.embedding_
    ax.scatter(Y[:, 0], Y[:, 1], c=colour, cmap="viridis", s=4)
    ax.set_title(
        f"{method}\nours {ours_time:.2f} s, sklearn {sklearn_time:.2f} s\n"
        f"Procrustes residual {residual:.0e}",
        fontsize=10,
    )
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("LocallyLinearEmbedding on a 1,500-point swiss roll")
fig.tight_layout()
plt.show()

# %%
# New points and the way back
# ---------------------------
# ``transform`` embeds points that were not in the training set and maps the
# training rows exactly onto ``embedding_``; ``inverse_transform`` carries
# embedding coordinates back to the roll.
X_new = make_swiss_roll(200, random_state=1)[0]
est = LocallyLinearEmbedding(**params).fit(X)
assert np.array_equal(est.transform(X), est.embedding_)
X_back = est.inverse_transform(est.transform(X_new))
print(
    "median round-trip error of new points:",
    f"{np.median(np.linalg.norm(X_back - X_new, axis=1)):.3f}",
)
