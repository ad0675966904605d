"""Private numpy neural-network core shared by the attention and VAE estimators.

Modules
-------
``_layers``
    :class:`~._layers.Dense` (Glorot init as scikit-learn's MLP),
    :class:`~._layers.LayerNorm`, :class:`~._layers.NormedDense` (a layer
    norm folded into the dense layer after it), :class:`~._layers.Sequential`,
    :func:`~._layers.mlp`, activations ``identity``/``logistic``/``tanh``/
    ``relu`` with :func:`~._layers.activate` and
    :func:`~._layers.activation_backward` (derivative from the output). Each
    layer has ``forward`` (remembers what backward needs), ``predict``
    (inference only), ``backward(dY, input_grad=True)`` (fills ``grads`` in
    place, returns the input gradient) and aligned lists ``params``, ``grads``
    and ``penalized`` (whether L2 applies).
``_losses``
    ``softmax_cross_entropy``, ``squared_error``, ``softmax``,
    ``log_softmax``: mean over rows, gradient of that mean.
``_optim``
    :class:`~._optim.Adam`: scikit-learn MLP conventions and defaults, in-place.
``_preprocessing``
    :func:`~._preprocessing.fit_standardisation`: NaN-aware per-column mean
    and scale (float64 accumulation, floor of constant columns at the
    input's precision, ValueError on overflow), the one standardisation
    used by the estimators.
``_training``
    ``TRAINING_PARAMETER_CONSTRAINTS`` and :class:`~._training.NeuralTrainingMixin`,
    which holds the one mini-batch training loop.

Model protocol
--------------
The loop trains any object with:

``params`` : list of ndarray
    The trainable arrays, updated **in place** by Adam (never rebind them).
``penalized`` : list of bool, optional
    Aligned with ``params``; the L2 penalty ``alpha`` applies where True
    (weights, not biases), scaled as in MLPClassifier: ``0.5 * alpha *
    ||W||^2 / n_batch`` added to the loss by the loop, not by the model.
``loss_and_grads(X_batch, y_batch, rng) -> (loss, grads)``
    ``loss`` a float, the mean loss of the batch; ``grads`` a list aligned
    with ``params`` (the loop may add to them in place). ``y_batch`` is None
    when the estimator is fitted without targets; ``rng`` (a
    ``numpy.random.RandomState``) serves stochastic losses (a VAE's
    reparameterisation noise, masked-token objectives).
``validation_score(X_val, y_val) -> float``
    Higher is better (e.g. accuracy, R², or minus a held-out loss); only
    called with ``early_stopping=True``. Should be deterministic.
``start_epoch(epoch) -> bool``, optional
    Called before each epoch with its 1-based number (``n_iter_ + 1``), e.g.
    for a KL warm-up. Returning True says the objective changed, so the
    training-loss convergence count restarts.
``blas_threads`` : int or None, optional
    When set, BLAS is limited to this many threads during training
    (threading loses on small matrices).

Estimator side
--------------
::

    class MyEstimator(NeuralTrainingMixin, TransformerMixin, BaseEstimator):
        _parameter_constraints = {
            **NeuralTrainingMixin._parameter_constraints,
            "n_components": [...],
        }

        def _init_model(self, X, y, rng):
            return MyModel(..., rng=rng, dtype=X.dtype)

        @_fit_context(prefer_skip_nested_validation=True)
        def fit(self, X, y=None):
            X = validate_data(self, X, dtype=[np.float64, np.float32])
            return self._train(X, None, incremental=False)

        def partial_fit(self, X, y=None):
            first = not hasattr(self, "_model")
            X = validate_data(self, X, reset=first, dtype=[np.float64, np.float32])
            return self._train(X, None, incremental=True)

The mixin sets ``self._model``, ``self._optimizer``, ``self._rng`` and the
fitted attributes ``loss_curve_``, ``validation_scores_``,
``best_validation_score_``, ``best_loss_``, ``n_iter_`` and ``t_``; it raises
ValueError (advising a lower ``learning_rate_init``) when the loss or the
weights become non-finite or an epoch's mean loss grows by orders of magnitude
over its starting level (``_training.DIVERGENCE_FACTOR``), warns
``ConvergenceWarning`` when ``max_iter`` is reached, and prints one line per
epoch when ``verbose``.
"""
