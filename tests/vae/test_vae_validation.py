"""The VAE's parameter and input checks, called directly."""

import re
import warnings

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from skmanifold_attn import VAETransformer
from skmanifold_attn.vae._validation import (
    ARCHITECTURE_PARAMS,
    check_architecture,
    check_continued_features,
    check_hidden_sizes,
    check_latent_width,
    check_n_samples,
    warn_if_wider_than_data,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.parametrize(
    "sizes, expected",
    [(5, [5]), ((8, 4), [8, 4]), ([3], [3]), (np.array([2, 7]), [2, 7])],
)
def test_hidden_sizes_become_a_list_of_python_ints(sizes, expected):
    result = check_hidden_sizes(sizes)
    assert result == expected
    assert all(type(size) is int for size in result)


@pytest.mark.parametrize("sizes", [(8, 2.5), [[4, 4]], "64", (4.0,)])
def test_hidden_sizes_that_are_not_ints_raise(sizes):
    with pytest.raises(ValueError, match="must be an int or a sequence of ints"):
        check_hidden_sizes(sizes)


@pytest.mark.parametrize("sizes", [0, (8, 0), (-3,)])
def test_hidden_sizes_below_one_raise(sizes):
    with pytest.raises(ValueError, match=re.escape(f"must be > 0, got {sizes!r}")):
        check_hidden_sizes(sizes)


def test_wider_latent_space_warns_and_equal_width_does_not():
    with pytest.warns(UserWarning, match="n_components=5 is more than n_features=4"):
        warn_if_wider_than_data(5, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_wider_than_data(4, 4)


@pytest.fixture(scope="module")
def built():
    X = np.random.RandomState(0).uniform(size=(30, 5))
    vae = VAETransformer(hidden_layer_sizes=(6,), max_iter=1, random_state=0)
    return vae.fit(X)._model.architecture


def test_architecture_names_every_parameter_that_shapes_the_network(built):
    assert set(built) == set(ARCHITECTURE_PARAMS)


def test_unchanged_architecture_passes_however_widths_are_spelled(built):
    for sizes in [(6,), [6], 6, np.array([6])]:
        params = VAETransformer(hidden_layer_sizes=sizes).get_params()
        check_architecture(built, params)


@pytest.mark.parametrize(
    "change, detail",
    [
        ({"hidden_layer_sizes": (6, 6)}, "hidden_layer_sizes=(6,) -> (6, 6)"),
        ({"n_components": 3}, "n_components=2 -> 3"),
        ({"decoder_variance": 0.5}, "decoder_variance='learned' -> 0.5"),
        (
            {"decoder": "bernoulli"},
            "decoder='auto' -> 'bernoulli', decoder_variance='learned' -> None",
        ),
    ],
)
def test_changed_architecture_raises_with_the_change(built, change, detail):
    params = {**VAETransformer(hidden_layer_sizes=(6,)).get_params(), **change}
    with pytest.raises(ValueError, match=re.escape(f"({detail})")):
        check_architecture(built, params)


def test_bernoulli_architecture_ignores_decoder_variance():
    X = np.random.RandomState(0).uniform(size=(30, 5))
    vae = VAETransformer(decoder="bernoulli", hidden_layer_sizes=(6,), max_iter=1)
    built = vae.set_params(random_state=0).fit(X)._model.architecture
    params = vae.set_params(decoder_variance=0.5).get_params()
    check_architecture(built, params)


def test_width_checks_name_both_widths():
    X = np.zeros((3, 4))
    check_continued_features(X, 4)
    with pytest.raises(ValueError, match="X has 4 features, .* continued .* has 5"):
        check_continued_features(X, 5)
    check_latent_width(X, 4, "VAETransformer")
    with pytest.raises(
        ValueError, match="but VAETransformer was fitted with n_components=2 latent"
    ):
        check_latent_width(X, 2, "VAETransformer")


@pytest.mark.parametrize("n_samples", [1, 7, np.int64(3)])
def test_n_samples_accepts_positive_ints(n_samples):
    check_n_samples(n_samples, "VAETransformer")


@pytest.mark.parametrize("n_samples", [True, np.True_, 0, -2, 2.0, "3", None])
def test_n_samples_refuses_everything_else(n_samples):
    match = re.escape(
        "The 'n_samples' parameter of VAETransformer.sample must be an int in the "
        f"range [1, inf). Got {n_samples!r} instead."
    )
    with pytest.raises(InvalidParameterError, match=match):
        check_n_samples(n_samples, "VAETransformer")
