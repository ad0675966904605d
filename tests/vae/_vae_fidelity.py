"""Evaluation helpers for tabular VAEs: data, baselines and fidelity measures.

- :func:`make_mixed_table`: a synthetic table of correlated numeric and
  categorical columns driven by a few latent factors (known structure, so an
  imputer or a generator that learns it can be told from one that does not).
- :func:`make_skewed_table`: a synthetic table whose columns have the shapes
  a single Gaussian misses (bimodal, log-normal, a count, a binary integer
  column) next to a three-category column and a plain Gaussian one.
- :class:`GaussianCopula`: the baseline generator (the idea of SDV's
  GaussianCopula): empirical marginals joined by a Gaussian copula; a
  categorical column enters the copula through the interval of [0, 1] its
  category's cumulative frequency covers. Its draws are the data's own
  values (inverse empirical distribution), so its marginals are a bootstrap
  of the data's.
- :func:`marginal_fidelity`: per-column distance between real and synthetic
  marginals (Kolmogorov-Smirnov statistic for numeric columns, total
  variation distance for categorical ones).
- :func:`association_fidelity`: mean absolute difference of the pairwise
  associations (Pearson correlation between numeric columns, Cramér's V
  between categorical ones, the correlation ratio between a numeric and a
  categorical one).
- :func:`remove_cells`, :func:`imputation_errors` and
  :func:`sklearn_imputations`: holes at random, the scores of an imputation
  and the reference imputers of scikit-learn on the same holes.
"""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer


def is_categorical(column):
    return not pd.api.types.is_numeric_dtype(column)


def make_mixed_table(
    n_samples=1000, n_numeric=4, n_categorical=2, n_categories=4, random_state=0
):
    """Numeric and categorical columns driven by two latent factors.

    Numeric column ``j`` is ``tanh``/linear mixtures of the factors plus 0.3
    noise; categorical column ``c`` is the argmax of ``n_categories`` linear
    scores of the factors plus Gumbel noise (a softmax choice), so every
    column is predictable from the others but none exactly.
    """
    rng = np.random.RandomState(random_state)
    Z = rng.normal(size=(n_samples, 2))
    data = {}
    for j in range(n_numeric):
        w = rng.normal(size=2)
        signal = Z @ w
        if j % 2:
            signal = np.tanh(signal) * 2
        data[f"x{j}"] = 3.0 * j + signal + 0.3 * rng.normal(size=n_samples)
    for c in range(n_categorical):
        W = 2.5 * rng.normal(size=(2, n_categories))
        scores = Z @ W + rng.gumbel(size=(n_samples, n_categories))
        labels = np.array([f"c{c}_{k}" for k in range(n_categories)])
        data[f"cat{c}"] = pd.Categorical(
            labels[scores.argmax(axis=1)], categories=labels
        )
    return pd.DataFrame(data)


def make_skewed_table(n_samples=1500, random_state=0):
    """Two latent factors behind columns of awkward shapes.

    ``x1`` is Gaussian, ``x2`` log-normal, ``x3`` bimodal (a fair sign times 2
    plus the first factor), ``count`` a Poisson count, ``flag`` a binary
    integer column and ``group`` a three-category column, all driven by the
    two factors so that every column is associated with several others.
    """
    rng = np.random.RandomState(random_state)
    n = n_samples
    z = rng.normal(size=(n, 2))
    group = np.where(
        z[:, 0] + 0.5 * rng.normal(size=n) > 0.3,
        "a",
        np.where(z[:, 1] > 0, "b", "c"),
    )
    side = np.where(rng.uniform(size=n) < 0.5, -2.0, 2.0)
    return pd.DataFrame(
        {
            "x1": z[:, 0] + 0.3 * rng.normal(size=n),
            "x2": np.exp(0.5 * z[:, 1] + 0.2 * rng.normal(size=n)),
            "x3": side + 0.5 * z[:, 0] + 0.3 * rng.normal(size=n),
            "group": pd.Categorical(group),
            "flag": (z[:, 1] + 0.5 * rng.normal(size=n) > 0).astype(int),
            "count": rng.poisson(np.exp(0.5 + 0.5 * z[:, 0])),
        }
    )


def load_penguins_table():
    """The penguins table without the year and the incomplete rows (333 rows)."""
    from palmerpenguins import load_penguins

    frame = load_penguins().drop(columns="year").dropna().reset_index(drop=True)
    for name in ("species", "island", "sex"):
        frame[name] = frame[name].astype("category")
    return frame


class GaussianCopula:
    """Empirical marginals joined by a Gaussian copula (SDV's idea).

    Numeric values map to normal scores through their mid-ranks; a category
    maps to a uniform point of the interval of [0, 1] its cumulative
    frequency covers (jittered, so ties do not shrink the correlations).
    Samples invert both maps: the inverse empirical distribution for numeric
    columns (the data's own values, integer columns stay integers), the
    interval a uniform falls in for categorical ones. The rows must be
    complete.
    """

    def __init__(self, random_state=0):
        self.random_state = random_state

    def fit(self, frame):
        rng = np.random.RandomState(self.random_state)
        self.columns_ = list(frame.columns)
        self.dtypes_ = frame.dtypes
        self.marginals_ = {}
        scores = np.empty((len(frame), len(self.columns_)))
        for j, name in enumerate(self.columns_):
            column = frame[name]
            if is_categorical(column):
                counts = column.value_counts(sort=False)
                freq = (counts / counts.sum()).to_numpy()
                upper = np.cumsum(freq)
                lower = upper - freq
                self.marginals_[name] = ("cat", counts.index.to_numpy(), upper)
                code = pd.Categorical(column, categories=counts.index).codes
                u = lower[code] + rng.uniform(size=len(column)) * freq[code]
            else:
                values = column.to_numpy()
                self.marginals_[name] = ("num", np.sort(values), None)
                u = stats.rankdata(values) / (len(values) + 1)
            scores[:, j] = stats.norm.ppf(np.clip(u, 1e-6, 1 - 1e-6))
        self.correlation_ = np.corrcoef(scores, rowvar=False)
        return self

    def sample(self, n_samples, random_state=None):
        rng = np.random.RandomState(random_state)
        G = rng.multivariate_normal(
            np.zeros(len(self.columns_)), self.correlation_, size=n_samples
        )
        U = stats.norm.cdf(G)
        out = {}
        for j, name in enumerate(self.columns_):
            kind, values, upper = self.marginals_[name]
            if kind == "cat":
                index = np.minimum(np.searchsorted(upper, U[:, j]), len(values) - 1)
                out[name] = pd.Categorical(
                    values[index],
                    categories=self.dtypes_[name].categories
                    if isinstance(self.dtypes_[name], pd.CategoricalDtype)
                    else None,
                )
            else:
                out[name] = np.quantile(values, U[:, j], method="inverted_cdf")
        return pd.DataFrame(out)


def marginal_fidelity(real, synthetic):
    """Per-column distance: KS statistic (numeric) or total variation (categorical).

    Missing cells are left out of both tables.
    """
    result = {}
    for name in real.columns:
        r, s = real[name].dropna(), synthetic[name].dropna()
        if is_categorical(real[name]):
            p = r.astype(str).value_counts(normalize=True)
            q = s.astype(str).value_counts(normalize=True)
            p, q = p.align(q, fill_value=0.0)
            result[name] = 0.5 * float(np.abs(p - q).sum())
        else:
            result[name] = float(
                stats.ks_2samp(r.to_numpy(float), s.to_numpy(float)).statistic
            )
    return result


def _cramers_v(a, b):
    table = pd.crosstab(a.astype(str), b.astype(str)).to_numpy()
    if min(table.shape) < 2:
        return 0.0
    chi2 = stats.chi2_contingency(table, correction=False)[0]
    return float(np.sqrt(chi2 / table.sum() / (min(table.shape) - 1)))


def _correlation_ratio(values, labels):
    values = np.asarray(values, dtype=float)
    total = ((values - values.mean()) ** 2).sum()
    if total == 0:
        return 0.0
    frame = pd.DataFrame({"v": values, "g": np.asarray(labels).astype(str)})
    groups = frame.groupby("g")["v"]
    between = (groups.count() * (groups.mean() - values.mean()) ** 2).sum()
    return float(np.sqrt(between / total))


def associations(frame):
    """Pairwise associations of every pair of columns, as a dict.

    Pearson correlation between numeric columns, Cramér's V between
    categorical ones, the correlation ratio of the numeric column on the
    categories otherwise (no binning of the numeric column). Each pair uses
    the rows where both cells are observed.
    """
    names = list(frame.columns)
    out = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            keep = (frame[a].notna() & frame[b].notna()).to_numpy()
            x, y = frame[a][keep], frame[b][keep]
            cat_a, cat_b = is_categorical(x), is_categorical(y)
            if cat_a and cat_b:
                out[a, b] = _cramers_v(x, y)
            elif cat_a:
                out[a, b] = _correlation_ratio(y, x)
            elif cat_b:
                out[a, b] = _correlation_ratio(x, y)
            else:
                out[a, b] = float(np.corrcoef(x.astype(float), y.astype(float))[0, 1])
    return out


def association_fidelity(real, synthetic):
    """Mean absolute difference of the pairwise associations."""
    ref, syn = associations(real), associations(synthetic)
    return float(np.mean([abs(ref[key] - syn[key]) for key in ref]))


def remove_cells(frame, fraction=0.2, random_state=0):
    """A copy of ``frame`` with ``fraction`` of its cells set missing at random.

    Returns the copy and the boolean mask of the removed cells. A row keeps
    at least one observed cell.
    """
    rng = np.random.RandomState(random_state)
    mask = rng.uniform(size=frame.shape) < fraction
    full = mask.all(axis=1)
    mask[full, rng.randint(frame.shape[1], size=full.sum())] = False
    holed = frame.copy()
    for j, name in enumerate(frame.columns):
        holed.loc[mask[:, j], name] = np.nan
    return holed, mask


def imputation_errors(truth, imputed, mask):
    """Numeric RMSE on the standardised scale and categorical accuracy, on the holes."""
    sq, hits = [], []
    for j, name in enumerate(truth.columns):
        rows = mask[:, j]
        if not rows.any():
            continue
        if is_categorical(truth[name]):
            hits.append(
                truth[name].astype(str).to_numpy()[rows]
                == np.asarray(imputed[name]).astype(str)[rows]
            )
        else:
            scale = truth[name].std()
            diff = (
                truth[name].to_numpy(float)[rows]
                - np.asarray(imputed[name], dtype=float)[rows]
            ) / scale
            sq.append(diff**2)
    rmse = float(np.sqrt(np.concatenate(sq).mean())) if sq else float("nan")
    accuracy = float(np.concatenate(hits).mean()) if hits else float("nan")
    return rmse, accuracy


def _one_hot(frame, drop_first=False):
    """Standardised numeric columns and one-hot categorical blocks, NaN kept.

    A missing category is NaN in every column of its block. With
    ``drop_first`` the first category's column is left out (its score is one
    minus the others'): the full block sums to one, so a regression imputer
    would predict each of its columns exactly from the others and never move
    them from their starting means. Returns the matrix and a decoder mapping
    an imputed matrix back to a frame (numeric columns unstandardised, a
    categorical cell the argmax of its block).
    """
    blocks, decoders = [], []
    for name in frame.columns:
        column = frame[name]
        if is_categorical(column):
            levels = np.asarray(column.cat.categories)
            codes = pd.Categorical(column, categories=levels).codes
            block = (codes[:, None] == np.arange(len(levels))).astype(float)
            block[codes < 0] = np.nan
            if drop_first:
                block = block[:, 1:]
            decoders.append((name, "cat", levels, block.shape[1]))
        else:
            values = column.to_numpy(dtype=float)
            mean, std = np.nanmean(values), np.nanstd(values)
            block = ((values - mean) / std)[:, None]
            decoders.append((name, "num", (mean, std), 1))
        blocks.append(block)
    matrix = np.hstack(blocks)

    def decode(imputed):
        out, start = {}, 0
        for name, kind, info, width in decoders:
            part = imputed[:, start : start + width]
            start += width
            if kind == "cat":
                if drop_first:
                    part = np.hstack([1 - part.sum(axis=1, keepdims=True), part])
                out[name] = info[part.argmax(axis=1)]
            else:
                out[name] = part[:, 0] * info[1] + info[0]
        return pd.DataFrame(out)

    return matrix, decode


def sklearn_imputations(holed, random_state=0):
    """scikit-learn's imputers on ``holed``, as frames keyed by method name.

    ``SimpleImputer``: column means for numeric columns, the most frequent
    category for categorical ones. ``KNNImputer`` (5 neighbours) and
    ``IterativeImputer`` (BayesianRidge, 10 rounds) see standardised numeric
    columns and one-hot categorical blocks (a missing category is NaN in its
    whole block; the iterative imputer's blocks drop their first column, see
    :func:`_one_hot`) and a categorical cell takes the argmax of its block.
    """
    result = {}
    simple = {}
    for name in holed.columns:
        column = holed[name]
        if is_categorical(column):
            filled = SimpleImputer(strategy="most_frequent").fit_transform(
                column.astype(object).to_frame()
            )
        else:
            filled = SimpleImputer(strategy="mean").fit_transform(column.to_frame())
        simple[name] = filled[:, 0]
    result["SimpleImputer"] = pd.DataFrame(simple)
    matrix, decode = _one_hot(holed)
    result["KNNImputer"] = decode(KNNImputer(n_neighbors=5).fit_transform(matrix))
    matrix, decode = _one_hot(holed, drop_first=True)
    iterative = IterativeImputer(max_iter=10, random_state=random_state)
    result["IterativeImputer"] = decode(iterative.fit_transform(matrix))
    return result
