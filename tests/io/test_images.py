"""Image files in and out: formats, ranges, orientation, channel conversion and refusals."""

import numpy as np
import pytest
import torch
from PIL import Image

from invgen.io.images import InputError, load_image, save_image


def test_png_round_trip_keeps_values_and_orientation(tmp_path):
    array = np.zeros((6, 10), np.uint8)
    array[0, 9] = 255
    Image.fromarray(array).save(tmp_path / "a.png")
    image = load_image(tmp_path / "a.png")
    assert image.shape == (1, 1, 6, 10) and image[0, 0, 0, 9] == 1 and image[0, 0, 5, 0] == -1
    save_image(tmp_path / "b.png", image)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "b.png")), array)


def test_channel_conversion(tmp_path):
    Image.fromarray(np.full((4, 4, 3), [255, 0, 0], np.uint8)).save(tmp_path / "red.png")
    grey = load_image(tmp_path / "red.png", channels=1)
    assert grey.shape == (1, 1, 4, 4)
    assert grey[0, 0, 0, 0].item() == pytest.approx(76 / 255 * 2 - 1, abs=1e-6)
    assert load_image(tmp_path / "red.png", channels=3).shape == (1, 3, 4, 4)


def test_npy_layouts_and_ranges(tmp_path):
    np.save(tmp_path / "hw.npy", np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
    np.save(tmp_path / "chw.npy", np.zeros((3, 5, 6), np.uint8))
    assert load_image(tmp_path / "hw.npy")[0, 0, 2, 3].item() == pytest.approx(1.0)
    assert load_image(tmp_path / "chw.npy").shape == (1, 3, 5, 6)
    np.save(tmp_path / "big.npy", np.full((3, 3), 7.0))
    with pytest.raises(InputError, match=r"big.npy: float images must hold finite values in \[0, 1\]"):
        load_image(tmp_path / "big.npy")


def test_pickled_npy_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "ran"
    payload = np.array([_Payload(str(marker))], dtype=object)
    np.save(tmp_path / "evil.npy", payload, allow_pickle=True)
    with pytest.raises(InputError, match="evil.npy: refused"):
        load_image(tmp_path / "evil.npy")
    assert not marker.exists()


class _Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [("x.png", b"garbage", "not a readable image"), ("x.gif2", b"", "unsupported image type"),
     ("x.npy", b"\x93NUMPY garbage", "not a plain numeric .npy image"), ("y.npy", b"text", "not a .npy file")],
)
def test_unreadable_files(tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_image(tmp_path / name)


def test_save_is_atomic_on_failure(tmp_path, monkeypatch):
    import invgen.io.atomic

    def broken_replace(*args):
        raise OSError("disk full")

    monkeypatch.setattr(invgen.io.atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_image(tmp_path / "out.png", torch.zeros(1, 4, 4))
    assert list(tmp_path.iterdir()) == []


def test_atomic_writes_respect_the_umask(tmp_path):
    import os

    from invgen.io.atomic import write_atomic

    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "f.bin", b"x")
    finally:
        os.umask(previous)
    assert (tmp_path / "f.bin").stat().st_mode & 0o777 == 0o644


def test_observations_keep_their_values_in_npz_files(tmp_path):
    from invgen.io.images import save_observation

    values = torch.tensor([[[-3.5, 0.25], [1.75, 12.0]]])
    save_observation(tmp_path / "obs.npz", values)
    assert torch.equal(load_image(tmp_path / "obs.npz"), values[None])
    np.savez(tmp_path / "other.npz", image=np.zeros((1, 2, 2)))
    with pytest.raises(InputError, match="needs a finite float array 'observation'"):
        load_image(tmp_path / "other.npz")


def test_complex_npy_is_read_as_re_im_channel_pairs(tmp_path):
    data = (np.arange(12) - 6 + 1j * np.arange(12)[::-1]).reshape(3, 4).astype(np.complex64)
    np.save(tmp_path / "k.npy", data)
    loaded = load_image(tmp_path / "k.npy", channels=1)
    assert loaded.shape == (1, 2, 3, 4)
    assert np.array_equal(loaded[0, 0].numpy(), data.real) and np.array_equal(loaded[0, 1].numpy(), data.imag)


@pytest.mark.parametrize("content, message", [
    (None, "no such kernel file"), (b"", "not a .npy file"), (b"\x93NUMPY\x01", "not a plain numeric .npy kernel"),
    ("objects", "refused, it holds pickled objects"), ("strings", "the kernel must be numeric, not <U1")])
def test_load_array_reads_plain_numbers_only(tmp_path, content, message):
    from invgen.io.images import load_array

    path = tmp_path / "k.npy"
    if content == "objects":
        np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif content == "strings":
        np.save(path, np.array(["a", "b"]))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        load_array(path, "kernel")
    np.save(path, np.arange(6.0).reshape(2, 3))
    assert np.array_equal(load_array(path, "kernel"), np.arange(6.0).reshape(2, 3))
