"""Images at the edges of the engine: files <-> tensors ``[1, C, H, W]`` in [-1, 1].

Readable: PNG/JPEG/BMP/TIFF (through Pillow) and ``.npy`` (uint8 in 0..255 or floats in [0, 1];
shaped ``H x W``, ``H x W x C`` or ``C x H x W``; pickles refused). Observations are not images and
keep their values: an ``.npz`` with an ``observation`` array ``[C, H, W]`` in invgen's units (what
``invgen corrupt`` writes, unclipped), and a *complex* ``.npy`` (``H x W`` or ``C x H x W``, e.g.
k-space), read as ``(Re, Im)`` channel pairs ``[1, 2C, H, W]``. Writes are atomic (a temporary file
renamed into place), so a failure never leaves a partial file.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from invgen.io.atomic import write_atomic
from invgen.io.limits import MAX_ARRAY_VALUES, MAX_PIXELS
from invgen.errors import InputError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"}
OBSERVATION_SUFFIX = ".npz"


def load_input(path: str | Path, channels: int | None = None,
               window: Any = None) -> tuple[Tensor, dict[str, Any] | None]:
    """:func:`load_image`, and for DICOM and NIfTI inputs the record of their windowing (:mod:`invgen.io.medical`;
    ``window`` a :class:`~invgen.io.medical.Window` or None for the file's own), for k-space files how they
    were read (:mod:`invgen.io.kspace_files`)."""
    from invgen.io.kspace_files import is_kspace_file, read_kspace_file
    from invgen.io.medical import is_medical, read_medical

    if is_kspace_file(path):
        return read_kspace_file(path)
    if not is_medical(path):
        image = load_image(path, channels)
        suffix = Path(path).suffix.lower()
        if suffix in (".png", ".tif", ".tiff") and image.shape[1] == 1 and _sixteen_bits(Path(path)):
            return image, {"format": "png" if suffix == ".png" else "tiff", "bits": 16}
        return image, None
    image, record = read_medical(path, window)
    if channels is not None and channels != 1:
        image = _convert_channels(image, channels, Path(path))
    return image, record


def load_image(path: str | Path, channels: int | None = None) -> Tensor:
    """Read an image file as ``[1, C, H, W]`` float32 in [-1, 1], converted to ``channels`` if given (DICOM and
    NIfTI through their window, see :func:`load_input`)."""
    from invgen.io.kspace_files import is_kspace_file
    from invgen.io.medical import is_medical

    if is_medical(path) or is_kspace_file(path):
        return load_input(path, channels)[0]
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix == OBSERVATION_SUFFIX:
        return _read_observation(path)
    if suffix == ".npy":
        array = _read_npy(path)
        if np.iscomplexobj(array):
            return _complex_channels(array, path)
    elif suffix in IMAGE_SUFFIXES:
        array = _read_picture(path, channels)
    else:
        raise InputError(f"{path}: unsupported image type {suffix!r} (use PNG, JPEG, TIFF or .npy)")
    image = torch.from_numpy(array).permute(2, 0, 1).unsqueeze(0)
    if channels is not None and image.shape[1] != channels:
        image = _convert_channels(image, channels, path)
    return image * 2.0 - 1.0


def _sixteen_bits(path: Path) -> bool:
    from PIL import Image

    with Image.open(path) as picture:
        return picture.mode.startswith("I;16")


@contextmanager
def open_picture(path: str | Path, what: str = "image") -> Iterator[Any]:
    """A Pillow image whose size, read from the file's header, is within :data:`MAX_PIXELS` (checked before
    anything is decoded); any failure to open or decode it inside the block is a one-line :class:`InputError`
    naming the file. Every picture invgen reads (images, masks, kernels, uploads) is opened through here."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # Pillow's warning of a large picture: the size is checked here instead
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            picture = Image.open(path)
        with picture:
            width, height = picture.size
            if width * height > MAX_PIXELS:
                raise InputError(f"{path}: {width}x{height} pixels is more than invgen reads ({MAX_PIXELS // 10**6} "
                                 f"million); shrink or crop the {what} first")
            yield picture
    except Image.DecompressionBombError:
        raise InputError(f"{path}: too many pixels to decode safely (a decompression bomb?); shrink it first") from None
    except (UnidentifiedImageError, OSError, SyntaxError) as error:
        raise InputError(f"{path}: not a readable {what} ({error})") from None


def _read_picture(path: Path, channels: int | None) -> np.ndarray:
    with open_picture(path) as picture:
        picture.load()
        if picture.mode.startswith("I;16"):  # 16-bit grayscale, common for medical images
            return np.asarray(picture, dtype=np.float32)[:, :, None] / 65535.0
        grey = channels == 1 or (channels is None and picture.mode in ("1", "L", "LA", "I", "F"))
        array = np.asarray(picture.convert("L" if grey else "RGB"), dtype=np.float32) / 255.0
    return array[:, :, None] if array.ndim == 2 else array


def load_array(path: str | Path, what: str = "array") -> np.ndarray:
    """A plain numeric (or complex) ``.npy`` array, or a one-line :class:`InputError` naming the file and
    what is wrong: missing, empty or damaged, pickled objects (refused, never loaded), not numbers. ``what``
    names the array in messages (``kernel``, ``mask``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such {what} file")
    _check_npy_header(path, what)
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        if "pickle" in str(error):
            raise InputError(f"{path}: refused, it holds pickled objects; save a plain numeric array") from None
        raise InputError(f"{path}: not a plain numeric .npy {what} ({error})") from None
    except (OSError, EOFError) as error:
        raise InputError(f"{path}: not a plain numeric .npy {what} ({error})") from None
    if not (np.issubdtype(array.dtype, np.number) or np.issubdtype(array.dtype, np.bool_)):
        raise InputError(f"{path}: the {what} must be numeric, not {array.dtype}")
    return array


def _check_npy_header(path: Path, what: str) -> None:
    """From the header alone: a ``.npy`` file whose shape is within :data:`MAX_ARRAY_VALUES` and whose data the
    file really holds, so that a tiny file cannot make :func:`numpy.load` allocate gigabytes."""
    from numpy.lib import format as npy

    with open(path, "rb") as stream:
        if stream.read(6) != b"\x93NUMPY":
            raise InputError(f"{path}: not a .npy file (it lacks NumPy's header); save the {what} with numpy.save")
        stream.seek(0)
        try:
            major, _ = npy.read_magic(stream)
            read_header = npy.read_array_header_1_0 if major == 1 else npy.read_array_header_2_0
            shape, _, dtype = read_header(stream)
        except (ValueError, OSError, EOFError) as error:
            raise InputError(f"{path}: not a plain numeric .npy {what} ({error})") from None
        values = int(np.prod(shape, dtype=object))
        if values > MAX_ARRAY_VALUES:
            raise InputError(f"{path}: shape {tuple(shape)} is more than invgen reads in one {what} "
                             f"({MAX_ARRAY_VALUES:,} values)")
        if not dtype.hasobject and values * dtype.itemsize > path.stat().st_size - stream.tell():
            raise InputError(f"{path}: truncated .npy {what}: its header declares shape {tuple(shape)} of {dtype}, "
                             "more than the file holds")


def _read_npy(path: Path) -> np.ndarray:
    array = load_array(path, "image")
    if np.iscomplexobj(array):
        return array
    if array.dtype == np.uint8:
        array = array.astype(np.float32) / 255.0
    elif np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float32)
        if not np.isfinite(array).all() or array.min() < -1e-6 or array.max() > 1 + 1e-6:
            raise InputError(f"{path}: float images must hold finite values in [0, 1] (0..255 data: divide by "
                             f"255; other observations: an .npz as invgen corrupt writes)")
    else:
        raise InputError(f"{path}: dtype {array.dtype} is not supported (use uint8, floats on the [0, 1] scale, "
                         "or complex data)")
    if array.ndim == 2:
        return array[:, :, None]
    if array.ndim == 3 and array.shape[0] in (1, 3) and array.shape[2] not in (1, 3):
        return np.ascontiguousarray(array.transpose(1, 2, 0))
    if array.ndim == 3:
        return array
    raise InputError(f"{path}: expected an H x W or H x W x C array, got shape {array.shape}")


def _complex_channels(array: np.ndarray, path: Path) -> Tensor:
    """Complex ``H x W`` or ``C x H x W`` -> ``[1, 2C, H, W]`` float32 (Re, Im of each channel), values kept."""
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or not np.isfinite(array).all():
        raise InputError(f"{path}: complex data must be a finite H x W or C x H x W array, got shape {array.shape}")
    pairs = np.stack([array.real, array.imag], axis=1).reshape(-1, *array.shape[1:])
    return torch.from_numpy(pairs.astype(np.float32)).unsqueeze(0)


def save_observation(path: str | Path, values: Tensor) -> None:
    """Write an observation ``[C, H, W]`` as ``.npz`` (array ``observation``, float32, invgen's units), unclipped
    and atomically; :func:`load_image` reads it back as it was."""
    buffer = io.BytesIO()
    np.savez(buffer, observation=values.detach().float().cpu().numpy())
    write_atomic(path, buffer.getvalue())


def _read_observation(path: Path) -> Tensor:
    try:
        with np.load(path, allow_pickle=False) as archive:
            array = archive["observation"] if "observation" in archive.files else None
    except (ValueError, OSError, EOFError, KeyError) as error:
        raise InputError(f"{path}: not a readable .npz observation ({error})") from None
    if array is None or array.ndim != 3 or not np.issubdtype(array.dtype, np.floating) or not np.isfinite(array).all():
        raise InputError(f"{path}: an .npz observation needs a finite float array 'observation' [C, H, W] "
                         "(as invgen corrupt writes)")
    return torch.from_numpy(array.astype(np.float32)).unsqueeze(0)


def _convert_channels(image: Tensor, channels: int, path: Path) -> Tensor:
    if image.shape[1] == 3 and channels == 1:
        weights = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
        return (image * weights).sum(1, keepdim=True)
    if image.shape[1] == 1 and channels == 3:
        return image.expand(-1, 3, -1, -1).clone()
    raise InputError(f"{path}: has {image.shape[1]} channels, the generator needs {channels}")


def to_uint8(image: Tensor) -> np.ndarray:
    """``[C, H, W]`` in [-1, 1] -> ``H x W`` (one channel) or ``H x W x C`` uint8."""
    array = ((image.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().byte().numpy()
    return array[0] if array.shape[0] == 1 else array.transpose(1, 2, 0)


def png_bytes(image: Tensor) -> bytes:
    """Encode ``[C, H, W]`` in [-1, 1] as PNG."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(to_uint8(image)).save(buffer, format="PNG")
    return buffer.getvalue()


def grey16_bytes(image: Tensor, file_format: str = "png") -> bytes:
    """Encode one grey channel ``[1, H, W]`` in [-1, 1] as a 16-bit PNG or TIFF (0..65535)."""
    from PIL import Image

    values = ((image.detach().float().cpu()[0].clamp(-1, 1) + 1) * 32767.5).round().numpy().astype(np.uint16)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format=file_format.upper())
    return buffer.getvalue()


def save_image(path: str | Path, image: Tensor) -> None:
    """Write ``[C, H, W]`` (or ``[1, C, H, W]``) in [-1, 1] as a PNG, atomically."""
    write_atomic(path, png_bytes(image[0] if image.dim() == 4 else image))
