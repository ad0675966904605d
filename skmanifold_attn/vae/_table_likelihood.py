"""``p(x | z)`` of a whole table: column likelihoods composed over blocks.

:func:`build_likelihood` makes one block per column type (one per
categorical column) from the classes of :mod:`._likelihoods` and
:mod:`._mixture`; :class:`TableLikelihood` maps a table to the model's units,
builds the encoder's input and sums the blocks' log-likelihoods, leaving
missing cells out.
"""

import numpy as np

from ._likelihoods import (
    Bernoulli,
    Categorical,
    ContinuousBernoulli,
    Gaussian,
    Likelihood,
)
from ._mixture import GaussianMixture
from ._quantile import QuantileGaussian

#: Column type name -> likelihood class.
LIKELIHOODS = {
    cls.name: cls
    for cls in (
        Gaussian,
        QuantileGaussian,
        GaussianMixture,
        Bernoulli,
        ContinuousBernoulli,
        Categorical,
    )
}


class TableLikelihood:
    """``p(x | z)`` of a table: a product of column likelihoods over blocks.

    Parameters
    ----------
    blocks : list of Likelihood
        Blocks whose ``columns`` partition ``range(n_features)``.
    n_features : int
        Columns of the table.
    missing_indicators : bool, default=False
        Append one 0/1 "missing" indicator per column to the encoder's input.

    Notes
    -----
    Data in model units carry NaN where a cell is missing (or, for a
    categorical column, holds a category unseen at fit): such cells are left
    out of the likelihood and fed to the encoder as zeros (all-zero one-hot
    rows), with the indicators when ``missing_indicators`` is set.
    """

    def __init__(self, blocks, n_features, missing_indicators=False):
        self.blocks = list(blocks)
        self.n_features = n_features
        self.missing_indicators = bool(missing_indicators)
        covered = np.sort(np.concatenate([b.columns for b in self.blocks]))
        if not np.array_equal(covered, np.arange(n_features)):
            raise ValueError("The likelihood blocks must cover every column once.")
        self.slices, start = [], 0
        for block in self.blocks:
            self.slices.append(slice(start, start + block.width))
            start += block.width
        self.width = start
        self.input_width = sum(b.input_width for b in self.blocks) + (
            n_features if self.missing_indicators else 0
        )
        self.params = [p for b in self.blocks for p in b.params]
        self.grads = [g for b in self.blocks for g in b.grads]
        # Each block's columns as a slice where they are contiguous (views,
        # no copies, in the training loop).
        self._index = []
        for block in self.blocks:
            first, last = block.columns[0], block.columns[-1]
            contiguous = np.array_equal(block.columns, np.arange(first, last + 1))
            self._index.append(slice(first, last + 1) if contiguous else block.columns)
        # The encoder's input is the rows themselves when every block feeds
        # its values as they are, in column order, without indicators.
        self._plain_input = (
            not self.missing_indicators
            and all(
                type(block).encoder_input is Likelihood.encoder_input
                and isinstance(index, slice)
                for block, index in zip(self.blocks, self._index, strict=True)
            )
            and [b.columns[0] for b in self.blocks]
            == sorted(b.columns[0] for b in self.blocks)
        )
        self.kinds = [None] * n_features
        for block in self.blocks:
            for column in block.columns:
                self.kinds[column] = block.name
        self._group_categoricals()

    def _group_categoricals(self):
        # Consecutive categorical blocks (build_likelihood makes them so)
        # are trained as one group: one softmax pass over all their logits
        # instead of a dozen small numpy calls per column (see
        # _categorical_nll_and_grad).
        members = [i for i, b in enumerate(self.blocks) if isinstance(b, Categorical)]
        self._categorical_group = None
        if len(members) < 2 or members != list(range(members[0], members[-1] + 1)):
            return
        sizes = np.array([self.blocks[i].n_categories for i in members], np.intp)
        self._categorical_group = {
            "members": set(members),
            "out": slice(self.slices[members[0]].start, self.slices[members[-1]].stop),
            "columns": np.array([self.blocks[i].columns[0] for i in members], np.intp),
            "starts": np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp),
            "sizes": sizes,
        }

    def _categorical_nll_and_grad(self, X0, out, observed):
        """The grouped categorical columns' NLL per row and logit gradient.

        The same values as each :class:`Categorical` block's
        ``nll_and_grad``: segment maxima and sums (``reduceat``) over the
        concatenated logits give every column's log-softmax at once.
        """
        group = self._categorical_group
        starts, sizes = group["starts"], group["sizes"]
        logits = out[:, group["out"]]
        shifted = logits - np.repeat(
            np.maximum.reduceat(logits, starts, axis=1), sizes, axis=1
        )
        exp = np.exp(shifted)
        total = np.add.reduceat(exp, starts, axis=1)
        seen = observed[:, group["columns"]]
        codes = np.where(seen > 0, X0[:, group["columns"]], 0).astype(np.intp)
        target = starts + np.minimum(codes, sizes - 1)
        picked = np.take_along_axis(shifted, target, axis=1)
        nll = ((np.log(total) - picked) * seen).sum(axis=1)
        grad = exp
        grad /= np.repeat(total, sizes, axis=1)
        rows = np.arange(grad.shape[0])[:, None]
        grad[rows, target] -= seen
        grad *= np.repeat(seen, sizes, axis=1)
        return nll.astype(out.dtype, copy=False), grad

    def initial_output_bias(self):
        """The decoder's output bias at initialisation, or None to keep it."""
        biases = [b.initial_output_bias() for b in self.blocks]
        if all(bias is None for bias in biases):
            return None
        return np.concatenate(
            [
                np.zeros(b.width, dtype=b.dtype) if bias is None else bias
                for b, bias in zip(self.blocks, biases, strict=True)
            ]
        )

    # -- units ------------------------------------------------------------

    def fit(self, X):
        """Fit each block's units on its columns of ``X`` (data units, NaN missing)."""
        for block in self.blocks:
            block.fit(X[:, block.columns])
        return self

    def check(self, X, decoder):
        """Check each block's values (data units)."""
        for block in self.blocks:
            block.check(X[:, block.columns], decoder)

    @property
    def loc(self):
        out = np.zeros(self.n_features, dtype=self.blocks[0].dtype)
        for block in self.blocks:
            out[block.columns] = block.loc
        return out

    @property
    def scale(self):
        out = np.ones(self.n_features, dtype=self.blocks[0].dtype)
        for block in self.blocks:
            out[block.columns] = block.scale
        return out

    def to_model(self, X, dtype):
        """Data units to model units (NaN stays NaN; unseen categories -> NaN)."""
        X = (X.astype(dtype, copy=False) - self.loc.astype(dtype)) / self.scale.astype(
            dtype
        )
        for block in self.blocks:
            if isinstance(block, Categorical):
                column = block.columns[0]
                with np.errstate(invalid="ignore"):
                    X[X[:, column] >= block.n_categories, column] = np.nan
            elif block.maps_units:
                X[:, block.columns] = block.to_scores(X[:, block.columns])
        return X

    def to_data(self, X_model):
        """Model units to data units (in place)."""
        for block in self.blocks:
            if block.maps_units:
                X_model[:, block.columns] = block.from_scores(X_model[:, block.columns])
        X_model *= self.scale.astype(X_model.dtype)
        X_model += self.loc.astype(X_model.dtype)
        return X_model

    def grid_columns(self):
        """``(column, step)`` of each quantile-map column whose values lie on a grid."""
        return [
            (column, cell.step)
            for block in self.blocks
            if getattr(block, "grid", None) is not None
            for column, cell in zip(block.columns, block.grid, strict=True)
            if cell is not None
        ]

    @property
    def has_grid(self):
        """Whether a quantile-map column lies on a grid (see :meth:`dequantise`)."""
        return bool(self.grid_columns())

    def dequantise(self, X, rng):
        """Training values of grid columns spread uniformly over their cells.

        ``X`` in data units (NaN missing); returns a copy where the values of
        each quantile-map column on a grid get ``step * (U - 1/2)``,
        ``U ~ Uniform(0, 1)``. A continuous density fitted to tied values
        grows on the ties without bound as its variance shrinks (training
        then never settles: on the digits, 17 levels per pixel, the loss
        kept falling for 1000 epochs); spread over the cells, the values
        have a bounded density whose mass per cell is the tied value's
        probability, and draws rounded back to the grid keep the ties.
        """
        X = X.copy()
        for column, step in self.grid_columns():
            X[:, column] += step * (rng.uniform(size=X.shape[0]) - 0.5)
        return X

    def log_jacobian_rows(self, X_model):
        """``sum_j log |d u_j / d x_j|`` over each row's observed cells, float64.

        Added to a log-likelihood of model-unit rows ``X_model`` (NaN where
        missing), it gives the density in the data's units.
        """
        total = np.zeros(X_model.shape[0], dtype=np.float64)
        for block in self.blocks:
            U = X_model[:, block.columns]
            cells = block.log_jacobian_cells(U)
            total += np.where(np.isnan(U), 0.0, cells).sum(axis=1)
        return total

    def log_jacobian(self):
        """``log prod(scale)`` over the continuous columns, float64."""
        return float(
            sum(
                np.log(b.scale.astype(np.float64)).sum()
                for b in self.blocks
                if b.standardises
            )
        )

    # -- network interface --------------------------------------------------

    @staticmethod
    def split_missing(X):
        """``(X with 0 for NaN, observed mask as 0.0/1.0)`` of model-unit rows."""
        missing = np.isnan(X)
        if not missing.any():
            return X, np.ones_like(X)
        return np.where(missing, 0, X), (~missing).astype(X.dtype)

    def encoder_input(self, X):
        """Encoder input of model-unit rows (NaN where missing)."""
        X0, observed = self.split_missing(X)
        if self._plain_input:
            return X0
        parts = []
        for block, index in zip(self.blocks, self._index, strict=True):
            part = block.encoder_input(X0[:, index])
            if isinstance(block, Categorical):
                part = part * observed[:, index]
            parts.append(part)
        if self.missing_indicators:
            parts.append(1 - observed)
        return np.concatenate(parts, axis=1).astype(X.dtype, copy=False)

    def nll_and_grad(self, X, out):
        """Masked negative log-likelihood per row and its gradient w.r.t. ``out``."""
        X0, observed = self.split_missing(X)
        nll = np.zeros(X.shape[0], dtype=X.dtype)
        grad = np.empty_like(out)
        group = self._categorical_group
        grouped = () if group is None else group["members"]
        for i, (block, cols, index) in enumerate(
            zip(self.blocks, self.slices, self._index, strict=True)
        ):
            if i in grouped:
                continue
            block_nll, grad[:, cols] = block.nll_and_grad(
                X0[:, index], out[:, cols], observed[:, index]
            )
            nll += block_nll
        if group is not None:
            group_nll, grad[:, group["out"]] = self._categorical_nll_and_grad(
                X0, out, observed
            )
            nll += group_nll
        return nll, grad

    def log_prob_cells(self, X, out):
        """``log p(x_ij | z)`` per cell, NaN where missing.

        ``X`` (n_samples, n_features) in model units; ``out`` the decoder
        output of shape ``(..., n_samples, width)``. Returns shape
        ``(..., n_samples, n_features)``.
        """
        X0, observed = self.split_missing(X)
        cells = np.empty(out.shape[:-1] + (self.n_features,), dtype=out.dtype)
        for block, cols in zip(self.blocks, self.slices, strict=True):
            cells[..., block.columns] = block.log_prob_cells(
                X0[:, block.columns], out[..., cols]
            )
        cells[..., observed == 0] = np.nan
        return cells

    def log_prob(self, X, out):
        """``log p(x_observed | z)`` per row (missing cells left out)."""
        X0, observed = self.split_missing(X)
        total = np.zeros(out.shape[:-1], dtype=out.dtype)
        for block, cols, index in zip(
            self.blocks, self.slices, self._index, strict=True
        ):
            cells = block.log_prob_cells(X0[:, index], out[..., cols])
            total += (cells * observed[:, index]).sum(axis=-1)
        return total

    def mean(self, out):
        """Point value per column (model units; the mode for categories)."""
        X = np.empty(out.shape[:-1] + (self.n_features,), dtype=out.dtype)
        for block, cols in zip(self.blocks, self.slices, strict=True):
            X[..., block.columns] = block.mean(out[..., cols])
        return X

    def sample(self, out, rng):
        """One draw per row and column (model units)."""
        X = np.empty(out.shape[:-1] + (self.n_features,), dtype=out.dtype)
        for block, cols in zip(self.blocks, self.slices, strict=True):
            X[..., block.columns] = block.sample(out[..., cols], rng)
        return X


def build_likelihood(
    kinds,
    dtype,
    *,
    n_categories=None,
    variance="learned",
    two_values=False,
    missing_indicators=False,
):
    """A :class:`TableLikelihood` from one column type name per column.

    Columns of the same type share a block (one block per categorical
    column). ``n_categories[j]`` is read for categorical columns;
    ``two_values`` makes Bernoulli blocks map each column's two values to
    {0, 1}; ``variance`` goes to the Gaussian block.
    """
    kinds = list(kinds)
    blocks = []
    for name, cls in LIKELIHOODS.items():
        columns = [j for j, kind in enumerate(kinds) if kind == name]
        if not columns:
            continue
        if cls is Categorical:
            blocks.extend(Categorical([j], dtype, n_categories[j]) for j in columns)
        elif cls in (Gaussian, QuantileGaussian):
            blocks.append(cls(columns, dtype, variance))
        elif cls is Bernoulli:
            blocks.append(Bernoulli(columns, dtype, two_values))
        else:
            blocks.append(cls(columns, dtype))
    unknown = set(kinds) - set(LIKELIHOODS)
    if unknown:
        raise ValueError(f"Unknown column types {sorted(unknown)}.")
    return TableLikelihood(blocks, len(kinds), missing_indicators)
