"""Shared docstring pieces: every placeholder is filled, and only on its own line."""

import pytest

import skmanifold_attn
from skmanifold_attn import metrics
from skmanifold_attn._docstrings import DOC_PIECES, fill_doc

PUBLIC = [getattr(skmanifold_attn, name) for name in skmanifold_attn.__all__[1:]] + [
    getattr(metrics, name) for name in metrics.__all__
]


@pytest.mark.parametrize("obj", PUBLIC, ids=lambda obj: obj.__name__)
def test_no_placeholder_is_left_in_a_public_docstring(obj):
    for name in DOC_PIECES:
        assert "{" + name + "}" not in obj.__doc__


def test_fill_doc_puts_the_piece_in_place_of_its_line():
    def function():
        """Summary.

        Parameters
        ----------
        {learning_rate_init}
        max_iter : int
            Epochs.
        """

    function.__doc__ = function.__doc__.replace("\n        ", "\n    ")
    doc = fill_doc(function).__doc__
    assert DOC_PIECES["learning_rate_init"] in doc
    assert doc.index("learning_rate_init : float") < doc.index("max_iter : int")
    assert "{learning_rate_init}" not in doc
