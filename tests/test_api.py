"""The Python API: the one solve seam under ``invgen.reconstruct`` and ``invgen.sample_posterior``, and the
public surface ``invgen.__all__`` (the README's example runs in ``tests/system/test_readme.py``)."""

from __future__ import annotations

import torch

import invgen
from invgen.problem.metrics import psnr


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


PUBLIC = ["Chain", "ForwardModel", "Generator", "InputError", "LatentStats", "Loss", "MAPSettings", "MCMCSettings", "Param", "Posterior",
          "Prior", "Problem", "Progress", "Reconstruction", "RunOptions", "SavedResult", "SpecError", "Terms", "UserError",
          "VISettings", "build_problem", "forward_model", "generator", "hookimpl", "load_result", "loss", "prior", "reconstruct",
          "reconstruct_many", "render_results", "sample_posterior", "select_terms", "solve", "__version__"]


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
