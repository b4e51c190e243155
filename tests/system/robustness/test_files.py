"""Bad input files (pictures, arrays, medical files, manifests, masks, kernels): one line, nothing written."""

import csv
import re

import pytest

INPUTS = [  # (file key, extra options, exit code, message)
    ("nothing", [], 1, r"nothing-here.png: no such file|nothing-here.png"),
    ("folder", [], 1, r"folder: holds no images \(readable: .png"),
    ("empty.png", [], 1, r"empty.png: not a readable image"),
    ("text.png", [], 1, r"text.png: not a readable image"),
    ("truncated.png", [], 1, r"truncated.png: not a readable image"),
    ("image.gif", [], 1, r"image.gif: (unsupported image type|not a readable image)"),
    ("empty.npy", [], 1, r"empty.npy: not a .npy file \(it lacks NumPy's header\)"),
    ("text.npy", [], 1, r"text.npy: not a .npy file \(it lacks NumPy's header\); save the image with numpy.save"),
    ("nan.npy", [], 1, r"nan.npy: float images must hold finite values"),
    ("inf.npy", [], 1, r"inf.npy: float images must hold finite values"),
    ("cube.npy", [], 1, r"cube.npy: expected an H x W or H x W x C array, got shape \(2, 2, 2, 2\)"),
    ("strings.npy", [], 1, r"strings.npy: the image must be numeric, not <U1"),
    ("objects.npy", [], 1, r"objects.npy: refused, it holds pickled objects; save a plain numeric array"),
    ("big.npy", [], 1, r"big.npy: is 5000x5000|5000x5000"),
    ("small.png", ["--simulate"], 1, r"small.png: the clean image for --simulate is 1x8x8 but 'stylegan2-mnist32' "
                                     r"makes 1x32x32 images; resize it to that size \(invgen run: --resize"),
    ("odd.png", ["-f", "downsample:factor=4"], 1, r"the observation is 1x30x30 but 'stylegan2-mnist32' \(1x32x32\) "
                                                   r"through 'downsample' gives 1x8x8"),
    ("wide.png", ["--simulate"], 1, r"wide.png: the clean image for --simulate is 1x32x64 but 'stylegan2-mnist32' "
                                    r"makes 1x32x32"),
    ("empty.dcm", [], 1, r"empty.dcm: not a readable DICOM image"),
    ("text.dcm", [], 1, r"text.dcm: not a readable DICOM image"),
    ("empty.nii", [], 1, r"empty.nii: not a readable NIfTI file"),
    ("text.nii.gz", [], 1, r"text.nii.gz: not a readable NIfTI file"),
    ("empty.csv", [], 1, r"empty.csv: a CSV manifest needs a header with a 'path' column"),
]


@pytest.mark.parametrize("key, options, code, message", INPUTS, ids=[case[0] for case in INPUTS])
def test_bad_inputs(files, tmp_path, run, refused, key, options, code, message):
    out = tmp_path / "out"
    refused([*run, "-i", files[key], "-o", out, *options], code, message, out)


def test_a_glob_that_matches_nothing(tmp_path, run, refused):
    out = tmp_path / "out"
    refused([*run, "-i", str(tmp_path / "*.png"), "-o", out], 1, r"\*.png: holds no images \(readable: .png", out)


def test_a_manifest_naming_a_missing_file_fails_that_input_alone(files, tmp_path, run):
    from invgen.testing.cli import invoke

    manifest = tmp_path / "list.txt"
    manifest.write_text(f"{files['digit.png']}\n{tmp_path / 'gone.png'}\n{files['text.png']}\n")
    out = tmp_path / "out"
    result = invoke(*run, "-i", manifest, "-o", out)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert len(list(out.glob("digit.png-*/run.json"))) == 1 and not list(out.glob("gone.png*"))
    assert not list(out.glob("text.png*"))
    rows = list(csv.DictReader((out / "index.csv").read_text().splitlines()))
    assert [row["status"] for row in rows] == ["ok", "error", "error"]
    assert "gone.png: no such file" in rows[1]["error"] and "not a readable image" in rows[2]["error"]


def test_a_csv_manifest_without_its_columns(files, tmp_path, run, refused):
    manifest = tmp_path / "list.csv"
    manifest.write_text(f"file\n{files['digit.png']}\n")
    out = tmp_path / "out"
    refused([*run, "-i", manifest, "-o", out], 1, r"list.csv: a CSV manifest needs a header with a 'path' column", out)


MASKS = [  # (forward spec made with a file key, exit code: 1 for an unreadable file, 2 for bad values, message)
    ("mask:path={empty.png}", 1, r"empty.png: not a readable image"),
    ("mask:path={text.png}", 1, r"text.png: not a readable image"),
    ("mask:path={nothing}", 1, r"nothing-here.png"),
    ("mask:path={black.png}", 2, r"hides every pixel, so nothing is observed"),
    ("mask:path={small.png}", 2, r"mask \S*small.png is 8x8 but the image is 32x32; pass resize=true"),
    ("mask:path={nan.npy}", 2, r"'mask:path=.*nan.npy' hides every pixel"),
    ("kernel:path={empty.npy}", 1, r"empty.npy: not a .npy file \(it lacks NumPy's header\); save the kernel"),
    ("kernel:path={zeros.npy}", 2, r"zeros.npy: the kernel is all zeros"),
    ("kernel:path={nan.npy}", 2, r"nan.npy: the kernel holds NaN or infinite values"),
    ("kernel:path={big.npy}", 2, r"big.npy: the kernel is all zeros"),
    ("kernel:path={bigkernel.npy}", 2, r"a 3001x3001 kernel is more than twice the size of 32x32 images"),
    ("mask:path={empty.npy}", 1, r"empty.npy: not a .npy file \(it lacks NumPy's header\); save the mask"),
    ("kernel:path={cube.npy}", 2, r"cube.npy: the kernel must be a non-empty 2-D array, got shape \(2, 2, 2, 2\)"),
    ("kspace:mask={text.png}", 1, r"text.png: not a readable k-space mask"),
]


@pytest.mark.parametrize("spec, code, message", MASKS, ids=[case[0] for case in MASKS])
def test_bad_mask_and_kernel_files(files, tmp_path, run, refused, spec, code, message):
    out = tmp_path / "out"
    filled = re.sub(r"\{([^}]+)\}", lambda match: str(files[match.group(1)]), spec)
    refused([*run, "-f", filled, "-i", files["digit.png"], "--simulate", "-o", out], code, message, out)
