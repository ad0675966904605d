"""AttentionPooling and its predictors at their defaults against scikit-learn's
MLP and gradient boosting, on the same folds, on digits, the Palmer penguins
and a table whose label is an interaction of a categorical and a numeric
column.

The references are scikit-learn estimators at their defaults fitted in the
same process on the same folds: one-hot categories, imputed and standardised
numbers, then MLPClassifier / MLPRegressor; HistGradientBoosting with native
categorical support.
"""

import warnings

import pandas as pd
import pytest
from sklearn.compose import make_column_selector, make_column_transformer
from sklearn.datasets import load_digits
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import KFold, StratifiedKFold, cross_val_score
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from skmanifold_attn import (
    AttentionPooling,
    AttentionPoolingClassifier,
    AttentionPoolingRegressor,
)
from skmanifold_attn._demo import make_mixed_table


def _ours(classification, **params):
    head = LogisticRegression(max_iter=2000) if classification else Ridge()
    return make_pipeline(AttentionPooling(random_state=0, **params), head)


def _mlp(classification):
    encode = make_column_transformer(
        (
            make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore"),
            ),
            make_column_selector(dtype_exclude="number"),
        ),
        (
            make_pipeline(SimpleImputer(), StandardScaler()),
            make_column_selector(dtype_include="number"),
        ),
    )
    mlp = MLPClassifier if classification else MLPRegressor
    return make_pipeline(encode, mlp(random_state=0))


def _hgb(classification, X):
    X = X.copy()
    for column in X.columns:
        if not pd.api.types.is_numeric_dtype(X[column]):
            X[column] = X[column].astype("category")
    hgb = (
        HistGradientBoostingClassifier
        if classification
        else (HistGradientBoostingRegressor)
    )
    return hgb(categorical_features="from_dtype", random_state=0), X


def _scores(estimator, X, y, cv, scoring=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cross_val_score(estimator, X, y, cv=cv, scoring=scoring).mean()


def _penguins():
    palmerpenguins = pytest.importorskip("palmerpenguins")
    return palmerpenguins.load_penguins()


def test_default_fit_on_a_mixed_table_converges():
    X, y = make_mixed_table(1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        pool = AttentionPooling(random_state=0).fit(X, y)
    assert pool.n_iter_ < pool.max_iter


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_default_fit_on_digits_converges_and_beats_mlp_on_unshuffled_folds():
    # scikit-learn's default cv=5 on digits is unshuffled: each fold holds
    # other writers. Both layouts: the default one token per pixel, and
    # token_dim=8 (8 image rows of 8 pixels); every other parameter is at
    # its default. Measured: 0.942 (one token per pixel; 0.918 without the
    # row context, context_rank=0), 0.946 (token_dim=8), the MLP 0.938.
    X, y = load_digits(return_X_y=True)
    mlp = _scores(
        make_pipeline(StandardScaler(), MLPClassifier(random_state=0)), X, y, 5
    )
    for token_dim in (1, 8):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            ours = cross_val_score(_ours(True, token_dim=token_dim), X, y, cv=5)
        assert ours.mean() >= mlp - 0.005, (token_dim, ours.mean(), mlp)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_penguin_species_above_boosting_and_near_mlp():
    penguins = _penguins()
    X, y = penguins.drop(columns="species"), penguins["species"]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = _scores(_ours(True), X, y, cv)
    mlp = _scores(_mlp(True), X, y, cv)
    hgb, X_hgb = _hgb(True, X)
    boosting = _scores(hgb, X_hgb, y, cv)
    # Measured: ours 0.997 (one penguin wrong), the MLP 0.997, boosting
    # 0.986; one penguin in 344 is 0.003 of slack for other CPUs' rounding
    # (with the pooled columns left unstandardised ours scored 0.994).
    assert ours >= boosting and ours >= mlp - 0.003, (ours, mlp, boosting)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_penguin_body_mass_near_mlp_and_boosting():
    from sklearn.compose import TransformedTargetRegressor

    penguins = _penguins().dropna(subset=["body_mass_g"])
    X = penguins.drop(columns="body_mass_g")
    y = penguins["body_mass_g"].to_numpy()
    cv = KFold(5, shuffle=True, random_state=0)
    ours = _scores(_ours(False), X, y, cv, "r2")
    # At its defaults the MLP regresses raw grams and fails (R² far below
    # 0); with standardised targets it is the fair reference.
    mlp = _scores(_mlp(False), X, y, cv, "r2")
    scaled = TransformedTargetRegressor(_mlp(False), transformer=StandardScaler())
    mlp_scaled = _scores(scaled, X, y, cv, "r2")
    hgb, X_hgb = _hgb(False, X)
    boosting = _scores(hgb, X_hgb, y, cv, "r2")
    # Measured: ours 0.857 (0.853-0.857 over network seeds 0-2), the MLP
    # 0.857 (standardised targets), boosting 0.849; with the pooled columns
    # left unstandardised ours scored 0.843.
    assert ours > mlp, (ours, mlp)
    assert ours >= max(mlp_scaled, boosting) - 0.005, (ours, mlp_scaled, boosting)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_interaction_of_a_category_and_a_number_as_well_as_mlp_and_boosting():
    X, y = make_mixed_table(2000)
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    ours = _scores(_ours(True), X, y, cv)
    mlp = _scores(_mlp(True), X, y, cv)
    hgb, X_hgb = _hgb(True, X)
    boosting = _scores(hgb, X_hgb, y, cv)
    assert ours >= max(mlp, boosting) - 0.005, (ours, mlp, boosting)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_penguin_species_head_as_accurate_as_mlp_and_boosting():
    penguins = _penguins()
    X, y = penguins.drop(columns="species"), penguins["species"]
    cv = StratifiedKFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = cross_val_score(AttentionPoolingClassifier(random_state=0), X, y, cv=cv)
    mlp = _scores(_mlp(True), X, y, cv)
    hgb, X_hgb = _hgb(True, X)
    boosting = _scores(hgb, X_hgb, y, cv)
    # Measured: ours 0.997 (one penguin wrong), the MLP 0.997, boosting
    # 0.986; one penguin in 344 is 0.003 of slack for other CPUs' rounding.
    assert ours.mean() >= max(mlp, boosting) - 0.003, (ours.mean(), mlp, boosting)


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_penguin_body_mass_head_on_raw_grams_above_mlp_and_boosting():
    from sklearn.compose import TransformedTargetRegressor

    penguins = _penguins().dropna(subset=["body_mass_g"])
    X = penguins.drop(columns="body_mass_g")
    y = penguins["body_mass_g"].to_numpy()
    cv = KFold(5, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg = AttentionPoolingRegressor(random_state=0)
        ours = cross_val_score(reg, X, y, cv=cv, scoring="r2").mean()
    # Raw grams, as a user passes them: the MLP at its defaults fails on
    # them; with standardised targets it is the fair reference.
    mlp = _scores(_mlp(False), X, y, cv, "r2")
    scaled = TransformedTargetRegressor(_mlp(False), transformer=StandardScaler())
    mlp_scaled = _scores(scaled, X, y, cv, "r2")
    hgb, X_hgb = _hgb(False, X)
    boosting = _scores(hgb, X_hgb, y, cv, "r2")
    # Measured: ours 0.865, the MLP 0.857 (standardised targets) and -26.8
    # (raw grams), boosting 0.849.
    assert ours > mlp, (ours, mlp)
    assert ours >= max(mlp_scaled, boosting), (ours, mlp_scaled, boosting)
