"""Consistency post-steps and the fit to the observation, against independent oracles (numpy's
pseudo-inverse, scikit-image's PSNR)."""

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

import invgen
from invgen.solvers.consistency import consistent, paste
from invgen.problem.metrics import fit_db
from invgen.errors import UsageError
from invgen.problem.chain import Chain, Identity


def test_the_fit_is_the_psnr_over_the_known_values():
    rng = np.random.default_rng(0)
    prediction, observation = rng.uniform(-1, 1, (2, 1, 1, 8, 8))
    mask = np.ones((1, 1, 8, 8))
    mask[..., :3, :] = 0
    known = mask[0, 0] > 0
    expected = peak_signal_noise_ratio(observation[0, 0][known], prediction[0, 0][known], data_range=2)
    found = fit_db(torch.tensor(prediction), torch.tensor(observation), torch.tensor(mask))
    assert found[0] == pytest.approx(expected, abs=1e-9)
    assert fit_db(torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2)) == [float("inf")]


def test_paste_keeps_known_pixels_exactly_and_leaves_far_unknown_ones_alone():
    image = torch.rand(1, 1, 32, 32) * 2 - 1
    observation = torch.rand(1, 1, 32, 32) * 2 - 1
    mask = torch.ones(1, 1, 32, 32)
    mask[..., 8:24, 8:24] = 0
    pasted = paste(image, observation, mask)
    known = mask.bool().expand_as(image)
    assert torch.equal(pasted[known], observation[known])
    assert torch.equal(pasted[..., 15:17, 15:17], image[..., 15:17, 15:17])  # 7 px from the seam: untouched
    assert not torch.equal(pasted[..., 8, 12], image[..., 8, 12])  # next to it: moved toward the observation


def test_a_chain_of_identities_projects_onto_the_observation():
    chain = Chain([Identity(), Identity()])
    image, observation = torch.zeros(1, 1, 4, 4), torch.rand(1, 1, 4, 4)
    assert torch.equal(consistent(image, observation, chain, "project"), observation)


def test_operators_without_a_pseudo_inverse_or_a_mask_are_refused(fake_manager):
    image = torch.zeros(1, 1, 8, 8)
    with pytest.raises(UsageError, match=r"--consistency project needs a cheap pseudo-inverse and 'test-blur' has none"):
        consistent(image, image, Chain([invgen.forward_model("test-blur:sigma=1")]), "project")
    with pytest.raises(UsageError, match=r"--consistency paste needs a mask"):
        consistent(image, image[..., :4, :4], Chain([invgen.forward_model("test-down")]), "paste")
    with pytest.raises(UsageError, match=r"unknown --consistency 'snap' \(choose none, paste, project\)"):
        consistent(image, image, Chain([Identity()]), "snap")


def test_solve_keeps_the_raw_output_and_scores_the_consistent_one(fake_manager):
    generator = invgen.generator("toy:size=16,layers=2")
    truth = generator(generator.map(torch.randn(1, 8, generator=torch.Generator().manual_seed(2))))
    problem = invgen.build_problem(truth, generator, "test-topmask", losses=["test-sse"], simulate=True)
    result = invgen.solve(problem, invgen.MAPSettings(steps=5, lr=0.05), consistency="paste")
    known = problem.forward.mask((1, 16, 16)).cpu().bool().expand_as(result.image)
    assert torch.equal(result.image[known], result.observation[known]) and result.raw_image is not None
    assert not torch.equal(result.raw_image, result.image) and result.config["consistency"] == "paste"
    assert result.metrics["psnr"][0] == pytest.approx(
        peak_signal_noise_ratio(truth[0, 0].numpy(), result.image[0, 0].numpy(), data_range=2), abs=1e-3)
    with pytest.raises(UsageError, match="needs a cheap pseudo-inverse"):  # refused before the solve
        invgen.solve(problem, invgen.MAPSettings(steps=10_000), consistency="project")
