"""Magnitude images (``image=magnitude``: the coils see (x + 1) / 2, as acquired MRI is scaled): the operator,
the root-sum-of-squares baseline against numpy.fft, and SENSE and the pseudo-inverse against numpy's least
squares."""

import numpy as np
import pytest
import torch

import invgen
from invgen_mri.baselines import rss, sense, zero_filled


def digit_like(seed: int, size: int = 8) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).uniform(-1, 1, (1, 1, size, size)))


def test_the_coils_see_the_magnitude():
    magnitude = invgen.forward_model("kspace:coils=3,R=2,image=magnitude")
    signed = invgen.forward_model("kspace:coils=3,R=2")
    x = digit_like(0)
    torch.testing.assert_close(magnitude(x), signed((x + 1) / 2), rtol=0, atol=1e-12)


def test_rss_is_numpys_root_sum_of_squares_and_exact_for_full_sampling():
    model = invgen.forward_model("kspace:coils=4,R=1,center=1,image=magnitude")
    x = digit_like(1, 16)
    y = model(x)
    pairs = y[0].numpy().reshape(4, 2, 16, 16)
    k = pairs[:, 0] + 1j * pairs[:, 1]
    images = np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho")
    expected = np.sqrt((np.abs(images) ** 2).sum(0)) * 2 - 1
    found = rss(y, model, (1, 16, 16))[0, 0].numpy()
    np.testing.assert_allclose(found, np.clip(expected, -1, 1), atol=1e-6)
    np.testing.assert_allclose(found, x[0, 0].numpy(), atol=1e-6)  # birdcage maps: sum |S_c|^2 = 1
    np.testing.assert_allclose(zero_filled(y, model, (1, 16, 16))[0, 0].numpy(), x[0, 0].numpy(), atol=1e-6)


def test_rss_applies_only_to_magnitude_images_through_several_coils():
    from invgen_mri.baselines import applies_rss

    assert applies_rss(invgen.forward_model("kspace:coils=4,image=magnitude"), (1, 8, 8))
    assert not applies_rss(invgen.forward_model("kspace:coils=4"), (1, 8, 8))
    assert not applies_rss(invgen.forward_model("kspace:image=magnitude"), (1, 8, 8))


def test_sense_and_the_pseudo_inverse_solve_for_the_magnitude():
    model = invgen.forward_model("kspace:coils=3,R=2,center=0.25,seed=1,image=magnitude")
    x = digit_like(2) * 0.9
    noisy = model(x) + 0.01 * torch.randn(1, 6, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    columns = [model.linear(torch.eye(64, dtype=torch.float64)[i].view(1, 1, 8, 8)).flatten() for i in range(64)]
    matrix = torch.stack(columns, 1).numpy()
    signal = np.linalg.lstsq(matrix, noisy.flatten().numpy(), rcond=None)[0].reshape(8, 8)
    np.testing.assert_allclose(sense(noisy, model, (1, 8, 8))[0, 0].numpy(), np.clip(2 * signal - 1, -1, 1), atol=1e-4)
    residual = noisy - model(x)
    correction = model.pseudo_inverse(residual, (1, 8, 8))
    expected = 2 * (np.linalg.pinv(matrix) @ residual.flatten().numpy()).reshape(8, 8)
    np.testing.assert_allclose(correction[0, 0].numpy(), expected, atol=1e-5)


def test_an_unknown_image_kind_is_refused():
    with pytest.raises(invgen.SpecError, match=r"image=phase is invalid \(expected one of signed\|magnitude\)"):
        invgen.forward_model("kspace:image=phase")
