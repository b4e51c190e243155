"""DICOM and NIfTI in and out, against pydicom's and nibabel's own values on the files those packages ship."""

from pathlib import Path

import numpy as np
import pytest
import torch

pydicom = pytest.importorskip("pydicom", reason="DICOM tests need the medical extra (pydicom)")
nibabel = pytest.importorskip("nibabel", reason="NIfTI tests need the medical extra (nibabel)")
from pydicom.data import get_testdata_file  # noqa: E402
from pydicom.pixels import apply_modality_lut  # noqa: E402

from invgen.errors import InputError, UsageError  # noqa: E402
from invgen.io.medical import Window, read_medical, write_medical  # noqa: E402

CT = get_testdata_file("CT_small.dcm")
MR = get_testdata_file("MR_small.dcm")
DOSE = get_testdata_file("rtdose.dcm")  # 15 frames
ANATOMICAL = Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"


def test_dicom_values_are_the_modality_lut_values_before_the_window():
    image, record = read_medical(CT)
    hounsfield = apply_modality_lut(pydicom.dcmread(CT).pixel_array, pydicom.dcmread(CT))
    window = Window(record["window"]["center"], record["window"]["width"])
    assert record["window"]["source"] == "min-max" and image.shape == (1, 1, 128, 128)
    assert np.allclose(window.from_unit(image[0, 0].double().numpy()), hounsfield, atol=1e-3 * window.width)
    assert image.min() == -1 and image.max() == 1


def test_the_files_own_window_or_the_users():
    _, record = read_medical(MR)
    assert record["window"] == {"center": 600.0, "width": 1600.0, "source": "file"}
    image, record = read_medical(MR, Window(40, 400))
    values = apply_modality_lut(pydicom.dcmread(MR).pixel_array, pydicom.dcmread(MR))
    assert record["window"]["source"] == "option"
    assert np.allclose(image[0, 0].numpy(), np.clip((values - (40 - 200)) / 400, 0, 1) * 2 - 1, atol=1e-6)
    with pytest.raises(UsageError, match="CENTER,WIDTH"):
        Window.parse("40")


def test_monochrome1_is_inverted(tmp_path):
    dataset = pydicom.dcmread(CT)
    dataset.PhotometricInterpretation = "MONOCHROME1"
    dataset.save_as(tmp_path / "inverted.dcm")
    plain, _ = read_medical(CT)
    inverted, record = read_medical(tmp_path / "inverted.dcm")
    assert record["photometric"] == "MONOCHROME1" and torch.allclose(inverted, -plain)


def test_a_frame_of_a_multiframe_file():
    image, record = read_medical(f"{DOSE}:frame=3", Window(2e6, 4e6))
    dataset = pydicom.dcmread(DOSE)
    expected = apply_modality_lut(dataset.pixel_array[3], dataset)
    assert record["frame"] == 3 and np.allclose(Window(2e6, 4e6).from_unit(image[0, 0].double().numpy()), expected,
                                                rtol=1e-5)
    with pytest.raises(InputError, match="frame=15 but the file has 15 frame"):
        read_medical(f"{DOSE}:frame=15")


def test_a_derived_dicom_keeps_patient_study_geometry_and_values():
    image, record = read_medical(CT)
    name, data, notes = write_medical(image, record, "toy | blur")
    written = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    original = pydicom.dcmread(CT)
    assert name == "reconstruction.dcm" and notes == []
    for keyword in ("PatientName", "PatientID", "StudyInstanceUID", "PixelSpacing", "ImagePositionPatient"):
        assert written[keyword].value == original[keyword].value, keyword
    assert written.SeriesInstanceUID != original.SeriesInstanceUID and written.SOPInstanceUID != original.SOPInstanceUID
    assert list(written.ImageType)[0] == "DERIVED" and "invgen" in written.SeriesDescription
    assert np.array_equal(apply_modality_lut(written.pixel_array, written), apply_modality_lut(original.pixel_array,
                                                                                               original))


def test_a_dicom_of_another_size_drops_its_geometry():
    image, record = read_medical(CT)
    _, data, notes = write_medical(image[..., :64, :64], record, "x")
    written = pydicom.dcmread(pydicom.filebase.DicomBytesIO(data))
    assert (written.Rows, written.Columns) == (64, 64) and "PixelSpacing" not in written and notes


def test_nifti_slices_in_and_back_into_a_copy_of_the_volume(tmp_path):
    volume = nibabel.load(ANATOMICAL)
    data = volume.get_fdata()
    image, record = read_medical(ANATOMICAL)
    middle = data.shape[2] // 2
    window = Window(record["window"]["center"], record["window"]["width"])
    assert record["slice"] == middle and np.allclose(window.from_unit(image[0, 0].double().numpy()),
                                                     data[:, :, middle], atol=1e-4 * window.width)
    side, side_record = read_medical(f"{ANATOMICAL}:axis=1,slice=5")
    assert side.shape == (1, 1, data.shape[0], data.shape[2]) and side_record["axis"] == 1
    name, written, _ = write_medical(-image, record, "x")
    (tmp_path / name).write_bytes(written)
    back = nibabel.load(tmp_path / name)
    assert np.array_equal(back.affine, volume.affine) and back.shape == volume.shape
    again = back.get_fdata()
    assert np.allclose(again[:, :, middle], window.from_unit(-image[0, 0].double().numpy()), atol=1e-3)
    assert np.allclose(np.delete(again, middle, axis=2), np.delete(data, middle, axis=2), atol=1e-3)


@pytest.mark.parametrize("scan", [CT, MR])
def test_invgen_run_takes_a_real_dicom_and_gives_a_derived_dicom(tmp_path, fake_manager, scan):
    from typer.testing import CliRunner

    from invgen.cli.app import create_app

    result = CliRunner().invoke(create_app(), ["run", "-g", "toy:size=16,layers=2", "-f", "test-blur", "--loss",
                                               "test-sse", "--steps", "5", "--simulate", "-i", scan, "--resize",
                                               "--restore-size", "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = pydicom.dcmread(tmp_path / "out" / "reconstruction.dcm")
    original = pydicom.dcmread(scan)
    assert written.PatientID == original.PatientID and written.StudyInstanceUID == original.StudyInstanceUID
    assert (written.Rows, written.Columns) == (original.Rows, original.Columns)
    assert written.PixelSpacing == original.PixelSpacing and written.SeriesInstanceUID != original.SeriesInstanceUID
    refused = CliRunner().invoke(create_app(), ["run", "-g", "toy:size=16,layers=2", "-f", "test-blur", "--loss",
                                                "test-sse", "--simulate", "-i", scan, "-o", str(tmp_path / "no")])
    assert refused.exit_code == 1 and "--resize" in refused.stderr


def test_a_missing_extra_is_named(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pydicom", None)
    with pytest.raises(InputError, match=r"pip install 'invgen-core\[medical\]'"):
        read_medical(CT)
