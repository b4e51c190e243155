"""`invgen run` over many inputs: one folder per input, an index, failures that stay with their input,
resume, batching that does not change results, and geometry."""

import json

import pytest
import torch
from typer.testing import CliRunner

from invgen.cli.app import create_app
from invgen.io.images import load_image, save_image

RUN = ["run", "-g", "toy:size=16,layers=2", "-f", "test-blur:sigma=1", "--loss", "test-sse", "--simulate",
       "--steps", "20", "--lr", "0.1"]


def invoke(*args):
    return CliRunner().invoke(create_app(), [str(a) for a in args])


@pytest.fixture
def folder(tmp_path, make_toy_folder):
    make_toy_folder(tmp_path / "in", 5, "digit", seed=4)
    (tmp_path / "in" / "sub").mkdir()
    (tmp_path / "in" / "sub" / "broken.png").write_bytes(b"not a picture")
    return tmp_path / "in"


def test_a_folder_gives_a_folder_per_input_an_index_and_a_failure_exit(folder, tmp_path, test_device):
    result = invoke(*RUN, "-i", folder, "-o", tmp_path / "out", "--batch", "2", "--device", test_device)
    assert result.exit_code == 1, result.output
    rows = [json.loads(line) for line in (tmp_path / "out" / "index.jsonl").read_text().splitlines()]
    assert [(row["name"], row["status"]) for row in rows] == [*((f"digit{i}.png", "ok") for i in range(5)),
                                                             ("sub__broken.png", "error")]
    assert "not a readable image" in rows[-1]["error"] and "psnr" in rows[0]["metrics"]
    for index in range(5):
        record = json.loads((tmp_path / "out" / f"digit{index}.png" / "run.json").read_text())
        assert record["input"].endswith(f"digit{index}.png") and "reconstruction.png" in record["files"]
        assert record["device"].startswith(test_device)
        assert sorted(p.name for p in (tmp_path / "out" / f"digit{index}.png").iterdir()) == sorted(
            [*record["files"], "run.json"])
    assert not (tmp_path / "out" / "sub__broken.png").exists()
    assert "failed" in result.stdout and "broken.png" in result.stdout


def test_batches_give_the_results_single_runs_give(folder, tmp_path):
    assert invoke(*RUN, "-i", folder, "-o", tmp_path / "many", "--batch", "3").exit_code == 1
    single = invoke(*RUN, "-i", folder / "digit4.png", "-o", tmp_path / "one")
    assert single.exit_code == 0, single.output
    batched = load_image(tmp_path / "many" / "digit4.png" / "reconstruction.png")
    alone = load_image(tmp_path / "one" / "reconstruction.png")
    assert (batched - alone).abs().max() <= 2 / 255  # the same optimisation; at most one grey level apart
    assert json.loads((tmp_path / "many" / "digit4.png" / "run.json").read_text())["batch"]["size"] == 2


def test_existing_results_are_refused_before_any_work_and_resume_skips_them(folder, tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert invoke(*RUN, "-i", folder, "-o", out).exit_code == 1
    stamps = {p.parent.name: p.stat().st_mtime_ns for p in out.glob("*/run.json")}
    import invgen.run.batches as runner

    solved = []
    real = runner.solve
    monkeypatch.setattr(runner, "solve", lambda *a, **k: solved.append(1) or real(*a, **k))
    again = invoke(*RUN, "-i", folder, "-o", out)
    assert again.exit_code == 1 and "already holds results" in again.stderr and not solved
    resumed = invoke(*RUN, "-i", folder, "-o", out, "--resume")
    assert resumed.exit_code == 1  # the broken input is tried again and fails again
    assert "5 complete already" in resumed.stderr and stamps == {p.parent.name: p.stat().st_mtime_ns
                                                                  for p in out.glob("*/run.json")}


def test_an_interrupt_keeps_finished_inputs_and_resume_finishes_the_rest(folder, tmp_path, monkeypatch):
    import invgen.solvers.map as map_module

    calls = {"n": 0}
    real = map_module.check_finite

    def interrupt_in_the_second_batch(terms, step):
        calls["n"] += 1
        if calls["n"] == 25:
            raise KeyboardInterrupt
        real(terms, step)

    monkeypatch.setattr(map_module, "check_finite", interrupt_in_the_second_batch)
    out = tmp_path / "out"
    first = invoke(*RUN, "-i", folder, "-o", out, "--batch", "2")
    assert first.exit_code == 130
    statuses = {json.loads(line)["name"]: json.loads(line)["status"]
                for line in (out / "index" / "shard-0-of-1.jsonl").read_text().splitlines()}
    assert statuses == {"digit0.png": "ok", "digit1.png": "ok", "digit2.png": "interrupted", "digit3.png": "interrupted"}
    monkeypatch.setattr(map_module, "check_finite", real)
    finished = invoke(*RUN, "-i", folder, "-o", out, "--batch", "2", "--resume")
    assert finished.exit_code == 1 and "2 complete already" in finished.stderr
    rows = [json.loads(line) for line in (out / "index.jsonl").read_text().splitlines()]
    assert [row["status"] for row in rows] == ["ok"] * 5 + ["error"]


def test_per_input_forward_specs_from_a_manifest(folder, tmp_path):
    (tmp_path / "list.csv").write_text("path,forward\nin/digit0.png,test-noise:std=0.2\nin/digit1.png,\n")
    result = invoke(*RUN, "-i", tmp_path / "list.csv", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    noisy = json.loads((tmp_path / "out" / "in__digit0.png" / "run.json").read_text())
    assert noisy["forward"] == ["test-blur", "test-noise:std=0.2"]  # sigma=1 is the default
    assert json.loads((tmp_path / "out" / "in__digit1.png" / "run.json").read_text())["forward"] == ["test-blur"]


def test_crop_resize_and_restore_size(tmp_path, fake_manager):
    picture = torch.rand(1, 1, 40, 60) * 2 - 1
    save_image(tmp_path / "wide.png", picture)
    refused = invoke(*RUN, "-i", tmp_path / "wide.png", "-o", tmp_path / "no")
    assert refused.exit_code == 1 and "--resize" in refused.stderr
    result = invoke(*RUN, "-i", tmp_path / "wide.png", "-o", tmp_path / "out", "--crop", "center", "--resize",
                    "--restore-size")
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "run.json").read_text())
    assert record["input_geometry"] == {"original_size": [40, 60], "crop": [10, 0, 50, 40],
                                        "resized_from": [40, 40], "size": [16, 16]}
    assert load_image(tmp_path / "out" / "reconstruction_restored.png").shape == (1, 1, 40, 40)
    bad = invoke(*RUN, "-i", tmp_path / "wide.png", "-o", tmp_path / "bad", "--crop", "0,0,70,10", "--resize")
    assert bad.exit_code == 1 and "outside its 60x40 pixels" in bad.stderr
    assert invoke(*RUN, "-i", tmp_path / "wide.png", "-o", tmp_path / "bad", "--crop", "1,2").exit_code == 2


def test_posterior_samples_for_many_inputs(folder, tmp_path):
    result = invoke(*RUN[:-4], "--steps", "3", "--method", "vi", "--samples", "3", "-i", folder, "-o", tmp_path / "vi",
                    "--batch", "4")
    assert result.exit_code == 1  # the broken input
    for index in range(5):
        files = {p.name for p in (tmp_path / "vi" / f"digit{index}.png").iterdir()}
        assert {"sample_000.png", "sample_002.png", "posterior_std.png", "run.json"} <= files
        record = json.loads((tmp_path / "vi" / f"digit{index}.png" / "run.json").read_text())
        assert record["solver"]["method"] == "vi" and "posterior" in record


def test_a_16_bit_input_gives_a_16_bit_reconstruction_too(tmp_path, fake_manager):
    import numpy as np
    from PIL import Image

    ramp = (np.linspace(0, 65535, 256).reshape(16, 16)).astype(np.uint16)
    Image.fromarray(ramp).save(tmp_path / "deep.png")
    result = invoke(*RUN, "-i", tmp_path / "deep.png", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "out" / "reconstruction16.png") as written:
        assert written.mode.startswith("I;16") and written.size == (16, 16)
        values = np.asarray(written)
    eight = np.asarray(Image.open(tmp_path / "out" / "reconstruction.png")).astype(np.float64)
    assert np.abs(values / 65535.0 - eight / 255.0).max() <= 0.5 / 255 + 1e-6  # the same picture, finer steps
    assert len(np.unique(values)) > len(np.unique(eight))
    assert json.loads((tmp_path / "out" / "run.json").read_text())["input_file"] == {"format": "png", "bits": 16}


def test_the_python_api_for_many_inputs(folder, tmp_path):
    import invgen
    from invgen.run.events import Events

    class Count(Events):
        done_rows: list = []

        def done(self, row):
            self.done_rows.append(row["status"])

    counter = Count()
    outcome, merged = invgen.reconstruct_many(folder, tmp_path / "out", "toy:size=16,layers=2", ["test-blur"],
                                              invgen.MAPSettings(steps=5), counter, losses=["test-sse"],
                                              options=invgen.RunOptions(("test-blur",), simulate=True, batch=3))
    assert merged and outcome.failed == 1 and sorted(counter.done_rows) == ["error"] + ["ok"] * 5
    assert (tmp_path / "out" / "digit3.png" / "reconstruction.png").is_file()


def test_fit_pad_ignores_the_padding_and_gives_the_input_back_at_its_size(tmp_path, fake_manager):
    import numpy as np

    picture = torch.rand(1, 1, 12, 16) * 2 - 1
    save_image(tmp_path / "wide.png", picture)
    observe = [a for a in RUN if a != "--simulate"]  # the picture is the observation: its padding is unknown
    for fit in ("pad", "pad-zero"):
        result = invoke(*observe, "-i", tmp_path / "wide.png", "-o", tmp_path / fit, "--fit", fit)
        assert result.exit_code == 0, result.output
        record = json.loads((tmp_path / fit / "run.json").read_text())
        assert record["input_geometry"]["pad"] == [2, 2, 0, 0]
        assert load_image(tmp_path / fit / "reconstruction_restored.png").shape == (1, 1, 12, 16)
        assert load_image(tmp_path / fit / "mask.png")[0, 0, :2].max() == -1  # the padding: unknown
    # reflected or zero padding: the likelihood never sees it, so the solves are the same
    np.testing.assert_array_equal(np.load(tmp_path / "pad" / "reconstruction.npy"),
                                  np.load(tmp_path / "pad-zero" / "reconstruction.npy"))
    simulated = invoke(*RUN, "-i", tmp_path / "wide.png", "-o", tmp_path / "sim", "--fit", "pad")
    assert simulated.exit_code == 0, simulated.output
    record = json.loads((tmp_path / "sim" / "run.json").read_text())
    image = torch.from_numpy(np.load(tmp_path / "sim" / "reconstruction.npy"))[None]
    from invgen.problem.metrics import psnr
    truth = ((picture + 1) * 127.5).round() / 127.5 - 1  # what the PNG holds
    own = float(psnr(image[..., 2:14, :], truth)[0])
    assert record["metrics"]["psnr"][0] == pytest.approx(own, abs=1e-3)  # scored on the input's own pixels
    assert "baselines" not in record
