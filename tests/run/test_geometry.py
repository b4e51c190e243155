"""--fit pad: a non-square input centred in the square the problem takes (numpy's padding as the oracle), its
padding unknown to the likelihood, and removed again on the way out."""

import numpy as np
import pytest
import torch

from invgen.errors import InputError, UsageError
from invgen.run.geometry import Geometry, known_pixels, restored, unpadded


def test_padding_centres_the_input_as_numpy_pads_it():
    image = torch.rand(1, 1, 12, 16) * 2 - 1
    for fit, mode in (("pad", "reflect"), ("pad-zero", "constant")):
        padded, record = Geometry(fit=fit).fit_to(image, (16, 16), "wide.png")
        assert record["pad"] == [2, 2, 0, 0] and record["size"] == [16, 16] and record["fit"] == fit
        expected = np.pad(image[0, 0].numpy(), ((2, 2), (0, 0)), mode=mode)
        np.testing.assert_array_equal(padded[0, 0].numpy(), expected)
    odd, record = Geometry(fit="pad").fit_to(torch.zeros(1, 3, 5, 16), (16, 16), "odd.png")
    assert record["pad"] == [5, 6, 0, 0] and odd.shape == (1, 3, 16, 16)  # the odd pixel at the bottom
    thin, record = Geometry(fit="pad").fit_to(torch.rand(1, 1, 2, 16), (16, 16), "thin.png")
    assert record["pad"] == [7, 7, 0, 0]  # more than reflection can give: the edge is extended
    np.testing.assert_array_equal(thin[0, 0].numpy(), np.pad(thin[0, 0, 7:9].numpy(), ((7, 7), (0, 0)), mode="edge"))


def test_resize_keeps_the_aspect_before_padding_and_too_large_inputs_are_refused():
    image = torch.rand(1, 1, 30, 40) * 2 - 1
    padded, record = Geometry(resize=True, fit="pad").fit_to(image, (8, 8), "big.png")
    assert record["resized_from"] == [30, 40] and record["pad"] == [1, 1, 0, 0] and padded.shape[-2:] == (8, 8)
    with pytest.raises(InputError, match=r"big\.png: 40x30 pixels do not fit in the 8x8 .* add --resize"):
        Geometry(fit="pad").fit_to(image, (8, 8), "big.png")
    with pytest.raises(UsageError, match="--fit 'crop': choose pad"):
        Geometry(fit="crop")


def test_known_pixels_at_the_observations_size():
    record = {"pad": [4, 4, 0, 0], "size": [32, 32]}
    same = known_pixels(record, (32, 32))
    assert same[0, 0, :4].sum() == 0 and same[0, 0, 4:28].min() == 1 and same[0, 0, 28:].sum() == 0
    coarse = known_pixels({"pad": [2, 2, 0, 0], "size": [32, 32]}, (8, 8))  # x4: a row that sees padding is unknown
    assert coarse[0, 0, :, 0].tolist() == [0, 1, 1, 1, 1, 1, 1, 0]
    assert known_pixels({"pad": None, "size": [8, 8]}, (8, 8)) is None


def test_the_padding_is_removed_again_at_the_inputs_size():
    image = torch.rand(1, 1, 12, 16) * 2 - 1
    padded, record = Geometry(fit="pad").fit_to(image, (16, 16), "wide.png")
    torch.testing.assert_close(unpadded(padded, record), image, rtol=0, atol=0)
    torch.testing.assert_close(restored(padded, record, (16, 16)), image, rtol=0, atol=0)
    larger = restored(torch.nn.functional.interpolate(padded, scale_factor=4), record, (16, 16))
    assert larger.shape[-2:] == (48, 64)  # x4 super-resolution: the input's size at the reconstruction's pitch
