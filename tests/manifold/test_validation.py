"""The shared input checks of the manifold estimators."""

import numpy as np
import pytest

from skmanifold_attn.manifold._validation import MAX_MAGNITUDE, check_magnitude


def test_check_magnitude_bounds_the_squared_distances():
    check_magnitude(np.full((3, 4), MAX_MAGNITUDE / 2.01))
    check_magnitude(np.empty((0, 3)))
    with pytest.raises(ValueError, match="too large.*StandardScaler"):
        # One feature below the bound, but four of them sum above it.
        check_magnitude(np.full((3, 4), MAX_MAGNITUDE / 1.99))
