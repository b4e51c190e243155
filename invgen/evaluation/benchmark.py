"""``invgen bench``'s measurements: milliseconds per image-step of a generator, alone or in an objective.

A *cell* is one generator spec x workload x batch x precision x path. The workloads are
``synthesis`` (G(w) forward and backward to w), ``map`` (the objective a MAP run uses when it
names none) and the full objective of any preset, under a forward model: one optimisation step of ``invgen run`` without the Adam
update. The paths are ``fast`` (the default code), ``baseline`` (the plain implementations the fast ones
replaced, inside :func:`invgen.runtime.speed.plain_paths`, with glibc's default allocator) and
``compiled`` (``torch.compile`` of the step). The fast and compiled cells run inside
:func:`invgen.runtime.speed.kept_memory`, as a solve does. Baseline cells are measured first: once
changed, glibc's dynamic mmap threshold stays off for the rest of the process.
"""

from __future__ import annotations

import contextlib
import resource
import statistics
import sys
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from invgen.errors import UsageError, UserError
from invgen.runtime.speed import kept_memory, plain_paths

SYNTHESIS = "synthesis"
DEFAULT_OBJECTIVE = "map"  # the workload of the objective a MAP run uses when it names none
PATHS = ("fast", "baseline", "compiled")
PRECISIONS = ("fp32", "bf16", "tf32")  # tf32: float32 on CUDA's reduced-precision matrix units
COMPILE_MODES = ("default", "reduce-overhead", "max-autotune-no-cudagraphs", "max-autotune")  # torch.compile's


@dataclass(frozen=True)
class Cell:
    """What one measurement times."""

    generator: str
    workload: str
    batch: int
    precision: str
    path: str


@dataclass
class Measurement:
    """One cell's timing: ms per image-step (median of ``repeats`` steps after the ``warmup`` untimed ones, whose
    seconds together are ``warmup_s``), or why it was skipped."""

    cell: Cell
    ms_per_image_step: float | None = None
    step_ms: list[float] = field(default_factory=list)
    warmup_s: float | None = None
    peak_memory_mb: float | None = None
    start_memory_mb: float | None = None  # the same measure just before the cell
    memory: str = ""  # what peak_memory_mb is: rss peak (VmHWM), rss (sampled), cuda (max_memory_allocated)
    skipped: str = ""

    def record(self) -> dict[str, Any]:
        return {**asdict(self.cell), **{k: v for k, v in asdict(self).items() if k != "cell"}}


@dataclass(frozen=True)
class Plan:
    """The cells to measure and how."""

    generators: tuple[str, ...]
    workloads: tuple[str, ...]
    batches: tuple[int, ...]
    precisions: tuple[str, ...]
    paths: tuple[str, ...]
    forward: str = "identity"
    repeats: int = 5
    budget_s: float = 120.0
    warmup: int = 1  # untimed steps first (memory the fast path keeps settles within a few steps of one shape)
    memory_limit_mb: float | None = None  # what a cell may be predicted to use; None: :func:`memory_limit_mb`
    compile_mode: str = "default"  # torch.compile's mode for the compiled cells (reduce-overhead: CUDA graphs)

    def cells(self) -> list[Cell]:
        """Baseline cells first (see the module's note), then the others; small batches before large ones."""
        order = sorted(self.paths, key=lambda path: path != "baseline")
        return [Cell(g, w, b, p, path) for path in order for g in self.generators for w in self.workloads
                for p in self.precisions for b in sorted(self.batches)]


def default_generators() -> list[str]:
    """The generator specs plugins registered for benchmarking (``register_benchmarks``)."""
    from invgen.registry.manager import manager

    return list(manager().registry.benchmarks)


def check_plan(plan: Plan, device: torch.device) -> None:
    """Refuse what cannot run before anything is built."""
    for precision in plan.precisions:
        if precision not in PRECISIONS:
            raise UsageError(f"precision {precision!r}: use {', '.join(PRECISIONS)}")
        if precision == "tf32" and device.type != "cuda":
            raise UsageError("precision tf32 needs a CUDA device: drop it or use --device cuda")
    for path in plan.paths:
        if path not in PATHS:
            raise UsageError(f"path {path!r}: use {', '.join(PATHS)}")
    if not plan.generators:
        raise UsageError("no generator to measure: pass --generator SPEC (no plugin registers a default)")
    if plan.compile_mode not in COMPILE_MODES:
        raise UsageError(f"compile mode {plan.compile_mode!r}: use {', '.join(COMPILE_MODES)}")
    for workload in plan.workloads:
        if workload not in (SYNTHESIS, DEFAULT_OBJECTIVE):
            from invgen.registry.manager import registry

            try:
                registry().preset(workload)
            except UserError as error:
                raise UsageError(f"workload {workload!r}: use {SYNTHESIS}, {DEFAULT_OBJECTIVE} or a preset "
                                 f"({error})") from None


def measure_all(plan: Plan, device: torch.device, on_result: Callable[[Measurement], None],
                on_notes: Callable[[str, dict[str, str]], None] | None = None) -> list[Measurement]:
    """Measure every cell of ``plan`` on ``device``; ``on_result`` sees each measurement as it is made, and
    ``on_notes`` each generator's :meth:`~invgen.problem.interfaces.SpeedNotes.speed_notes` (none for a
    generator without that optional interface) before any."""
    from invgen.problem.components import build_generator
    from invgen.problem.interfaces import SpeedNotes

    check_plan(plan, device)
    generators = {spec: build_generator(spec).to(device) for spec in plan.generators}
    if on_notes is not None:
        for spec, generator in generators.items():
            on_notes(spec, generator.speed_notes(device) if isinstance(generator, SpeedNotes) else {})
    results: list[Measurement] = []
    limit_mb = memory_limit_mb(device) if plan.memory_limit_mb is None else plan.memory_limit_mb
    probes: list[Measurement] = []  # one-step batch-1 measurements, so that the first batch of a kind is priced too
    for cell in plan.cells():
        if cell.batch > 1 and not _earlier_of_kind(cell, results + probes):
            probe = replace(cell, batch=1)
            probes.append(_measure(probe, generators[cell.generator], replace(plan, repeats=1, warmup=1), device))
        skip = _skip_reason(cell, results + probes, plan, limit_mb)
        result = Measurement(cell, skipped=skip) if skip else _measure(cell, generators[cell.generator], plan, device)
        results.append(result)
        on_result(result)
    return results


def memory_limit_mb(device: torch.device) -> float:
    """What a cell may be predicted to use: 85% of the machine's memory, or 95% of the GPU's."""
    import os

    if device.type == "cuda":
        return torch.cuda.get_device_properties(device).total_memory * 0.95 / 2**20
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.85 / 2**20


def speedups(results: list[Measurement]) -> list[dict[str, Any]]:
    """baseline / fast for every cell measured both ways (higher is better for the fast path)."""
    fast = {(m.cell.generator, m.cell.workload, m.cell.batch, m.cell.precision): m for m in results
            if m.cell.path == "fast" and not m.skipped}
    pairs = []
    for m in results:
        key = (m.cell.generator, m.cell.workload, m.cell.batch, m.cell.precision)
        if m.cell.path == "baseline" and not m.skipped and key in fast:
            pairs.append({"generator": key[0], "workload": key[1], "batch": key[2], "precision": key[3],
                          "baseline_ms": m.ms_per_image_step, "fast_ms": fast[key].ms_per_image_step,
                          "speedup": m.ms_per_image_step / fast[key].ms_per_image_step})
    return pairs


def _earlier_of_kind(cell: Cell, done: list[Measurement]) -> list[Measurement]:
    """The measured cells of ``cell``'s kind (generator, workload, precision, path) with a smaller batch, by batch."""
    def kind(c: Cell) -> tuple[str, str, str, str]:
        return c.generator, c.workload, c.precision, c.path
    return sorted((m for m in done if kind(m.cell) == kind(cell) and m.cell.batch < cell.batch
                   and m.ms_per_image_step is not None), key=lambda m: m.cell.batch)


def _skip_reason(cell: Cell, done: list[Measurement], plan: Plan, limit_mb: float) -> str:
    """Why ``cell`` is skipped, or '': the largest measured smaller batch of the same kind predicts more time than
    the budget, or more memory than ``limit_mb`` (its growth over the memory at its start, scaled by the batch)."""
    measured = _earlier_of_kind(cell, done)
    if not measured:
        return ""
    earlier = measured[-1]
    predicted = earlier.ms_per_image_step * cell.batch * (plan.repeats + plan.warmup) / 1000
    if predicted > plan.budget_s:
        return f"would take ~{predicted:.0f} s (> --budget {plan.budget_s:g} s)"
    if earlier.peak_memory_mb is not None and earlier.start_memory_mb is not None:
        growth = max(earlier.peak_memory_mb - earlier.start_memory_mb, 0) * cell.batch / earlier.cell.batch
        if earlier.start_memory_mb + growth > limit_mb:
            return f"would need ~{(earlier.start_memory_mb + growth) / 1024:.0f} GB ({limit_mb / 1024:.0f} GB " \
                   f"usable here; --memory-limit GB sets it)"
    return ""


def _measure(cell: Cell, generator: Any, plan: Plan, device: torch.device) -> Measurement:
    try:
        step = _step_function(cell, generator, plan, device)
    except UserError as error:  # e.g. brgm without the LPIPS backbone here
        return Measurement(cell, skipped=str(error))
    with _path(cell.path), _precision_context(cell.precision), _PeakMemory(device) as peak:
        started = time.perf_counter()
        for _ in range(plan.warmup):
            _synchronised(step, device)
        warmup = time.perf_counter() - started
        seconds = [_timed(step, device) for _ in range(plan.repeats)]
    median = statistics.median(seconds)
    return Measurement(cell, ms_per_image_step=median * 1000 / cell.batch, step_ms=[s * 1000 for s in seconds],
                       warmup_s=warmup, peak_memory_mb=peak.megabytes, start_memory_mb=peak.start_megabytes,
                       memory=peak.kind)


def _step_function(cell: Cell, generator: Any, plan: Plan, device: torch.device) -> Callable[[], None]:
    """One step of ``cell``'s workload: forward and backward to fresh latents."""
    from invgen.runtime.precision import autocast
    from invgen.problem.build import build_problem

    precision = "fp32" if cell.precision == "tf32" else cell.precision
    start = generator.initial_latent(cell.batch).to(device)
    if cell.workload == SYNTHESIS:
        def loss(w: torch.Tensor) -> torch.Tensor:
            with autocast(precision, device):
                return generator.synthesize(w).float().square().mean()
    else:
        clean = torch.zeros(cell.batch, *generator.image_shape)  # posed through the forward model: its shape
        preset = None if cell.workload == DEFAULT_OBJECTIVE else cell.workload
        problem = build_problem(clean, generator, plan.forward, preset=preset, device=device, simulate=True)
        objective = problem.objective()

        def loss(w: torch.Tensor) -> torch.Tensor:
            return objective.evaluate(w, precision).total.sum()
    compute = torch.compile(loss, mode=plan.compile_mode) if cell.path == "compiled" else loss

    def step() -> None:
        compute(start.clone().requires_grad_(True)).backward()
    return step


@contextlib.contextmanager
def _path(path: str) -> Iterator[None]:
    with plain_paths() if path == "baseline" else kept_memory():
        yield


@contextlib.contextmanager
def _precision_context(precision: str) -> Iterator[None]:
    """TF32 switched on for the cell only (invgen keeps it off: fp32 results are meant exact)."""
    if precision != "tf32":
        yield
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def _synchronised(step: Callable[[], None], device: torch.device) -> None:
    step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _timed(step: Callable[[], None], device: torch.device) -> float:
    started = time.perf_counter()
    _synchronised(step, device)
    return time.perf_counter() - started


class _PeakMemory:
    """Peak memory during a block: CUDA's max_memory_allocated; on Linux the kernel's peak RSS (VmHWM), reset at
    the start of the block; elsewhere the RSS sampled every 2 ms (a sampling thread steals time from the steps)."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.kind = "cuda" if device.type == "cuda" else "rss"
        self.megabytes: float | None = None
        self.start_megabytes: float | None = None
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> "_PeakMemory":
        if self.kind == "cuda":
            torch.cuda.reset_peak_memory_stats(self.device)
            self.start_megabytes = torch.cuda.memory_allocated(self.device) / 2**20
        elif _rss_bytes() is not None:
            self.start_megabytes = (_rss_bytes() or 0) / 2**20
            if _reset_peak_rss():
                self.kind = "rss peak"
            else:
                self._thread = threading.Thread(target=self._sample, daemon=True)
                self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.kind == "cuda":
            self.megabytes = torch.cuda.max_memory_allocated(self.device) / 2**20
        elif self.kind == "rss peak":
            self.megabytes = (_peak_rss_bytes() or 0) / 2**20
        elif self._thread is not None:
            self._stop.set()
            self._thread.join()
            self.megabytes = self._peak / 2**20
        else:  # no /proc: the process's peak so far (kilobytes on Linux, bytes on macOS)
            self.kind = "process peak rss"
            scale = 1 if sys.platform == "darwin" else 1024
            self.megabytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, _rss_bytes() or 0)
            self._stop.wait(0.002)


def _rss_bytes() -> int | None:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * resource.getpagesize()


def _reset_peak_rss() -> bool:
    """Reset the kernel's record of this process's peak RSS (Linux 4.0+); False where that is not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return _peak_rss_bytes() is not None


def _peak_rss_bytes() -> int | None:
    """The peak RSS since the last reset (VmHWM of /proc/self/status), or None without it."""
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def machine() -> dict[str, Any]:
    """What the figures depend on: device, torch, CUDA, threads, CPU model."""
    import platform

    info: dict[str, Any] = {"torch": torch.__version__, "threads": torch.get_num_threads(),
                            "cpu": _cpu_model() or platform.processor() or platform.machine(),
                            "python": platform.python_version()}
    if torch.cuda.is_available():
        info.update(gpu=torch.cuda.get_device_name(), cuda=torch.version.cuda)
    return info


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return ""
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "")
