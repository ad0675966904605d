"""The demo: every estimator of the suite in a Pipeline on the digits data.

Each public estimator adds a :class:`DemoCase` to ``DEMO_CASES``; a test checks
that none is missing. A row may run on a mixed-type table instead
(:func:`make_mixed_table`: numeric and categorical columns, missing values).
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

from .attention import (
    AttentionPooling,
    AttentionPoolingClassifier,
    AttentionPoolingRegressor,
    NeighborAttention,
    NeighborAttentionClassifier,
    NeighborAttentionRegressor,
)
from .manifold import (
    LaplacianEigenmaps,
    LocalityPreservingProjections,
    LocallyLinearEmbedding,
    NeighborhoodPreservingEmbedding,
)
from .metrics import trustworthiness
from .vae import VAEImputer, VAETransformer


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
        the estimator and whose last step is a classifier (or is the
        estimator itself, a classifier whose ``transform`` gives the
        embedding).
    param_grid : dict
        Grid of the small GridSearchCV run on the training split.
    aliases : tuple of str
        Short names ``--only`` accepts besides ``name`` and the class name.
    data : {"digits", "table"}
        The data of the row: the digits, or :func:`make_mixed_table` (not
        drawn in the figure, whose colours are digits).
    related : tuple of type
        Other estimators of the suite on the same model that the row stands
        for (predictors whose transformer is shown).
    """

    name: str
    estimator_class: type | None
    make_pipeline: Callable
    param_grid: dict = field(default_factory=dict)
    aliases: tuple = ()
    data: str = "digits"
    related: tuple = ()

    def names(self):
        """Every name ``--only`` accepts for this row."""
        names = [self.name, *self.aliases]
        if self.estimator_class is not None:
            names.append(self.estimator_class.__name__)
        return list(dict.fromkeys(names))


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


def _attention_table_pipeline(random_state):
    # Default settings: every column a token, categories embedded by tables.
    return _named(AttentionPooling(random_state=random_state), random_state=0)


def _neighbor_attention_pipeline(random_state):
    # Pixels share one unit: neighbours in the space of X as given.
    return _named(
        NeighborAttention(
            n_neighbors=16,
            embed_dim=16,
            scale_retrieval=False,
            max_iter=30,
            learning_rate_init=3e-3,
            random_state=random_state,
        ),
        random_state=random_state,
    )


def _attention_classifier_pipeline(random_state):
    from sklearn.pipeline import Pipeline

    # The same network predicting with its own head, on the mixed table;
    # its transform gives the pooled vectors.
    return Pipeline([("embed", AttentionPoolingClassifier(random_state=random_state))])


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


# Share of the pixels the imputer row removes before imputing them.
DEMO_HOLES = 0.2


def remove_pixels(X):
    """``X`` with ``DEMO_HOLES`` of its cells set missing (a fixed pattern)."""
    X = np.array(X, dtype=np.float64)
    X[np.random.RandomState(0).uniform(size=X.shape) < DEMO_HOLES] = np.nan
    return X


def _imputer_pipeline(random_state):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    # A fifth of the pixels removed, filled by the VAE, then PCA(10) as the
    # reference row's embedding: the accuracy shows what the imputation
    # keeps of the digits.
    return Pipeline(
        [
            ("holes", FunctionTransformer(remove_pixels)),
            (
                "embed",
                VAEImputer(
                    hidden_layer_sizes=(64,),
                    batch_size=64,
                    max_iter=30,
                    n_draws=20,
                    random_state=random_state,
                ),
            ),
            ("pca", PCA(n_components=10, random_state=random_state)),
            ("clf", LogisticRegression(max_iter=2000, random_state=random_state)),
        ]
    )


DEMO_CASES = [
    DemoCase(
        name="PCA (reference)",
        estimator_class=None,
        make_pipeline=_pca_pipeline,
        param_grid={"embed__n_components": [2, 10]},
        aliases=("PCA",),
    ),
    DemoCase(
        name="LocallyLinearEmbedding",
        estimator_class=LocallyLinearEmbedding,
        make_pipeline=_lle_pipeline,
        param_grid={"embed__n_neighbors": [10, 20]},
        aliases=("LLE",),
    ),
    DemoCase(
        name="LaplacianEigenmaps",
        estimator_class=LaplacianEigenmaps,
        make_pipeline=_laplacian_eigenmaps_pipeline,
        param_grid={"embed__n_neighbors": [10, 20]},
        aliases=("LE",),
    ),
    DemoCase(
        name="PCA(30) + NPE",
        estimator_class=NeighborhoodPreservingEmbedding,
        make_pipeline=_linear_graph_pipeline(
            NeighborhoodPreservingEmbedding(n_neighbors=8, n_components=10)
        ),
        # From 8 neighbours on, every fold's digits graph is connected.
        param_grid={"embed__n_neighbors": [8, 12]},
        aliases=("NPE",),
    ),
    DemoCase(
        name="PCA(30) + LPP",
        estimator_class=LocalityPreservingProjections,
        make_pipeline=_linear_graph_pipeline(
            LocalityPreservingProjections(n_neighbors=8, n_components=10)
        ),
        # From 8 neighbours on, every fold's digits graph is connected.
        param_grid={"embed__n_neighbors": [8, 12]},
        aliases=("LPP",),
    ),
    DemoCase(
        name="AttentionPooling",
        estimator_class=AttentionPooling,
        make_pipeline=_attention_pipeline,
        param_grid={"embed__n_heads": [2, 4]},
    ),
    DemoCase(
        name="AttentionPooling (mixed table)",
        estimator_class=AttentionPooling,
        make_pipeline=_attention_table_pipeline,
        param_grid={"embed__n_heads": [2, 4]},
        aliases=("table",),
        data="table",
    ),
    DemoCase(
        name="NeighborAttention",
        estimator_class=NeighborAttention,
        make_pipeline=_neighbor_attention_pipeline,
        param_grid={"embed__n_neighbors": [8, 16]},
        aliases=("TabR",),
        related=(NeighborAttentionClassifier, NeighborAttentionRegressor),
    ),
    DemoCase(
        name="AttentionPoolingClassifier (mixed table)",
        estimator_class=AttentionPoolingClassifier,
        make_pipeline=_attention_classifier_pipeline,
        param_grid={"embed__n_heads": [2, 4]},
        aliases=("head",),
        data="table",
        related=(AttentionPoolingRegressor,),
    ),
    DemoCase(
        name="VAETransformer",
        estimator_class=VAETransformer,
        make_pipeline=_vae_pipeline,
        param_grid={"embed__n_components": [2, 8]},
        aliases=("VAE",),
    ),
    DemoCase(
        name="VAEImputer (20% holes) + PCA(10)",
        estimator_class=VAEImputer,
        make_pipeline=_imputer_pipeline,
        param_grid={"embed__n_components": [2, 8]},
        aliases=("imputer",),
    ),
]


def _key(name):
    return " ".join(str(name).lower().split())


def select_cases(only=None):
    """The demo rows named in ``only``, in the table's order.

    Parameters
    ----------
    only : list of str or None, default=None
        Row names as the table prints them (``"PCA(30) + NPE"``), class names
        (``NeighborhoodPreservingEmbedding``) or short names (``NPE``), in any
        case. None or empty selects every row.

    Returns
    -------
    cases : list of DemoCase
        The selected rows.

    Raises
    ------
    ValueError
        If a name matches no row; the message lists the valid names.
    """
    if not only:
        return list(DEMO_CASES)
    wanted = {_key(name): name for name in only}
    matched = set()
    cases = []
    for case in DEMO_CASES:
        hits = {_key(name) for name in case.names()} & set(wanted)
        if hits:
            cases.append(case)
            matched |= hits
    unknown = [name for key, name in wanted.items() if key not in matched]
    if unknown:
        valid = "; ".join(" | ".join(case.names()) for case in DEMO_CASES)
        raise ValueError(
            f"No demo row is named {', '.join(map(repr, unknown))}. Valid names "
            f"(any case; one row per group): {valid}."
        )
    return cases


def matplotlib_available():
    """Whether matplotlib can be imported (the demo figure needs it)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


NO_MATPLOTLIB = (
    "matplotlib is not installed: the table is printed, the figure is skipped. "
    'For the figure, install the examples extra (pip install ".[examples]" from '
    "a checkout) or matplotlib itself."
)


def _load_data(random_state):
    X, y = load_digits(return_X_y=True)
    # Digits pixels are 0..16; [0, 1] suits every estimator (the VAE's
    # Bernoulli decoder included) without changing neighbourhoods.
    X = MinMaxScaler().fit_transform(X)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=random_state)


def make_mixed_table(n_samples=1500, *, missing=0.05, random_state=0):
    """A mixed-type table whose label is an interaction of two columns.

    A purchase (``y = 1``) happens when the price is low in shops ``a`` and
    ``b`` and high in shops ``c`` and ``d``: ``slope[shop] * price + noise >
    0`` with slopes -2, -1, 1, 2. Neither column alone says anything about
    ``y``; the other four columns are noise.

    Parameters
    ----------
    n_samples : int, default=1500
        Number of rows.
    missing : float, default=0.05
        Share of missing entries (NaN) in every column.
    random_state : int, default=0
        Seed.

    Returns
    -------
    X : pandas.DataFrame of shape (n_samples, 6)
        Columns ``noise0``, ``shop`` (category), ``noise1``, ``price``,
        ``colour`` (strings) and ``noise2``.
    y : ndarray of shape (n_samples,)
        0 or 1.

    Examples
    --------
    >>> from skmanifold_attn._demo import make_mixed_table
    >>> X, y = make_mixed_table(100)
    >>> X.shape, sorted(set(y.tolist()))
    ((100, 6), [0, 1])
    """
    import pandas as pd

    rng = np.random.RandomState(random_state)
    shop = rng.choice(list("abcd"), n_samples)
    slope = pd.Series(shop).map({"a": -2.0, "b": -1.0, "c": 1.0, "d": 2.0})
    price = rng.normal(size=n_samples)
    X = pd.DataFrame(
        {
            "noise0": rng.normal(size=n_samples),
            "shop": pd.Categorical(shop),
            "noise1": rng.normal(size=n_samples),
            "price": price,
            "colour": rng.choice(["red", "green", "blue"], n_samples).astype(object),
            "noise2": rng.normal(size=n_samples),
        }
    )
    noise = 0.3 * rng.normal(size=n_samples)
    y = (slope.to_numpy() * price + noise > 0).astype(int)
    if missing:
        for column in X.columns:
            X.loc[rng.rand(n_samples) < missing, column] = np.nan
    return X, y


def _load_table(random_state):
    X, y = make_mixed_table(random_state=random_state)
    return train_test_split(X, y, test_size=0.3, stratify=y, random_state=random_state)


def _numeric_view(X_train, X_test):
    # One-hot categories and standardised, imputed numbers: the space whose
    # neighbourhoods the trustworthiness of a table row is measured in.
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    encode = make_column_transformer(
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
            make_column_selector(dtype_exclude="number"),
        ),
        (
            make_pipeline(SimpleImputer(), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
    )
    return encode.fit(X_train).transform(X_test)


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
        Names of the rows to run (all when None); see :func:`select_cases`.
    plot : bool, default=True
        Whether to write the figure. Without matplotlib the figure is skipped
        with a message saying how to get it.
    random_state : int, default=0
        Seed of the split and of every estimator.
    cv : int, default=3
        Folds of the grid search.

    Returns
    -------
    results : list of dict
        One dict per row with ``name``, ``fit_time``, ``best_params``,
        ``test_accuracy``, ``trustworthiness`` (of the test rows' embedding,
        10 neighbours), ``n_dims`` (dimension of the embedding) and
        ``embedding`` (2-D coordinates of the test rows: a PCA projection when
        ``n_dims`` is above 2), and ``data`` (``"digits"`` or ``"table"``;
        the trustworthiness of a table row is measured against its one-hot,
        standardised encoding; table rows are not drawn).

    Raises
    ------
    ValueError
        If a name in ``only`` matches no row.
    """
    cases = select_cases(only)
    if plot and not matplotlib_available():
        # Say so before the grid searches, not after them.
        print(NO_MATPLOTLIB + "\n")
        plot = False
    data = {"digits": _load_data(random_state)}
    X_train, X_test = data["digits"][:2]
    print(
        f"digits: {X_train.shape[0]} training rows, {X_test.shape[0]} test rows, "
        f"{X_train.shape[1]} features; GridSearchCV with cv={cv}"
    )
    if any(case.data == "table" for case in cases):
        data["table"] = _load_table(random_state)
        X_train, X_test = data["table"][:2]
        print(
            f"mixed table: {X_train.shape[0]} training rows, {X_test.shape[0]} "
            f"test rows, {X_train.shape[1]} columns (numeric, categorical, 5% "
            "missing), label from the interaction shop x price"
        )
    print()
    header = (
        f"{'estimator':<34} {'fit time (s)':>12} {'test accuracy':>14} "
        f"{'trustworthiness':>15}  best params"
    )
    print(header)
    print("-" * len(header))
    results = []
    for case in cases:
        X_train, X_test, y_train, y_test = data[case.data]
        search = GridSearchCV(case.make_pipeline(random_state), case.param_grid, cv=cv)
        start = time.perf_counter()
        with warnings.catch_warnings():
            # The demo trains its neural estimators for few epochs on purpose
            # (a quick tour, not a benchmark): their warnings would bury the table.
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X_train, y_train)
        fit_time = time.perf_counter() - start
        accuracy = search.score(X_test, y_test)
        best = search.best_estimator_
        # A classifier row embeds by the classifier's own transform.
        embed = best if best.steps[-1][0] == "embed" else best[:-1]
        Z_test = np.asarray(embed.transform(X_test))
        # How far the test rows' neighbours in the embedding are true ones.
        X_view = X_test if case.data == "digits" else _numeric_view(X_train, X_test)
        trust = trustworthiness(X_view, Z_test, n_neighbors=10)
        embedding = _two_d(Z_test)
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
                "n_dims": Z_test.shape[1],
                "trustworthiness": trust,
                "embedding": embedding,
                "data": case.data,
            }
        )
    drawn = [r for r in results if r["data"] == "digits"]
    if plot and drawn:
        path = _plot(drawn, data["digits"][3], Path(out))
        print(f"\nfigure: {path}")
    return results


def _grid_shape(n_slots):
    # Slide-shaped (wider than tall): at most 4 slots a line.
    n_rows = -(-n_slots // 4)
    return n_rows, -(-n_slots // n_rows)


def _view_limits(Z):
    # A few far-out rows would squash the rest into a corner: frame the
    # central 98% of the points on each axis.
    low, high = np.percentile(Z, [1, 99], axis=0)
    pad = 0.06 * (high - low) + 1e-12
    return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])


FIGURE_NOTES = (
    "How to read it",
    "Points: the held-out digits (30% of the rows,\nnever seen in fitting), "
    "coloured by digit.\n\n"
    "Panels of more than 2 dimensions show a\n2-D PCA projection of that space.\n\n"
    "Accuracy: a LogisticRegression fitted on the\nembedded training rows, "
    "scored on the\nheld-out rows.\n\n"
    "Axes: clipped to the central 98% of the\npoints on each axis.",
)


def demo_figure(results, y):
    """The demo figure: one panel per row and a panel of notes and legend.

    Parameters
    ----------
    results : list of dict
        What :func:`run_demo` returns.
    y : array-like of shape (n_test,)
        Digit of each held-out row (colours).

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure, slide-shaped (16:9 for the full demo).
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    n_rows, n_cols = _grid_shape(len(results) + 1)
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(3.3 * n_cols, 3.5 * n_rows + 0.6),
        squeeze=False,
        layout="constrained",
    )
    colours = plt.get_cmap("tab10")
    for ax, result in zip(axes.flat, results, strict=False):
        Z = result["embedding"]
        ax.scatter(Z[:, 0], Z[:, 1], c=colours(np.asarray(y) % 10), s=7, lw=0)
        n_dims = result.get("n_dims", 2)
        view = f"{n_dims}-D, PCA view" if n_dims > 2 else f"{n_dims}-D"
        ax.set_title(
            f"{result['name']}\n{view} · accuracy {result['test_accuracy']:.3f}"
            f" · {result['fit_time']:.1f} s",
            fontsize=10,
        )
        xlim, ylim = _view_limits(Z)
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_xticks([])
        ax.set_yticks([])
    notes = list(axes.flat)[len(results)]
    notes.axis("off")
    title, text = FIGURE_NOTES
    notes.text(0.0, 1.0, title, fontsize=11, weight="bold", va="top")
    notes.text(0.0, 0.9, text, fontsize=8.5, va="top", linespacing=1.25)
    handles = [
        Line2D([], [], ls="", marker="o", color=colours(d), label=str(d))
        for d in range(10)
    ]
    notes.legend(
        handles=handles,
        title="digit",
        ncols=5,
        loc="lower left",
        bbox_to_anchor=(0.0, 0.0),
        fontsize=9,
        handletextpad=0.1,
        columnspacing=0.8,
        frameon=False,
    )
    for ax in list(axes.flat)[len(results) + 1 :]:
        ax.axis("off")
    fig.suptitle(
        "Digits embedded by each estimator (fitted on 70% of the rows, "
        "tuned by GridSearchCV)",
        fontsize=12,
    )
    return fig


def _plot(results, y, out):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    fig = demo_figure(results, y)
    path = out / "embeddings.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
