"""Which inputs are volumes: NIfTI along an axis (slices from the header) and DICOM series (sorted by position
along the slice normal, as a viewer stacks them), pydicom and nibabel making the files."""

import copy

import numpy as np
import pytest

pydicom = pytest.importorskip("pydicom", reason="DICOM needs the medical extra")
nibabel = pytest.importorskip("nibabel", reason="NIfTI needs the medical extra")

from pydicom.uid import generate_uid  # noqa: E402

from invgen.errors import InputError  # noqa: E402
from invgen.io.volumes import dicom_series, is_whole_volume, nifti_slices  # noqa: E402

CT = pydicom.data.get_testdata_file("CT_small.dcm")


def series(folder, positions, orientation=(1, 0, 0, 0, 1, 0), instances=None, uid=None):
    """Files ``s0.dcm``... of one series at ``positions`` (None: no position tag)."""
    uid = uid or generate_uid()
    source = pydicom.dcmread(CT)
    files = []
    for number, position in enumerate(positions):
        dataset = copy.deepcopy(source)
        dataset.SeriesInstanceUID, dataset.SOPInstanceUID = uid, generate_uid()
        dataset.InstanceNumber = number if instances is None else instances[number]
        if position is None:
            del dataset.ImagePositionPatient
        else:
            dataset.ImagePositionPatient = list(position)
        dataset.ImageOrientationPatient = list(orientation)
        files.append(folder / f"s{number}.dcm")
        dataset.save_as(files[-1])
    return files


def test_a_series_is_ordered_along_its_slice_normal(tmp_path):
    # sagittal: rows along y, columns along -z, so the normal is cross((0,1,0), (0,0,-1)) = (-1, 0, 0)
    files = series(tmp_path, [(x, 0.0, 0.0) for x in (3.0, -6.0, 0.0)], orientation=(0, 1, 0, 0, 0, -1))
    parts = dicom_series(files)
    order = sorted(files, key=lambda file: parts[file].index)
    assert [pydicom.dcmread(f).ImagePositionPatient[0] for f in order] == [3.0, 0.0, -6.0]  # -x increasing
    assert {part.count for part in parts.values()} == {3} and len({part.volume for part in parts.values()}) == 1


def test_without_positions_the_instance_number_orders_and_lone_files_are_no_series(tmp_path):
    files = series(tmp_path, [None, None, None], instances=[7, 2, 5])
    parts = dicom_series(files)
    assert [parts[file].index for file in files] == [2, 0, 1]
    (tmp_path / "lone").mkdir()
    lone = series(tmp_path / "lone", [(0, 0, 0)])
    notes = tmp_path / "notes.dcm"
    notes.write_bytes(b"not DICOM")
    assert dicom_series([*lone, notes]) == {}


def test_two_series_in_one_folder_stay_apart(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = series(tmp_path / "a", [(0, 0, z) for z in (0, 1)])
    second = series(tmp_path / "b", [(0, 0, z) for z in (0, 1, 2)])
    parts = dicom_series(first + second)
    assert parts[first[0]].volume != parts[second[0]].volume
    assert [parts[file].count for file in first + second] == [2, 2, 3, 3, 3]


def test_a_nifti_volume_along_an_axis_is_every_slice_read_from_its_header(tmp_path):
    path = tmp_path / "vol.nii.gz"
    nibabel.save(nibabel.Nifti1Image(np.zeros((4, 5, 12), np.float32), np.eye(4)), path)
    assert is_whole_volume(f"{path}:axis=2") and not is_whole_volume(f"{path}:axis=2,slice=3")
    assert not is_whole_volume(path) and not is_whole_volume(f"{tmp_path / 'a.png'}:axis=2")
    assert nifti_slices(f"{path}:axis=2") == [f"slice={k:02d}" for k in range(12)]
    assert nifti_slices(f"{path}:axis=0") == ["slice=0", "slice=1", "slice=2", "slice=3"]
    with pytest.raises(InputError, match="axis=3; use 0, 1 or 2"):
        nifti_slices(f"{path}:axis=3")
    with pytest.raises(InputError, match="no such file"):
        nifti_slices(f"{tmp_path / 'gone.nii.gz'}:axis=2")
