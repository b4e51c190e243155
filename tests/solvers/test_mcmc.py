"""MALA's chains: Ctrl-C keeps what was sampled, settings are checked, several chains per observation in one batch."""

from __future__ import annotations

import pytest
import torch

import invgen
from invgen.errors import SpecError
from invgen.solvers.mcmc import MCMCSettings, run_chains
from invgen.solvers.solving import solve


def test_ctrl_c_keeps_the_chains_so_far(toy_problem):
    _, problem = toy_problem
    objective = problem.objective()
    seen = []

    def interrupt(progress):
        seen.append(progress.step)
        if progress.step == 12:
            raise KeyboardInterrupt

    settings = MCMCSettings(steps=20, burn_in=5, thin=2, warm_start=False)
    chains = run_chains(objective, settings, callback=interrupt)
    assert chains.interrupted and seen[-1] == 12
    assert chains.kept.shape[1] == 3  # steps 6-12 after 5 of burn-in: every second one kept
    assert torch.isfinite(chains.log_density).all()


@pytest.mark.parametrize("changes, message", [({"thin": 30, "steps": 20}, "thin must be a whole number from 1 to 20"),
                                              ({"step_size": 0.0}, "step_size must be a number > 0")])
def test_settings_are_checked(changes, message):
    with pytest.raises(SpecError, match=message):
        MCMCSettings(**changes)


def test_several_chains_per_observation_give_a_weighted_posterior(toy_problem):
    _, problem = toy_problem
    settings = MCMCSettings(steps=10, burn_in=5, thin=2, map_steps=5, samples=4, starts=3)
    result = solve(problem, settings)
    batch = len(problem.observation)
    assert isinstance(result, invgen.Posterior) and result.samples.shape[:2] == (batch, 4)
    assert result.weights.shape == (batch, 3) and torch.allclose(result.weights.sum(1), torch.ones(batch))
    assert result.config["solver"]["method"] == "mcmc" and result.config["solver"]["temperature"] == 1.0
    assert set(result.chain_diagnostics) >= {"rhat", "ess", "acceptance"}
    assert all(value.shape == (batch,) for value in result.chain_diagnostics.values())
    assert result.std.shape == result.image.shape and (result.std >= 0).all()
