"""Tiny crafted files that would make a reader allocate gigabytes: each is refused in one line naming it, or read
within the budget, measured in a fresh process (:func:`invgen.testing.memory.cost_of`): under 300 MB of peak
resident memory beyond the process's own. The first lines of the error messages are the suite's contract."""

from __future__ import annotations

import gzip
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from invgen.testing.memory import cost_of

BUDGET_MB = 300


def png_header_only(path: Path, width: int, height: int) -> Path:
    """A PNG that declares ``width x height`` 8-bit grey pixels and holds one compressed row: ~70 bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


def npy_header_only(path: Path, shape: tuple[int, ...]) -> Path:
    """A ``.npy`` whose header declares ``shape`` of float32, followed by 100 bytes."""
    from numpy.lib import format as npy

    with open(path, "wb") as stream:
        npy.write_array_header_1_0(stream, {"descr": "<f4", "fortran_order": False, "shape": shape})
        stream.write(b"\0" * 100)
    return path


def nifti_of_zeros(path: Path, shape: tuple[int, int, int]) -> Path:
    """A gzipped uint8 NIfTI of zeros, streamed (never held whole): 500x500x1000 is about 250 KB."""
    import nibabel

    header = nibabel.Nifti1Header()
    header.set_data_dtype(np.uint8)
    header.set_data_shape(shape)
    header["vox_offset"] = 352
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write(header.binaryblock + b"\0" * 4)
        row = b"\0" * (shape[0] * shape[1])
        for _ in range(shape[2]):
            stream.write(row)
    return path


def dicom_with(path: Path, **patches: str) -> Path:
    """pydicom's CT_small.dcm with tags set to raw text, as a damaged file holds them (bytes patched, past
    pydicom's own checks), or to other sizes (``Rows``, ``Columns``)."""
    import pydicom
    from pydicom.data import get_testdata_file

    dataset = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    placeholders = {}
    for index, (keyword, value) in enumerate(patches.items()):
        if keyword in ("Rows", "Columns"):
            setattr(dataset, keyword, int(value))
        else:
            width = max(len(value) + len(value) % 2, 8)  # a valid number as long as the damaged text, padded
            placeholder = f"{index + 1}.{'7' * (width - 2)}"
            setattr(dataset, keyword, placeholder)
            placeholders[placeholder] = value.ljust(width)
    dataset.save_as(path)
    data = path.read_bytes()
    for placeholder, value in placeholders.items():
        assert data.count(placeholder.encode()) == 1
        data = data.replace(placeholder.encode(), value.encode())
    path.write_bytes(data)
    return path


CRAFTED = {  # name -> (how to make it in a folder, the first line of the one-line error)
    "huge.png": (lambda folder: png_header_only(folder / "huge.png", 12000, 12000),
                 r"huge.png: 12000x12000 pixels is more than invgen reads \(100 million\)"),
    "bomb.png": (lambda folder: png_header_only(folder / "bomb.png", 20000, 20000),  # Pillow's own check: 2 x 89 M
                 r"bomb.png: too many pixels to decode safely \(a decompression bomb\?\)"),
    "huge.npy": (lambda folder: npy_header_only(folder / "huge.npy", (100_000, 100_000)),
                 r"huge.npy: shape \(100000, 100000\) is more than invgen reads in one image"),
    "short.npy": (lambda folder: npy_header_only(folder / "short.npy", (3000, 3000)),
                  r"short.npy: truncated .npy image: its header declares shape \(3000, 3000\) of float32"),
    "zeros.nii.gz": (lambda folder: nifti_of_zeros(folder / "zeros.nii.gz", (500, 500, 1000)),
                     r"zeros.nii.gz: a 500x500x1000 volume \(250,000,000 voxels\) is more than invgen opens"),
    "wide.dcm": (lambda folder: dicom_with(folder / "wide.dcm", Rows="60000", Columns="60000"),
                 r"wide.dcm: 60000x60000 pixels is more than invgen reads"),
}


@pytest.mark.parametrize("name", sorted(CRAFTED))
def test_a_crafted_input_is_refused_from_its_header_within_the_budget(tmp_path, name):
    make, message = CRAFTED[name]
    path = make(tmp_path)
    assert path.stat().st_size < 300_000
    cost = cost_of(f"load_image({str(path)!r})", prelude="import torch\nfrom invgen.io.images import load_image")
    assert cost.megabytes < BUDGET_MB and re.search(message, cost.error), cost


def test_a_large_volume_within_the_limit_is_read_one_slice_at_a_time(tmp_path):
    """256 x 256 x 2000 bytes (131 million voxels, under the limit): reading it whole as float64 took 1 GB."""
    path = nifti_of_zeros(tmp_path / "long.nii.gz", (256, 256, 2000))
    cost = cost_of(f"image = load_image({str(path)!r} + ':axis=2,slice=1500')\nassert image.shape == (1, 1, 256, 256)",
                   prelude="import torch\nfrom invgen.io.images import load_image")
    assert cost.error == "" and cost.megabytes < BUDGET_MB, cost


@pytest.mark.parametrize("spec", ["mask:path={}", "kspace:mask={}"])
def test_a_mask_that_decompresses_to_gigabytes_is_refused_unread(tmp_path, run, refused, spec):
    huge = png_header_only(tmp_path / "huge.png", 12000, 12000)
    digit = Path(__file__).resolve().parents[3] / "examples" / "holdout_1950_digit3.png"
    out = tmp_path / "out"
    refused([*run, "-f", spec.format(huge), "-i", digit, "--simulate", "-o", out], 1,
            r"huge.png: 12000x12000 pixels is more than invgen reads \(100 million\); shrink or crop the "
            r"(k-space mask|image) first", out)


DAMAGED_TAGS = [  # (tags as the file holds them, the message)
    ({"RescaleSlope": "nan"}, r"bad.dcm: tag RescaleSlope is 'nan', not a finite number"),
    ({"RescaleIntercept": "x1"}, r"bad.dcm: tag RescaleIntercept is 'x1', not a finite number"),
    ({"RescaleSlope": "0"}, r"bad.dcm: tag RescaleSlope is 0; the file is damaged"),
    ({"WindowCenter": "abc", "WindowWidth": "400"}, r"bad.dcm: tag WindowCenter is 'abc', not a finite number"),
    ({"WindowCenter": "40", "WindowWidth": "inf"}, r"bad.dcm: tag WindowWidth is 'inf', not a finite number"),
]


@pytest.mark.parametrize("tags, message", DAMAGED_TAGS, ids=[",".join(case[0]) + "=" + ",".join(case[0].values())
                                                             for case in DAMAGED_TAGS])
def test_damaged_dicom_tags_are_named_with_the_file(tmp_path, run, refused, tags, message):
    bad = dicom_with(tmp_path / "bad.dcm", **tags)
    out = tmp_path / "out"
    refused([*run, "-i", bad, "-o", out], 1, message, out)


def test_a_damaged_window_tag_does_not_matter_when_the_user_gives_the_window(tmp_path):
    from invgen.io.images import load_input
    from invgen.io.medical import Window

    bad = dicom_with(tmp_path / "bad.dcm", WindowCenter="abc", WindowWidth="400")
    image, record = load_input(bad, window=Window(40, 400))
    assert record["window"]["source"] == "option" and image.shape == (1, 1, 128, 128)
