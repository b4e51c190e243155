"""Outputs are all or nothing: checked before any compute, locked against a second writer, never mixed, and
a solve whose write fails is kept and said where."""

import errno
import json

import pytest

from invgen.run.store import RunStore


def test_an_output_that_is_a_file(files, tmp_path, run, refused):
    target = tmp_path / "taken"
    target.write_text("precious")
    refused([*run, "-i", files["digit.png"], "-o", target], 1, r"taken: exists and is not a folder; choose another")
    assert target.read_text() == "precious"


def test_an_output_whose_parent_is_a_file(files, tmp_path, run, refused):
    (tmp_path / "file").write_text("x")
    refused([*run, "-i", files["digit.png"], "-o", tmp_path / "file" / "out"], 1,
            r"file: cannot write results there \(.*\); choose another --output")


def test_an_output_that_cannot_be_created(files, run, refused):
    refused([*run, "-i", files["digit.png"], "-o", "/proc/invgen-robustness/out"], 1, r"cannot write results there")


def test_results_already_there_are_not_replaced_unasked(files, tmp_path, run, refused):
    out = tmp_path / "out"
    out.mkdir()
    (out / "run.json").write_text("{}")
    refused([*run, "-i", files["digit.png"], "-o", out], 1, r"already holds results; pass --resume, --overwrite")
    assert (out / "run.json").read_text() == "{}"


@pytest.mark.parametrize("many", [False, True], ids=["one input", "a folder"])
def test_a_second_writer_is_refused_while_the_first_holds_the_output(files, tmp_path, run, refused, many):
    out = tmp_path / "out"
    source = files["folder"] if many else files["digit.png"]
    if many:
        (files["folder"] / "a.png").write_bytes(files["digit.png"].read_bytes())
    first = RunStore(out, flat=not many)
    first.claim("0-of-1")
    try:
        refused([*run, "-i", source, "-o", out], 1, r"out: another invgen run \(pid \d+\) is writing these results; "
                                                  r"wait for it or choose another --output")
    finally:
        first.release()
    assert not list(out.glob("*/run.json")) and not (out / "run.json").exists()


def test_the_lock_goes_with_the_run(files, tmp_path, run):
    from invgen.testing.cli import invoke

    out = tmp_path / "out"
    assert invoke(*run, "-i", files["digit.png"], "-o", out).exit_code == 0
    assert invoke(*run, "-i", files["digit.png"], "-o", out, "--overwrite").exit_code == 0
    assert not list(tmp_path.glob(".*lock*")) and not list(out.glob(".*lock*"))


def test_too_little_free_space_is_refused_before_any_compute(files, tmp_path, run, refused, monkeypatch):
    import shutil

    import invgen.run.store as store

    monkeypatch.setattr(store.shutil, "disk_usage", lambda path: shutil._ntuple_diskusage(10 << 30, 10 << 30, 1 << 20))
    out = tmp_path / "out"
    refused([*run, "-i", files["digit.png"], "-o", out], 1, r"only 1 MB free; results need space", out)


def test_a_write_that_fails_after_the_solve_keeps_the_results_and_says_where(files, tmp_path, run, refused,
                                                                            monkeypatch):
    def full(self, name, files):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(RunStore, "write", full)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    out = tmp_path / "out"
    result = refused([*run, "-i", files["digit.png"], "-o", out, "--simulate"], 1,
                     r"out: could not write the results \(No space left on device\); they are kept in ")
    kept = next((tmp_path / "tmp").glob("invgen-rescued-*/*"))
    assert str(kept) in result.stderr
    assert (kept / "reconstruction.png").is_file() and json.loads((kept / "run.json").read_text())["simulate"]


def test_overwrite_replaces_a_vi_result_whole(files, tmp_path, run):
    from invgen.testing.cli import invoke

    out = tmp_path / "out"
    assert invoke(*run, "-i", files["digit.png"], "-o", out, "--method", "vi", "--samples", "2").exit_code == 0
    assert (out / "sample_000.png").is_file()
    assert invoke(*run, "-i", files["digit.png"], "-o", out, "--overwrite").exit_code == 0
    assert not (out / "sample_000.png").exists()
    assert set(p.name for p in out.iterdir()) == set(json.loads((out / "run.json").read_text())["files"]) | {"run.json"}


def test_stylegan2_sample_never_replaces_a_file_unasked(tmp_path, refused):
    notes = tmp_path / "notes.png"
    notes.write_bytes(b"precious")
    refused(["stylegan2", "sample", "-g", "stylegan2-mnist32", "--out", notes], 1,
            r"notes.png: exists; pass --overwrite or choose another name")
    assert notes.read_bytes() == b"precious"


def test_corrupt_never_replaces_a_file_unasked(files, tmp_path, refused):
    target = tmp_path / "obs.png"
    target.write_bytes(b"precious")
    refused(["corrupt", "-f", "downsample:factor=4", "-i", files["digit.png"], "-o", target], 1, r"obs.png.*exists")
    assert target.read_bytes() == b"precious"
