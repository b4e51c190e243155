"""The VI mixture over starts: against the exact posterior of a two-mode toy problem, and its sampler."""

import numpy as np
import pytest
import torch

import invgen
from invgen.errors import SpecError
from invgen.problem.interfaces import Generator
from invgen.problem.objective import Objective
from invgen.solvers.mixture import solve_mixture, systematic_assignment
from invgen.solvers.vi import VISettings

SIGMA, SHIFT = 0.5, 0.3


class SquareGenerator(Generator):
    """G(w) = (w - SHIFT)^2 on every pixel: an observation of 1 is explained by w = SHIFT ± 1, two modes."""

    def __init__(self) -> None:
        super().__init__()
        self.num_layers, self.latent_dim, self.z_dim, self.channels, self.resolution = 1, 1, 1, 1, 2

    def synthesize(self, w):
        return (w.flatten(1)[:, :1] - SHIFT).square().view(-1, 1, 1, 1).expand(-1, 1, 2, 2)

    def map(self, z, truncation=1.0):
        return (truncation * z).view(-1, 1, 1)


def _objective(fake_manager):
    generator = SquareGenerator()
    observation = torch.ones(1, 1, 2, 2)
    likelihood = invgen.loss(f"test-sse:weight={1 / (2 * SIGMA**2)}")
    prior = invgen.prior("test-norm:weight=0.5")  # N(0, 1): the mode nearer 0 carries more mass
    return Objective(generator, invgen.forward_model("identity"), [likelihood], [prior], observation)


def _exact_mass_below_shift() -> float:
    """The posterior's mass of w < SHIFT (the mode at SHIFT - 1), by quadrature with numpy."""
    w = np.linspace(-6, 6, 200_001)
    log_density = -4 * ((w - SHIFT) ** 2 - 1) ** 2 / (2 * SIGMA**2) - 0.5 * w**2
    density = np.exp(log_density - log_density.max())
    return float(np.trapezoid(density * (w < SHIFT), w) / np.trapezoid(density, w))


def test_each_mode_gets_a_component_weighted_by_its_posterior_mass(fake_manager):
    objective = _objective(fake_manager)
    starts = torch.tensor([[[[SHIFT - 1.2]], [[SHIFT + 1.2]]]])  # [B=1, K=2, L=1, D=1]
    settings = VISettings(steps=400, lr=0.02, map_steps=100, map_lr=0.05, samples_per_step=16, init_std=0.2)
    result = solve_mixture(objective, settings, starts, num_samples=20)
    means = result.components.mean.flatten()
    assert means[0] < SHIFT < means[1]  # one component per mode
    assert torch.allclose(means, torch.tensor([SHIFT - 1, SHIFT + 1]), atol=0.1)
    exact = _exact_mass_below_shift()
    assert 0.6 < exact < 0.75  # the oracle: the mode nearer the prior's centre is heavier
    assert result.weights.sum().item() == pytest.approx(1.0, abs=1e-6)
    assert result.weights[0, 0].item() == pytest.approx(exact, abs=0.05), (result.weights, exact)
    counts = torch.bincount(result.component_of[0], minlength=2)
    assert (counts - result.weights[0] * 20).abs().max() <= 1
    assert counts.min() > 0  # samples come from both components
    assert result.samples.shape == (1, 20, 1, 2, 2)


def test_systematic_assignment_is_within_one_of_the_expected_count_and_unbiased():
    weights = torch.tensor([[0.5, 0.3, 0.15, 0.05], [0.0, 1.0, 0.0, 0.0]])
    totals = torch.zeros(2, 4)
    rng = torch.Generator().manual_seed(0)
    for _ in range(2000):
        chosen = systematic_assignment(weights, 8, rng)
        counts = torch.stack([torch.bincount(row, minlength=4) for row in chosen]).double()
        assert ((counts - weights.double() * 8).abs() < 1 + 1e-9).all()
        assert counts[1].tolist() == [0, 8, 0, 0]  # zero weight: never drawn
        totals += counts
    assert torch.allclose(totals[0] / (2000 * 8), weights[0], atol=0.01)


def test_settings_refuse_bad_starts():
    with pytest.raises(SpecError, match="starts must be a whole number from 1 to 64, not 65"):
        VISettings(starts=65)


def test_solve_with_vi_starts_reports_weights_and_components(fake_manager):
    generator = invgen.generator("toy:size=16,layers=2")
    truth = generator(generator.map(torch.randn(2, 8, generator=torch.Generator().manual_seed(4))))
    problem = invgen.build_problem(truth, generator, "test-topmask", losses=["test-sse"], simulate=True)
    result = invgen.solve(problem, VISettings(steps=10, map_steps=10, samples=6, starts=3))
    assert result.weights.shape == (2, 3) and torch.allclose(result.weights.sum(1), torch.ones(2))
    assert result.component_of.shape == (2, 6) and result.component_elbo.shape == (2, 3)
    assert result.samples.shape == (2, 6, 1, 16, 16) and result.latent_mean.shape == (2, 2, 8)
    assert torch.allclose(result.image, result.samples.mean(1))
