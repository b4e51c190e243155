"""Forward models against independent oracles (scipy, NumPy) on real photographs."""

import math

import numpy as np
import pytest
import torch
from scipy import ndimage
from skimage import data

import invgen

SCIPY_MODES = {"reflect": "mirror", "replicate": "nearest", "circular": "wrap", "zeros": "constant"}


def camera(size=128):
    """scikit-image's camera photograph, down-sized by block means, as [1, 1, H, W] in [-1, 1] (float64)."""
    image = data.camera().astype(np.float64) / 255.0
    step = image.shape[0] // size
    image = image[: size * step, : size * step].reshape(size, step, size, step).mean(axis=(1, 3))
    return torch.from_numpy(image)[None, None] * 2 - 1


@pytest.mark.parametrize("border", list(SCIPY_MODES))
@pytest.mark.parametrize("sigma", [0.8, 2.0, 3.3])
def test_gaussian_blur_matches_scipy(sigma, border):
    image = camera()
    ours = invgen.forward_model(f"blur:sigma={sigma},border={border}").double()(image)[0, 0].numpy()
    radius = math.ceil(3 * sigma)
    theirs = ndimage.gaussian_filter(image[0, 0].numpy(), sigma, mode=SCIPY_MODES[border], radius=radius)
    assert np.abs(ours - theirs).max() <= 1e-5


def test_gaussian_blur_custom_size_matches_scipy_inside():
    image = camera()
    ours = invgen.forward_model("blur:sigma=2,size=7").double()(image)[0, 0].numpy()
    theirs = ndimage.gaussian_filter(image[0, 0].numpy(), 2.0, mode="mirror", radius=3)
    assert np.abs(ours - theirs).max() <= 1e-5


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_area_downsampling_is_the_block_mean(factor):
    rgb = torch.from_numpy(data.astronaut()[:256, :256].astype(np.float64) / 127.5 - 1).permute(2, 0, 1)[None]
    ours = invgen.forward_model(f"downsample:factor={factor}").double()(rgb)[0].numpy()
    blocks = rgb[0].numpy().reshape(3, 256 // factor, factor, 256 // factor, factor).mean(axis=(2, 4))
    assert np.abs(ours - blocks).max() <= 1e-12


def test_bicubic_downsampling_is_close_to_the_block_mean_on_a_photo():
    image = camera()
    ours = invgen.forward_model("downsample:factor=4,mode=bicubic").double()(image)
    area = invgen.forward_model("downsample:factor=4").double()(image)
    assert ours.shape == area.shape == (1, 1, 32, 32)
    assert (ours - area).abs().mean() < 0.05


def test_box_blur_and_defocus_match_scipy_convolution():
    image = camera(64)[0, 0].numpy()
    box = invgen.forward_model("box-blur:size=5").double()(torch.from_numpy(image)[None, None])[0, 0].numpy()
    assert np.abs(box - ndimage.uniform_filter(image, 5, mode="mirror")).max() <= 1e-6
    model = invgen.forward_model("defocus:radius=2")
    disk = model.kernel.double().numpy()
    assert disk.shape == (5, 5) and disk[0, 0] == 0 and disk[2, 0] > 0 and math.isclose(disk.sum(), 1.0, abs_tol=1e-6)
    ours = model.double()(torch.from_numpy(image)[None, None])[0, 0].numpy()
    assert np.abs(ours - ndimage.correlate(image, disk, mode="mirror")).max() <= 1e-6


def test_motion_blur_kernel_is_normalised_and_directional():
    horizontal = invgen.forward_model("motion-blur:length=7,angle=0").kernel
    assert math.isclose(horizontal.sum().item(), 1.0, abs_tol=1e-6)
    assert horizontal[3].sum() == pytest.approx(1.0, abs=1e-6)
    vertical = invgen.forward_model("motion-blur:length=7,angle=90").kernel
    assert vertical[:, 3].sum() == pytest.approx(1.0, abs=1e-6)


def test_user_kernel_is_normalised_and_applied(tmp_path):
    kernel = np.zeros((3, 5))
    kernel[1, 3] = 2.0
    kernel[1, 4] = 2.0
    np.save(tmp_path / "k.npy", kernel)
    model = invgen.forward_model(f"kernel:path={tmp_path / 'k.npy'},border=circular")
    assert model.kernel.sum().item() == pytest.approx(1.0)
    image = camera(32)
    expected = ndimage.correlate(image[0, 0].numpy(), kernel / kernel.sum(), mode="wrap")
    assert np.abs(model.double()(image)[0, 0].numpy() - expected).max() <= 1e-6


@pytest.mark.parametrize(
    ("content", "message"),
    [(np.zeros((3, 3)), "all zeros"), (-np.ones((3, 3)), "negative"), (np.zeros((0, 3)), "non-empty"),
     (np.ones(3), "2-D"), (np.array([[np.nan, 1.0]]), "NaN")],
)
def test_bad_user_kernels(tmp_path, content, message):
    np.save(tmp_path / "k.npy", content)
    with pytest.raises(invgen.SpecError, match=message) as caught:
        invgen.forward_model(f"kernel:path={tmp_path / 'k.npy'}")
    assert "\n" not in str(caught.value)


def test_kernel_from_an_image_file(tmp_path):
    from PIL import Image

    array = np.zeros((5, 5), np.uint8)
    array[2, 1:4] = 255
    Image.fromarray(array).save(tmp_path / "k.png")
    kernel = invgen.forward_model(f"kernel:path={tmp_path / 'k.png'}").kernel
    assert kernel[2, 1:4].tolist() == pytest.approx([1 / 3] * 3)


def test_downsample_rejects_sizes_it_does_not_divide():
    with pytest.raises(ValueError, match="factor 3 does not divide the image size 32x32"):
        invgen.forward_model("downsample:factor=3").output_shape((1, 32, 32))


def test_grayscale_uses_luminance_weights():
    rgb = torch.from_numpy(data.astronaut()[:64, :64].astype(np.float64) / 127.5 - 1).permute(2, 0, 1)[None]
    grey = invgen.forward_model("grayscale").double()(rgb)
    expected = 0.299 * rgb[:, 0] + 0.587 * rgb[:, 1] + 0.114 * rgb[:, 2]
    assert torch.allclose(grey[:, 0], expected, atol=1e-6)


@pytest.mark.parametrize(
    "spec",
    ["downsample:factor=2", "downsample:factor=2,mode=bilinear", "blur:sigma=1", "motion-blur:length=3,angle=45",
     "box-blur:size=3", "defocus:radius=1.5", "center-mask:fraction=0.3", "grayscale", "noise:std=0.1"],
)
def test_gradcheck_float64(spec):
    model = invgen.forward_model(spec).double()
    x = torch.rand(1, 3, 8, 8, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(model, (x,), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize(
    "spec",
    ["downsample:factor=4", "downsample:factor=4,mode=bilinear", "blur:sigma=2", "motion-blur:length=9,angle=30",
     "box-blur:size=5", "defocus:radius=3", "mask:box=[0.1,0.2,0.5,0.6]", "center-mask:fraction=0.4",
     "random-mask:kind=strokes,fraction=0.3", "random-mask:kind=boxes,fraction=0.3",
     "random-mask:kind=pixels,fraction=0.5", "noise:std=0.05", "poisson:peak=30", "grayscale"],
)
def test_every_model_on_a_real_photograph(spec):
    """Each model on scikit-image's astronaut: shape as stated, values finite, and its defining effect."""
    rgb = torch.from_numpy(data.astronaut()[::4, ::4].astype(np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    model = invgen.forward_model(spec)
    observed = model.simulate(rgb, seed=0)
    assert tuple(observed.shape[1:]) == model.output_shape(tuple(rgb.shape[1:]))
    assert torch.isfinite(observed).all()
    mask = model.mask(tuple(rgb.shape[1:]))
    name = spec.split(":")[0]
    if mask is not None:
        assert (observed * (1 - mask)).abs().max() == 0 and torch.equal(observed * mask, rgb * mask)
    elif name in ("blur", "motion-blur", "box-blur", "defocus"):
        def roughness(image):
            return (image[..., 1:, :] - image[..., :-1, :]).abs().mean() + (image[..., 1:] - image[..., :-1]).abs().mean()
        assert roughness(observed) < 0.8 * roughness(rgb)
    elif name in ("noise", "poisson"):
        assert 0.01 < (observed - rgb).std() < 0.5
    elif name == "downsample":
        assert (observed.mean() - rgb.mean()).abs() < 0.01


def _matrix(model, shape):
    """The operator as a matrix (columns: its response to each basis image), for NumPy's oracle."""
    size = int(np.prod(shape))
    basis = torch.eye(size, dtype=torch.float64).view(size, *shape)
    return model(basis).reshape(size, -1).T.numpy()


@pytest.mark.parametrize("spec", ["downsample:factor=2", "downsample:factor=4", "center-mask:fraction=0.3",
                                  "mask:box=[1,1,5,6]"])
def test_pseudo_inverses_are_numpys(spec):
    model = invgen.forward_model(spec).double()
    shape = (1, 8, 8)
    operator = _matrix(model, shape)
    y = torch.randn(1, *model.output_shape(shape), dtype=torch.float64)
    expected = np.linalg.pinv(operator) @ y.flatten().numpy()
    assert np.allclose(model.pseudo_inverse(y, shape).flatten().numpy(), expected, atol=1e-10)


def test_interpolating_downsampling_has_no_cheap_pseudo_inverse():
    assert invgen.forward_model("downsample:factor=2,mode=bicubic").pseudo_inverse(torch.zeros(1, 1, 4, 4),
                                                                                    (1, 8, 8)) is None


def test_project_makes_the_area_downsampled_reconstruction_match_the_observation():
    from invgen.solvers.consistency import consistent
    from invgen.problem.chain import Chain

    chain = Chain([invgen.forward_model("downsample:factor=4")])
    clean = camera(32).float()
    observation = torch.from_numpy(camera(8).numpy()).float()  # block means of the photo: an area observation
    reconstruction = torch.tanh(clean * 3) * 0.8  # any image: the projection fixes its block means
    projected = consistent(reconstruction, observation, chain, "project")
    block_means = projected[0, 0].numpy().reshape(8, 4, 8, 4).mean(axis=(1, 3))
    assert np.abs(block_means - observation[0, 0].numpy()).max() < 1e-5


def test_rician_noise_follows_scipys_rice_distribution():
    from scipy import stats

    model = invgen.forward_model("rician:std=0.1")
    magnitude = 0.3  # x = -0.4 in [-1, 1]
    clean = torch.full((1, 1, 64, 64), magnitude * 2 - 1, dtype=torch.float64)
    observed = ((model.simulate(clean, 0) + 1) / 2).flatten().numpy()
    fitted = stats.kstest(observed, stats.rice(b=magnitude / 0.05, scale=0.05).cdf)
    assert fitted.pvalue > 0.01  # 4096 draws: the right distribution, not only the right mean
    dark = ((model.simulate(torch.full((1, 1, 64, 64), -1.0, dtype=torch.float64), 1) + 1) / 2).flatten().numpy()
    assert (dark >= 0).all() and stats.kstest(dark, stats.rayleigh(scale=0.05).cdf).pvalue > 0.01
    assert model.noise_std == 0.1
