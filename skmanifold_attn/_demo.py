"""The demo: every estimator of the suite in a Pipeline on the digits data.

Each public estimator adds a :class:`DemoCase` to ``DEMO_CASES``; a test checks
that none is missing.
"""

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from .attention import AttentionPooling
from .manifold import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    LocallyLinearEmbedding,
    NeighborhoodPreservingEmbedding,
)
from .metrics import trustworthiness
from .vae import VAETransformer


@dataclass(frozen=True)
class DemoCase:
    """One row of the demo.

    Parameters
    ----------
    name : str
        Row label.
    estimator_class : type or None
        The suite's estimator the row shows (None for a reference row).
    make_pipeline : callable
        ``make_pipeline(random_state) -> Pipeline`` whose step ``"embed"`` is
        the estimator and whose last step is a classifier.
    param_grid : dict
        Grid of the small GridSearchCV run on the training split.
    """

    name: str
    estimator_class: type | None
    make_pipeline: Callable
    param_grid: dict = field(default_factory=dict)


def _named(embed, *, scale=None, random_state=0):
    from sklearn.pipeline import Pipeline

    steps = [] if scale is None else [("scale", scale)]
    steps += [
        ("embed", embed),
        ("clf", LogisticRegression(max_iter=2000, random_state=random_state)),
    ]
    return Pipeline(steps)


def _pca_pipeline(random_state):
    return _named(
        PCA(n_components=2, random_state=random_state),
        scale=StandardScaler(),
        random_state=random_state,
    )


def _lle_pipeline(random_state):
    return _named(
        LocallyLinearEmbedding(
            n_neighbors=15, n_components=10, random_state=random_state
        ),
        random_state=random_state,
    )


def _laplacian_eigenmaps_pipeline(random_state):
    return _named(
        LaplacianEigenmaps(
            n_components=10,
            n_neighbors=15,
            unit_variance=True,
            random_state=random_state,
        ),
        random_state=random_state,
    )


def _linear_graph_pipeline(embed):
    def make(random_state):
        from sklearn.pipeline import Pipeline

        # As the papers do: PCA first, so that X^T X is well conditioned.
        return Pipeline(
            [
                ("pca", PCA(n_components=30, random_state=random_state)),
                ("embed", embed),
                ("clf", LogisticRegression(max_iter=2000, random_state=random_state)),
            ]
        )

    return make


def _attention_pipeline(random_state):
    # Digits as 8 tokens (image rows) of 8 pixels, pooled by gated attention.
    return _named(
        AttentionPooling(
            token_dim=8,
            embed_dim=16,
            scoring="gated",
            max_iter=25,
            learning_rate_init=3e-3,
            random_state=random_state,
        ),
        random_state=random_state,
    )


def _vae_pipeline(random_state):
    return _named(
        VAETransformer(
            decoder="bernoulli",
            hidden_layer_sizes=(64,),
            learning_rate_init=3e-3,
            max_iter=40,
            random_state=random_state,
        ),
        random_state=random_state,
    )


DEMO_CASES = [
    DemoCase(
        name="PCA (reference)",
        estimator_class=None,
        make_pipeline=_pca_pipeline,
        param_grid={"embed__n_components": [2, 10]},
    ),
    DemoCase(
        name="LocallyLinearEmbedding",
        estimator_class=LocallyLinearEmbedding,
        make_pipeline=_lle_pipeline,
        param_grid={"embed__n_neighbors": [10, 20]},
    ),
    DemoCase(
        name="LaplacianEigenmaps",
        estimator_class=LaplacianEigenmaps,
        make_pipeline=_laplacian_eigenmaps_pipeline,
        param_grid={"embed__n_neighbors": [10, 20]},
    ),
    DemoCase(
        name="PCA(30) + NPE",
        estimator_class=NeighborhoodPreservingEmbedding,
        make_pipeline=_linear_graph_pipeline(
            NeighborhoodPreservingEmbedding(n_neighbors=8, n_components=10)
        ),
        # From 8 neighbours on, every fold's digits graph is connected.
        param_grid={"embed__n_neighbors": [8, 12]},
    ),
    DemoCase(
        name="PCA(30) + LPP",
        estimator_class=LocalityPreservingProjections,
        make_pipeline=_linear_graph_pipeline(
            LocalityPreservingProjections(n_neighbors=8, n_components=10)
        ),
        # From 8 neighbours on, every fold's digits graph is connected.
        param_grid={"embed__n_neighbors": [8, 12]},
    ),
    DemoCase(
        name="AttentionPooling",
        estimator_class=AttentionPooling,
        make_pipeline=_attention_pipeline,
        param_grid={"embed__n_heads": [2, 4]},
    ),
    DemoCase(
        name="VAETransformer",
        estimator_class=VAETransformer,
        make_pipeline=_vae_pipeline,
        param_grid={"embed__n_components": [2, 8]},
    ),
]


def _load_data(random_state):
    X, y = load_digits(return_X_y=True)
    # Digits pixels are 0..16; [0, 1] suits every estimator (the VAE's
    # Bernoulli decoder included) without changing neighbourhoods.
    X = MinMaxScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=random_state)


def _two_d(Z):
    Z = np.asarray(Z)
    if Z.shape[1] >= 3:
        Z = PCA(n_components=2).fit_transform(Z)
    elif Z.shape[1] == 1:
        Z = np.column_stack([Z[:, 0], np.zeros(len(Z))])
    return Z[:, :2]


def run_demo(*, out="demo_output", only=None, plot=True, random_state=0, cv=3):
    """Fit every demo case, print a results table and save a figure.

    Parameters
    ----------
    out : str or Path, default="demo_output"
        Folder for the figure ``embeddings.png``.
    only : list of str or None, default=None
        Names of the rows to run (all when None).
    plot : bool, default=True
        Whether to write the figure (needs matplotlib).
    random_state : int, default=0
        Seed of the split and of every estimator.
    cv : int, default=3
        Folds of the grid search.

    Returns
    -------
    results : list of dict
        One dict per row with ``name``, ``fit_time``, ``best_params``,
        ``test_accuracy``, ``trustworthiness`` (of the test rows' embedding,
        10 neighbours) and ``embedding`` (2-D coordinates of the test rows).
    """
    cases = DEMO_CASES
    if only:
        wanted = {name.lower() for name in only}
        cases = [
            case
            for case in DEMO_CASES
            if case.name.lower() in wanted
            or (
                case.estimator_class and case.estimator_class.__name__.lower() in wanted
            )
        ]
        if not cases:
            raise SystemExit(
                f"No demo row matches {only}; rows are: "
                + ", ".join(case.name for case in DEMO_CASES)
            )
    X_train, X_test, y_train, y_test = _load_data(random_state)
    print(
        f"digits: {X_train.shape[0]} training rows, {X_test.shape[0]} test rows, "
        f"{X_train.shape[1]} features; GridSearchCV with cv={cv}\n"
    )
    header = (
        f"{'estimator':<34} {'fit time (s)':>12} {'test accuracy':>14} "
        f"{'trustworthiness':>15}  best params"
    )
    print(header)
    print("-" * len(header))
    results = []
    for case in cases:
        search = GridSearchCV(case.make_pipeline(random_state), case.param_grid, cv=cv)
        start = time.perf_counter()
        with warnings.catch_warnings():
            # The demo trains its neural estimators for few epochs on purpose
            # (a quick tour, not a benchmark): their warnings would bury the table.
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        accuracy = search.score(X_test, y_test)
        embedded = search.best_estimator_[:-1].transform(X_test)
        # How far the test rows' neighbours in the embedding are true ones.
        trust = trustworthiness(X_test, embedded, n_neighbors=10)
        embedding = _two_d(embedded)
        params = ", ".join(
            f"{key.split('__', 1)[-1]}={value}"
            for key, value in sorted(search.best_params_.items())
        )
        print(
            f"{case.name:<34} {fit_time:>12.2f} {accuracy:>14.3f} {trust:>15.3f}"
            f"  {params}"
        )
        results.append(
            {
                "name": case.name,
                "fit_time": fit_time,
                "best_params": search.best_params_,
                "test_accuracy": accuracy,
                "trustworthiness": trust,
                "embedding": embedding,
            }
        )
    if plot:
        path = _plot(results, y_test, Path(out))
        print(f"\nfigure: {path}")
    return results


def _plot(results, y, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    n = len(results)
    n_cols = min(n, 3)
    n_rows = -(-n // n_cols)
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(4.2 * n_cols, 4 * n_rows), squeeze=False
    )
    for ax, result in zip(axes.flat, results, strict=False):
        Z = result["embedding"]
        points = ax.scatter(
            Z[:, 0], Z[:, 1], c=y, cmap="tab10", s=6, vmin=-0.5, vmax=9.5
        )
        ax.set_title(
            f"{result['name']}\naccuracy {result['test_accuracy']:.3f}, "
            f"fit {result['fit_time']:.1f} s",
            fontsize=9,
        )
        # A few far-out rows would squash the rest into a corner: frame the
        # central 98% of the points.
        low, high = np.percentile(Z, [1, 99], axis=0)
        pad = 0.08 * (high - low) + 1e-12
        ax.set_xlim(low[0] - pad[0], high[0] + pad[0])
        ax.set_ylim(low[1] - pad[1], high[1] + pad[1])
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    fig.colorbar(points, ax=axes.ravel().tolist(), ticks=range(10), label="digit")
    fig.suptitle("Held-out digits in each estimator's space (2-D view)")
    path = out / "embeddings.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
