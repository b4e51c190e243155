"""The pixel likelihood: exact Gaussian scaling, sigma from the chain, masks, l1."""

import math

import pytest
import torch

import invgen
from invgen.testing.contracts import LossContract


class TestPixelContract(LossContract):
    spec = "pixel"
    bad_specs = ("pixel:sigma=-1", "pixel:sigma=abc", "pixel:norm=l3", "pixel:weight=-2")


class TestPixelL1Contract(LossContract):
    spec = "pixel:sigma=0.1,norm=l1"


@pytest.mark.usefixtures("lpips_weights")
class TestLPIPSContract(LossContract):
    spec = "lpips:net=alex"
    bad_specs = ("lpips:net=squeeze",)

    def test_masked_pixels_do_not_count(self):
        super().test_masked_pixels_do_not_count()


def test_gaussian_negative_log_likelihood_scaling():
    prediction, observation = torch.zeros(1, 1, 2, 2), torch.full((1, 1, 2, 2), 0.1)
    loss = invgen.loss("pixel:sigma=0.05")
    loss.bind(invgen.forward_model("identity"))
    assert loss(prediction, observation, None).item() == pytest.approx(4 * 0.01 / (2 * 0.0025))
    l1 = invgen.loss("pixel:sigma=0.05,norm=l1")
    l1.bind(invgen.forward_model("identity"))
    assert l1(prediction, observation, None).item() == pytest.approx(4 * 0.1 * math.sqrt(2) / 0.05)


def test_sigma_comes_from_the_forward_chain():
    loss = invgen.loss("pixel")
    loss.bind(invgen.forward_model(["blur:sigma=1", "noise:std=0.1"]))
    assert loss.sigma == pytest.approx(0.1)
    plain = invgen.loss("pixel:sigma=none")
    plain.bind(invgen.forward_model(["noise:std=0.1"]))
    assert plain.sigma is None
    noiseless = invgen.loss("pixel")
    noiseless.bind(invgen.forward_model("blur:sigma=1"))
    value = noiseless(torch.zeros(1, 3, 4, 4), torch.full((1, 3, 4, 4), 0.5), None)
    assert value.item() == pytest.approx(0.25)


def test_masked_pixels_have_zero_gradient():
    mask = torch.ones(1, 1, 4, 4)
    mask[..., :2, :] = 0
    prediction = torch.rand(2, 3, 4, 4, requires_grad=True)
    loss = invgen.loss("pixel:sigma=0.1")
    loss(prediction, torch.rand(2, 3, 4, 4), mask).sum().backward()
    assert prediction.grad[..., :2, :].abs().max() == 0
    assert prediction.grad[..., 2:, :].abs().min() > 0
