"""Masks: shapes, fractions, orientation of mask files, determinism, chains."""

import numpy as np
import pytest
import torch
from PIL import Image
from skimage import data

import invgen


def test_box_mask_in_fractions_and_pixels():
    by_fraction = invgen.forward_model("mask:box=[0.25,0.5,0.75,1]").mask((1, 8, 8))[0, 0]
    by_pixels = invgen.forward_model("mask:box=[2,4,6,8]").mask((1, 8, 8))[0, 0]
    assert torch.equal(by_fraction, by_pixels)
    assert by_pixels[4:, 2:6].sum() == 0 and by_pixels.sum() == 64 - 16


def test_center_mask_covers_the_fraction():
    mask = invgen.forward_model("center-mask:fraction=0.4").mask((1, 32, 32))[0, 0]
    unknown = 1 - mask.mean().item()
    assert abs(unknown - 0.4) < 0.03
    assert mask[16, 16] == 0 and mask[0, 0] == 1


@pytest.mark.parametrize("kind", ["boxes", "strokes", "pixels"])
def test_random_masks_reach_the_fraction_and_are_seeded(kind):
    first = invgen.forward_model(f"random-mask:kind={kind},fraction=0.3,seed=5").mask((1, 64, 64))
    again = invgen.forward_model(f"random-mask:kind={kind},fraction=0.3,seed=5").mask((1, 64, 64))
    other = invgen.forward_model(f"random-mask:kind={kind},fraction=0.3,seed=6").mask((1, 64, 64))
    assert torch.equal(first, again) and not torch.equal(first, other)
    unknown = 1 - first.mean().item()
    assert 0.3 <= unknown < 0.6


def test_mask_file_keeps_orientation(tmp_path):
    """An asymmetric mask (unknown only in the top-right corner) stays where it was drawn."""
    array = np.full((16, 24), 255, np.uint8)
    array[:4, 18:] = 0
    Image.fromarray(array).save(tmp_path / "m.png")
    mask = invgen.forward_model(f"mask:path={tmp_path / 'm.png'}").mask((3, 16, 24))[0, 0]
    assert mask[:4, 18:].sum() == 0 and mask.sum() == 16 * 24 - 4 * 6
    assert mask[0, 0] == 1 and mask[15, 23] == 1
    np.save(tmp_path / "m.npy", array > 0)
    assert torch.equal(invgen.forward_model(f"mask:path={tmp_path / 'm.npy'}").mask((1, 16, 24))[0, 0], mask)


def test_mask_file_size_mismatch_and_resize(tmp_path):
    Image.fromarray(np.full((8, 8), 255, np.uint8)).save(tmp_path / "m.png")
    model = invgen.forward_model(f"mask:path={tmp_path / 'm.png'}")
    with pytest.raises(ValueError, match="is 8x8 but the image is 16x16; pass resize=true"):
        model.output_shape((1, 16, 16))
    resized = invgen.forward_model(f"mask:path={tmp_path / 'm.png'},resize=true").mask((1, 16, 16))
    assert resized.shape == (1, 1, 16, 16)


def test_missing_mask_file_is_one_line():
    with pytest.raises(invgen.InputError, match="no-such.png: no such file"):
        invgen.forward_model("mask:path=no-such.png")


def test_masked_pixels_are_zero_on_a_real_photo():
    image = torch.from_numpy(data.camera()[::8, ::8].astype(np.float32) / 127.5 - 1)[None, None]
    model = invgen.forward_model("center-mask:fraction=0.5")
    observed = model.simulate(image)
    mask = model.mask(tuple(image.shape[1:]))
    assert (observed * (1 - mask)).abs().max() == 0
    assert torch.equal(observed * mask, image * mask)


def test_chain_blur_downsample_noise_on_a_photo():
    image = torch.from_numpy(data.camera()[::4, ::4].astype(np.float32) / 127.5 - 1)[None, None]
    chain = invgen.forward_model(["blur:sigma=1.5", "downsample:factor=4", "noise:std=0.02"])
    assert chain.output_shape((1, 128, 128)) == (1, 32, 32)
    assert chain.noise_std == 0.02 and chain.mask((1, 128, 128)) is None
    observed = chain.simulate(image, seed=1)
    clean = chain(image)
    assert abs((observed - clean).std().item() - 0.02) < 0.003


def test_chain_with_mask_then_downsample_carries_the_mask():
    chain = invgen.forward_model(["mask:box=[0,0,0.5,0.5]", "downsample:factor=2"])
    mask = chain.mask((1, 16, 16))[0, 0]
    assert mask.shape == (8, 8) and mask[:4, :4].sum() == 0 and mask[4:, 4:].min() == 1


def test_poisson_noise_level_matches_its_stated_std():
    grey = torch.zeros(1, 1, 128, 128)
    model = invgen.forward_model("poisson:peak=100")
    noisy = model.simulate(grey, seed=0)
    assert abs(noisy.std().item() - model.noise_std) < 0.01
