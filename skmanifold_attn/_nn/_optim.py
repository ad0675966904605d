"""Adam, with scikit-learn's MLP conventions and defaults.

The step at iteration ``t`` (starting at 1) is::

    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    lr_t = learning_rate_init * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    param -= lr_t * m / (sqrt(v) + epsilon)

as in Kingma & Ba (2015), section 2, with the bias corrections folded into
the step size.
"""

import numpy as np


class Adam:
    """Adam optimizer updating a list of arrays in place.

    Parameters
    ----------
    params : list of ndarray
        Arrays updated in place by :meth:`update_params`.
    learning_rate_init : float, default=1e-3
        Step size.
    beta_1, beta_2 : float, default=0.9, 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default=1e-8
        Added to the root of the second moment for numerical stability.

    Attributes
    ----------
    t : int
        Number of steps taken.
    ms, vs : list of ndarray
        First and second moment estimates, aligned with ``params``.
    """

    def __init__(
        self,
        params,
        learning_rate_init=1e-3,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
    ):
        self.params = list(params)
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        # The moments live in flat buffers (``ms``/``vs`` are views into
        # them) so that a step is ~12 numpy calls on one vector plus one
        # subtraction per parameter, whatever the number of parameters: the
        # per-call overhead dominates for the small layers of tabular models.
        dtype = np.result_type(*self.params) if self.params else np.float64
        sizes = [p.size for p in self.params]
        ends = np.cumsum(sizes, dtype=np.intp).tolist()
        self._slices = [
            slice(end - size, end) for size, end in zip(sizes, ends, strict=True)
        ]
        total = ends[-1] if ends else 0
        self._m = np.zeros(total, dtype=dtype)
        self._v = np.zeros(total, dtype=dtype)
        self._grad = np.empty(total, dtype=dtype)
        self._buffer = np.empty(total, dtype=dtype)
        self.ms = [self._m[s].reshape(p.shape) for s, p in self._chunks()]
        self.vs = [self._v[s].reshape(p.shape) for s, p in self._chunks()]
        self._steps = [self._buffer[s].reshape(p.shape) for s, p in self._chunks()]

    def _chunks(self):
        return zip(self._slices, self.params, strict=True)

    @property
    def learning_rate(self):
        """Effective step size of the last step (bias corrections included)."""
        t = max(self.t, 1)
        return (
            self.learning_rate_init * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        )

    def update_params(self, grads):
        """Take one step along ``grads`` (aligned with ``params``)."""
        if len(grads) != len(self.params):
            raise ValueError(
                f"Got {len(grads)} gradients for {len(self.params)} parameters."
            )
        grad, buf, m, v = self._grad, self._buffer, self._m, self._v
        if grads:
            # Raises ValueError when the shapes do not add up.
            np.concatenate([g.reshape(-1) for g in grads], out=grad)
        self.t += 1
        b1, b2 = self.beta_1, self.beta_2
        step = float(self.learning_rate)
        m *= b1
        np.multiply(grad, 1 - b1, out=buf)
        m += buf
        v *= b2
        np.multiply(grad, grad, out=buf)
        buf *= 1 - b2
        v += buf
        np.sqrt(v, out=buf)
        buf += self.epsilon
        np.divide(m, buf, out=buf)
        buf *= step
        for param, param_step in zip(self.params, self._steps, strict=True):
            param -= param_step
