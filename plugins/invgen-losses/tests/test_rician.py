"""The Rician likelihood against scipy.stats.rice (the exact log density, up to the constant it drops)."""

import numpy as np
import pytest
import torch
from scipy import stats

import invgen
from invgen.testing.contracts import LossContract


class TestRicianContract(LossContract):
    spec = "rician:sigma=0.1"
    bad_specs = ("rician:sigma=none", "rician:sigma=-1", "rician:sigma=abc")


def magnitudes(generator, shape):
    return torch.rand(shape, generator=generator, dtype=torch.float64)


def test_differences_are_scipys_log_density_differences():
    rng = torch.Generator().manual_seed(0)
    observed, first, second = (magnitudes(rng, (2, 1, 8, 8)) for _ in range(3))
    loss = invgen.loss("rician:sigma=0.2")
    loss.bind(invgen.forward_model("identity"))
    scale = 0.1  # sigma / 2: the std in magnitude units
    ours = loss(first * 2 - 1, observed * 2 - 1, None) - loss(second * 2 - 1, observed * 2 - 1, None)
    y = observed.numpy()
    theirs = [stats.rice.logpdf(y[i], b=p[i] / scale, scale=scale).sum() for p in (first.numpy(), second.numpy())
              for i in range(2)]
    expected = -(np.array(theirs[:2]) - np.array(theirs[2:]))
    np.testing.assert_allclose(ours.numpy(), expected, rtol=1e-9, atol=1e-9)


def test_sigma_auto_comes_from_the_rician_noise_model_and_is_needed():
    loss = invgen.loss("rician")
    loss.bind(invgen.forward_model("rician:std=0.04"))
    assert loss.sigma == 0.04
    bare = invgen.loss("rician")
    bare.bind(invgen.forward_model("identity"))
    with pytest.raises(ValueError, match="no noise model; give rician:sigma=NUMBER"):
        bare(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4), None)
