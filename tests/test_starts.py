"""Several MAP starts: diverse (farthest-point), optimised together, ranked by objective."""

import pytest
import torch

import invgen
from invgen.errors import SpecError, UsageError
from invgen.starts import POOL, diverse_starts


def test_starts_are_the_mean_then_farthest_points_of_a_seeded_pool(fake_manager):
    generator = invgen.generator("toy:size=16,layers=2")
    starts = diverse_starts(generator, 4, seed=3, device=torch.device("cpu"))
    assert torch.equal(starts[0], generator.initial_latent(1)[0])
    pool = generator.map(torch.randn(3 * POOL, generator.z_dim, generator=torch.Generator().manual_seed(3)))
    chosen = [starts[0]]
    for start in starts[1:]:  # brute force: each pick is the pool point farthest from those before it
        gaps = torch.stack([(pool - c).flatten(1).norm(dim=1) for c in chosen]).min(0).values
        assert torch.allclose(start, pool[gaps.argmax()])
        chosen.append(start)


def _problem(batch=2):
    generator = invgen.generator("toy:size=16,layers=2")
    truth = generator(generator.map(torch.randn(batch, 8, generator=torch.Generator().manual_seed(4))))
    return invgen.build_problem(truth, generator, "test-topmask", losses=["test-sse"], simulate=True)


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
    with pytest.raises(SpecError, match="starts must be from 1 to 64, not 0"):
        invgen.MAPSettings(starts=0)
    problem = _problem(batch=1)
    with pytest.raises(UsageError, match="init and starts > 1 exclude each other"):
        invgen.solve(problem, invgen.MAPSettings(starts=2), init=torch.zeros(1, 2, 8))
