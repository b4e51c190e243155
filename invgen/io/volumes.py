"""Volumes and series as one input: a NIfTI volume along an axis (``vol.nii.gz:axis=2``, every slice) or the
DICOM files of one series in a folder (sorted by position along the slice normal), each slice an input of its
own, and the reconstructed slices written back as one volume: the NIfTI with the input's affine and header,
or a derived DICOM series (one new series UID, each file's instance number and position kept).

Slices are read one at a time (headers only here); the written volume is built in float32.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from invgen.errors import InputError
from invgen.io.medical import DICOM_SUFFIXES, NIFTI_SUFFIXES, dicom_bytes, nifti_shape, split_options, to_file_units


@dataclass(frozen=True)
class VolumePart:
    """Where one input sits in a volume: the volume's output name, the slice's place (0-based, in position
    order) and the number of slices."""

    volume: str
    index: int
    count: int


def is_whole_volume(source: str | Path) -> bool:
    """A NIfTI path with an ``axis`` and no ``slice``: every slice along that axis, written back as one volume."""
    text = str(source)
    if Path(text).exists() or not text.lower().rpartition(":")[0].endswith(NIFTI_SUFFIXES):
        return False
    _, options = split_options(text)
    return "axis" in options and "slice" not in options


def nifti_slices(source: str | Path) -> list[str]:
    """The option suffixes ``axis=A,slice=K`` of every slice of a whole-volume NIfTI source (zero-padded, so
    the slices' output folders sort in order), from its header alone."""
    file, options = split_options(source)
    axis = options["axis"]
    if axis not in (0, 1, 2):
        raise InputError(f"{file}: axis={axis}; use 0, 1 or 2")
    count = nifti_shape(file)[axis]
    width = len(str(count - 1))
    return [f"slice={index:0{width}d}" for index in range(count)]


def dicom_series(files: Sequence[Path]) -> dict[Path, VolumePart]:
    """The DICOM files among ``files`` that belong to a series of two or more single-frame images, each with
    its place in the series (sorted by position along the slice normal, else by instance number, else by
    name). Files that pydicom cannot read as headers are left alone (reading them later names the problem)."""
    try:
        import pydicom
    except ImportError:
        return {}
    groups: dict[str, list[tuple[tuple[float, float, str], Path]]] = {}
    for file in files:
        if not file.name.lower().endswith(DICOM_SUFFIXES):
            continue
        try:
            header = pydicom.dcmread(file, stop_before_pixels=True)
            frames = int(header.get("NumberOfFrames") or 1)
            uid = str(header.SeriesInstanceUID)
        except Exception:  # noqa: BLE001 - not a series member; its own read reports why
            continue
        if frames == 1 and uid:
            groups.setdefault(uid, []).append((_order(header, file), file))
    parts: dict[Path, VolumePart] = {}
    for uid, members in groups.items():
        if len(members) < 2:
            continue
        name = f"series-{hashlib.sha256(uid.encode()).hexdigest()[:8]}"
        for index, (_, file) in enumerate(sorted(members)):
            parts[file] = VolumePart(name, index, len(members))
    return parts


def _order(header: Any, file: Path) -> tuple[float, float, str]:
    """A file's place in its series: its position along the slice normal, its instance number, its name."""
    position = np.nan
    try:
        orientation = np.asarray([float(v) for v in header.ImageOrientationPatient])
        origin = np.asarray([float(v) for v in header.ImagePositionPatient])
        position = float(origin @ np.cross(orientation[:3], orientation[3:]))
    except (AttributeError, TypeError, ValueError):
        pass
    try:
        instance = float(header.get("InstanceNumber"))
    except (TypeError, ValueError):
        instance = np.nan
    return (0.0 if np.isnan(position) else position, 0.0 if np.isnan(instance) else instance, file.name)


def volume_files(slices: Sequence[tuple[np.ndarray, dict[str, Any]]], description: str) -> tuple[dict[str, bytes],
                                                                                                list[str]]:
    """The volume's files from its slices in order, each ``[H, W]`` in [-1, 1] at its input slice's size with
    that slice's record (:func:`~invgen.io.medical.read_medical`'s): ``reconstruction.nii.gz``, or
    ``slice_0000.dcm``... of one derived series; and notes."""
    if slices[0][1]["format"] == "nifti":
        return {"reconstruction.nii.gz": _nifti_volume(slices)}, []
    from pydicom.uid import generate_uid

    series = generate_uid()
    files, notes = {}, []
    for index, (unit, record) in enumerate(slices):
        values, window = to_file_units(unit, record)
        data, more = dicom_bytes(values, record, window, f"invgen reconstruction: {description}", series)
        files[f"slice_{index:04d}.dcm"] = data
        notes.extend(note for note in more if note not in notes)
    return files, notes


def _nifti_volume(slices: Sequence[tuple[np.ndarray, dict[str, Any]]]) -> bytes:
    """The input volume's affine and header with every slice along the axis replaced by its reconstruction."""
    import nibabel

    first = slices[0][1]
    source = nibabel.load(first["path"])
    data = np.zeros(first["volume_shape"], dtype=np.float32)
    for unit, record in slices:
        where: list[Any] = [slice(None)] * 3
        where[record["axis"]] = record["slice"]
        data[tuple(where)] = to_file_units(unit, record)[0]
    header = source.header.copy()
    header.set_data_dtype(np.float32)
    written = type(source)(data, source.affine, header)
    written.header.set_slope_inter(1, 0)
    return gzip.compress(written.to_bytes(), mtime=0)

