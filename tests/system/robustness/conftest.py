"""The bad-input suite's contract, checked for every case: the right exit code, one line on stderr that
starts ``invgen: error:`` and says what is wrong, no traceback, and no output left behind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from invgen.testing.cli import check_refused, installed_plugins

REPO = Path(__file__).resolve().parents[3]
DIGIT = REPO / "examples" / "holdout_1950_digit3.png"  # a 32x32 grey held-out digit
RUN = ("run", "-g", "stylegan2-mnist32", "--steps", "2", "--device", "cpu")


@pytest.fixture(autouse=True)
def fresh_plugins():
    """The plugins a user has (the in-repo ones, installed by make), freshly loaded for each case."""
    with installed_plugins():
        yield


@pytest.fixture
def refused():
    """:func:`check_refused`, for the cases."""
    return check_refused


@pytest.fixture
def run() -> list[str]:
    """``invgen run`` on the embedded generator, 2 steps on the CPU (the start of most cases)."""
    return list(RUN)


class _Files(dict):
    """The cases' files by name; the large ones are made only when a case asks for them."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    LARGE = {"big.npy": lambda: np.zeros((5000, 5000), np.uint8),  # 25 MB: far more pixels than 32x32
             "bigkernel.npy": lambda: np.ones((3001, 3001), np.uint8)}  # a 3001x3001 blur kernel, 9 MB

    def __missing__(self, key: str) -> Path:
        if key not in self.LARGE:
            raise KeyError(key)
        self[key] = self.folder / key
        np.save(self[key], self.LARGE[key]())
        return self[key]


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    """Bad and good files for the cases, made fresh for each test (small: the suite writes little)."""
    made = _Files(tmp_path)

    def picture(name: str, array: np.ndarray) -> None:
        made[name] = tmp_path / name
        Image.fromarray(array).save(made[name])

    picture("digit.png", np.asarray(Image.open(DIGIT)))
    picture("rgb.png", np.zeros((32, 32, 3), np.uint8))
    picture("small.png", np.zeros((8, 8), np.uint8))
    picture("odd.png", np.zeros((30, 30), np.uint8))
    picture("black.png", np.zeros((32, 32), np.uint8))
    picture("white.png", np.full((32, 32), 255, np.uint8))
    picture("wide.png", np.zeros((32, 64), np.uint8))
    for name, data in {"empty.png": b"", "text.png": b"just some notes\n", "empty.npy": b"",
                       "text.npy": b"not numpy", "notes.txt": b"a,b\n", "empty.csv": b"",
                       "truncated.png": DIGIT.read_bytes()[:60], "image.gif": b"GIF89a",
                       "empty.dcm": b"", "text.dcm": b"DICM but not really", "empty.nii": b"",
                       "text.nii.gz": b"not gzip"}.items():
        made[name] = tmp_path / name
        made[name].write_bytes(data)
    for name, array in {"nan.npy": np.full((32, 32), np.nan, np.float32),
                        "inf.npy": np.full((32, 32), np.inf, np.float32),
                        "cube.npy": np.zeros((2, 2, 2, 2), np.float32),
                        "strings.npy": np.array(["a", "b"]), "zeros.npy": np.zeros((32, 32), np.float32)}.items():
        made[name] = tmp_path / name
        np.save(made[name], array)
    made["objects.npy"] = tmp_path / "objects.npy"
    np.save(made["objects.npy"], np.array([{"x": 1}], dtype=object), allow_pickle=True)
    made["folder"] = tmp_path / "folder"
    made["folder"].mkdir()
    made["nothing"] = tmp_path / "nothing-here.png"
    return made
