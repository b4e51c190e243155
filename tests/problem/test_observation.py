"""The one path from an input to a checked observation: chains built once, observations read or simulated and
checked with one set of messages, whoever calls (the API, invgen run, the domain check)."""

import pytest
import torch
import torch.nn.functional as F

import invgen
from invgen.errors import InputError, SpecError
from invgen.problem.build import build_setup
from invgen.problem.chain import Chain
from invgen.problem.observation import Observation, build_chain, check_forward, observe


def test_a_built_chain_passes_through_and_specs_build_one(fake_manager):
    built = build_chain(["test-blur:sigma=2", "test-noise:std=0.2"])
    assert isinstance(built, Chain) and [p.spec for p in built.parts] == ["test-blur:sigma=2", "test-noise:std=0.2"]
    assert build_chain(built) is built
    assert build_chain(("test-blur:sigma=2",)).parts[0].spec == "test-blur:sigma=2"


def test_simulating_blurs_the_clean_image_and_keeps_it_as_the_truth(fake_manager):
    generator = invgen.generator("toy:size=16")
    model = build_chain("test-blur:sigma=1")
    clean = torch.rand(2, 1, 16, 16) * 2 - 1
    observed = observe(clean, generator, model, simulate=True)
    taps = torch.exp(-torch.arange(-3, 4.0) ** 2 / 2)
    taps = (taps / taps.sum())
    expected = F.conv2d(F.pad(clean, (3, 3, 3, 3), mode="reflect"), (taps[:, None] * taps[None, :])[None, None])
    assert isinstance(observed, Observation) and torch.equal(observed.ground_truth, clean)
    torch.testing.assert_close(observed.values, expected)


def test_the_same_checks_hold_for_every_caller(fake_manager):
    generator = invgen.generator("toy:size=16")
    model = build_chain("test-down")
    with pytest.raises(InputError, match=r"the observation is 1x16x16 but 'toy' \(1x16x16\) through "
                                         r"'test-down' gives 1x8x8"):
        observe(torch.zeros(1, 1, 16, 16), generator, model)
    with pytest.raises(InputError, match=r"in.png: the clean image for --simulate is 1x8x8 but 'toy' "
                                         r"makes 1x16x16 images"):
        observe(torch.zeros(1, 1, 8, 8), generator, model, simulate=True, what="in.png")
    with pytest.raises(InputError, match="ground_truth holds 2 images for 1 observations"):
        observe(torch.zeros(1, 1, 8, 8), generator, model, ground_truth=torch.zeros(2, 1, 16, 16))
    with pytest.raises(InputError, match="looks like 0..255 pixels"):
        observe(torch.zeros(1, 1, 8, 8, dtype=torch.uint8), generator, model)


def test_a_chain_that_hides_every_pixel_is_refused_before_any_compute(fake_manager, tmp_path):
    from invgen.io.images import save_image

    save_image(tmp_path / "black.png", -torch.ones(1, 16, 16))
    with pytest.raises(SpecError, match="hides every pixel"):
        check_forward(build_chain(f"test-maskfile:path={tmp_path / 'black.png'}"), invgen.generator("toy:size=16"))


def test_setup_problem_reuses_the_chain_and_observation_it_is_given(fake_manager):
    setup = build_setup("toy:size=16", losses=["test-sse"])
    model = build_chain("test-blur:sigma=1")
    observed = observe(torch.zeros(3, 1, 16, 16), setup.generator, model)
    problem = setup.problem(observed, model)
    assert problem.forward is model and torch.equal(problem.observation, observed.values)
    assert problem.ground_truth is None and problem.device == torch.device("cpu")
