"""A NIfTI volume along an axis and a DICOM series in a folder run whole: every slice reconstructed (in
batches), and one volume back that nibabel and pydicom read with the input's geometry; shards write it once
every slice is done."""

import copy
import json
from pathlib import Path

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="DICOM needs the medical extra")
nibabel = pytest.importorskip("nibabel", reason="NIfTI needs the medical extra")

from pydicom.uid import generate_uid  # noqa: E402
from PIL import Image  # noqa: E402

from invgen.testing.cli import invoke  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
DIGIT = np.asarray(Image.open(REPO / "examples" / "holdout_1950_digit3.png"), np.float64)
ANATOMICAL = Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"  # 33 x 41 x 25, oblique affine
CT = pydicom.data.get_testdata_file("CT_small.dcm")


def digits_volume(path: Path) -> np.ndarray:
    """Four shifted digits along axis 2, in arbitrary units, with an anisotropic affine."""
    values = np.stack([np.roll(DIGIT, 3 * k, axis=1) * 4.0 + 100 for k in range(4)], axis=2).astype(np.float32)
    nibabel.save(nibabel.Nifti1Image(values, np.diag([0.9, 1.1, 2.5, 1.0]) + np.eye(4, k=3) * 7), path)
    return values


def window_back(unit: np.ndarray, record: dict) -> np.ndarray:
    """[-1, 1] -> the file's units by a slice's run.json window (the arithmetic written out here)."""
    low = record["window"]["center"] - record["window"]["width"] / 2
    return low + (unit + 1) / 2 * record["window"]["width"]


def test_a_nifti_volume_runs_whole_and_comes_back_with_its_affine(tmp_path, run):
    source = tmp_path / "digits.nii.gz"
    digits_volume(source)
    done = invoke(*run, "--no-domain-check", "-i", f"{source}:axis=2", "-o", tmp_path / "out")
    assert done.exit_code == 0, done.output
    assert "volume written whole" in done.output
    folder = tmp_path / "out" / "digits.nii.gz_axis2"
    written, original = nibabel.load(folder / "reconstruction.nii.gz"), nibabel.load(source)
    assert written.shape == original.shape and np.allclose(written.affine, original.affine)
    record = json.loads((folder / "run.json").read_text())
    assert [row["slice"] for row in record["slices"]] == [0, 1, 2, 3]
    data = np.asarray(written.dataobj)
    for row in record["slices"]:
        result = tmp_path / "out" / row["result"]
        assert not (result / "reconstruction.nii.gz").exists()  # no copy of the whole volume per slice
        reconstruction = np.load(result / "reconstruction.npy")[0]
        medical = json.loads((result / "run.json").read_text())["medical"]
        assert np.allclose(data[:, :, row["slice"]], window_back(reconstruction, medical), atol=1e-3)


def test_slices_of_another_size_are_resized_and_written_back_at_the_slice_size(tmp_path, run):
    anatomical = nibabel.load(ANATOMICAL)
    source = tmp_path / "anatomical.nii.gz"
    nibabel.save(nibabel.Nifti1Image(np.asarray(anatomical.dataobj, np.float32)[:, :, 10:13], anatomical.affine),
                 source)
    done = invoke(*run, "--no-domain-check", "--resize", "-i", f"{source}:axis=2", "-o", tmp_path / "out")
    assert done.exit_code == 0, done.output
    written = nibabel.load(tmp_path / "out" / "anatomical.nii.gz_axis2" / "reconstruction.nii.gz")
    assert written.shape == (33, 41, 3) and np.allclose(written.affine, anatomical.affine)
    assert np.isfinite(np.asarray(written.dataobj)).all()


def dicom_series(folder: Path, positions: list[float]) -> list[Path]:
    """A series of digit slices in Hounsfield-like units, at ``positions`` along z (names not in position order)."""
    folder.mkdir()
    source, uid, files = pydicom.dcmread(CT), generate_uid(), []
    for number, z in enumerate(positions):
        dataset = copy.deepcopy(source)
        pixels = (np.roll(DIGIT, 2 * number, axis=0) * 4 - 1000).astype(np.int16)
        dataset.Rows, dataset.Columns = pixels.shape
        dataset.PixelData = pixels.tobytes()
        dataset.RescaleSlope, dataset.RescaleIntercept = 1, 0
        dataset.SeriesInstanceUID, dataset.SOPInstanceUID = uid, generate_uid()
        dataset.InstanceNumber = 20 + number
        dataset.ImagePositionPatient = [-3.0, 4.0, z]
        dataset.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        files.append(folder / f"f{number}.dcm")
        dataset.save_as(files[-1])
    return files


def test_a_dicom_series_comes_back_as_one_derived_series_in_position_order(tmp_path, run):
    files = dicom_series(tmp_path / "series", [10.0, -5.0, 2.5])
    done = invoke(*run, "--no-domain-check", "-i", tmp_path / "series", "-o", tmp_path / "out")
    assert done.exit_code == 0, done.output
    volume = next((tmp_path / "out").glob("series-*"))
    written = [pydicom.dcmread(path) for path in sorted(volume.glob("*.dcm"))]
    sources = [pydicom.dcmread(path) for path in files]
    by_position = sorted(sources, key=lambda dataset: float(dataset.ImagePositionPatient[2]))
    assert [float(d.ImagePositionPatient[2]) for d in written] == [-5.0, 2.5, 10.0]
    assert [d.InstanceNumber for d in written] == [d.InstanceNumber for d in by_position]
    assert len({d.SeriesInstanceUID for d in written}) == 1 and written[0].SeriesInstanceUID != sources[0].SeriesInstanceUID
    assert len({d.SOPInstanceUID for d in written}) == 3
    assert all(d.StudyInstanceUID == sources[0].StudyInstanceUID and d.PatientID == sources[0].PatientID for d in written)
    assert all(list(map(float, d.PixelSpacing)) == list(map(float, sources[0].PixelSpacing)) for d in written)
    record = json.loads((volume / "run.json").read_text())
    for dataset, row in zip(written, record["slices"]):
        result = tmp_path / "out" / row["result"]
        reconstruction = np.load(result / "reconstruction.npy")[0]
        medical = json.loads((result / "run.json").read_text())["medical"]
        assert row["slice"] == medical["path"]
        stored = dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept)
        assert np.abs(stored - window_back(reconstruction, medical)).max() <= 0.5 + 1e-6  # rounded to whole units


def test_shards_write_the_volume_once_every_slice_is_done(tmp_path, run):
    source = tmp_path / "digits.nii.gz"
    digits_volume(source)
    args = (*run, "--no-domain-check", "-i", f"{source}:axis=2", "-o", tmp_path / "out")
    first = invoke(*args, "--shard", "0/2")
    assert first.exit_code == 0, first.output
    assert not (tmp_path / "out" / "digits.nii.gz_axis2").exists()
    second = invoke(*args, "--shard", "1/2")
    assert second.exit_code == 0, second.output
    assert (tmp_path / "out" / "digits.nii.gz_axis2" / "reconstruction.nii.gz").is_file()
    again = invoke(*args, "--resume")
    assert again.exit_code == 0 and "volume written whole" in again.output, again.output


def test_a_volume_along_a_missing_axis_is_refused(tmp_path, run, refused):
    source = tmp_path / "digits.nii.gz"
    digits_volume(source)
    refused([*run, "-i", f"{source}:axis=4", "-o", tmp_path / "out"], 1, "axis=4; use 0, 1 or 2")
