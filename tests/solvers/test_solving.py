"""``solve``: the one place a solver runs, and what it refuses before running anything."""

from dataclasses import replace

import pytest
import torch

import invgen
from invgen.errors import SpecError, UsageError


def test_solve_refuses_what_it_cannot_run(toy_problem):
    _, problem = toy_problem
    with pytest.raises(UsageError, match="MAPSettings, VISettings or MCMCSettings"):
        invgen.solve(problem, {"steps": 3})
    with pytest.raises(UsageError, match="init and starts > 1 exclude each other"):
        invgen.solve(problem, invgen.VISettings(starts=2), init=torch.zeros(2, 2, 8))
    with pytest.raises(SpecError, match="samples must be a whole number from 1 to 1024, not 0"):
        replace(invgen.VISettings(), samples=0)


def test_vi_starts_q_at_the_given_latents(toy_problem):
    _, problem = toy_problem
    start = torch.randn(2, 2, 8, generator=torch.Generator().manual_seed(3))
    settings = invgen.VISettings(warm_start=False, steps=1, lr=1e-9, std_lr=1e-9, samples=2)
    posterior = invgen.solve(problem, settings, init=start)
    torch.testing.assert_close(posterior.latent, start, atol=1e-6, rtol=0)  # one step of 1e-9 barely moves it
    assert posterior.sample_latents.shape == (2, 2, 2, 8)
