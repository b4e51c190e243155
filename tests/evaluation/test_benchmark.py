"""invgen.evaluation.benchmark: which cells are measured, in which order and on which path; skips and speed-ups."""

import time
from dataclasses import replace

import pytest
import torch

from invgen.evaluation import benchmark
from invgen.evaluation.benchmark import (Cell, Measurement, Plan, _PeakMemory, _rss_bytes, _skip_reason, measure_all, speedups)
from invgen.errors import UsageError, UserError
from invgen.runtime.speed import fast_paths
from invgen.testing.toy import ToyGenerator

GENERATOR = "toy:size=16,layers=2"


def test_baseline_cells_run_first_and_on_the_plain_path(fake_manager, monkeypatch):
    seen = []
    synthesize = ToyGenerator.synthesize

    def recording(self, w):
        seen.append((w.shape[0], fast_paths()))
        return synthesize(self, w)

    monkeypatch.setattr(ToyGenerator, "synthesize", recording)
    plan = Plan((GENERATOR,), ("synthesis",), (2, 1), ("fp32",), ("fast", "baseline"), repeats=2, warmup=3)
    results = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert [(m.cell.path, m.cell.batch) for m in results] == [("baseline", 1), ("baseline", 2), ("fast", 1),
                                                              ("fast", 2)]
    assert seen == [(1, False)] * 5 + [(2, False)] * 5 + [(1, True)] * 5 + [(2, True)] * 5  # 3 warm-up + 2 timed
    for m in results:
        assert len(m.step_ms) == 2 and m.ms_per_image_step > 0 and m.warmup_s >= 0 and m.peak_memory_mb > 0
    pairs = speedups(results)
    assert [(p["batch"], p["speedup"] > 0) for p in pairs] == [(1, True), (2, True)]


def test_an_objective_workload_is_the_named_preset_under_the_forward_model(fake_manager):
    plan = Plan((GENERATOR,), ("test-preset",), (2,), ("fp32",), ("fast",), forward="test-blur:sigma=1", repeats=1)
    [result] = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert not result.skipped and result.ms_per_image_step > 0


def test_an_objective_workload_poses_its_observation_through_a_forward_model_that_changes_the_size(fake_manager):
    plan = Plan((GENERATOR,), ("test-preset",), (2,), ("fp32",), ("fast",), forward="test-down", repeats=1)
    [result] = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert not result.skipped and result.ms_per_image_step > 0


def test_an_unknown_workload_is_refused_before_anything_runs(fake_manager, monkeypatch):
    monkeypatch.setattr(benchmark, "_measure", lambda *args: pytest.fail("measured"))
    plan = Plan((GENERATOR,), ("synthesis", "no-such-preset"), (1,), ("fp32",), ("fast",), repeats=1)
    with pytest.raises(UsageError, match="workload 'no-such-preset': use synthesis, map or a preset .*unknown preset"):
        measure_all(plan, torch.device("cpu"), on_result=lambda m: None)


def test_a_workload_that_cannot_be_built_is_skipped_with_the_reason(fake_manager, monkeypatch):
    import invgen.problem.build

    def missing_backbone(*args, **kwargs):
        raise UserError("the LPIPS backbone is not here")
    monkeypatch.setattr(invgen.problem.build, "build_problem", missing_backbone)
    plan = Plan((GENERATOR,), ("test-preset",), (1,), ("fp32",), ("fast",), repeats=1)
    [result] = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert result.skipped == "the LPIPS backbone is not here" and result.ms_per_image_step is None


def test_the_first_batch_of_a_kind_is_priced_from_a_one_image_probe(fake_manager, monkeypatch):
    """``-b 100000`` alone: one step at batch 1 (not reported) predicts the big batch, which is skipped unbuilt."""
    built = []
    initial_latent = ToyGenerator.initial_latent
    monkeypatch.setattr(ToyGenerator, "initial_latent", lambda self, n: built.append(n) or initial_latent(self, n))
    plan = Plan((GENERATOR,), ("synthesis",), (10**9,), ("fp32",), ("fast",), repeats=1, budget_s=1e12,
                memory_limit_mb=1.0)  # the process alone is more: the prediction must come from a measurement
    [result] = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert built == [1] and result.cell.batch == 10**9 and result.skipped.startswith("would need ~")
    timed = measure_all(replace(plan, budget_s=60, memory_limit_mb=None), torch.device("cpu"), on_result=lambda m: None)
    assert timed[0].skipped.startswith("would take ~")


def test_a_large_batch_predicted_over_budget_is_skipped():
    small = Measurement(Cell("g", "synthesis", 1, "fp32", "fast"), ms_per_image_step=1000.0)
    plan = Plan(("g",), ("synthesis",), (1, 8, 32), ("fp32",), ("fast",), repeats=5, budget_s=60)
    assert _skip_reason(Cell("g", "synthesis", 8, "fp32", "fast"), [small], plan, 1e9) == ""  # 8 * 6 s = 48 s
    slower = Plan(("g",), ("synthesis",), (1, 8), ("fp32",), ("fast",), repeats=5, budget_s=60, warmup=3)
    assert _skip_reason(Cell("g", "synthesis", 8, "fp32", "fast"), [small], slower, 1e9) == \
        "would take ~64 s (> --budget 60 s)"  # the warm-up steps count: 8 * 8 s
    assert _skip_reason(Cell("g", "synthesis", 32, "fp32", "fast"), [small], plan, 1e9) == \
        "would take ~192 s (> --budget 60 s)"
    assert _skip_reason(Cell("g", "synthesis", 32, "bf16", "fast"), [small], plan, 1e9) == ""  # another precision
    skipped = Measurement(Cell("g", "synthesis", 8, "fp32", "fast"), skipped="would take ~48 s")
    assert _skip_reason(Cell("g", "synthesis", 32, "fp32", "fast"), [small, skipped], plan, 1e9) == \
        "would take ~192 s (> --budget 60 s)"  # predicted from the measured batch, not copied from the skipped one


def test_tf32_needs_cuda(fake_manager):
    plan = Plan((GENERATOR,), ("synthesis",), (1,), ("tf32",), ("fast",))
    with pytest.raises(UsageError, match="tf32 needs a CUDA device"):
        measure_all(plan, torch.device("cpu"), on_result=lambda m: None)


def test_a_large_batch_predicted_over_memory_is_skipped():
    """Memory grows from the cell's starting point in proportion to the batch: 1 GB + 8 x 1.5 GB = 13 GB."""
    small = Measurement(Cell("g", "synthesis", 1, "fp32", "fast"), ms_per_image_step=1.0, peak_memory_mb=2.5 * 1024,
                        start_memory_mb=1024)
    plan = Plan(("g",), ("synthesis",), (1, 8), ("fp32",), ("fast",))
    assert _skip_reason(Cell("g", "synthesis", 8, "fp32", "fast"), [small], plan, 12 * 1024) == \
        "would need ~13 GB (12 GB usable here; --memory-limit GB sets it)"
    assert _skip_reason(Cell("g", "synthesis", 8, "fp32", "fast"), [small], plan, 14 * 1024) == ""


def test_the_plans_memory_limit_replaces_the_machines(fake_manager):
    plan = Plan((GENERATOR,), ("synthesis",), (1, 2), ("fp32",), ("fast",), repeats=1, memory_limit_mb=1.0)
    one, two = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert one.ms_per_image_step > 0 and "usable here; --memory-limit GB sets it" in two.skipped  # RSS alone > 1 MB
    default = Plan((GENERATOR,), ("synthesis",), (1, 2), ("fp32",), ("fast",), repeats=1)
    assert not any(m.skipped for m in measure_all(default, torch.device("cpu"), on_result=lambda m: None))


def test_compiled_cells_run_the_step_through_torch_compile(fake_manager, monkeypatch):
    compiled = []

    def fake_compile(function, mode):  # the plumbing only: compiling for real takes ~15 s
        compiled.append(mode)
        return function

    monkeypatch.setattr(torch, "compile", fake_compile)
    plan = Plan((GENERATOR,), ("synthesis",), (1,), ("fp32",), ("fast", "compiled"), repeats=1,
                compile_mode="reduce-overhead")
    results = measure_all(plan, torch.device("cpu"), on_result=lambda m: None)
    assert [m.cell.path for m in results] == ["fast", "compiled"] and compiled == ["reduce-overhead"]
    assert all(m.ms_per_image_step > 0 for m in results)


def test_an_unknown_compile_mode_is_refused_before_anything_runs(fake_manager):
    plan = Plan((GENERATOR,), ("synthesis",), (1,), ("fp32",), ("fast", "compiled"), compile_mode="fastest")
    with pytest.raises(UsageError, match="compile mode 'fastest': use default, reduce-overhead"):
        measure_all(plan, torch.device("cpu"), on_result=lambda m: None)


@pytest.mark.parametrize("kernel_peak", [True, False], ids=["kernel-peak", "sampled"])
def test_peak_memory_sees_a_block_that_touches_256_mb(monkeypatch, kernel_peak):
    if _rss_bytes() is None:
        pytest.skip("no /proc/self/statm here: the peak is the process's, not the block's")
    if not kernel_peak:
        monkeypatch.setattr(benchmark, "_reset_peak_rss", lambda: False)
    size = 256 * 2**20
    with _PeakMemory(torch.device("cpu")) as peak:
        block = torch.ones(size // 4)  # written: every page resident
        time.sleep(0.05)  # the sampling thread's chance to see it
        del block
    assert peak.kind == ("rss peak" if kernel_peak and benchmark._reset_peak_rss() else "rss")
    assert 0.95 * size <= (peak.megabytes - peak.start_megabytes) * 2**20 <= 1.5 * size  # the block's, not the process's
