"""Acquired k-space in fastMRI's HDF5 layout as an observation (``h5py``, in the ``medical`` extra).

The file holds ``kspace``: complex ``[slices, coils, H, W]`` (multi-coil) or ``[slices, H, W]`` (single coil),
centred (the zero frequency at ``[H // 2, W // 2]``); optionally ``reconstruction_rss`` ``[slices, h, w]``, a
``max`` attribute (the largest magnitude of the reconstructed volume) and ``ismrmrd_header``, the
acquisition's ISMRMRD XML, whose encoded and reconstructed matrix sizes are recorded (and the encoded size
checked against the k-space). ``file.h5:slice=K`` takes one slice (default: the middle one), read alone.

The observation is ``[1, 2N, H, W]``: the ``(Re, Im)`` pair of each coil's k-space (the layout of complex
``.npy`` inputs), divided by the file's scale, so that the brightest magnitude of the image is 1: what a
k-space forward model that sees the image as a magnitude in [0, 1] predicts. The scale is the ``max``
attribute, else the largest value of the slice's ``reconstruction_rss``, else the largest root-sum-of-squares
of the slice's own inverse FFT (exact for fully sampled data); ``run.json`` records which.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from invgen.errors import InputError
from invgen.io.limits import MAX_PIXELS
from invgen.io.medical import split_options

KSPACE_SUFFIXES = (".h5", ".hdf5")
MAX_COILS = 128


def is_kspace_file(path: str | Path) -> bool:
    """A fastMRI-layout HDF5 file name (``:slice=K`` after it allowed)."""
    text = str(path)
    base = text if Path(text).exists() or ":" not in text else text.rpartition(":")[0]
    return base.lower().endswith(KSPACE_SUFFIXES)


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:
        raise InputError("reading k-space .h5 files needs h5py: pip install 'invgen-core[medical]'") from None
    return h5py


def read_kspace_file(path: str | Path) -> tuple[Tensor, dict[str, Any]]:
    """``[1, 2N, H, W]`` float32 observation of one slice and the record of how it was read (module docstring)."""
    file, options = split_options(path)
    if set(options) - {"slice"}:
        raise InputError(f"{path}: a k-space file takes slice=K after ':' (no {', '.join(sorted(set(options) - {'slice'}))})")
    if not file.is_file():
        raise InputError(f"{file}: no such file")
    h5py = _h5py()
    try:
        with h5py.File(file, "r") as opened:
            return _read(opened, file, options)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - h5py raises many types for damaged files
        raise InputError(f"{file}: not a readable HDF5 k-space file ({type(error).__name__}: {error})") from None


def _read(opened: Any, file: Path, options: dict[str, int]) -> tuple[Tensor, dict[str, Any]]:
    if "kspace" not in opened:
        raise InputError(f"{file}: holds no 'kspace' dataset (fastMRI layout: complex [slices, coils, H, W])")
    data = opened["kspace"]
    if data.ndim not in (3, 4) or not np.issubdtype(data.dtype, np.complexfloating):
        raise InputError(f"{file}: 'kspace' is {data.dtype} of shape {data.shape}; fastMRI's layout is complex "
                         "[slices, coils, H, W] or [slices, H, W]")
    slices, height, width = data.shape[0], data.shape[-2], data.shape[-1]
    coils = data.shape[1] if data.ndim == 4 else 1
    if height * width > MAX_PIXELS or coils > MAX_COILS:
        raise InputError(f"{file}: {coils} coils of {height}x{width} is more than invgen reads "
                         f"({MAX_COILS} coils, {MAX_PIXELS // 10**6} million samples each)")
    index = options.get("slice", slices // 2)
    if not 0 <= index < slices:
        raise InputError(f"{file}: slice={index} but the file has {slices} slices (0..{slices - 1})")
    k = np.asarray(data[index], dtype=np.complex128).reshape(coils, height, width)  # this slice only
    if not np.isfinite(k).all():
        raise InputError(f"{file}: slice {index} holds NaN or infinite k-space values")
    scale, source = _scale(opened, k, index)
    record: dict[str, Any] = {"format": "fastmri", "path": str(file), "slice": index, "slices": slices,
                              "coils": coils, "size": [height, width], "scale": scale, "scale_source": source}
    for key in ("acquisition", "patient_id"):
        if key in opened.attrs:
            record[key] = _text(opened.attrs[key])
    if "ismrmrd_header" in opened:
        record.update(_header(_text(opened["ismrmrd_header"][()]), file, (height, width)))
    k = k / scale
    pairs = np.stack([k.real, k.imag], axis=1).reshape(2 * coils, height, width)
    return torch.from_numpy(pairs.astype(np.float32))[None], record


def _scale(opened: Any, k: np.ndarray, index: int) -> tuple[float, str]:
    """What the k-space is divided by, and where it came from (module docstring)."""
    candidates = []
    if "max" in opened.attrs:
        candidates.append((opened.attrs["max"], "the file's max attribute"))
    if "reconstruction_rss" in opened and opened["reconstruction_rss"].ndim == 3:
        candidates.append((np.abs(opened["reconstruction_rss"][index]).max(), "reconstruction_rss of the slice"))
    images = np.fft.ifft2(np.fft.ifftshift(k, axes=(-2, -1)), norm="ortho")
    candidates.append((np.sqrt((np.abs(images) ** 2).sum(0)).max(), "root-sum-of-squares of the slice"))
    for value, source in candidates:
        try:
            number = float(np.asarray(value).reshape(-1)[0])
        except (TypeError, ValueError, IndexError):
            continue
        if math.isfinite(number) and number > 0:
            return number, source
    raise InputError("the k-space slice is all zeros: nothing was acquired there")


def _header(text: str, file: Path, size: tuple[int, int]) -> dict[str, Any]:
    """The encoded and reconstructed matrix sizes of an ISMRMRD header (its namespace or none); the encoded
    size must be the k-space's."""
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise InputError(f"{file}: its ismrmrd_header is not XML ({error})") from None
    found: dict[str, Any] = {}
    for space, key in (("encodedSpace", "encoded_matrix"), ("reconSpace", "recon_matrix")):
        matrix = next((element for element in root.iter() if _local(element.tag) == space), None)
        sizes = None if matrix is None else next((e for e in matrix if _local(e.tag) == "matrixSize"), None)
        if sizes is not None:
            found[key] = [int(_child(sizes, axis, file)) for axis in ("x", "y", "z")]
    encoded = found.get("encoded_matrix")
    if encoded is not None and tuple(encoded[:2]) != size:
        raise InputError(f"{file}: the header's encoded matrix is {encoded[0]}x{encoded[1]} but 'kspace' is "
                         f"{size[0]}x{size[1]}; the file is inconsistent")
    return found


def _child(element: ElementTree.Element, name: str, file: Path) -> str:
    for child in element:
        if _local(child.tag) == name and child.text and child.text.strip().isdigit():
            return child.text.strip()
    raise InputError(f"{file}: its ismrmrd_header's matrixSize has no whole-number {name}")


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
