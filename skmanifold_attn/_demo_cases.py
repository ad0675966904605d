"""The demo's rows: one :class:`DemoCase` per public estimator of the suite.

Each public estimator adds a row to ``DEMO_CASES``; a test checks that none is
missing. A row may run on a mixed-type table instead
(:func:`make_mixed_table`: numeric and categorical columns, missing values).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

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
