"""The contract kit (shapes, batching, gradients, dtypes, specs, errors) and an oracle written with NumPy."""

import numpy as np
import torch

import invgen
from invgen.testing.contracts import ForwardModelContract


class TestVignetteContract(ForwardModelContract):
    spec = "vignette:strength=0.8"
    bad_specs = ("vignette:strength=2", "vignette:strength=dark", "vignette:radius=1")


def test_against_numpy():
    image = np.random.default_rng(0).uniform(-1, 1, (1, 1, 5, 7))
    rows, cols = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 7), indexing="ij")
    expected = image * (1 - 0.8 * (rows**2 + cols**2) / 2)
    got = invgen.forward_model("vignette:strength=0.8")(torch.from_numpy(image))
    assert np.allclose(got.numpy(), expected)
