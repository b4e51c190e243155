"""A run folder knows what made it: --resume reuses only results this run would make again, names never move
between inputs, --overwrite replaces exactly an earlier run's files, and a user's own files are never taken."""

import csv
import json
import shutil

import numpy as np
import pytest
from PIL import Image

from invgen.testing.cli import invoke


def copies(folder, digit, *names):
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        Image.open(digit).save(folder / name)
    return folder


def stamps(out):
    return {path.parent.name: path.stat().st_mtime_ns for path in out.glob("*/run.json")}


@pytest.mark.parametrize("change, named", [
    (["--steps", "3"], r"solver\.steps was 2, now 3"),
    (["-f", "blur:sigma=1"], r"forward was \[\"identity\"\], now \[\"blur:sigma=1\"\]"),
    (["--seed", "4"], r"(inputs|solver)\.seed was 0, now 4"),
    (["--preset", "bayes"], r"objective\.losses was \[\"pixel\"\], now \[\"pixel:sigma=0\.003\"\]"),
], ids=["steps", "forward", "seed", "objective"])
def test_resume_refuses_results_made_with_other_settings(files, tmp_path, run, refused, change, named):
    source = copies(tmp_path / "in", files["digit.png"], "a.png", "b.png")
    out = tmp_path / "out"
    assert invoke(*run, "-i", source, "-o", out).exit_code == 0
    before = stamps(out)
    refused([*run, *change, "-i", source, "-o", out, "--resume"], 2,
            r"a\.png/run\.json: its result was made otherwise \(" + named + r".*pass --overwrite")
    assert stamps(out) == before  # nothing solved, nothing replaced
    redone = invoke(*run, *change, "-i", source, "-o", out, "--resume", "--overwrite")
    assert redone.exit_code == 0, redone.output
    assert all(stamps(out)[name] != before[name] for name in before)


def test_resume_refuses_a_result_of_an_input_whose_content_changed(files, tmp_path, run, refused):
    source = copies(tmp_path / "in", files["digit.png"], "a.png")
    out = tmp_path / "out"
    assert invoke(*run, "-i", source, "-o", out).exit_code == 0
    shutil.copy(files["black.png"], source / "a.png")
    refused([*run, "-i", source, "-o", out, "--resume"], 2, r"input\.sha256 was \"[0-9a-f]{64}\", now")


def test_resume_refuses_a_result_without_a_settings_identity(files, tmp_path, run, refused):
    out = tmp_path / "out"
    assert invoke(*run, "-i", files["digit.png"], "-o", out).exit_code == 0
    record = json.loads((out / "run.json").read_text())
    del record["identity"]  # as an older invgen wrote it
    (out / "run.json").write_text(json.dumps(record))
    refused([*run, "-i", files["digit.png"], "-o", out, "--resume"], 2, r"no settings identity")


def test_an_added_input_never_takes_another_input_s_folder(files, tmp_path, run):
    source = copies(tmp_path / "in", files["digit.png"], "a.jpg", "b.png")
    out = tmp_path / "out"
    assert invoke(*run, "-i", source, "-o", out).exit_code == 0
    before = stamps(out)
    Image.open(files["black.png"]).save(source / "a.bmp")  # its stem sorts with a.jpg's
    resumed = invoke(*run, "-i", source, "-o", out, "--resume")
    assert resumed.exit_code == 0 and "2 complete already" in resumed.stderr, resumed.output
    after = stamps(out)
    assert {name: after[name] for name in before} == before and set(after) == {"a.jpg", "a.bmp", "b.png"}
    for name in after:
        assert json.loads((out / name / "run.json").read_text())["input"] == str(source / name)
    rows = list(csv.DictReader((out / "index.csv").read_text().splitlines()))
    assert sorted(row["input"] for row in rows) == sorted(str(source / name) for name in after)  # each once


def test_two_inputs_that_would_share_a_name_are_refused(files, tmp_path, run, refused):
    manifest = tmp_path / "list.txt"
    manifest.write_text(f"{files['digit.png']}\n{files['digit.png']}\n")
    refused([*run, "-i", manifest, "-o", tmp_path / "out"], 1, r"gets the output name .* give each input its own "
                                                               r"name in a CSV manifest's name column", tmp_path / "out")


def test_overwrite_replaces_exactly_the_earlier_run_s_files(files, tmp_path, run):
    source = copies(tmp_path / "in", files["digit.png"], "a.png")
    out = tmp_path / "out"
    assert invoke(*run, "--method", "vi", "--samples", "2", "-i", source, "-o", out).exit_code == 0
    assert (out / "a.png" / "sample_000.png").is_file()
    (out / "a.png" / "notes.txt").write_text("mine")
    refused = invoke(*run, "-i", source, "-o", out, "--resume")
    assert refused.exit_code == 1 and "'notes.txt' that no run.json lists" in refused.stderr
    assert invoke(*run, "-i", source, "-o", out, "--overwrite").exit_code == 0
    names = sorted(path.name for path in (out / "a.png").iterdir())
    record = json.loads((out / "a.png" / "run.json").read_text())
    assert names == sorted([*record["files"], "run.json", "notes.txt"]) and "sample_000.png" not in names
    assert (out / "a.png" / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("own", ["reconstruction.png", "notes.txt"])
def test_a_folder_of_the_user_s_own_files_is_refused_without_overwrite(files, tmp_path, run, refused, own):
    out = tmp_path / "out"
    out.mkdir()
    (out / own).write_bytes(b"the user's")
    refused([*run, "-i", files["digit.png"], "-o", out], 1, rf"out: holds '{own}' that no run\.json lists; pass "
                                                            r"--overwrite")
    refused([*run, "-i", files["digit.png"], "-o", out, "--resume"], 1, r"that no run\.json lists")
    assert sorted(path.name for path in out.iterdir()) == [own] and (out / own).read_bytes() == b"the user's"


def test_an_output_inside_the_input_folder_is_not_read_as_inputs(files, tmp_path, run, refused):
    source = copies(tmp_path / "in", files["digit.png"], "a.png", "b.png")
    out = source / "results"
    assert invoke(*run, "-i", source, "-o", out).exit_code == 0
    resumed = invoke(*run, "-i", source, "-o", out, "--resume")
    assert resumed.exit_code == 0 and "2 complete already" in resumed.stderr, resumed.output
    assert sorted(path.name for path in out.iterdir() if path.is_dir()) == ["a.png", "b.png", "index"]
    refused([*run, "-i", source, "-o", source], 1, r"in: is also the --output folder")


def test_inputs_named_like_the_run_s_own_files_keep_theirs(files, tmp_path, run):
    source = copies(tmp_path / "in", files["digit.png"], "index.png", "index.csv.png", "index.jsonl.png")
    manifest = tmp_path / "named.csv"
    manifest.write_text(f"path,name\n{source / 'index.png'},index\n{source / 'index.csv.png'},index.csv\n")
    for given, out in ((source, tmp_path / "out"), (manifest, tmp_path / "named")):
        result = invoke(*run, "-i", given, "-o", out)
        assert result.exit_code == 0, result.output
        rows = list(csv.DictReader((out / "index.csv").read_text().splitlines()))
        assert all(row["status"] == "ok" for row in rows) and (out / "index").is_dir()
        for row in rows:
            assert json.loads((out / row["name"] / "run.json").read_text())["input"] == row["input"]
    names = sorted(row["name"] for row in csv.DictReader((tmp_path / "named" / "index.csv").open()))
    assert [name.rpartition("-")[0] for name in names] == ["index", "index.csv"]  # renamed: a hash added


def test_manifest_paths_in_every_column_are_read_from_the_manifest_s_folder(files, tmp_path, run, monkeypatch):
    lists = tmp_path / "lists"
    copies(lists / "imgs", files["digit.png"], "a.png")
    (lists / "masks").mkdir()
    half = np.zeros((32, 32), np.uint8)
    half[:, :16] = 255
    Image.fromarray(half).save(lists / "masks" / "m.png")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "masks").mkdir(parents=True)
    Image.fromarray(np.full((32, 32), 255, np.uint8)).save(elsewhere / "masks" / "m.png")  # another mask, same name
    (lists / "list.csv").write_text('path,forward\nimgs/a.png,"mask:path=masks/m.png"\n')
    monkeypatch.chdir(elsewhere)
    result = invoke(*run, "-i", lists / "list.csv", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "imgs__a.png" / "run.json").read_text())
    assert record["forward"] == ["identity", f"mask:path={lists / 'masks' / 'm.png'}"]


def test_two_evaluations_into_one_folder_are_locked_against_each_other(tmp_path, refused):
    from invgen.io.folder_lock import FolderLock

    out = tmp_path / "eval"
    out.mkdir()
    held = FolderLock.take(out / ".lock-eval", out, "invgen eval")
    try:
        refused(["eval", "-g", "stylegan2-mnist32", "--data", "mnist5k-holdout", "-t", "sr4", "-m", "pixel",
                 "--steps", "2", "--limit", "2", "-o", out], 1,
                r"eval: another invgen eval \(pid \d+\) is writing these results; wait for it")
    finally:
        held.release()
    assert sorted(path.name for path in out.iterdir()) == []


def test_the_same_folder_named_another_way_resumes(files, tmp_path, run, monkeypatch):
    source = copies(tmp_path / "in", files["digit.png"], "a.png")
    out = tmp_path / "out"
    assert invoke(*run, "-i", source, "-o", out).exit_code == 0
    monkeypatch.chdir(tmp_path)
    resumed = invoke(*run, "-i", "in", "-o", "out", "--resume")  # relative now, absolute before
    assert resumed.exit_code == 0 and "1 complete already" in resumed.stderr, resumed.output
