"""Several receive coils: the operator against numpy.fft, its adjoint, birdcage maps and the SENSE operator
against sigpy (an independent implementation), 2-D masks' statistics against sigpy's Poisson disc, and the
SENSE baseline against numpy's least squares."""

import numpy as np
import pytest
import torch

import invgen
from invgen.testing.contracts import ForwardModelContract
from invgen_mri.baselines import sense
from invgen_mri.coils import birdcage
from invgen_mri.masks2d import poisson_disc, variable_density

sigpy_mri = pytest.importorskip("sigpy.mri", reason="the multi-coil oracles need sigpy (the plugin's test extra)")


class TestMultiCoilContract(ForwardModelContract):
    spec = "kspace:coils=4,R=2,center=0.1"
    bad_specs = ("kspace:coils=0", "kspace:coils=4,maps=file", "kspace:maps_file=no-such.npy",
                 "kspace:sampling=spiral", "kspace:coils=4,sampling=poisson,R=2,center=0.9")


class TestPoissonContract(ForwardModelContract):
    spec = "kspace:coils=2,R=3,center=0.1,sampling=poisson,noise=0.01"


def test_each_coil_is_numpys_fft_of_the_image_seen_through_its_map():
    rng = np.random.default_rng(0)
    image = rng.standard_normal((24, 24))
    model = invgen.forward_model("kspace:coils=3,R=2,center=0.1,seed=2")
    y = model(torch.from_numpy(image)[None, None])[0].numpy()
    maps = birdcage(3, 24, 24).numpy()
    mask = model.mask((1, 24, 24))[0, 0].numpy()
    assert y.shape == (6, 24, 24)
    for coil in range(3):
        expected = np.fft.fftshift(np.fft.fft2(maps[coil] * image, norm="ortho")) * mask
        np.testing.assert_allclose(y[2 * coil], expected.real, atol=1e-12)
        np.testing.assert_allclose(y[2 * coil + 1], expected.imag, atol=1e-12)


def test_the_adjoint_is_the_adjoint_and_full_sampling_inverts():
    model = invgen.forward_model("kspace:coils=5,R=3,center=0.1,sampling=variable-density")
    rng = torch.Generator().manual_seed(1)
    x = torch.randn(2, 1, 20, 20, generator=rng, dtype=torch.float64)
    y = torch.randn(2, 10, 20, 20, generator=rng, dtype=torch.float64)
    assert (model(x) * y).sum().item() == pytest.approx((x * model.adjoint(y)).sum().item(), rel=1e-10)
    full = invgen.forward_model("kspace:coils=5,R=1,center=0")
    torch.testing.assert_close(full.adjoint(full(x)), x, rtol=0, atol=1e-12)  # sum |S_c|^2 = 1: exact


def test_birdcage_maps_are_sigpys_normalised():
    ours = birdcage(8, 32, 40).numpy()
    theirs = sigpy_mri.birdcage_maps((8, 32, 40))
    theirs = theirs / np.sqrt((np.abs(theirs) ** 2).sum(0))
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


def test_the_normal_operator_is_sigpys_sense():
    """sigpy centres its FFT on the image too (a sign per k-space sample for even sizes), so the coil data agree
    in magnitude and the normal operators A^H A agree exactly."""
    model = invgen.forward_model("kspace:coils=4,R=2,center=0.1,seed=5")
    maps = birdcage(4, 16, 16).numpy()
    mask = model.mask((1, 16, 16))[0, 0].numpy()
    linop = sigpy_mri.linop.Sense(maps, weights=mask)
    x = np.random.default_rng(3).standard_normal((16, 16))
    theirs = linop * x.astype(np.complex128)
    ours = torch.view_as_complex(model(torch.from_numpy(x)[None, None])[0].view(4, 2, 16, 16)
                                 .permute(0, 2, 3, 1).contiguous()).numpy()
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), atol=1e-12)
    normal = (linop.H * linop * x.astype(np.complex128)).real
    np.testing.assert_allclose(model.adjoint(model(torch.from_numpy(x)[None, None]))[0, 0].numpy(), normal,
                               atol=1e-12)


def test_2d_masks_take_their_share_and_keep_the_centre():
    for make in (variable_density, poisson_disc):
        mask = make(48, 48, 4.0, 0.1, seed=7).numpy()
        assert abs(mask.sum() - 48 * 48 / 4) <= 0.02 * 48 * 48 / 4, make.__name__
        assert mask[22:27, 22:27].all()  # the fully sampled centre (0.1 of each side: 5 x 5)
        assert np.array_equal(mask, make(48, 48, 4.0, 0.1, seed=7).numpy())  # seeded
        assert not np.array_equal(mask, make(48, 48, 4.0, 0.1, seed=8).numpy())
    with pytest.raises(ValueError, match="lower center or R"):
        variable_density(16, 16, 8.0, 0.9)


def density_profile(mask):
    rows, columns = np.indices(mask.shape)
    radius = np.hypot(rows - mask.shape[0] // 2, columns - mask.shape[1] // 2) / (mask.shape[0] / 2)
    return [mask[(radius >= low) & (radius < low + 0.25)].mean() for low in (0.25, 0.5, 0.75)]


def nearest_neighbour(mask):
    points = np.argwhere(mask)
    distance = np.hypot(*(points[:, None] - points[None, :]).transpose(2, 0, 1))
    np.fill_diagonal(distance, np.inf)
    return distance.min(1)


def test_poisson_disc_statistics_are_like_sigpys():
    ours = poisson_disc(64, 64, 4.0, 0.08, seed=0).numpy()
    theirs = sigpy_mri.poisson((64, 64), 4.0, calib=(5, 5), seed=0, crop_corner=False) != 0
    for mask in (ours, theirs):
        profile = density_profile(mask)
        assert profile[0] > profile[1] > profile[2]  # variable density: fewer samples further out
    assert abs(ours.sum() - theirs.sum()) < 0.05 * theirs.sum()
    outside = np.ones((64, 64), bool)
    outside[27:37, 27:37] = False  # the fully sampled centres pack samples at distance 1 in both
    ours_spacing, theirs_spacing = nearest_neighbour(ours & outside), nearest_neighbour(theirs & outside)
    # both are discs (no clumps); ours varies its radius less than sigpy's: median spacing 2.0 vs 1.41 measured
    assert ours_spacing.min() >= theirs_spacing.min()
    assert np.median(theirs_spacing) <= np.median(ours_spacing) <= 1.6 * np.median(theirs_spacing)


def test_sense_is_numpys_least_squares():
    model = invgen.forward_model("kspace:coils=3,R=2,center=0.25,seed=1")
    x = torch.from_numpy(np.random.default_rng(4).uniform(-0.9, 0.9, (1, 1, 8, 8)))
    noisy = model(x) + 0.01 * torch.randn(1, 6, 8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    columns = [model(torch.eye(64, dtype=torch.float64)[i].view(1, 1, 8, 8)).flatten() for i in range(64)]
    matrix = torch.stack(columns, 1).numpy()  # the operator as a dense real matrix
    keep = (model.mask((1, 8, 8)).expand(1, 6, 8, 8).flatten() != 0).numpy()
    expected = np.linalg.lstsq(matrix[keep], noisy.flatten().numpy()[keep], rcond=None)[0].reshape(8, 8)
    np.testing.assert_allclose(sense(noisy, model, (1, 8, 8))[0, 0].numpy(), np.clip(expected, -1, 1), atol=1e-4)


def test_the_pseudo_inverse_is_numpys_least_norm_solution_where_the_data_say_little():
    """One coil at R=4 on real images: rank deficient; A⁺y must be numpy's pinv(A) y, the least-norm answer."""
    model = invgen.forward_model("kspace:R=4,center=0.1,seed=2")
    y = model(torch.from_numpy(np.random.default_rng(5).uniform(-1, 1, (1, 1, 8, 8))))
    columns = [model(torch.eye(64, dtype=torch.float64)[i].view(1, 1, 8, 8)).flatten() for i in range(64)]
    matrix = torch.stack(columns, 1).numpy()
    assert np.linalg.matrix_rank(matrix) < 64
    expected = (np.linalg.pinv(matrix) @ y.flatten().numpy()).reshape(8, 8)
    found = model.pseudo_inverse(y, (1, 8, 8))
    np.testing.assert_allclose(found[0, 0].numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(model(found).numpy(), y.numpy(), atol=1e-5)  # A A⁺ y = y for consistent data


def test_noisy_sense_stops_where_the_residual_reaches_the_noise():
    model = invgen.forward_model("kspace:coils=8,R=4,noise=0.05")
    x = torch.from_numpy(np.random.default_rng(6).uniform(-1, 1, (2, 1, 16, 16)))
    y = model.simulate(x, 0).double()
    floor = 0.05**2 * model.acquired_values(y)
    assert floor == pytest.approx(0.05**2 * float((model(torch.ones_like(x)) != 0).sum(dim=(1, 2, 3))[0]))
    stopped = model.least_squares(y, noise=0.05)
    residual = ((model(stopped) - y) ** 2).flatten(1).sum(1)
    assert (residual <= floor).all() and (residual >= 0.5 * floor).all()  # stopped near the noise, not far below
    unstopped = ((model(model.least_squares(y)) - y) ** 2).flatten(1).sum(1)
    assert (unstopped < 0.85 * floor).all()  # the full solve fits into the noise: (m - n) / m = 0.75 of it expected
