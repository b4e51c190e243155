"""DICOM and NIfTI in and out (the optional ``invgen-core[medical]`` extra: pydicom, nibabel).

In: the file's values in its own units (DICOM: after the modality LUT, e.g. Hounsfield units; NIfTI:
the scaled voxel values), then a window ``[center - width/2, center + width/2]`` mapped linearly to
[-1, 1] (values outside it are clipped). The window is the user's (``--window CENTER,WIDTH``), else
the DICOM file's own VOI window, else the image's minimum and maximum. ``MONOCHROME1`` images (high
values shown dark) are inverted so that every image looks as it is displayed. What was done is the
*record* (``run.json``'s ``medical``), from which the output is written back in the input's units:
a derived DICOM (patient and study kept; new series and instance UIDs; ``ImageType`` DERIVED;
geometry kept when the size matches), or the NIfTI volume with the reconstructed slice written into
a copy of it (same affine and header).

Options after the path: ``scan.dcm:frame=3`` (a frame of a multi-frame file), ``vol.nii.gz:axis=2,slice=40``
(default: the middle slice along the last axis); ``vol.nii.gz:axis=2`` alone is every slice, a volume
(:mod:`invgen.io.volumes`).
"""

from __future__ import annotations

import gzip
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from invgen.errors import InputError, UsageError
from invgen.io.limits import MAX_PIXELS, MAX_VOXELS

DICOM_SUFFIXES = (".dcm", ".dicom")
NIFTI_SUFFIXES = (".nii", ".nii.gz")
OPTIONS = {"frame", "axis", "slice"}


def is_medical(path: str | Path) -> bool:
    """A DICOM or NIfTI file name (options after ``:`` allowed)."""
    return _base(path).lower().endswith(DICOM_SUFFIXES + NIFTI_SUFFIXES)


def _base(path: str | Path) -> str:
    """The file part of ``path``: all of it when it exists as written, else what stands before the last ``:``."""
    text = str(path)
    return text if Path(text).exists() or ":" not in text else text.rpartition(":")[0]


def split_options(path: str | Path) -> tuple[Path, dict[str, int]]:
    """``file.dcm:frame=3`` -> (``file.dcm``, ``{"frame": 3}``); a path that exists as written has no options."""
    text, base = str(path), _base(path)
    if base == text:
        return Path(text), {}
    options = text[len(base) + 1:]
    values: dict[str, int] = {}
    for item in options.split(","):
        key, sep, value = item.partition("=")
        if not sep or key.strip() not in OPTIONS or not value.strip().lstrip("-").isdigit():
            raise InputError(f"{text}: options after ':' are frame=N (DICOM) or axis=A,slice=N (NIfTI)")
        values[key.strip()] = int(value)
    return Path(base), values


@dataclass(frozen=True)
class Window:
    """The values mapped to [-1, 1]: ``[center - width / 2, center + width / 2]``."""

    center: float
    width: float

    @classmethod
    def parse(cls, text: str) -> "Window":
        parts = text.split(",")
        try:
            center, width = (float(part) for part in parts)
        except ValueError:
            raise UsageError(f"--window {text!r}: give CENTER,WIDTH in the file's units, e.g. --window 40,400") from None
        if not (math.isfinite(center) and math.isfinite(width)):
            raise UsageError(f"--window {text!r}: give finite numbers, e.g. --window 40,400")
        if not width > 0:
            raise UsageError(f"--window {text!r}: the width must be > 0")
        return cls(center, width)

    @property
    def low(self) -> float:
        return self.center - self.width / 2

    def to_unit(self, values: np.ndarray) -> np.ndarray:
        return np.clip((values - self.low) / self.width, 0.0, 1.0) * 2 - 1

    def from_unit(self, image: np.ndarray) -> np.ndarray:
        return self.low + (image + 1) / 2 * self.width


def read_medical(path: str | Path, window: Window | None = None,
                 full_range: bool = False) -> tuple[Tensor, dict[str, Any]]:
    """``[1, 1, H, W]`` in [-1, 1] from a DICOM or NIfTI input, and the record of how (module docstring).
    ``full_range`` maps the image's minimum and maximum when no window is given, not the file's own window, so
    that nothing is clipped (``invgen corrupt``: the observation keeps every value)."""
    file, options = split_options(path)
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    if file.name.lower().endswith(DICOM_SUFFIXES):
        values, record = _read_dicom(file, options, window)
    else:
        values, record = _read_nifti(file, options)
    chosen = window or (None if full_range else _file_window(record)) or _min_max(values)
    image = chosen.to_unit(values)
    if record.get("photometric") == "MONOCHROME1":
        image = -image
    record["window"] = {"center": chosen.center, "width": chosen.width,
                        "source": "option" if window else record.pop("window_source", "min-max")}
    return torch.from_numpy(image.astype(np.float32))[None, None], record


def _min_max(values: np.ndarray) -> Window:
    low, high = float(values.min()), float(values.max())
    return Window((low + high) / 2, max(high - low, 1e-6))


def _file_window(record: dict[str, Any]) -> Window | None:
    found = record.get("file_window")
    if found is None:
        return None
    record["window_source"] = "file"
    return Window(*found)


def _pydicom() -> Any:
    try:
        import pydicom
    except ImportError:
        raise InputError("reading DICOM needs pydicom: pip install 'invgen-core[medical]'") from None
    return pydicom


def _read_dicom(file: Path, options: dict[str, int], window: Window | None) -> tuple[np.ndarray, dict[str, Any]]:
    pydicom = _pydicom()
    from pydicom.pixels import pixel_array

    try:
        dataset = pydicom.dcmread(file)
    except Exception as error:  # noqa: BLE001 - pydicom raises many types for damaged files
        raise InputError(f"{file}: not a readable DICOM image ({type(error).__name__}: {error})") from None
    frames = _tag_whole(dataset, "NumberOfFrames", file, default=1, low=1)
    rows, columns = (_tag_whole(dataset, keyword, file, default=0, low=1) for keyword in ("Rows", "Columns"))
    if rows * columns > MAX_PIXELS:  # from the header: checked before anything is decoded
        raise InputError(f"{file}: {columns}x{rows} pixels is more than invgen reads ({MAX_PIXELS // 10**6} million)")
    frame = options.get("frame", 0)
    if not 0 <= frame < frames:
        raise InputError(f"{file}: frame={frame} but the file has {frames} frame(s) (0..{frames - 1})")
    try:  # only the frame asked for is decoded
        pixels = pixel_array(dataset, index=frame if frames > 1 else None)
    except Exception as error:  # noqa: BLE001 - damaged or compressed pixel data fails in many ways
        raise InputError(f"{file}: not a readable DICOM image ({type(error).__name__}: {error}); compressed "
                         "transfer syntaxes need pydicom's optional decoders") from None
    photometric = str(dataset.get("PhotometricInterpretation", "MONOCHROME2"))
    if pixels.ndim != 2 or not photometric.startswith("MONOCHROME"):
        raise InputError(f"{file}: a {photometric} image of shape {pixels.shape}; invgen reads greyscale DICOM")
    values = _modality_values(pixels, dataset, file)
    record: dict[str, Any] = {"format": "dicom", "path": str(file), "frame": frame if frames > 1 else None,
                              "photometric": photometric, "size": list(values.shape),
                              "stored_dtype": str(pixels.dtype)}
    if window is None and "WindowCenter" in dataset and "WindowWidth" in dataset:
        center, width = (_tag_number(dataset, keyword, file, first=True) for keyword in ("WindowCenter", "WindowWidth"))
        if width > 0:
            record["file_window"] = [center, width]
    return values, record


def _modality_values(pixels: np.ndarray, dataset: Any, file: Path) -> np.ndarray:
    """The stored values in the file's units: the linear rescale (slope and intercept), or its modality LUT."""
    if "ModalityLUTSequence" in dataset:
        from pydicom.pixels import apply_modality_lut

        try:
            return np.asarray(apply_modality_lut(pixels, dataset), dtype=np.float64)
        except Exception as error:  # noqa: BLE001 - a damaged lookup table
            raise InputError(f"{file}: its ModalityLUTSequence is damaged ({type(error).__name__}: {error})") from None
    slope = _tag_number(dataset, "RescaleSlope", file, default=1.0)
    if slope == 0:
        raise InputError(f"{file}: tag RescaleSlope is 0; the file is damaged (fix the tag, usually 1)")
    return pixels.astype(np.float64) * slope + _tag_number(dataset, "RescaleIntercept", file, default=0.0)


def _tag_number(dataset: Any, keyword: str, file: Path, default: float | None = None, first: bool = False) -> float:
    """A finite number from tag ``keyword`` (the first of a multi-value when ``first``), ``default`` when absent
    or empty, or a one-line error naming the file and the tag."""
    from pydicom.multival import MultiValue

    value = dataset.get(keyword)
    if value is None or value == "":
        if default is None:
            raise InputError(f"{file}: tag {keyword} is missing")
        return default
    if first and isinstance(value, (MultiValue, list, tuple)) and len(value):
        value = value[0]
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = float("nan")
    if not np.isfinite(number):
        raise InputError(f"{file}: tag {keyword} is {str(value)!r}, not a finite number; the file is damaged "
                         "(fix the tag or give --window)")
    return number


def _tag_whole(dataset: Any, keyword: str, file: Path, default: int, low: int) -> int:
    """A whole number of at least ``low`` from tag ``keyword`` (``default`` when absent), or a one-line error."""
    value = dataset.get(keyword)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = low - 1
    if number < low:
        raise InputError(f"{file}: tag {keyword} is {str(value)!r}, not a whole number >= {low}; the file is damaged")
    return number


def _nibabel() -> Any:
    try:
        import nibabel
    except ImportError:
        raise InputError("reading NIfTI needs nibabel: pip install 'invgen-core[medical]'") from None
    return nibabel


def nifti_shape(file: Path) -> tuple[int, int, int]:
    """A NIfTI file's shape as 3-D, from its header alone (:func:`_volume_shape`'s checks)."""
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    try:
        return _volume_shape(tuple(int(side) for side in _nibabel().load(str(file)).shape), file)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001
        raise InputError(f"{file}: not a readable NIfTI file ({type(error).__name__}: {error})") from None


def _read_nifti(file: Path, options: dict[str, int]) -> tuple[np.ndarray, dict[str, Any]]:
    """One slice, read from the file without loading the volume (nibabel's array proxy), in the file's units."""
    nibabel = _nibabel()
    try:
        volume = nibabel.load(str(file))
        shape = _volume_shape(tuple(int(side) for side in volume.shape), file)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001
        raise InputError(f"{file}: not a readable NIfTI file ({type(error).__name__}: {error})") from None
    axis = options.get("axis", 2)
    if axis not in (0, 1, 2):
        raise InputError(f"{file}: axis={axis}; use 0, 1 or 2")
    index = options.get("slice", shape[axis] // 2)
    if not 0 <= index < shape[axis]:
        raise InputError(f"{file}: slice={index} but axis {axis} has {shape[axis]} slices")
    where: list[Any] = [slice(None)] * 3
    where[axis] = index
    try:
        if len(volume.shape) == 2:  # one slice: read whole
            values = np.take(np.asarray(volume.dataobj, dtype=np.float64)[:, :, None], index, axis=axis)
        else:
            values = np.asarray(volume.dataobj[tuple(where) + (0,) * (len(volume.shape) - 3)], dtype=np.float64)
    except Exception as error:  # noqa: BLE001 - truncated or damaged voxel data
        raise InputError(f"{file}: not a readable NIfTI file ({type(error).__name__}: {error})") from None
    if not np.isfinite(values).all():
        raise InputError(f"{file}: slice {index} along axis {axis} holds NaN or infinite values")
    return values, {"format": "nifti", "path": str(file), "axis": axis, "slice": index, "size": list(values.shape),
                    "volume_shape": list(shape)}


def _volume_shape(shape: tuple[int, ...], file: Path) -> tuple[int, int, int]:
    """The header's shape as 3-D (a 2-D image has one slice; trailing sides of 1 dropped), within :data:`MAX_VOXELS`."""
    while len(shape) > 3 and shape[-1] == 1:
        shape = shape[:-1]
    if len(shape) == 2:
        shape = (*shape, 1)
    if len(shape) != 3:
        raise InputError(f"{file}: a {len(shape)}-D volume; invgen reads 2-D and 3-D NIfTI")
    voxels = shape[0] * shape[1] * shape[2]
    if voxels > MAX_VOXELS:
        raise InputError(f"{file}: a {'x'.join(map(str, shape))} volume ({voxels:,} voxels) is more than invgen "
                         f"opens ({MAX_VOXELS:,}); crop it or extract the slice first")
    return shape


def write_medical(image: Tensor, record: dict[str, Any], description: str,
                  kind: str = "reconstruction") -> tuple[str, bytes, list[str]]:
    """The ``kind`` (a reconstruction, or an observation of ``invgen corrupt``) ``[1, 1, H, W]`` in [-1, 1] back
    in the input's format and units: (file name, bytes, notes). The window of the record is inverted; clipped
    values stay at the window's edges. A NIfTI reconstruction goes into a copy of the input volume; an
    observation is a volume of its own, one slice thick, at the input slice's place (its affine)."""
    values, window = to_file_units(image.detach().float().cpu()[0, 0].numpy(), record)
    if record["format"] == "dicom":
        return f"{kind}.dcm", *dicom_bytes(values, record, window, f"invgen {kind}: {description}")
    if kind == "observation":
        return f"{kind}.nii.gz", *_write_nifti_slice(values, record)
    return f"{kind}.nii.gz", *_write_nifti(values, record)


def to_file_units(unit: np.ndarray, record: dict[str, Any]) -> tuple[np.ndarray, Window]:
    """An ``[H, W]`` image in [-1, 1] in the input's units (float64) by the record's window, and that window."""
    unit = np.asarray(unit, dtype=np.float64)
    if record.get("photometric") == "MONOCHROME1":
        unit = -unit
    window = Window(record["window"]["center"], record["window"]["width"])
    return window.from_unit(unit), window


def dicom_bytes(values: np.ndarray, record: dict[str, Any], window: Window, description: str,
                series_uid: str | None = None) -> tuple[bytes, list[str]]:
    """A derived DICOM of ``values`` (the input's units) from the input file of ``record``: patient and study
    kept, a new instance UID, in ``series_uid`` (a new series when None), geometry kept when the size
    matches; and notes."""
    pydicom = _pydicom()
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    dataset = pydicom.dcmread(record["path"])
    slope = _tag_number(dataset, "RescaleSlope", Path(record["path"]), default=1.0)  # not 0: refused on reading
    intercept = _tag_number(dataset, "RescaleIntercept", Path(record["path"]), default=0.0)
    dtype = np.dtype(record["stored_dtype"]).newbyteorder("<")
    info = np.iinfo(dtype) if np.issubdtype(dtype, np.integer) else None
    stored = (values - intercept) / slope
    stored = np.clip(np.round(stored), info.min, info.max) if info is not None else stored
    notes = []
    if list(values.shape) != record["size"]:
        for keyword in ("PixelSpacing", "ImagerPixelSpacing", "ImagePositionPatient", "ImageOrientationPatient"):
            if keyword in dataset:
                delattr(dataset, keyword)
        notes.append(f"DICOM geometry tags dropped: the reconstruction is {values.shape[0]}x{values.shape[1]}, the "
                     f"input {record['size'][0]}x{record['size'][1]} (--resize --restore-size keeps them)")
    for keyword in ("NumberOfFrames", "PerFrameFunctionalGroupsSequence", "FrameIncrementPointer"):
        if keyword in dataset:
            delattr(dataset, keyword)
    dataset.Rows, dataset.Columns = values.shape
    dataset.PixelData = np.ascontiguousarray(stored.astype(dtype)).tobytes()
    dataset.SeriesInstanceUID = series_uid or generate_uid()
    dataset.SOPInstanceUID = generate_uid()
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    dataset.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset.ImageType = ["DERIVED", "SECONDARY", "INVGEN"]
    dataset.SeriesDescription = description[:64]
    dataset.DerivationDescription = description[:1024]
    dataset.WindowCenter, dataset.WindowWidth = window.center, window.width
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue(), notes


def _write_nifti(values: np.ndarray, record: dict[str, Any]) -> tuple[bytes, list[str]]:
    nibabel = _nibabel()
    if list(values.shape) != record["size"]:
        raise InputError(f"the reconstruction is {values.shape[0]}x{values.shape[1]} but the NIfTI slice is "
                         f"{record['size'][0]}x{record['size'][1]}; pass --resize --restore-size to write it back")
    volume = nibabel.load(record["path"])
    data = np.asarray(volume.dataobj, dtype=np.float32).reshape(record["volume_shape"])
    index = [slice(None)] * 3
    index[record["axis"]] = record["slice"]
    data[tuple(index)] = values
    header = volume.header.copy()
    header.set_data_dtype(np.float32)
    written = type(volume)(data, volume.affine, header)
    written.header.set_slope_inter(1, 0)
    return gzip.compress(written.to_bytes(), mtime=0), []


def _write_nifti_slice(values: np.ndarray, record: dict[str, Any]) -> tuple[bytes, list[str]]:
    """One slice as a volume of its own, ``[H, W, 1]`` (read back without options), its voxels where the input
    slice was: the input's affine with the slice axis last and its origin moved to the slice (a down-sampled
    observation's in-plane spacing scaled to cover the same field of view)."""
    nibabel = _nibabel()
    source = np.array(nibabel.load(record["path"]).affine, dtype=np.float64)
    shape, axis = list(record["volume_shape"]), record["axis"]
    plane = [other for other in range(3) if other != axis]
    affine = np.eye(4)
    affine[:3, 3] = source[:3, 3] + source[:3, axis] * record["slice"]
    for column, (other, size) in enumerate(zip(plane, values.shape)):
        factor = shape[other] / size
        affine[:3, column] = source[:3, other] * factor
        affine[:3, 3] += source[:3, other] * (factor - 1) / 2  # a coarse voxel's centre: the middle of its fine ones
    affine[:3, 2] = source[:3, axis]
    written = nibabel.Nifti1Image(values.astype(np.float32)[:, :, None], affine)
    written.header.set_slope_inter(1, 0)
    notes = [] if list(values.shape) == record["size"] else [
        f"the observation is {values.shape[0]}x{values.shape[1]}, the input slice {record['size'][0]}x"
        f"{record['size'][1]}: its voxel spacing is scaled to cover the same field of view"]
    return gzip.compress(written.to_bytes(), mtime=0), notes
