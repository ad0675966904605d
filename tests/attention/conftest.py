import pytest

from skmanifold_attn.utils._testing import numeric_grad as _numeric_grad


@pytest.fixture
def numeric_grad():
    return _numeric_grad
