"""Fixtures for the StyleGAN2 plugin's tests."""

import pytest

from invgen_stylegan2.testing import make_network


@pytest.fixture
def network():
    return make_network()
