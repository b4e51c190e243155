"""An acquired multi-coil slice in fastMRI's HDF5 layout (built here with h5py and numpy's FFT) is the
observation a magnitude k-space model predicts, and `invgen run` reconstructs it better than the
root-sum-of-squares of its coils."""

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

import invgen
from invgen.cli.app import create_app
from invgen.io.images import load_image, load_input

h5py = pytest.importorskip("h5py", reason="k-space files need the core's medical extra")
pytest.importorskip("invgen_stylegan2", reason="uses the embedded stylegan2-mnist32 generator")
DIGIT = "examples/holdout_1950_digit3.png"
SPEC = "kspace:coils=8,R=4,center=0.08,image=magnitude"
SCALE = 3.7e-4  # acquired k-space is in the scanner's units: fastMRI's are of this order


@pytest.fixture(autouse=True)
def at_the_repository_root(monkeypatch, request):
    monkeypatch.chdir(request.config.rootpath)


def acquired(path, clean: torch.Tensor) -> np.ndarray:
    """Two slices (the digit, then its mirror) seen as magnitudes through 8 birdcage coils, fully sampled."""
    from invgen_mri.coils import birdcage

    maps = birdcage(8, 32, 32).numpy()
    magnitude = (clean[0, 0].double().numpy() + 1) / 2
    images = np.stack([maps * magnitude, maps * magnitude[:, ::-1]])
    kspace = np.fft.fftshift(np.fft.fft2(images * SCALE, norm="ortho"), axes=(-2, -1)).astype(np.complex64)
    with h5py.File(path, "w") as opened:
        opened["kspace"] = kspace
        opened.attrs["max"] = SCALE  # the full scale: white (1 in [0, 1]) is SCALE
    return kspace


def test_the_file_is_what_the_magnitude_model_predicts(tmp_path):
    clean = load_image(DIGIT, 1)
    acquired(tmp_path / "scan.h5", clean)
    observation, record = load_input(f"{tmp_path / 'scan.h5'}:slice=0")
    model = invgen.forward_model(SPEC)
    mask = model.mask((1, 32, 32)).expand_as(observation)
    torch.testing.assert_close(observation * mask, model(clean.double()).float(), rtol=0, atol=2e-5)
    assert record["scale"] == pytest.approx(SCALE, rel=1e-6)


def test_invgen_run_reconstructs_an_acquired_slice_better_than_rss(tmp_path):
    clean = load_image(DIGIT, 1)
    kspace = acquired(tmp_path / "scan.h5", clean)
    result = CliRunner().invoke(create_app(), ["run", "-g", "stylegan2-mnist32", "-f", SPEC, "--steps", "100",
                                               "--no-domain-check", "--device", "cpu", "-i",
                                               f"{tmp_path / 'scan.h5'}:slice=0", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["input_file"]["format"] == "fastmri" and record["input_file"]["coils"] == 8
    reconstruction = np.load(tmp_path / "out" / "reconstruction.npy")[0]
    mask = invgen.forward_model(SPEC).mask((1, 32, 32))[0, 0].numpy()
    coils = np.fft.ifft2(np.fft.ifftshift(kspace[0] * mask / SCALE, axes=(-2, -1)), norm="ortho")
    rss = np.clip(np.sqrt((np.abs(coils) ** 2).sum(0)) * 2 - 1, -1, 1)
    truth = clean[0, 0].numpy()

    def psnr(image):
        return 10 * np.log10(4 / np.mean((image - truth) ** 2))
    assert psnr(reconstruction) > psnr(rss) + 3, (psnr(reconstruction), psnr(rss))
