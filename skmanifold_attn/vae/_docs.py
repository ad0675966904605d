"""Docstring pieces of VAETransformer, filled in by ``fill_doc``."""

from .._docstrings import DOC_PIECES

# What the shared training loop leaves on both VAE estimators.
_TRAINING_ATTRIBUTES = """\
    best_validation_score_ : float or None
        Best of ``validation_scores_``.

    best_loss_ : float or None
        Lowest training loss (None with ``early_stopping``).

    n_iter_ : int
        Number of epochs run.

    t_ : int
        Number of training rows seen.

    n_features_in_ : int
        Number of features seen during ``fit``.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``. Defined only when `X`
        has feature names that are all strings.
"""

VAE_DOC_PIECES = {
    "vae_training_attributes": _TRAINING_ATTRIBUTES,
    "vae_decoder": """\
    decoder : {"auto", "gaussian", "quantile_gaussian", "gaussian_mixture", \
            "bernoulli", "continuous_bernoulli"}, default="auto"
        Likelihood ``p(x|z)`` of the numeric columns (categorical columns
        always get a categorical softmax). ``"auto"`` picks one per column:
        a column with exactly two distinct values gets a Bernoulli (its
        smaller value is 0, the larger 1), one with more values a
        ``"quantile_gaussian"``, a constant one a Gaussian.
        ``"gaussian"`` makes every numeric column Gaussian; it standardises
        each column internally (so raw scales work) and undoes it on the way
        out. ``"quantile_gaussian"`` maps each column to normal scores by its
        empirical quantiles (a monotone, piecewise-linear map learned at fit)
        and models the scores by a Gaussian: skewed, heavy-tailed or
        multi-modal marginals come out right, and ``score_samples`` stays a
        density in the original units; a column on a grid with ties (whole
        units, counts, pixel levels) trains on its values spread uniformly
        over their grid cells and samples values on the grid.
        ``"gaussian_mixture"`` models every numeric column by a mixture of 5
        Gaussians whose weights and means the decoder outputs (about 10
        decoder outputs per column).
        ``"bernoulli"`` needs every value in [0, 1] (grey levels are
        allowed, the loss is then the binary cross-entropy, but samples are
        0 or 1); ``"continuous_bernoulli"`` is the proper density of values
        in [0, 1], whose samples are grey levels.
""",
    "vae_table_attributes": """\
    mean_ : ndarray of shape (n_features,)
        Per-column offset of the model's units: the mean of a Gaussian
        column, the smaller value of a two-valued Bernoulli column, 0
        otherwise.

    scale_ : ndarray of shape (n_features,)
        Per-column scale of the model's units: the standard deviation of a
        Gaussian column (constant columns get 1), the gap between a
        two-valued column's values, 1 otherwise.

    column_types_ : ndarray of str, shape (n_features,)
        The likelihood of each column: ``"gaussian"``,
        ``"gaussian_mixture"``, ``"bernoulli"``, ``"continuous_bernoulli"``
        or ``"categorical"``.

    decoder_variance_ : ndarray of shape (n_features,) or None
        Variance of the ``"gaussian"`` columns in the original units (NaN
        for the other columns, ``"quantile_gaussian"`` ones included, whose
        variance is in normal scores; None when no column is Gaussian; inf or 0 for
        columns whose squared scale is not representable, e.g. values
        around 1e200 or 1e-200).
""",
    "vae_notes": """\
    Notes
    -----
    **Tables.** ``X`` may be an array or a pandas or polars DataFrame with
    numeric, category and string columns; :meth:`sample` and
    :meth:`inverse_transform` return the same kind of table (same columns,
    dtypes and categories; integer columns rounded) unless ``set_output``
    asks for pandas or polars.

    **Missing values.** Missing cells (NaN, None, ``pd.NA``) are left out of
    the likelihood; the encoder sees them as 0 (an all-zero one-hot row for a
    categorical column) together with one missing-indicator input per column
    when the training data had missing cells. :meth:`transform` and
    :meth:`score_samples` accept incomplete rows; a category unseen at fit
    counts as missing. A column without any observed value at fit is
    refused.

    **Conditional sampling.** ``sample(n, conditions={column: value})`` draws
    from ``p(x | conditions)`` by importance resampling of latent codes:
    ``max(4096, 20 * n)`` draws ``z ~ N(0, I)`` weighted by ``p(conditions |
    z)``, ``n`` of them drawn by weight; the other columns are then drawn
    from ``p(x | z)`` and the conditioned ones set to their values. Exact
    values in the conditioned columns, one pass (no rejection loop), and a
    UserWarning when the weights' effective sample size is below 50 (a
    combination the model finds improbable).

    **Calibrated samples.** Unconditional :meth:`sample` draws of each
    real-valued column (Gaussian, quantile-map, mixture, continuous
    Bernoulli) pass through ``c(x) = F_data^-1(F_model(x))``: ``F_model`` the
    sampler's marginal (of the chosen ``latent``), estimated from 20,000 to
    100,000 of its draws with a seed fixed at fit, ``F_data`` the training
    column's distribution (the rows of the last ``fit`` or ``partial_fit``
    call) made continuous: linear between its order statistics, or on a
    grid each value spread over its cell, so that draws round back to the
    column's values with their frequencies. Calibrated draws stay within the
    column's range and keep the ranks of the model's draws, so the
    dependence between columns is the model's and the marginals are those a
    Gaussian copula draws (on the penguins table the numeric columns'
    Kolmogorov-Smirnov statistic falls from about 0.05 to the copula's
    0.01). ``score_samples``, ``transform``, ``inverse_transform`` and
    conditional draws describe the model itself; ``calibrate=False`` draws
    from it alone.
""",
    "vae_fit_attributes": """\
    kl_per_dim_ : ndarray of shape (n_components,)
        Mean KL divergence of each latent dimension's posterior from the prior
        over the training rows, in nats.

    active_units_ : ndarray of int
        Indices of the latent dimensions whose posterior mean varies across
        the training rows (variance above 0.01); the others have collapsed to
        the prior.

    loss_curve_ : list of float
        Training loss (negative β-ELBO plus L2 penalty) per epoch.

    validation_scores_ : list of float or None
        Mean importance-weighted bound on the held-out rows per epoch, with
        ``early_stopping`` (None otherwise).

"""
    + _TRAINING_ATTRIBUTES,
    "vae_references": """\
    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes",
       ICLR 2014.
    .. [2] Y. Burda, R. Grosse and R. Salakhutdinov, "Importance Weighted
       Autoencoders", ICLR 2016.
    .. [3] I. Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a
       Constrained Variational Framework", ICLR 2017.
    .. [4] D. P. Kingma et al., "Improved Variational Inference with Inverse
       Autoregressive Flow", NeurIPS 2016 (free bits).
    .. [5] G. Loaiza-Ganem and J. P. Cunningham, "The continuous Bernoulli:
       fixing a pervasive error in variational autoencoders", NeurIPS 2019.
    .. [6] L. Xu, M. Skoularidou, A. Cuesta-Infante and K. Veeramachaneni,
       "Modeling Tabular data using Conditional GAN", NeurIPS 2019 (TVAE).
    .. [7] P.-A. Mattei and J. Frellsen, "MIWAE: Deep Generative Modelling and
       Imputation of Incomplete Data Sets", ICML 2019.
""",
}

DOC_PIECES.update(VAE_DOC_PIECES)
