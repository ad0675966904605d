"""Layers with explicit forward and backward passes.

Every layer keeps what its backward pass needs from the last ``forward`` call
and exposes ``params`` and ``grads``: two lists of arrays aligned position by
position. ``backward`` overwrites ``grads`` in place (the arrays are allocated
once), so an optimizer built on ``params`` can be handed ``grads`` every step.
Layers compute in the dtype they were built with; a float32 layer fed float32
stays float32.

Inputs may have any number of leading axes (``(n, d)`` rows or ``(n, t, d)``
tokens): the layers act on the last axis.
"""

import numpy as np

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def glorot_uniform(fan_in, fan_out, *, activation, rng, dtype, size=None):
    """Glorot uniform initial values, as scikit-learn's MLP draws them.

    The bound is ``sqrt(factor / (fan_in + fan_out))`` with ``factor=2`` for a
    logistic activation and ``6`` otherwise.

    Parameters
    ----------
    fan_in, fan_out : int
        Number of inputs and outputs of the layer.
    activation : str
        Activation following the layer.
    rng : numpy.random.RandomState
        Source of randomness.
    dtype : numpy dtype
        dtype of the returned array.
    size : tuple of int or None, default=None
        Shape of the result (``(fan_in, fan_out)`` when None).

    Returns
    -------
    values : ndarray of shape ``size``
    """
    factor = 2.0 if activation == "logistic" else 6.0
    bound = np.sqrt(factor / (fan_in + fan_out))
    if size is None:
        size = (fan_in, fan_out)
    return rng.uniform(-bound, bound, size).astype(dtype, copy=False)


def activate(name, Z):
    """Apply the activation ``name`` to ``Z`` in place and return it."""
    if name == "relu":
        np.maximum(Z, 0, out=Z)
    elif name == "tanh":
        np.tanh(Z, out=Z)
    elif name == "logistic":
        # 1 / (1 + exp(-z)) written to stay in place and avoid overflow warnings
        # for large negative z (exp(-z) = inf gives 0, the right limit).
        np.negative(Z, out=Z)
        with np.errstate(over="ignore"):
            np.exp(Z, out=Z)
        Z += 1
        np.reciprocal(Z, out=Z)
    elif name != "identity":
        raise ValueError(f"Unknown activation {name!r}; use one of {ACTIVATIONS}.")
    return Z


def activation_backward(name, A, dA):
    """Gradient through an activation, from its output ``A``, in place on ``dA``.

    Returns ``dZ``, the gradient with respect to the activation's input.
    """
    if name == "relu":
        # A multiply by the mask is ~10x faster than boolean-index assignment.
        np.multiply(dA, A > 0, out=dA)
    elif name == "tanh":
        dA *= 1 - A * A
    elif name == "logistic":
        dA *= A * (1 - A)
    elif name != "identity":
        raise ValueError(f"Unknown activation {name!r}; use one of {ACTIVATIONS}.")
    return dA


class Dense:
    """Affine map ``activation(X @ W + b)`` on the last axis.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    activation : {"identity", "logistic", "tanh", "relu"}, default="identity"
        Activation applied to the affine output.
    rng : numpy.random.RandomState
        Source of the Glorot initial values of ``W`` and ``b``.
    dtype : numpy dtype, default=np.float64
        dtype of the parameters and of the computation.

    Attributes
    ----------
    params : list of ndarray
        ``[W, b]``, ``W`` of shape ``(n_in, n_out)``, ``b`` of shape ``(n_out,)``.
    grads : list of ndarray
        Gradients aligned with ``params``, overwritten by ``backward``.
    penalized : list of bool
        ``[True, False]``: L2 regularisation applies to ``W`` only.
    """

    def __init__(self, n_in, n_out, *, activation="identity", rng, dtype=np.float64):
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"Unknown activation {activation!r}; use one of {ACTIVATIONS}."
            )
        self.activation = activation
        self.W = glorot_uniform(
            n_in, n_out, activation=activation, rng=rng, dtype=dtype
        )
        self.b = glorot_uniform(
            n_in, n_out, activation=activation, rng=rng, dtype=dtype, size=n_out
        )
        self.params = [self.W, self.b]
        self.grads = [np.zeros_like(self.W), np.zeros_like(self.b)]
        self.penalized = [True, False]

    def _affine(self, X):
        # One 2-D product whatever the leading axes (one BLAS call).
        n_in, n_out = self.W.shape
        out = X.reshape(-1, n_in) @ self.W
        out += self.b
        return out.reshape(X.shape[:-1] + (n_out,))

    def forward(self, X):
        """Return ``activation(X @ W + b)``, remembering what backward needs."""
        out = activate(self.activation, self._affine(X))
        self._X = X
        self._A = out
        return out

    def predict(self, X):
        """Forward pass without remembering anything (for inference)."""
        return activate(self.activation, self._affine(X))

    def backward(self, dA, *, input_grad=True):
        """Gradients from ``dA`` (gradient of the loss w.r.t. the output).

        ``dA`` may be overwritten. Fills ``grads`` and returns the gradient
        with respect to the input (None when ``input_grad`` is False).
        """
        dZ = activation_backward(self.activation, self._A, dA)
        n_in, n_out = self.W.shape
        X2 = self._X.reshape(-1, n_in)
        dZ2 = dZ.reshape(-1, n_out)
        np.dot(X2.T, dZ2, out=self.grads[0])
        dZ2.sum(axis=0, out=self.grads[1])
        if not input_grad:
            return None
        return (dZ2 @ self.W.T).reshape(dZ.shape[:-1] + (n_in,))


class LayerNorm:
    """Layer normalisation over the last axis with a learned scale and shift.

    Parameters
    ----------
    width : int
        Size of the normalised (last) axis.
    dtype : numpy dtype, default=np.float64
        dtype of the parameters.
    eps : float, default=1e-5
        Added to the variance for stability.

    Attributes
    ----------
    params : list of ndarray
        ``[gamma, beta]``, initialised to ones and zeros.
    grads : list of ndarray
        Gradients aligned with ``params``.
    penalized : list of bool
        ``[False, False]``.
    """

    def __init__(self, width, *, dtype=np.float64, eps=1e-5):
        self.gamma = np.ones(width, dtype=dtype)
        self.beta = np.zeros(width, dtype=dtype)
        self.eps = eps
        self.params = [self.gamma, self.beta]
        self.grads = [np.zeros_like(self.gamma), np.zeros_like(self.beta)]
        self.penalized = [False, False]

    def _row_mean(self, Z):
        """Means over the last axis of the 2-D ``Z``, as one matrix-vector product.

        numpy's reductions over a short last axis are slow; a product with
        ``1 / width`` is fast and equal up to rounding.
        """
        width = Z.shape[1]
        return Z @ np.full(width, 1.0 / width, dtype=Z.dtype)

    def _normalise(self, X):
        width = self.gamma.shape[0]
        X2 = X.reshape(-1, width)
        centred = X2 - self._row_mean(X2)[:, None]
        var = self._row_mean(centred * centred)
        var += self.eps
        inv_std = np.sqrt(var, out=var)
        np.reciprocal(inv_std, out=inv_std)
        inv_std = inv_std[:, None]
        centred *= inv_std
        return centred.reshape(X.shape), inv_std.reshape(X.shape[:-1] + (1,))

    def forward(self, X):
        """Return the normalised, scaled and shifted ``X``."""
        self._X_hat, self._inv_std = self._normalise(X)
        out = self._X_hat * self.gamma
        out += self.beta
        return out

    def predict(self, X):
        """Forward pass without remembering anything."""
        out = self._normalise(X)[0]
        out *= self.gamma
        out += self.beta
        return out

    def backward(self, dY, *, input_grad=True):
        """Fill ``grads`` and return the gradient with respect to the input."""
        width = self.gamma.shape[0]
        X_hat = self._X_hat.reshape(-1, width)
        dY2 = dY.reshape(-1, width)
        np.sum(dY2 * X_hat, axis=0, out=self.grads[0])
        np.sum(dY2, axis=0, out=self.grads[1])
        if not input_grad:
            return None
        dX_hat = dY2 * self.gamma
        return self._project_back(dX_hat, X_hat).reshape(dY.shape)

    def _project_back(self, dX_hat, X_hat):
        """Input gradient (2-D) from the normalised output's; overwrites dX_hat.

        d/dx of (x - mean) / std, projected: removes the mean and the part
        along X_hat that the normalisation cannot represent.
        """
        mean_d = self._row_mean(dX_hat)
        mean_dx = self._row_mean(dX_hat * X_hat)
        dX_hat -= mean_d[:, None]
        X_hat_mean = X_hat * mean_dx[:, None]
        dX_hat -= X_hat_mean
        dX_hat *= self._inv_std.reshape(-1, 1)
        return dX_hat


class NormedDense:
    """A :class:`LayerNorm` followed by a :class:`Dense`, computed as one map.

    The norm's scale and shift are folded into the dense weights,
    ``(X_hat * gamma + beta) @ W + b = X_hat @ (gamma W) + (beta W + b)``, so
    neither the scaled nor the shifted array is formed; the backward pass
    takes the norm's and the dense layer's gradients from the same products.
    Results equal the two layers applied in turn up to rounding.

    Parameters
    ----------
    norm : LayerNorm
    dense : Dense
        Their ``params`` and ``grads`` are used (and filled) in place; what
        the backward pass needs is kept on them too.
    block : int or None, default=None
        When given, the output columns come in blocks of this width, laid out
        block-major: the output has shape ``(n_out / block, rows, block)``
        (``rows`` the product of the input's leading axes), each block a
        contiguous matrix (the per-head queries, keys and values of
        attention), and the backward pass takes its gradient in that layout.
    """

    def __init__(self, norm, dense, *, block=None):
        self.norm, self.dense, self.block = norm, dense, block

    def _folded(self):
        gamma, beta = self.norm.gamma, self.norm.beta
        W, b = self.dense.W, self.dense.b
        W = gamma[:, None] * W
        c = beta @ self.dense.W + b
        if self.block is None:
            return W, c
        n_in, n_out = W.shape
        k = self.block
        W = np.ascontiguousarray(W.reshape(n_in, n_out // k, k).transpose(1, 0, 2))
        return W, c.reshape(n_out // k, 1, k)

    def _affine(self, X):
        X_hat, inv_std = self.norm._normalise(X)
        W, c = self._folded()
        n_in, n_out = self.dense.W.shape
        out = X_hat.reshape(-1, n_in) @ W
        out += c
        out = activate(self.dense.activation, out)
        if self.block is None:
            out = out.reshape(X.shape[:-1] + (n_out,))
        return out, X_hat, inv_std, W

    def forward(self, X):
        out, X_hat, inv_std, W = self._affine(X)
        self.norm._X_hat, self.norm._inv_std = X_hat, inv_std
        self.dense._A, self.dense._cache = out, W
        self._shape = X.shape
        return out

    def predict(self, X):
        return self._affine(X)[0]

    def backward(self, dA):
        """Fill both layers' grads from ``dA`` (may be overwritten); return dX."""
        norm, dense = self.norm, self.dense
        dZ = activation_backward(dense.activation, dense._A, dA)
        W = dense._cache  # folded
        n_in, n_out = dense.W.shape
        X_hat = norm._X_hat.reshape(-1, n_in)
        if self.block is None:
            dZ2 = dZ.reshape(-1, n_out)
            inner = X_hat.T @ dZ2  # (n_in, n_out)
            total = dZ2.sum(axis=0)
            dX_hat = dZ2 @ W.T
        else:
            inner = (X_hat.T @ dZ).transpose(1, 0, 2).reshape(n_in, n_out)
            total = (np.ones(dZ.shape[1], dtype=dZ.dtype) @ dZ).reshape(n_out)
            dX_hat = dZ[0] @ W[0].T
            part = np.empty_like(dX_hat)
            for j in range(1, dZ.shape[0]):
                dX_hat += np.matmul(dZ[j], W[j].T, out=part)
        dense.grads[0][...] = norm.gamma[:, None] * inner
        dense.grads[0] += np.outer(norm.beta, total)
        dense.grads[1][...] = total
        # The norm's output gradient is dZ W^T; its grads are sums of it
        # (times X_hat), taken from the same products.
        np.sum(dense.W * inner, axis=1, out=norm.grads[0])
        np.dot(dense.W, total, out=norm.grads[1])
        return norm._project_back(dX_hat, X_hat).reshape(self._shape)


class Sequential:
    """A stack of layers applied one after the other.

    Parameters
    ----------
    layers : list
        Objects with ``forward``, ``predict``, ``backward``, ``params``,
        ``grads`` and ``penalized``.

    Attributes
    ----------
    params, grads, penalized : list
        Concatenations of the layers' lists (the same array objects).
    """

    def __init__(self, layers):
        self.layers = list(layers)
        self.params = [p for layer in self.layers for p in layer.params]
        self.grads = [g for layer in self.layers for g in layer.grads]
        self.penalized = [f for layer in self.layers for f in layer.penalized]

    def forward(self, X):
        for layer in self.layers:
            X = layer.forward(X)
        return X

    def predict(self, X):
        for layer in self.layers:
            X = layer.predict(X)
        return X

    def backward(self, dY, *, input_grad=True):
        last = len(self.layers) - 1
        for i in range(last, -1, -1):
            dY = self.layers[i].backward(dY, input_grad=input_grad or i > 0)
        return dY


def mlp(layer_sizes, *, activation, out_activation="identity", rng, dtype):
    """Build a :class:`Sequential` of :class:`Dense` layers.

    Parameters
    ----------
    layer_sizes : sequence of int
        Widths from input to output, e.g. ``[n_features, 64, 64, n_out]``.
    activation : str
        Activation of the hidden layers.
    out_activation : str, default="identity"
        Activation of the last layer.
    rng : numpy.random.RandomState
        Source of the initial values.
    dtype : numpy dtype
        Computation dtype.

    Returns
    -------
    net : Sequential
    """
    layers = []
    last = len(layer_sizes) - 2
    for i, (n_in, n_out) in enumerate(
        zip(layer_sizes[:-1], layer_sizes[1:], strict=False)
    ):
        layers.append(
            Dense(
                n_in,
                n_out,
                activation=out_activation if i == last else activation,
                rng=rng,
                dtype=dtype,
            )
        )
    return Sequential(layers)
