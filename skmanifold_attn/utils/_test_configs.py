"""Configurations the shared tests build estimators with.

Each public estimator adds an entry here when it lands:

- ``INSTANCE_PARAMS[name]``: a list of parameter dicts, one test configuration
  each; the first must be fast (it is used by the bad-input and distributed
  tests too). An estimator without an entry is tested with its defaults.
- ``EXPECTED_FAILED_CHECKS[name]``: ``{check name: written reason}``.
- ``GRIDS[name]``: the small parameter grid of the distributed GridSearchCV test.
"""

from ._discovery import all_estimators

INSTANCE_PARAMS = {
    # -- manifold -----------------------------------------------------------
    "LocallyLinearEmbedding": [
        {"n_neighbors": 5, "random_state": 0},
        {"n_neighbors": 8, "method": "modified", "random_state": 0},
        {"n_neighbors": 8, "method": "hessian", "random_state": 0},
        {"n_neighbors": 8, "method": "ltsa", "random_state": 0},
        {"n_neighbors": 6, "eigen_solver": "arpack", "random_state": 0},
    ],
    "LaplacianEigenmaps": [
        {"n_neighbors": 6, "random_state": 0},
        {"affinity": "rbf", "random_state": 0},
        # A named solver runs as asked down to 5 rows per LOBPCG block vector
        # (20 here), so the checks' 20-150-row fits really run LOBPCG.
        {"n_neighbors": 6, "eigen_solver": "lobpcg", "random_state": 0},
    ],
    "LocalityPreservingProjections": [
        {"n_neighbors": 5},
        {"n_neighbors": 5, "weight": "binary"},
    ],
    "NeighborhoodPreservingEmbedding": [{"n_neighbors": 5}],
    # -- attention: tiny and few epochs (checks need behaviour, not accuracy) --
    "AttentionPooling": [
        dict(scoring="dot", embed_dim=8, n_heads=2, max_iter=5, random_state=0),
        dict(
            embedding="shared",
            positional="learned",
            scoring="gated",
            n_seeds=2,
            embed_dim=8,
            n_heads=2,
            max_iter=5,
            random_state=0,
        ),
        dict(
            embedding="shared",
            scoring="dot",
            n_seeds=3,
            embed_dim=6,
            n_heads=3,
            max_iter=5,
            random_state=0,
        ),
        dict(
            scoring="additive",
            n_layers=1,
            positional="sinusoidal",
            embed_dim=8,
            n_heads=2,
            max_iter=3,
            random_state=0,
        ),
    ],
    # The predictors: enough epochs for the checks' accuracy and R² floors.
    "AttentionPoolingClassifier": [
        dict(embed_dim=8, n_heads=2, max_iter=30, random_state=0),
        dict(
            scoring="additive",
            n_layers=1,
            embed_dim=8,
            n_heads=2,
            max_iter=30,
            random_state=0,
        ),
    ],
    "AttentionPoolingRegressor": [
        dict(embed_dim=8, n_heads=2, n_layers=0, max_iter=50, random_state=0),
        dict(embed_dim=8, n_heads=2, max_iter=50, random_state=0),
    ],
    # -- vae: the imputer with a small network and few epochs (the checks'
    # tables are tiny); one configuration with the indicator and kept empty
    # columns.
    "VAEImputer": [
        {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0},
        {
            "n_components": 1,
            "hidden_layer_sizes": (8,),
            "add_indicator": True,
            "keep_empty_features": True,
            "n_draws": 5,
            "max_iter": 5,
            "random_state": 0,
        },
    ],
    # -- neighbour attention: small context, tiny network, few epochs --------
    "NeighborAttention": [
        dict(n_neighbors=5, embed_dim=8, max_iter=5, random_state=0),
        dict(
            n_neighbors=3,
            embed_dim=4,
            weights="barycentric",
            max_iter=3,
            random_state=0,
        ),
    ],
    "NeighborAttentionClassifier": [
        dict(
            n_neighbors=5,
            embed_dim=8,
            learning_rate_init=0.01,
            max_iter=30,
            random_state=0,
        ),
        dict(
            n_neighbors=4,
            embed_dim=8,
            weights="uniform",
            batch_size=32,
            early_stopping=True,
            validation_fraction=0.2,
            learning_rate_init=0.01,
            max_iter=30,
            random_state=0,
        ),
    ],
    "NeighborAttentionRegressor": [
        dict(
            n_neighbors=5,
            embed_dim=8,
            learning_rate_init=0.01,
            max_iter=50,
            random_state=0,
        ),
    ],
    # -- vae: decoder="bernoulli" is left out: it rightly rejects the checks'
    # data, which is not in [0, 1] (tests/vae covers it).
    "VAETransformer": [
        {"hidden_layer_sizes": (8,), "max_iter": 5, "random_state": 0},
        {
            "n_components": 3,
            "hidden_layer_sizes": (16, 8),
            "activation": "tanh",
            "decoder_variance": 0.5,
            "kl_warmup": 3,
            "max_iter": 10,
            "random_state": 0,
        },
        {
            "early_stopping": True,
            "validation_fraction": 0.3,
            "beta": 0.5,
            "free_bits": 0.1,
            "n_mc_samples": 4,
            "max_iter": 10,
            "random_state": 0,
        },
    ],
}

EXPECTED_FAILED_CHECKS = {}

GRIDS = {
    "LocallyLinearEmbedding": {"n_neighbors": [8, 12]},
    # Fewer neighbours leave the digits folds' graphs disconnected, where the
    # zero eigenvectors are arbitrary and scores would differ between runs.
    "LaplacianEigenmaps": {"n_neighbors": [30, 40]},
    "LocalityPreservingProjections": {"n_neighbors": [5, 10]},
    "NeighborhoodPreservingEmbedding": {"n_neighbors": [5, 10]},
    "AttentionPooling": {"embed_dim": [8, 16]},
    "AttentionPoolingClassifier": {"embed_dim": [8, 16]},
    "AttentionPoolingRegressor": {"embed_dim": [8, 16]},
    "VAETransformer": {"n_components": [2, 4]},
    "VAEImputer": {"n_components": [1, 2]},
    "NeighborAttention": {"n_neighbors": [4, 8]},
    "NeighborAttentionClassifier": {"n_neighbors": [4, 8]},
    "NeighborAttentionRegressor": {"n_neighbors": [4, 8]},
}


def instances(fast_only=False):
    """Yield one estimator per configuration of every public estimator."""
    for name, cls in all_estimators():
        configs = INSTANCE_PARAMS.get(name, [{}])
        for params in configs[:1] if fast_only else configs:
            yield cls(**params)


def expected_failed_checks(estimator):
    """Return ``{check name: reason}`` of the checks known to fail."""
    return dict(EXPECTED_FAILED_CHECKS.get(type(estimator).__name__, {}))


def instance_id(estimator):
    """A short readable id: the class name and the non-default parameters."""
    params = INSTANCE_PARAMS.get(type(estimator).__name__, [{}])
    own = estimator.get_params(deep=False)
    for config in params:
        if all(
            own.get(key) is value or own.get(key) == value
            for key, value in config.items()
        ):
            shown = ",".join(f"{key}={value}" for key, value in config.items())
            return f"{type(estimator).__name__}({shown})"
    return type(estimator).__name__
