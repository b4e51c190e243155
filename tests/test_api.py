"""The Python API: the one solve seam under ``invgen.reconstruct`` and ``invgen.sample_posterior``, and the
public surface ``invgen.__all__`` (the README's example runs in ``tests/system/test_readme.py``)."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

import invgen
from invgen.errors import InputError, SpecError, UsageError
from invgen.problem.metrics import psnr

@pytest.fixture
def toy_problem(fake_manager, test_device):
    generator = invgen.generator("toy:size=16,layers=2")
    clean = generator(generator.map(torch.randn(2, generator.z_dim, generator=torch.Generator().manual_seed(3))))
    return clean, invgen.build_problem(clean, generator, "test-blur:sigma=1", losses=["test-sse"], simulate=True,
                                       device=test_device)


def test_solve_is_what_reconstruct_runs(toy_problem):
    clean, problem = toy_problem
    settings = invgen.MAPSettings(steps=30, lr=0.1)
    direct = invgen.solve(problem, settings)
    wrapped = invgen.reconstruct(problem.observation, problem.generator, "test-blur:sigma=1", losses=["test-sse"],
                                 steps=30, lr=0.1, ground_truth=clean, device=problem.device)
    assert direct.image.device.type == "cpu" and direct.config["device"] == str(problem.device)
    assert isinstance(direct, invgen.Reconstruction) and torch.equal(direct.image, wrapped.image)
    assert direct.metrics == wrapped.metrics and direct.metrics["psnr"] == psnr(direct.image, clean).tolist()
    assert direct.config["solver"]["method"] == "map" and direct.config["losses"] == ["test-sse"]
    assert direct.latent.shape == (2, 2, 8) and direct.objective.shape == (2,)


def test_solve_with_vi_settings_gives_the_posterior(toy_problem):
    _, problem = toy_problem
    posterior = invgen.solve(problem, invgen.VISettings(steps=5, map_steps=5, samples=3))
    assert isinstance(posterior, invgen.Posterior)
    assert posterior.samples.shape == (2, 3, 1, 16, 16) and posterior.sample_predictions.shape == (2, 3, 1, 16, 16)
    assert posterior.config["solver"]["samples"] == 3 and "psnr" in posterior.metrics
    again = invgen.sample_posterior(problem.observation, problem.generator, "test-blur:sigma=1", losses=["test-sse"],
                                    settings=invgen.VISettings(steps=5, map_steps=5), samples=3,
                                    device=problem.device)
    assert torch.equal(again.image, posterior.image)


def test_solve_refuses_what_it_cannot_run(toy_problem):
    _, problem = toy_problem
    with pytest.raises(UsageError, match="MAPSettings or VISettings"):
        invgen.solve(problem, {"steps": 3})
    with pytest.raises(UsageError, match="init is for MAP"):
        invgen.solve(problem, invgen.VISettings(), init=torch.zeros(2, 2, 8))
    with pytest.raises(SpecError, match="samples must be >= 1"):
        replace(invgen.VISettings(), samples=0)


def test_terms_merge_a_preset_with_explicit_terms(fake_manager):
    terms = invgen.select_terms("test-preset", priors=["test-norm:weight=0.5"])
    assert terms == invgen.Terms(("test-sse",), ("test-norm:weight=0.5",), False, "test-preset")
    assert invgen.select_terms(None, ["test-sse"]) == invgen.Terms(("test-sse",))


def test_the_default_objective_is_the_preset_a_plugin_declares(fake_manager):
    with pytest.raises(SpecError, match="no installed plugin provides a default map preset"):
        invgen.select_terms(None)
    fake_manager.registry.add_preset("fake-default", ["test-sse"], default_for=("map",), plugin="fakes")
    assert invgen.select_terms(None).preset == "fake-default"
    with pytest.raises(SpecError, match="default vi preset"):
        invgen.select_terms(None, method="vi")


def test_problems_are_checked_before_anything_is_solved(fake_manager):
    generator = invgen.generator("toy:size=16")
    observation = torch.zeros(1, 1, 16, 16)
    with pytest.raises(InputError, match="holds 2 images for 1 observations"):
        invgen.build_problem(observation, generator, losses=["test-sse"], ground_truth=torch.zeros(2, 1, 16, 16))
    with pytest.raises(InputError, match="ground_truth is 1x8x8 but 'toy' makes 1x16x16 images"):
        invgen.build_problem(observation, generator, losses=["test-sse"], ground_truth=torch.zeros(1, 1, 8, 8))
    with pytest.raises(InputError, match="through 'test-down' gives 1x8x8"):
        invgen.build_problem(observation, generator, "test-down", losses=["test-sse"])
    with pytest.raises(SpecError, match="unknown loss 'test-ss'"):
        invgen.build_problem(observation, "toy:size=16", losses=["test-ss"])
    with pytest.raises(UsageError, match="no CUDA GPU|unknown device"):
        invgen.build_problem(observation, generator, losses=["test-sse"], device="cuda" if not
                             torch.cuda.is_available() else "nonsense")


def test_a_forward_model_may_ask_for_the_default_objective(fake_manager):
    from invgen.problem.interfaces import ForwardModel

    class Data(ForwardModel):
        def forward(self, x):
            return x

        def default_preset(self, method):
            return "test-preset" if method == "map" else None

    fake_manager.registry.add_component("forward", "test-data", Data, summary="asks for test-preset", plugin="fakes")
    fake_manager.registry.add_preset("fake-default", ["test-sse:weight=2"], default_for=("map", "vi"), plugin="fakes")
    observation = torch.zeros(1, 1, 16, 16)
    assert invgen.build_problem(observation, "toy", ["test-blur", "test-data"]).terms.preset == "test-preset"
    assert invgen.build_problem(observation, "toy", ["test-data"], method="vi").terms.preset == "fake-default"
    assert invgen.build_problem(observation, "toy", "test-data", preset="fake-default").terms.preset == "fake-default"
    assert invgen.build_problem(observation, "toy", "test-data", losses=["test-sse"]).terms.preset is None


PUBLIC = ["Chain", "ForwardModel", "Generator", "InputError", "LatentStats", "Loss", "MAPSettings", "Param", "Posterior",
          "Prior", "Problem", "Progress", "Reconstruction", "RunOptions", "SpecError", "Terms", "UserError",
          "VISettings", "build_problem", "forward_model", "generator", "hookimpl", "loss", "prior", "reconstruct",
          "reconstruct_many", "sample_posterior", "select_terms", "solve", "__version__"]


def test_the_public_surface_is_what_is_documented_and_every_name_resolves():
    """``invgen.__all__`` changes only on purpose (a moved module must not move a public name), and each name
    is importable from ``invgen`` itself."""
    import importlib

    assert sorted(invgen.__all__) == sorted(PUBLIC)
    fresh = importlib.import_module("invgen")
    for name in PUBLIC:
        assert getattr(fresh, name) is not None, name
    assert callable(invgen.reconstruct) and callable(invgen.solve) and callable(invgen.build_problem)
    from invgen.io import load_image

    assert load_image is invgen.io.images.load_image
