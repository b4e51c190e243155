"""`invgen bench`: the table, --baseline's ratio, --json, and one-line refusals."""

import json

from invgen.testing.cli import invoke

GENERATOR = "toy:size=16,layers=2"


def test_bench_prints_the_table_and_writes_the_json(fake_manager, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    result = invoke("bench", "-g", GENERATOR, "-w", "synthesis", "-w", "test-preset", "-f", "test-blur:sigma=1",
                    "-b", "1", "-b", "4", "-p", "fp32", "--baseline", "--repeats", "2", "--warmup", "2", "--json", tmp_path / "b.json")
    assert result.exit_code == 0, result.output
    assert "ms per image-step" in result.output and "baseline / fast" in result.output
    record = json.loads((tmp_path / "b.json").read_text())
    assert record["command"].startswith("invgen bench") and record["machine"]["threads"] >= 1
    assert record["warmup_steps"] == 2 and record["repeats"] == 2
    cells = {(m["workload"], m["batch"], m["path"]) for m in record["measurements"]}
    assert cells == {(w, b, p) for w in ("synthesis", "test-preset") for b in (1, 4) for p in ("fast", "baseline")}
    assert all(m["ms_per_image_step"] > 0 and len(m["step_ms"]) == 2 for m in record["measurements"])
    assert len(record["speedups"]) == 4


def test_bench_refuses_tf32_without_cuda_in_one_line(fake_manager):
    result = invoke("bench", "-g", GENERATOR, "-p", "tf32", "--device", "cpu")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == \
        "invgen: error: precision tf32 needs a CUDA device: drop it or use --device cuda"


def test_bench_refuses_an_unknown_compile_mode_in_one_line(fake_manager):
    result = invoke("bench", "-g", GENERATOR, "--compile", "--compile-mode", "fastest", "--device", "cpu")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == ("invgen: error: compile mode 'fastest': use default, "
                                                      "reduce-overhead, max-autotune-no-cudagraphs, max-autotune")


def test_an_unwritable_json_is_refused_before_measuring(fake_manager, tmp_path):
    (tmp_path / "file").write_text("")
    result = invoke("bench", "-g", GENERATOR, "-w", "synthesis", "-b", "1", "--json", tmp_path / "file" / "b.json")
    assert result.exit_code != 0 and "invgen: error:" in result.output + result.stderr
    assert "ms per image-step" not in result.output + result.stderr


def test_the_table_stays_readable_in_80_columns(fake_manager, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    result = invoke("bench", "-g", GENERATOR, "-w", "synthesis", "-b", "1", "-p", "fp32", "--baseline", "--repeats", "1")
    assert result.exit_code == 0, result.output
    table = result.output[result.output.index(f"{GENERATOR}: ms per image-step"):]
    assert "…" not in table  # nothing cut to an ellipsis
    assert "synthesis" in table and "fp32" in table and "x" in table.split("synthesis", 1)[1]
    assert max(len(line) for line in table.splitlines()) <= 80


def test_a_generators_speed_notes_are_printed_under_its_table_and_recorded(fake_manager, tmp_path, monkeypatch):
    """What a plugin says its speed depends on (compiled kernels in use, say) goes beside the figures."""
    from invgen.plugin import SpeedNotes
    from invgen.testing.toy import ToyGenerator

    seen = []

    class NotedToy(ToyGenerator, SpeedNotes):
        def speed_notes(self, device):
            seen.append(device.type)
            return {"toy kernels": "off: no compiler (testing)"}
    monkeypatch.setattr("invgen.testing.toy.ToyGenerator", NotedToy)
    monkeypatch.setenv("COLUMNS", "200")
    result = invoke("bench", "-g", GENERATOR, "-w", "synthesis", "-b", "1", "-p", "fp32", "--repeats", "1",
                    "--device", "cpu", "--json", tmp_path / "b.json")
    assert result.exit_code == 0, result.output
    assert seen == ["cpu"]
    table = result.output[result.output.index(f"{GENERATOR}: ms per image-step"):]
    assert "toy kernels: off: no compiler (testing)" in table
    assert json.loads((tmp_path / "b.json").read_text())["speed_notes"] == {
        GENERATOR: {"toy kernels": "off: no compiler (testing)"}}


def test_a_generator_without_speed_notes_records_none(fake_manager, tmp_path):
    result = invoke("bench", "-g", GENERATOR, "-w", "synthesis", "-b", "1", "-p", "fp32", "--repeats", "1",
                    "--json", tmp_path / "b.json")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "b.json").read_text())["speed_notes"] == {GENERATOR: {}}
