"""Checks of the VAE's parameters and inputs, with sklearn-worded errors."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

# The estimator parameters that define the network: a continued fit
# (warm_start or partial_fit) needs them unchanged.
ARCHITECTURE_PARAMS = (
    "n_components",
    "hidden_layer_sizes",
    "activation",
    "decoder",
    "decoder_variance",
)


def check_hidden_sizes(hidden_layer_sizes):
    """Hidden widths as a list of positive ints.

    Parameters
    ----------
    hidden_layer_sizes : int or array-like of int
        The estimator's ``hidden_layer_sizes``.

    Returns
    -------
    sizes : list of int
        One width per hidden layer.

    Raises
    ------
    ValueError
        If the value is not an int or a flat sequence of ints, or if a width
        is below 1.
    """
    sizes = np.atleast_1d(np.asarray(hidden_layer_sizes))
    if sizes.ndim != 1 or not np.issubdtype(sizes.dtype, np.integer):
        raise ValueError(
            "hidden_layer_sizes must be an int or a sequence of ints, got "
            f"{hidden_layer_sizes!r}."
        )
    if np.any(sizes < 1):
        raise ValueError(f"hidden_layer_sizes must be > 0, got {hidden_layer_sizes!r}.")
    return [int(size) for size in sizes]


def warn_if_wider_than_data(n_components, n_features):
    """Warn when the latent space is wider than the data.

    Called from the estimator's training helper, itself called from ``fit``
    or ``partial_fit``: the warning points at the caller of those.
    """
    if n_components > n_features:
        warnings.warn(
            f"n_components={n_components} is more than "
            f"n_features={n_features}: a latent space wider than the data "
            "gains nothing (the KL term pushes the unused dimensions to the "
            "prior; active_units_ lists those in use) and costs time. "
            f"n_components <= {n_features} is the usual choice.",
            UserWarning,
            stacklevel=5,
        )


def check_architecture(built, params):
    """Raise a ValueError when a continued fit changed the network's shape.

    Like :class:`~sklearn.neural_network.MLPRegressor` with ``warm_start``, a
    continued fit keeps the network: the parameters that shape it must not
    have changed since it was built.

    Parameters
    ----------
    built : dict
        The network's ``architecture``, recorded when it was built.
    params : dict
        The estimator's current parameters (``get_params()``).
    """
    current = {name: params[name] for name in ARCHITECTURE_PARAMS}
    current["hidden_layer_sizes"] = tuple(
        check_hidden_sizes(params["hidden_layer_sizes"])
    )
    # decoder_variance shapes only Gaussian columns: a network without any
    # (every numeric column Bernoulli, or none numeric) ignores it.
    if current["decoder"] in (
        "bernoulli",
        "continuous_bernoulli",
        "gaussian_mixture",
    ) or (
        current["decoder"] == built.get("decoder")
        and built.get("decoder_variance", 0) is None
    ):
        current["decoder_variance"] = None
    changed = [name for name in built if current[name] != built[name]]
    if changed:
        details = ", ".join(
            f"{name}={built[name]!r} -> {current[name]!r}" for name in changed
        )
        raise ValueError(
            "warm_start=True and partial_fit continue the fitted network, "
            f"but parameters that define it changed since it was built "
            f"({details}). Restore them, or set warm_start=False (or make a "
            "new estimator) to train a new network."
        )


def check_continued_features(X, n_features):
    """Raise a ValueError when ``X``'s width differs from the continued model's."""
    if X.shape[1] != n_features:
        raise ValueError(
            f"X has {X.shape[1]} features, but the model being continued "
            f"(warm_start or partial_fit) has {n_features}."
        )


def check_latent_width(Z, n_latent, estimator_name):
    """Raise a ValueError when latent codes ``Z`` are not ``n_latent`` wide."""
    if Z.shape[1] != n_latent:
        raise ValueError(
            f"X has {Z.shape[1]} features, but {estimator_name} was "
            f"fitted with n_components={n_latent} latent dimensions."
        )


def check_n_samples(n_samples, estimator_name):
    """Raise an InvalidParameterError unless ``n_samples`` is an int >= 1.

    Booleans are refused, as sklearn's parameter validation refuses them
    where an int is expected.
    """
    if (
        isinstance(n_samples, (bool, np.bool_))
        or not isinstance(n_samples, Integral)
        or n_samples < 1
    ):
        raise InvalidParameterError(
            f"The 'n_samples' parameter of {estimator_name}.sample must "
            f"be an int in the range [1, inf). Got {n_samples!r} instead."
        )
