"""``build_problem``: every spec, shape and device checked before anything is solved, and the objective a
forward model or a plugin asks for when none is given."""

import pytest
import torch

import invgen
from invgen.errors import InputError, SpecError, UsageError


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
