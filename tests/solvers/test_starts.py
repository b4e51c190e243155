"""Several MAP starts: screened by the objective, diverse (farthest-point), optimised together, ranked."""

import pytest
import torch

import invgen
from invgen.errors import SpecError, UsageError
import invgen.solvers.starts as starts_module
from invgen.problem.objective import Objective
from invgen.solvers.starts import KEEP, POOL, candidate_latents, candidate_scores, screened_starts


def _problem(batch=2):
    generator = invgen.generator("toy:size=16,layers=2")
    truth = generator(generator.map(torch.randn(batch, 8, generator=torch.Generator().manual_seed(4))))
    return invgen.build_problem(truth, generator, "test-topmask", losses=["test-sse"], simulate=True)


def _brute_force_starts(objective, candidates, count):
    """The rule spelled out: score each candidate alone, keep the best share, then farthest points."""
    starts = []
    for b in range(objective.observation.shape[0]):
        single = Objective(objective.generator, objective.forward_model, list(objective.losses),
                           list(objective.priors), objective.observation[b:b + 1])
        scores = torch.stack([single.evaluate(c[None]).total[0] for c in candidates])
        kept = candidates[scores.argsort()[:max(count, round(len(candidates) * KEEP))]]
        chosen = [kept[0]]
        for _ in range(count - 1):
            gaps = torch.stack([(kept - c).flatten(1).norm(dim=1) for c in chosen]).min(0).values
            chosen.append(kept[gaps.argmax()])
        starts.append(torch.stack(chosen))
    return torch.stack(starts)


def test_starts_are_the_best_fitting_candidate_then_farthest_points_of_the_best_share(fake_manager):
    problem = _problem(batch=2)
    objective = problem.objective()
    starts = screened_starts(objective, 4, seed=3)
    candidates = candidate_latents(problem.generator, 4, seed=3, device=torch.device("cpu"))
    assert starts.shape == (2, 4, *candidates.shape[1:]) and len(candidates) == 1 + 4 * POOL
    assert torch.equal(candidates[0], problem.generator.initial_latent(1)[0])
    assert torch.allclose(starts, _brute_force_starts(objective, candidates, 4), atol=1e-6)
    assert not torch.allclose(starts[0], starts[1])  # each observation gets its own starts


def test_a_candidate_that_explains_the_observation_exactly_is_the_first_start(fake_manager):
    generator = invgen.generator("toy:size=16,layers=2")
    candidates = candidate_latents(generator, 3, seed=5, device=torch.device("cpu"))
    truth = generator.synthesize(candidates[[7, 30]])
    problem = invgen.build_problem(truth, generator, "test-topmask", losses=["test-sse"], simulate=True)
    starts = screened_starts(problem.objective(), 3, seed=5)
    assert torch.equal(starts[:, 0], candidates[[7, 30]])
    assert len(torch.unique(starts.flatten(2), dim=1)[0]) == 3  # and the others differ from it


def test_screening_in_parts_gives_the_same_scores(fake_manager, monkeypatch):
    objective = _problem(batch=2).objective()
    candidates = candidate_latents(objective.generator, 4, seed=1, device=torch.device("cpu"))
    whole = candidate_scores(objective, candidates)
    monkeypatch.setattr(starts_module, "SCREEN_PIXELS", 16 * 16 * 2 * 5)  # 5 candidates at a time
    assert torch.allclose(candidate_scores(objective, candidates), whole)


def test_modes_are_ranked_by_objective_and_the_best_is_the_reconstruction(fake_manager):
    problem = _problem()
    result = invgen.solve(problem, invgen.MAPSettings(steps=30, lr=0.1, starts=4))
    assert result.modes.shape == (2, 4, 1, 16, 16) and result.mode_objectives.shape == (2, 4)
    assert (result.mode_objectives.diff(dim=1) >= 0).all()
    assert torch.equal(result.image, result.modes[:, 0]) and torch.equal(result.objective, result.mode_objectives[:, 0])
    for row in range(2):  # the modes differ from one another
        flat = result.modes[row].flatten(1)
        assert torch.cdist(flat, flat).add(torch.eye(4) * 1e9).min() > 1e-3
    own = (result.prediction - result.observation).square().flatten(1).sum(1)
    swapped = (result.prediction - result.observation.flip(0)).square().flatten(1).sum(1)
    assert (own < swapped).all()  # each observation's modes were solved against that observation


def test_one_start_is_the_plain_solve(fake_manager):
    problem = _problem(batch=1)
    plain = invgen.solve(problem, invgen.MAPSettings(steps=10, lr=0.1))
    one = invgen.solve(problem, invgen.MAPSettings(steps=10, lr=0.1, starts=1))
    assert torch.equal(plain.image, one.image) and one.modes is None


def test_bad_starts_are_refused(fake_manager):
    with pytest.raises(SpecError, match="starts must be a whole number from 1 to 64, not 0"):
        invgen.MAPSettings(starts=0)
    problem = _problem(batch=1)
    with pytest.raises(UsageError, match="init and starts > 1 exclude each other"):
        invgen.solve(problem, invgen.MAPSettings(starts=2), init=torch.zeros(1, 2, 8))
