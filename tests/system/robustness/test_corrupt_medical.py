"""`invgen corrupt` keeps a DICOM or NIfTI input's observation in its own format and units (pydicom and
nibabel as the oracles), and `invgen run` reads it back as the observation `--simulate` makes."""

from pathlib import Path

import numpy as np
import pytest
import torch

pydicom = pytest.importorskip("pydicom", reason="DICOM needs the medical extra")
nibabel = pytest.importorskip("nibabel", reason="NIfTI needs the medical extra")

import invgen  # noqa: E402
from invgen.io.images import load_input  # noqa: E402
from invgen.io.medical import read_medical  # noqa: E402
from invgen.testing.cli import invoke  # noqa: E402

CT = Path(pydicom.data.get_testdata_file("CT_small.dcm"))
ANATOMICAL = Path(nibabel.__file__).parent / "tests" / "data" / "anatomical.nii"  # 33 x 41 x 25


def hounsfield(path):
    dataset = pydicom.dcmread(path)
    return dataset.pixel_array * float(dataset.RescaleSlope) + float(dataset.RescaleIntercept), dataset


def test_identity_keeps_hounsfield_units_within_one(tmp_path):
    out = tmp_path / "obs.dcm"
    done = invoke("corrupt", "-f", "identity", "-i", CT, "-o", out)
    assert done.exit_code == 0, done.output
    original, source = hounsfield(CT)
    kept, written = hounsfield(out)
    assert np.abs(kept - original).max() <= 1  # Hounsfield units: the whole range mapped, nothing clipped
    assert written.PatientID == source.PatientID and written.StudyInstanceUID == source.StudyInstanceUID
    assert written.SeriesInstanceUID != source.SeriesInstanceUID and written.SOPInstanceUID != source.SOPInstanceUID
    assert "DERIVED" in written.ImageType and written.SeriesDescription.startswith("invgen observation")


def test_a_down_sampled_dicom_reads_back_as_the_simulated_observation(tmp_path):
    out = tmp_path / "small.dcm"
    done = invoke("corrupt", "-f", "downsample:factor=2", "-i", CT, "-o", out)
    assert done.exit_code == 0, done.output
    clean, record = read_medical(CT, full_range=True)
    simulated = invgen.forward_model("downsample:factor=2").simulate(clean, 0)
    observed, _ = load_input(out, 1)  # as invgen run reads it: its own window, the input's whole range
    assert observed.shape == simulated.shape == (1, 1, 64, 64)
    step = 2 / record["window"]["width"]  # one stored unit in [-1, 1]
    assert (observed - simulated).abs().max() <= step + 1e-6
    run = invoke("run", "-g", "stylegan2-mnist32", "-f", "downsample:factor=2", "--steps", "2", "--device", "cpu",
                 "--no-domain-check", "-i", out, "-o", tmp_path / "run", "--resize")
    assert run.exit_code == 0, run.output


def test_a_nifti_slice_is_kept_where_it_was(tmp_path):
    anatomical = nibabel.load(ANATOMICAL)  # cut to even sides (for x2 down-sampling), its oblique affine kept
    volume = tmp_path / "anatomical32x40.nii.gz"
    nibabel.save(nibabel.Nifti1Image(np.asarray(anatomical.dataobj, np.float32)[:32, :40], anatomical.affine), volume)
    for forward, factor in (("identity", 1), ("downsample:factor=2", 2)):
        out = tmp_path / f"obs{factor}.nii.gz"
        done = invoke("corrupt", "-f", forward, "-i", f"{volume}:axis=2,slice=5", "-o", out)
        assert done.exit_code == 0, done.output
        source, kept = nibabel.load(volume), nibabel.load(out)
        values = np.asarray(kept.dataobj)
        if factor == 1:
            np.testing.assert_allclose(values[:, :, 0], np.asarray(source.dataobj)[:, :, 5], rtol=1e-5, atol=1e-3)
        for i, j in ((0, 0), (3, 7)):  # a voxel's centre is the middle of the input voxels it covers
            fine = [factor * i + (factor - 1) / 2, factor * j + (factor - 1) / 2, 5, 1]
            np.testing.assert_allclose(kept.affine @ [i, j, 0, 1], source.affine @ fine, atol=1e-6)


def test_formats_that_do_not_fit_are_refused(tmp_path, files, refused):
    refused(["corrupt", "-f", "identity", "-i", files["digit.png"], "-o", tmp_path / "o.dcm"], 2,
            r"o\.dcm: a \.dcm observation is written from a DICOM input", tmp_path / "o.dcm")
    refused(["corrupt", "-f", "identity", "-i", CT, "-o", tmp_path / "o.nii.gz"], 2,
            r"a \.nii\.gz observation is written from a NIFTI input", tmp_path / "o.nii.gz")
    refused(["corrupt", "-f", "kspace:R=2", "-i", CT, "-o", tmp_path / "k.dcm"], 2,
            r"k\.dcm: this observation has 2 channels .* write it as k\.npz", tmp_path / "k.dcm")
