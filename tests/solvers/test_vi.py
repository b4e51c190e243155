"""Variational inference against the closed-form answer of a linear-Gaussian model, and its edges."""

import pytest
import torch

import invgen
from invgen.problem.interfaces import Generator
from invgen.problem.objective import Objective
from invgen.solvers.vi import VISettings, solve_vi


class LinearGenerator(Generator):
    """G(w) = A w: with a Gaussian likelihood and prior the posterior over w is Gaussian, in closed form."""

    def __init__(self, size=4, layers=2, dim=3, seed=0):
        super().__init__()
        self.num_layers, self.latent_dim, self.z_dim, self.channels, self.resolution = layers, dim, dim, 1, size
        rng = torch.Generator().manual_seed(seed)
        self.register_buffer("A", torch.randn(size * size, layers * dim, generator=rng) / 2)

    def synthesize(self, w):
        return (w.flatten(1) @ self.A.t()).view(-1, 1, self.resolution, self.resolution)

    def map(self, z, truncation=1.0):
        return (truncation * z).unsqueeze(1).expand(-1, self.num_layers, -1)


def _linear_problem(fake_manager, sigma=0.5, masked=False):
    generator = LinearGenerator()
    forward = invgen.forward_model("test-topmask" if masked else "identity")
    w_true = torch.randn(1, 2, 3, generator=torch.Generator().manual_seed(1))
    observation = forward.simulate(generator(w_true))
    likelihood = invgen.loss(f"test-sse:weight={1 / (2 * sigma**2)}")
    prior = invgen.prior("test-norm:weight=0.5")
    return generator, forward, observation, Objective(generator, forward, [likelihood], [prior], observation)


def _exact_posterior(generator, forward, observation, sigma):
    mask = forward.mask(generator.image_shape)
    rows = generator.A if mask is None else generator.A[mask.flatten() > 0]
    y = observation.flatten() if mask is None else observation.flatten()[mask.flatten() > 0]
    precision = rows.t() @ rows / sigma**2 + torch.eye(rows.shape[1])
    mean = torch.linalg.solve(precision, rows.t() @ y / sigma**2)
    return mean, 1 / torch.diagonal(precision).sqrt(), torch.linalg.inv(precision)


@pytest.mark.parametrize("masked", [False, True])
def test_matches_the_closed_form_mean_field_optimum(fake_manager, masked):
    generator, forward, observation, objective = _linear_problem(fake_manager, masked=masked)
    settings = VISettings(steps=1500, lr=0.02, samples_per_step=16, warm_start=False, init_std=0.5)
    result = solve_vi(objective, settings, num_samples=4)
    mean, std, _ = _exact_posterior(generator, forward, observation, 0.5)
    assert torch.allclose(result.mean.flatten(), mean, atol=0.05), (result.mean.flatten(), mean)
    assert torch.allclose(result.std.flatten(), std, rtol=0.1), (result.std.flatten(), std)


@pytest.mark.parametrize("masked", [False, True])
def test_data_basis_recovers_the_whole_posterior_covariance(fake_manager, masked):
    """Diagonal in the data-aligned basis, q reaches the exact (correlated) posterior, not the mean-field one."""
    generator, forward, observation, objective = _linear_problem(fake_manager, masked=masked)
    settings = VISettings(steps=1500, lr=0.02, std_lr=0.02, samples_per_step=16, init_std=0.5, map_steps=300,
                          basis="data")
    result = solve_vi(objective, settings, num_samples=4)
    mean, mean_field_std, covariance = _exact_posterior(generator, forward, observation, 0.5)
    fitted = result.scale[0] @ result.scale[0].t()
    assert torch.allclose(result.mean.flatten(), mean, atol=0.05), (result.mean.flatten(), mean)
    assert torch.allclose(fitted, covariance, atol=0.03), (fitted, covariance)
    assert (result.std.flatten() > 1.2 * mean_field_std).any()  # wider than mean-field allows


def test_without_entropy_q_collapses(fake_manager):
    generator, forward, observation, objective = _linear_problem(fake_manager)
    _, exact_std, _ = _exact_posterior(generator, forward, observation, 0.5)
    settings = VISettings(steps=1000, lr=0.05, warm_start=False, init_std=0.5, entropy=False)
    without = solve_vi(objective, settings, num_samples=2)
    assert without.std.mean() < 0.3 * exact_std.mean()


def test_seeded_batched_and_shaped(fake_manager):
    generator = invgen.generator("toy:size=16,layers=2")
    forward = invgen.forward_model("test-topmask")
    clean = generator(generator.map(torch.randn(2, 8, generator=torch.Generator().manual_seed(0))))
    observation = forward.simulate(clean)
    terms = [invgen.loss("test-sse:weight=50")], [invgen.prior("test-norm:weight=0.5")]
    settings = VISettings(steps=20, map_steps=20)
    first = solve_vi(Objective(generator, forward, *terms, observation), settings, num_samples=5)
    again = solve_vi(Objective(generator, forward, *terms, observation), settings, num_samples=5)
    assert torch.equal(first.samples, again.samples)
    assert first.samples.shape == (2, 5, 1, 16, 16) and first.image_std.shape == (2, 1, 16, 16)
    assert (first.image_std >= 0).all() and first.map is not None
    assert len(first.history["elbo"]) == 20


def test_settings_are_checked():
    with pytest.raises(invgen.SpecError):
        VISettings(samples_per_step=0)
    with pytest.raises(invgen.SpecError):
        VISettings(init_std=0)
    with pytest.raises(invgen.SpecError, match="basis"):
        VISettings(basis="pca")
    with pytest.raises(invgen.SpecError, match="precision"):
        VISettings(precision="half")


def test_data_basis_refuses_huge_observations(fake_manager, monkeypatch):
    import invgen.solvers.basis as basis
    import invgen.solvers.map as map_solver

    monkeypatch.setattr(basis, "MAX_VALUES", 10)
    monkeypatch.setattr(map_solver, "solve_map", lambda *a, **k: pytest.fail("refused only after the warm start"))
    generator, forward, observation, objective = _linear_problem(fake_manager)
    with pytest.raises(basis.BasisTooCostly, match=r"has \d+ \(limit 10\); use basis=latent"):
        solve_vi(objective, VISettings(steps=2, map_steps=2, basis="data"))
