"""The k-space operator against numpy.fft, its adjoint, the sampling masks' statistics, and the contract kit."""

import numpy as np
import pytest
import torch
from skimage import data
from skimage.transform import resize

import invgen
from invgen.testing.contracts import ForwardModelContract
from invgen_mri.kspace import as_channels, as_complex
from invgen_mri.sampling import line_mask


class TestKSpaceContract(ForwardModelContract):
    spec = "kspace:R=4,center=0.08"
    bad_specs = ("kspace:R=0.5", "kspace:center=1.5", "kspace:pattern=radial", "kspace:R=8,center=0.5",
                 "kspace:mask=no-such-file.npy", "kspace:noise=-1")


class TestKSpaceNoisyEquispaced(ForwardModelContract):
    spec = "kspace:R=2,center=0.1,pattern=equispaced,noise=0.05"


def camera(size: int = 64) -> np.ndarray:
    """scikit-image's camera photograph, [-1, 1], ``size`` x ``size``."""
    return resize(data.camera() / 255.0, (size, size), anti_aliasing=True) * 2 - 1


def test_the_operator_is_the_centred_orthonormal_fft_of_numpy_on_the_sampled_columns():
    image = camera()
    model = invgen.forward_model("kspace:R=4,center=0.08,seed=3")
    y = model(torch.from_numpy(image)[None, None])
    mask = model.mask((1, 64, 64))[0, 0].numpy()
    oracle = np.fft.fftshift(np.fft.fft2(image, norm="ortho")) * mask
    assert y.shape == (1, 2, 64, 64) and y.dtype == torch.float64
    assert np.allclose(y[0, 0].numpy(), oracle.real, atol=1e-10) and np.allclose(y[0, 1].numpy(), oracle.imag, atol=1e-10)
    # orthonormal: a fully sampled transform keeps the image's energy (Parseval)
    full = invgen.forward_model("kspace:R=1,center=0")(torch.from_numpy(image)[None, None])
    assert full.square().sum().item() == pytest.approx(float((image**2).sum()), rel=1e-10)


def test_channels_are_re_im_pairs_per_image_channel():
    x = torch.randn(2, 3, 16, 16, dtype=torch.float64)
    y = invgen.forward_model("kspace:R=1,center=0")(x)
    k = np.fft.fftshift(np.fft.fft2(x.numpy(), norm="ortho"), axes=(-2, -1))
    assert np.allclose(y[:, 2].numpy(), k[:, 1].real) and np.allclose(y[:, 5].numpy(), k[:, 2].imag)
    assert torch.allclose(as_channels(as_complex(y)), y)


def test_adjointness_on_reals():
    model = invgen.forward_model("kspace:R=3,center=0.1")
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(2, 1, 24, 24, generator=rng, dtype=torch.float64)
    y = torch.randn(2, 2, 24, 24, generator=rng, dtype=torch.float64)
    left = (model(x) * y).sum()
    right = (x * model.adjoint(y)).sum()
    assert left.item() == pytest.approx(right.item(), rel=1e-10)


@pytest.mark.parametrize(("width", "acceleration", "center"), [(32, 4, 0.08), (64, 8, 0.04), (100, 3, 0.2),
                                                                (31, 2.5, 0.0)])
@pytest.mark.parametrize("pattern", ["random", "equispaced"])
def test_masks_sample_exactly_what_was_asked(width, acceleration, center, pattern):
    lines = line_mask(width, acceleration, center, pattern, seed=5)
    assert int(lines.sum()) == max(1, round(width / acceleration))
    middle = round(width * center)
    first = width // 2 - middle // 2
    assert lines[first:first + middle].all()
    assert lines[width // 2] or middle == 0


def test_random_masks_follow_their_seed_and_equispaced_lines_are_even():
    assert torch.equal(line_mask(64, 4, 0.08, seed=1), line_mask(64, 4, 0.08, seed=1))
    assert not torch.equal(line_mask(64, 4, 0.08, seed=1), line_mask(64, 4, 0.08, seed=2))
    columns = torch.nonzero(line_mask(64, 4, 0.0, "equispaced")).flatten()
    assert set(columns.diff().tolist()) <= {4, 5}


def test_a_mask_file(tmp_path):
    lines = np.zeros(32)
    lines[[3, 16, 17, 30]] = 1
    np.save(tmp_path / "lines.npy", lines)
    model = invgen.forward_model(f"kspace:mask={tmp_path / 'lines.npy'}")
    assert torch.equal(model.mask((1, 32, 32))[0, 0, 5], torch.from_numpy(lines).float())
    with pytest.raises(invgen.SpecError, match="the images are 16x16"):
        invgen.build_problem(torch.zeros(1, 2, 16, 16), "toy", model, losses=["pixel"])
    np.save(tmp_path / "empty.npy", np.zeros(32))
    with pytest.raises(invgen.SpecError, match="samples nothing"):
        invgen.forward_model(f"kspace:mask={tmp_path / 'empty.npy'}")


def test_zero_filled_is_numpys_inverse_fft_and_fully_sampled_is_exact():
    from invgen.evaluation import baselines

    image = camera(32)
    chain = invgen.forward_model(["kspace:R=4,center=0.08"])
    y = chain(torch.from_numpy(image)[None, None])
    assert baselines.applicable(chain, (1, 32, 32)) == ["zero-filled"]
    restored = baselines.restore("zero-filled", y, chain, (1, 32, 32))
    oracle = np.fft.ifft2(np.fft.ifftshift(y[0, 0].numpy() + 1j * y[0, 1].numpy()), norm="ortho").real
    assert np.allclose(restored[0, 0].numpy(), np.clip(oracle, -1, 1), atol=1e-6)
    full = invgen.forward_model(["kspace:R=1,center=0"])
    again = baselines.restore("zero-filled", full(torch.from_numpy(image)[None, None]), full, (1, 32, 32))
    assert np.allclose(again[0, 0].numpy(), image, atol=1e-6)


def test_noise_is_complex_gaussian_on_the_acquired_samples_only():
    model = invgen.forward_model("kspace:R=2,center=0.1,noise=0.1")
    x = torch.zeros(1, 1, 64, 64)
    y = model.simulate(x, seed=0)
    mask = model.mask((1, 64, 64))
    acquired = y[:, :, mask[0, 0] > 0]
    assert acquired.std().item() == pytest.approx(0.1, rel=0.05)
    assert (y * (1 - mask)).abs().max() == 0 and model.noise_std == 0.1
