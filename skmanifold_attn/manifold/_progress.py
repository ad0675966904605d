"""Stage timings that the manifold estimators print when ``verbose`` is set."""

import time


class StageTimer:
    """Print each finished stage of a fit and the seconds it took.

    Call the timer when a stage ends: it prints the stage, an optional detail
    and the time since the previous call (or since the timer was made), when
    ``verbose`` is true, and nothing otherwise. :meth:`done` prints the total.

    Parameters
    ----------
    name : str
        Prefix of every line, usually the estimator's class name.
    verbose : int or bool
        Print when true (scikit-learn's convention: 0 is silent).

    Examples
    --------
    >>> timer = StageTimer("Example", verbose=1)
    >>> timer("neighbours", "k=5")  # doctest: +ELLIPSIS
    [Example] neighbours (k=5): ... s
    >>> StageTimer("Example", verbose=0)("neighbours")
    """

    def __init__(self, name, verbose):
        self.name = name
        self.verbose = verbose
        self._start = self._last = time.perf_counter()

    def __call__(self, stage, detail=None):
        now = time.perf_counter()
        if self.verbose:
            label = stage if detail is None else f"{stage} ({detail})"
            print(f"[{self.name}] {label}: {now - self._last:.2f} s", flush=True)
        self._last = now

    def done(self):
        """Print the total time since the timer was made."""
        if self.verbose:
            total = time.perf_counter() - self._start
            print(f"[{self.name}] fit done: {total:.2f} s in all", flush=True)
