"""fastMRI-layout HDF5 k-space files as observations: files built here with h5py (and the ISMRMRD header with
the ismrmrd package), read back against numpy's FFT and the files' own values."""

from pathlib import Path

import numpy as np
import pytest

h5py = pytest.importorskip("h5py", reason="k-space files need the medical extra")

from invgen.errors import InputError  # noqa: E402
from invgen.io.images import load_input  # noqa: E402
from invgen.io.kspace_files import is_kspace_file, read_kspace_file  # noqa: E402


def header(encoded: tuple[int, int], recon: tuple[int, int]) -> str:
    """An ISMRMRD header by the ismrmrd package (its schema), else the minimal XML it would write."""
    try:
        import ismrmrd.xsd as schema
    except ImportError:
        return ("<ismrmrdHeader xmlns='http://www.ismrm.org/ISMRMRD'><encoding>"
                + "".join(f"<{space}><matrixSize><x>{a}</x><y>{b}</y><z>1</z></matrixSize></{space}>"
                          for space, (a, b) in (("encodedSpace", encoded), ("reconSpace", recon)))
                + "</encoding></ismrmrdHeader>")

    def space(size: tuple[int, int]):
        return schema.encodingSpaceType(matrixSize=schema.matrixSizeType(x=size[0], y=size[1], z=1),
                                        fieldOfView_mm=schema.fieldOfViewMm(x=220.0, y=220.0, z=3.0))
    encoding = schema.encodingType(encodedSpace=space(encoded), reconSpace=space(recon),
                                   encodingLimits=schema.encodingLimitsType(), trajectory=schema.trajectoryType.CARTESIAN)
    return schema.ToXML(schema.ismrmrdHeader(
        experimentalConditions=schema.experimentalConditionsType(H1resonanceFrequency_Hz=127_000_000),
        encoding=[encoding]))


def centred_fft(images: np.ndarray) -> np.ndarray:
    return np.fft.fftshift(np.fft.fft2(images, norm="ortho"), axes=(-2, -1))


def volume(slices: int = 3, coils: int = 4, size: tuple[int, int] = (16, 12), seed: int = 0) -> np.ndarray:
    """Complex k-space [slices, coils, H, W] of random magnitude images through random smooth-ish maps."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0, 1, (slices, 1, *size)) * (rng.normal(size=(1, coils, *size))
                                                     + 1j * rng.normal(size=(1, coils, *size)))
    return (centred_fft(images) * 3e-4).astype(np.complex64)


def write(path: Path, kspace: np.ndarray, **extra) -> Path:
    with h5py.File(path, "w") as opened:
        opened["kspace"] = kspace
        for key, value in extra.items():
            if key == "attrs":
                opened.attrs.update(value)
            else:
                opened[key] = value
    return path


def test_a_multicoil_slice_is_read_as_re_im_pairs_scaled_by_the_files_max(tmp_path):
    kspace = volume()
    path = write(tmp_path / "file1000.h5", kspace, ismrmrd_header=header((16, 12), (8, 8)),
                 attrs={"max": 2.5e-3, "acquisition": "CORPD_FBK", "patient_id": "x"})
    observation, record = read_kspace_file(f"{path}:slice=2")
    assert observation.shape == (1, 8, 16, 12) and observation.dtype.is_floating_point
    expected = kspace[2] / 2.5e-3
    np.testing.assert_allclose(observation[0, 0::2].numpy(), expected.real, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(observation[0, 1::2].numpy(), expected.imag, rtol=1e-5, atol=1e-6)
    assert record["coils"] == 4 and record["slice"] == 2 and record["slices"] == 3
    assert record["scale"] == pytest.approx(2.5e-3) and record["scale_source"] == "the file's max attribute"
    assert record["encoded_matrix"] == [16, 12, 1] and record["recon_matrix"] == [8, 8, 1]
    assert record["acquisition"] == "CORPD_FBK"
    default, _ = read_kspace_file(path)  # the middle slice
    np.testing.assert_allclose(default[0, 0].numpy(), (kspace[1, 0] / 2.5e-3).real, rtol=1e-5, atol=1e-6)
    assert is_kspace_file(f"{path}:slice=2") and not is_kspace_file(tmp_path / "a.nii.gz")
    assert load_input(f"{path}:slice=2")[1]["format"] == "fastmri"


def test_without_a_max_the_scale_is_the_rss_reconstruction_or_the_slices_own_rss(tmp_path):
    kspace = volume(slices=2, coils=3, seed=1)
    rss = np.sqrt((np.abs(np.fft.ifft2(np.fft.ifftshift(kspace, axes=(-2, -1)), norm="ortho")) ** 2).sum(1))
    given = write(tmp_path / "rss.h5", kspace, reconstruction_rss=(rss * 1.5).astype(np.float32))
    _, record = read_kspace_file(f"{given}:slice=1")
    assert record["scale"] == pytest.approx(1.5 * rss[1].max(), rel=1e-5)
    assert record["scale_source"] == "reconstruction_rss of the slice"
    bare = write(tmp_path / "bare.h5", kspace)
    observation, record = read_kspace_file(f"{bare}:slice=0")
    assert record["scale"] == pytest.approx(rss[0].max(), rel=1e-5)
    assert float(np.sqrt((np.abs(np.fft.ifft2(np.fft.ifftshift(
        observation[0, 0::2].numpy() + 1j * observation[0, 1::2].numpy(), axes=(-2, -1)), norm="ortho")) ** 2
        ).sum(0)).max()) == pytest.approx(1.0, rel=1e-4)  # the brightest magnitude is 1


def test_single_coil_files_have_one_re_im_pair(tmp_path):
    kspace = volume(coils=1)[:, 0]
    observation, record = read_kspace_file(f"{write(tmp_path / 'single.h5', kspace)}:slice=0")
    assert observation.shape == (1, 2, 16, 12) and record["coils"] == 1


@pytest.mark.parametrize("make, option, message", [
    (lambda p: write(p, np.zeros((2, 4, 4), np.float32)), "", "'kspace' is float32 of shape"),
    (lambda p: write(p, volume()), ":slice=3", r"slice=3 but the file has 3 slices \(0..2\)"),
    (lambda p: write(p, volume(), ismrmrd_header=header((32, 12), (8, 8))), "", "encoded matrix is 32x12 but"),
    (lambda p: write(p, volume()), ":frame=1", "takes slice=K after ':'"),
    (lambda p: write(p, np.zeros((1, 2, 4, 4), np.complex64)), "", "all zeros"),
    (lambda p: p.write_bytes(b"not hdf5") and p, "", "not a readable HDF5 k-space file"),
])
def test_bad_files_are_refused_in_one_line(tmp_path, make, option, message):
    path = tmp_path / "bad.h5"
    make(path)
    with pytest.raises(InputError, match=message) as caught:
        read_kspace_file(f"{path}{option}")
    assert "\n" not in str(caught.value)


def test_a_file_without_kspace_names_the_layout(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as opened:
        opened["data"] = np.zeros(3)
    with pytest.raises(InputError, match="holds no 'kspace' dataset"):
        read_kspace_file(path)
