"""Mode probabilities and their temperature: softmax by hand, the fitted T against the known one."""

from __future__ import annotations

import math

import pytest
import torch

from invgen.solvers.mode_weights import fit_temperature, mode_nll, mode_probabilities, nearest_modes


def test_probabilities_are_the_softmax_at_the_temperature() -> None:
    evidence = torch.tensor([[0.0, -2.0, -4.0]])
    expected = [math.exp(-x / 2) for x in (0.0, 2.0, 4.0)]
    total = sum(expected)
    assert mode_probabilities(evidence, 2.0)[0].tolist() == pytest.approx([e / total for e in expected], rel=1e-6)
    with pytest.raises(ValueError, match="temperature"):
        mode_probabilities(evidence, 0.0)


def test_fitted_temperature_recovers_the_one_that_drew_the_right_modes() -> None:
    rng = torch.Generator().manual_seed(0)
    evidence = torch.randn(4000, 5, generator=rng, dtype=torch.float64) * 300  # far too sharp at T = 1
    true_temperature = 150.0
    right = torch.multinomial(torch.softmax(evidence / true_temperature, 1), 1, generator=rng)[:, 0]
    fitted = fit_temperature(evidence, right)
    assert fitted == pytest.approx(true_temperature, rel=0.1)
    assert mode_nll(evidence, right, fitted) < mode_nll(evidence, right, 1.0)


def test_nearest_mode_compares_only_the_region() -> None:
    truth = torch.zeros(1, 1, 2, 2)
    modes = torch.stack([torch.tensor([[[[0.0, 5.0], [0.0, 0.0]]]]), torch.full((1, 1, 2, 2), 0.5)], 1)
    assert nearest_modes(modes, truth).tolist() == [1]  # mean squared error over all pixels
    region = torch.tensor([[[[False, False], [True, True]]]])
    assert nearest_modes(modes, truth, region).tolist() == [0]  # the first is exact where it counts
