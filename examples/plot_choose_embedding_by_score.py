"""
======================================================
Choosing an embedding without labels, by its quality
======================================================

The swiss roll has no labels to score a downstream model with, yet
``n_neighbors`` and ``method`` of :class:`skmanifold_attn.LocallyLinearEmbedding`
decide whether it is unrolled or crushed. The scorers of
:mod:`skmanifold_attn.metrics` rate how well a fitted model embeds held-out
rows: :func:`~skmanifold_attn.metrics.trustworthiness` (are the neighbours in
the embedding true neighbours?) and
:func:`~skmanifold_attn.metrics.continuity` (are true neighbours kept
together?). :class:`~sklearn.model_selection.GridSearchCV` takes them as
``scoring`` and refits the best model by trustworthiness. Without ``scoring``
it would use the estimator's own ``score``, the same trustworthiness.

The position along the roll colours the plots; the search never sees it.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_swiss_roll
from sklearn.model_selection import GridSearchCV, KFold

from skmanifold_attn import LocallyLinearEmbedding
from skmanifold_attn.metrics import make_embedding_scorer

X, position = make_swiss_roll(1000, random_state=0)

search = GridSearchCV(
    LocallyLinearEmbedding(random_state=0),
    {"n_neighbors": [3, 8, 20], "method": ["standard", "modified", "ltsa"]},
    scoring={
        "trustworthiness": make_embedding_scorer("trustworthiness", n_neighbors=10),
        "continuity": make_embedding_scorer("continuity", n_neighbors=10),
    },
    refit="trustworthiness",
    cv=KFold(3, shuffle=True, random_state=0),
).fit(X)

results = search.cv_results_
print(f"{'method':<10} {'n_neighbors':>11} {'trustworthiness':>16} {'continuity':>11}")
for params, trust, cont in zip(
    results["params"],
    results["mean_test_trustworthiness"],
    results["mean_test_continuity"],
    strict=True,
):
    method, k = params["method"], params["n_neighbors"]
    print(f"{method:<10} {k:>11} {trust:>16.3f} {cont:>11.3f}")
print("picked:", search.best_params_)

# %%
# The picked model beside the worst-scored one, both refitted on all rows.
worst = results["params"][int(np.argmin(results["mean_test_trustworthiness"]))]
models = {
    "picked": search.best_estimator_,
    "worst scored": LocallyLinearEmbedding(random_state=0, **worst).fit(X),
}
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
for ax, (label, model) in zip(axes, models.items(), strict=True):
    embedding = model.embedding_
    ax.scatter(embedding[:, 0], embedding[:, 1], c=position, s=6, cmap="viridis")
    ax.set_title(
        f"{label}: method={model.method}, n_neighbors={model.n_neighbors}\n"
        f"trustworthiness {model.score(X):.3f}"
    )
    ax.set_xticks([])
    ax.set_yticks([])
plt.tight_layout()
plt.show()
