"""The demo: every estimator of the suite in a Pipeline on the digits data.

The rows, one per public estimator, are in :mod:`._demo_cases`; this module
loads the data, runs them and draws the figure.
"""

import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from ._demo_cases import (  # noqa: F401  (the demo's public names)
    DEMO_CASES,
    DemoCase,
    make_mixed_table,
    remove_pixels,
    select_cases,
)
from .metrics import trustworthiness


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
