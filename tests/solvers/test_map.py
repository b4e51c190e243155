"""The MAP solver recovers a known image through a known corruption, and behaves on the edges."""

import pytest
import torch

import invgen
from invgen.problem.metrics import psnr
from invgen.problem.objective import Objective
from invgen.solvers.map import MAPSettings, NonFiniteObjective, solve_map

# The toy generator starts ~10-15 dB from these targets (its mean latent); a solver that does
# not descend, or descends the wrong way, cannot reach the threshold below.
RECOVERY_DB = 27.0


def _problem(forward_spec, batch=3, seed=1):
    generator = invgen.generator("toy:size=16,layers=2")
    rng = torch.Generator().manual_seed(seed)
    w_true = generator.map(torch.randn(batch, generator.z_dim, generator=rng))
    w_true = w_true + 0.3 * torch.randn(w_true.shape, generator=rng)
    truth = generator(w_true)
    forward = invgen.forward_model(forward_spec)
    return generator, forward, truth, forward.simulate(truth)


@pytest.mark.parametrize("forward_spec", ["test-blur:sigma=1", "test-topmask"])
def test_recovers_the_known_image(fake_manager, forward_spec):
    generator, forward, truth, observation = _problem(forward_spec)
    start = psnr(generator(generator.initial_latent(3)), truth)
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], observation)
    result = solve_map(objective, MAPSettings(steps=400, lr=0.1))
    achieved = psnr(result.image, truth)
    assert (start < 20).all()
    assert (achieved > RECOVERY_DB).all(), achieved


def test_wrong_direction_cannot_pass(fake_manager):
    """The threshold is meaningful: gradient ascent on the same objective stays far below it."""
    generator, forward, truth, observation = _problem("test-blur:sigma=1")
    loss = invgen.loss("test-sse")
    loss.weight = -1.0
    objective = Objective(generator, forward, [loss], [], observation)
    result = solve_map(objective, MAPSettings(steps=100, lr=0.1))
    assert (psnr(generator(result.latent), truth) < RECOVERY_DB).all()


def test_deterministic_and_batched(fake_manager):
    generator, forward, truth, observation = _problem("test-blur:sigma=1", batch=2)
    settings = MAPSettings(steps=30, lr=0.1, init_noise=0.5, seed=7)
    terms = [invgen.loss("test-sse")], [invgen.prior("test-norm:weight=0.01")]
    first = solve_map(Objective(generator, forward, *terms, observation), settings)
    again = solve_map(Objective(generator, forward, *terms, observation), settings)
    assert torch.equal(first.latent, again.latent)
    alone = solve_map(Objective(generator, forward, *terms, observation[:1]), settings)
    assert torch.allclose(alone.latent[0], first.latent[0], atol=1e-4)


def test_history_best_and_callback(fake_manager):
    generator, forward, truth, observation = _problem("test-blur:sigma=1", batch=2)
    seen = []
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [invgen.prior("test-norm:weight=0.01")],
                          observation)
    result = solve_map(objective, MAPSettings(steps=20, lr=0.1), callback=seen.append)
    assert [p.step for p in seen] == list(range(1, 21))
    assert set(result.history) == {"total", "test-sse", "test-norm"}
    assert len(result.history["total"]) == 20
    assert result.objective.shape == (2,)
    assert result.objective.mean().item() <= min(result.history["total"]) + 1e-6


def test_tied_layers_share_one_w(fake_manager):
    generator, forward, truth, observation = _problem("test-blur:sigma=1", batch=1)
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], observation)
    result = solve_map(objective, MAPSettings(steps=10, tie_layers=True))
    assert torch.allclose(result.latent, result.latent[:, :1].expand_as(result.latent))


def test_non_finite_term_is_named(fake_manager):
    generator, forward, truth, observation = _problem("test-blur:sigma=1", batch=1)
    observation = observation.clone()
    observation[0, 0, 0, 0] = float("inf")
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], observation)
    with pytest.raises(NonFiniteObjective, match="objective term 'test-sse' is inf at the start, before any step: check"):
        solve_map(objective, MAPSettings(steps=5))


def test_interrupt_returns_best_so_far(fake_manager):
    generator, forward, truth, observation = _problem("test-blur:sigma=1", batch=1)
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], observation)

    def stop_at_five(progress):
        if progress.step == 5:
            raise KeyboardInterrupt

    result = solve_map(objective, MAPSettings(steps=50), callback=stop_at_five)
    assert result.interrupted and result.steps_run == 5


def test_bf16_steps_recover_as_well_and_report_float32(fake_manager):
    """bfloat16 autocast changes the speed, not the answer: same threshold, float32 results."""
    generator, forward, truth, observation = _problem("test-blur:sigma=1")
    objective = Objective(generator, forward, [invgen.loss("test-sse")], [], observation)
    evaluation = objective.evaluate(generator.initial_latent(3), precision="bf16")
    assert all(value.dtype == torch.float32 for value in evaluation.terms.values())
    assert evaluation.image.dtype == torch.float32
    result = solve_map(objective, MAPSettings(steps=400, lr=0.1, precision="bf16"))
    assert result.image.dtype == torch.float32
    assert (psnr(result.image, truth) > RECOVERY_DB).all()


@pytest.mark.parametrize("bad", [dict(steps=0), dict(lr=0.0), dict(schedule="step"), dict(warmup=-1),
                                 dict(precision="fp16")])
def test_settings_are_checked(bad):
    with pytest.raises(ValueError):
        MAPSettings(**bad)


def test_schedule():
    settings = MAPSettings(steps=100, lr=1.0, warmup=10)
    assert settings.lr_at(0) == pytest.approx(0.1)
    assert settings.lr_at(50) == pytest.approx(0.5)
    assert MAPSettings(steps=10, lr=0.3, schedule="constant").lr_at(9) == 0.3


def test_a_term_that_diverges_later_points_at_the_learning_rate():
    from invgen.solvers.map import check_finite

    check_finite({"fine": torch.ones(2)}, 0)
    with pytest.raises(NonFiniteObjective, match=r"term 'x' became nan at step 4; lower the learning rate \(--lr\)"):
        check_finite({"fine": torch.ones(2), "x": torch.tensor([1.0, float("nan")])}, 3)
