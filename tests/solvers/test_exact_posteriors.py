"""The samplers against posteriors known independently of our code.

A linear decoder with a Gaussian prior and likelihood has a Gaussian posterior in closed form (precision
I + A A^T / sigma^2): MALA's moments must match it within a few Monte Carlo standard errors, and mean-field
VI must find its mean and the mean-field optimum of the std, 1 / sqrt(diag precision). A small non-linear
problem (a 2-dimensional latent through the toy generator's tanh decoder) is sampled by pyro's NUTS on the
same log density, and MALA must agree with it.
"""

from __future__ import annotations

import math

import pytest
import torch

from invgen.problem.interfaces import Loss, Prior
from invgen.problem.objective import Objective
from invgen.problem.chain import Identity
from invgen.solvers.mcmc import MCMCSettings, run_chains
from invgen.solvers.vi import VISettings, solve_vi
from invgen.testing.toy import ToyGenerator

SIGMA = 0.3


class GaussianLikelihood(Loss):
    def forward(self, prediction, observation, mask):
        return (prediction - observation).square().flatten(1).sum(1) / (2 * SIGMA**2)


class StandardNormalPrior(Prior):
    def forward(self, w):
        return 0.5 * w.square().flatten(1).sum(1)


def objective_for(generator: ToyGenerator, observation: torch.Tensor) -> Objective:
    return Objective(generator, Identity(), [GaussianLikelihood()], [StandardNormalPrior()], observation)


def linear_problem() -> tuple[ToyGenerator, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The generator, an observation, and the posterior mean and covariance by numpy, not by our code."""
    generator = ToyGenerator(size=4, layers=1, dim=3, linear=True)
    matrix = generator.decoder_matrix.double().numpy()  # [3, 16]
    rng = torch.Generator().manual_seed(1)
    truth = torch.randn(1, 3, generator=rng, dtype=torch.float64).numpy()
    y = truth @ matrix + SIGMA * torch.randn(1, 16, generator=rng, dtype=torch.float64).numpy()
    import numpy as np

    precision = np.eye(3) + matrix @ matrix.T / SIGMA**2
    covariance = np.linalg.inv(precision)
    mean = covariance @ matrix @ y[0] / SIGMA**2
    observation = torch.tensor(y, dtype=torch.float32).view(1, 1, 4, 4)
    return generator, observation, torch.tensor(mean), torch.tensor(covariance)


def test_mala_matches_the_closed_form_gaussian_posterior() -> None:
    generator, observation, mean, covariance = linear_problem()
    settings = MCMCSettings(steps=6000, burn_in=500, thin=1, step_size=0.05, warm_start=False, seed=3)
    chains = run_chains(objective_for(generator, observation).repeated(4), settings)
    draws = chains.kept.double().flatten(2)  # [4 chains, S, 3]
    pooled = draws.flatten(0, 1)
    from invgen.solvers.diagnostics import effective_sample_size, split_rhat

    ess = effective_sample_size(draws.permute(2, 0, 1))  # per coordinate
    assert (split_rhat(draws.permute(2, 0, 1)) < 1.01).all()
    standard_error = (covariance.diagonal() / ess).sqrt()
    assert ((pooled.mean(0) - mean).abs() < 4 * standard_error).all(), (pooled.mean(0), mean, standard_error)
    found = torch.cov(pooled.T)
    # the variance estimate's standard error is about var * sqrt(2 / ess)
    tolerance = 4 * covariance.diagonal().sqrt()[:, None] * covariance.diagonal().sqrt()[None, :] * (2 / ess.min()) ** 0.5
    assert ((found - covariance).abs() < tolerance).all(), (found, covariance)
    assert 0.4 < chains.acceptance.mean().item() < 0.75  # adapted towards 0.574


def test_mean_field_vi_finds_the_mean_and_the_mean_field_std() -> None:
    generator, observation, mean, covariance = linear_problem()
    precision = torch.linalg.inv(covariance)
    settings = VISettings(steps=1500, lr=0.05, std_lr=0.05, samples_per_step=16, warm_start=False, seed=0)
    fitted = solve_vi(objective_for(generator, observation), settings, num_samples=2)
    assert torch.allclose(fitted.mean.double().flatten(), mean, atol=0.05 * covariance.diagonal().sqrt().min().item()
                          + 0.02)
    expected_std = precision.diagonal().rsqrt()  # argmin KL(q || p) over diagonal Gaussians
    assert torch.allclose(fitted.std.double().flatten(), expected_std, rtol=0.1)


def test_mala_agrees_with_pyro_nuts_on_a_nonlinear_posterior() -> None:
    pytest.importorskip("pyro", reason="the NUTS check needs pyro-ppl (the core's test extra)")
    from pyro.infer import MCMC, NUTS

    generator = ToyGenerator(size=4, layers=1, dim=2, seed=2)
    truth = torch.tensor([[[0.5, -0.8]]])
    with torch.no_grad():
        observation = generator.synthesize(truth) + 0.05 * torch.randn(1, 1, 4, 4, generator=torch.Generator()
                                                                        .manual_seed(0))
    objective = objective_for(generator, observation)

    def potential(params: dict) -> torch.Tensor:
        return objective.evaluate(params["w"].float().view(1, 1, 2)).total.sum().double()

    torch.manual_seed(0)
    nuts = MCMC(NUTS(potential_fn=potential), num_samples=1500, warmup_steps=300,
                initial_params={"w": truth.flatten().double()}, disable_progbar=True)
    nuts.run()
    reference = nuts.get_samples()["w"].double()
    settings = MCMCSettings(steps=6000, burn_in=500, thin=2, step_size=0.05, warm_start=False, seed=1)
    chains = run_chains(objective.repeated(4), settings, init=truth.expand(4, 1, 2).clone())
    ours = chains.kept.double().flatten(2).flatten(0, 1)
    spread = reference.std(0)
    # both are Monte Carlo estimates: agree within a tenth of a posterior std plus 4 standard errors of NUTS
    assert ((ours.mean(0) - reference.mean(0)).abs() < 0.1 * spread + 4 * spread / math.sqrt(300)).all(), (
        ours.mean(0), reference.mean(0), spread)
    assert torch.allclose(ours.std(0), spread, rtol=0.15), (ours.std(0), spread)
