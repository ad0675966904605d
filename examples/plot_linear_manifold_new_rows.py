"""
==========================================================
New rows through PCA, NPE, LPP and Laplacian Eigenmaps
==========================================================

A transformer in a tabular pipeline must embed rows it has never seen. Here
four 2-D embeddings are fitted on part of an S-curve and then applied to
held-out rows:

- :class:`~sklearn.decomposition.PCA`: linear, blind to neighbourhoods;
- :class:`skmanifold_attn.NeighborhoodPreservingEmbedding` (NPE) and
  :class:`skmanifold_attn.LocalityPreservingProjections` (LPP): linear maps
  that preserve the neighbourhood graph, as cheap as PCA on new rows;
- :class:`skmanifold_attn.LaplacianEigenmaps`: the nonlinear spectral
  embedding, whose new rows go through the Nystrom extension.

Faded points are the training rows, bold ones the held-out rows, both
coloured by their position along the curve. The titles give how well a
nearest-neighbour regressor fitted on the training rows' coordinates
predicts the held-out rows' position (R^2): a map that keeps the curve's
order scores near 1.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_s_curve
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split
from sklearn.neighbors import KNeighborsRegressor

from skmanifold_attn import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    NeighborhoodPreservingEmbedding,
)

X, position = make_s_curve(2000, noise=0.02, random_state=0)
# Stretch the curve's width, which says nothing about the position along it,
# so that it carries the most variance.
X = X.copy()
X[:, 1] *= 3
X_train, X_new, pos_train, pos_new = train_test_split(
    X, position, test_size=0.25, random_state=0
)

models = {
    "PCA": PCA(n_components=2),
    "NPE": NeighborhoodPreservingEmbedding(n_neighbors=10, n_components=2),
    "LPP": LocalityPreservingProjections(n_neighbors=10, n_components=2),
    "LaplacianEigenmaps": LaplacianEigenmaps(
        n_components=2, n_neighbors=10, unit_variance=True, random_state=0
    ),
}

fig, axes = plt.subplots(2, 2, figsize=(8, 8))
for ax, (name, model) in zip(axes.flat, models.items(), strict=True):
    Z_train = model.fit_transform(X_train)
    Z_new = model.transform(X_new)
    score = (
        KNeighborsRegressor(n_neighbors=10)
        .fit(Z_train, pos_train)
        .score(Z_new, pos_new)
    )
    print(f"{name:<20} held-out position R^2 = {score:.3f}")
    ax.scatter(*Z_train.T, c=pos_train, cmap="viridis", s=4, alpha=0.15)
    ax.scatter(*Z_new.T, c=pos_new, cmap="viridis", s=10, edgecolors="k", lw=0.2)
    ax.set_title(f"{name}\nheld-out R$^2$ = {score:.2f}")
    ax.set_xticks([])
    ax.set_yticks([])
fig.suptitle("S-curve: training rows (faded) and new rows (bold)")
fig.tight_layout()
plt.show()
