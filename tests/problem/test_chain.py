"""Chains of forward models: order, shapes, masks and noise carried through."""

import math

import pytest
import torch

import invgen
from invgen.problem.chain import Chain, chain


def test_chain_applies_parts_in_order(fake_manager, fakes):
    x = torch.rand(2, 1, 16, 16)
    composed = invgen.forward_model(["test-blur:sigma=1", "test-down"])
    assert torch.allclose(composed(x), fakes.HalfDown()(fakes.GaussianBlur(1.0)(x)))
    assert composed.output_shape((1, 16, 16)) == (1, 8, 8)
    assert composed.spec == "test-blur | test-down"


def test_chain_mask_is_carried_through_later_parts(fake_manager):
    composed = invgen.forward_model(["test-topmask", "test-down"])
    mask = composed.mask((1, 16, 16))
    assert mask.shape == (1, 1, 8, 8)
    assert mask[..., :4, :].sum() == 0 and mask[..., 4:, :].min() == 1


def test_chain_noise_levels_add_in_quadrature(fake_manager):
    composed = invgen.forward_model(["test-noise:std=0.3", "test-blur", "test-noise:std=0.4"])
    assert math.isclose(composed.noise_std, 0.5)
    assert invgen.forward_model(["test-blur"]).noise_std is None


def test_chain_simulate_is_seeded_and_zeroes_unknown_pixels(fake_manager):
    composed = invgen.forward_model(["test-noise:std=0.1", "test-topmask"])
    x = torch.rand(1, 1, 8, 8)
    first = composed.simulate(x, seed=1)
    assert torch.equal(first, composed.simulate(x, seed=1))
    assert not torch.equal(first, composed.simulate(x, seed=2))
    assert first[..., :4, :].abs().max() == 0


def test_chain_flattens_and_rejects_empty(fake_manager, fakes):
    inner = Chain([fakes.GaussianBlur(1.0)])
    assert len(chain([inner, fakes.HalfDown()]).parts) == 2
    with pytest.raises(ValueError, match="at least one"):
        Chain([])


def test_shape_errors_surface(fake_manager):
    with pytest.raises(ValueError, match="not divisible by 2"):
        invgen.forward_model("test-down").output_shape((1, 15, 15))
